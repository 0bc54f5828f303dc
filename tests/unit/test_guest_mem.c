/* Guest memory: layout around the MMIO hole, checked accessors, e820. */
#include <stdlib.h>

#include "unit.h"

#include "vslice/guest_mem.h"

static void bounds(void **state)
{
	static uint8_t buf[1 << 16];
	struct guest_mem gm;
	guest_mem_init_buffer(&gm, buf, sizeof(buf));
	assert_ptr_equal(gm_ptr(&gm, 0, 1), buf);
	assert_ptr_equal(gm_ptr(&gm, sizeof(buf) - 4, 4), buf + sizeof(buf) - 4);
	assert_null(gm_ptr(&gm, sizeof(buf) - 3, 4));
	assert_null(gm_ptr(&gm, sizeof(buf), 1));
	assert_null(gm_ptr(&gm, UINT64_MAX, 2));      /* wraps */
	assert_null(gm_ptr(&gm, 8, UINT64_MAX));      /* length overflow */
	uint32_t v = 0x12345678, r = 0;
	assert_int_equal(gm_write(&gm, 100, &v, 4), 0);
	assert_int_equal(gm_read(&gm, 100, &r, 4), 0);
	assert_int_equal(r, v);
	assert_int_equal(gm_write(&gm, sizeof(buf) - 2, &v, 4), -1);
	assert_int_equal(gm_read(&gm, sizeof(buf) - 2, &r, 4), -1);
	guest_mem_clear(&gm);
	assert_int_equal(buf[100], 0);
}

static void layout_and_e820(void **state)
{
	struct guest_mem gm;
	struct errbuf eb;
	/* 4 GiB of RAM: 3 GiB below the hole, 1 GiB above 4 GiB. */
	assert_int_equal(guest_mem_init(&gm, 4ULL << 30, &eb), 0);
	assert_int_equal(gm.nregions, 2);
	assert_int_equal(gm_low_ram_end(&gm), GM_LOW_RAM_END);
	assert_non_null(gm_ptr(&gm, GM_LOW_RAM_END - 8, 8));
	assert_null(gm_ptr(&gm, GM_LOW_RAM_END - 4, 8)); /* straddles the hole */
	assert_null(gm_ptr(&gm, 0xFEE00000ULL, 4));      /* LAPIC: not RAM */
	assert_non_null(gm_ptr(&gm, GM_HIGH_RAM_START + (1ULL << 30) - 8, 8));
	assert_null(gm_ptr(&gm, GM_HIGH_RAM_START + (1ULL << 30) - 4, 8));

	struct e820_entry e[E820_MAX];
	unsigned n = gm_e820(&gm, e, E820_MAX);
	assert_int_equal(n, 4);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].size, 0x9fc00);
	assert_int_equal(e[0].type, E820_RAM);
	assert_int_equal(e[1].type, E820_RESERVED);
	assert_int_equal(e[1].addr + e[1].size, 0x100000);
	assert_int_equal(e[2].addr, 0x100000);
	assert_int_equal(e[2].addr + e[2].size, GM_LOW_RAM_END);
	assert_int_equal(e[3].addr, GM_HIGH_RAM_START);
	assert_int_equal(e[3].size, 1ULL << 30);
	uint64_t ram = 0;
	for (unsigned i = 0; i < n; i++)
		if (e[i].type == E820_RAM)
			ram += e[i].size;
	/* Only the 384 KiB legacy hole is withheld. */
	assert_int_equal(ram, (4ULL << 30) - (0x100000 - 0x9fc00));
	guest_mem_free(&gm);
}

static void small_e820(void **state)
{
	struct guest_mem gm;
	struct errbuf eb;
	assert_int_equal(guest_mem_init(&gm, 16ULL << 20, &eb), 0);
	assert_int_equal(gm.nregions, 1);
	struct e820_entry e[2];
	assert_int_equal(gm_e820(&gm, e, 2), 2); /* truncated to max */
	guest_mem_free(&gm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bounds),
		cmocka_unit_test(layout_and_e820),
		cmocka_unit_test(small_e820),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
