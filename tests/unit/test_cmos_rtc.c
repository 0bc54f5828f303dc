/* Unit tests for the CMOS RTC: time registers in BCD/binary and 12/24-hour
 * form, UIP, register C/D, setting the clock, NVRAM and the RAM-size bytes. */
#include <stdlib.h>

#include "unit.h"

#include "vslice/dev/cmos_rtc.h"

/* Thursday 2024-02-29 13:45:07 UTC. */
#define T0 1709214307LL

struct fixture {
	struct cmos_rtc r;
	int64_t now_s;	  /* fake clock, seconds */
	uint64_t frac_ns; /* fake clock fraction, for now_ns */
};

static time_t fake_now(void *opaque)
{
	struct fixture *f = opaque;
	return (time_t)f->now_s;
}

static uint64_t fake_now_ns(void *opaque)
{
	struct fixture *f = opaque;
	return (uint64_t)f->now_s * 1000000000ULL + f->frac_ns;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	cmos_rtc_init(&f->r, (struct irq_line){0});
	f->r.now = fake_now;
	f->r.now_opaque = f;
	f->now_s = T0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint8_t rd(struct fixture *f, uint8_t idx)
{
	uint8_t v = 0;
	cmos_rtc_io(&f->r, 0, &idx, 1, true);
	cmos_rtc_io(&f->r, 1, &v, 1, false);
	return v;
}

static void wr(struct fixture *f, uint8_t idx, uint8_t v)
{
	cmos_rtc_io(&f->r, 0, &idx, 1, true);
	cmos_rtc_io(&f->r, 1, &v, 1, true);
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(rd(f, 0x0a), 0x26);
	assert_int_equal(rd(f, 0x0b), 0x02);
	assert_int_equal(rd(f, 0x0d), 0x80);
	wr(f, 0x0d, 0x00); /* read-only */
	assert_int_equal(rd(f, 0x0d), 0x80);
}

static void test_bcd_24h(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(rd(f, 0x00), 0x07);
	assert_int_equal(rd(f, 0x02), 0x45);
	assert_int_equal(rd(f, 0x04), 0x13);
	assert_int_equal(rd(f, 0x06), 0x05); /* Thursday, Sunday = 1 */
	assert_int_equal(rd(f, 0x07), 0x29);
	assert_int_equal(rd(f, 0x08), 0x02);
	assert_int_equal(rd(f, 0x09), 0x24);
	assert_int_equal(rd(f, 0x32), 0x20);
	f->now_s += 3;
	assert_int_equal(rd(f, 0x00), 0x10); /* computed on each read */
}

static void test_binary(void **state)
{
	struct fixture *f = *state;
	wr(f, 0x0b, 0x06);
	assert_int_equal(rd(f, 0x00), 7);
	assert_int_equal(rd(f, 0x02), 45);
	assert_int_equal(rd(f, 0x04), 13);
	assert_int_equal(rd(f, 0x07), 29);
	assert_int_equal(rd(f, 0x09), 24);
	assert_int_equal(rd(f, 0x32), 20);
}

static void test_12h(void **state)
{
	struct fixture *f = *state;
	wr(f, 0x0b, 0x00);		     /* BCD, 12-hour */
	assert_int_equal(rd(f, 0x04), 0x81); /* 1 PM */
	f->now_s = 1709166600;		     /* 00:30 */
	assert_int_equal(rd(f, 0x04), 0x12); /* 12 AM */
	f->now_s = 1709208300;		     /* 12:05 */
	assert_int_equal(rd(f, 0x04), 0x92); /* 12 PM */
	wr(f, 0x0b, 0x04);		     /* binary, 12-hour */
	assert_int_equal(rd(f, 0x04), 0x8c);
}

static void test_uip(void **state)
{
	struct fixture *f = *state;
	f->r.now_ns = fake_now_ns;
	f->frac_ns = 500000000;
	assert_int_equal(rd(f, 0x0a), 0x26);
	f->frac_ns = 999800000; /* inside the last 244 us */
	assert_int_equal(rd(f, 0x0a), 0xa6);
	f->frac_ns = 999755000;
	assert_int_equal(rd(f, 0x0a), 0x26);
	f->frac_ns = 999800000;
	wr(f, 0x0b, 0x82); /* SET: clock stopped, no update */
	assert_int_equal(rd(f, 0x0a), 0x26);
	wr(f, 0x0b, 0x02);
	wr(f, 0x0a, 0xff); /* UIP is read-only */
	assert_int_equal(rd(f, 0x0a) & 0x7f, 0x7f);
	wr(f, 0x0a, 0x26);
	assert_int_equal(rd(f, 0x00), 0x07); /* fraction does not move time */
}

static void test_reg_c_read_clears(void **state)
{
	struct fixture *f = *state;
	wr(f, 0x0b, 0x12);		     /* UIE */
	assert_int_equal(rd(f, 0x0c), 0x90); /* IRQF | UF */
	assert_int_equal(rd(f, 0x0c), 0x00);
	f->now_s++;
	assert_int_equal(rd(f, 0x0c), 0x90);
	assert_int_equal(rd(f, 0x0c), 0x00);
	wr(f, 0x0b, 0x02);
	f->now_s++;
	assert_int_equal(rd(f, 0x0c), 0x10); /* UF without IRQF */
	wr(f, 0x0c, 0xff);		     /* read-only */
	assert_int_equal(rd(f, 0x0c), 0x00);
}

static void test_set_time(void **state)
{
	struct fixture *f = *state;
	wr(f, 0x0b, 0x82);
	assert_int_equal(rd(f, 0x00), 0x07); /* frozen at the SET moment */
	f->now_s += 10;
	assert_int_equal(rd(f, 0x00), 0x07);
	wr(f, 0x00, 0x00);
	wr(f, 0x02, 0x00);
	wr(f, 0x04, 0x00);
	wr(f, 0x07, 0x01);
	wr(f, 0x08, 0x01);
	wr(f, 0x09, 0x30);
	wr(f, 0x32, 0x20);
	assert_int_equal(rd(f, 0x09), 0x30);
	wr(f, 0x0b, 0x02); /* clear SET: clock runs from 2030-01-01 */
	assert_int_equal(f->r.offset, 1893456000LL - f->now_s);
	f->now_s += 5;
	assert_int_equal(rd(f, 0x00), 0x05);
	assert_int_equal(rd(f, 0x09), 0x30);
	assert_int_equal(rd(f, 0x08), 0x01);
	assert_int_equal(rd(f, 0x06), 0x03); /* 2030-01-01 is a Tuesday */
}

static void test_set_time_12h_binary(void **state)
{
	struct fixture *f = *state;
	wr(f, 0x0b, 0x84);	/* SET, binary, 12-hour */
	wr(f, 0x04, 0x80 | 12); /* 12 PM */
	wr(f, 0x02, 0);
	wr(f, 0x00, 0);
	wr(f, 0x0b, 0x06); /* binary, 24-hour */
	assert_int_equal(rd(f, 0x04), 12);
	wr(f, 0x0b, 0x84);
	wr(f, 0x04, 12); /* 12 AM */
	wr(f, 0x0b, 0x06);
	assert_int_equal(rd(f, 0x04), 0);
}

static void test_direct_write_moves_clock(void **state)
{
	struct fixture *f = *state;
	wr(f, 0x02, 0x10); /* minutes 45 -> 10 */
	assert_int_equal(f->r.offset, -35 * 60);
	assert_int_equal(rd(f, 0x02), 0x10);
	assert_int_equal(rd(f, 0x04), 0x13);
	assert_int_equal(rd(f, 0x00), 0x07);
}

static void test_garbage_time_is_harmless(void **state)
{
	struct fixture *f = *state;
	wr(f, 0x0b, 0x80);
	for (uint8_t i = 0; i < 10; i++)
		wr(f, i, 0xff);
	wr(f, 0x32, 0xff);
	wr(f, 0x0b, 0x02);
	(void)rd(f, 0x00);
	(void)rd(f, 0x09);
}

static void test_alarm_and_nvram(void **state)
{
	struct fixture *f = *state;
	wr(f, 0x01, 0x30);
	wr(f, 0x03, 0xc0);
	wr(f, 0x05, 0x12);
	assert_int_equal(rd(f, 0x01), 0x30);
	assert_int_equal(rd(f, 0x03), 0xc0);
	assert_int_equal(rd(f, 0x05), 0x12);
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			wr(f, (uint8_t)i, (uint8_t)(i * 7));
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			assert_int_equal(rd(f, (uint8_t)i), (uint8_t)(i * 7));
}

static void test_index_masking(void **state)
{
	struct fixture *f = *state;
	uint8_t idx = 0x8e, v = 0x5a, out = 0;
	cmos_rtc_io(&f->r, 0, &idx, 1, true);
	assert_true(f->r.nmi_disabled);
	assert_int_equal(f->r.index, 0x0e);
	cmos_rtc_io(&f->r, 1, &v, 1, true);
	assert_int_equal(f->r.nvram[0x0e], 0x5a);
	idx = 0x0e;
	cmos_rtc_io(&f->r, 0, &idx, 1, true);
	assert_false(f->r.nmi_disabled);
	cmos_rtc_io(&f->r, 0, &out, 1, false);
	assert_int_equal(out, 0xff); /* index port is write-only */
	/* A 16-bit write: index, then data. */
	uint8_t pair[2] = {0x20, 0xab};
	cmos_rtc_io(&f->r, 0, pair, 2, true);
	assert_int_equal(f->r.nvram[0x20], 0xab);
	uint8_t wide[4];
	cmos_rtc_io(&f->r, 1, wide, 4, false);
	assert_int_equal(wide[0], 0xab);
	assert_int_equal(wide[1], 0xff);
	assert_int_equal(wide[3], 0xff);
}

static void test_ram_size(void **state)
{
	struct fixture *f = *state;
	const uint64_t mib = 1 << 20;
	const uint8_t *n = f->r.nvram;
	cmos_rtc_set_ram_size(&f->r, 128 * mib);
	assert_int_equal(n[0x15] | n[0x16] << 8, 640);
	assert_int_equal(n[0x17] | n[0x18] << 8, 63 * 1024);
	assert_int_equal(n[0x30] | n[0x31] << 8, 63 * 1024);
	assert_int_equal(n[0x34] | n[0x35] << 8, 112 * 16);
	assert_int_equal(n[0x5b] | n[0x5c] << 8 | n[0x5d] << 16, 0);

	cmos_rtc_set_ram_size(&f->r, 8192 * mib);
	assert_int_equal(n[0x17] | n[0x18] << 8, 63 * 1024);
	assert_int_equal(n[0x34] | n[0x35] << 8, (3072 - 16) * 16); /* 3 GiB low */
	assert_int_equal(n[0x5b] | n[0x5c] << 8 | n[0x5d] << 16, 5 * 1024 * 16);

	cmos_rtc_set_ram_size(&f->r, 20 * mib);
	assert_int_equal(n[0x17] | n[0x18] << 8, 19 * 1024);
	assert_int_equal(n[0x34] | n[0x35] << 8, 4 * 16);

	cmos_rtc_set_ram_size(&f->r, 512 * 1024);
	assert_int_equal(n[0x17] | n[0x18] << 8, 0);
	assert_int_equal(n[0x34] | n[0x35] << 8, 0);

	cmos_rtc_set_ram_size(&f->r, 1ULL << 62); /* capped, no wrap */
	assert_int_equal(n[0x5b] | n[0x5c] << 8 | n[0x5d] << 16, 0xffffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_defaults),
	    T(test_bcd_24h),
	    T(test_binary),
	    T(test_12h),
	    T(test_uip),
	    T(test_reg_c_read_clears),
	    T(test_set_time),
	    T(test_set_time_12h_binary),
	    T(test_direct_write_moves_clock),
	    T(test_garbage_time_is_harmless),
	    T(test_alarm_and_nvram),
	    T(test_index_masking),
	    T(test_ram_size),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
