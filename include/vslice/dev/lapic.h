/* Local APIC model (xAPIC MMIO page and x2APIC MSRs), after the Intel SDM
 * vol. 3, chapter "Advanced Programmable Interrupt Controller".
 *
 * One struct lapic per vCPU. The model is single-threaded: it takes no lock
 * and its caller serializes every call on one instance (apic_bus does, with
 * its mutex). It never reads a clock: every call that depends on time takes
 * now_ns (any monotonic nanosecond clock, the same for all calls), and
 * lapic_next_deadline_ns() says when the timer next needs lapic_update().
 *
 * Registers are addressed by index: the xAPIC MMIO offset >> 4, which is
 * also the x2APIC MSR number - 0x800. lapic_read_reg()/lapic_write_reg()
 * are what both the MMIO handler and the MSR path call.
 */
#ifndef VSLICE_DEV_LAPIC_H
#define VSLICE_DEV_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define LAPIC_DEFAULT_BASE 0xFEE00000ULL
#define LAPIC_MMIO_SIZE 0x1000
#define LAPIC_VERSION 0x00050014u /* version 0x14, max LVT entry 5 */

/* IA32_APIC_BASE (MSR 0x1b) bits. */
#define LAPIC_BASE_BSP (1ULL << 8)
#define LAPIC_BASE_X2APIC (1ULL << 10)
#define LAPIC_BASE_ENABLE (1ULL << 11)
#define LAPIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ULL

#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8ff

/* Register indices (MMIO offset >> 4, x2APIC MSR - 0x800). */
enum lapic_reg {
	LAPIC_REG_ID = 0x02,
	LAPIC_REG_VERSION = 0x03,
	LAPIC_REG_TPR = 0x08,
	LAPIC_REG_APR = 0x09,
	LAPIC_REG_PPR = 0x0a,
	LAPIC_REG_EOI = 0x0b,
	LAPIC_REG_RRD = 0x0c,
	LAPIC_REG_LDR = 0x0d,
	LAPIC_REG_DFR = 0x0e,
	LAPIC_REG_SVR = 0x0f,
	LAPIC_REG_ISR0 = 0x10, /* 0x10-0x17 */
	LAPIC_REG_TMR0 = 0x18, /* 0x18-0x1f */
	LAPIC_REG_IRR0 = 0x20, /* 0x20-0x27 */
	LAPIC_REG_ESR = 0x28,
	LAPIC_REG_ICR_LO = 0x30,
	LAPIC_REG_ICR_HI = 0x31,
	LAPIC_REG_LVT_TIMER = 0x32,
	LAPIC_REG_LVT_THERMAL = 0x33,
	LAPIC_REG_LVT_PERF = 0x34,
	LAPIC_REG_LVT_LINT0 = 0x35,
	LAPIC_REG_LVT_LINT1 = 0x36,
	LAPIC_REG_LVT_ERROR = 0x37,
	LAPIC_REG_TIMER_INIT = 0x38,
	LAPIC_REG_TIMER_CUR = 0x39,
	LAPIC_REG_TIMER_DIV = 0x3e,
	LAPIC_REG_SELF_IPI = 0x3f, /* x2APIC only */
	LAPIC_NUM_REGS = 0x40,
};

/* LVT entries, in the order of their registers (timer .. error). */
enum lapic_lvt {
	LAPIC_LVT_TIMER,
	LAPIC_LVT_THERMAL,
	LAPIC_LVT_PERF,
	LAPIC_LVT_LINT0,
	LAPIC_LVT_LINT1,
	LAPIC_LVT_ERROR,
	LAPIC_NUM_LVT
};

/* Delivery modes (ICR, LVT, IOAPIC redirection entries, MSI data). */
enum apic_delivery {
	APIC_DM_FIXED = 0,
	APIC_DM_LOWEST = 1,
	APIC_DM_SMI = 2,
	APIC_DM_NMI = 4,
	APIC_DM_INIT = 5,
	APIC_DM_SIPI = 6,
	APIC_DM_EXTINT = 7,
};

/* ICR destination shorthands. */
enum apic_shorthand {
	APIC_SH_NONE = 0,
	APIC_SH_SELF = 1,
	APIC_SH_ALL = 2,
	APIC_SH_OTHERS = 3,
};

/* Bits of the register values. */
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_LEVEL (1u << 15)
#define APIC_LVT_REMOTE_IRR (1u << 14)
#define APIC_LVT_TIMER_MODE_SHIFT 17
#define APIC_TIMER_ONESHOT 0
#define APIC_TIMER_PERIODIC 1
#define APIC_TIMER_TSC_DEADLINE 2
#define APIC_SVR_ENABLE (1u << 8)
#define APIC_ICR_LOGICAL (1u << 11)
#define APIC_ICR_ASSERT (1u << 14)
#define APIC_ICR_LEVEL (1u << 15)
/* ESR bits */
#define APIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define APIC_ESR_ILLEGAL_REGISTER (1u << 7)

/* An interrupt message on the APIC bus: from an IPI, the IOAPIC or an MSI. */
struct apic_msg {
	uint32_t dest;     /* APIC ID or logical destination */
	uint8_t vector;
	uint8_t delivery;  /* enum apic_delivery */
	bool logical;      /* destination mode */
	bool level;        /* trigger mode: level (else edge) */
	bool assert;       /* level: asserted (INIT de-assert has it false) */
	uint8_t shorthand; /* enum apic_shorthand; IPIs only */
	bool wide;         /* 32-bit x2APIC destination (else 8-bit, 0xff = all) */
};

/* What lapic_get_interrupt() returns when the interrupt to take comes from
 * the 8259 PIC (LINT0 in ExtINT mode, or the APIC globally disabled): the
 * caller acknowledges the PIC (i8259_ack) for the vector. */
#define LAPIC_EXTINT (-2)

struct lapic;

/* Wiring, filled by the owner (apic_bus) before use. Called from inside
 * lapic_* calls, with whatever lock the caller holds. */
struct lapic_hooks {
	/* An IPI the guest sent through ICR or SELF_IPI; src is the sender. */
	void (*send_ipi)(void *opaque, struct lapic *src, const struct apic_msg *m);
	/* EOI of a level-triggered vector (TMR bit set): for the IOAPIC. */
	void (*eoi_level)(void *opaque, struct lapic *l, uint8_t vector);
	void *opaque;
};

struct lapic_config {
	uint64_t bus_hz; /* APIC timer input clock before the divider; 0: 1 GHz */
	uint64_t tsc_hz; /* TSC rate, for the TSC-deadline timer; 0: 1 GHz */
	bool tsc_deadline; /* the CPU advertises the TSC-deadline timer */
};

struct lapic {
	/* identity and wiring */
	unsigned index;   /* vCPU index */
	uint32_t init_id; /* APIC ID at reset */
	struct lapic_config cfg;
	struct lapic_hooks hooks;

	/* architectural state */
	uint64_t apic_base; /* IA32_APIC_BASE */
	uint32_t id;        /* full ID; xAPIC shows bits 7:0 in ID[31:24] */
	uint32_t tpr, ldr, dfr, svr;
	uint32_t esr, esr_pending; /* latched / accumulated since last write */
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[LAPIC_NUM_LVT];
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t timer_init, timer_div;
	uint64_t tsc_deadline; /* IA32_TSC_DEADLINE, 0 = disarmed */

	/* timer bookkeeping */
	uint64_t timer_base_ns;   /* when the counter held timer_base_count */
	uint32_t timer_base_count;
	bool timer_running;       /* one-shot/periodic counting */
	uint64_t timer_next_ns;   /* next expiry, UINT64_MAX = none */

	/* inputs and events for the CPU */
	bool lint_level[2];  /* LINT0 (PIC INTR), LINT1 */
	bool extint_msg;     /* an ExtINT message arrived */
	bool nmi_pending, init_pending, sipi_pending;
	uint8_t sipi_vector;
};

/* Power-on state. id: the APIC ID; bsp: the bootstrap processor (its LINT0
 * comes up in ExtINT mode, unmasked, as firmware leaves it, so the 8259
 * reaches it before the OS programs the APIC). */
void lapic_init(struct lapic *l, unsigned index, uint32_t id, bool bsp,
		const struct lapic_config *cfg, const struct lapic_hooks *hooks);
/* RESET (keeps wiring and config). */
void lapic_reset(struct lapic *l, bool bsp);

/* Register access by index (enum lapic_reg). In x2APIC mode ICR is one
 * 64-bit register. Returns 0, or -1 for an access the architecture
 * rejects (reserved/read-only index, invalid value in x2APIC mode: the
 * MSR path raises #GP; the MMIO path ignores it and logs an ESR error). */
int lapic_read_reg(struct lapic *l, unsigned index, uint64_t *val, uint64_t now_ns);
int lapic_write_reg(struct lapic *l, unsigned index, uint64_t val, uint64_t now_ns);

/* xAPIC MMIO access at offset (0..0xfff) of the APIC page. Only 32-bit
 * aligned accesses reach registers; narrower reads return bytes of the
 * register, other writes are dropped. Ignored in x2APIC mode. */
void lapic_mmio(struct lapic *l, uint64_t offset, void *data, unsigned len, bool is_write,
		uint64_t now_ns);
/* x2APIC MSRs 0x800-0x8ff and IA32_TSC_DEADLINE. Return 0 on success,
 * -1 when the CPU must raise #GP (not in x2APIC mode, bad register...).
 * now_tsc is the guest TSC at now_ns. */
int lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *val, uint64_t now_ns);
int lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t val, uint64_t now_ns, uint64_t now_tsc);

/* IA32_APIC_BASE: -1 for an invalid value or transition (#GP). */
uint64_t lapic_get_base(const struct lapic *l);
int lapic_set_base(struct lapic *l, uint64_t val, uint64_t now_ns);
static inline bool lapic_hw_enabled(const struct lapic *l)
{
	return l->apic_base & LAPIC_BASE_ENABLE;
}
static inline bool lapic_x2apic_mode(const struct lapic *l)
{
	return (l->apic_base & (LAPIC_BASE_ENABLE | LAPIC_BASE_X2APIC)) ==
	       (LAPIC_BASE_ENABLE | LAPIC_BASE_X2APIC);
}
static inline bool lapic_sw_enabled(const struct lapic *l)
{
	return l->svr & APIC_SVR_ENABLE;
}

/* IA32_TSC_DEADLINE: the value and the guest TSC at now_ns. */
void lapic_set_tsc_deadline(struct lapic *l, uint64_t deadline, uint64_t now_ns,
			    uint64_t now_tsc);
uint64_t lapic_get_tsc_deadline(const struct lapic *l);

/* CR8 (TPR[7:4]). */
void lapic_set_cr8(struct lapic *l, unsigned cr8);
unsigned lapic_get_cr8(const struct lapic *l);
/* Processor priority (PPR) per the SDM. */
uint32_t lapic_ppr(const struct lapic *l);

/* Whether this APIC is a target of destination dest. */
bool lapic_match_dest(const struct lapic *l, uint32_t dest, bool logical, bool wide);
/* Receives a message already routed here (apic_bus matched it). */
void lapic_accept(struct lapic *l, const struct apic_msg *m);
/* LINT0/LINT1 pin level (pin 0 carries the 8259's INTR). */
void lapic_set_lint(struct lapic *l, unsigned pin, bool level);

/* Whether an external interrupt is ready for the CPU (no acknowledge). */
bool lapic_has_interrupt(const struct lapic *l);
/* INTA: the highest deliverable vector moves IRR -> ISR and is returned;
 * LAPIC_EXTINT when the 8259 must be acknowledged; -1 if nothing. */
int lapic_get_interrupt(struct lapic *l);

/* Timer: runs expiries up to now_ns (raising the LVT timer interrupt at
 * most once per call). lapic_next_deadline_ns() is UINT64_MAX if idle. */
void lapic_update(struct lapic *l, uint64_t now_ns);
uint64_t lapic_next_deadline_ns(const struct lapic *l);

/* Events for the CPU; each returns true once per event and clears it. */
bool lapic_take_nmi(struct lapic *l);
bool lapic_take_init(struct lapic *l);
bool lapic_take_sipi(struct lapic *l, uint8_t *vector);

#endif
