/* Unit tests for the KVM paravirtual clock: the scale factors for several
 * TSC rates (checked with the guest's own formula), the pvclock record
 * layout and version protocol, the wall-clock record, the enable bit, the
 * old MSR numbers, and records that do not fit in RAM or cross a page. */
#include <stdlib.h>

#include "unit.h"

#include "vslice/dev/kvmclock.h"

#define RAM_SIZE (64 * 1024)

struct fixture {
	struct guest_mem mem;
	struct kvmclock kc;
	uint8_t ram[RAM_SIZE];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct errbuf eb;
	guest_mem_init_buffer(&f->mem, f->ram, RAM_SIZE);
	assert_int_equal(kvmclock_init(&f->kc, &f->mem, 2, 1000000000ULL, true, &eb), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* What a Linux guest computes (pvclock_scale_delta). */
static uint64_t guest_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

static void scale_1ghz(void **state)
{
	uint32_t mul;
	int8_t shift;
	kvmclock_scale(1000000000ULL, &mul, &shift);
	assert_int_equal(mul, 0x80000000u);
	assert_int_equal(shift, 1);
	assert_int_equal(guest_scale(123456789ULL, mul, shift), 123456789ULL);
}

static void scale_other_rates(void **state)
{
	static const uint64_t rates[] = { 2500000000ULL, 3000000000ULL, 1193182ULL,
					  100000000ULL, 4294967296ULL };
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		uint32_t mul;
		int8_t shift;
		kvmclock_scale(rates[i], &mul, &shift);
		assert_true(mul >= 0x80000000u);
		/* One second of TSC ticks is one second within 1 ppm. */
		uint64_t ns = guest_scale(rates[i], mul, shift);
		assert_true(ns <= 1000000000ULL && ns >= 1000000000ULL - 1000);
	}
	uint32_t mul;
	int8_t shift;
	kvmclock_scale(2000000000ULL, &mul, &shift); /* exactly 0.5 ns per tick */
	assert_int_equal(mul, 0x80000000u);
	assert_int_equal(shift, 0);
}

static void system_time_record(void **state)
{
	struct fixture *f = *state;
	const struct kvmclock_now now = { .system_ns = 5000000000ULL, .tsc = 5000000123ULL,
					  .wall_ns = 1700000000123456789ULL };
	memset(f->ram + 0x2000, 0xAA, 64);
	assert_int_equal(kvmclock_wrmsr(&f->kc, 1, MSR_KVM_SYSTEM_TIME_NEW, 0x2001, &now), 1);
	const uint8_t *p = f->ram + 0x2000;
	assert_int_equal(r32(p + 0), 2); /* even: the update is complete */
	assert_int_equal(r32(p + 4), 0);
	assert_int_equal(r64(p + 8), 5000000123ULL);
	assert_int_equal(r64(p + 16), 5000000000ULL);
	assert_int_equal(r32(p + 24), 0x80000000u);
	assert_int_equal((int8_t)p[28], 1);
	assert_int_equal(p[29], PVCLOCK_TSC_STABLE_BIT);
	assert_int_equal(p[30], 0);
	assert_int_equal(p[31], 0);
	assert_int_equal(p[32], 0xAA); /* nothing past the 32-byte record */
	uint64_t v = 0;
	assert_int_equal(kvmclock_rdmsr(&f->kc, 1, MSR_KVM_SYSTEM_TIME_NEW, &v), 1);
	assert_int_equal(v, 0x2001);
	assert_int_equal(kvmclock_rdmsr(&f->kc, 0, MSR_KVM_SYSTEM_TIME_NEW, &v), 1);
	assert_int_equal(v, 0);

	/* A rewrite bumps the version by 2, the guest's time goes on. */
	const struct kvmclock_now later = { .system_ns = 6000000000ULL, .tsc = 6000000123ULL,
					    .wall_ns = 1700000001123456789ULL };
	kvmclock_update(&f->kc, 1, &later);
	assert_int_equal(r32(p + 0), 4);
	assert_int_equal(r64(p + 8), 6000000123ULL);
	assert_int_equal(r64(p + 16), 6000000000ULL);
}

static void disabled_writes_nothing(void **state)
{
	struct fixture *f = *state;
	const struct kvmclock_now now = { 1, 2, 3 };
	assert_int_equal(kvmclock_wrmsr(&f->kc, 0, MSR_KVM_SYSTEM_TIME_NEW, 0x3000, &now), 1);
	for (int i = 0; i < 32; i++)
		assert_int_equal(f->ram[0x3000 + i], 0);
	kvmclock_update(&f->kc, 0, &now);
	assert_int_equal(r32(f->ram + 0x3000), 0);
	assert_int_equal(f->kc.records, 0);
}

static void wall_clock_record(void **state)
{
	struct fixture *f = *state;
	/* 2.5 s after the VM started, the host's clock reads T: the guest
	 * booted at T - 2.5 s. */
	const struct kvmclock_now now = { .system_ns = 2500000000ULL, .tsc = 42,
					  .wall_ns = 1700000000100000000ULL };
	assert_int_equal(kvmclock_wrmsr(&f->kc, 0, MSR_KVM_WALL_CLOCK_NEW, 0x1000, &now), 1);
	const uint8_t *p = f->ram + 0x1000;
	assert_int_equal(r32(p + 0), 2);
	assert_int_equal(r32(p + 4), 1699999997u);
	assert_int_equal(r32(p + 8), 600000000u);
	uint64_t v;
	assert_int_equal(kvmclock_rdmsr(&f->kc, 1, MSR_KVM_WALL_CLOCK_NEW, &v), 1);
	assert_int_equal(v, 0x1000);
	/* Each write refreshes the record with a new even version. */
	assert_int_equal(kvmclock_wrmsr(&f->kc, 1, MSR_KVM_WALL_CLOCK_NEW, 0x1000, &now), 1);
	assert_int_equal(r32(p + 0), 4);
}

static void old_msrs(void **state)
{
	struct fixture *f = *state;
	const struct kvmclock_now now = { 7, 8, 9000000000ULL };
	assert_int_equal(kvmclock_wrmsr(&f->kc, 0, MSR_KVM_SYSTEM_TIME, 0x4001, &now), 1);
	assert_int_equal(r64(f->ram + 0x4000 + 16), 7);
	assert_int_equal(kvmclock_wrmsr(&f->kc, 0, MSR_KVM_WALL_CLOCK, 0x4100, &now), 1);
	assert_int_equal(r32(f->ram + 0x4100 + 4), 8);
	assert_true(kvmclock_is_msr(0x11) && kvmclock_is_msr(0x12));
	assert_true(kvmclock_is_msr(0x4b564d00) && kvmclock_is_msr(0x4b564d01));
	assert_false(kvmclock_is_msr(0x4b564d02));
	uint64_t v;
	assert_int_equal(kvmclock_rdmsr(&f->kc, 0, 0x10, &v), 0);
	assert_int_equal(kvmclock_wrmsr(&f->kc, 0, 0x4b564d02, 1, &now), 0);
}

static void bad_addresses(void **state)
{
	struct fixture *f = *state;
	const struct kvmclock_now now = { 1, 2, 3 };
	/* Outside RAM, partly outside, and crossing a page: not written. */
	assert_int_equal(kvmclock_wrmsr(&f->kc, 0, MSR_KVM_SYSTEM_TIME_NEW, 0x7fff0001ULL, &now), 1);
	assert_int_equal(kvmclock_wrmsr(&f->kc, 0, MSR_KVM_SYSTEM_TIME_NEW,
					(RAM_SIZE - 16) | 1, &now), 1);
	assert_int_equal(kvmclock_wrmsr(&f->kc, 0, MSR_KVM_SYSTEM_TIME_NEW, 0x1ff1, &now), 1);
	assert_int_equal(kvmclock_wrmsr(&f->kc, 0, MSR_KVM_SYSTEM_TIME_NEW, UINT64_MAX, &now), 1);
	assert_int_equal(kvmclock_wrmsr(&f->kc, 0, MSR_KVM_WALL_CLOCK_NEW, RAM_SIZE - 4, &now), 1);
	assert_int_equal(f->kc.records, 0);
	for (int i = 0; i < RAM_SIZE; i++)
		assert_int_equal(f->ram[i], 0);
	/* A vCPU index out of range is a #GP, not an out-of-bounds write. */
	assert_int_equal(kvmclock_wrmsr(&f->kc, 2, MSR_KVM_SYSTEM_TIME_NEW, 0x1001, &now), -1);
	uint64_t v;
	assert_int_equal(kvmclock_rdmsr(&f->kc, 64, MSR_KVM_SYSTEM_TIME_NEW, &v), -1);
}

static void reset_and_init_checks(void **state)
{
	struct fixture *f = *state;
	const struct kvmclock_now now = { 1, 2, 3 };
	kvmclock_wrmsr(&f->kc, 0, MSR_KVM_SYSTEM_TIME_NEW, 0x1001, &now);
	kvmclock_reset(&f->kc);
	uint64_t v = 1;
	kvmclock_rdmsr(&f->kc, 0, MSR_KVM_SYSTEM_TIME_NEW, &v);
	assert_int_equal(v, 0);
	struct kvmclock kc;
	struct errbuf eb;
	assert_int_equal(kvmclock_init(&kc, &f->mem, 0, 1000000000ULL, true, &eb), -1);
	assert_int_equal(kvmclock_init(&kc, &f->mem, 65, 1000000000ULL, true, &eb), -1);
	assert_int_equal(kvmclock_init(&kc, &f->mem, 1, 0, true, &eb), -1);
	assert_int_equal(kvmclock_init(&kc, &f->mem, 1, 1000000000ULL, false, &eb), 0);
	kvmclock_wrmsr(&kc, 0, MSR_KVM_SYSTEM_TIME_NEW, 0x5001, &now);
	assert_int_equal(f->ram[0x5000 + 29], 0); /* no stable bit */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scale_1ghz),
		cmocka_unit_test(scale_other_rates),
		cmocka_unit_test_setup_teardown(system_time_record, setup, teardown),
		cmocka_unit_test_setup_teardown(disabled_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(wall_clock_record, setup, teardown),
		cmocka_unit_test_setup_teardown(old_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_and_init_checks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
