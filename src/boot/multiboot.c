/* Multiboot 1 loader (Multiboot Specification 0.6.96): finds the header in
 * the first 8 KiB, loads the kernel from its address fields ("a.out
 * kludge", flag 16) or its ELF program headers, and builds the Multiboot
 * information structure with memory sizes, e820-style memory map, command
 * line, boot loader name and the initrd as the single module. */
#include <string.h>

#include "boot_common.h"
#include "elf_image.h"

#define MB_MAGIC 0x1BADB002U
#define MB_BOOT_MAGIC 0x2BADB002U
#define MB_SEARCH_LIMIT 8192
#define MB_HDR_SIZE 12
#define MB_HDR_ADDR_SIZE 32 /* with the flag-16 address fields */

/* Header flags: bits 0-15 are requirements, 16-31 optional features. */
#define MB_FLAG_PAGE_ALIGN (1U << 0)
#define MB_FLAG_MEMORY_INFO (1U << 1)
#define MB_FLAG_VIDEO_MODE (1U << 2)
#define MB_FLAG_ADDRESS (1U << 16)
#define MB_REQUIRED_MASK 0xffffU
#define MB_SUPPORTED_REQUIRED (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO)

/* Information structure: flags we set, and field offsets. */
#define MBI_MEMORY (1U << 0)
#define MBI_CMDLINE (1U << 2)
#define MBI_MODS (1U << 3)
#define MBI_MMAP (1U << 6)
#define MBI_LOADER_NAME (1U << 9)
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_CMDLINE_PTR 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_LOADER_NAME_PTR 64
#define MBI_SIZE 0x1000

/* Where the variable parts go inside BOOT_INFO_EXTRA. */
#define MB_MMAP_ADDR BOOT_INFO_EXTRA
#define MB_MMAP_ENTRY_SIZE 24 /* size field + base, length, type */
#define MB_MODS_ADDR (BOOT_INFO_EXTRA + 0x400)
#define MB_MOD_ENTRY_SIZE 16
#define MB_MOD_STRING_ADDR (BOOT_INFO_EXTRA + 0x500)
#define MB_MOD_STRING_MAX 0x2ff
#define MB_LOADER_NAME_ADDR (BOOT_INFO_EXTRA + 0x800)
#define MB_LOADER_NAME "vslice"

#define LOW_MEM_LIMIT 0xA0000ULL /* mem_lower counts at most 640 KiB */
#define HIGH_MEM_START 0x100000ULL

/* Offset of the first aligned magic in the first 8 KiB, preferring one
 * with a valid checksum; -1 if there is none. */
static long find_header(const uint8_t *img, size_t size)
{
	size_t limit = size < MB_SEARCH_LIMIT ? size : MB_SEARCH_LIMIT;
	long first = -1;
	if (!img)
		return -1;
	for (size_t off = 0; off + MB_HDR_SIZE <= limit; off += 4) {
		if (get_le32(img + off) != MB_MAGIC)
			continue;
		uint32_t sum = MB_MAGIC + get_le32(img + off + 4) + get_le32(img + off + 8);
		if (sum == 0)
			return (long)off;
		if (first < 0)
			first = (long)off;
	}
	return first;
}

int multiboot_probe(const uint8_t *img, size_t size)
{
	return find_header(img, size) >= 0;
}

/* The a.out kludge: load_addr..load_end_addr comes from the file, so that
 * header_addr lands on the header; bss up to bss_end_addr is zeroed. */
static int load_by_address(struct guest_mem *gm, const struct boot_images *in, size_t hdr_off,
			   uint64_t *entry, uint64_t *end, struct errbuf *eb)
{
	const uint8_t *h = in->kernel + hdr_off;
	const char *name = boot_kernel_name(in);
	uint64_t header_addr = get_le32(h + 12), load_addr = get_le32(h + 16);
	uint64_t load_end = get_le32(h + 20), bss_end = get_le32(h + 24);
	*entry = get_le32(h + 28);

	if (header_addr < load_addr || header_addr - load_addr > hdr_off)
		return errbuf_set(eb,
				  "%s: Multiboot header_addr 0x%llx and load_addr 0x%llx do not "
				  "match the header's file offset 0x%zx",
				  name, (unsigned long long)header_addr,
				  (unsigned long long)load_addr, hdr_off);
	uint64_t file_off = hdr_off - (header_addr - load_addr);
	uint64_t len;
	if (load_end == 0) {
		len = in->kernel_size - file_off;
	} else {
		if (load_end < load_addr)
			return errbuf_set(
			    eb, "%s: Multiboot load_end_addr 0x%llx is below load_addr 0x%llx",
			    name, (unsigned long long)load_end, (unsigned long long)load_addr);
		len = load_end - load_addr;
		if (len > in->kernel_size - file_off)
			return errbuf_set(eb,
					  "%s: Multiboot load range 0x%llx-0x%llx runs past the "
					  "end of the file (%zu bytes)",
					  name, (unsigned long long)load_addr,
					  (unsigned long long)load_end, in->kernel_size);
	}
	uint64_t mem_end = load_addr + len;
	if (bss_end != 0) {
		if (bss_end < mem_end)
			return errbuf_set(eb,
					  "%s: Multiboot bss_end_addr 0x%llx is below the loaded "
					  "image's end 0x%llx",
					  name, (unsigned long long)bss_end,
					  (unsigned long long)mem_end);
		mem_end = bss_end;
	}
	if (boot_check_kernel_range(gm, in, "Multiboot load range", load_addr, mem_end - load_addr,
				    eb) < 0)
		return -1;
	if (*entry < load_addr || *entry >= load_addr + len)
		return errbuf_set(
		    eb, "%s: Multiboot entry_addr 0x%llx is outside the loaded image 0x%llx-0x%llx",
		    name, (unsigned long long)*entry, (unsigned long long)load_addr,
		    (unsigned long long)(load_addr + len));
	uint8_t *dst = gm_ptr(gm, load_addr, mem_end - load_addr);
	if (!dst) /* checked above; an empty range has nothing to load */
		return errbuf_set(eb, "%s: Multiboot image is empty", name);
	memcpy(dst, in->kernel + file_off, len);
	memset(dst + len, 0, mem_end - load_addr - len);
	*end = mem_end;
	return 0;
}

static int load_elf(struct guest_mem *gm, const struct boot_images *in, uint64_t *entry,
		    uint64_t *end, struct errbuf *eb)
{
	const char *name = boot_kernel_name(in);
	struct elf_image e;
	if (!elf_image_is_elf(in->kernel, in->kernel_size))
		return errbuf_set(eb,
				  "%s: Multiboot kernel is not ELF and its header has no address "
				  "fields (flag 16)",
				  name);
	if (elf_image_parse(&e, in->kernel, in->kernel_size, name, eb) < 0)
		return -1;
	if (elf_image_load(&e, gm, in, end, eb) < 0)
		return -1;
	if (elf_image_entry(&e, name, entry, eb) < 0)
		return -1;
	if (*entry >= GM_HIGH_RAM_START)
		return errbuf_set(eb, "%s: Multiboot entry point 0x%llx is above 4 GiB", name,
				  (unsigned long long)*entry);
	return 0;
}

/* mem_lower / mem_upper in KiB, from the e820 map. */
static void put_memory(uint8_t *mbi, const struct e820_entry *map, unsigned n)
{
	uint64_t lower = 0, upper = 0;
	for (unsigned i = 0; i < n; i++) {
		if (map[i].type != E820_RAM)
			continue;
		if (map[i].addr == 0)
			lower = map[i].size < LOW_MEM_LIMIT ? map[i].size : LOW_MEM_LIMIT;
		if (map[i].addr == HIGH_MEM_START)
			upper = map[i].size;
	}
	put_le32(mbi + MBI_MEM_LOWER, (uint32_t)(lower / 1024));
	put_le32(mbi + MBI_MEM_UPPER, (uint32_t)(upper / 1024));
}

static int put_mmap(struct guest_mem *gm, const struct boot_images *in, uint8_t *mbi,
		    struct errbuf *eb)
{
	struct e820_entry map[E820_MAX];
	unsigned n = gm_e820(gm, map, E820_MAX);
	uint8_t *p = boot_info_area(gm, in, MB_MMAP_ADDR, (uint64_t)n * MB_MMAP_ENTRY_SIZE, eb);
	if (!p)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *ent = p + i * MB_MMAP_ENTRY_SIZE;
		put_le32(ent, MB_MMAP_ENTRY_SIZE - 4);
		put_le64(ent + 4, map[i].addr);
		put_le64(ent + 12, map[i].size);
		put_le32(ent + 20, map[i].type);
	}
	put_le32(mbi + MBI_MMAP_ADDR, (uint32_t)MB_MMAP_ADDR);
	put_le32(mbi + MBI_MMAP_LENGTH, n * MB_MMAP_ENTRY_SIZE);
	put_memory(mbi, map, n);
	return 0;
}

static int put_module(struct guest_mem *gm, const struct boot_images *in, uint8_t *mbi,
		      uint64_t kernel_end, struct errbuf *eb)
{
	uint64_t addr;
	/* Never below 1 MiB: the legacy area holds the ACPI tables. */
	if (kernel_end < HIGH_MEM_START)
		kernel_end = HIGH_MEM_START;
	if (boot_put_initrd(gm, in, kernel_end, GM_LOW_RAM_END, 0, &addr, eb) < 0)
		return -1;
	const char *s = boot_initrd_name(in);
	const char *slash = strrchr(s, '/');
	if (slash)
		s = slash + 1;
	size_t slen = strnlen(s, MB_MOD_STRING_MAX);
	uint8_t *str = boot_info_area(gm, in, MB_MOD_STRING_ADDR, slen + 1, eb);
	uint8_t *mod = boot_info_area(gm, in, MB_MODS_ADDR, MB_MOD_ENTRY_SIZE, eb);
	if (!str || !mod)
		return -1;
	memcpy(str, s, slen);
	put_le32(mod, (uint32_t)addr);
	put_le32(mod + 4, (uint32_t)(addr + in->initrd_size));
	put_le32(mod + 8, (uint32_t)MB_MOD_STRING_ADDR);
	put_le32(mbi + MBI_MODS_COUNT, 1);
	put_le32(mbi + MBI_MODS_ADDR, (uint32_t)MB_MODS_ADDR);
	return 0;
}

int multiboot_load(struct guest_mem *gm, const struct boot_images *in, struct boot_state *out,
		   struct errbuf *eb)
{
	const char *name = boot_kernel_name(in);
	long found = find_header(in->kernel, in->kernel_size);
	if (found < 0)
		return errbuf_set(eb, "%s: no Multiboot header in the first 8 KiB", name);
	size_t off = (size_t)found;
	const uint8_t *h = in->kernel + off;
	uint32_t flags = get_le32(h + 4);
	if (MB_MAGIC + flags + get_le32(h + 8) != 0)
		return errbuf_set(eb, "%s: Multiboot header at offset 0x%zx has a bad checksum",
				  name, off);
	if (flags & MB_FLAG_VIDEO_MODE)
		return errbuf_set(eb,
				  "%s: Multiboot header requires video mode information (flag 2), "
				  "which vslice does not provide",
				  name);
	if (flags & MB_REQUIRED_MASK & ~MB_SUPPORTED_REQUIRED)
		return errbuf_set(eb,
				  "%s: Multiboot header requires unsupported features (flags 0x%x)",
				  name, flags & MB_REQUIRED_MASK & ~MB_SUPPORTED_REQUIRED);

	uint64_t entry = 0, end = 0;
	if (flags & MB_FLAG_ADDRESS) {
		if (off + MB_HDR_ADDR_SIZE > in->kernel_size ||
		    off + MB_HDR_ADDR_SIZE > MB_SEARCH_LIMIT)
			return errbuf_set(
			    eb, "%s: Multiboot header address fields run past %s", name,
			    off + MB_HDR_ADDR_SIZE > in->kernel_size ? "the end of the file"
								     : "the first 8 KiB");
		if (load_by_address(gm, in, off, &entry, &end, eb) < 0)
			return -1;
	} else if (load_elf(gm, in, &entry, &end, eb) < 0) {
		return -1;
	}

	if (boot_put_cmdline(gm, in, BOOT_CMDLINE_MAX - 1, eb) < 0)
		return -1;
	uint8_t *mbi = boot_info_area(gm, in, BOOT_INFO_ADDR, MBI_SIZE, eb);
	if (!mbi)
		return -1;
	uint32_t info = MBI_MEMORY | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME;
	put_le32(mbi + MBI_CMDLINE_PTR, (uint32_t)BOOT_CMDLINE_ADDR);
	if (put_mmap(gm, in, mbi, eb) < 0)
		return -1;
	uint8_t *lname = boot_info_area(gm, in, MB_LOADER_NAME_ADDR, sizeof(MB_LOADER_NAME), eb);
	if (!lname)
		return -1;
	memcpy(lname, MB_LOADER_NAME, sizeof(MB_LOADER_NAME));
	put_le32(mbi + MBI_LOADER_NAME_PTR, (uint32_t)MB_LOADER_NAME_ADDR);
	if (in->initrd) {
		if (put_module(gm, in, mbi, end, eb) < 0)
			return -1;
		info |= MBI_MODS;
	}
	put_le32(mbi + MBI_FLAGS, info);

	memset(out, 0, sizeof(*out));
	out->mode = BOOT_MODE_PROT32;
	out->entry = entry;
	out->rax = MB_BOOT_MAGIC;
	out->rbx = BOOT_INFO_ADDR;
	out->format = "Multiboot";
	return 0;
}
