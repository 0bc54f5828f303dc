/* Checked ELF32/ELF64 image reader shared by the ELF/PVH and Multiboot
 * loaders (private to src/boot): header and program header validation,
 * PT_LOAD segment loading, entry translation and note lookup. */
#ifndef VSLICE_ELF_IMAGE_H
#define VSLICE_ELF_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "vslice/boot.h"
#include "vslice/errbuf.h"
#include "vslice/guest_mem.h"

#define ELF_PT_LOAD 1
#define ELF_PT_NOTE 4
#define ELF_SHT_NOTE 7
#define ELF_EM_386 3
#define ELF_EM_X86_64 62

struct elf_image {
	const uint8_t *img;
	size_t size;
	int is64;
	uint64_t entry;
	uint64_t phoff;
	unsigned phentsize, phnum;
	uint64_t shoff;
	unsigned shentsize, shnum;
};

struct elf_phdr {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

/* 1 if img starts with the ELF magic. */
int elf_image_is_elf(const uint8_t *img, size_t size);
/* Validates the ELF header and that the program header table lies inside
 * the image. Accepts little-endian ET_EXEC for i386 (ELF32) and x86-64
 * (ELF64). */
int elf_image_parse(struct elf_image *e, const uint8_t *img, size_t size, const char *name,
		    struct errbuf *eb);
/* Program header i (< e->phnum) of a parsed image. */
void elf_image_phdr(const struct elf_image *e, unsigned i, struct elf_phdr *ph);
/* Checks every PT_LOAD segment, then copies them to p_paddr and zeroes
 * their bss. *end gets the highest p_paddr + p_memsz (0 if none). */
int elf_image_load(const struct elf_image *e, struct guest_mem *gm, const struct boot_images *in,
		   uint64_t *end, struct errbuf *eb);
/* e_entry as a physical address: translated through the PT_LOAD segment
 * whose virtual range holds it. Fails if no segment holds it. */
int elf_image_entry(const struct elf_image *e, const char *name, uint64_t *entry,
		    struct errbuf *eb);
/* Looks for a note (name, type) in PT_NOTE segments, then SHT_NOTE
 * sections. Returns 1 with *desc and *descsz pointing into the image, else 0.
 * Malformed note areas are skipped. */
int elf_image_find_note(const struct elf_image *e, const char *name, uint32_t type,
			const uint8_t **desc, uint32_t *descsz);

#endif
