/* Unit tests for the Multiboot 1 loader: synthetic ELF32 and a.out-kludge
 * kernels, checked against the Multiboot Specification 0.6.96 (header
 * search, checksum, load fields, information structure layout). */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "vslice/boot.h"

#define RAM_SIZE (16ULL << 20)
#define IMG_CAP 0x4000
#define MB_MAGIC 0x1BADB002U

struct fixture {
	uint8_t *ram;
	struct guest_mem gm;
	uint8_t img[IMG_CAP];
	struct boot_images in;
	struct boot_state bs;
	struct errbuf eb;
};

static void put_mb_header(uint8_t *p, uint32_t flags)
{
	w32(p, MB_MAGIC);
	w32(p + 4, flags);
	w32(p + 8, (uint32_t)(0 - MB_MAGIC - flags));
}

/* ELF32 i386 executable, one PT_LOAD: file [0x100, 0x300) to 0x100000,
 * memsz 0x1000 (bss after 0x200 bytes); entry 0x100020. Multiboot header
 * at file offset 0x100 with flags 3 (page-align, memory info). */
static size_t make_elf32(uint8_t *img)
{
	memset(img, 0, IMG_CAP);
	memcpy(img,
	       "\x7f"
	       "ELF",
	       4);
	img[4] = 1; /* ELFCLASS32 */
	img[5] = 1; /* little endian */
	img[6] = 1;
	w16(img + 16, 2); /* ET_EXEC */
	w16(img + 18, 3); /* EM_386 */
	w32(img + 20, 1);
	w32(img + 24, 0x100020); /* e_entry */
	w32(img + 28, 52);	 /* e_phoff */
	w16(img + 40, 52);
	w16(img + 42, 32); /* e_phentsize */
	w16(img + 44, 1);  /* e_phnum */
	uint8_t *ph = img + 52;
	w32(ph, 1);		/* PT_LOAD */
	w32(ph + 4, 0x100);	/* p_offset */
	w32(ph + 8, 0x100000);	/* p_vaddr */
	w32(ph + 12, 0x100000); /* p_paddr */
	w32(ph + 16, 0x200);	/* p_filesz */
	w32(ph + 20, 0x1000);	/* p_memsz */
	for (unsigned i = 0x100; i < 0x300; i++)
		img[i] = (uint8_t)(i * 13);
	put_mb_header(img + 0x100, 3);
	return 0x300;
}

/* Raw binary with the address fields (flag 16): header at file offset 0x40,
 * image loaded at 0x200000 from file offset 0, 0x800 bytes, bss to
 * 0x203000, entry 0x200100. */
static size_t make_aout(uint8_t *img)
{
	memset(img, 0, IMG_CAP);
	for (unsigned i = 0; i < 0x800; i++)
		img[i] = (uint8_t)(i * 5 + 1);
	uint8_t *h = img + 0x40;
	put_mb_header(h, (1U << 16) | 2);
	w32(h + 12, 0x200040); /* header_addr */
	w32(h + 16, 0x200000); /* load_addr */
	w32(h + 20, 0x200800); /* load_end_addr */
	w32(h + 24, 0x203000); /* bss_end_addr */
	w32(h + 28, 0x200100); /* entry_addr */
	return 0x800;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ram = malloc(RAM_SIZE);
	memset(f->ram, 0xaa, RAM_SIZE);
	guest_mem_init_buffer(&f->gm, f->ram, RAM_SIZE);
	f->in.kernel = f->img;
	f->in.kernel_size = make_elf32(f->img);
	f->in.kernel_name = "mb.elf";
	f->in.cmdline = "hello world";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->ram);
	free(f);
	return 0;
}

static int load(struct fixture *f)
{
	memset(&f->eb, 0, sizeof(f->eb));
	return multiboot_load(&f->gm, &f->in, &f->bs, &f->eb);
}

static uint8_t *mbi(struct fixture *f)
{
	return f->ram + BOOT_INFO_ADDR;
}

static void test_probe(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(multiboot_probe(f->img, f->in.kernel_size), 1);
	assert_int_equal(multiboot_probe(f->img, 0x100), 0); /* header cut off */
	uint8_t zeros[64] = {0};
	assert_int_equal(multiboot_probe(zeros, sizeof(zeros)), 0);
}

static void test_elf32_load(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bs.mode, BOOT_MODE_PROT32);
	assert_int_equal(f->bs.entry, 0x100020);
	assert_int_equal(f->bs.rax, 0x2BADB002);
	assert_int_equal(f->bs.rbx, BOOT_INFO_ADDR);
	assert_string_equal(f->bs.format, "Multiboot");
	assert_memory_equal(f->ram + 0x100000, f->img + 0x100, 0x200);
	for (unsigned i = 0x200; i < 0x1000; i++)
		assert_int_equal(f->ram[0x100000 + i], 0); /* bss zeroed */
	assert_int_equal(f->ram[0x101000], 0xaa);	   /* nothing beyond */
}

static void test_info_struct(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f), 0);
	uint8_t *p = mbi(f);
	/* mem, cmdline, mmap, boot_loader_name; no modules. */
	assert_int_equal(r32(p + 0), (1 << 0) | (1 << 2) | (1 << 6) | (1 << 9));
	assert_int_equal(r32(p + 4), 639);		       /* mem_lower KiB */
	assert_int_equal(r32(p + 8), (RAM_SIZE >> 10) - 1024); /* mem_upper */
	assert_int_equal(r32(p + 16), BOOT_CMDLINE_ADDR);
	assert_string_equal((char *)f->ram + r32(p + 16), "hello world");
	assert_int_equal(r32(p + 20), 0);
	assert_string_equal((char *)f->ram + r32(p + 64), "vslice");
	assert_int_equal(r32(p + 12), 0); /* boot_device not provided */
}

static void test_mmap(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f), 0);
	struct e820_entry map[E820_MAX];
	unsigned n = gm_e820(&f->gm, map, E820_MAX);
	assert_int_equal(r32(mbi(f) + 44), n * 24);
	uint32_t addr = r32(mbi(f) + 48);
	assert_int_equal(addr, BOOT_INFO_EXTRA);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = f->ram + addr + 24 * i;
		assert_int_equal(r32(e), 20);
		assert_int_equal(r64(e + 4), map[i].addr);
		assert_int_equal(r64(e + 12), map[i].size);
		assert_int_equal(r32(e + 20), map[i].type);
	}
	assert_int_equal(r64(f->ram + addr + 24 + 4), 0x9fc00);
	assert_int_equal(r32(f->ram + addr + 24 + 20), E820_RESERVED);
}

static void test_module(void **state)
{
	struct fixture *f = *state;
	static uint8_t rd[10000];
	for (unsigned i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i ^ 0x33);
	f->in.initrd = rd;
	f->in.initrd_size = sizeof(rd);
	f->in.initrd_name = "/some/dir/initrd.cpio";
	assert_int_equal(load(f), 0);
	uint8_t *p = mbi(f);
	assert_true(r32(p) & (1 << 3));
	assert_int_equal(r32(p + 20), 1);
	const uint8_t *mod = f->ram + r32(p + 24);
	uint32_t start = r32(mod), end = r32(mod + 4);
	assert_int_equal(start, 0x101000); /* page after the kernel's bss */
	assert_int_equal(end, 0x101000 + sizeof(rd));
	assert_memory_equal(f->ram + start, rd, sizeof(rd));
	assert_string_equal((char *)f->ram + r32(mod + 8), "initrd.cpio");
	assert_int_equal(r32(mod + 12), 0);

	/* A module that needs more RAM than there is. */
	uint8_t *big = calloc(1, 15 << 20);
	f->in.initrd = big;
	f->in.initrd_size = 15 << 20;
	f->in.initrd_name = "big";
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "initrd big (15 MiB) does not fit"));
	assert_non_null(strstr(f->eb.msg, "use more --memory (at least 17 MiB)"));
	free(big);
}

static void test_aout_kludge(void **state)
{
	struct fixture *f = *state;
	f->in.kernel_size = make_aout(f->img);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bs.entry, 0x200100);
	assert_memory_equal(f->ram + 0x200000, f->img, 0x800);
	for (unsigned i = 0x800; i < 0x3000; i++)
		assert_int_equal(f->ram[0x200000 + i], 0);
	assert_int_equal(f->ram[0x203000], 0xaa);
	assert_int_equal(f->ram[0x1fffff], 0xaa);
}

static void test_aout_load_end_zero(void **state)
{
	struct fixture *f = *state;
	f->in.kernel_size = make_aout(f->img);
	w32(f->img + 0x40 + 20, 0); /* load to the end of the file */
	w32(f->img + 0x40 + 24, 0); /* no bss */
	assert_int_equal(load(f), 0);
	assert_memory_equal(f->ram + 0x200000, f->img, 0x800);
	assert_int_equal(f->ram[0x200800], 0xaa);
}

static void test_aout_bad_fields(void **state)
{
	struct fixture *f = *state;
	uint8_t *h = f->img + 0x40;
	f->in.kernel_size = make_aout(f->img);
	w32(h + 16, 0x200080); /* load_addr above header_addr */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "header_addr"));

	make_aout(f->img);
	w32(h + 16, 0x1fff00); /* would start before the file */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "file offset"));

	make_aout(f->img);
	w32(h + 20, 0x200801); /* one byte past the file */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "past the end of the file"));

	make_aout(f->img);
	w32(h + 24, 0x2007ff); /* bss ends inside the image */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "bss_end_addr"));

	make_aout(f->img);
	w32(h + 28, 0x200800); /* entry just past the loaded bytes */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "entry_addr"));

	make_aout(f->img);
	w32(h + 12, 0xfff040); /* whole image moved near the top of RAM */
	w32(h + 16, 0xfff000);
	w32(h + 20, 0xfff800);
	w32(h + 24, 0x1002000);
	w32(h + 28, 0xfff100);
	assert_int_equal(load(f), -1);
	assert_string_equal(
	    f->eb.msg,
	    "mb.elf: Multiboot load range at 0xfff000 size 0x3000 outside guest RAM (16 MiB)");

	/* Address fields cut off by the end of the file. */
	make_aout(f->img);
	f->in.kernel_size = 0x40 + 20;
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "address fields"));
}

static void test_bad_checksum(void **state)
{
	struct fixture *f = *state;
	w32(f->img + 0x108, r32(f->img + 0x108) + 1);
	assert_int_equal(multiboot_probe(f->img, f->in.kernel_size), 1);
	assert_int_equal(load(f), -1);
	assert_string_equal(f->eb.msg,
			    "mb.elf: Multiboot header at offset 0x100 has a bad checksum");
	assert_int_equal(f->ram[0x100000], 0xaa); /* nothing loaded */
}

static void test_segment_outside_ram(void **state)
{
	struct fixture *f = *state;
	w32(f->img + 52 + 12, 0xfff800); /* p_paddr: memsz 0x1000 crosses 16 MiB */
	assert_int_equal(load(f), -1);
	assert_string_equal(f->eb.msg,
			    "mb.elf: segment at 0xfff800 size 0x1000 outside guest RAM (16 MiB)");
	w32(f->img + 52 + 12, 0x10000); /* over vslice's own boot data */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "overlaps vslice's boot data"));
	w32(f->img + 52 + 12, 0xe0800); /* over the ACPI tables */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "ACPI"));
}

static void test_header_past_8k(void **state)
{
	struct fixture *f = *state;
	memset(f->img, 0, IMG_CAP);
	put_mb_header(f->img + 8192, 3);
	assert_int_equal(multiboot_probe(f->img, IMG_CAP), 0);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "no Multiboot header in the first 8 KiB"));
	/* Straddling the 8 KiB boundary does not count either. */
	memset(f->img, 0, IMG_CAP);
	put_mb_header(f->img + 8188, 3);
	assert_int_equal(multiboot_probe(f->img, IMG_CAP), 0);
	/* The last place a header fits. */
	memset(f->img, 0, IMG_CAP);
	put_mb_header(f->img + 8180, 3);
	assert_int_equal(multiboot_probe(f->img, IMG_CAP), 1);
	/* Misaligned magic is not a header. */
	memset(f->img, 0, IMG_CAP);
	put_mb_header(f->img + 0x102, 3);
	assert_int_equal(multiboot_probe(f->img, IMG_CAP), 0);
}

static void test_required_flags(void **state)
{
	struct fixture *f = *state;
	put_mb_header(f->img + 0x100, 3 | (1 << 2));
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "video mode"));
	put_mb_header(f->img + 0x100, 3 | (1 << 5));
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "unsupported features (flags 0x20)"));
	/* Unknown optional bits (16-31 other than 16) are ignored. */
	put_mb_header(f->img + 0x100, 3 | (1U << 20));
	assert_int_equal(load(f), 0);
}

static void test_not_elf_without_address_flag(void **state)
{
	struct fixture *f = *state;
	memset(f->img, 0, 64);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "not ELF"));
}

static void test_cmdline_too_long(void **state)
{
	struct fixture *f = *state;
	char *s = malloc(BOOT_CMDLINE_MAX + 1);
	memset(s, 'x', BOOT_CMDLINE_MAX);
	s[BOOT_CMDLINE_MAX] = 0;
	f->in.cmdline = s;
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "--cmdline"));
	s[BOOT_CMDLINE_MAX - 1] = 0; /* 65535 + NUL fits */
	assert_int_equal(load(f), 0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_elf32_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_info_struct, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mmap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_module, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_aout_kludge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_aout_load_end_zero, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_aout_bad_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_checksum, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_segment_outside_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_header_past_8k, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_required_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_elf_without_address_flag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cmdline_too_long, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
