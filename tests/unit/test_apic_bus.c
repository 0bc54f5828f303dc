/* Unit tests for the APIC bus: IPI routing (physical, logical, shorthands,
 * lowest priority), INIT/SIPI to APs, MSIs, kicks, the EOI and 8259
 * callbacks (run without the bus lock held), the deadline copy, and a
 * two-thread IPI ping-pong for the locking. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "unit.h"

#include "vslice/dev/apic_bus.h"

struct fixture {
	struct apic_bus b;
	unsigned kicks[APIC_BUS_MAX_CPUS];
	int eoi_vec;
	bool eoi_unlocked, ack_unlocked;
};

static bool bus_unlocked(struct apic_bus *b)
{
	if (pthread_mutex_trylock(&b->lock) != 0)
		return false;
	pthread_mutex_unlock(&b->lock);
	return true;
}

static void kick(void *opaque, unsigned cpu)
{
	struct fixture *f = opaque;
	f->kicks[cpu]++;
}

static void eoi(void *opaque, uint8_t vector)
{
	struct fixture *f = opaque;
	f->eoi_vec = vector;
	f->eoi_unlocked = bus_unlocked(&f->b);
}

static int extint_ack(void *opaque)
{
	struct fixture *f = opaque;
	f->ack_unlocked = bus_unlocked(&f->b);
	return 0x20;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct apic_bus_ops ops = { kick, eoi, extint_ack, f };
	struct lapic_config cfg = { .bus_hz = 1000000000 };
	f->eoi_vec = -1;
	assert_int_equal(apic_bus_init(&f->b, 4, &cfg, &ops, NULL), 0);
	for (unsigned i = 0; i < 4; i++) {
		uint32_t svr = 0x1FF;
		apic_bus_mmio(&f->b, i, 0xF0, &svr, 4, true, 0);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	apic_bus_destroy(&f->b);
	free(f);
	return 0;
}

static void wr(struct fixture *f, unsigned cpu, unsigned off, uint32_t v)
{
	apic_bus_mmio(&f->b, cpu, off, &v, 4, true, 0);
}

static void ipi(struct fixture *f, unsigned cpu, uint32_t hi, uint32_t lo)
{
	wr(f, cpu, 0x310, hi);
	wr(f, cpu, 0x300, lo);
}

/* Takes the interrupt and ends it (EOI), so the next one of the same
 * priority class can come. */
static int take(struct fixture *f, unsigned cpu)
{
	int v = apic_bus_get_interrupt(&f->b, cpu);
	if (v >= 0 && cpu < 4)
		wr(f, cpu, 0xB0, 0);
	return v;
}

static void test_init_bad_count(void **state)
{
	struct apic_bus b;
	struct errbuf eb = { { 0 } };
	assert_int_equal(apic_bus_init(&b, 0, NULL, NULL, &eb), -1);
	assert_string_equal(eb.msg, "--cpus 0: the APIC bus supports 1 to 64 CPUs");
	assert_int_equal(apic_bus_init(&b, 65, NULL, NULL, &eb), -1);
}

static void test_fixed_ipi_physical(void **state)
{
	struct fixture *f = *state;
	ipi(f, 0, 0x02000000, 0x4041);
	assert_int_equal(f->kicks[2], 1);
	assert_int_equal(f->kicks[1], 0);
	assert_true(apic_bus_has_interrupt(&f->b, 2));
	assert_false(apic_bus_has_interrupt(&f->b, 1));
	assert_int_equal(take(f, 2), 0x41);
	assert_int_equal(take(f, 2), -1);
	/* physical 0xFF: everyone */
	ipi(f, 0, 0xFF000000, 0x4042);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(take(f, i), 0x42);
	/* out-of-range vCPU indexes are refused */
	assert_int_equal(take(f, 4), -1);
	assert_int_equal(take(f, 1000), -1);
}

static void test_shorthands(void **state)
{
	struct fixture *f = *state;
	ipi(f, 1, 0, 0x44043); /* self */
	assert_int_equal(take(f, 1), 0x43);
	assert_int_equal(take(f, 0), -1);
	ipi(f, 1, 0, 0x84044); /* all including self */
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(take(f, i), 0x44);
	ipi(f, 1, 0, 0xC4045); /* all but self */
	assert_int_equal(take(f, 1), -1);
	assert_int_equal(take(f, 0), 0x45);
	assert_int_equal(take(f, 3), 0x45);
}

static void test_init_sipi_to_aps(void **state)
{
	struct fixture *f = *state;
	ipi(f, 0, 0, 0xC4500); /* INIT all but self */
	ipi(f, 0, 0, 0xC0500); /* INIT level de-assert style (edge, no assert): still INIT */
	uint8_t vec;
	assert_false(apic_bus_take_init(&f->b, 0));
	for (unsigned i = 1; i < 4; i++) {
		assert_true(apic_bus_take_init(&f->b, i));
		assert_false(apic_bus_take_init(&f->b, i));
		assert_true(f->kicks[i] >= 1);
	}
	ipi(f, 0, 0, 0xC8500); /* INIT level de-assert (level, deassert): ignored */
	assert_false(apic_bus_take_init(&f->b, 1));
	ipi(f, 0, 0, 0xC4609); /* SIPI vector 9 */
	for (unsigned i = 1; i < 4; i++) {
		assert_true(apic_bus_take_sipi(&f->b, i, &vec));
		assert_int_equal(vec, 9);
	}
	assert_false(apic_bus_take_sipi(&f->b, 0, &vec));
	ipi(f, 0, 0x03000000, 0x4400); /* NMI to 3 */
	assert_true(apic_bus_take_nmi(&f->b, 3));
	assert_false(apic_bus_take_nmi(&f->b, 2));
}

static void test_logical_and_lowest(void **state)
{
	struct fixture *f = *state;
	for (unsigned i = 0; i < 4; i++)
		wr(f, i, 0xD0, (1u << i) << 24); /* flat: bit i */
	ipi(f, 0, 0x06000000, 0x4850); /* logical 0x06: cpus 1, 2 */
	assert_int_equal(take(f, 0), -1);
	assert_int_equal(take(f, 1), 0x50);
	assert_int_equal(take(f, 2), 0x50);
	assert_int_equal(take(f, 3), -1);
	ipi(f, 0, 0x0C000000, 0x4951); /* lowest priority to 2, 3: first match */
	assert_int_equal(take(f, 2), 0x51);
	assert_int_equal(take(f, 3), -1);
}

static void test_msi(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apic_bus_msi(&f->b, 0xFEE03000, 0x0061), 0);
	assert_int_equal(apic_bus_get_interrupt(&f->b, 3), 0x61);
	assert_int_equal(apic_bus_msi(&f->b, 0xFED00000, 0x0062), -1);
	assert_int_equal(apic_bus_msi(&f->b, 0x1FEE00000ULL, 0x0062), -1);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(apic_bus_get_interrupt(&f->b, i), -1);
	/* logical MSI (address bit 2) with a level trigger */
	wr(f, 1, 0xD0, 0x01000000);
	assert_int_equal(apic_bus_msi(&f->b, 0xFEE01004, 0xC063), 0);
	assert_int_equal(apic_bus_get_interrupt(&f->b, 1), 0x63);
	wr(f, 1, 0xB0, 0);
	assert_int_equal(f->eoi_vec, 0x63);
	assert_true(f->eoi_unlocked);
}

static void test_extint(void **state)
{
	struct fixture *f = *state;
	apic_bus_set_extint(&f->b, true);
	assert_int_equal(f->kicks[0], 1); /* only the BSP is in virtual wire */
	assert_int_equal(f->kicks[1], 0);
	assert_int_equal(apic_bus_get_interrupt(&f->b, 0), 0x20);
	assert_true(f->ack_unlocked);
	assert_int_equal(apic_bus_get_interrupt(&f->b, 1), -1);
	apic_bus_set_extint(&f->b, false);
	assert_int_equal(apic_bus_get_interrupt(&f->b, 0), -1);
}

static void test_deadline_copy_and_cr8(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(apic_bus_next_deadline_ns(&f->b, 1), UINT64_MAX);
	wr(f, 1, 0x3E0, 0xB);
	wr(f, 1, 0x320, 0x30);
	uint32_t init = 500;
	apic_bus_mmio(&f->b, 1, 0x380, &init, 4, true, 1000);
	assert_int_equal(apic_bus_next_deadline_ns(&f->b, 1), 1500);
	apic_bus_update(&f->b, 1, 1500);
	assert_int_equal(apic_bus_next_deadline_ns(&f->b, 1), UINT64_MAX);
	apic_bus_set_cr8(&f->b, 1, 4);
	assert_int_equal(apic_bus_get_cr8(&f->b, 1), 4);
	assert_false(apic_bus_has_interrupt(&f->b, 1)); /* 0x30 below TPR 0x40 */
	unsigned before = f->kicks[1];
	apic_bus_set_cr8(&f->b, 1, 0);
	assert_int_equal(f->kicks[1], before + 1); /* now deliverable: kicked */
	assert_int_equal(apic_bus_get_interrupt(&f->b, 1), 0x30);
	/* MSR paths */
	uint64_t v;
	assert_int_equal(apic_bus_rdmsr(&f->b, 1, 0x10, &v, 0), 0);
	assert_int_equal(apic_bus_rdmsr(&f->b, 1, MSR_IA32_APIC_BASE, &v, 0), 1);
	assert_int_equal(v, 0xFEE00800);
	assert_int_equal(apic_bus_rdmsr(&f->b, 1, 0x802, &v, 0), -1);
	assert_int_equal(apic_bus_wrmsr(&f->b, 1, MSR_IA32_APIC_BASE, 0xFEE00C00, 0, 0), 1);
	assert_int_equal(apic_bus_rdmsr(&f->b, 1, 0x802, &v, 0), 1);
	assert_int_equal(v, 1);
}

struct pingpong {
	struct fixture *f;
	unsigned self, peer, got;
	bool serve; /* sends first */
};

#define ROUNDS 1000

/* A real ping-pong: each thread waits for the peer's IPI, ends it, and
 * sends one back, ROUNDS times (giving up after ~10 s of waiting). */
static void *pingpong_thread(void *arg)
{
	struct pingpong *p = arg;
	if (p->serve)
		ipi(p->f, p->self, p->peer << 24, 0x4070);
	for (unsigned spins = 0; p->got < ROUNDS && spins < 100000000; spins++) {
		int v = apic_bus_get_interrupt(&p->f->b, p->self);
		if (v < 0) {
			sched_yield();
			continue;
		}
		if (v == 0x70)
			p->got++;
		wr(p->f, p->self, 0xB0, 0);
		if (p->got < ROUNDS || !p->serve)
			ipi(p->f, p->self, p->peer << 24, 0x4070);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture *f = *state;
	struct pingpong a = { f, 0, 1, 0, true }, b = { f, 1, 0, 0, false };
	pthread_t ta, tb;
	pthread_create(&ta, NULL, pingpong_thread, &a);
	pthread_create(&tb, NULL, pingpong_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.got, ROUNDS);
	assert_int_equal(b.got, ROUNDS);
	/* every vector taken was ended, none is left over */
	assert_int_equal(lapic_ppr(&f->b.cpu[0]), 0);
	assert_int_equal(lapic_ppr(&f->b.cpu[1]), 0);
	assert_false(apic_bus_has_interrupt(&f->b, 0));
	assert_false(apic_bus_has_interrupt(&f->b, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bad_count),
		cmocka_unit_test_setup_teardown(test_fixed_ipi_physical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shorthands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_sipi_to_aps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logical_and_lowest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline_copy_and_cr8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
