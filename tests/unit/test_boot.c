/* Unit tests for boot_load(): format dispatch (bzImage, then Multiboot,
 * then ELF) and the messages for empty and unknown images. */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "vslice/boot.h"

#define RAM_SIZE (8ULL << 20)
#define IMG_CAP 0x4000

struct fixture {
	uint8_t *ram;
	struct guest_mem gm;
	uint8_t img[IMG_CAP];
	struct boot_images in;
	struct boot_state bs;
	struct errbuf eb;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ram = calloc(1, RAM_SIZE);
	guest_mem_init_buffer(&f->gm, f->ram, RAM_SIZE);
	f->in.kernel = f->img;
	f->in.kernel_name = "k.img";
	f->in.cmdline = "";
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

static int load(struct fixture *f, size_t size)
{
	f->in.kernel_size = size;
	memset(&f->eb, 0, sizeof(f->eb));
	memset(&f->bs, 0, sizeof(f->bs));
	return boot_load(&f->gm, &f->in, &f->bs, &f->eb);
}

/* ELF header + one PT_LOAD of 0x100 bytes at file 0x200 to 0x100000. */
static size_t make_elf(uint8_t *img, int is64, int multiboot)
{
	memset(img, 0, IMG_CAP);
	memcpy(img,
	       "\x7f"
	       "ELF",
	       4);
	img[4] = is64 ? 2 : 1;
	img[5] = 1;
	w16(img + 16, 2);
	w16(img + 18, is64 ? 62 : 3);
	if (is64) {
		w64(img + 24, 0x100000);
		w64(img + 32, 64);
		w16(img + 54, 56);
		w16(img + 56, 1);
		uint8_t *ph = img + 64;
		w32(ph, 1);
		w64(ph + 8, 0x200);
		w64(ph + 16, 0x100000);
		w64(ph + 24, 0x100000);
		w64(ph + 32, 0x100);
		w64(ph + 40, 0x100);
	} else {
		w32(img + 24, 0x100000);
		w32(img + 28, 52);
		w16(img + 42, 32);
		w16(img + 44, 1);
		uint8_t *ph = img + 52;
		w32(ph, 1);
		w32(ph + 4, 0x200);
		w32(ph + 8, 0x100000);
		w32(ph + 12, 0x100000);
		w32(ph + 16, 0x100);
		w32(ph + 20, 0x100);
	}
	if (multiboot) {
		w32(img + 0x200, 0x1BADB002);
		w32(img + 0x204, 0);
		w32(img + 0x208, 0u - 0x1BADB002);
	}
	return 0x300;
}

static size_t make_bzimage(uint8_t *img)
{
	memset(img, 0, IMG_CAP);
	img[0x1f1] = 4;
	w32(img + 0x1f4, 0x100);
	w16(img + 0x1fe, 0xaa55);
	img[0x201] = 0x66;
	memcpy(img + 0x202, "HdrS", 4);
	w16(img + 0x206, 0x20f);
	img[0x211] = 1;
	w16(img + 0x236, 1);
	w32(img + 0x238, 255);
	return 2560 + 0x1000;
}

static void test_empty(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, 0), -1);
	assert_string_equal(f->eb.msg, "k.img: empty file");
	f->in.kernel = NULL;
	f->in.kernel_name = NULL;
	assert_int_equal(load(f, 0), -1);
	assert_string_equal(f->eb.msg, "kernel: empty file");
}

static void test_unknown(void **state)
{
	struct fixture *f = *state;
	memset(f->img, 0x90, IMG_CAP);
	assert_int_equal(load(f, IMG_CAP), -1);
	assert_string_equal(f->eb.msg, "k.img: not a bzImage, Multiboot or ELF kernel");
	assert_int_equal(load(f, 1), -1);
	assert_string_equal(f->eb.msg, "k.img: not a bzImage, Multiboot or ELF kernel");
}

static void test_dispatch(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, make_bzimage(f->img)), 0);
	assert_string_equal(f->bs.format, "bzImage");

	/* An ELF32 with a Multiboot header goes to the Multiboot loader. */
	assert_int_equal(load(f, make_elf(f->img, 0, 1)), 0);
	assert_string_equal(f->bs.format, "Multiboot");
	assert_int_equal(f->bs.rax, 0x2BADB002);

	assert_int_equal(load(f, make_elf(f->img, 1, 0)), 0);
	assert_string_equal(f->bs.format, "ELF64");
	assert_int_equal(f->bs.entry, 0x100000);

	assert_int_equal(load(f, make_elf(f->img, 0, 0)), -1);
	assert_string_equal(f->eb.msg, "k.img: 32-bit ELF without Multiboot header or PVH note");
}

static void test_error_propagates(void **state)
{
	struct fixture *f = *state;
	size_t n = make_bzimage(f->img);
	w16(f->img + 0x206, 0x200);
	assert_int_equal(load(f, n), -1);
	assert_non_null(strstr(f->eb.msg, "k.img: boot protocol 2.00 is older than 2.06"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dispatch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_propagates, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
