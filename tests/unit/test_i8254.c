/* Unit tests for the 8254 PIT with a fake clock: mode 2 and 3 periods
 * and IRQ 0 edges, the latch command, read-back of status and count,
 * LSB/MSB access, BCD, mode 0 on channel 2 seen through port 0x61 (the
 * way Linux calibrates the TSC), the gate, and the refresh toggle. */
#include <stdlib.h>

#include "unit.h"

#include "vslice/dev/i8254.h"

struct fixture {
	struct i8254 pit;
	int level;
	unsigned rises, calls;
};

static void line_set(void *opaque, unsigned gsi, int level)
{
	struct fixture *f = opaque;
	assert_int_equal(gsi, 0);
	if (level && !f->level)
		f->rises++;
	f->level = level;
	f->calls++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	i8254_init(&f->pit, (struct irq_line){ line_set, f, 0 }, NULL, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

#define out(f, port, v, t) i8254_write(&(f)->pit, port, v, t)
#define in(f, port, t) i8254_read(&(f)->pit, port, t)

static void test_mode2_rate(void **state)
{
	struct fixture *f = *state;
	const uint64_t t0 = 1000;
	out(f, 0x43, 0x34, t0); /* ch0, LSB+MSB, mode 2 */
	assert_int_equal(f->level, 1); /* OUT goes high on the control word */
	out(f, 0x40, 0xA9, t0);
	out(f, 0x40, 0x04, t0); /* 1193 ticks: ~1 ms */
	assert_int_equal(i8254_next_event_ns(&f->pit), t0 + 999848);
	unsigned rises = f->rises;
	i8254_update(&f->pit, t0 + 999847);
	assert_int_equal(f->rises, rises);
	i8254_update(&f->pit, t0 + 999848);
	assert_int_equal(f->rises, rises + 1);
	assert_int_equal(f->level, 1);
	assert_int_equal(i8254_next_event_ns(&f->pit), t0 + 1999695);
	/* a late update: one edge for several periods, next on the grid */
	i8254_update(&f->pit, t0 + 5500000);
	assert_int_equal(f->rises, rises + 2);
	assert_int_equal(i8254_next_event_ns(&f->pit), t0 + 5999085 /* 6 * 1193 ticks */);
	/* counter value: 1193 - (ticks % 1193) */
	assert_int_equal(i8254_count(&f->pit, 0, t0 + 83810), 1193 - 100);
	assert_true(i8254_out(&f->pit, 0, t0 + 83810));
}

static void test_mode3_square(void **state)
{
	struct fixture *f = *state;
	out(f, 0x43, 0x36, 0); /* ch0, mode 3 */
	out(f, 0x40, 100, 0);
	out(f, 0x40, 0, 0);
	assert_true(i8254_out(&f->pit, 0, 41904)); /* tick 49: high half */
	assert_false(i8254_out(&f->pit, 0, 41905)); /* tick 50: low half */
	assert_true(i8254_out(&f->pit, 0, 83810)); /* tick 100: next period */
	assert_int_equal(i8254_count(&f->pit, 0, 8381), 80); /* decrements by 2 */
	assert_int_equal(i8254_next_event_ns(&f->pit), 83810);
	i8254_update(&f->pit, 41905);
	assert_int_equal(f->level, 0);
	unsigned rises = f->rises;
	i8254_update(&f->pit, 83810);
	assert_int_equal(f->rises, rises + 1);
	assert_int_equal(f->level, 1);
}

static void test_latch_and_readback(void **state)
{
	struct fixture *f = *state;
	out(f, 0x43, 0x34, 0);
	out(f, 0x40, 0x00, 0);
	out(f, 0x40, 0x10, 0); /* 0x1000 */
	out(f, 0x43, 0x00, 83810); /* latch ch0 at tick 100 */
	out(f, 0x43, 0x00, 167620); /* second latch ignored */
	assert_int_equal(in(f, 0x40, 500000), 0x9C); /* 0x1000 - 100 = 0x0F9C */
	assert_int_equal(in(f, 0x40, 500000), 0x0F);
	/* live read afterwards: tick 200 -> 0x0F38 */
	assert_int_equal(in(f, 0x40, 167620), 0x38);
	assert_int_equal(in(f, 0x40, 167620), 0x0F);
	/* read-back: status and count of channel 0 */
	out(f, 0x43, 0xC2, 83810);
	assert_int_equal(in(f, 0x40, 900000), 0xB4); /* OUT high, LSB+MSB, mode 2 */
	assert_int_equal(in(f, 0x40, 900000), 0x9C);
	assert_int_equal(in(f, 0x40, 900000), 0x0F);
	/* status only, right after a control word: null count set */
	out(f, 0x43, 0xB0, 1000000); /* ch2, mode 0 */
	out(f, 0x43, 0xE8, 1000000); /* read-back status ch2 */
	assert_int_equal(in(f, 0x42, 1000000), 0x70); /* OUT low, null count, rw 3, mode 0 */
	/* the control register reads as open bus */
	assert_int_equal(in(f, 0x43, 0), 0xFF);
}

static void test_access_modes_and_bcd(void **state)
{
	struct fixture *f = *state;
	out(f, 0x43, 0x50, 0); /* ch1, LSB only, mode 0 */
	out(f, 0x41, 0x20, 0);
	assert_int_equal(in(f, 0x41, 8381), 0x16); /* 32 - 10 */
	assert_int_equal(in(f, 0x41, 8381), 0x16); /* LSB every time */
	out(f, 0x43, 0x60, 0); /* ch1, MSB only */
	out(f, 0x41, 0x01, 0); /* 0x100 */
	assert_int_equal(i8254_count(&f->pit, 1, 8381), 0xF6);
	assert_int_equal(in(f, 0x41, 8381), 0x00); /* MSB of 0x00F6 */
	out(f, 0x43, 0x71, 0); /* ch1, LSB+MSB, mode 0, BCD */
	out(f, 0x41, 0x00, 0);
	out(f, 0x41, 0x01, 0); /* BCD 0100 = 100 */
	assert_int_equal(in(f, 0x41, 8381), 0x90);
	assert_int_equal(in(f, 0x41, 8381), 0x00);
	/* count 0 is the maximum: 65536 binary, wraps after terminal count */
	out(f, 0x43, 0x30, 0);
	out(f, 0x40, 0, 0);
	out(f, 0x40, 0, 0);
	assert_int_equal(i8254_count(&f->pit, 0, 8381), 65536 - 10);
}

static void test_port61_mode0_countdown(void **state)
{
	struct fixture *f = *state;
	const uint64_t t0 = 5000000;
	/* Linux: gate on, speaker off; channel 2 mode 0 with 11932 (10 ms) */
	out(f, 0x61, (in(f, 0x61, t0) & ~0x02) | 0x01, t0);
	out(f, 0x43, 0xB0, t0);
	out(f, 0x42, 11932 & 0xFF, t0);
	out(f, 0x42, 11932 >> 8, t0);
	assert_int_equal(in(f, 0x61, t0) & 0x23, 0x01);
	assert_int_equal(in(f, 0x61, t0 + 9999000) & 0x20, 0); /* tick 11930 */
	assert_int_equal(in(f, 0x61, t0 + 10001000) & 0x20, 0x20); /* tick 11933 */
	assert_int_equal(in(f, 0x61, t0 + 20000000) & 0x20, 0x20); /* stays high */
	/* gate low holds mode 0: the count freezes */
	out(f, 0x43, 0xB0, 0);
	out(f, 0x42, 0x00, 0);
	out(f, 0x42, 0x10, 0); /* 4096 */
	out(f, 0x61, 0x00, 83810); /* gate off at tick 100 */
	assert_int_equal(i8254_count(&f->pit, 2, 10000000), 4096 - 100);
	out(f, 0x61, 0x01, 10000000); /* on again */
	assert_int_equal(i8254_count(&f->pit, 2, 10000000 + 83810), 4096 - 200);
	assert_int_equal(in(f, 0x61, 0) & 0x0F, 0x01);
	/* the refresh bit toggles every 15.085 us */
	assert_int_equal(in(f, 0x61, 15084) & 0x10, 0);
	assert_int_equal(in(f, 0x61, 15085) & 0x10, 0x10);
	assert_int_equal(in(f, 0x61, 30170) & 0x10, 0);
}

static void test_mode0_irq_once(void **state)
{
	struct fixture *f = *state;
	out(f, 0x43, 0x30, 0); /* ch0 mode 0: OUT low */
	assert_int_equal(f->level, 0);
	out(f, 0x40, 100, 0);
	out(f, 0x40, 0, 0);
	assert_int_equal(i8254_next_event_ns(&f->pit), 83810);
	i8254_update(&f->pit, 83810);
	assert_int_equal(f->rises, 1);
	assert_int_equal(f->level, 1); /* stays high */
	assert_int_equal(i8254_next_event_ns(&f->pit), UINT64_MAX);
	i8254_update(&f->pit, 999999999);
	assert_int_equal(f->rises, 1);
	/* rewriting the count drops OUT, then a new edge */
	out(f, 0x40, 10, 1000000);
	assert_int_equal(f->level, 0); /* first byte of two stops the count */
	out(f, 0x40, 0, 1000000);
	i8254_update(&f->pit, 1000000 + 8381);
	assert_int_equal(f->rises, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mode2_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode3_square, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latch_and_readback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_modes_and_bcd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port61_mode0_countdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode0_irq_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
