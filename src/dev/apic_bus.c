/* The APIC bus: the LAPICs of one VM behind one mutex, message routing
 * (physical/logical destinations, shorthands, lowest priority as fixed to
 * the first match), MSI decoding, and deferred callbacks (kick, EOI to the
 * IOAPIC, 8259 acknowledge) run after the mutex is released. */
#include <string.h>

#include "vslice/dev/apic_bus.h"

/* MSI address/data layout (SDM vol. 3, "Message Signalled Interrupts"). */
#define MSI_ADDR_MASK 0xFFF00000u
#define MSI_ADDR_DEST_SHIFT 12
#define MSI_ADDR_DM_LOGICAL (1u << 2)
#define MSI_DATA_ASSERT (1u << 14)
#define MSI_DATA_LEVEL (1u << 15)

static bool has_events(const struct lapic *l)
{
	return l->nmi_pending || l->init_pending || l->sipi_pending;
}

/* After touching LAPIC i (lock held): note a kick and the deadline. */
static void touched(struct apic_bus *b, unsigned i)
{
	struct lapic *l = &b->cpu[i];
	if (lapic_has_interrupt(l) || has_events(l))
		b->kick_mask |= 1ULL << i;
	atomic_store(&b->deadline[i], lapic_next_deadline_ns(l));
}

/* Releases the lock, then runs the callbacks collected under it. cpu is
 * the vCPU whose own register write may have produced an EOI, or -1. */
static void unlock_and_flush(struct apic_bus *b, int cpu)
{
	uint64_t kicks = b->kick_mask;
	b->kick_mask = 0;
	int eoi = -1;
	if (cpu >= 0) {
		eoi = b->eoi_vector[cpu];
		b->eoi_vector[cpu] = -1;
	}
	pthread_mutex_unlock(&b->lock);
	if (eoi >= 0 && b->ops.eoi)
		b->ops.eoi(b->ops.opaque, (uint8_t)eoi);
	while (kicks && b->ops.kick) {
		unsigned i = (unsigned)__builtin_ctzll(kicks);
		kicks &= kicks - 1;
		b->ops.kick(b->ops.opaque, i);
	}
}

/* Routes m (lock held). src: the sending LAPIC's index for IPIs, or -1. */
static void deliver_locked(struct apic_bus *b, const struct apic_msg *m, int src)
{
	for (unsigned i = 0; i < b->ncpus; i++) {
		struct lapic *l = &b->cpu[i];
		bool hit;
		switch (src >= 0 ? m->shorthand : APIC_SH_NONE) {
		case APIC_SH_SELF:
			hit = (int)i == src;
			break;
		case APIC_SH_ALL:
			hit = lapic_hw_enabled(l);
			break;
		case APIC_SH_OTHERS:
			hit = (int)i != src && lapic_hw_enabled(l);
			break;
		default:
			hit = lapic_match_dest(l, m->dest, m->logical, m->wide);
			break;
		}
		if (!hit)
			continue;
		lapic_accept(l, m);
		touched(b, i);
		if (m->delivery == APIC_DM_LOWEST && m->shorthand == APIC_SH_NONE)
			break; /* lowest priority: the first match takes it */
	}
}

static void hook_send_ipi(void *opaque, struct lapic *src, const struct apic_msg *m)
{
	deliver_locked(opaque, m, (int)src->index);
}

static void hook_eoi_level(void *opaque, struct lapic *l, uint8_t vector)
{
	struct apic_bus *b = opaque;
	b->eoi_vector[l->index] = vector;
}

int apic_bus_init(struct apic_bus *b, unsigned ncpus, const struct lapic_config *cfg,
		  const struct apic_bus_ops *ops, struct errbuf *eb)
{
	if (ncpus == 0 || ncpus > APIC_BUS_MAX_CPUS)
		return errbuf_set(eb, "--cpus %u: the APIC bus supports 1 to %u CPUs", ncpus,
				  APIC_BUS_MAX_CPUS);
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->ncpus = ncpus;
	if (ops)
		b->ops = *ops;
	struct lapic_hooks hooks = {
		.send_ipi = hook_send_ipi,
		.eoi_level = hook_eoi_level,
		.opaque = b,
	};
	for (unsigned i = 0; i < ncpus; i++) {
		lapic_init(&b->cpu[i], i, i, i == 0, cfg, &hooks);
		b->eoi_vector[i] = -1;
		atomic_init(&b->deadline[i], UINT64_MAX);
	}
	return 0;
}

void apic_bus_destroy(struct apic_bus *b)
{
	pthread_mutex_destroy(&b->lock);
}

void apic_bus_reset(struct apic_bus *b)
{
	pthread_mutex_lock(&b->lock);
	for (unsigned i = 0; i < b->ncpus; i++) {
		lapic_reset(&b->cpu[i], i == 0);
		lapic_set_lint(&b->cpu[i], 0, b->extint_level);
		b->eoi_vector[i] = -1;
		atomic_store(&b->deadline[i], UINT64_MAX);
	}
	b->kick_mask = 0;
	pthread_mutex_unlock(&b->lock);
}

/* ---- device side ---- */

void apic_bus_deliver(struct apic_bus *b, const struct apic_msg *m)
{
	pthread_mutex_lock(&b->lock);
	deliver_locked(b, m, -1);
	unlock_and_flush(b, -1);
}

int apic_bus_msi(struct apic_bus *b, uint64_t addr, uint32_t data)
{
	if ((addr & ~0xFFFFFULL) != APIC_MSI_ADDR_BASE)
		return -1;
	struct apic_msg m = {
		.dest = (uint32_t)(addr >> MSI_ADDR_DEST_SHIFT) & 0xFF,
		.logical = addr & MSI_ADDR_DM_LOGICAL,
		.vector = data & 0xFF,
		.delivery = (data >> 8) & 7,
		.level = data & MSI_DATA_LEVEL,
		.assert = true,
	};
	if (m.level && !(data & MSI_DATA_ASSERT))
		m.assert = false;
	apic_bus_deliver(b, &m);
	return 0;
}

static void set_lint_all(struct apic_bus *b, unsigned pin, bool level)
{
	pthread_mutex_lock(&b->lock);
	if (pin == 0)
		b->extint_level = level;
	for (unsigned i = 0; i < b->ncpus; i++) {
		lapic_set_lint(&b->cpu[i], pin, level);
		touched(b, i);
	}
	unlock_and_flush(b, -1);
}

void apic_bus_set_extint(struct apic_bus *b, bool level)
{
	set_lint_all(b, 0, level);
}

void apic_bus_set_lint1(struct apic_bus *b, bool level)
{
	set_lint_all(b, 1, level);
}

/* ---- vCPU side ---- */

static struct lapic *lock_cpu(struct apic_bus *b, unsigned cpu)
{
	if (cpu >= b->ncpus)
		return NULL;
	pthread_mutex_lock(&b->lock);
	return &b->cpu[cpu];
}

void apic_bus_mmio(struct apic_bus *b, unsigned cpu, uint64_t offset, void *data, unsigned len,
		   bool is_write, uint64_t now_ns)
{
	if (len > 8)
		return;
	struct lapic *l = lock_cpu(b, cpu);
	if (!l) {
		if (!is_write)
			memset(data, 0xFF, len);
		return;
	}
	lapic_mmio(l, offset, data, len, is_write, now_ns);
	touched(b, cpu);
	unlock_and_flush(b, (int)cpu);
}

static bool is_apic_msr(uint32_t msr)
{
	return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
	       (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

int apic_bus_rdmsr(struct apic_bus *b, unsigned cpu, uint32_t msr, uint64_t *val, uint64_t now_ns)
{
	*val = 0;
	if (!is_apic_msr(msr))
		return 0;
	struct lapic *l = lock_cpu(b, cpu);
	if (!l)
		return -1;
	int r = lapic_rdmsr(l, msr, val, now_ns);
	touched(b, cpu); /* an x2APIC read can latch nothing, but stay uniform */
	unlock_and_flush(b, (int)cpu);
	return r < 0 ? -1 : 1;
}

int apic_bus_wrmsr(struct apic_bus *b, unsigned cpu, uint32_t msr, uint64_t val, uint64_t now_ns,
		   uint64_t now_tsc)
{
	if (!is_apic_msr(msr))
		return 0;
	struct lapic *l = lock_cpu(b, cpu);
	if (!l)
		return -1;
	int r = lapic_wrmsr(l, msr, val, now_ns, now_tsc);
	touched(b, cpu);
	unlock_and_flush(b, (int)cpu);
	return r < 0 ? -1 : 1;
}

bool apic_bus_has_interrupt(struct apic_bus *b, unsigned cpu)
{
	struct lapic *l = lock_cpu(b, cpu);
	if (!l)
		return false;
	bool r = lapic_has_interrupt(l);
	pthread_mutex_unlock(&b->lock);
	return r;
}

int apic_bus_get_interrupt(struct apic_bus *b, unsigned cpu)
{
	struct lapic *l = lock_cpu(b, cpu);
	if (!l)
		return -1;
	int v = lapic_get_interrupt(l);
	unlock_and_flush(b, (int)cpu);
	if (v == LAPIC_EXTINT) {
		if (!b->ops.extint_ack)
			return -1;
		v = b->ops.extint_ack(b->ops.opaque);
		return v >= 0 && v <= 255 ? v : -1;
	}
	return v;
}

void apic_bus_set_cr8(struct apic_bus *b, unsigned cpu, unsigned cr8)
{
	struct lapic *l = lock_cpu(b, cpu);
	if (!l)
		return;
	lapic_set_cr8(l, cr8);
	touched(b, cpu);
	unlock_and_flush(b, (int)cpu);
}

unsigned apic_bus_get_cr8(struct apic_bus *b, unsigned cpu)
{
	struct lapic *l = lock_cpu(b, cpu);
	if (!l)
		return 0;
	unsigned r = lapic_get_cr8(l);
	pthread_mutex_unlock(&b->lock);
	return r;
}

uint64_t apic_bus_next_deadline_ns(struct apic_bus *b, unsigned cpu)
{
	return cpu < b->ncpus ? atomic_load(&b->deadline[cpu]) : UINT64_MAX;
}

void apic_bus_update(struct apic_bus *b, unsigned cpu, uint64_t now_ns)
{
	struct lapic *l = lock_cpu(b, cpu);
	if (!l)
		return;
	lapic_update(l, now_ns);
	touched(b, cpu);
	unlock_and_flush(b, (int)cpu);
}

bool apic_bus_take_nmi(struct apic_bus *b, unsigned cpu)
{
	struct lapic *l = lock_cpu(b, cpu);
	if (!l)
		return false;
	bool r = lapic_take_nmi(l);
	pthread_mutex_unlock(&b->lock);
	return r;
}

bool apic_bus_take_init(struct apic_bus *b, unsigned cpu)
{
	struct lapic *l = lock_cpu(b, cpu);
	if (!l)
		return false;
	bool r = lapic_take_init(l);
	pthread_mutex_unlock(&b->lock);
	return r;
}

bool apic_bus_take_sipi(struct apic_bus *b, unsigned cpu, uint8_t *vector)
{
	struct lapic *l = lock_cpu(b, cpu);
	if (!l)
		return false;
	bool r = lapic_take_sipi(l, vector);
	pthread_mutex_unlock(&b->lock);
	return r;
}
