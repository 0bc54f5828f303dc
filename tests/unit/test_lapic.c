/* Unit tests for the local APIC model: reset state, acceptance and
 * priority (PPR, TPR), EOI order and level EOIs, errors, the timer in
 * one-shot, periodic and TSC-deadline modes with a fake clock, ICR
 * messages, INIT/SIPI, logical destinations, x2APIC MSRs and ExtINT. */
#include <stdlib.h>

#include "unit.h"

#include "vslice/dev/lapic.h"

struct fixture {
	struct lapic l;
	struct apic_msg sent[8];
	unsigned nsent;
	int eoi[8];
	unsigned neoi;
};

static void hook_send(void *opaque, struct lapic *src, const struct apic_msg *m)
{
	struct fixture *f = opaque;
	if (f->nsent < 8)
		f->sent[f->nsent++] = *m;
}

static void hook_eoi(void *opaque, struct lapic *l, uint8_t vector)
{
	struct fixture *f = opaque;
	if (f->neoi < 8)
		f->eoi[f->neoi++] = vector;
}

static int setup_cfg(void **state, const struct lapic_config *cfg, bool bsp)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lapic_hooks h = { hook_send, hook_eoi, f };
	lapic_init(&f->l, 0, 3, bsp, cfg, &h);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	struct lapic_config cfg = { .bus_hz = 1000000000, .tsc_hz = 2000000000, .tsc_deadline = true };
	return setup_cfg(state, &cfg, false);
}

static int setup_bsp(void **state)
{
	return setup_cfg(state, NULL, true);
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint32_t rd(struct fixture *f, unsigned reg, uint64_t now)
{
	uint32_t v = 0xdeadbeef;
	lapic_mmio(&f->l, reg << 4, &v, 4, false, now);
	return v;
}

static void wr(struct fixture *f, unsigned reg, uint32_t v, uint64_t now)
{
	lapic_mmio(&f->l, reg << 4, &v, 4, true, now);
}

static void fixed(struct fixture *f, uint8_t vector, bool level)
{
	struct apic_msg m = { .vector = vector, .delivery = APIC_DM_FIXED, .level = level,
			      .assert = true };
	lapic_accept(&f->l, &m);
}

static void enable(struct fixture *f)
{
	wr(f, LAPIC_REG_SVR, 0x1FF, 0);
}

static void test_reset_state(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(rd(f, LAPIC_REG_ID, 0), 0x03000000);
	assert_int_equal(rd(f, LAPIC_REG_VERSION, 0), 0x00050014);
	assert_int_equal(rd(f, LAPIC_REG_SVR, 0), 0xFF);
	assert_int_equal(rd(f, LAPIC_REG_DFR, 0), 0xFFFFFFFF);
	assert_int_equal(rd(f, LAPIC_REG_LVT_TIMER, 0), 0x10000);
	assert_int_equal(rd(f, LAPIC_REG_LVT_LINT0, 0), 0x10000);
	assert_int_equal(rd(f, LAPIC_REG_LVT_ERROR, 0), 0x10000);
	assert_int_equal(rd(f, LAPIC_REG_TPR, 0), 0);
	assert_int_equal(lapic_get_base(&f->l), 0xFEE00800);
	assert_int_equal(lapic_next_deadline_ns(&f->l), UINT64_MAX);
}

static void test_bsp_virtual_wire(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(lapic_get_base(&f->l), 0xFEE00900);
	assert_int_equal(rd(f, LAPIC_REG_LVT_LINT0, 0), 0x700);
	assert_false(lapic_has_interrupt(&f->l));
	lapic_set_lint(&f->l, 0, true);
	assert_true(lapic_has_interrupt(&f->l));
	assert_int_equal(lapic_get_interrupt(&f->l), LAPIC_EXTINT);
	/* masking LINT0 cuts the 8259 off ... */
	wr(f, LAPIC_REG_LVT_LINT0, 0x10700, 0);
	assert_false(lapic_has_interrupt(&f->l));
	/* ... unless the APIC is globally disabled: INTR goes to the CPU */
	assert_int_equal(lapic_set_base(&f->l, 0xFEE00100, 0), 0);
	assert_true(lapic_has_interrupt(&f->l));
	assert_int_equal(lapic_get_interrupt(&f->l), LAPIC_EXTINT);
}

static void test_priority_and_ppr(void **state)
{
	struct fixture *f = *state;
	enable(f);
	fixed(f, 0x31, false);
	fixed(f, 0x52, false);
	fixed(f, 0x45, false);
	assert_int_equal(rd(f, LAPIC_REG_IRR0 + 1, 0), 1u << 17);     /* 0x31 */
	assert_int_equal(rd(f, LAPIC_REG_IRR0 + 2, 0), 1u << 5 | 1u << 18); /* 0x45, 0x52 */
	assert_int_equal(lapic_get_interrupt(&f->l), 0x52);
	assert_int_equal(rd(f, LAPIC_REG_PPR, 0), 0x50);
	assert_int_equal(rd(f, LAPIC_REG_ISR0 + 2, 0), 1u << 18);
	/* 0x45 is class 4 <= PPR class 5: held */
	assert_false(lapic_has_interrupt(&f->l));
	assert_int_equal(lapic_get_interrupt(&f->l), -1);
	wr(f, LAPIC_REG_EOI, 0, 0);
	assert_int_equal(rd(f, LAPIC_REG_PPR, 0), 0);
	/* TPR 0x40 blocks class 4 too; TPR 0x3F does not */
	wr(f, LAPIC_REG_TPR, 0x40, 0);
	assert_int_equal(rd(f, LAPIC_REG_PPR, 0), 0x40);
	assert_false(lapic_has_interrupt(&f->l));
	lapic_set_cr8(&f->l, 3);
	assert_int_equal(rd(f, LAPIC_REG_TPR, 0), 0x30);
	assert_int_equal(lapic_get_interrupt(&f->l), 0x45);
	/* PPR = TPR when TPR's class is at least the ISR class */
	wr(f, LAPIC_REG_TPR, 0x4A, 0);
	assert_int_equal(rd(f, LAPIC_REG_PPR, 0), 0x4A);
	wr(f, LAPIC_REG_TPR, 0x2F, 0);
	assert_int_equal(rd(f, LAPIC_REG_PPR, 0), 0x40);
	assert_int_equal(lapic_get_cr8(&f->l), 2);
	/* 0x31 (class 3) waits for the EOI of 0x45 */
	assert_int_equal(lapic_get_interrupt(&f->l), -1);
	wr(f, LAPIC_REG_EOI, 0, 0);
	wr(f, LAPIC_REG_TPR, 0, 0);
	assert_int_equal(lapic_get_interrupt(&f->l), 0x31);
}

static void test_eoi_order_and_level(void **state)
{
	struct fixture *f = *state;
	enable(f);
	fixed(f, 0x40, true); /* level */
	assert_int_equal(rd(f, LAPIC_REG_TMR0 + 2, 0), 1);
	assert_int_equal(lapic_get_interrupt(&f->l), 0x40);
	fixed(f, 0x80, false);
	assert_int_equal(lapic_get_interrupt(&f->l), 0x80); /* nests above 0x40 */
	assert_int_equal(rd(f, LAPIC_REG_ISR0 + 4, 0), 1);
	assert_int_equal(rd(f, LAPIC_REG_ISR0 + 2, 0), 1);
	wr(f, LAPIC_REG_EOI, 0, 0); /* clears the highest: 0x80, an edge */
	assert_int_equal(rd(f, LAPIC_REG_ISR0 + 4, 0), 0);
	assert_int_equal(rd(f, LAPIC_REG_ISR0 + 2, 0), 1);
	assert_int_equal(f->neoi, 0);
	wr(f, LAPIC_REG_EOI, 0, 0); /* 0x40 was level: the IOAPIC hears it */
	assert_int_equal(rd(f, LAPIC_REG_ISR0 + 2, 0), 0);
	assert_int_equal(f->neoi, 1);
	assert_int_equal(f->eoi[0], 0x40);
	wr(f, LAPIC_REG_EOI, 0, 0); /* nothing in service: no effect */
	assert_int_equal(f->neoi, 1);
}

static void test_illegal_vector_and_esr(void **state)
{
	struct fixture *f = *state;
	enable(f);
	wr(f, LAPIC_REG_LVT_ERROR, 0xFE, 0);
	fixed(f, 0x05, false);
	assert_int_equal(rd(f, LAPIC_REG_IRR0, 0), 0);
	assert_int_equal(rd(f, LAPIC_REG_ESR, 0), 0); /* not latched until written */
	wr(f, LAPIC_REG_ESR, 0, 0);
	assert_int_equal(rd(f, LAPIC_REG_ESR, 0), APIC_ESR_RECV_ILLEGAL_VECTOR);
	assert_int_equal(rd(f, LAPIC_REG_IRR0 + 7, 0), 1u << 30); /* error vector 0xFE */
	/* sending an illegal vector */
	wr(f, LAPIC_REG_ICR_LO, 0x4003, 0);
	assert_int_equal(f->nsent, 0);
	wr(f, LAPIC_REG_ESR, 0, 0);
	assert_int_equal(rd(f, LAPIC_REG_ESR, 0), APIC_ESR_SEND_ILLEGAL_VECTOR);
	/* unimplemented register (LVT CMCI 0x2f0 with max LVT 5) */
	uint32_t v = 0;
	lapic_mmio(&f->l, 0x2F0, &v, 4, false, 0);
	wr(f, LAPIC_REG_ESR, 0, 0);
	assert_int_equal(rd(f, LAPIC_REG_ESR, 0), APIC_ESR_ILLEGAL_REGISTER);
	wr(f, LAPIC_REG_ESR, 0, 0);
	assert_int_equal(rd(f, LAPIC_REG_ESR, 0), 0);
}

static void test_svr_disable_masks_lvt(void **state)
{
	struct fixture *f = *state;
	enable(f);
	wr(f, LAPIC_REG_LVT_TIMER, 0x30, 0);
	wr(f, LAPIC_REG_LVT_LINT1, 0x400, 0);
	assert_int_equal(rd(f, LAPIC_REG_LVT_TIMER, 0), 0x30);
	wr(f, LAPIC_REG_SVR, 0xFF, 0);
	assert_int_equal(rd(f, LAPIC_REG_LVT_TIMER, 0), 0x10030);
	assert_int_equal(rd(f, LAPIC_REG_LVT_LINT1, 0), 0x10400);
	wr(f, LAPIC_REG_LVT_TIMER, 0x31, 0); /* cannot unmask while disabled */
	assert_int_equal(rd(f, LAPIC_REG_LVT_TIMER, 0), 0x10031);
}

static void test_timer_oneshot(void **state)
{
	struct fixture *f = *state; /* 1 GHz bus clock */
	enable(f);
	wr(f, LAPIC_REG_TIMER_DIV, 0x1, 0); /* divide by 4: 4 ns per tick */
	wr(f, LAPIC_REG_LVT_TIMER, 0x30, 0);
	wr(f, LAPIC_REG_TIMER_INIT, 1000, 1000);
	assert_int_equal(rd(f, LAPIC_REG_TIMER_CUR, 1000), 1000);
	assert_int_equal(rd(f, LAPIC_REG_TIMER_CUR, 1000 + 4 * 250), 750);
	assert_int_equal(lapic_next_deadline_ns(&f->l), 1000 + 4000);
	lapic_update(&f->l, 4999);
	assert_int_equal(rd(f, LAPIC_REG_IRR0 + 1, 4999), 0);
	lapic_update(&f->l, 5000);
	assert_int_equal(rd(f, LAPIC_REG_IRR0 + 1, 5000), 1u << 16); /* 0x30 */
	assert_int_equal(rd(f, LAPIC_REG_TIMER_CUR, 5000), 0);
	assert_int_equal(lapic_next_deadline_ns(&f->l), UINT64_MAX);
	assert_int_equal(rd(f, LAPIC_REG_TIMER_CUR, 99999), 0);
	/* masked: counts, no interrupt */
	assert_int_equal(lapic_get_interrupt(&f->l), 0x30);
	wr(f, LAPIC_REG_EOI, 0, 0);
	wr(f, LAPIC_REG_LVT_TIMER, 0x10030, 0);
	wr(f, LAPIC_REG_TIMER_INIT, 10, 10000);
	lapic_update(&f->l, 10040);
	assert_int_equal(rd(f, LAPIC_REG_IRR0 + 1, 0), 0);
	/* writing 0 stops it */
	wr(f, LAPIC_REG_TIMER_INIT, 10, 20000);
	wr(f, LAPIC_REG_TIMER_INIT, 0, 20001);
	assert_int_equal(lapic_next_deadline_ns(&f->l), UINT64_MAX);
}

static void test_timer_divide(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint32_t dcr, div;
	} cases[] = { { 0x0, 2 },  { 0x1, 4 },  { 0x2, 8 },   { 0x3, 16 },
		      { 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 } };
	enable(f);
	wr(f, LAPIC_REG_LVT_TIMER, 0x30, 0);
	for (unsigned i = 0; i < 8; i++) {
		wr(f, LAPIC_REG_TIMER_DIV, cases[i].dcr, 0);
		assert_int_equal(rd(f, LAPIC_REG_TIMER_DIV, 0), cases[i].dcr);
		wr(f, LAPIC_REG_TIMER_INIT, 100, 0);
		assert_int_equal(lapic_next_deadline_ns(&f->l), 100 * cases[i].div);
	}
	/* changing the divider mid-count keeps the count, new rate */
	wr(f, LAPIC_REG_TIMER_DIV, 0xB, 0);
	wr(f, LAPIC_REG_TIMER_INIT, 100, 0);
	wr(f, LAPIC_REG_TIMER_DIV, 0x0, 40); /* 60 left, now 2 ns each */
	assert_int_equal(rd(f, LAPIC_REG_TIMER_CUR, 40), 60);
	assert_int_equal(lapic_next_deadline_ns(&f->l), 40 + 120);
}

static void test_timer_periodic(void **state)
{
	struct fixture *f = *state;
	enable(f);
	wr(f, LAPIC_REG_TIMER_DIV, 0xB, 0); /* 1 ns per tick */
	wr(f, LAPIC_REG_LVT_TIMER, 0x20040, 0);
	wr(f, LAPIC_REG_TIMER_INIT, 100, 0);
	assert_int_equal(lapic_next_deadline_ns(&f->l), 100);
	lapic_update(&f->l, 100);
	assert_int_equal(lapic_get_interrupt(&f->l), 0x40);
	wr(f, LAPIC_REG_EOI, 0, 0);
	assert_int_equal(lapic_next_deadline_ns(&f->l), 200);
	assert_int_equal(rd(f, LAPIC_REG_TIMER_CUR, 150), 50);
	assert_int_equal(rd(f, LAPIC_REG_TIMER_CUR, 200), 100); /* reloaded */
	/* late by 2.5 periods: one interrupt, next deadline on the grid */
	lapic_update(&f->l, 450);
	assert_int_equal(lapic_get_interrupt(&f->l), 0x40);
	assert_int_equal(lapic_get_interrupt(&f->l), -1);
	assert_int_equal(lapic_next_deadline_ns(&f->l), 500);
	/* a mode change disarms */
	wr(f, LAPIC_REG_LVT_TIMER, 0x00040, 460);
	assert_int_equal(lapic_next_deadline_ns(&f->l), UINT64_MAX);
	assert_int_equal(rd(f, LAPIC_REG_TIMER_INIT, 460), 0);
}

static void test_timer_tsc_deadline(void **state)
{
	struct fixture *f = *state; /* TSC at 2 GHz */
	enable(f);
	uint64_t v;
	/* outside TSC-deadline mode the MSR ignores writes and reads 0 */
	assert_int_equal(lapic_wrmsr(&f->l, MSR_IA32_TSC_DEADLINE, 5000, 0, 0), 0);
	assert_int_equal(lapic_rdmsr(&f->l, MSR_IA32_TSC_DEADLINE, &v, 0), 0);
	assert_int_equal(v, 0);
	wr(f, LAPIC_REG_LVT_TIMER, 0x40050, 0);
	assert_int_equal(rd(f, LAPIC_REG_LVT_TIMER, 0), 0x40050);
	wr(f, LAPIC_REG_TIMER_INIT, 1234, 0); /* ignored in this mode */
	assert_int_equal(rd(f, LAPIC_REG_TIMER_INIT, 0), 0);
	/* now: 1000 ns, TSC 10000; deadline 2000 TSC ticks later = 1000 ns */
	lapic_set_tsc_deadline(&f->l, 12000, 1000, 10000);
	assert_int_equal(lapic_get_tsc_deadline(&f->l), 12000);
	assert_int_equal(lapic_next_deadline_ns(&f->l), 2000);
	lapic_update(&f->l, 1999);
	assert_false(lapic_has_interrupt(&f->l));
	lapic_update(&f->l, 2000);
	assert_int_equal(lapic_get_interrupt(&f->l), 0x50);
	assert_int_equal(lapic_get_tsc_deadline(&f->l), 0);
	assert_int_equal(lapic_next_deadline_ns(&f->l), UINT64_MAX);
	/* a deadline in the past fires at once; 0 disarms */
	lapic_set_tsc_deadline(&f->l, 5, 3000, 20000);
	assert_int_equal(lapic_next_deadline_ns(&f->l), 3000);
	lapic_set_tsc_deadline(&f->l, 0, 3000, 20000);
	assert_int_equal(lapic_next_deadline_ns(&f->l), UINT64_MAX);
}

static void test_icr_messages(void **state)
{
	struct fixture *f = *state;
	enable(f);
	wr(f, LAPIC_REG_ICR_HI, 0x02000000, 0);
	wr(f, LAPIC_REG_ICR_LO, 0x000040F0, 0); /* fixed, physical, to 2 */
	assert_int_equal(f->nsent, 1);
	assert_int_equal(f->sent[0].dest, 2);
	assert_int_equal(f->sent[0].vector, 0xF0);
	assert_int_equal(f->sent[0].delivery, APIC_DM_FIXED);
	assert_false(f->sent[0].logical);
	assert_int_equal(f->sent[0].shorthand, APIC_SH_NONE);
	assert_int_equal(rd(f, LAPIC_REG_ICR_LO, 0), 0x40F0); /* delivery status idle */
	wr(f, LAPIC_REG_ICR_LO, 0x000C4500, 0); /* INIT to all but self */
	assert_int_equal(f->sent[1].delivery, APIC_DM_INIT);
	assert_int_equal(f->sent[1].shorthand, APIC_SH_OTHERS);
	wr(f, LAPIC_REG_ICR_LO, 0x000C4608, 0); /* SIPI vector 8 */
	assert_int_equal(f->sent[2].delivery, APIC_DM_SIPI);
	assert_int_equal(f->sent[2].vector, 8);
	wr(f, LAPIC_REG_ICR_HI, 0x0C000000, 0);
	wr(f, LAPIC_REG_ICR_LO, 0x00000C31, 0); /* fixed, logical 0x0C */
	assert_true(f->sent[3].logical);
	assert_int_equal(f->sent[3].dest, 0x0C);
	wr(f, LAPIC_REG_ICR_LO, 0x00044500, 0); /* INIT to self: not allowed */
	assert_int_equal(f->nsent, 4);
}

static void test_init_sipi_nmi(void **state)
{
	struct fixture *f = *state;
	enable(f);
	wr(f, LAPIC_REG_TPR, 0x20, 0);
	struct apic_msg m = { .delivery = APIC_DM_INIT, .level = true, .assert = false };
	lapic_accept(&f->l, &m); /* INIT level de-assert: nothing */
	assert_false(lapic_take_init(&f->l));
	m.assert = true;
	lapic_accept(&f->l, &m);
	assert_true(lapic_take_init(&f->l));
	assert_false(lapic_take_init(&f->l));
	assert_int_equal(rd(f, LAPIC_REG_SVR, 0), 0xFF); /* registers reset */
	assert_int_equal(rd(f, LAPIC_REG_TPR, 0), 0);
	assert_int_equal(rd(f, LAPIC_REG_ID, 0), 0x03000000); /* but the ID */
	uint8_t vec = 0;
	assert_false(lapic_take_sipi(&f->l, &vec));
	struct apic_msg s = { .delivery = APIC_DM_SIPI, .vector = 0x9A };
	lapic_accept(&f->l, &s);
	assert_true(lapic_take_sipi(&f->l, &vec));
	assert_int_equal(vec, 0x9A);
	assert_false(lapic_take_sipi(&f->l, &vec));
	struct apic_msg n = { .delivery = APIC_DM_NMI };
	lapic_accept(&f->l, &n);
	assert_true(lapic_take_nmi(&f->l));
	assert_false(lapic_take_nmi(&f->l));
	/* LINT1 as NMI: rising edges only */
	enable(f);
	wr(f, LAPIC_REG_LVT_LINT1, 0x400, 0);
	lapic_set_lint(&f->l, 1, true);
	lapic_set_lint(&f->l, 1, true);
	assert_true(lapic_take_nmi(&f->l));
	assert_false(lapic_take_nmi(&f->l));
}

static void test_logical_destinations(void **state)
{
	struct fixture *f = *state;
	enable(f);
	/* physical */
	assert_true(lapic_match_dest(&f->l, 3, false, false));
	assert_false(lapic_match_dest(&f->l, 4, false, false));
	assert_true(lapic_match_dest(&f->l, 0xFF, false, false));
	/* flat model */
	wr(f, LAPIC_REG_LDR, 0x04000000, 0);
	assert_true(lapic_match_dest(&f->l, 0x04, true, false));
	assert_true(lapic_match_dest(&f->l, 0x0C, true, false));
	assert_false(lapic_match_dest(&f->l, 0x03, true, false));
	/* cluster model: cluster 2, member bit 1 */
	wr(f, LAPIC_REG_DFR, 0x0FFFFFFF, 0);
	assert_int_equal(rd(f, LAPIC_REG_DFR, 0), 0x0FFFFFFF);
	wr(f, LAPIC_REG_LDR, 0x22000000, 0);
	assert_true(lapic_match_dest(&f->l, 0x22, true, false));
	assert_true(lapic_match_dest(&f->l, 0x2E, true, false));
	assert_false(lapic_match_dest(&f->l, 0x12, true, false));
	assert_false(lapic_match_dest(&f->l, 0x21, true, false));
	assert_true(lapic_match_dest(&f->l, 0xFF, true, false));
}

static void test_x2apic(void **state)
{
	struct fixture *f = *state;
	uint64_t v;
	/* x2APIC MSRs #GP in xAPIC mode */
	assert_int_equal(lapic_rdmsr(&f->l, 0x802, &v, 0), -1);
	/* disabled -> x2APIC directly is invalid; xAPIC -> x2APIC is fine */
	assert_int_equal(lapic_set_base(&f->l, 0xFEE00400, 0), -1);
	assert_int_equal(lapic_set_base(&f->l, 0xFEE00C00, 0), 0);
	assert_true(lapic_x2apic_mode(&f->l));
	assert_int_equal(lapic_rdmsr(&f->l, 0x802, &v, 0), 0);
	assert_int_equal(v, 3);
	assert_int_equal(lapic_rdmsr(&f->l, 0x803, &v, 0), 0);
	assert_int_equal(v, 0x50014);
	assert_int_equal(lapic_rdmsr(&f->l, 0x80D, &v, 0), 0);
	assert_int_equal(v, 0x8); /* cluster 0, bit 3 */
	assert_int_equal(lapic_wrmsr(&f->l, 0x80D, 1, 0, 0), -1); /* LDR read-only */
	assert_int_equal(lapic_rdmsr(&f->l, 0x80E, &v, 0), -1);   /* no DFR */
	assert_int_equal(lapic_wrmsr(&f->l, 0x80F, 0x1FF, 0, 0), 0);
	assert_int_equal(lapic_wrmsr(&f->l, 0x80B, 1, 0, 0), -1); /* EOI must be 0 */
	assert_int_equal(lapic_wrmsr(&f->l, 0x83F, 0x44, 0, 0), 0); /* self IPI */
	assert_int_equal(lapic_get_interrupt(&f->l), 0x44);
	assert_int_equal(lapic_wrmsr(&f->l, 0x80B, 0, 0, 0), 0);
	assert_int_equal(lapic_wrmsr(&f->l, 0x830, 0x0000001200004055ULL, 0, 0), 0);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(f->sent[0].dest, 0x12);
	assert_true(f->sent[0].wide);
	assert_int_equal(lapic_rdmsr(&f->l, 0x830, &v, 0), 0);
	assert_int_equal(v, 0x0000001200004055ULL);
	/* MMIO does nothing in x2APIC mode */
	uint32_t m = 0x1234;
	lapic_mmio(&f->l, 0x30, &m, 4, false, 0);
	assert_int_equal(m, 0);
	/* x2APIC -> xAPIC directly is invalid; via disabled it is fine */
	assert_int_equal(lapic_set_base(&f->l, 0xFEE00800, 0), -1);
	assert_int_equal(lapic_set_base(&f->l, 0xFEE00000, 0), 0);
	assert_int_equal(lapic_set_base(&f->l, 0xFEE00800, 0), 0);
	assert_int_equal(rd(f, LAPIC_REG_SVR, 0), 0xFF);
	/* reserved bits */
	assert_int_equal(lapic_set_base(&f->l, 0xFEE00801, 0), -1);
}

static void test_mmio_widths(void **state)
{
	struct fixture *f = *state;
	uint8_t b = 0xAA;
	lapic_mmio(&f->l, 0x32, &b, 1, false, 0);
	assert_int_equal(b, 0x05); /* version byte 2: max LVT */
	uint16_t w = 0;
	lapic_mmio(&f->l, 0x30, &w, 2, false, 0);
	assert_int_equal(w, 0x0014);
	uint32_t v = 0x80;
	lapic_mmio(&f->l, 0x84, &v, 4, true, 0); /* not a register start: dropped */
	assert_int_equal(rd(f, LAPIC_REG_TPR, 0), 0);
	b = 0x80;
	lapic_mmio(&f->l, 0x80, &b, 1, true, 0); /* byte writes are dropped */
	assert_int_equal(rd(f, LAPIC_REG_TPR, 0), 0);
	v = 0xFFFFFFFF;
	lapic_mmio(&f->l, 0x1000, &v, 4, false, 0); /* outside the page */
	assert_int_equal(v, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bsp_virtual_wire, setup_bsp, teardown),
		cmocka_unit_test_setup_teardown(test_priority_and_ppr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eoi_order_and_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_illegal_vector_and_esr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_svr_disable_masks_lvt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_oneshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_divide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_periodic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_tsc_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icr_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_sipi_nmi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logical_destinations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_x2apic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio_widths, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
