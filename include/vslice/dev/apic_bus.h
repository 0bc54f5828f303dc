/* The APIC bus of one VM: its local APICs (one per vCPU) and the routing
 * of interrupt messages (IPIs, IOAPIC redirections, MSIs) to them.
 *
 * Locking rule. One mutex (apic_bus.lock) guards every LAPIC on the bus:
 * every apic_bus_* function takes it, so any thread may call any of them.
 * The callbacks in struct apic_bus_ops are always called AFTER the mutex
 * is released, so they may call back into apic_bus, the IOAPIC or the PIC.
 * Lock order: the platform lock serializing the IOAPIC/PIC/PIT (the VM's
 * device lock) comes before apic_bus.lock; the IOAPIC and the PIC may call
 * apic_bus_deliver()/apic_bus_set_extint() with it held. Callers must not
 * hold the platform lock when calling the vCPU-side functions that can run
 * the eoi or extint_ack callbacks (apic_bus_mmio, apic_bus_wrmsr,
 * apic_bus_get_interrupt) if those callbacks take it.
 * apic_bus_next_deadline_ns() reads an atomic copy without the lock, for
 * the vCPU loop's fast path.
 */
#ifndef VSLICE_DEV_APIC_BUS_H
#define VSLICE_DEV_APIC_BUS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vslice/dev/lapic.h"
#include "vslice/errbuf.h"

#define APIC_BUS_MAX_CPUS 64
#define APIC_MSI_ADDR_BASE 0xFEE00000u

struct apic_bus_ops {
	/* vCPU cpu has something new (an interrupt became deliverable, or
	 * an NMI/INIT/SIPI): wake it if it sleeps in HLT. */
	void (*kick)(void *opaque, unsigned cpu);
	/* EOI of a level-triggered vector: forward to ioapic_eoi(). */
	void (*eoi)(void *opaque, uint8_t vector);
	/* Acknowledge the 8259 (i8259_ack) and return its vector. */
	int (*extint_ack)(void *opaque);
	void *opaque;
};

struct apic_bus {
	pthread_mutex_t lock;
	unsigned ncpus;
	struct apic_bus_ops ops;
	struct lapic cpu[APIC_BUS_MAX_CPUS];
	_Atomic uint64_t deadline[APIC_BUS_MAX_CPUS]; /* copies of the timer deadlines */
	/* set under the lock, acted on after it is released */
	uint64_t kick_mask;
	int eoi_vector[APIC_BUS_MAX_CPUS]; /* -1 none */
	bool extint_level; /* the 8259's INTR output */
};

/* vCPU i gets APIC ID i; vCPU 0 is the BSP. cfg may be NULL (1 GHz timer
 * clock and TSC, no TSC-deadline). -1 if ncpus is 0 or too large. */
int apic_bus_init(struct apic_bus *b, unsigned ncpus, const struct lapic_config *cfg,
		  const struct apic_bus_ops *ops, struct errbuf *eb);
void apic_bus_destroy(struct apic_bus *b);
/* Every LAPIC back to power-on state (VM reset). */
void apic_bus_reset(struct apic_bus *b);

/* ---- device side (any thread) ---- */
/* Routes a message (IOAPIC or MSI) to the matching LAPIC(s). Lowest
 * priority goes to the first matching APIC. */
void apic_bus_deliver(struct apic_bus *b, const struct apic_msg *m);
/* An MSI write: address 0xFEExxxxx, data. -1 if the address is not an MSI
 * address (nothing delivered). */
int apic_bus_msi(struct apic_bus *b, uint64_t addr, uint32_t data);
/* The 8259's INTR output (to every LAPIC's LINT0). */
void apic_bus_set_extint(struct apic_bus *b, bool level);
/* LINT1 of every LAPIC (NMI on a PC). */
void apic_bus_set_lint1(struct apic_bus *b, bool level);

/* ---- vCPU side (normally the vCPU's own thread) ---- */
/* xAPIC MMIO by the vCPU cpu at offset into its APIC page. */
void apic_bus_mmio(struct apic_bus *b, unsigned cpu, uint64_t offset, void *data, unsigned len,
		   bool is_write, uint64_t now_ns);
/* MSRs: IA32_APIC_BASE, IA32_TSC_DEADLINE, x2APIC 0x800-0x8ff. Return 1
 * if handled, 0 if the MSR is not an APIC MSR, -1 for #GP. now_tsc: the
 * vCPU's TSC at now_ns. */
int apic_bus_rdmsr(struct apic_bus *b, unsigned cpu, uint32_t msr, uint64_t *val, uint64_t now_ns);
int apic_bus_wrmsr(struct apic_bus *b, unsigned cpu, uint32_t msr, uint64_t val, uint64_t now_ns,
		   uint64_t now_tsc);
/* Whether an interrupt waits for vCPU cpu (no acknowledge). */
bool apic_bus_has_interrupt(struct apic_bus *b, unsigned cpu);
/* INTA for vCPU cpu (RFLAGS.IF=1, no shadow): the vector to deliver, or -1.
 * 8259 interrupts come back through ops.extint_ack. */
int apic_bus_get_interrupt(struct apic_bus *b, unsigned cpu);
/* CR8 reads and writes. */
void apic_bus_set_cr8(struct apic_bus *b, unsigned cpu, unsigned cr8);
unsigned apic_bus_get_cr8(struct apic_bus *b, unsigned cpu);
/* Timer: when the vCPU must call apic_bus_update() (UINT64_MAX: never).
 * Lock-free. */
uint64_t apic_bus_next_deadline_ns(struct apic_bus *b, unsigned cpu);
void apic_bus_update(struct apic_bus *b, unsigned cpu, uint64_t now_ns);
/* Events for the CPU; true once per event. */
bool apic_bus_take_nmi(struct apic_bus *b, unsigned cpu);
bool apic_bus_take_init(struct apic_bus *b, unsigned cpu);
bool apic_bus_take_sipi(struct apic_bus *b, unsigned cpu, uint8_t *vector);

#endif
