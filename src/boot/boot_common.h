/* Helpers shared by the boot loaders (private to src/boot): little-endian
 * field access, naming the images in messages, and the checked placement of
 * the command line, the initrd and loaded ranges in guest RAM. */
#ifndef VSLICE_BOOT_COMMON_H
#define VSLICE_BOOT_COMMON_H

#include <stdint.h>

#include "vslice/boot.h"
#include "vslice/errbuf.h"
#include "vslice/guest_mem.h"

#define BOOT_PAGE_SIZE 0x1000ULL
/* vslice's own boot data (GDT, page tables, info, cmdline) lives below this. */
#define BOOT_DATA_END (BOOT_CMDLINE_ADDR + BOOT_CMDLINE_MAX)

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* Names for messages; never NULL. */
const char *boot_kernel_name(const struct boot_images *in);
const char *boot_initrd_name(const struct boot_images *in);
/* Bytes to MiB, rounded up, for messages. */
unsigned long long boot_mib(uint64_t bytes);

/* Zeroes [gpa, gpa+len) of guest RAM and returns its host address, or NULL
 * (with a message) if guest RAM does not hold it. */
uint8_t *boot_info_area(struct guest_mem *gm, const struct boot_images *in, uint64_t gpa,
			uint64_t len, struct errbuf *eb);

/* Copies in->cmdline, NUL-terminated, to BOOT_CMDLINE_ADDR. max_len is the
 * longest command line (without the NUL) the kernel accepts. */
int boot_put_cmdline(struct guest_mem *gm, const struct boot_images *in, uint64_t max_len,
		     struct errbuf *eb);

/* Checks that a kernel range [gpa, gpa+len) (what: "segment", ...) lies in
 * guest RAM below 4 GiB and clear of vslice's boot data and ACPI tables. */
int boot_check_kernel_range(const struct guest_mem *gm, const struct boot_images *in,
			    const char *what, uint64_t gpa, uint64_t len, struct errbuf *eb);

/* Copies the initrd to a page-aligned address in [lo, hi): the highest one
 * if high, else the lowest. *gpa gets the address. */
int boot_put_initrd(struct guest_mem *gm, const struct boot_images *in, uint64_t lo, uint64_t hi,
		    int high, uint64_t *gpa, struct errbuf *eb);

#endif
