/* I/O APIC (82093AA-style, 24 pins) at 0xFEC00000: IOREGSEL/IOWIN, the
 * redirection table, edge and level semantics, and the EOI register at
 * 0x40. Delivers through the APIC bus.
 *
 * Not locked: the caller serializes every call (the VM's device lock);
 * it calls apic_bus_deliver(), which takes the APIC bus lock after it.
 * Pin levels are logical (1 = asserted): the polarity bit is stored for
 * the guest but not applied.
 */
#ifndef VSLICE_DEV_IOAPIC_H
#define VSLICE_DEV_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vslice/dev/apic_bus.h"

#define IOAPIC_DEFAULT_BASE 0xFEC00000ULL
#define IOAPIC_MMIO_SIZE 0x1000
#define IOAPIC_NUM_PINS 24
#define IOAPIC_VERSION 0x11

/* MMIO offsets */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_EOI 0x40

/* Register indices */
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_ARB 0x02
#define IOAPIC_REG_REDTBL 0x10 /* pin n: 0x10 + 2n (low), 0x11 + 2n (high) */

/* Redirection entry bits */
#define IOAPIC_RTE_DEST_LOGICAL (1ULL << 11)
#define IOAPIC_RTE_DELIVS (1ULL << 12)
#define IOAPIC_RTE_POLARITY_LOW (1ULL << 13)
#define IOAPIC_RTE_REMOTE_IRR (1ULL << 14)
#define IOAPIC_RTE_LEVEL (1ULL << 15)
#define IOAPIC_RTE_MASKED (1ULL << 16)
#define IOAPIC_RTE_DEST_SHIFT 56

struct ioapic {
	struct apic_bus *bus; /* NULL: messages are dropped (tests) */
	uint8_t reset_id;     /* APIC ID at reset (the MADT's) */
	uint32_t id;          /* ID register value (bits 27:24) */
	uint32_t regsel;
	uint64_t rte[IOAPIC_NUM_PINS];
	uint32_t irr;   /* pending requests: edge seen / level asserted */
	uint32_t level; /* current pin levels */
	uint64_t delivered; /* messages sent, for statistics/tests */
};

/* id: the I/O APIC's APIC ID, as the MADT announces it (0-15). */
void ioapic_init(struct ioapic *io, struct apic_bus *bus, uint8_t id);
/* Back to power-on state (all entries masked), keeping the wiring. */
void ioapic_reset(struct ioapic *io);
/* Bus handler for the MMIO window; offset 0..IOAPIC_MMIO_SIZE-1. */
void ioapic_mmio(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write);
/* Sets an input pin's level (out-of-range pins are ignored). */
void ioapic_set_irq(struct ioapic *io, unsigned pin, int level);
/* An EOI for vector (broadcast from a LAPIC, or the EOI register). */
void ioapic_eoi(struct ioapic *io, uint8_t vector);
/* Register access by index (IOREGSEL value). */
uint32_t ioapic_read_reg(struct ioapic *io, uint32_t index);
void ioapic_write_reg(struct ioapic *io, uint32_t index, uint32_t val);

#endif
