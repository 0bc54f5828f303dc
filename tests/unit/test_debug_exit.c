/* Unit tests for the ISA debug-exit device: status (V << 1) | 1 at the
 * access width, reads return all-ones. */
#include "unit.h"

#include "vslice/dev/debug_exit.h"

struct exits {
	int calls, status;
};

static void fake_exit(void *opaque, int status)
{
	struct exits *e = opaque;
	e->calls++;
	e->status = status;
}

static void test_byte_writes(void **state)
{
	struct exits e = {0};
	struct debug_exit d;
	debug_exit_init(&d, fake_exit, &e);
	uint8_t v = 0;
	debug_exit_io(&d, 0, &v, 1, true);
	assert_int_equal(e.calls, 1);
	assert_int_equal(e.status, 1);
	v = 0x10;
	debug_exit_io(&d, 0, &v, 1, true);
	assert_int_equal(e.status, 0x21);
	v = 0xff;
	debug_exit_io(&d, 0, &v, 1, true);
	assert_int_equal(e.status, 0x1ff);
}

static void test_wide_writes(void **state)
{
	struct exits e = {0};
	struct debug_exit d;
	debug_exit_init(&d, fake_exit, &e);
	uint8_t w16[2] = {0x34, 0x12};
	debug_exit_io(&d, 0, w16, 2, true);
	assert_int_equal(e.status, 0x2469);
	uint8_t w32[4] = {0xff, 0xff, 0xff, 0x7f};
	debug_exit_io(&d, 0, w32, 4, true);
	assert_int_equal(e.status, -1); /* 0xffffffff as int */
	uint8_t big[4] = {0x00, 0x00, 0x00, 0x80};
	debug_exit_io(&d, 0, big, 4, true); /* bit 31 shifts out */
	assert_int_equal(e.status, 1);
	assert_int_equal(e.calls, 3);
}

static void test_reads(void **state)
{
	struct exits e = {0};
	struct debug_exit d;
	debug_exit_init(&d, fake_exit, &e);
	uint8_t buf[4] = {0};
	debug_exit_io(&d, 0, buf, 4, false);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(buf[i], 0xff);
	assert_int_equal(e.calls, 0);
}

static void test_no_callback(void **state)
{
	struct debug_exit d;
	debug_exit_init(&d, NULL, NULL);
	uint8_t v = 3;
	debug_exit_io(&d, 0, &v, 1, true); /* must not crash */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_byte_writes),
	    cmocka_unit_test(test_wide_writes),
	    cmocka_unit_test(test_reads),
	    cmocka_unit_test(test_no_callback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
