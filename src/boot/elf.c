/* ELF kernel loader. With a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)
 * the kernel starts in 32-bit protected mode with %ebx pointing at a
 * struct hvm_start_info (Xen public arch-x86/hvm/start_info.h, version 1:
 * command line, initrd module, memory map, RSDP). Without it an ELF64
 * kernel is entered at its e_entry in 64-bit mode with no boot data. */
#include <string.h>

#include "boot_common.h"
#include "elf_image.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* struct hvm_start_info */
#define HVM_START_MAGIC 0x336ec578U
#define HVM_START_VERSION 1
#define HSI_MAGIC 0
#define HSI_VERSION 4
#define HSI_FLAGS 8
#define HSI_NR_MODULES 12
#define HSI_MODLIST_PADDR 16
#define HSI_CMDLINE_PADDR 24
#define HSI_RSDP_PADDR 32
#define HSI_MEMMAP_PADDR 40
#define HSI_MEMMAP_ENTRIES 48
#define HSI_SIZE 56
/* struct hvm_modlist_entry and struct hvm_memmap_table_entry */
#define HVM_MOD_ENTRY_SIZE 32
#define HVM_MEMMAP_ENTRY_SIZE 24

#define PVH_MEMMAP_ADDR BOOT_INFO_EXTRA
#define PVH_MODLIST_ADDR (BOOT_INFO_EXTRA + 0x400)
#define HIGH_MEM_START 0x100000ULL

int elf_probe(const uint8_t *img, size_t size)
{
	return elf_image_is_elf(img, size);
}

/* The PVH entry from the note; 1 if there is one, 0 if not, -1 if bad. */
static int pvh_entry(const struct elf_image *e, const char *name, uint64_t *entry,
		     struct errbuf *eb)
{
	const uint8_t *desc;
	uint32_t descsz;
	if (!elf_image_find_note(e, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &desc, &descsz))
		return 0;
	if (descsz == 4)
		*entry = get_le32(desc);
	else if (descsz == 8)
		*entry = get_le64(desc);
	else
		return errbuf_set(eb, "%s: PVH entry note has a %u-byte value (want 4 or 8)", name,
				  descsz);
	if (*entry >= GM_HIGH_RAM_START)
		return errbuf_set(eb, "%s: PVH entry point 0x%llx is above 4 GiB", name,
				  (unsigned long long)*entry);
	return 1;
}

static int put_memmap(struct guest_mem *gm, const struct boot_images *in, uint8_t *si,
		      struct errbuf *eb)
{
	struct e820_entry map[E820_MAX];
	unsigned n = gm_e820(gm, map, E820_MAX);
	uint8_t *p =
	    boot_info_area(gm, in, PVH_MEMMAP_ADDR, (uint64_t)n * HVM_MEMMAP_ENTRY_SIZE, eb);
	if (!p)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *ent = p + i * HVM_MEMMAP_ENTRY_SIZE;
		put_le64(ent, map[i].addr);
		put_le64(ent + 8, map[i].size);
		put_le32(ent + 16, map[i].type);
	}
	put_le64(si + HSI_MEMMAP_PADDR, PVH_MEMMAP_ADDR);
	put_le32(si + HSI_MEMMAP_ENTRIES, n);
	return 0;
}

static int load_pvh(struct guest_mem *gm, const struct boot_images *in, uint64_t entry,
		    uint64_t kernel_end, struct boot_state *out, struct errbuf *eb)
{
	if (boot_put_cmdline(gm, in, BOOT_CMDLINE_MAX - 1, eb) < 0)
		return -1;
	uint8_t *si = boot_info_area(gm, in, BOOT_INFO_ADDR, HSI_SIZE, eb);
	if (!si)
		return -1;
	put_le32(si + HSI_MAGIC, HVM_START_MAGIC);
	put_le32(si + HSI_VERSION, HVM_START_VERSION);
	put_le64(si + HSI_CMDLINE_PADDR, BOOT_CMDLINE_ADDR);
	put_le64(si + HSI_RSDP_PADDR, in->acpi_rsdp);
	if (put_memmap(gm, in, si, eb) < 0)
		return -1;
	if (in->initrd) {
		uint64_t addr;
		if (kernel_end < HIGH_MEM_START)
			kernel_end = HIGH_MEM_START;
		if (boot_put_initrd(gm, in, kernel_end, GM_LOW_RAM_END, 1, &addr, eb) < 0)
			return -1;
		uint8_t *mod = boot_info_area(gm, in, PVH_MODLIST_ADDR, HVM_MOD_ENTRY_SIZE, eb);
		if (!mod)
			return -1;
		put_le64(mod, addr);
		put_le64(mod + 8, in->initrd_size);
		put_le32(si + HSI_NR_MODULES, 1);
		put_le64(si + HSI_MODLIST_PADDR, PVH_MODLIST_ADDR);
	}
	memset(out, 0, sizeof(*out));
	out->mode = BOOT_MODE_PROT32;
	out->entry = entry;
	out->rbx = BOOT_INFO_ADDR;
	out->format = "PVH";
	return 0;
}

int elf_load(struct guest_mem *gm, const struct boot_images *in, struct boot_state *out,
	     struct errbuf *eb)
{
	const char *name = boot_kernel_name(in);
	struct elf_image e;
	uint64_t entry = 0, end = 0;

	if (elf_image_parse(&e, in->kernel, in->kernel_size, name, eb) < 0)
		return -1;
	int pvh = pvh_entry(&e, name, &entry, eb);
	if (pvh < 0)
		return -1;
	if (!pvh && !e.is64)
		return errbuf_set(eb, "%s: 32-bit ELF without Multiboot header or PVH note", name);
	if (!pvh && in->initrd)
		return errbuf_set(eb,
				  "%s: ELF64 kernel without PVH note cannot receive initrd %s: "
				  "drop --initrd or use a PVH/bzImage kernel",
				  name, boot_initrd_name(in));
	if (elf_image_load(&e, gm, in, &end, eb) < 0)
		return -1;
	if (pvh)
		return load_pvh(gm, in, entry, end, out, eb);

	if (elf_image_entry(&e, name, &entry, eb) < 0)
		return -1;
	if (entry >= GM_HIGH_RAM_START)
		return errbuf_set(
		    eb, "%s: ELF entry point 0x%llx is not in the identity-mapped first 4 GiB",
		    name, (unsigned long long)entry);
	memset(out, 0, sizeof(*out));
	out->mode = BOOT_MODE_LONG64;
	out->entry = entry;
	out->format = "ELF64";
	return 0;
}
