/* Unit tests for the port sink: dropped writes read all-ones, readback
 * ports return the last byte written. */
#include "unit.h"

#include "vslice/dev/port_sink.h"

static void test_drop(void **state)
{
	struct port_sink p;
	port_sink_init(&p, false);
	uint8_t v = 0x42, out = 0;
	port_sink_io(&p, 0, &v, 1, true);
	port_sink_io(&p, 0, &out, 1, false);
	assert_int_equal(out, 0xff);
}

static void test_readback(void **state)
{
	struct port_sink p;
	port_sink_init(&p, true);
	uint8_t v = 0x02, out = 0;
	port_sink_io(&p, 0, &out, 1, false);
	assert_int_equal(out, 0x00);
	port_sink_io(&p, 0, &v, 1, true);
	port_sink_io(&p, 0, &out, 1, false);
	assert_int_equal(out, 0x02);
	uint8_t wide[4] = {0};
	port_sink_io(&p, 0, wide, 4, false);
	assert_int_equal(wide[0], 0x02);
	assert_int_equal(wide[1], 0xff);
	assert_int_equal(wide[3], 0xff);
	uint8_t w2[2] = {0x07, 0x09};
	port_sink_io(&p, 0, w2, 2, true);
	assert_int_equal(p.last, 0x07);
	port_sink_io(&p, 1, &v, 1, true); /* not the first port: dropped */
	assert_int_equal(p.last, 0x07);
	port_sink_io(&p, 1, &out, 1, false);
	assert_int_equal(out, 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drop),
	    cmocka_unit_test(test_readback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
