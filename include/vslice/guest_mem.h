/* Guest-physical memory: RAM regions backed by host mappings, and checked
 * accessors. Every guest-physical address is untrusted: use gm_ptr() (which
 * checks the whole range, with overflow checks) or gm_read()/gm_write(). */
#ifndef VSLICE_GUEST_MEM_H
#define VSLICE_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vslice/errbuf.h"

#define GM_MAX_REGIONS 4

/* RAM below 4 GiB stops at GM_LOW_RAM_END; [3 GiB, 4 GiB) is the MMIO hole
 * (IOAPIC, local APIC, later PCI). RAM beyond that continues at 4 GiB. */
#define GM_LOW_RAM_END 0xC0000000ULL
#define GM_HIGH_RAM_START 0x100000000ULL

struct gm_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct guest_mem {
	struct gm_region region[GM_MAX_REGIONS];
	unsigned nregions;
	uint64_t ram_size; /* total bytes of RAM */
	bool owned;        /* regions were mmap()ed by guest_mem_init */
};

/* Maps ram_size bytes of anonymous memory laid out as above. */
int guest_mem_init(struct guest_mem *gm, uint64_t ram_size, struct errbuf *eb);
/* Wraps a caller buffer as RAM at gpa 0 (unit tests, fuzzers). */
void guest_mem_init_buffer(struct guest_mem *gm, void *buf, uint64_t size);
void guest_mem_free(struct guest_mem *gm);
/* Zeroes all RAM (used on VM reset). */
void guest_mem_clear(struct guest_mem *gm);

/* Host pointer for [gpa, gpa+len) if the whole range is RAM inside one
 * region, else NULL. len == 0 is treated as 1. */
void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);
/* 0 on success, -1 if any byte of the range is not RAM. */
int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len);
int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len);
/* Bytes of guest RAM the host has resident (pages the guest or the VMM
 * touched), for memory accounting. 0 for caller buffers. */
uint64_t gm_resident_bytes(const struct guest_mem *gm);
/* Highest gpa+1 of RAM below 4 GiB. */
uint64_t gm_low_ram_end(const struct guest_mem *gm);

/* The e820 map the boot loaders hand to guests. */
enum e820_type { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3, E820_NVS = 4 };
struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));
#define E820_MAX 16
/* Fills out[] (up to max entries) and returns the count: low RAM below the
 * EBDA, the reserved BIOS area [0x9fc00, 0x100000), RAM from 1 MiB, the
 * high RAM region if any. */
unsigned gm_e820(const struct guest_mem *gm, struct e820_entry *out, unsigned max);

#endif
