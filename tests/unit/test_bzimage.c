/* Unit tests for the bzImage loader: synthetic Linux boot-protocol headers
 * are loaded into a 16 MiB buffer and the zero page is checked field by
 * field against Documentation/arch/x86/boot.rst. */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "vslice/boot.h"

#define RAM_SIZE (16ULL << 20)
#define SETUP_SECTS 4
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define KERNEL_SIZE 0x10000
#define IMG_SIZE (SETUP_SIZE + KERNEL_SIZE)

struct fixture {
	uint8_t *ram;
	struct guest_mem gm;
	uint8_t img[IMG_SIZE];
	struct boot_images in;
	struct boot_state bs;
	struct errbuf eb;
};

/* A protocol 2.15 bzImage with a 64 KiB protected-mode part. */
static void make_image(uint8_t *img, uint16_t version)
{
	memset(img, 0, IMG_SIZE);
	img[0x1f1] = SETUP_SECTS;
	w32(img + 0x1f4, KERNEL_SIZE / 16); /* syssize */
	w16(img + 0x1fe, 0xaa55);	    /* boot_flag */
	img[0x200] = 0xeb;		    /* jmp short */
	img[0x201] = 0x66;		    /* header ends at 0x268 */
	memcpy(img + 0x202, "HdrS", 4);
	w16(img + 0x206, version);
	img[0x211] = 0x01;	      /* LOADED_HIGH */
	w32(img + 0x22c, 0x7fffffff); /* initrd_addr_max */
	w32(img + 0x230, 0x200000);   /* kernel_alignment */
	img[0x234] = 1;		      /* relocatable */
	w16(img + 0x236, 0x0001);     /* XLF_KERNEL_64 */
	w32(img + 0x238, 255);	      /* cmdline_size */
	w32(img + 0x248, 0x100);      /* payload_offset */
	w32(img + 0x24c, 0x1000);     /* payload_length */
	w64(img + 0x258, 0x100000);   /* pref_address */
	w32(img + 0x260, 0x100000);   /* init_size */
	for (size_t i = 0; i < KERNEL_SIZE; i++)
		img[SETUP_SIZE + i] = (uint8_t)(i * 7 + 3);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ram = malloc(RAM_SIZE);
	memset(f->ram, 0xcc, RAM_SIZE);
	guest_mem_init_buffer(&f->gm, f->ram, RAM_SIZE);
	make_image(f->img, 0x20f);
	f->in.kernel = f->img;
	f->in.kernel_size = IMG_SIZE;
	f->in.kernel_name = "bzImage-test";
	f->in.cmdline = "console=ttyS0 quiet";
	f->in.acpi_rsdp = 0xe0000;
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

static uint8_t *zp(struct fixture *f)
{
	return f->ram + BOOT_INFO_ADDR;
}

static void test_probe(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(bzimage_probe(f->img, IMG_SIZE), 1);
	assert_int_equal(bzimage_probe(f->img, 0x205), 0);
	f->img[0x1fe] = 0;
	assert_int_equal(bzimage_probe(f->img, IMG_SIZE), 0);
	uint8_t zeros[4096] = {0};
	assert_int_equal(bzimage_probe(zeros, sizeof(zeros)), 0);
}

static void test_load_state_and_kernel(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), 0);
	assert_int_equal(f->bs.mode, BOOT_MODE_LONG64);
	assert_int_equal(f->bs.entry, 0x100200);
	assert_int_equal(f->bs.rsi, BOOT_INFO_ADDR);
	assert_int_equal(f->bs.rax, 0);
	assert_string_equal(f->bs.format, "bzImage");
	assert_memory_equal(f->ram + 0x100000, f->img + SETUP_SIZE, KERNEL_SIZE);
	/* The setup header is copied, then the loader fields are set. */
	uint8_t *p = zp(f);
	assert_memory_equal(p + 0x202, "HdrS", 4);
	assert_int_equal(r16(p + 0x206), 0x20f);
	assert_int_equal(p[0x1f1], SETUP_SECTS);
	assert_int_equal(r32(p + 0x238), 255);
	assert_int_equal(p[0x210], 0xff);	  /* type_of_loader */
	assert_int_equal(p[0x211], 0x81);	  /* LOADED_HIGH | CAN_USE_HEAP */
	assert_int_equal(r16(p + 0x224), 0xfe00); /* heap_end_ptr */
	assert_int_equal(r32(p + 0x228), BOOT_CMDLINE_ADDR);
	assert_string_equal((char *)f->ram + BOOT_CMDLINE_ADDR, "console=ttyS0 quiet");
	assert_int_equal(r32(p + 0x218), 0); /* no initrd */
	assert_int_equal(r32(p + 0x21c), 0);
	/* Everything else in the zero page is zero (it was 0xcc). */
	for (unsigned i = 0; i < 0x1e8; i++)
		if (i < 0x70 || i >= 0x78)
			assert_int_equal(p[i], 0);
	for (unsigned i = 0x268; i < 0x2d0; i++)
		assert_int_equal(p[i], 0);
}

static void test_e820_matches(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), 0);
	struct e820_entry map[E820_MAX];
	unsigned n = gm_e820(&f->gm, map, E820_MAX);
	assert_int_equal(n, 3);
	assert_int_equal(zp(f)[0x1e8], n);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = zp(f) + 0x2d0 + 20 * i;
		assert_int_equal(r64(e), map[i].addr);
		assert_int_equal(r64(e + 8), map[i].size);
		assert_int_equal(r32(e + 16), map[i].type);
	}
	/* What the PC map looks like for 16 MiB. */
	assert_int_equal(r64(zp(f) + 0x2d0), 0);
	assert_int_equal(r64(zp(f) + 0x2d0 + 8), 0x9fc00);
	assert_int_equal(r64(zp(f) + 0x2d0 + 40), 0x100000);
	assert_int_equal(r64(zp(f) + 0x2d0 + 48), RAM_SIZE - 0x100000);
	assert_int_equal(r32(zp(f) + 0x2d0 + 56), E820_RAM);
	/* Entry 3 is untouched zero. */
	assert_int_equal(r64(zp(f) + 0x2d0 + 68), 0);
}

static void test_cmdline_limit(void **state)
{
	struct fixture *f = *state;
	w32(f->img + 0x238, 16);
	f->in.cmdline = "0123456789abcdef"; /* exactly 16: fits */
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), 0);
	assert_string_equal((char *)f->ram + BOOT_CMDLINE_ADDR, "0123456789abcdef");
	f->in.cmdline = "0123456789abcdefg"; /* 17: too long */
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "--cmdline"));
	assert_non_null(strstr(f->eb.msg, "at most 16"));
}

static void test_initrd_below_addr_max(void **state)
{
	struct fixture *f = *state;
	size_t size = (1 << 20) + 123;
	uint8_t *rd = malloc(size);
	for (size_t i = 0; i < size; i++)
		rd[i] = (uint8_t)(i ^ 0x5a);
	w32(f->img + 0x22c, 0xbfffff); /* initrd_addr_max: 12 MiB - 1 */
	f->in.initrd = rd;
	f->in.initrd_size = size;
	f->in.initrd_name = "rd.img";
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), 0);
	uint32_t addr = r32(zp(f) + 0x218);
	assert_int_equal(r32(zp(f) + 0x21c), size);
	assert_int_equal(addr & 0xfff, 0);
	assert_true(addr + size <= 0xc00000);
	/* As high as possible: the next page up would cross the limit. */
	assert_int_equal(addr, (0xc00000 - size) & ~0xfffULL);
	assert_true(addr >= 0x100000 + KERNEL_SIZE);
	assert_memory_equal(f->ram + addr, rd, size);
	free(rd);
}

static void test_initrd_top_of_ram(void **state)
{
	struct fixture *f = *state;
	static uint8_t rd[5000];
	memset(rd, 0x42, sizeof(rd));
	f->in.initrd = rd;
	f->in.initrd_size = sizeof(rd);
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), 0);
	assert_int_equal(r32(zp(f) + 0x218), RAM_SIZE - 0x2000);
	assert_int_equal(r32(zp(f) + 0x21c), 5000);
}

/* Relocatable kernel, alignment 2 MiB, init_size 8 MiB: it runs from
 * 0x200000 to 0xa00000 while booting, so the initrd must start above. */
static void test_initrd_above_kernel(void **state)
{
	struct fixture *f = *state;
	w32(f->img + 0x260, 0x800000);
	size_t size = 6 << 20;
	uint8_t *rd = calloc(1, size + 1);
	f->in.initrd = rd;
	f->in.initrd_size = size;
	f->in.initrd_name = "big.img";
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), 0);
	assert_int_equal(r32(zp(f) + 0x218), 0xa00000);

	f->in.initrd_size = size + 1; /* one byte more does not fit */
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "initrd big.img (7 MiB) does not fit"));
	assert_non_null(strstr(f->eb.msg, "--memory"));

	/* pref_address above the aligned load address wins. */
	w64(f->img + 0x258, 0x400000);
	f->in.initrd_size = size;
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "kernel ends at 0xc00000"));
	free(rd);
}

static void test_initrd_over_kernel_limit(void **state)
{
	struct fixture *f = *state;
	static uint8_t rd[0x3000];
	w32(f->img + 0x22c, 0x101fff); /* below the kernel's end */
	f->in.initrd = rd;
	f->in.initrd_size = sizeof(rd);
	f->in.initrd_name = "x.img";
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "initrd x.img"));
	assert_non_null(strstr(f->eb.msg, "initrd limit 0x102000"));
	f->in.initrd_size = 0;
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_string_equal(f->eb.msg, "initrd x.img: empty file");
}

static void test_old_protocol_refused(void **state)
{
	struct fixture *f = *state;
	w16(f->img + 0x206, 0x205);
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "bzImage-test: boot protocol 2.05 is older than 2.06"));
	/* 2.06 is accepted if the kernel says it has a 64-bit entry. */
	w16(f->img + 0x206, 0x206);
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), 0);
	w16(f->img + 0x236, 0);
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "no 64-bit entry point"));
}

static void test_zimage_refused(void **state)
{
	struct fixture *f = *state;
	f->img[0x211] = 0;
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "zImage"));
}

static void test_truncated(void **state)
{
	struct fixture *f = *state;
	/* Ends inside the setup code. */
	f->in.kernel_size = SETUP_SIZE;
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "truncated"));
	/* setup_sects pointing past the end. */
	f->in.kernel_size = IMG_SIZE;
	f->img[0x1f1] = 200;
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "setup code is 102912 bytes"));
	/* syssize larger than what follows the setup code. */
	f->img[0x1f1] = SETUP_SECTS;
	f->in.kernel_size = IMG_SIZE - 32;
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "header says 65536 bytes of kernel, file has 65504"));
	/* Rounding of syssize up to 16 bytes is tolerated. */
	f->in.kernel_size = IMG_SIZE - 15;
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), 0);
	/* Payload outside the kernel. */
	f->in.kernel_size = IMG_SIZE;
	w32(f->img + 0x24c, KERNEL_SIZE);
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "payload"));
	/* Before 2.08 there are no payload fields: whatever is there is
	 * ignored. */
	w16(f->img + 0x206, 0x207);
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), 0);
	w16(f->img + 0x206, 0x20f);
	/* A header too short to hold the version. */
	f->in.kernel_size = 0x207;
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "truncated"));
}

static void test_acpi_rsdp(void **state)
{
	struct fixture *f = *state;
	w16(f->img + 0x206, 0x20e); /* 2.14: field present */
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), 0);
	assert_int_equal(r64(zp(f) + 0x70), 0xe0000);
	w16(f->img + 0x206, 0x20d); /* 2.13: left zero */
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), 0);
	assert_int_equal(r64(zp(f) + 0x70), 0);
}

static void test_kernel_too_big_for_ram(void **state)
{
	struct fixture *f = *state;
	w32(f->img + 0x260, 0x1000000); /* init_size 16 MiB from 2 MiB */
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(
	    strstr(f->eb.msg, "up to 0x1200000 (18 MiB) but there are 16 MiB: use more --memory"));
	/* pref_address far above 4 GiB */
	w32(f->img + 0x260, 0x1000);
	w64(f->img + 0x258, 0xfffffffffff00000ULL);
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "beyond the 32-bit RAM limit"));
	/* kernel_alignment not a power of two */
	w64(f->img + 0x258, 0x100000);
	w32(f->img + 0x230, 0x300000);
	assert_int_equal(bzimage_load(&f->gm, &f->in, &f->bs, &f->eb), -1);
	assert_non_null(strstr(f->eb.msg, "power of two"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_state_and_kernel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e820_matches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cmdline_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_initrd_below_addr_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_initrd_top_of_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_initrd_above_kernel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_initrd_over_kernel_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_old_protocol_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zimage_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_acpi_rsdp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_too_big_for_ram, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
