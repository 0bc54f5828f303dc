/* Unit tests for the bzImage fast path: synthetic bzImages whose payload is
 * a tiny ELF64 "vmlinux" compressed here with zlib, liblzma, libzstd and
 * liblz4 (as the kernel build does, with the decompressed size appended).
 * Checks the segments, entry and zero page of the fast path, and that bad
 * payloads fall back to the compressed kernel (with a message) or, when too
 * big, are refused. */
#include <lz4.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "unit.h"
#include "../../src/boot/bzimage_payload.h"
#include "vslice/boot.h"
#include "vslice/log.h"

#define RAM_SIZE (32ULL << 20)
#define SETUP_SECTS 4
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define PAYLOAD_OFF 0x200
#define KERNEL_START 0x1000000ULL /* pref_address and the ELF's p_paddr */
#define INIT_SIZE 0x800000ULL
/* The tiny vmlinux: a text segment with bss, a note, a percpu-like
 * segment (vaddr 0), then fake relocations after the ELF data. */
#define ELF_SIZE 0x3900
#define SEG0_OFF 0x1000
#define SEG0_FILESZ 0x2000
#define SEG0_MEMSZ 0x3000
#define SEG0_VADDR 0xffffffff81000000ULL
#define SEG1_OFF 0x3000
#define SEG1_PADDR 0x1400000ULL
#define SEG1_SIZE 0x800

struct fixture {
	uint8_t *ram;
	struct guest_mem gm;
	uint8_t elf[ELF_SIZE];
	uint8_t *img;
	size_t img_size;
	struct boot_images in;
	struct boot_state bs;
	struct errbuf eb;
	char log[4096]; /* what the loader logged during the last load() */
};

static void put_phdr(uint8_t *ph, uint32_t type, uint64_t off, uint64_t vaddr, uint64_t paddr,
		     uint64_t filesz, uint64_t memsz)
{
	w32(ph, type);
	w32(ph + 4, 7);
	w64(ph + 8, off);
	w64(ph + 16, vaddr);
	w64(ph + 24, paddr);
	w64(ph + 32, filesz);
	w64(ph + 40, memsz);
	w64(ph + 48, 0x200000);
}

static void make_elf(uint8_t *e, uint64_t entry)
{
	memset(e, 0, ELF_SIZE);
	memcpy(e, "\x7f" "ELF", 4);
	e[4] = 2; /* ELFCLASS64 */
	e[5] = 1; /* little-endian */
	e[6] = 1;
	w16(e + 16, 2);	 /* ET_EXEC */
	w16(e + 18, 62); /* x86-64 */
	w32(e + 20, 1);
	w64(e + 24, entry);
	w64(e + 32, 64); /* phoff */
	w16(e + 52, 64);
	w16(e + 54, 56); /* phentsize */
	w16(e + 56, 3);	 /* phnum */
	put_phdr(e + 64, 1, SEG0_OFF, SEG0_VADDR, KERNEL_START, SEG0_FILESZ, SEG0_MEMSZ);
	put_phdr(e + 120, 4, SEG0_OFF + 0x10, SEG0_VADDR + 0x10, KERNEL_START + 0x10, 0x20,
		 0x20);
	put_phdr(e + 176, 1, SEG1_OFF, 0, SEG1_PADDR, SEG1_SIZE, SEG1_SIZE);
	for (size_t i = SEG0_OFF; i < ELF_SIZE; i++)
		e[i] = (uint8_t)(i * 13 + (i >> 8) + 1);
}

/* --- Compressors, as the kernel build uses them ------------------------ */

static uint8_t *append_size(uint8_t *buf, size_t *len, size_t raw_len)
{
	buf = realloc(buf, *len + 4);
	w32(buf + *len, (uint32_t)raw_len);
	*len += 4;
	return buf;
}

static uint8_t *gzip_compress(const uint8_t *src, size_t n, size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY),
			 Z_OK);
	size_t cap = deflateBound(&zs, n);
	uint8_t *out = malloc(cap);
	zs.next_in = (Bytef *)(uintptr_t)src;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	return out; /* gzip carries its own size (ISIZE) */
}

/* xz with the x86 BCJ filter and CRC32, like the kernel's xzkern. */
static uint8_t *xz_compress(const uint8_t *src, size_t n, size_t *out_len)
{
	lzma_options_lzma opt;
	assert_false(lzma_lzma_preset(&opt, 6));
	lzma_filter filters[] = {
	    {.id = LZMA_FILTER_X86, .options = NULL},
	    {.id = LZMA_FILTER_LZMA2, .options = &opt},
	    {.id = LZMA_VLI_UNKNOWN, .options = NULL},
	};
	size_t cap = lzma_stream_buffer_bound(n);
	uint8_t *out = malloc(cap);
	*out_len = 0;
	assert_int_equal(
	    lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL, src, n, out, out_len, cap),
	    LZMA_OK);
	return append_size(out, out_len, n);
}

static uint8_t *lzma_compress(const uint8_t *src, size_t n, size_t *out_len)
{
	lzma_options_lzma opt;
	assert_false(lzma_lzma_preset(&opt, 6));
	lzma_stream strm = LZMA_STREAM_INIT;
	assert_int_equal(lzma_alone_encoder(&strm, &opt), LZMA_OK);
	size_t cap = n + n / 2 + 4096;
	uint8_t *out = malloc(cap);
	strm.next_in = src;
	strm.avail_in = n;
	strm.next_out = out;
	strm.avail_out = cap;
	assert_int_equal(lzma_code(&strm, LZMA_FINISH), LZMA_STREAM_END);
	*out_len = strm.total_out;
	lzma_end(&strm);
	return append_size(out, out_len, n);
}

static uint8_t *zstd_compress(const uint8_t *src, size_t n, size_t *out_len)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *out = malloc(cap);
	*out_len = ZSTD_compress(out, cap, src, n, 19);
	assert_false(ZSTD_isError(*out_len));
	return append_size(out, out_len, n);
}

/* LZ4 legacy frame (lz4 -l): magic, then (le32 size, block) per 8 MiB. */
static uint8_t *lz4_compress(const uint8_t *src, size_t n, size_t *out_len)
{
	const size_t block = 8 << 20;
	size_t cap = 4 + (n / block + 1) * (4 + (size_t)LZ4_compressBound((int)block));
	uint8_t *out = malloc(cap);
	w32(out, 0x184c2102);
	size_t len = 4;
	for (size_t pos = 0; pos < n; pos += block) {
		size_t chunk = n - pos < block ? n - pos : block;
		int c = LZ4_compress_default((const char *)src + pos, (char *)out + len + 4,
					     (int)chunk, LZ4_compressBound((int)block));
		assert_true(c > 0);
		w32(out + len, (uint32_t)c);
		len += 4 + (size_t)c;
	}
	*out_len = len;
	return append_size(out, out_len, n);
}

typedef uint8_t *(*compress_fn)(const uint8_t *, size_t, size_t *);

/* --- Images and loading --------------------------------------------- */

/* A protocol 2.15 bzImage whose protected-mode part is a 0x200-byte stub
 * followed by the payload. */
static void make_bzimage(struct fixture *f, const uint8_t *payload, size_t plen)
{
	size_t kernel = PAYLOAD_OFF + plen;
	free(f->img);
	f->img_size = SETUP_SIZE + kernel;
	f->img = calloc(1, f->img_size);
	uint8_t *img = f->img;
	img[0x1f1] = SETUP_SECTS;
	w32(img + 0x1f4, (uint32_t)((kernel + 15) / 16)); /* syssize */
	w16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x66;
	memcpy(img + 0x202, "HdrS", 4);
	w16(img + 0x206, 0x20f);
	img[0x211] = 0x01;	      /* LOADED_HIGH */
	w32(img + 0x22c, 0x7fffffff); /* initrd_addr_max */
	w32(img + 0x230, 0x200000);   /* kernel_alignment */
	img[0x234] = 1;		      /* relocatable */
	w16(img + 0x236, 0x0001);     /* XLF_KERNEL_64 */
	w32(img + 0x238, 255);	      /* cmdline_size */
	w32(img + 0x248, PAYLOAD_OFF);
	w32(img + 0x24c, (uint32_t)plen);
	w64(img + 0x258, KERNEL_START); /* pref_address */
	w32(img + 0x260, (uint32_t)INIT_SIZE);
	for (size_t i = 0; i < PAYLOAD_OFF; i++)
		img[SETUP_SIZE + i] = (uint8_t)(0x90 + i);
	memcpy(img + SETUP_SIZE + PAYLOAD_OFF, payload, plen);
	f->in.kernel = f->img;
	f->in.kernel_size = f->img_size;
}

static void make_compressed(struct fixture *f, compress_fn fn)
{
	size_t plen;
	uint8_t *p = fn(f->elf, ELF_SIZE, &plen);
	make_bzimage(f, p, plen);
	free(p);
}

/* bzimage_load with the loader's stderr lines captured into f->log. */
static int load(struct fixture *f)
{
	fflush(stderr);
	FILE *tmp = tmpfile();
	int saved = dup(2);
	dup2(fileno(tmp), 2);
	memset(&f->eb, 0, sizeof(f->eb));
	int r = bzimage_load(&f->gm, &f->in, &f->bs, &f->eb);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(f->log, 1, sizeof(f->log) - 1, tmp);
	f->log[n] = 0;
	fclose(tmp);
	return r;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ram = malloc(RAM_SIZE);
	memset(f->ram, 0xcc, RAM_SIZE);
	guest_mem_init_buffer(&f->gm, f->ram, RAM_SIZE);
	make_elf(f->elf, KERNEL_START);
	f->in.kernel_name = "bzImage-test";
	f->in.cmdline = "console=ttyS0 nokaslr";
	f->in.acpi_rsdp = 0xe0000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->img);
	free(f->ram);
	free(f);
	return 0;
}

/* The fast path's result: vmlinux segments at p_paddr, entry at
 * startup_64, the compressed kernel not loaded, the usual zero page. */
static void check_fast_path(struct fixture *f, const char *fmt)
{
	assert_int_equal(f->bs.mode, BOOT_MODE_LONG64);
	assert_int_equal(f->bs.entry, KERNEL_START);
	assert_int_equal(f->bs.rsi, BOOT_INFO_ADDR);
	assert_int_equal(f->bs.rbx, 0);
	assert_string_equal(f->bs.format, "bzImage");
	assert_memory_equal(f->ram + KERNEL_START, f->elf + SEG0_OFF, SEG0_FILESZ);
	for (uint64_t a = KERNEL_START + SEG0_FILESZ; a < KERNEL_START + SEG0_MEMSZ; a++)
		assert_int_equal(f->ram[a], 0); /* bss */
	assert_int_equal(f->ram[KERNEL_START + SEG0_MEMSZ], 0xcc);
	assert_memory_equal(f->ram + SEG1_PADDR, f->elf + SEG1_OFF, SEG1_SIZE);
	assert_int_equal(f->ram[SEG1_PADDR + SEG1_SIZE], 0xcc);
	assert_int_equal(f->ram[0x100000], 0xcc); /* no compressed kernel at 1 MiB */
	assert_int_equal(f->ram[0x100000 + PAYLOAD_OFF], 0xcc);

	const uint8_t *zp = f->ram + BOOT_INFO_ADDR;
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(r32(zp + 0x260), INIT_SIZE);
	assert_int_equal(zp[0x210], 0xff); /* type_of_loader */
	assert_int_equal(zp[0x211], 0x81); /* LOADED_HIGH | CAN_USE_HEAP, no KASLR_FLAG */
	assert_int_equal(r32(zp + 0x228), BOOT_CMDLINE_ADDR);
	assert_string_equal((char *)f->ram + BOOT_CMDLINE_ADDR, "console=ttyS0 nokaslr");
	assert_int_equal(r32(zp + 0x218), 0);
	assert_int_equal(zp[0x1e8], 3); /* e820 entries */
	assert_int_equal(r32(zp + 0x2d0 + 40), 0x100000);
	assert_int_equal(r32(zp + 0x2d0 + 48), RAM_SIZE - 0x100000);
	assert_int_equal(r32(zp + 0x70), 0xe0000); /* acpi_rsdp_addr */

	char want[128];
	snprintf(want, sizeof(want), "bzImage payload %s", fmt);
	assert_non_null(strstr(f->log, want));
	assert_non_null(strstr(f->log, "entering startup_64 at 0x1000000"));
}

/* The fallback: the protected-mode part at 1 MiB, entry at +0x200. */
static void check_fallback(struct fixture *f, const char *why)
{
	assert_int_equal(f->bs.mode, BOOT_MODE_LONG64);
	assert_int_equal(f->bs.entry, 0x100200);
	assert_int_equal(f->bs.rsi, BOOT_INFO_ADDR);
	assert_memory_equal(f->ram + 0x100000, f->img + SETUP_SIZE, f->img_size - SETUP_SIZE);
	assert_int_equal(f->ram[KERNEL_START], 0xcc); /* nothing of the vmlinux */
	if (why) {
		if (!strstr(f->log, why))
			fail_msg("log \"%s\" lacks \"%s\"", f->log, why);
	}
}

/* --- Tests ---------------------------------------------------------- */

static void test_detect(void **state)
{
	(void)state;
	assert_int_equal(bzp_detect((const uint8_t *)"\x1f\x8b\x08", 3), BZP_FMT_GZIP);
	assert_int_equal(bzp_detect((const uint8_t *)"\xfd" "7zXZ\0\0", 7), BZP_FMT_XZ);
	assert_int_equal(bzp_detect((const uint8_t *)"\xfd" "7zXZ", 5), BZP_FMT_UNKNOWN);
	assert_int_equal(bzp_detect((const uint8_t *)"\x5d\0\0\x80", 4), BZP_FMT_LZMA);
	assert_int_equal(bzp_detect((const uint8_t *)"\x28\xb5\x2f\xfd", 4), BZP_FMT_ZSTD);
	assert_int_equal(bzp_detect((const uint8_t *)"\x02\x21\x4c\x18", 4), BZP_FMT_LZ4);
	assert_int_equal(bzp_detect((const uint8_t *)"BZh9", 4), BZP_FMT_BZIP2);
	assert_int_equal(bzp_detect((const uint8_t *)"\x89LZO\0\r\n\x1a\n", 9), BZP_FMT_LZO);
	assert_int_equal(bzp_detect((const uint8_t *)"\x1f", 1), BZP_FMT_UNKNOWN);
	assert_int_equal(bzp_detect(NULL, 0), BZP_FMT_UNKNOWN);
	assert_string_equal(bzp_format_name(BZP_FMT_LZ4), "lz4");
	assert_string_equal(bzp_format_name(BZP_FMT_UNKNOWN), "unknown");
}

static void roundtrip(compress_fn fn, const uint8_t *src, size_t n)
{
	size_t plen, out_len = 1;
	uint8_t *p = fn(src, n, &plen), *out = (uint8_t *)1;
	struct errbuf eb = {{0}};
	assert_int_equal(bzp_decompress(p, plen, 64 << 20, &out, &out_len, &eb), BZP_OK);
	assert_int_equal(out_len, n);
	assert_memory_equal(out, src, n);
	free(out);
	free(p);
}

static void test_roundtrip_all_formats(void **state)
{
	struct fixture *f = *state;
	compress_fn fns[] = {gzip_compress, xz_compress, lzma_compress, zstd_compress,
			     lz4_compress};
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		roundtrip(fns[i], f->elf, ELF_SIZE);
}

/* More than one 8 MiB LZ4 block, and frames concatenated with a magic. */
static void test_lz4_multiblock(void **state)
{
	(void)state;
	size_t n = (9 << 20) + 12345;
	uint8_t *src = malloc(n);
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)((i * 2654435761u) >> 13);
	roundtrip(lz4_compress, src, n);

	size_t l1, l2;
	uint8_t *a = lz4_compress(src, 1000, &l1);
	uint8_t *b = lz4_compress(src + 1000, 2000, &l2);
	uint8_t *cat = malloc(l1 - 4 + l2);
	memcpy(cat, a, l1 - 4); /* drop a's size trailer */
	memcpy(cat + l1 - 4, b, l2);
	uint8_t *out;
	size_t out_len;
	struct errbuf eb;
	assert_int_equal(bzp_decompress(cat, l1 - 4 + l2, 1 << 20, &out, &out_len, &eb), BZP_OK);
	assert_int_equal(out_len, 3000);
	assert_memory_equal(out, src, 3000);
	free(out);
	free(cat);
	free(a);
	free(b);
	free(src);
}

static void test_load_gzip(void **state)
{
	struct fixture *f = *state;
	make_compressed(f, gzip_compress);
	assert_int_equal(load(f), 0);
	check_fast_path(f, "gzip");
}

static void test_load_xz(void **state)
{
	struct fixture *f = *state;
	make_compressed(f, xz_compress);
	assert_int_equal(load(f), 0);
	check_fast_path(f, "xz");
}

static void test_load_zstd(void **state)
{
	struct fixture *f = *state;
	make_compressed(f, zstd_compress);
	assert_int_equal(load(f), 0);
	check_fast_path(f, "zstd");
}

static void test_load_lz4(void **state)
{
	struct fixture *f = *state;
	make_compressed(f, lz4_compress);
	assert_int_equal(load(f), 0);
	check_fast_path(f, "lz4");
}

static void test_load_lzma(void **state)
{
	struct fixture *f = *state;
	make_compressed(f, lzma_compress);
	assert_int_equal(load(f), 0);
	check_fast_path(f, "lzma");
}

/* A virtual e_entry is translated through its segment. */
static void test_virtual_entry(void **state)
{
	struct fixture *f = *state;
	make_elf(f->elf, SEG0_VADDR + 0x40);
	make_compressed(f, zstd_compress);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bs.entry, KERNEL_START + 0x40);
	/* Outside every segment: back to the compressed kernel. */
	memset(f->ram, 0xcc, RAM_SIZE);
	make_elf(f->elf, 0x5000000);
	make_compressed(f, zstd_compress);
	assert_int_equal(load(f), 0);
	check_fallback(f, "entry point 0x5000000 is not inside any loadable segment");
}

/* The initrd goes above max(start + init_size, end of the segments). */
static void test_initrd_above_vmlinux(void **state)
{
	struct fixture *f = *state;
	size_t size = RAM_SIZE - KERNEL_START - INIT_SIZE; /* exactly what is left */
	uint8_t *rd = malloc(size + 0x1000);
	memset(rd, 0x5a, size + 0x1000);
	make_compressed(f, gzip_compress);
	f->in.initrd = rd;
	f->in.initrd_size = size;
	f->in.initrd_name = "rd.img";
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bs.entry, KERNEL_START);
	assert_int_equal(r32(f->ram + BOOT_INFO_ADDR + 0x218), KERNEL_START + INIT_SIZE);
	assert_int_equal(r32(f->ram + BOOT_INFO_ADDR + 0x21c), size);
	assert_memory_equal(f->ram + KERNEL_START + INIT_SIZE, rd, size);

	f->in.initrd_size = size + 0x1000;
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "kernel ends at 0x1800000"));

	/* init_size smaller than the segments: their end counts, page-rounded. */
	w32(f->img + 0x260, 0x1000);
	f->in.initrd_size = 0x1000;
	memset(f->ram, 0xcc, RAM_SIZE);
	w32(f->img + 0x22c, SEG1_PADDR + 0x1fff); /* initrd_addr_max */
	assert_int_equal(load(f), 0);
	assert_int_equal(r32(f->ram + BOOT_INFO_ADDR + 0x218), SEG1_PADDR + 0x1000);
	w32(f->img + 0x22c, SEG1_PADDR + 0xfff);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "initrd limit 0x1401000"));
	free(rd);
}

static void test_truncated_falls_back(void **state)
{
	struct fixture *f = *state;
	struct {
		compress_fn fn;
		const char *why;
	} cases[] = {
	    {gzip_compress, "gzip stream is truncated"},
	    {xz_compress, "xz stream: truncated"},
	    {zstd_compress, "zstd stream is truncated"},
	    {lz4_compress, "lz4 stream is truncated"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t plen;
		uint8_t *p = cases[i].fn(f->elf, ELF_SIZE, &plen);
		make_bzimage(f, p, plen / 2);
		memset(f->ram, 0xcc, RAM_SIZE);
		assert_int_equal(load(f), 0);
		check_fallback(f, cases[i].why);
		assert_non_null(strstr(f->log, "falling back to the kernel's own decompressor"));

		uint8_t *out = (uint8_t *)1;
		size_t out_len = 1;
		struct errbuf eb = {{0}};
		assert_int_equal(bzp_decompress(p, plen / 2, 1 << 20, &out, &out_len, &eb),
				 BZP_CORRUPT);
		assert_null(out);
		assert_int_equal(out_len, 0);
		assert_non_null(strstr(eb.msg, cases[i].why));
		free(p);
	}
}

static void test_corrupt_falls_back(void **state)
{
	struct fixture *f = *state;
	size_t plen;
	/* gzip: a flipped byte fails the CRC or the Huffman decoding. */
	uint8_t *p = gzip_compress(f->elf, ELF_SIZE, &plen);
	p[plen / 2] ^= 0x55;
	make_bzimage(f, p, plen);
	assert_int_equal(load(f), 0);
	check_fallback(f, "gzip stream is corrupt");
	free(p);
	/* xz: the CRC32 check catches it. */
	p = xz_compress(f->elf, ELF_SIZE, &plen);
	p[plen / 2] ^= 0x55;
	make_bzimage(f, p, plen);
	memset(f->ram, 0xcc, RAM_SIZE);
	assert_int_equal(load(f), 0);
	check_fallback(f, "xz stream: ");
	free(p);
	/* zstd: a broken frame header. */
	p = zstd_compress(f->elf, ELF_SIZE, &plen);
	p[4] = 0xff;
	p[5] = 0xff;
	make_bzimage(f, p, plen);
	memset(f->ram, 0xcc, RAM_SIZE);
	assert_int_equal(load(f), 0);
	check_fallback(f, "zstd stream is corrupt");
	free(p);
	/* lz4: a block size beyond what an 8 MiB block can compress to. */
	p = lz4_compress(f->elf, ELF_SIZE, &plen);
	w32(p + 4, 0x7fffffff);
	make_bzimage(f, p, plen);
	memset(f->ram, 0xcc, RAM_SIZE);
	assert_int_equal(load(f), 0);
	check_fallback(f, "lz4 stream has a bad block size 2147483647 at offset 4");
	free(p);
}

/* Decompressing to more than guest RAM (or a caller's limit) is refused. */
static void test_oversize_refused(void **state)
{
	struct fixture *f = *state;
	size_t n = RAM_SIZE + 1;
	uint8_t *zeros = calloc(1, n);
	compress_fn fns[] = {gzip_compress, xz_compress, zstd_compress, lz4_compress};
	const char *names[] = {"gzip", "xz", "zstd", "lz4"};
	for (size_t i = 0; i < 4; i++) {
		size_t plen;
		uint8_t *p = fns[i](zeros, n, &plen);
		make_bzimage(f, p, plen);
		assert_int_equal(load(f), -1);
		char want[128];
		snprintf(want, sizeof(want),
			 "bzImage-test: %s payload decompresses to more than 32 MiB, the guest RAM "
			 "size: use more --memory",
			 names[i]);
		assert_string_equal(f->eb.msg, want);

		/* Exactly at the limit is fine, one byte more is not. */
		uint8_t *out;
		size_t out_len;
		struct errbuf eb;
		assert_int_equal(bzp_decompress(p, plen, n, &out, &out_len, &eb), BZP_OK);
		assert_int_equal(out_len, n);
		free(out);
		assert_int_equal(bzp_decompress(p, plen, n - 1, &out, &out_len, &eb), BZP_TOO_BIG);
		assert_null(out);
		free(p);
	}
	free(zeros);
}

/* The appended size is only a hint: a lie costs nothing. */
static void test_size_hint_not_trusted(void **state)
{
	struct fixture *f = *state;
	size_t plen;
	uint8_t *p = zstd_compress(f->elf, ELF_SIZE, &plen);
	w32(p + plen - 4, 0xffffffff);
	uint8_t *out;
	size_t out_len;
	struct errbuf eb;
	assert_int_equal(bzp_decompress(p, plen, 1 << 20, &out, &out_len, &eb), BZP_OK);
	assert_int_equal(out_len, ELF_SIZE);
	free(out);
	w32(p + plen - 4, 1);
	assert_int_equal(bzp_decompress(p, plen, 1 << 20, &out, &out_len, &eb), BZP_OK);
	assert_int_equal(out_len, ELF_SIZE);
	free(out);
	free(p);
}

static void test_unsupported_falls_back(void **state)
{
	struct fixture *f = *state;
	static const uint8_t bz2[] = "BZh91AY&SY not really bzip2 data";
	make_bzimage(f, bz2, sizeof(bz2));
	assert_int_equal(load(f), 0);
	check_fallback(f, "bzip2 compression is not decompressed on the host; the kernel "
			  "decompresses itself");
	uint8_t *out;
	size_t out_len;
	struct errbuf eb;
	assert_int_equal(bzp_decompress(bz2, sizeof(bz2), 1 << 20, &out, &out_len, &eb),
			 BZP_UNSUPPORTED);
	assert_string_equal(eb.msg, "bzip2 compression is not decompressed on the host");
}

/* A payload that decompresses to something other than an ELF64 vmlinux. */
static void test_not_vmlinux_falls_back(void **state)
{
	struct fixture *f = *state;
	static const uint8_t text[] = "this is not an ELF file at all";
	size_t plen;
	uint8_t *p = gzip_compress(text, sizeof(text), &plen);
	make_bzimage(f, p, plen);
	assert_int_equal(load(f), 0);
	check_fallback(f, "vmlinux: not an ELF file");
	free(p);

	f->elf[4] = 1; /* ELF32 */
	p = gzip_compress(f->elf, ELF_SIZE, &plen);
	make_bzimage(f, p, plen);
	assert_int_equal(load(f), 0);
	check_fallback(f, "vmlinux: ");
	free(p);
}

/* The kernel would run elsewhere than where vmlinux is linked: the
 * decompressor has to relocate it, so it must run. */
static void test_relocated_falls_back(void **state)
{
	struct fixture *f = *state;
	make_compressed(f, xz_compress);
	w64(f->img + 0x258, 0x400000); /* pref_address */
	assert_int_equal(load(f), 0);
	check_fallback(f, "vmlinux is linked at 0x1000000 but the kernel runs at 0x400000");
}

/* A segment outside guest RAM: refused before anything is written. */
static void test_segment_outside_ram_falls_back(void **state)
{
	struct fixture *f = *state;
	w64(f->elf + 176 + 24, RAM_SIZE - 0x400); /* p_paddr of the last segment */
	make_compressed(f, gzip_compress);
	assert_int_equal(load(f), 0);
	check_fallback(f, "vmlinux: segment at 0x1fffc00 size 0x800 outside guest RAM");
}

/* Before protocol 2.08 there is no payload to find. */
static void test_old_protocol_falls_back(void **state)
{
	struct fixture *f = *state;
	make_compressed(f, gzip_compress);
	w16(f->img + 0x206, 0x207);
	assert_int_equal(load(f), 0);
	check_fallback(f, "names no compressed payload (boot protocol 2.07)");
}

int main(void)
{
	log_set_level(LOG_INFO);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test_setup_teardown(test_roundtrip_all_formats, setup, teardown),
	    cmocka_unit_test(test_lz4_multiblock),
	    cmocka_unit_test_setup_teardown(test_load_gzip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_xz, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_zstd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_lz4, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_lzma, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_virtual_entry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_initrd_above_vmlinux, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_falls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_falls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversize_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_size_hint_not_trusted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unsupported_falls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_vmlinux_falls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relocated_falls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_segment_outside_ram_falls_back, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_old_protocol_falls_back, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
