/* Unit tests for the vslice MMIO test device. */
#include "unit.h"

#include "vslice/dev/testdev.h"

static uint32_t rd32(struct testdev *t, uint64_t off)
{
	uint8_t b[4];
	testdev_mmio(t, off, b, 4, false);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr32(struct testdev *t, uint64_t off, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	testdev_mmio(t, off, b, 4, true);
}

static void test_registers(void **state)
{
	struct testdev t;
	testdev_init(&t);
	assert_int_equal(rd32(&t, 0x00), 0x44545356u);
	assert_int_equal(rd32(&t, 0x04), 0);
	wr32(&t, 0x04, 0x12345678u);
	assert_int_equal(rd32(&t, 0x04), 0x12345678u);
	assert_int_equal(rd32(&t, 0x0c), 0xedcba987u);
	wr32(&t, 0x00, 0); /* read-only */
	wr32(&t, 0x0c, 0);
	assert_int_equal(rd32(&t, 0x00), 0x44545356u);
	assert_int_equal(rd32(&t, 0x04), 0x12345678u);
}

static void test_counter(void **state)
{
	struct testdev t;
	testdev_init(&t);
	assert_int_equal(rd32(&t, 0x08), 1); /* this read included */
	wr32(&t, 0x04, 1);
	rd32(&t, 0x100);
	assert_int_equal(rd32(&t, 0x08), 4);
	wr32(&t, 0x08, 0); /* read-only */
	assert_int_equal(rd32(&t, 0x08), 6);
}

static void test_narrow_and_wide(void **state)
{
	struct testdev t;
	testdev_init(&t);
	uint8_t b = 0;
	testdev_mmio(&t, 0x00, &b, 1, false);
	assert_int_equal(b, 0x56); /* 'V' */
	uint8_t h[2];
	testdev_mmio(&t, 0x00, h, 2, false);
	assert_int_equal(h[0], 0x56);
	assert_int_equal(h[1], 0x53);
	wr32(&t, 0x04, 0xaabbccdd);
	b = 0x11;
	testdev_mmio(&t, 0x04, &b, 1, true); /* low byte only */
	assert_int_equal(rd32(&t, 0x04), 0xaabbcc11u);
	uint8_t q[8];
	memset(q, 0x77, sizeof(q));
	testdev_mmio(&t, 0x04, q, 8, false);
	assert_int_equal(q[0], 0x11);
	assert_int_equal(q[3], 0xaa);
	assert_int_equal(q[4], 0);
	assert_int_equal(q[7], 0);
	memset(q, 0x55, sizeof(q));
	testdev_mmio(&t, 0x04, q, 8, true);
	assert_int_equal(rd32(&t, 0x04), 0x55555555u);
}

static void test_unknown_offsets(void **state)
{
	struct testdev t;
	testdev_init(&t);
	wr32(&t, 0x04, 0xcafe);
	assert_int_equal(rd32(&t, 0x05), 0);
	assert_int_equal(rd32(&t, 0x10), 0);
	assert_int_equal(rd32(&t, 0xffc), 0);
	wr32(&t, 0x05, 0xffffffffu);
	wr32(&t, 0x10, 0xffffffffu);
	assert_int_equal(rd32(&t, 0x04), 0xcafe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registers),
	    cmocka_unit_test(test_counter),
	    cmocka_unit_test(test_narrow_and_wide),
	    cmocka_unit_test(test_unknown_offsets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
