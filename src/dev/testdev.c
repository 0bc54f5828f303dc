/* vslice test device: ID, scratch, access counter and inverted scratch in a
 * small MMIO window, for the project's own test guests. */
#include <string.h>

#include "vslice/dev/testdev.h"

enum {
	TESTDEV_REG_ID = 0x00,
	TESTDEV_REG_SCRATCH = 0x04,
	TESTDEV_REG_COUNTER = 0x08,
	TESTDEV_REG_INVERT = 0x0c,
};

void testdev_init(struct testdev *t)
{
	memset(t, 0, sizeof(*t));
}

void testdev_mmio(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct testdev *t = opaque;
	uint8_t *bytes = data;
	unsigned n = len < 4 ? len : 4; /* bytes of the 32-bit register touched */

	t->counter++; /* this access counts */
	if (is_write) {
		if (offset != TESTDEV_REG_SCRATCH)
			return; /* read-only or unknown: ignored */
		/* Narrow writes replace the low bytes only. */
		for (unsigned i = 0; i < n; i++) {
			t->scratch &= ~(0xffu << (8 * i));
			t->scratch |= (uint32_t)bytes[i] << (8 * i);
		}
		return;
	}
	uint32_t v;
	switch (offset) {
	case TESTDEV_REG_ID:
		v = TESTDEV_ID;
		break;
	case TESTDEV_REG_SCRATCH:
		v = t->scratch;
		break;
	case TESTDEV_REG_COUNTER:
		v = t->counter;
		break;
	case TESTDEV_REG_INVERT:
		v = ~t->scratch;
		break;
	default:
		v = 0;
		break;
	}
	memset(data, 0, len); /* bytes beyond 32 bits read 0 */
	for (unsigned i = 0; i < n; i++)
		bytes[i] = (uint8_t)(v >> (8 * i));
}
