/* The e820 memory map of a vslice PC. */
#include "vslice/guest_mem.h"

#define EBDA_START 0x9fc00ULL
#define HIGH_MEM_START 0x100000ULL

static unsigned put(struct e820_entry *out, unsigned n, unsigned max,
		    uint64_t addr, uint64_t size, uint32_t type)
{
	if (n < max && size) {
		out[n].addr = addr;
		out[n].size = size;
		out[n].type = type;
		return n + 1;
	}
	return n;
}

unsigned gm_e820(const struct guest_mem *gm, struct e820_entry *out, unsigned max)
{
	uint64_t low_end = gm_low_ram_end(gm);
	unsigned n = 0;
	if (low_end <= HIGH_MEM_START) {
		/* Tiny guests (tests): all RAM below the EBDA is usable. */
		n = put(out, n, max, 0, low_end < EBDA_START ? low_end : EBDA_START, E820_RAM);
		if (low_end > EBDA_START)
			n = put(out, n, max, EBDA_START, low_end - EBDA_START, E820_RESERVED);
	} else {
		n = put(out, n, max, 0, EBDA_START, E820_RAM);
		n = put(out, n, max, EBDA_START, HIGH_MEM_START - EBDA_START, E820_RESERVED);
		n = put(out, n, max, HIGH_MEM_START, low_end - HIGH_MEM_START, E820_RAM);
	}
	for (unsigned i = 0; i < gm->nregions; i++)
		if (gm->region[i].gpa >= GM_HIGH_RAM_START)
			n = put(out, n, max, gm->region[i].gpa, gm->region[i].size, E820_RAM);
	return n;
}
