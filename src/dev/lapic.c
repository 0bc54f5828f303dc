/* Local APIC model: registers, interrupt acceptance and priority, IPIs,
 * the LVT and the timer (one-shot, periodic, TSC-deadline). Facts from the
 * Intel SDM vol. 3, "Advanced Programmable Interrupt Controller (APIC)".
 *
 * Single-threaded (the caller serializes) and clock-free: time comes in as
 * now_ns arguments. See include/vslice/dev/lapic.h.
 */
#include <string.h>

#include "vslice/dev/lapic.h"

#define NS_PER_SEC 1000000000ULL
#define DEFAULT_HZ 1000000000ULL
#define LVT_RESET APIC_LVT_MASKED
#define DFR_RESET 0xFFFFFFFFu
#define SVR_RESET 0xFFu

/* Writable bits of each register value. */
#define ICR_LO_WRITABLE 0x000CCFFFu /* vector, mode, dest mode, level, trigger, shorthand */
#define LVT_TIMER_WRITABLE (0x000100FFu | (3u << APIC_LVT_TIMER_MODE_SHIFT))
#define LVT_LOCAL_WRITABLE 0x000107FFu /* vector, delivery mode, mask */
#define LVT_LINT_WRITABLE 0x0001A7FFu  /* + polarity, trigger */
#define LVT_ERROR_WRITABLE 0x000100FFu
#define SVR_WRITABLE 0x000003FFu /* vector, enable, focus checking */
#define DIV_WRITABLE 0x0000000Bu
#define BASE_VALID_BITS (LAPIC_BASE_BSP | LAPIC_BASE_X2APIC | LAPIC_BASE_ENABLE | LAPIC_BASE_ADDR_MASK)

/* ---- 256-bit vector bitmaps ---- */

static bool bm_test(const uint32_t *bm, unsigned v)
{
	return bm[(v >> 5) & 7] & (1u << (v & 31));
}

static void bm_set(uint32_t *bm, unsigned v)
{
	bm[(v >> 5) & 7] |= 1u << (v & 31);
}

static void bm_clear(uint32_t *bm, unsigned v)
{
	bm[(v >> 5) & 7] &= ~(1u << (v & 31));
}

/* Highest set vector, or -1. */
static int bm_highest(const uint32_t *bm)
{
	for (int i = 7; i >= 0; i--)
		if (bm[i])
			return i * 32 + 31 - __builtin_clz(bm[i]);
	return -1;
}

/* ---- small helpers ---- */

static unsigned timer_mode(const struct lapic *l)
{
	return (l->lvt[LAPIC_LVT_TIMER] >> APIC_LVT_TIMER_MODE_SHIFT) & 3;
}

static unsigned lvt_delivery(uint32_t lvt)
{
	return (lvt >> 8) & 7;
}

static uint64_t bus_hz(const struct lapic *l)
{
	return l->cfg.bus_hz ? l->cfg.bus_hz : DEFAULT_HZ;
}

static uint64_t tsc_hz(const struct lapic *l)
{
	return l->cfg.tsc_hz ? l->cfg.tsc_hz : DEFAULT_HZ;
}

/* Divide configuration -> divisor (1..128): bits 3,1,0; 111b is 1. */
static unsigned timer_divisor(const struct lapic *l)
{
	unsigned v = ((l->timer_div >> 1) & 4) | (l->timer_div & 3);
	return v == 7 ? 1 : 2u << v;
}

/* Timer ticks after ns nanoseconds (rounded down). */
static unsigned __int128 ns_to_ticks(const struct lapic *l, uint64_t ns)
{
	return (unsigned __int128)ns * bus_hz(l) / ((unsigned __int128)NS_PER_SEC * timer_divisor(l));
}

/* Nanoseconds until tick t (rounded up), saturating. */
static uint64_t ticks_to_ns(const struct lapic *l, unsigned __int128 t)
{
	unsigned __int128 num = t * timer_divisor(l) * NS_PER_SEC;
	unsigned __int128 ns = (num + bus_hz(l) - 1) / bus_hz(l);
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* ---- priority and acceptance ---- */

uint32_t lapic_ppr(const struct lapic *l)
{
	int isrv = bm_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
	if ((l->tpr & 0xF0) >= isr_class)
		return l->tpr & 0xFF;
	return isr_class;
}

static void raise_error(struct lapic *l, uint32_t bits);

/* Puts vector in IRR (fixed or lowest-priority delivery). */
static void set_irr(struct lapic *l, unsigned vector, bool level)
{
	vector &= 0xFF;
	if (vector < 16) {
		raise_error(l, APIC_ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	bm_set(l->irr, vector);
	if (level)
		bm_set(l->tmr, vector);
	else
		bm_clear(l->tmr, vector);
}

/* Errors are accumulated until the next ESR write; the error LVT fires
 * when a new bit appears. An illegal error vector does not recurse. */
static void raise_error(struct lapic *l, uint32_t bits)
{
	bool fresh = (l->esr_pending & bits) != bits;
	l->esr_pending |= bits;
	uint32_t lvt = l->lvt[LAPIC_LVT_ERROR];
	if (fresh && !(lvt & APIC_LVT_MASKED) && (lvt & 0xFF) >= 16)
		set_irr(l, lvt & 0xFF, false);
}

/* A local interrupt source (LVT entry) fires once (an edge). */
static void fire_lvt(struct lapic *l, enum lapic_lvt which)
{
	uint32_t lvt = l->lvt[which];
	if (lvt & APIC_LVT_MASKED)
		return;
	unsigned dm = which == LAPIC_LVT_TIMER ? APIC_DM_FIXED : lvt_delivery(lvt);
	switch (dm) {
	case APIC_DM_FIXED:
		set_irr(l, lvt & 0xFF, false);
		break;
	case APIC_DM_NMI:
		l->nmi_pending = true;
		break;
	default: /* SMI, INIT, ExtINT from a local source: not modelled */
		break;
	}
}

static bool accepts_pic(const struct lapic *l)
{
	if (!lapic_hw_enabled(l))
		return true;
	uint32_t lvt0 = l->lvt[LAPIC_LVT_LINT0];
	return !(lvt0 & APIC_LVT_MASKED) && lvt_delivery(lvt0) == APIC_DM_EXTINT;
}

static bool extint_ready(const struct lapic *l)
{
	return l->extint_msg || (l->lint_level[0] && accepts_pic(l));
}

/* Highest IRR vector whose priority class beats PPR, or -1. */
static int deliverable_vector(const struct lapic *l)
{
	if (!lapic_hw_enabled(l))
		return -1;
	int irrv = bm_highest(l->irr);
	if (irrv < 0 || ((uint32_t)irrv & 0xF0) <= (lapic_ppr(l) & 0xF0))
		return -1;
	return irrv;
}

bool lapic_has_interrupt(const struct lapic *l)
{
	return extint_ready(l) || deliverable_vector(l) >= 0;
}

int lapic_get_interrupt(struct lapic *l)
{
	if (extint_ready(l)) {
		l->extint_msg = false;
		return LAPIC_EXTINT;
	}
	int v = deliverable_vector(l);
	if (v < 0)
		return -1;
	bm_clear(l->irr, (unsigned)v);
	bm_set(l->isr, (unsigned)v);
	return v;
}

/* ---- reset ---- */

static void reset_regs(struct lapic *l)
{
	bool bsp = l->apic_base & LAPIC_BASE_BSP;
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = DFR_RESET;
	l->svr = SVR_RESET;
	l->esr = l->esr_pending = 0;
	l->icr_lo = l->icr_hi = 0;
	for (unsigned i = 0; i < LAPIC_NUM_LVT; i++)
		l->lvt[i] = LVT_RESET;
	if (bsp) /* virtual-wire mode, as firmware leaves the BSP */
		l->lvt[LAPIC_LVT_LINT0] = APIC_DM_EXTINT << 8;
	memset(l->irr, 0, sizeof(l->irr));
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	l->timer_init = 0;
	l->timer_div = 0;
	l->tsc_deadline = 0;
	l->timer_running = false;
	l->timer_base_ns = 0;
	l->timer_base_count = 0;
	l->timer_next_ns = UINT64_MAX;
	l->extint_msg = false;
	l->nmi_pending = false;
	l->sipi_pending = false;
	l->sipi_vector = 0;
	if (lapic_x2apic_mode(l))
		l->ldr = ((l->id >> 4) << 16) | (1u << (l->id & 0xF));
}

void lapic_reset(struct lapic *l, bool bsp)
{
	l->apic_base = LAPIC_DEFAULT_BASE | LAPIC_BASE_ENABLE | (bsp ? LAPIC_BASE_BSP : 0);
	l->id = l->init_id;
	l->init_pending = false;
	l->lint_level[0] = l->lint_level[1] = false;
	reset_regs(l);
}

void lapic_init(struct lapic *l, unsigned index, uint32_t id, bool bsp,
		const struct lapic_config *cfg, const struct lapic_hooks *hooks)
{
	memset(l, 0, sizeof(*l));
	l->index = index;
	l->init_id = id;
	if (cfg)
		l->cfg = *cfg;
	if (hooks)
		l->hooks = *hooks;
	lapic_reset(l, bsp);
}

/* ---- timer ---- */

static void timer_stop(struct lapic *l)
{
	l->timer_running = false;
	l->timer_next_ns = UINT64_MAX;
}

/* Counter value at now_ns (one-shot and periodic). */
static uint32_t timer_current(const struct lapic *l, uint64_t now_ns)
{
	if (!l->timer_running || timer_mode(l) == APIC_TIMER_TSC_DEADLINE)
		return 0;
	uint64_t since = now_ns > l->timer_base_ns ? now_ns - l->timer_base_ns : 0;
	unsigned __int128 elapsed = ns_to_ticks(l, since);
	if (elapsed < l->timer_base_count)
		return (uint32_t)(l->timer_base_count - elapsed);
	if (timer_mode(l) != APIC_TIMER_PERIODIC || !l->timer_init)
		return 0;
	return l->timer_init - (uint32_t)((elapsed - l->timer_base_count) % l->timer_init);
}

/* Next expiry strictly after now_ns for a running counter. */
static void timer_schedule(struct lapic *l, uint64_t now_ns)
{
	if (!l->timer_running) {
		l->timer_next_ns = UINT64_MAX;
		return;
	}
	uint64_t since = now_ns > l->timer_base_ns ? now_ns - l->timer_base_ns : 0;
	unsigned __int128 elapsed = ns_to_ticks(l, since);
	unsigned __int128 next = l->timer_base_count;
	if (elapsed >= next) {
		if (timer_mode(l) != APIC_TIMER_PERIODIC || !l->timer_init) {
			l->timer_next_ns = now_ns; /* due now */
			return;
		}
		next += ((elapsed - next) / l->timer_init + 1) * l->timer_init;
	}
	l->timer_next_ns = add_sat(l->timer_base_ns, ticks_to_ns(l, next));
}

static void timer_start(struct lapic *l, uint32_t count, uint64_t now_ns)
{
	if (!count) {
		timer_stop(l);
		return;
	}
	l->timer_base_ns = now_ns;
	l->timer_base_count = count;
	l->timer_running = true;
	timer_schedule(l, now_ns);
}

void lapic_update(struct lapic *l, uint64_t now_ns)
{
	if (now_ns < l->timer_next_ns)
		return;
	if (timer_mode(l) == APIC_TIMER_TSC_DEADLINE) {
		l->tsc_deadline = 0;
		l->timer_next_ns = UINT64_MAX;
		fire_lvt(l, LAPIC_LVT_TIMER);
		return;
	}
	if (!l->timer_running) {
		l->timer_next_ns = UINT64_MAX;
		return;
	}
	fire_lvt(l, LAPIC_LVT_TIMER);
	if (timer_mode(l) == APIC_TIMER_PERIODIC && l->timer_init) {
		timer_schedule(l, now_ns);
	} else {
		timer_stop(l);
	}
}

uint64_t lapic_next_deadline_ns(const struct lapic *l)
{
	return l->timer_next_ns;
}

void lapic_set_tsc_deadline(struct lapic *l, uint64_t deadline, uint64_t now_ns,
			    uint64_t now_tsc)
{
	/* Ignored outside TSC-deadline mode (SDM: "Writes ... are ignored"). */
	if (timer_mode(l) != APIC_TIMER_TSC_DEADLINE || !lapic_hw_enabled(l))
		return;
	l->tsc_deadline = deadline;
	if (!deadline) {
		l->timer_next_ns = UINT64_MAX;
		return;
	}
	uint64_t delta = deadline > now_tsc ? deadline - now_tsc : 0;
	unsigned __int128 ns = ((unsigned __int128)delta * NS_PER_SEC + tsc_hz(l) - 1) / tsc_hz(l);
	l->timer_next_ns = add_sat(now_ns, ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns);
}

uint64_t lapic_get_tsc_deadline(const struct lapic *l)
{
	return timer_mode(l) == APIC_TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
}

static void write_lvt_timer(struct lapic *l, uint32_t val)
{
	uint32_t writable = LVT_TIMER_WRITABLE;
	if (!l->cfg.tsc_deadline)
		writable &= ~(2u << APIC_LVT_TIMER_MODE_SHIFT);
	uint32_t old_mode = timer_mode(l);
	l->lvt[LAPIC_LVT_TIMER] = val & writable;
	if (timer_mode(l) == 3) /* reserved mode: keep the old one */
		l->lvt[LAPIC_LVT_TIMER] = (l->lvt[LAPIC_LVT_TIMER] & ~(3u << APIC_LVT_TIMER_MODE_SHIFT)) |
					  (old_mode << APIC_LVT_TIMER_MODE_SHIFT);
	if (timer_mode(l) != old_mode) {
		/* A mode change disarms the timer. */
		l->timer_init = 0;
		l->tsc_deadline = 0;
		timer_stop(l);
	}
}

static void write_timer_div(struct lapic *l, uint32_t val, uint64_t now_ns)
{
	uint32_t cur = timer_current(l, now_ns);
	bool running = l->timer_running && timer_mode(l) != APIC_TIMER_TSC_DEADLINE;
	l->timer_div = val & DIV_WRITABLE;
	/* Keep counting from the current value at the new rate; a one-shot
	 * count that already reached 0 just waits for lapic_update(). */
	if (running && cur)
		timer_start(l, cur, now_ns);
}

/* ---- destinations and messages ---- */

bool lapic_match_dest(const struct lapic *l, uint32_t dest, bool logical, bool wide)
{
	if (!lapic_hw_enabled(l))
		return false;
	if (wide ? dest == 0xFFFFFFFFu : (dest & 0xFF) == 0xFF)
		return true; /* broadcast */
	if (!wide)
		dest &= 0xFF;
	if (!logical)
		return lapic_x2apic_mode(l) || wide ? dest == l->id : dest == (l->id & 0xFF);
	if (lapic_x2apic_mode(l)) {
		/* x2APIC logical: cluster in 31:16, bit mask in 15:0. */
		return (dest >> 16) == (l->ldr >> 16) && (dest & l->ldr & 0xFFFF);
	}
	uint32_t logical_id = l->ldr >> 24;
	if ((l->dfr >> 28) == 0xF) /* flat model */
		return (logical_id & dest) != 0;
	/* cluster model: cluster in 7:4, member bits in 3:0 */
	return (logical_id >> 4) == (dest >> 4) && (logical_id & dest & 0xF);
}

void lapic_accept(struct lapic *l, const struct apic_msg *m)
{
	if (!lapic_hw_enabled(l))
		return;
	switch (m->delivery) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		set_irr(l, m->vector, m->level);
		break;
	case APIC_DM_NMI:
		l->nmi_pending = true;
		break;
	case APIC_DM_INIT:
		if (m->level && !m->assert)
			break; /* INIT level de-assert: arbitration IDs only */
		/* INIT: back to the power-up state but the ID and APIC base. */
		reset_regs(l);
		l->init_pending = true;
		break;
	case APIC_DM_SIPI:
		l->sipi_pending = true;
		l->sipi_vector = m->vector;
		break;
	case APIC_DM_EXTINT:
		l->extint_msg = true;
		break;
	default: /* SMI and reserved modes */
		break;
	}
}

void lapic_set_lint(struct lapic *l, unsigned pin, bool level)
{
	if (pin > 1)
		return;
	bool rising = level && !l->lint_level[pin];
	l->lint_level[pin] = level;
	uint32_t *lvt = &l->lvt[LAPIC_LVT_LINT0 + pin];
	if ((*lvt & APIC_LVT_MASKED) || !lapic_hw_enabled(l))
		return;
	switch (lvt_delivery(*lvt)) {
	case APIC_DM_FIXED:
		if (*lvt & APIC_LVT_LEVEL) {
			if (level && !(*lvt & APIC_LVT_REMOTE_IRR)) {
				*lvt |= APIC_LVT_REMOTE_IRR;
				set_irr(l, *lvt & 0xFF, true);
			}
		} else if (rising) {
			set_irr(l, *lvt & 0xFF, false);
		}
		break;
	case APIC_DM_NMI:
		if (rising)
			l->nmi_pending = true;
		break;
	default: /* ExtINT is sampled by lapic_get_interrupt() */
		break;
	}
}

static void send_icr(struct lapic *l)
{
	struct apic_msg m = {
		.vector = l->icr_lo & 0xFF,
		.delivery = (l->icr_lo >> 8) & 7,
		.logical = l->icr_lo & APIC_ICR_LOGICAL,
		.level = l->icr_lo & APIC_ICR_LEVEL,
		.assert = l->icr_lo & APIC_ICR_ASSERT,
		.shorthand = (l->icr_lo >> 18) & 3,
		.wide = lapic_x2apic_mode(l),
	};
	m.dest = m.wide ? l->icr_hi : l->icr_hi >> 24;
	if (!m.level)
		m.assert = true;
	if ((m.delivery == APIC_DM_FIXED || m.delivery == APIC_DM_LOWEST) && m.vector < 16) {
		raise_error(l, APIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	if (m.delivery == 3 || m.delivery == APIC_DM_EXTINT)
		return; /* reserved for IPIs */
	if ((m.delivery == APIC_DM_INIT || m.delivery == APIC_DM_SIPI) && m.shorthand == APIC_SH_SELF)
		return; /* not supported with the self shorthand */
	if (l->hooks.send_ipi)
		l->hooks.send_ipi(l->hooks.opaque, l, &m);
}

static void do_eoi(struct lapic *l)
{
	int v = bm_highest(l->isr);
	if (v < 0)
		return;
	bm_clear(l->isr, (unsigned)v);
	if (!bm_test(l->tmr, (unsigned)v))
		return;
	bm_clear(l->tmr, (unsigned)v);
	for (unsigned pin = 0; pin < 2; pin++) {
		uint32_t *lvt = &l->lvt[LAPIC_LVT_LINT0 + pin];
		if ((*lvt & APIC_LVT_REMOTE_IRR) && (*lvt & 0xFF) == (uint32_t)v) {
			*lvt &= ~APIC_LVT_REMOTE_IRR;
			if (l->lint_level[pin]) /* still asserted: again */
				lapic_set_lint(l, pin, true);
		}
	}
	if (l->hooks.eoi_level)
		l->hooks.eoi_level(l->hooks.opaque, l, (uint8_t)v);
}

/* ---- register file ---- */

void lapic_set_cr8(struct lapic *l, unsigned cr8)
{
	l->tpr = (cr8 & 0xF) << 4;
}

unsigned lapic_get_cr8(const struct lapic *l)
{
	return (l->tpr >> 4) & 0xF;
}

int lapic_read_reg(struct lapic *l, unsigned index, uint64_t *val, uint64_t now_ns)
{
	bool x2 = lapic_x2apic_mode(l);
	*val = 0;
	switch (index) {
	case LAPIC_REG_ID:
		*val = x2 ? l->id : (l->id & 0xFF) << 24;
		return 0;
	case LAPIC_REG_VERSION:
		*val = LAPIC_VERSION;
		return 0;
	case LAPIC_REG_TPR:
		*val = l->tpr;
		return 0;
	case LAPIC_REG_APR:
	case LAPIC_REG_RRD:
		return x2 ? -1 : 0;
	case LAPIC_REG_PPR:
		*val = lapic_ppr(l);
		return 0;
	case LAPIC_REG_EOI:
		return x2 ? -1 : 0; /* write-only */
	case LAPIC_REG_LDR:
		*val = l->ldr;
		return 0;
	case LAPIC_REG_DFR:
		*val = l->dfr;
		return x2 ? -1 : 0;
	case LAPIC_REG_SVR:
		*val = l->svr;
		return 0;
	case LAPIC_REG_ESR:
		*val = l->esr;
		return 0;
	case LAPIC_REG_ICR_LO:
		*val = l->icr_lo;
		if (x2)
			*val |= (uint64_t)l->icr_hi << 32;
		return 0;
	case LAPIC_REG_ICR_HI:
		*val = l->icr_hi;
		return x2 ? -1 : 0;
	case LAPIC_REG_LVT_TIMER ... LAPIC_REG_LVT_ERROR:
		*val = l->lvt[index - LAPIC_REG_LVT_TIMER];
		return 0;
	case LAPIC_REG_TIMER_INIT:
		*val = l->timer_init;
		return 0;
	case LAPIC_REG_TIMER_CUR:
		*val = timer_current(l, now_ns);
		return 0;
	case LAPIC_REG_TIMER_DIV:
		*val = l->timer_div;
		return 0;
	case LAPIC_REG_ISR0 ... LAPIC_REG_ISR0 + 7:
		*val = l->isr[index - LAPIC_REG_ISR0];
		return 0;
	case LAPIC_REG_TMR0 ... LAPIC_REG_TMR0 + 7:
		*val = l->tmr[index - LAPIC_REG_TMR0];
		return 0;
	case LAPIC_REG_IRR0 ... LAPIC_REG_IRR0 + 7:
		*val = l->irr[index - LAPIC_REG_IRR0];
		return 0;
	default: /* includes SELF_IPI (write-only) */
		return -1;
	}
}

int lapic_write_reg(struct lapic *l, unsigned index, uint64_t val64, uint64_t now_ns)
{
	bool x2 = lapic_x2apic_mode(l);
	uint32_t val = (uint32_t)val64;
	switch (index) {
	case LAPIC_REG_ID:
		if (x2)
			return -1;
		l->id = val >> 24;
		return 0;
	case LAPIC_REG_TPR:
		l->tpr = val & 0xFF;
		return 0;
	case LAPIC_REG_EOI:
		if (x2 && val64)
			return -1;
		do_eoi(l);
		return 0;
	case LAPIC_REG_LDR:
		if (x2)
			return -1;
		l->ldr = val & 0xFF000000u;
		return 0;
	case LAPIC_REG_DFR:
		if (x2)
			return -1;
		l->dfr = val | 0x0FFFFFFFu;
		return 0;
	case LAPIC_REG_SVR:
		l->svr = val & SVR_WRITABLE;
		if (!lapic_sw_enabled(l))
			for (unsigned i = 0; i < LAPIC_NUM_LVT; i++)
				l->lvt[i] |= APIC_LVT_MASKED;
		return 0;
	case LAPIC_REG_ESR:
		if (x2 && val64)
			return -1;
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return 0;
	case LAPIC_REG_ICR_LO:
		l->icr_lo = val & ICR_LO_WRITABLE;
		if (x2)
			l->icr_hi = (uint32_t)(val64 >> 32);
		send_icr(l);
		return 0;
	case LAPIC_REG_ICR_HI:
		if (x2)
			return -1;
		l->icr_hi = val & 0xFF000000u;
		return 0;
	case LAPIC_REG_LVT_TIMER:
		write_lvt_timer(l, val);
		break;
	case LAPIC_REG_LVT_THERMAL:
	case LAPIC_REG_LVT_PERF:
		l->lvt[index - LAPIC_REG_LVT_TIMER] = val & LVT_LOCAL_WRITABLE;
		break;
	case LAPIC_REG_LVT_LINT0:
	case LAPIC_REG_LVT_LINT1: {
		uint32_t *lvt = &l->lvt[index - LAPIC_REG_LVT_TIMER];
		*lvt = (val & LVT_LINT_WRITABLE) | (*lvt & APIC_LVT_REMOTE_IRR);
		if (!(*lvt & APIC_LVT_LEVEL))
			*lvt &= ~APIC_LVT_REMOTE_IRR;
		break;
	}
	case LAPIC_REG_LVT_ERROR:
		l->lvt[LAPIC_LVT_ERROR] = val & LVT_ERROR_WRITABLE;
		break;
	case LAPIC_REG_TIMER_INIT:
		if (timer_mode(l) == APIC_TIMER_TSC_DEADLINE)
			return 0; /* ignored in TSC-deadline mode */
		l->timer_init = val;
		timer_start(l, val, now_ns);
		return 0;
	case LAPIC_REG_TIMER_DIV:
		write_timer_div(l, val, now_ns);
		return 0;
	case LAPIC_REG_SELF_IPI:
		if (!x2 || val64 > 0xFF)
			return -1;
		set_irr(l, val & 0xFF, false);
		return 0;
	case LAPIC_REG_VERSION:
	case LAPIC_REG_PPR:
	case LAPIC_REG_TIMER_CUR:
	case LAPIC_REG_ISR0 ... LAPIC_REG_IRR0 + 7:
		return x2 ? -1 : 0; /* read-only: ignored in xAPIC mode */
	case LAPIC_REG_APR:
	case LAPIC_REG_RRD:
		return x2 ? -1 : 0;
	default:
		return -1;
	}
	/* LVT writes land here: a software-disabled APIC keeps them masked. */
	if (!lapic_sw_enabled(l))
		l->lvt[index - LAPIC_REG_LVT_TIMER] |= APIC_LVT_MASKED;
	return 0;
}

void lapic_mmio(struct lapic *l, uint64_t offset, void *data, unsigned len, bool is_write,
		uint64_t now_ns)
{
	if (!is_write)
		memset(data, 0, len);
	if (offset >= LAPIC_MMIO_SIZE || !lapic_hw_enabled(l) || lapic_x2apic_mode(l))
		return;
	unsigned index = (unsigned)(offset >> 4), sub = offset & 0xF;
	if (index == LAPIC_REG_SELF_IPI) { /* x2APIC only: unimplemented here */
		raise_error(l, APIC_ESR_ILLEGAL_REGISTER);
		return;
	}
	if (is_write) {
		if (len != 4 || sub != 0)
			return;
		uint32_t v;
		memcpy(&v, data, 4);
		if (lapic_write_reg(l, index, v, now_ns) < 0)
			raise_error(l, APIC_ESR_ILLEGAL_REGISTER);
		return;
	}
	uint64_t v;
	if (lapic_read_reg(l, index, &v, now_ns) < 0) {
		raise_error(l, APIC_ESR_ILLEGAL_REGISTER);
		return;
	}
	uint32_t v32 = (uint32_t)v;
	for (unsigned i = 0; i < len && sub + i < 4; i++)
		((uint8_t *)data)[i] = (uint8_t)(v32 >> (8 * (sub + i)));
}

/* ---- MSRs ---- */

uint64_t lapic_get_base(const struct lapic *l)
{
	return l->apic_base;
}

int lapic_set_base(struct lapic *l, uint64_t val, uint64_t now_ns)
{
	if (val & ~BASE_VALID_BITS)
		return -1;
	bool was_en = lapic_hw_enabled(l), was_x2 = lapic_x2apic_mode(l);
	bool en = val & LAPIC_BASE_ENABLE, x2 = en && (val & LAPIC_BASE_X2APIC);
	if ((val & LAPIC_BASE_X2APIC) && !en)
		return -1; /* invalid state */
	if (was_x2 && en && !x2)
		return -1; /* x2APIC -> xAPIC must go through disabled */
	if (!was_en && x2)
		return -1; /* disabled -> x2APIC must go through xAPIC */
	l->apic_base = val;
	if (!en && was_en) {
		/* Globally disabled: back to power-up register state. */
		l->id = l->init_id;
		reset_regs(l);
	} else if (x2 && !was_x2) {
		l->id = l->init_id;
		l->ldr = ((l->id >> 4) << 16) | (1u << (l->id & 0xF));
	}
	return 0;
}

int lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *val, uint64_t now_ns)
{
	*val = 0;
	if (msr == MSR_IA32_APIC_BASE) {
		*val = l->apic_base;
		return 0;
	}
	if (msr == MSR_IA32_TSC_DEADLINE) {
		if (!l->cfg.tsc_deadline)
			return -1;
		*val = lapic_get_tsc_deadline(l);
		return 0;
	}
	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !lapic_x2apic_mode(l))
		return -1;
	return lapic_read_reg(l, msr - MSR_X2APIC_FIRST, val, now_ns);
}

int lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t val, uint64_t now_ns, uint64_t now_tsc)
{
	if (msr == MSR_IA32_APIC_BASE)
		return lapic_set_base(l, val, now_ns);
	if (msr == MSR_IA32_TSC_DEADLINE) {
		if (!l->cfg.tsc_deadline)
			return -1;
		lapic_set_tsc_deadline(l, val, now_ns, now_tsc);
		return 0;
	}
	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !lapic_x2apic_mode(l))
		return -1;
	unsigned index = msr - MSR_X2APIC_FIRST;
	/* Only ICR is 64 bits wide; the high half of the others is reserved. */
	if (index != LAPIC_REG_ICR_LO && (val >> 32))
		return -1;
	return lapic_write_reg(l, index, val, now_ns);
}

/* ---- events for the CPU ---- */

bool lapic_take_nmi(struct lapic *l)
{
	bool r = l->nmi_pending;
	l->nmi_pending = false;
	return r;
}

bool lapic_take_init(struct lapic *l)
{
	bool r = l->init_pending;
	l->init_pending = false;
	return r;
}

bool lapic_take_sipi(struct lapic *l, uint8_t *vector)
{
	if (!l->sipi_pending)
		return false;
	l->sipi_pending = false;
	*vector = l->sipi_vector;
	return true;
}
