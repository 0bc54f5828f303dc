/* I/O APIC model: indirect register access, a 24-entry redirection table,
 * edge and level-triggered delivery with remote IRR, and EOI handling (a
 * level interrupt still asserted at EOI is sent again). Facts from the
 * Intel 82093AA I/O APIC datasheet. */
#include <string.h>

#include "vslice/dev/ioapic.h"

#define RTE_LOW_WRITABLE 0x1AFFFULL /* vector, mode, dest mode, polarity, trigger, mask */
#define RTE_HIGH_WRITABLE 0xFF000000ULL
#define ID_WRITABLE 0x0F000000u

void ioapic_reset(struct ioapic *io)
{
	io->id = ((uint32_t)io->reset_id << 24) & ID_WRITABLE;
	io->regsel = 0;
	for (unsigned i = 0; i < IOAPIC_NUM_PINS; i++)
		io->rte[i] = IOAPIC_RTE_MASKED;
	io->irr = 0;
	/* pin levels are wires from the devices: they survive a reset */
}

void ioapic_init(struct ioapic *io, struct apic_bus *bus, uint8_t id)
{
	memset(io, 0, sizeof(*io));
	io->bus = bus;
	io->reset_id = id;
	ioapic_reset(io);
}

/* Sends pin's message if it is pending, unmasked and not blocked by a
 * level interrupt in service. */
static void service(struct ioapic *io, unsigned pin)
{
	uint64_t e = io->rte[pin];
	uint32_t bit = 1u << pin;
	if (!(io->irr & bit) || (e & IOAPIC_RTE_MASKED))
		return;
	bool level = e & IOAPIC_RTE_LEVEL;
	if (level) {
		if (e & IOAPIC_RTE_REMOTE_IRR)
			return;
		io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	} else {
		io->irr &= ~bit;
	}
	struct apic_msg m = {
		.dest = (uint32_t)(e >> IOAPIC_RTE_DEST_SHIFT),
		.vector = e & 0xFF,
		.delivery = (e >> 8) & 7,
		.logical = e & IOAPIC_RTE_DEST_LOGICAL,
		.level = level,
		.assert = true,
	};
	io->delivered++;
	if (io->bus)
		apic_bus_deliver(io->bus, &m);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, int level)
{
	if (pin >= IOAPIC_NUM_PINS)
		return;
	uint32_t bit = 1u << pin;
	bool was = io->level & bit;
	if (level)
		io->level |= bit;
	else
		io->level &= ~bit;
	if (io->rte[pin] & IOAPIC_RTE_LEVEL) {
		if (level)
			io->irr |= bit;
		else
			io->irr &= ~bit;
	} else if (level && !was) {
		io->irr |= bit; /* rising edge */
	}
	service(io, pin);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		uint64_t e = io->rte[pin];
		if ((e & 0xFF) != vector || !(e & IOAPIC_RTE_LEVEL) ||
		    !(e & IOAPIC_RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		service(io, pin); /* still asserted: deliver again */
	}
}

uint32_t ioapic_read_reg(struct ioapic *io, uint32_t index)
{
	switch (index) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return io->id;
	case IOAPIC_REG_VERSION:
		return ((IOAPIC_NUM_PINS - 1) << 16) | IOAPIC_VERSION;
	default:
		break;
	}
	if (index < IOAPIC_REG_REDTBL || index >= IOAPIC_REG_REDTBL + 2 * IOAPIC_NUM_PINS)
		return 0;
	unsigned pin = (index - IOAPIC_REG_REDTBL) / 2;
	uint64_t e = io->rte[pin];
	return (index & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
}

void ioapic_write_reg(struct ioapic *io, uint32_t index, uint32_t val)
{
	if (index == IOAPIC_REG_ID) {
		io->id = val & ID_WRITABLE;
		return;
	}
	if (index < IOAPIC_REG_REDTBL || index >= IOAPIC_REG_REDTBL + 2 * IOAPIC_NUM_PINS)
		return; /* version, arbitration and unused registers are read-only */
	unsigned pin = (index - IOAPIC_REG_REDTBL) / 2;
	uint64_t *e = &io->rte[pin];
	if (index & 1) {
		*e = (*e & 0xFFFFFFFFULL) | (((uint64_t)val << 32) & (RTE_HIGH_WRITABLE << 32));
		return;
	}
	uint64_t keep = *e & (~0xFFFFFFFFULL | IOAPIC_RTE_REMOTE_IRR);
	*e = keep | (val & RTE_LOW_WRITABLE);
	uint32_t bit = 1u << pin;
	if (!(*e & IOAPIC_RTE_LEVEL)) {
		/* Edge has no remote IRR: switching to edge clears a stuck
		 * one (guests do this to recover a lost EOI). */
		*e &= ~IOAPIC_RTE_REMOTE_IRR;
	} else if (io->level & bit) {
		io->irr |= bit;
	} else {
		io->irr &= ~bit;
	}
	service(io, pin); /* an unmasked pending request goes out now */
}

void ioapic_mmio(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct ioapic *io = opaque;
	uint32_t v = 0;
	if (is_write) {
		unsigned n = len < 4 ? len : 4;
		memcpy(&v, data, n);
		switch (offset) {
		case IOAPIC_IOREGSEL:
			io->regsel = v & 0xFF;
			break;
		case IOAPIC_IOWIN:
			if (len == 4)
				ioapic_write_reg(io, io->regsel, v);
			break;
		case IOAPIC_EOI:
			ioapic_eoi(io, (uint8_t)v);
			break;
		default:
			break;
		}
		return;
	}
	memset(data, 0, len);
	if (offset == IOAPIC_IOREGSEL)
		v = io->regsel;
	else if (offset == IOAPIC_IOWIN)
		v = ioapic_read_reg(io, io->regsel);
	else
		return;
	memcpy(data, &v, len < 4 ? len : 4);
}
