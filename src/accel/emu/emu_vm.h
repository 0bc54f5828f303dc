/* The software CPU's VM and vCPU objects (emu_accel.c), and how the
 * user-space interrupt controllers (the core's LAPIC/IOAPIC/PIC/PIT models,
 * struct accel_irqchip) reach the vCPUs. Without a controller (unit tests),
 * interrupt lines are only recorded and nothing is ever injected: a vCPU
 * that halts then stops for good (VCPU_EXIT_HLT). */
#ifndef VSLICE_EMU_VM_H
#define VSLICE_EMU_VM_H

#include <pthread.h>
#include <stdatomic.h>

#include "emu_cpu.h"
#include "vslice/dev/kvmclock.h"

#define EMU_MAX_CPUS 64
#define EMU_MAX_GSI 256

/* The interrupt controller is the core's (struct accel_irqchip in
 * vslice/accel.h), given in accel_vm_config.irqchip. Event bits of its
 * take_events(): */
#define EMU_EV_NMI ACCEL_EV_NMI
#define EMU_EV_INIT ACCEL_EV_INIT
#define EMU_EV_SIPI ACCEL_EV_SIPI

struct emu_vcpu;

struct emu_vm {
	struct accel_vm_config cfg;
	pthread_mutex_t lock; /* guards the sleeping/wake-up state below */
	pthread_cond_t cond;  /* broadcast on any wake-up event */
	struct emu_vcpu *vcpu[EMU_MAX_CPUS];
	_Atomic uint8_t gsi_level[EMU_MAX_GSI];
	const struct accel_irqchip *intc; /* NULL: no interrupt controller */
	void *intc_opaque;
	uint64_t tsc_base_ns; /* host time at which guest TSC 0 was */
	struct kvmclock kvmclock; /* the paravirtual clock (emu_msr.c) */
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
void emu_vm_attach_intc(struct emu_vm *vm, const struct accel_irqchip *ops, void *opaque);
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
