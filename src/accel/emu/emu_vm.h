/* The software CPU's VM and vCPU objects (emu_accel.c), and the interface
 * the user-space interrupt controllers (local APIC, IOAPIC, PIC: a later
 * issue) will use to reach the vCPUs. Until a controller is attached,
 * interrupt lines are only recorded and nothing is ever injected: a vCPU
 * that halts then stops for good (VCPU_EXIT_HLT). */
#ifndef VSLICE_EMU_VM_H
#define VSLICE_EMU_VM_H

#include <pthread.h>
#include <stdatomic.h>

#include "emu_cpu.h"

#define EMU_MAX_CPUS 64
#define EMU_MAX_GSI 256

/* Filled in by the interrupt controller model when it attaches. All
 * callbacks may run on any vCPU thread, concurrently. */
struct emu_intc_ops {
	/* Acknowledges and returns the highest-priority external interrupt
	 * vector deliverable to vCPU cpu now, or -1. Called only when the
	 * vCPU can take it (RFLAGS.IF = 1, no interrupt shadow). */
	int (*ack)(void *opaque, unsigned cpu);
	/* Whether vCPU cpu has an interrupt pending (no acknowledge). */
	bool (*pending)(void *opaque, unsigned cpu);
	/* An interrupt line (GSI) changed level. */
	void (*set_gsi)(void *opaque, unsigned gsi, int level);
	/* A message-signalled interrupt; 0 or -1. May be NULL. */
	int (*msi)(void *opaque, uint64_t addr, uint32_t data);
	/* MSRs of the local APIC (x2APIC range, TSC deadline): true if
	 * handled. May be NULL. */
	bool (*rdmsr)(void *opaque, unsigned cpu, uint32_t msr, uint64_t *val);
	bool (*wrmsr)(void *opaque, unsigned cpu, uint32_t msr, uint64_t val);
	/* CR8 written (task priority, 0-15). May be NULL. */
	void (*set_tpr)(void *opaque, unsigned cpu, unsigned tpr);
	/* Timers: the CLOCK_MONOTONIC time (ns) at which update() must run
	 * for vCPU cpu (UINT64_MAX: never). The run loop calls update() when
	 * it is due, between batches and when a HLT sleep times out. May be
	 * NULL. */
	uint64_t (*next_deadline_ns)(void *opaque, unsigned cpu);
	void (*update)(void *opaque, unsigned cpu, uint64_t now_ns);
	/* Polled by the vCPU after a notify: NMI, INIT and startup IPIs that
	 * the controller holds for cpu (EMU_EV_* bits; *sipi_vector with
	 * EMU_EV_SIPI). May be NULL (then use emu_vm_send_*). */
	unsigned (*take_events)(void *opaque, unsigned cpu, uint8_t *sipi_vector);
	/* Whether the controller implements the TSC-deadline timer (CPUID). */
	bool tsc_deadline;
};

#define EMU_EV_NMI 1u
#define EMU_EV_INIT 2u
#define EMU_EV_SIPI 4u

struct emu_vcpu;

struct emu_vm {
	struct accel_vm_config cfg;
	pthread_mutex_t lock; /* guards the sleeping/wake-up state below */
	pthread_cond_t cond;  /* broadcast on any wake-up event */
	struct emu_vcpu *vcpu[EMU_MAX_CPUS];
	_Atomic uint8_t gsi_level[EMU_MAX_GSI];
	const struct emu_intc_ops *intc; /* NULL: no interrupt controller yet */
	void *intc_opaque;
	uint64_t tsc_base_ns; /* host time at which guest TSC 0 was */
};

struct emu_vcpu {
	struct emu_cpu cpu; /* first: emu_vcpu_of() relies on it */
	struct emu_vm *vm;
	atomic_bool kick;	/* vcpu_kick: return to the core soon */
	atomic_bool irq_hint;	/* the controller says: check for interrupts */
	atomic_bool event_hint; /* ... and for take_events() */
	atomic_bool wait_sipi;	/* an AP before its startup IPI */
	atomic_bool init_pending;
	atomic_int sipi_vector; /* -1 none */
};

static inline struct emu_vcpu *emu_vcpu_of(struct emu_cpu *c)
{
	return (struct emu_vcpu *)c;
}

/* For the interrupt controller models (any thread). */
void emu_vm_attach_intc(struct emu_vm *vm, const struct emu_intc_ops *ops, void *opaque);
/* An interrupt (or an event for take_events) may now be pending for vCPU
 * cpu: wake it from HLT. The controller must call this whenever something
 * becomes deliverable (new IRR bit, EOI or TPR change unmasking one). */
void emu_vm_notify(struct emu_vm *vm, unsigned cpu);
void emu_vm_send_nmi(struct emu_vm *vm, unsigned cpu);
/* INIT: the vCPU resets and waits for a startup IPI. */
void emu_vm_send_init(struct emu_vm *vm, unsigned cpu);
/* Startup IPI: a vCPU waiting for one starts in real mode at vector << 12. */
void emu_vm_send_sipi(struct emu_vm *vm, unsigned cpu, uint8_t vector);

#endif
