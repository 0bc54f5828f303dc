/* Unit tests for the ELF loader: ELF64 64-bit entry, the Xen PVH entry
 * note and the hvm_start_info it gets (Xen arch-x86/hvm/start_info.h), and
 * malformed headers that must be refused without touching memory. */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "vslice/boot.h"

#define RAM_SIZE (16ULL << 20)
#define IMG_CAP 0x2000
#define PH0 64	      /* first program header */
#define PH1 (64 + 56) /* second (PT_NOTE when present) */
#define NOTE_OFF 0x200
#define DATA_OFF 0x1000
#define DATA_SIZE 0x800

struct fixture {
	uint8_t *ram;
	struct guest_mem gm;
	uint8_t img[IMG_CAP];
	struct boot_images in;
	struct boot_state bs;
	struct errbuf eb;
};

static void put_phdr64(uint8_t *ph, uint32_t type, uint64_t off, uint64_t vaddr, uint64_t paddr,
		       uint64_t filesz, uint64_t memsz)
{
	w32(ph, type);
	w32(ph + 4, 5);
	w64(ph + 8, off);
	w64(ph + 16, vaddr);
	w64(ph + 24, paddr);
	w64(ph + 32, filesz);
	w64(ph + 40, memsz);
	w64(ph + 48, 0x1000);
}

/* ELF64 x86-64 executable: one PT_LOAD, file [0x1000, 0x1800) to physical
 * 0x200000 (virtual 0xffffffff80200000), memsz 0x2000; entry at virtual
 * +0x40. With pvh, a PT_NOTE holding Xen note 18 with a descsz-byte entry
 * 0x200080. */
static size_t make_elf64(uint8_t *img, int pvh, unsigned descsz)
{
	memset(img, 0, IMG_CAP);
	memcpy(img,
	       "\x7f"
	       "ELF",
	       4);
	img[4] = 2;
	img[5] = 1;
	img[6] = 1;
	w16(img + 16, 2);
	w16(img + 18, 62);
	w32(img + 20, 1);
	w64(img + 24, 0xffffffff80200040ULL);
	w64(img + 32, PH0);
	w16(img + 52, 64);
	w16(img + 54, 56);
	w16(img + 56, pvh ? 2 : 1);
	put_phdr64(img + PH0, 1, DATA_OFF, 0xffffffff80200000ULL, 0x200000, DATA_SIZE, 0x2000);
	for (unsigned i = 0; i < DATA_SIZE; i++)
		img[DATA_OFF + i] = (uint8_t)(i * 3 + 7);
	if (pvh) {
		uint8_t *n = img + NOTE_OFF;
		/* An unrelated note first, to check the walk. */
		w32(n, 4);
		w32(n + 4, 4);
		w32(n + 8, 6);
		memcpy(n + 12, "Xen", 4);
		w32(n + 16, 0x1234);
		n += 20;
		w32(n, 4);
		w32(n + 4, descsz);
		w32(n + 8, 18);
		memcpy(n + 12, "Xen", 4);
		if (descsz == 8)
			w64(n + 16, 0x200080);
		else
			w32(n + 16, 0x200080);
		put_phdr64(img + PH1, 4, NOTE_OFF, 0, 0, 20 + 16 + descsz, 0);
	}
	return DATA_OFF + DATA_SIZE;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ram = malloc(RAM_SIZE);
	memset(f->ram, 0xaa, RAM_SIZE);
	guest_mem_init_buffer(&f->gm, f->ram, RAM_SIZE);
	f->in.kernel = f->img;
	f->in.kernel_size = make_elf64(f->img, 0, 0);
	f->in.kernel_name = "vmlinux";
	f->in.cmdline = "console=hvc0";
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

static int load(struct fixture *f)
{
	memset(&f->eb, 0, sizeof(f->eb));
	return elf_load(&f->gm, &f->in, &f->bs, &f->eb);
}

static void test_elf64_entry(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(elf_probe(f->img, f->in.kernel_size), 1);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bs.mode, BOOT_MODE_LONG64);
	assert_int_equal(f->bs.entry, 0x200040); /* virtual entry translated */
	assert_int_equal(f->bs.rsi, 0);
	assert_int_equal(f->bs.rbx, 0);
	assert_string_equal(f->bs.format, "ELF64");
	assert_memory_equal(f->ram + 0x200000, f->img + DATA_OFF, DATA_SIZE);
	for (unsigned i = DATA_SIZE; i < 0x2000; i++)
		assert_int_equal(f->ram[0x200000 + i], 0);
	assert_int_equal(f->ram[0x202000], 0xaa);
}

static void check_pvh(struct fixture *f)
{
	assert_int_equal(f->bs.mode, BOOT_MODE_PROT32);
	assert_int_equal(f->bs.entry, 0x200080);
	assert_int_equal(f->bs.rbx, BOOT_INFO_ADDR);
	assert_string_equal(f->bs.format, "PVH");
	const uint8_t *si = f->ram + BOOT_INFO_ADDR;
	assert_int_equal(r32(si + 0), 0x336ec578);
	assert_int_equal(r32(si + 4), 1);
	assert_int_equal(r32(si + 8), 0);
	assert_int_equal(r64(si + 24), BOOT_CMDLINE_ADDR);
	assert_string_equal((char *)f->ram + BOOT_CMDLINE_ADDR, "console=hvc0");
	assert_int_equal(r64(si + 32), 0xe0000);
	struct e820_entry map[E820_MAX];
	unsigned n = gm_e820(&f->gm, map, E820_MAX);
	assert_int_equal(r32(si + 48), n);
	assert_int_equal(r32(si + 52), 0);
	const uint8_t *mm = f->ram + r64(si + 40);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(r64(mm + 24 * i), map[i].addr);
		assert_int_equal(r64(mm + 24 * i + 8), map[i].size);
		assert_int_equal(r32(mm + 24 * i + 16), map[i].type);
		assert_int_equal(r32(mm + 24 * i + 20), 0);
	}
}

static void test_pvh_note(void **state)
{
	struct fixture *f = *state;
	f->in.kernel_size = make_elf64(f->img, 1, 4);
	assert_int_equal(load(f), 0);
	check_pvh(f);
	assert_int_equal(r32(f->ram + BOOT_INFO_ADDR + 12), 0); /* no modules */
	assert_int_equal(r64(f->ram + BOOT_INFO_ADDR + 16), 0);

	f->in.kernel_size = make_elf64(f->img, 1, 8); /* Linux uses 8 bytes */
	assert_int_equal(load(f), 0);
	check_pvh(f);
}

static void test_pvh_initrd(void **state)
{
	struct fixture *f = *state;
	static uint8_t rd[3000];
	memset(rd, 0x77, sizeof(rd));
	f->in.kernel_size = make_elf64(f->img, 1, 8);
	f->in.initrd = rd;
	f->in.initrd_size = sizeof(rd);
	assert_int_equal(load(f), 0);
	check_pvh(f);
	const uint8_t *si = f->ram + BOOT_INFO_ADDR;
	assert_int_equal(r32(si + 12), 1);
	const uint8_t *mod = f->ram + r64(si + 16);
	uint64_t addr = r64(mod);
	assert_int_equal(addr, RAM_SIZE - 0x1000); /* top page of RAM */
	assert_int_equal(r64(mod + 8), sizeof(rd));
	assert_int_equal(r64(mod + 16), 0);
	assert_memory_equal(f->ram + addr, rd, sizeof(rd));
}

static void test_pvh_bad_note(void **state)
{
	struct fixture *f = *state;
	f->in.kernel_size = make_elf64(f->img, 1, 2);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "2-byte"));
	f->in.kernel_size = make_elf64(f->img, 1, 8);
	w64(f->img + NOTE_OFF + 20 + 16, 0x100000000ULL);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "above 4 GiB"));
	/* A note whose descsz runs past its segment is not found. */
	f->in.kernel_size = make_elf64(f->img, 1, 8);
	w32(f->img + NOTE_OFF + 20 + 4, 0xfffffff0);
	assert_int_equal(load(f), 0);
	assert_string_equal(f->bs.format, "ELF64");
	/* Note segment outside the file: ignored as well. */
	f->in.kernel_size = make_elf64(f->img, 1, 8);
	w64(f->img + PH1 + 8, 0xfffffffffffffff0ULL);
	assert_int_equal(load(f), 0);
	assert_string_equal(f->bs.format, "ELF64");
}

static void test_elf64_initrd_refused(void **state)
{
	struct fixture *f = *state;
	static uint8_t rd[16];
	f->in.initrd = rd;
	f->in.initrd_size = sizeof(rd);
	f->in.initrd_name = "rd";
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "cannot receive initrd rd"));
}

static void test_phoff_out_of_range(void **state)
{
	struct fixture *f = *state;
	w64(f->img + 32, f->in.kernel_size - 55);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "vmlinux: truncated program header table"));
	w64(f->img + 32, 0xffffffffffffffc0ULL); /* would wrap */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "truncated program header table"));
	assert_int_equal(f->ram[0x200000], 0xaa);
}

static void test_phnum_huge(void **state)
{
	struct fixture *f = *state;
	w16(f->img + 56, 0xffff);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "truncated program header table (65535 entries"));
	w16(f->img + 56, 0);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "no program headers"));
	w16(f->img + 56, 1);
	w16(f->img + 54, 32); /* phentsize too small for ELF64 */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "program header size 32"));
}

static void test_filesz_gt_memsz(void **state)
{
	struct fixture *f = *state;
	w64(f->img + PH0 + 40, DATA_SIZE - 1);
	assert_int_equal(load(f), -1);
	assert_string_equal(
	    f->eb.msg, "vmlinux: segment 0 file size 0x800 is larger than its memory size 0x7ff");
	assert_int_equal(f->ram[0x200000], 0xaa);
}

static void test_overflow(void **state)
{
	struct fixture *f = *state;
	/* p_paddr + p_memsz wraps around. */
	w64(f->img + PH0 + 24, 0xfffffffffffff000ULL);
	assert_int_equal(load(f), -1);
	assert_string_equal(
	    f->eb.msg,
	    "vmlinux: segment at 0xfffffffffffff000 size 0x2000 outside guest RAM (16 MiB)");
	/* p_offset + p_filesz wraps around. */
	w64(f->img + PH0 + 24, 0x200000);
	w64(f->img + PH0 + 8, 0xffffffffffffff00ULL);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(
	    f->eb.msg, "segment 0 file range 0xffffffffffffff00+0x800 is outside the image"));
	/* File range one byte past the end. */
	w64(f->img + PH0 + 8, DATA_OFF + 1);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "outside the image (6144 bytes)"));
	/* Segment past the end of RAM. */
	w64(f->img + PH0 + 8, DATA_OFF);
	w64(f->img + PH0 + 24, RAM_SIZE - 0x1000);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "outside guest RAM (16 MiB)"));
	/* Huge memsz. */
	w64(f->img + PH0 + 24, 0x200000);
	w64(f->img + PH0 + 40, 0xffffffffffffffffULL);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "outside guest RAM"));
	assert_int_equal(f->ram[0x200000], 0xaa);
}

static void test_bad_header(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(elf_probe(f->img, 3), 0);
	f->in.kernel_size = 40;
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "truncated ELF header"));
	f->in.kernel_size = DATA_OFF + DATA_SIZE;
	w16(f->img + 18, 3); /* i386 machine in an ELF64 file */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "is not x86-64"));
	w16(f->img + 18, 62);
	f->img[5] = 2; /* big endian */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "little-endian"));
	f->img[5] = 1;
	w16(f->img + 16, 3); /* ET_DYN */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "ET_EXEC"));
	w16(f->img + 16, 2);
	w64(f->img + 24, 0x12345678); /* entry in no segment */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "entry point 0x12345678 is not inside"));
	w64(f->img + 24, 0xffffffff80200040ULL);
	w32(f->img + PH0, 6); /* no PT_LOAD left */
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->eb.msg, "no loadable segments"));
}

/* ELF32 without PVH note (the Multiboot loader handles Multiboot ones). */
static void test_elf32_refused(void **state)
{
	struct fixture *f = *state;
	memset(f->img, 0, IMG_CAP);
	memcpy(f->img,
	       "\x7f"
	       "ELF",
	       4);
	f->img[4] = 1;
	f->img[5] = 1;
	w16(f->img + 16, 2);
	w16(f->img + 18, 3);
	w32(f->img + 24, 0x100000);
	w32(f->img + 28, 52);
	w16(f->img + 42, 32);
	w16(f->img + 44, 1);
	w32(f->img + 52, 1);
	w32(f->img + 56, 0x100);
	w32(f->img + 60, 0x100000);
	w32(f->img + 64, 0x100000);
	w32(f->img + 68, 0x10);
	w32(f->img + 72, 0x10);
	f->in.kernel_size = 0x200;
	assert_int_equal(load(f), -1);
	assert_string_equal(f->eb.msg, "vmlinux: 32-bit ELF without Multiboot header or PVH note");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_elf64_entry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pvh_note, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pvh_initrd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pvh_bad_note, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_elf64_initrd_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_phoff_out_of_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_phnum_huge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_filesz_gt_memsz, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_elf32_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
