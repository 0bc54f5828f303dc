/* Checked ELF32/ELF64 image reader for the boot loaders. Every offset and
 * size comes from an untrusted file: each is checked against the image size
 * with overflow-safe arithmetic before it is used. */
#include <string.h>

#include "boot_common.h"
#include "elf_image.h"

#define EI_NIDENT 16
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define ELF32_EHDR_SIZE 52
#define ELF64_EHDR_SIZE 64
#define ELF32_PHDR_SIZE 32
#define ELF64_PHDR_SIZE 56
#define ELF32_SHDR_SIZE 40
#define ELF64_SHDR_SIZE 64

/* 1 if [off, off+len) lies inside a buffer of size bytes. */
static int in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

int elf_image_is_elf(const uint8_t *img, size_t size)
{
	return img && size >= 4 &&
	       memcmp(img,
		      "\x7f"
		      "ELF",
		      4) == 0;
}

int elf_image_parse(struct elf_image *e, const uint8_t *img, size_t size, const char *name,
		    struct errbuf *eb)
{
	memset(e, 0, sizeof(*e));
	if (!elf_image_is_elf(img, size))
		return errbuf_set(eb, "%s: not an ELF file", name);
	if (size < EI_NIDENT)
		return errbuf_set(eb, "%s: truncated ELF header", name);
	uint8_t cls = img[4];
	if (cls != ELFCLASS32 && cls != ELFCLASS64)
		return errbuf_set(eb, "%s: unknown ELF class %u", name, cls);
	if (img[5] != ELFDATA2LSB)
		return errbuf_set(eb, "%s: not a little-endian ELF file", name);
	e->is64 = cls == ELFCLASS64;
	size_t ehsize = e->is64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
	if (size < ehsize)
		return errbuf_set(eb, "%s: truncated ELF header (%zu of %zu bytes)", name, size,
				  ehsize);
	uint16_t type = get_le16(img + 16);
	uint16_t machine = get_le16(img + 18);
	if (type != ET_EXEC)
		return errbuf_set(eb, "%s: ELF type %u is not an executable (ET_EXEC)", name, type);
	uint16_t want = e->is64 ? ELF_EM_X86_64 : ELF_EM_386;
	if (machine != want)
		return errbuf_set(eb, "%s: ELF%d machine %u is not %s", name, e->is64 ? 64 : 32,
				  machine, e->is64 ? "x86-64" : "i386");
	if (e->is64) {
		e->entry = get_le64(img + 24);
		e->phoff = get_le64(img + 32);
		e->shoff = get_le64(img + 40);
		e->phentsize = get_le16(img + 54);
		e->phnum = get_le16(img + 56);
		e->shentsize = get_le16(img + 58);
		e->shnum = get_le16(img + 60);
	} else {
		e->entry = get_le32(img + 24);
		e->phoff = get_le32(img + 28);
		e->shoff = get_le32(img + 32);
		e->phentsize = get_le16(img + 42);
		e->phnum = get_le16(img + 44);
		e->shentsize = get_le16(img + 46);
		e->shnum = get_le16(img + 48);
	}
	e->img = img;
	e->size = size;
	if (e->phnum == 0)
		return errbuf_set(eb, "%s: ELF file has no program headers", name);
	unsigned min_phent = e->is64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
	if (e->phentsize < min_phent)
		return errbuf_set(eb, "%s: ELF program header size %u is below %u", name,
				  e->phentsize, min_phent);
	/* phentsize and phnum are 16-bit: the product cannot overflow. */
	uint64_t table = (uint64_t)e->phentsize * e->phnum;
	if (!in_file(e->phoff, table, size))
		return errbuf_set(eb,
				  "%s: truncated program header table (%u entries at offset "
				  "0x%llx, file is %zu bytes)",
				  name, e->phnum, (unsigned long long)e->phoff, size);
	/* Section headers are optional for loading: a bad table is ignored. */
	unsigned min_shent = e->is64 ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE;
	if (e->shentsize < min_shent || !in_file(e->shoff, (uint64_t)e->shentsize * e->shnum, size))
		e->shnum = 0;
	return 0;
}

void elf_image_phdr(const struct elf_image *e, unsigned i, struct elf_phdr *ph)
{
	const uint8_t *p = e->img + e->phoff + (uint64_t)i * e->phentsize;
	ph->type = get_le32(p);
	if (e->is64) {
		ph->offset = get_le64(p + 8);
		ph->vaddr = get_le64(p + 16);
		ph->paddr = get_le64(p + 24);
		ph->filesz = get_le64(p + 32);
		ph->memsz = get_le64(p + 40);
	} else {
		ph->offset = get_le32(p + 4);
		ph->vaddr = get_le32(p + 8);
		ph->paddr = get_le32(p + 12);
		ph->filesz = get_le32(p + 16);
		ph->memsz = get_le32(p + 20);
	}
}

static int check_segment(const struct elf_image *e, const struct guest_mem *gm,
			 const struct boot_images *in, unsigned i, const struct elf_phdr *ph,
			 struct errbuf *eb)
{
	const char *name = boot_kernel_name(in);
	if (ph->filesz > ph->memsz)
		return errbuf_set(
		    eb, "%s: segment %u file size 0x%llx is larger than its memory size 0x%llx",
		    name, i, (unsigned long long)ph->filesz, (unsigned long long)ph->memsz);
	if (!in_file(ph->offset, ph->filesz, e->size))
		return errbuf_set(
		    eb, "%s: segment %u file range 0x%llx+0x%llx is outside the image (%zu bytes)",
		    name, i, (unsigned long long)ph->offset, (unsigned long long)ph->filesz,
		    e->size);
	return boot_check_kernel_range(gm, in, "segment", ph->paddr, ph->memsz, eb);
}

int elf_image_load(const struct elf_image *e, struct guest_mem *gm, const struct boot_images *in,
		   uint64_t *end, struct errbuf *eb)
{
	struct elf_phdr ph;
	unsigned nload = 0;
	uint64_t top = 0;
	for (unsigned i = 0; i < e->phnum; i++) {
		elf_image_phdr(e, i, &ph);
		if (ph.type != ELF_PT_LOAD || ph.memsz == 0)
			continue;
		if (check_segment(e, gm, in, i, &ph, eb) < 0)
			return -1;
		nload++;
		if (ph.paddr + ph.memsz > top)
			top = ph.paddr + ph.memsz;
	}
	if (nload == 0)
		return errbuf_set(eb, "%s: ELF file has no loadable segments",
				  boot_kernel_name(in));
	for (unsigned i = 0; i < e->phnum; i++) {
		elf_image_phdr(e, i, &ph);
		if (ph.type != ELF_PT_LOAD || ph.memsz == 0)
			continue;
		uint8_t *dst = gm_ptr(gm, ph.paddr, ph.memsz); /* checked above */
		if (!dst)
			return errbuf_set(eb, "%s: segment %u vanished from guest RAM",
					  boot_kernel_name(in), i);
		memcpy(dst, e->img + ph.offset, ph.filesz);
		memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
	}
	*end = top;
	return 0;
}

int elf_image_entry(const struct elf_image *e, const char *name, uint64_t *entry, struct errbuf *eb)
{
	struct elf_phdr ph;
	for (unsigned i = 0; i < e->phnum; i++) {
		elf_image_phdr(e, i, &ph);
		if (ph.type != ELF_PT_LOAD || e->entry < ph.vaddr ||
		    e->entry - ph.vaddr >= ph.memsz)
			continue;
		*entry = ph.paddr + (e->entry - ph.vaddr);
		return 0;
	}
	return errbuf_set(eb, "%s: ELF entry point 0x%llx is not inside any loadable segment", name,
			  (unsigned long long)e->entry);
}

static uint64_t align4(uint64_t v)
{
	return (v + 3) & ~3ULL;
}

/* Walks the notes in [off, off+len) of the image. */
static int find_in_notes(const struct elf_image *e, uint64_t off, uint64_t len, const char *name,
			 uint32_t type, const uint8_t **desc, uint32_t *descsz)
{
	if (!in_file(off, len, e->size))
		return 0;
	const uint8_t *p = e->img + off;
	uint64_t namelen = strlen(name) + 1;
	uint64_t pos = 0;
	while (len - pos >= 12) {
		uint32_t nsz = get_le32(p + pos);
		uint32_t dsz = get_le32(p + pos + 4);
		uint32_t ntype = get_le32(p + pos + 8);
		uint64_t name_off = pos + 12;
		/* nsz, dsz < 2^32, so these sums stay far from overflow. */
		uint64_t desc_off = name_off + align4(nsz);
		uint64_t next = desc_off + align4(dsz);
		if (desc_off > len || dsz > len - desc_off)
			return 0;
		if (nsz == namelen && ntype == type && memcmp(p + name_off, name, namelen) == 0) {
			*desc = p + desc_off;
			*descsz = dsz;
			return 1;
		}
		if (next > len)
			return 0;
		pos = next;
	}
	return 0;
}

int elf_image_find_note(const struct elf_image *e, const char *name, uint32_t type,
			const uint8_t **desc, uint32_t *descsz)
{
	struct elf_phdr ph;
	for (unsigned i = 0; i < e->phnum; i++) {
		elf_image_phdr(e, i, &ph);
		if (ph.type == ELF_PT_NOTE &&
		    find_in_notes(e, ph.offset, ph.filesz, name, type, desc, descsz))
			return 1;
	}
	for (unsigned i = 0; i < e->shnum; i++) {
		const uint8_t *s = e->img + e->shoff + (uint64_t)i * e->shentsize;
		if (get_le32(s + 4) != ELF_SHT_NOTE)
			continue;
		uint64_t off = e->is64 ? get_le64(s + 24) : get_le32(s + 16);
		uint64_t len = e->is64 ? get_le64(s + 32) : get_le32(s + 20);
		if (find_in_notes(e, off, len, name, type, desc, descsz))
			return 1;
	}
	return 0;
}
