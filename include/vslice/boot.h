/* Boot loaders: probe an image, load it into guest memory, and describe the
 * CPU state to start in. Loaders know nothing of accelerators or devices. */
#ifndef VSLICE_BOOT_H
#define VSLICE_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "vslice/errbuf.h"
#include "vslice/guest_mem.h"

enum boot_cpu_mode {
	BOOT_MODE_PROT32, /* flat 32-bit protected mode, paging off */
	BOOT_MODE_LONG64, /* 64-bit mode, identity map of the first 4 GiB */
};

/* Where the VM core puts things in low guest memory. */
#define BOOT_GDT_ADDR 0x500ULL
#define BOOT_PML4_ADDR 0x1000ULL  /* PML4, PDPT at +0x1000, 4 PDs after */
#define BOOT_INFO_ADDR 0x7000ULL  /* zero page / multiboot info / PVH start_info */
#define BOOT_INFO_EXTRA 0x8000ULL /* e820/mmap, module lists: up to 0x10000 */
#define BOOT_CMDLINE_ADDR 0x20000ULL
#define BOOT_CMDLINE_MAX 0x10000ULL
#define BOOT_ACPI_ADDR 0xE0000ULL /* RSDP and all ACPI tables */
#define BOOT_ACPI_SIZE 0x20000ULL
#define BOOT_KERNEL_ADDR 0x100000ULL

/* Neutral description of the first instruction to run on the BSP. */
struct boot_state {
	enum boot_cpu_mode mode;
	uint64_t entry;
	/* General registers at entry (the rest are zero). */
	uint64_t rax, rbx, rsi, rsp;
	const char *format; /* "bzImage", "ELF64", "PVH", "Multiboot" */
};

/* What to load. Buffers are the caller's; the loaders copy from them. */
struct boot_images {
	const uint8_t *kernel;
	size_t kernel_size;
	const char *kernel_name; /* for messages */
	const uint8_t *initrd; /* may be NULL */
	size_t initrd_size;
	const char *initrd_name;
	const char *cmdline; /* never NULL */
	uint64_t acpi_rsdp; /* guest-physical address of the RSDP, 0 if none */
	unsigned ncpus;
};

/* Each loader: probe returns 1 if the image is of its format (even if
 * malformed), 0 if not. load returns 0, or -1 with a message naming the
 * image and what is wrong with it. */
int bzimage_probe(const uint8_t *img, size_t size);
int bzimage_load(struct guest_mem *gm, const struct boot_images *in,
		 struct boot_state *out, struct errbuf *eb);
int multiboot_probe(const uint8_t *img, size_t size);
int multiboot_load(struct guest_mem *gm, const struct boot_images *in,
		   struct boot_state *out, struct errbuf *eb);
int elf_probe(const uint8_t *img, size_t size);
/* ELF64 kernels: PVH entry if the XEN_ELFNOTE_PHYS32_ENTRY note is present,
 * else the 64-bit ELF entry. */
int elf_load(struct guest_mem *gm, const struct boot_images *in,
	     struct boot_state *out, struct errbuf *eb);

/* Tries the loaders in order (bzImage, Multiboot, ELF). */
int boot_load(struct guest_mem *gm, const struct boot_images *in,
	      struct boot_state *out, struct errbuf *eb);

#endif
