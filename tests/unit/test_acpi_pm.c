/* Unit tests for the ACPI PM block: S5 poweroff, the reset register, W1C
 * status with SCI level, and the 3.579545 MHz PM timer on a fake clock. */
#include <stdlib.h>

#include "unit.h"

#include "vslice/dev/acpi_pm.h"

struct fixture {
	struct acpi_pm pm;
	int poweroffs, resets;
	int sci_calls, sci_level;
	uint64_t ns;
};

static void fake_poweroff(void *opaque)
{
	((struct fixture *)opaque)->poweroffs++;
}

static void fake_reset(void *opaque)
{
	((struct fixture *)opaque)->resets++;
}

static void fake_sci(void *opaque, unsigned gsi, int level)
{
	struct fixture *f = opaque;
	assert_int_equal(gsi, ACPI_SCI_IRQ);
	f->sci_calls++;
	f->sci_level = level;
}

static uint64_t fake_now_ns(void *opaque)
{
	return ((struct fixture *)opaque)->ns;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	acpi_pm_init(&f->pm, (struct irq_line){fake_sci, f, ACPI_SCI_IRQ}, fake_poweroff,
		     fake_reset, f);
	f->pm.now_ns = fake_now_ns;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint32_t rd(struct fixture *f, unsigned off, unsigned len)
{
	uint8_t b[4] = {0};
	acpi_pm_io(&f->pm, off, b, len, false);
	uint32_t v = 0;
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void wr(struct fixture *f, unsigned off, unsigned len, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	acpi_pm_io(&f->pm, off, b, len, true);
}

static void test_sci_en_always_set(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(rd(f, 4, 2), 0x0001);
	wr(f, 4, 2, 0x0000);
	assert_int_equal(rd(f, 4, 2), 0x0001);
}

static void test_s5_poweroff(void **state)
{
	struct fixture *f = *state;
	wr(f, 4, 2, ACPI_S5_SLP_TYP << 10); /* type without SLP_EN */
	assert_int_equal(f->poweroffs, 0);
	wr(f, 4, 2, (1 << 10) | (1 << 13)); /* S1 request: ignored */
	assert_int_equal(f->poweroffs, 0);
	wr(f, 4, 2, (ACPI_S5_SLP_TYP << 10) | (1 << 13) | 1);
	assert_int_equal(f->poweroffs, 1);
	assert_int_equal(f->resets, 0);
	/* SLP_EN is write-only; SLP_TYP reads back. */
	assert_int_equal(rd(f, 4, 2), (ACPI_S5_SLP_TYP << 10) | 1);
	/* A byte write of the high half does it too. */
	wr(f, 5, 1, ((ACPI_S5_SLP_TYP << 10) | (1 << 13)) >> 8);
	assert_int_equal(f->poweroffs, 2);
	/* A low-byte write keeps the stored type and does not sleep. */
	wr(f, 4, 1, 0x01);
	assert_int_equal(f->poweroffs, 2);
	assert_int_equal(rd(f, 4, 2), (ACPI_S5_SLP_TYP << 10) | 1);
}

static void test_reset_register(void **state)
{
	struct fixture *f = *state;
	uint8_t v = 0x02, out = 0;
	acpi_pm_reset_io(&f->pm, 0, &v, 1, true);
	assert_int_equal(f->resets, 0);
	acpi_pm_reset_io(&f->pm, 0, &out, 1, false);
	assert_int_equal(out, 0x02);
	v = ACPI_RESET_VALUE;
	acpi_pm_reset_io(&f->pm, 0, &v, 1, true);
	assert_int_equal(f->resets, 1);
	acpi_pm_reset_io(&f->pm, 0, &out, 1, false);
	assert_int_equal(out, 0x02); /* RST_CPU self-clears */
	v = 0x0e;
	acpi_pm_reset_io(&f->pm, 0, &v, 1, true);
	assert_int_equal(f->resets, 2);
	acpi_pm_reset_io(&f->pm, 0, &out, 1, false);
	assert_int_equal(out, 0x0a);
	assert_int_equal(f->poweroffs, 0);
}

static void test_status_w1c_and_sci(void **state)
{
	struct fixture *f = *state;
	acpi_pm_power_button(&f->pm);
	assert_int_equal(rd(f, 0, 2), 0x0100);
	assert_int_equal(f->sci_calls, 0); /* not enabled */
	wr(f, 2, 2, 0x0100);
	assert_int_equal(rd(f, 2, 2), 0x0100);
	assert_int_equal(f->sci_level, 1);
	assert_int_equal(f->sci_calls, 1);
	wr(f, 0, 2, 0x0000); /* writing 0 clears nothing */
	assert_int_equal(rd(f, 0, 2), 0x0100);
	assert_int_equal(f->sci_level, 1);
	assert_int_equal(rd(f, 0, 4), 0x01000100); /* STS | EN << 16 */
	wr(f, 1, 1, 0x01);			   /* W1C on the high byte */
	assert_int_equal(rd(f, 0, 2), 0x0000);
	assert_int_equal(f->sci_level, 0);
	assert_int_equal(f->sci_calls, 2);
	wr(f, 2, 2, 0x0000);
	acpi_pm_power_button(&f->pm);
	assert_int_equal(f->sci_calls, 2);
	wr(f, 2, 2, 0xffff); /* reserved enable bits stay 0 */
	assert_int_equal(rd(f, 2, 2), 0x0721);
	assert_int_equal(f->sci_level, 1);
}

static void test_timer_frequency(void **state)
{
	struct fixture *f = *state;
	f->ns = 0;
	assert_int_equal(rd(f, 8, 4), 0);
	f->ns = 1000000; /* 1 ms */
	assert_int_equal(rd(f, 8, 4), 3579);
	f->ns = 1000000000; /* 1 s */
	assert_int_equal(rd(f, 8, 4), 3579545);
	f->ns = 2000000000;
	assert_int_equal(rd(f, 8, 4), (2 * 3579545) & 0xffffff);
	/* Wraps at 24 bits: 2^24 ticks is 4.6869 s. */
	f->ns = 4686900000ULL;
	uint32_t before = rd(f, 8, 4);
	f->ns = 4687000000ULL;
	uint32_t after = rd(f, 8, 4);
	assert_true(after < before);
	assert_int_equal(after, (uint32_t)(4687000000ULL * 3579545ULL / 1000000000ULL) & 0xffffff);
	/* No 64-bit overflow after days of uptime. */
	f->ns = 10ULL * 86400 * 1000000000ULL + 123456789;
	unsigned __int128 exact = (unsigned __int128)f->ns * 3579545 / 1000000000;
	assert_int_equal(rd(f, 8, 4), (uint32_t)exact & 0xffffff);
	assert_int_equal(rd(f, 11, 1), 0); /* top byte of a 24-bit timer */
}

static void test_timer_monotonic_and_read_only(void **state)
{
	struct fixture *f = *state;
	uint32_t prev = 0;
	for (uint64_t ns = 0; ns < 4000000000ULL; ns += 999983) {
		f->ns = ns;
		uint32_t v = rd(f, 8, 4);
		assert_true(v >= prev);
		prev = v;
	}
	f->ns = 5000; /* 5 us = 17.9 ticks */
	wr(f, 8, 4, 0x123456);
	assert_int_equal(rd(f, 8, 4), 17);
}

static void test_odd_offsets(void **state)
{
	struct fixture *f = *state;
	uint8_t b[4];
	acpi_pm_io(&f->pm, 6, b, 2, false); /* reserved */
	assert_int_equal(b[0], 0);
	acpi_pm_io(&f->pm, 10, b, 4, false); /* runs past the block */
	assert_int_equal(b[2], 0xff);
	assert_int_equal(b[3], 0xff);
	memset(b, 0xff, sizeof(b));
	acpi_pm_io(&f->pm, 10, b, 4, true);
	assert_int_equal(f->poweroffs + f->resets, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_sci_en_always_set), T(test_s5_poweroff),
	    T(test_reset_register),    T(test_status_w1c_and_sci),
	    T(test_timer_frequency),   T(test_timer_monotonic_and_read_only),
	    T(test_odd_offsets),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
