/* Unit tests for the fw_cfg device: the standard items byte for byte as
 * QEMU's fw_cfg spec lays them out, the file directory parsed back, reads
 * past the end, unknown keys, the limits of the set-up calls, and the DMA
 * interface including hostile descriptors. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "vslice/dev/fw_cfg.h"

#define RAM_64M (64ull << 20)
#define GUEST_BYTES 0x10000

struct rig {
	struct fw_cfg cfg;
	struct guest_mem gm;
	uint8_t ram[GUEST_BYTES];
};

static int rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	guest_mem_init_buffer(&r->gm, r->ram, sizeof(r->ram));
	struct errbuf eb;
	assert_int_equal(fw_cfg_init(&r->cfg, &r->gm, RAM_64M, 2, &eb), 0);
	*state = r;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *r = *state;
	fw_cfg_free(&r->cfg);
	free(r);
	return 0;
}

static void sel(struct fw_cfg *cfg, uint16_t key)
{
	uint8_t v[2] = {key & 0xff, key >> 8};
	fw_cfg_io(cfg, 0, v, 2, true);
}

static void read_data(struct fw_cfg *cfg, uint8_t *out, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		out[i] = 0xee;
		fw_cfg_io(cfg, 1, &out[i], 1, false);
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_signature(void **state)
{
	struct rig *r = *state;
	uint8_t buf[8];
	sel(&r->cfg, FW_CFG_SIGNATURE);
	read_data(&r->cfg, buf, 8);
	const uint8_t want[8] = {'Q', 'E', 'M', 'U', 0, 0, 0, 0};
	assert_memory_equal(buf, want, 8);
	/* Reselecting starts over at offset 0. */
	sel(&r->cfg, FW_CFG_SIGNATURE);
	read_data(&r->cfg, buf, 2);
	sel(&r->cfg, FW_CFG_SIGNATURE);
	read_data(&r->cfg, buf, 4);
	assert_memory_equal(buf, "QEMU", 4);
	/* Bit 14 (write channel) names the same item. */
	sel(&r->cfg, FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE);
	read_data(&r->cfg, buf, 4);
	assert_memory_equal(buf, "QEMU", 4);
}

static void test_id(void **state)
{
	struct rig *r = *state;
	uint8_t buf[6];
	sel(&r->cfg, FW_CFG_ID);
	read_data(&r->cfg, buf, 6);
	const uint8_t with_dma[6] = {0x03, 0, 0, 0, 0, 0};
	assert_memory_equal(buf, with_dma, 6);

	struct fw_cfg nodma;
	struct errbuf eb;
	assert_int_equal(fw_cfg_init(&nodma, NULL, RAM_64M, 1, &eb), 0);
	sel(&nodma, FW_CFG_ID);
	read_data(&nodma, buf, 4);
	const uint8_t traditional[4] = {0x01, 0, 0, 0};
	assert_memory_equal(buf, traditional, 4);
	fw_cfg_free(&nodma);
}

static void test_ram_size_and_cpus(void **state)
{
	struct rig *r = *state;
	uint8_t buf[10];
	sel(&r->cfg, FW_CFG_RAM_SIZE);
	read_data(&r->cfg, buf, 10);
	const uint8_t ram[10] = {0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0, 0, 0}; /* 0x4000000 LE */
	assert_memory_equal(buf, ram, 10);
	sel(&r->cfg, FW_CFG_NB_CPUS);
	read_data(&r->cfg, buf, 3);
	const uint8_t two[3] = {0x02, 0x00, 0x00};
	assert_memory_equal(buf, two, 3);
	sel(&r->cfg, FW_CFG_MAX_CPUS);
	read_data(&r->cfg, buf, 3);
	assert_memory_equal(buf, two, 3);

	/* A RAM size above 4 GiB keeps its high bytes; 300 CPUs need both
	 * bytes of the 16-bit item. */
	struct fw_cfg big;
	struct errbuf eb;
	assert_int_equal(fw_cfg_init(&big, NULL, 0x123456789aull, 300, &eb), 0);
	sel(&big, FW_CFG_RAM_SIZE);
	read_data(&big, buf, 8);
	const uint8_t bigram[8] = {0x9a, 0x78, 0x56, 0x34, 0x12, 0, 0, 0};
	assert_memory_equal(buf, bigram, 8);
	sel(&big, FW_CFG_NB_CPUS);
	read_data(&big, buf, 2);
	assert_int_equal(buf[0], 300 & 0xff);
	assert_int_equal(buf[1], 300 >> 8);
	fw_cfg_free(&big);

	assert_int_equal(fw_cfg_init(&big, NULL, RAM_64M, 0, &eb), -1);
	assert_non_null(strstr(eb.msg, "CPU count 0"));
	fw_cfg_free(&big);
}

static void test_empty_file_dir(void **state)
{
	struct rig *r = *state;
	uint8_t buf[8];
	sel(&r->cfg, FW_CFG_FILE_DIR);
	read_data(&r->cfg, buf, 8);
	const uint8_t want[8] = {0, 0, 0, 0, 0, 0, 0, 0};
	assert_memory_equal(buf, want, 8);
}

static void test_file_dir(void **state)
{
	struct rig *r = *state;
	struct errbuf eb;
	const char version[] = "vslice 0.1\n";
	uint8_t blob[300];
	for (unsigned i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(
	    fw_cfg_add_file(&r->cfg, "opt/vslice/version", version, strlen(version), &eb), 0x20);
	assert_int_equal(fw_cfg_add_file(&r->cfg, "etc/e820", blob, sizeof(blob), &eb), 0x21);

	/* count (BE32) + 2 entries of 64 bytes, then zeros */
	enum { DIR_LEN = 4 + 2 * 64 };
	uint8_t dir[DIR_LEN + 4];
	sel(&r->cfg, FW_CFG_FILE_DIR);
	read_data(&r->cfg, dir, sizeof(dir));
	assert_int_equal(be32(dir), 2);
	const uint8_t *e = dir + 4;
	/* size (BE32), select (BE16), reserved */
	assert_int_equal(be32(e), strlen(version));
	assert_int_equal(e[4], 0x00);
	assert_int_equal(e[5], 0x20);
	assert_int_equal(e[6], 0);
	assert_int_equal(e[7], 0);
	char name[56] = "opt/vslice/version"; /* NUL-padded to 56 */
	assert_memory_equal(e + 8, name, 56);
	e += 64;
	assert_int_equal(be32(e), 300);
	assert_int_equal(e[4], 0x00);
	assert_int_equal(e[5], 0x21);
	assert_int_equal(e[6] | e[7], 0);
	char name2[56] = "etc/e820";
	assert_memory_equal(e + 8, name2, 56);
	const uint8_t zeros[4] = {0};
	assert_memory_equal(dir + DIR_LEN, zeros, 4);

	/* The files read back exactly, then zeros. */
	uint8_t buf[320];
	sel(&r->cfg, 0x20);
	read_data(&r->cfg, buf, strlen(version) + 2);
	assert_memory_equal(buf, version, strlen(version));
	assert_int_equal(buf[strlen(version)], 0);
	assert_int_equal(buf[strlen(version) + 1], 0);
	sel(&r->cfg, 0x21);
	read_data(&r->cfg, buf, sizeof(buf));
	assert_memory_equal(buf, blob, sizeof(blob));
	for (unsigned i = sizeof(blob); i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
}

static void test_unknown_keys(void **state)
{
	struct rig *r = *state;
	/* Unset generic keys, unused file slots, keys past every table, and
	 * unset arch keys. */
	/* clang-format off */
	const uint16_t keys[] = {
		FW_CFG_UUID, FW_CFG_KERNEL_CMDLINE, 0x001f, 0x0020, 0x003f, 0x0040,
		0x3fff, 0x7fff, 0x8000, 0x8007, 0x8008, 0xbfff, 0xffff,
	};
	/* clang-format on */
	for (unsigned k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		uint8_t buf[16];
		sel(&r->cfg, keys[k]);
		read_data(&r->cfg, buf, sizeof(buf));
		for (unsigned i = 0; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0);
		assert_int_equal(r->cfg.offset, 0); /* nothing to advance over */
	}
}

static void test_port_widths(void **state)
{
	struct rig *r = *state;
	sel(&r->cfg, FW_CFG_SIGNATURE);
	/* A byte write to the selector, data-port writes and selector reads
	 * change nothing. */
	uint8_t v = FW_CFG_ID;
	fw_cfg_io(&r->cfg, 0, &v, 1, true);
	v = 0x55;
	fw_cfg_io(&r->cfg, 1, &v, 1, true);
	uint8_t w[2] = {0xaa, 0xaa};
	fw_cfg_io(&r->cfg, 0, w, 2, false);
	assert_int_equal(w[0], 0);
	assert_int_equal(w[1], 0);
	uint8_t buf[4];
	read_data(&r->cfg, buf, 4);
	assert_memory_equal(buf, "QEMU", 4);
}

static void test_reset(void **state)
{
	struct rig *r = *state;
	uint8_t buf[4];
	sel(&r->cfg, FW_CFG_RAM_SIZE);
	read_data(&r->cfg, buf, 3);
	fw_cfg_reset(&r->cfg);
	assert_int_equal(r->cfg.selector, 0);
	read_data(&r->cfg, buf, 4);
	assert_memory_equal(buf, "QEMU", 4);
}

static void test_add_limits(void **state)
{
	struct rig *r = *state;
	struct errbuf eb;
	uint8_t b = 1;
	char name[80];

	assert_int_equal(fw_cfg_add_file(&r->cfg, "", &b, 1, &eb), -1);
	assert_non_null(strstr(eb.msg, "1..55"));
	memset(name, 'a', sizeof(name));
	name[56] = 0;
	assert_int_equal(fw_cfg_add_file(&r->cfg, name, &b, 1, &eb), -1);
	name[55] = 0;
	assert_int_equal(fw_cfg_add_file(&r->cfg, name, &b, 1, &eb), 0x20);
	assert_int_equal(fw_cfg_add_file(&r->cfg, name, &b, 1, &eb), -1);
	assert_non_null(strstr(eb.msg, "already added"));
	assert_int_equal(fw_cfg_add_file(&r->cfg, "bad\nname", &b, 1, &eb), -1);
	assert_non_null(strstr(eb.msg, "character 3"));
	assert_int_equal(fw_cfg_add_file(&r->cfg, "big", &b, (size_t)FW_CFG_MAX_ITEM_LEN + 1, &eb),
			 -1);
	assert_int_equal(fw_cfg_add_file(&r->cfg, "nodata", NULL, 4, &eb), -1);
	for (int i = 1; i < FW_CFG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "opt/f%d", i);
		assert_int_equal(fw_cfg_add_file(&r->cfg, name, &b, 1, &eb), 0x20 + i);
	}
	assert_int_equal(fw_cfg_add_file(&r->cfg, "opt/one-too-many", &b, 1, &eb), -1);
	assert_non_null(strstr(eb.msg, "too many files"));
	assert_int_equal(r->cfg.nfiles, FW_CFG_MAX_FILES);
	uint8_t cnt[4];
	sel(&r->cfg, FW_CFG_FILE_DIR);
	read_data(&r->cfg, cnt, 4);
	assert_int_equal(be32(cnt), FW_CFG_MAX_FILES);

	/* add_bytes: generic keys below 0x20 but not the directory, arch
	 * keys 0x8000..0x8007; replacing an item works. */
	assert_int_equal(fw_cfg_add_bytes(&r->cfg, FW_CFG_FILE_DIR, &b, 1, &eb), -1);
	assert_int_equal(fw_cfg_add_bytes(&r->cfg, 0x0020, &b, 1, &eb), -1);
	assert_int_equal(fw_cfg_add_bytes(&r->cfg, 0x4001, &b, 1, &eb), -1);
	assert_int_equal(fw_cfg_add_bytes(&r->cfg, 0x8008, &b, 1, &eb), -1);
	assert_int_equal(
	    fw_cfg_add_bytes(&r->cfg, FW_CFG_UUID, &b, (size_t)FW_CFG_MAX_ITEM_LEN + 1, &eb), -1);
	assert_int_equal(fw_cfg_add_bytes(&r->cfg, 0x8003, "e820", 4, &eb), 0);
	uint8_t buf[5];
	sel(&r->cfg, 0x8003);
	read_data(&r->cfg, buf, 5);
	assert_memory_equal(buf, "e820\0", 5);
	assert_int_equal(fw_cfg_add_bytes(&r->cfg, FW_CFG_NB_CPUS, "\x08\x00", 2, &eb), 0);
	sel(&r->cfg, FW_CFG_NB_CPUS);
	read_data(&r->cfg, buf, 2);
	assert_int_equal(buf[0], 8);
	assert_int_equal(buf[1], 0);
}

/* --- DMA --- */

#define DESC 0x1000
#define DEST 0x2000

static void put_desc(struct rig *r, uint64_t at, uint32_t control, uint32_t length, uint64_t addr)
{
	uint8_t *p = r->ram + at;
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(control >> (24 - 8 * i));
		p[4 + i] = (uint8_t)(length >> (24 - 8 * i));
	}
	for (int i = 0; i < 8; i++)
		p[8 + i] = (uint8_t)(addr >> (56 - 8 * i));
}

/* Writes a 32-bit big-endian address to the low half (offset 4): the
 * x86 guest's outl(bswap32(addr), 0x518). */
static void dma_go32(struct fw_cfg *cfg, uint32_t addr)
{
	uint8_t v[4] = {addr >> 24, addr >> 16, addr >> 8, addr};
	fw_cfg_dma_io(cfg, 4, v, 4, true);
}

static void dma_go64(struct fw_cfg *cfg, uint64_t addr)
{
	uint8_t v[8];
	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(addr >> (56 - 8 * i));
	fw_cfg_dma_io(cfg, 0, v, 8, true);
}

static uint32_t control_of(struct rig *r, uint64_t at)
{
	return be32(r->ram + at);
}

static void test_dma_signature(void **state)
{
	struct rig *r = *state;
	uint8_t buf[8];
	fw_cfg_dma_io(&r->cfg, 0, buf, 8, false);
	assert_memory_equal(buf, "QEMU CFG", 8);
	fw_cfg_dma_io(&r->cfg, 4, buf, 4, false);
	assert_memory_equal(buf, " CFG", 4);
	fw_cfg_dma_io(&r->cfg, 0, buf, 4, false);
	assert_memory_equal(buf, "QEMU", 4);

	/* Without guest memory there is no DMA register. */
	struct fw_cfg nodma;
	struct errbuf eb;
	assert_int_equal(fw_cfg_init(&nodma, NULL, RAM_64M, 1, &eb), 0);
	fw_cfg_dma_io(&nodma, 0, buf, 8, false);
	for (int i = 0; i < 8; i++)
		assert_int_equal(buf[i], 0xff);
	dma_go32(&nodma, DESC);
	fw_cfg_free(&nodma);
}

static void test_dma_read(void **state)
{
	struct rig *r = *state;
	memset(r->ram + DEST, 0xaa, 16);
	put_desc(r, DESC, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 6,
		 DEST);
	dma_go32(&r->cfg, DESC);
	assert_int_equal(control_of(r, DESC), 0);
	const uint8_t want[8] = {'Q', 'E', 'M', 'U', 0, 0, 0xaa, 0xaa};
	assert_memory_equal(r->ram + DEST, want, 8);
	assert_int_equal(r->cfg.dma_errors, 0);

	/* One 64-bit write; RAM size, read in two pieces sharing the offset
	 * with the data port. */
	put_desc(r, DESC, FW_CFG_RAM_SIZE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 2,
		 DEST);
	dma_go64(&r->cfg, DESC);
	assert_int_equal(control_of(r, DESC), 0);
	uint8_t b;
	read_data(&r->cfg, &b, 1);
	assert_int_equal(b, 0x00);
	read_data(&r->cfg, &b, 1);
	assert_int_equal(b, 0x04); /* byte 3 of 0x04000000 */
	put_desc(r, DESC, FW_CFG_DMA_CTL_READ, 4, DEST + 2);
	dma_go32(&r->cfg, DESC);
	assert_int_equal(control_of(r, DESC), 0);
	const uint8_t ram[6] = {0, 0, 0, 0, 0, 0};
	assert_memory_equal(r->ram + DEST, ram, 6);
	assert_int_equal(r->cfg.offset, 8);
}

static void test_dma_skip_and_file(void **state)
{
	struct rig *r = *state;
	struct errbuf eb;
	assert_int_equal(fw_cfg_add_file(&r->cfg, "opt/x", "0123456789", 10, &eb), 0x20);
	put_desc(r, DESC, 0x20 << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP, 3, 0);
	dma_go32(&r->cfg, DESC);
	assert_int_equal(control_of(r, DESC), 0);
	put_desc(r, DESC, FW_CFG_DMA_CTL_READ, 4, DEST);
	dma_go32(&r->cfg, DESC);
	assert_memory_equal(r->ram + DEST, "3456", 4);
	/* Skipping past the end stops at the end; reads then give zeros. */
	put_desc(r, DESC, FW_CFG_DMA_CTL_SKIP, 0xffffffffu, 0);
	dma_go32(&r->cfg, DESC);
	assert_int_equal(control_of(r, DESC), 0);
	assert_int_equal(r->cfg.offset, 10);
	memset(r->ram + DEST, 0xaa, 4);
	put_desc(r, DESC, FW_CFG_DMA_CTL_READ, 4, DEST);
	dma_go32(&r->cfg, DESC);
	assert_int_equal(control_of(r, DESC), 0);
	const uint8_t zeros[4] = {0};
	assert_memory_equal(r->ram + DEST, zeros, 4);

	/* The file directory over DMA. */
	put_desc(r, DESC, FW_CFG_FILE_DIR << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
		 4 + 64, DEST);
	dma_go32(&r->cfg, DESC);
	assert_int_equal(be32(r->ram + DEST), 1);
	assert_int_equal(be32(r->ram + DEST + 4), 10);
	assert_string_equal((char *)r->ram + DEST + 12, "opt/x");
}

static void test_dma_hostile(void **state)
{
	struct rig *r = *state;
	uint8_t snapshot[GUEST_BYTES];

	/* Destination outside RAM, wrapping, or longer than RAM: error bit,
	 * nothing written, offset unchanged. */
	const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
	    {GUEST_BYTES, 1}, {GUEST_BYTES - 4, 8}, {0xfffffffffffffff0ull, 0x20},
	    {0, 0xffffffffu}, {0x100, GUEST_BYTES}, {0x100000000ull + DEST, 4},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_desc(r, DESC,
			 FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
			 bad[i].len, bad[i].addr);
		memcpy(snapshot, r->ram, GUEST_BYTES);
		dma_go64(&r->cfg, DESC);
		assert_int_equal(control_of(r, DESC), FW_CFG_DMA_CTL_ERROR);
		/* only the control word changed */
		memcpy(snapshot + DESC, r->ram + DESC, 4);
		assert_memory_equal(snapshot, r->ram, GUEST_BYTES);
		assert_int_equal(r->cfg.offset, 0);
		assert_int_equal(r->cfg.dma_errors, i + 1);
	}

	/* Writes are refused: items are read-only. */
	put_desc(r, DESC, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4,
		 DEST);
	memcpy(r->ram + DEST, "XXXX", 4);
	dma_go32(&r->cfg, DESC);
	assert_int_equal(control_of(r, DESC), FW_CFG_DMA_CTL_ERROR);
	uint8_t buf[4];
	sel(&r->cfg, FW_CFG_SIGNATURE);
	read_data(&r->cfg, buf, 4);
	assert_memory_equal(buf, "QEMU", 4);

	/* Descriptors not wholly in RAM are ignored (nowhere to report). */
	unsigned errors = r->cfg.dma_errors;
	const uint64_t bad_desc[] = {GUEST_BYTES - 8, GUEST_BYTES, 0xfffffffffffffffcull,
				     0xffffffffffffffffull};
	for (unsigned i = 0; i < sizeof(bad_desc) / sizeof(bad_desc[0]); i++) {
		memcpy(snapshot, r->ram, GUEST_BYTES);
		dma_go64(&r->cfg, bad_desc[i]);
		assert_memory_equal(snapshot, r->ram, GUEST_BYTES);
		assert_int_equal(r->cfg.dma_errors, errors + i + 1);
	}

	/* The register is 0 after an operation: a high half written before a
	 * bad transfer does not stick to the next 32-bit trigger. */
	uint8_t high[4] = {0, 0, 0, 1};
	fw_cfg_dma_io(&r->cfg, 0, high, 4, true);
	put_desc(r, DESC, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4,
		 DEST);
	dma_go32(&r->cfg, DESC); /* address 0x1_0000_1000: not RAM */
	assert_int_equal(control_of(r, DESC),
			 FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ);
	dma_go32(&r->cfg, DESC); /* address 0x1000 */
	assert_int_equal(control_of(r, DESC), 0);
	assert_memory_equal(r->ram + DEST, "QEMU", 4);

	/* A descriptor that reads over itself: data first, then control. */
	put_desc(r, DESC, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 16,
		 DESC);
	dma_go32(&r->cfg, DESC);
	const uint8_t self[16] = {0};
	assert_memory_equal(r->ram + DESC, self, 16);
	/* Unknown control bits alone do nothing and succeed. */
	put_desc(r, DESC, 0x00000fe0, 4, DEST);
	dma_go32(&r->cfg, DESC);
	assert_int_equal(control_of(r, DESC), 0);
	/* Length 0 reads succeed anywhere. */
	put_desc(r, DESC, FW_CFG_DMA_CTL_READ, 0, 0xfffffffffffff000ull);
	dma_go32(&r->cfg, DESC);
	assert_int_equal(control_of(r, DESC), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_signature, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_id, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_ram_size_and_cpus, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_empty_file_dir, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_file_dir, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_keys, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_port_widths, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_reset, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_add_limits, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_dma_signature, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_dma_read, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_dma_skip_and_file, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_dma_hostile, rig_setup, rig_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
