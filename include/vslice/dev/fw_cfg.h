/* QEMU's firmware configuration interface (fw_cfg), as described in QEMU's
 * docs/specs/fw_cfg.rst: numbered items (signature, RAM size, CPU count,
 * a directory of named "files") that guests and test suites such as
 * kvm-unit-tests read through a selector port and a data port, plus the
 * optional DMA interface.
 *
 * x86 ports:
 *   0x510 selector (16-bit write; resets the data offset to 0)
 *   0x511 data     (8-bit reads, auto-increment; 0 past the item's end)
 *   0x514 DMA      (64-bit big-endian address of a struct fw_cfg_dma_access;
 *                   a write that ends at 0x51b triggers the transfer; reads
 *                   return "QEMU CFG")
 * Register fw_cfg_io at FW_CFG_IO_BASE, FW_CFG_IO_LEN and, with DMA,
 * fw_cfg_dma_io at FW_CFG_DMA_BASE, FW_CFG_DMA_LEN.
 *
 * Items are copied into the device at set-up time (fw_cfg_add_*) and are
 * read-only to the guest. */
#ifndef VSLICE_DEV_FW_CFG_H
#define VSLICE_DEV_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vslice/errbuf.h"
#include "vslice/guest_mem.h"

#define FW_CFG_IO_BASE 0x510
#define FW_CFG_IO_LEN 2
#define FW_CFG_DMA_BASE 0x514
#define FW_CFG_DMA_LEN 8

/* Well-known keys. */
#define FW_CFG_SIGNATURE 0x0000 /* "QEMU" */
#define FW_CFG_ID 0x0001	/* 32-bit LE feature bits, below */
#define FW_CFG_UUID 0x0002
#define FW_CFG_RAM_SIZE 0x0003 /* 64-bit LE bytes */
#define FW_CFG_NOGRAPHIC 0x0004
#define FW_CFG_NB_CPUS 0x0005 /* 16-bit LE */
#define FW_CFG_MACHINE_ID 0x0006
#define FW_CFG_KERNEL_ADDR 0x0007
#define FW_CFG_KERNEL_SIZE 0x0008
#define FW_CFG_KERNEL_CMDLINE 0x0009
#define FW_CFG_INITRD_ADDR 0x000a
#define FW_CFG_INITRD_SIZE 0x000b
#define FW_CFG_BOOT_DEVICE 0x000c
#define FW_CFG_NUMA 0x000d
#define FW_CFG_BOOT_MENU 0x000e
#define FW_CFG_MAX_CPUS 0x000f /* 16-bit LE */
#define FW_CFG_KERNEL_ENTRY 0x0010
#define FW_CFG_KERNEL_DATA 0x0011
#define FW_CFG_INITRD_DATA 0x0012
#define FW_CFG_CMDLINE_ADDR 0x0013
#define FW_CFG_CMDLINE_SIZE 0x0014
#define FW_CFG_CMDLINE_DATA 0x0015
#define FW_CFG_SETUP_ADDR 0x0016
#define FW_CFG_SETUP_SIZE 0x0017
#define FW_CFG_SETUP_DATA 0x0018
#define FW_CFG_FILE_DIR 0x0019 /* BE32 count, then struct fw_cfg_file[] */
#define FW_CFG_FILE_FIRST 0x0020

/* Selector bits: 14 asks for write mode (ignored: the data port is
 * read-only), 15 selects the architecture-specific key space. */
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL 0x8000
#define FW_CFG_ENTRY_MASK 0x3fff

/* FW_CFG_ID bits. */
#define FW_CFG_VERSION_TRADITIONAL 0x01
#define FW_CFG_VERSION_DMA 0x02

/* DMA: control bits (big-endian in guest memory), selector in bits 31-16. */
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE 0x10
/* What reading the 8 DMA register bytes returns, in byte order. */
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ULL /* "QEMU CFG" */

/* Guest-visible layouts; every field big-endian. */
struct fw_cfg_dma_access {
	uint32_t control;
	uint32_t length;
	uint64_t address;
} __attribute__((packed));

#define FW_CFG_FILE_NAME_LEN 56 /* including the NUL */
struct fw_cfg_file {
	uint32_t size;
	uint16_t select;
	uint16_t reserved;
	char name[FW_CFG_FILE_NAME_LEN];
} __attribute__((packed));

/* Limits. Generic keys below FW_CFG_FILE_FIRST and FW_CFG_MAX_FILES files
 * from FW_CFG_FILE_FIRST up; FW_CFG_ARCH_ITEMS arch keys from 0x8000. */
#define FW_CFG_MAX_FILES 32
#define FW_CFG_ARCH_ITEMS 8
#define FW_CFG_MAX_ITEM_LEN (256u << 20)

struct fw_cfg_item {
	uint8_t *data; /* owned copy; NULL with len 0: no item */
	uint32_t len;
};

struct fw_cfg {
	struct fw_cfg_item generic[FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES];
	struct fw_cfg_item arch[FW_CFG_ARCH_ITEMS];
	char file_name[FW_CFG_MAX_FILES][FW_CFG_FILE_NAME_LEN];
	unsigned nfiles;

	/* Guest-visible state. */
	uint16_t selector;
	uint32_t offset;     /* into the selected item */
	uint8_t dma_addr[8]; /* DMA address register bytes, big-endian */

	/* DMA needs guest memory; NULL: no DMA interface. */
	const struct guest_mem *mem;
	uint64_t dma_errors; /* transfers that ended with the error bit (or
			      * whose descriptor was not in RAM) */
};

/* Sets up the standard items: signature, ID, RAM size, CPU count (both
 * FW_CFG_NB_CPUS and FW_CFG_MAX_CPUS) and an empty file directory. mem
 * enables the DMA interface (NULL: traditional interface only). On failure
 * returns -1 with eb set; fw_cfg_free() is safe either way. */
int fw_cfg_init(struct fw_cfg *cfg, const struct guest_mem *mem, uint64_t ram_size, unsigned ncpus,
		struct errbuf *eb);
/* Frees the items. Safe on a zero-filled or already freed struct. */
void fw_cfg_free(struct fw_cfg *cfg);
/* Guest-visible state back to power-on (selector 0, offset 0, DMA address
 * 0); items are kept. */
void fw_cfg_reset(struct fw_cfg *cfg);

/* Sets (or replaces) the item at key: a generic key below
 * FW_CFG_FILE_FIRST other than FW_CFG_FILE_DIR, or an arch key
 * 0x8000..0x8000+FW_CFG_ARCH_ITEMS-1. Copies len bytes (at most
 * FW_CFG_MAX_ITEM_LEN). */
int fw_cfg_add_bytes(struct fw_cfg *cfg, uint16_t key, const void *data, size_t len,
		     struct errbuf *eb);
/* Adds a named file at the next key from FW_CFG_FILE_FIRST and lists it in
 * the directory. name: 1..55 printable ASCII characters, not already used.
 * Returns the key, or -1 with eb set. */
int fw_cfg_add_file(struct fw_cfg *cfg, const char *name, const void *data, size_t len,
		    struct errbuf *eb);

/* Port handlers (bus_io_fn): fw_cfg_io for FW_CFG_IO_BASE (offset 0
 * selector, 1 data), fw_cfg_dma_io for FW_CFG_DMA_BASE. */
void fw_cfg_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write);
void fw_cfg_dma_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write);

#endif
