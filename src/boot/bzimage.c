/* Linux x86 bzImage loader (Documentation/arch/x86/boot.rst). Builds the
 * zero page (struct boot_params) with the e820 map, command line and initrd.
 * Fast path: when the compressed payload (protocol >= 2.08) decompresses on
 * the host to an ELF64 vmlinux linked where the kernel would run anyway, its
 * PT_LOAD segments are loaded at their physical addresses and the kernel is
 * entered at its startup_64 (ELF e_entry, physical) in 64-bit mode with
 * %rsi pointing at the zero page, as the kernel's own decompressor would
 * hand over; KASLR is then off (KASLR_FLAG stays clear). Otherwise the
 * protected-mode kernel is loaded at 1 MiB and entered at load address +
 * 0x200, its 64-bit entry, and decompresses itself. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot_common.h"
#include "bzimage_payload.h"
#include "elf_image.h"
#include "vslice/log.h"

/* Setup header fields: offsets in the image and in the zero page. */
#define HDR_START 0x1f1
#define HDR_SETUP_SECTS 0x1f1
#define HDR_SYSSIZE 0x1f4
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PAYLOAD_OFFSET 0x248
#define HDR_PAYLOAD_LENGTH 0x24c
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
/* struct boot_params: the setup header ends before edd_mbr_sig_buffer. */
#define ZP_SIZE 0x1000
#define ZP_ACPI_RSDP_ADDR 0x070
#define ZP_E820_ENTRIES 0x1e8
#define ZP_HDR_END 0x290
#define ZP_E820_TABLE 0x2d0
#define ZP_E820_MAX 128
#define E820_ENTRY_SIZE 20

#define BOOT_FLAG_MAGIC 0xaa55
#define HDRS_MAGIC 0x53726448 /* "HdrS" */
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01
#define LOADER_TYPE_UNDEFINED 0xff
#define HEAP_END 0xfe00 /* heap_end_ptr: setup heap up to 0x10000 - 0x200 */
#define ENTRY64_OFFSET 0x200
#define DEFAULT_INITRD_ADDR_MAX 0x37ffffffULL

/* What the header says, after checking it against the file. */
struct bz_layout {
	unsigned version;
	uint64_t setup_size;  /* real-mode part: (setup_sects + 1) * 512 */
	uint64_t kernel_size; /* protected-mode part to load */
	uint64_t start;	      /* where the kernel runs after decompression */
	uint64_t init_size;   /* bytes it needs there while booting */
	uint64_t payload_off; /* compressed payload in the protected-mode part */
	uint64_t payload_len; /* 0 if the header has none (before 2.08) */
	uint64_t kernel_end;  /* end of the memory the kernel uses while booting */
	uint64_t initrd_max;  /* last byte the initrd may occupy */
	uint64_t cmdline_max; /* longest command line, without NUL */
};

int bzimage_probe(const uint8_t *img, size_t size)
{
	return img && size >= HDR_MAGIC + 4 && get_le16(img + HDR_BOOT_FLAG) == BOOT_FLAG_MAGIC &&
	       get_le32(img + HDR_MAGIC) == HDRS_MAGIC;
}

/* Where the kernel runs while it decompresses (boot.rst, init_size). */
static int runtime_start(const uint8_t *img, unsigned version, uint64_t load, const char *name,
			 uint64_t *start, struct errbuf *eb)
{
	if (version < 0x20a) {
		*start = load;
		return 0;
	}
	uint64_t pref = get_le64(img + HDR_PREF_ADDRESS);
	if (!img[HDR_RELOCATABLE]) {
		*start = pref ? pref : load;
		return 0;
	}
	uint64_t align = get_le32(img + HDR_KERNEL_ALIGNMENT);
	if (align == 0)
		align = 1;
	if (align & (align - 1))
		return errbuf_set(eb, "%s: kernel_alignment 0x%llx is not a power of two", name,
				  (unsigned long long)align);
	uint64_t s = (load + align - 1) & ~(align - 1);
	*start = s < pref ? pref : s;
	return 0;
}

static int check_header(const struct guest_mem *gm, const struct boot_images *in,
			struct bz_layout *l, struct errbuf *eb)
{
	const uint8_t *img = in->kernel;
	size_t size = in->kernel_size;
	const char *name = boot_kernel_name(in);

	if (size < HDR_VERSION + 2)
		return errbuf_set(eb, "%s: truncated bzImage header (%zu bytes)", name, size);
	l->version = get_le16(img + HDR_VERSION);
	if (l->version < 0x206)
		return errbuf_set(
		    eb, "%s: boot protocol %u.%02u is older than 2.06: use a newer kernel", name,
		    l->version >> 8, l->version & 0xff);
	unsigned sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	l->setup_size = ((uint64_t)sects + 1) * 512;
	if (l->setup_size >= size)
		return errbuf_set(eb,
				  "%s: truncated bzImage: setup code is %llu bytes, file is %zu",
				  name, (unsigned long long)l->setup_size, size);
	/* From here every header field (all below 0x290) is inside the file. */
	if (!(img[HDR_LOADFLAGS] & LOADED_HIGH))
		return errbuf_set(
		    eb, "%s: zImage (loaded low) kernels are not supported: use a bzImage", name);
	if (!(get_le16(img + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return errbuf_set(eb,
				  "%s: kernel has no 64-bit entry point (boot protocol %u.%02u, "
				  "XLF_KERNEL_64 clear): use a 64-bit kernel",
				  name, l->version >> 8, l->version & 0xff);

	uint64_t avail = size - l->setup_size;
	uint64_t sys = (uint64_t)get_le32(img + HDR_SYSSIZE) * 16;
	if (sys == 0 || sys > avail + 15)
		return errbuf_set(
		    eb, "%s: truncated bzImage: header says %llu bytes of kernel, file has %llu",
		    name, (unsigned long long)sys, (unsigned long long)avail);
	l->kernel_size = sys < avail ? sys : avail;
	uint64_t poff = get_le32(img + HDR_PAYLOAD_OFFSET);
	uint64_t plen = get_le32(img + HDR_PAYLOAD_LENGTH);
	if (l->version >= 0x208 && (poff > l->kernel_size || plen > l->kernel_size - poff))
		return errbuf_set(
		    eb, "%s: compressed payload 0x%llx+0x%llx lies outside the %llu-byte kernel",
		    name, (unsigned long long)poff, (unsigned long long)plen,
		    (unsigned long long)l->kernel_size);
	if (l->version >= 0x208) {
		l->payload_off = poff;
		l->payload_len = plen;
	}

	uint64_t start = 0;
	if (runtime_start(img, l->version, BOOT_KERNEL_ADDR, name, &start, eb) < 0)
		return -1;
	uint64_t init_size = l->version >= 0x20a ? get_le32(img + HDR_INIT_SIZE) : 0;
	l->kernel_end = BOOT_KERNEL_ADDR + l->kernel_size;
	if (start >= GM_LOW_RAM_END || init_size > GM_LOW_RAM_END - start)
		return errbuf_set(
		    eb, "%s: kernel wants 0x%llx bytes at 0x%llx, beyond the 32-bit RAM limit",
		    name, (unsigned long long)init_size, (unsigned long long)start);
	if (start + init_size > l->kernel_end)
		l->kernel_end = start + init_size;
	l->start = start;
	l->init_size = init_size;
	uint64_t ram_end = gm_low_ram_end(gm);
	if (l->kernel_end > ram_end)
		return errbuf_set(eb,
				  "%s: kernel needs guest RAM up to 0x%llx (%llu MiB) but there "
				  "are %llu MiB: use more --memory",
				  name, (unsigned long long)l->kernel_end, boot_mib(l->kernel_end),
				  boot_mib(gm->ram_size));

	l->initrd_max = get_le32(img + HDR_INITRD_ADDR_MAX);
	if (l->initrd_max == 0)
		l->initrd_max = DEFAULT_INITRD_ADDR_MAX;
	l->cmdline_max = get_le32(img + HDR_CMDLINE_SIZE);
	return 0;
}

static void put_e820(const struct guest_mem *gm, uint8_t *zp)
{
	struct e820_entry map[E820_MAX];
	unsigned n = gm_e820(gm, map, E820_MAX);
	for (unsigned i = 0; i < n && i < ZP_E820_MAX; i++) {
		uint8_t *ent = zp + ZP_E820_TABLE + i * E820_ENTRY_SIZE;
		put_le64(ent, map[i].addr);
		put_le64(ent + 8, map[i].size);
		put_le32(ent + 16, map[i].type);
	}
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
}

/* The physical entry of a vmlinux: x86-64 links e_entry as the physical
 * address of startup_64; a virtual e_entry is translated through its
 * segment. */
static int vmlinux_entry(const struct elf_image *e, const char *name, uint64_t *entry,
			 struct errbuf *eb)
{
	struct elf_phdr ph;
	for (unsigned i = 0; i < e->phnum; i++) {
		elf_image_phdr(e, i, &ph);
		if (ph.type == ELF_PT_LOAD && e->entry >= ph.paddr &&
		    e->entry - ph.paddr < ph.memsz) {
			*entry = e->entry;
			return 0;
		}
	}
	if (elf_image_entry(e, name, entry, eb) < 0)
		return -1;
	if (*entry >= GM_HIGH_RAM_START)
		return errbuf_set(eb, "%s: entry 0x%llx is above 4 GiB", name,
				  (unsigned long long)*entry);
	return 0;
}

/* Loads the decompressed vmlinux elf[0..len) if it is an ELF64 executable
 * linked at the address the kernel would run at (l->start): with no
 * relocation to apply, its segments go to their p_paddr. Returns 0, or -1
 * with the reason in eb (then nothing is written to guest RAM, *entry and
 * *l are unchanged). */
static int place_vmlinux(struct guest_mem *gm, const struct boot_images *in,
			 struct bz_layout *l, const uint8_t *elf, size_t len, uint64_t *entry,
			 struct errbuf *eb)
{
	const char *name = "vmlinux";
	struct elf_image e;
	if (elf_image_parse(&e, elf, len, name, eb) < 0)
		return -1;
	if (!e.is64)
		return errbuf_set(eb, "vmlinux is a 32-bit ELF file");
	struct elf_phdr ph;
	uint64_t low = UINT64_MAX;
	for (unsigned i = 0; i < e.phnum; i++) {
		elf_image_phdr(&e, i, &ph);
		if (ph.type == ELF_PT_LOAD && ph.memsz && ph.paddr < low)
			low = ph.paddr;
	}
	if (low == UINT64_MAX)
		return errbuf_set(eb, "vmlinux has no loadable segments");
	if (low != l->start)
		return errbuf_set(eb,
				  "vmlinux is linked at 0x%llx but the kernel runs at 0x%llx: "
				  "it needs relocating",
				  (unsigned long long)low, (unsigned long long)l->start);
	uint64_t start64 = 0;
	if (vmlinux_entry(&e, name, &start64, eb) < 0)
		return -1;
	/* elf_image_load checks every segment before it writes any. */
	struct boot_images vin = *in;
	vin.kernel_name = name;
	uint64_t end = 0;
	if (elf_image_load(&e, gm, &vin, &end, eb) < 0)
		return -1;
	uint64_t kernel_end = l->start + l->init_size; /* checked in check_header */
	if (end > kernel_end)
		kernel_end = end;
	l->kernel_end = (kernel_end + BOOT_PAGE_SIZE - 1) & ~(BOOT_PAGE_SIZE - 1);
	*entry = start64;
	return 0;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Tries the fast path. Returns 1 if the vmlinux is loaded (*entry and
 * l->kernel_end set), 0 to fall back on the compressed kernel (the reason
 * is logged), -1 to refuse the image (message in eb). */
static int load_vmlinux(struct guest_mem *gm, const struct boot_images *in, struct bz_layout *l,
			uint64_t *entry, struct errbuf *eb)
{
	const char *name = boot_kernel_name(in);
	if (l->payload_len == 0) {
		log_info("%s: bzImage names no compressed payload (boot protocol %u.%02u): the "
			 "kernel decompresses itself",
			 name, l->version >> 8, l->version & 0xff);
		return 0;
	}
	const uint8_t *payload = in->kernel + l->setup_size + l->payload_off;
	const char *fmt = bzp_format_name(bzp_detect(payload, l->payload_len));
	uint64_t limit = gm->ram_size < BZP_MAX_OUTPUT ? gm->ram_size : BZP_MAX_OUTPUT;
	struct errbuf why = {{0}};
	uint8_t *elf = NULL;
	size_t elf_len = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	switch (bzp_decompress(payload, l->payload_len, limit, &elf, &elf_len, &why)) {
	case BZP_OK:
		break;
	case BZP_TOO_BIG:
		if (limit < BZP_MAX_OUTPUT)
			return errbuf_set(eb, "%s: %s, the guest RAM size: use more --memory", name,
					  why.msg);
		return errbuf_set(eb, "%s: %s, the host limit: refusing the image", name,
				  why.msg);
	case BZP_UNSUPPORTED:
		log_info("%s: bzImage payload: %s; the kernel decompresses itself", name,
			 why.msg);
		return 0;
	default:
		log_warn("%s: bzImage payload: %s; falling back to the kernel's own decompressor",
			 name, why.msg);
		return 0;
	}
	double secs = seconds_since(&t0);
	int ret = place_vmlinux(gm, in, l, elf, elf_len, entry, &why);
	free(elf);
	if (ret < 0) {
		log_warn("%s: bzImage payload (%s): %s; falling back to the kernel's own "
			 "decompressor",
			 name, fmt, why.msg);
		return 0;
	}
	log_info("%s: bzImage payload %s %.1f MiB -> vmlinux %.1f MiB in %.2f s, entering "
		 "startup_64 at 0x%llx (kernel's decompressor skipped, KASLR off)",
		 name, fmt, (double)l->payload_len / (1 << 20), (double)elf_len / (1 << 20), secs,
		 (unsigned long long)*entry);
	return 1;
}

int bzimage_load(struct guest_mem *gm, const struct boot_images *in, struct boot_state *out,
		 struct errbuf *eb)
{
	const char *name = boot_kernel_name(in);
	struct bz_layout l = {0};

	if (!bzimage_probe(in->kernel, in->kernel_size))
		return errbuf_set(eb, "%s: not a bzImage (no HdrS header)", name);
	if (check_header(gm, in, &l, eb) < 0)
		return -1;
	if (boot_put_cmdline(gm, in, l.cmdline_max, eb) < 0)
		return -1;
	uint8_t *zp = boot_info_area(gm, in, BOOT_INFO_ADDR, ZP_SIZE, eb);
	if (!zp)
		return -1;
	uint64_t entry = BOOT_KERNEL_ADDR + ENTRY64_OFFSET;
	int fast = load_vmlinux(gm, in, &l, &entry, eb);
	if (fast < 0)
		return -1;
	if (!fast &&
	    gm_write(gm, BOOT_KERNEL_ADDR, in->kernel + l.setup_size, l.kernel_size) < 0)
		return errbuf_set(
		    eb, "%s: kernel (%llu MiB) does not fit in guest RAM: use more --memory", name,
		    boot_mib(l.kernel_size));

	/* The setup header goes to the zero page as is, then we fill in
	 * the loader's fields. It ends at 0x202 + the jump's offset byte. */
	uint64_t hdr_end = HDR_MAGIC + (uint64_t)in->kernel[HDR_JUMP + 1];
	if (hdr_end > ZP_HDR_END)
		hdr_end = ZP_HDR_END;
	memcpy(zp + HDR_START, in->kernel + HDR_START, hdr_end - HDR_START);
	zp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
	zp[HDR_LOADFLAGS] |= LOADED_HIGH | CAN_USE_HEAP;
	put_le16(zp + HDR_HEAP_END_PTR, HEAP_END);
	put_le32(zp + HDR_CODE32_START, (uint32_t)BOOT_KERNEL_ADDR);
	put_le32(zp + HDR_CMD_LINE_PTR, (uint32_t)BOOT_CMDLINE_ADDR);
	put_le32(zp + HDR_RAMDISK_IMAGE, 0);
	put_le32(zp + HDR_RAMDISK_SIZE, 0);
	if (in->initrd) {
		uint64_t addr;
		if (boot_put_initrd(gm, in, l.kernel_end, l.initrd_max + 1, 1, &addr, eb) < 0)
			return -1;
		put_le32(zp + HDR_RAMDISK_IMAGE, (uint32_t)addr);
		put_le32(zp + HDR_RAMDISK_SIZE, (uint32_t)in->initrd_size);
	}
	if (l.version >= 0x20e)
		put_le64(zp + ZP_ACPI_RSDP_ADDR, in->acpi_rsdp);
	put_e820(gm, zp);

	memset(out, 0, sizeof(*out));
	out->mode = BOOT_MODE_LONG64;
	out->entry = entry;
	out->rsi = BOOT_INFO_ADDR;
	out->format = "bzImage";
	return 0;
}
