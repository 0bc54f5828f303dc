/* libFuzzer harness for the interrupt controllers and timers: 4 local
 * APICs on an APIC bus, the I/O APIC, the 8259 pair and the 8254, wired
 * as on a PC (PIT -> IRQ 0 / pin 2, 8259 INTR -> LINT0, level EOIs -> the
 * I/O APIC). The input is a list of 8-byte operations (guest register
 * accesses, line changes, clock steps, interrupt acknowledges); after each
 * one the models' invariants are checked: vectors in range, no vector
 * below 16 in IRR/ISR, TMR only for vectors in IRR or ISR, remote IRR
 * only on level entries, reserved bits clear, deadlines consistent.
 *
 *   [0] operation (mod 12)  [1] target/selector  [2..3] offset/index
 *   [4..7] value
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vslice/dev/apic_bus.h"
#include "vslice/dev/i8254.h"
#include "vslice/dev/i8259.h"
#include "vslice/dev/ioapic.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define NCPUS 4

struct world {
	struct apic_bus bus;
	struct ioapic io;
	struct i8259 pic;
	struct i8254 pit;
	uint64_t now;
	bool intr;
};

static void w_kick(void *opaque, unsigned cpu)
{
	CHECK(cpu < NCPUS);
}

static void w_eoi(void *opaque, uint8_t vector)
{
	struct world *w = opaque;
	ioapic_eoi(&w->io, vector);
}

static int w_extint_ack(void *opaque)
{
	struct world *w = opaque;
	int v = i8259_ack(&w->pic);
	CHECK(v >= 0 && v <= 255);
	return v;
}

static void w_intr(void *opaque, bool level)
{
	struct world *w = opaque;
	CHECK(level != w->intr); /* called on changes only */
	w->intr = level;
	apic_bus_set_extint(&w->bus, level);
}

static void w_gsi(void *opaque, unsigned gsi, int level)
{
	struct world *w = opaque;
	CHECK(gsi == 0 && (level == 0 || level == 1));
	i8259_set_irq(&w->pic, 0, level);
	ioapic_set_irq(&w->io, 2, level);
}

static void check_lapic(struct world *w, unsigned i)
{
	const struct lapic *l = &w->bus.cpu[i];
	CHECK((l->irr[0] & 0xFFFF) == 0);
	CHECK((l->isr[0] & 0xFFFF) == 0);
	for (unsigned k = 0; k < 8; k++)
		CHECK((l->tmr[k] & ~(l->irr[k] | l->isr[k])) == 0);
	CHECK(lapic_ppr(l) <= 0xFF);
	CHECK(l->tpr <= 0xFF);
	CHECK(apic_bus_next_deadline_ns(&w->bus, i) == lapic_next_deadline_ns(l));
	for (unsigned k = 0; k < LAPIC_NUM_LVT; k++)
		CHECK((l->lvt[k] & ~0x7E7FFu) == 0);
	/* software-disabled: LVTs stay masked (but LINT0, which reset leaves
	 * in virtual-wire mode on the BSP) */
	if (!lapic_sw_enabled(l))
		for (unsigned k = 0; k < LAPIC_NUM_LVT; k++)
			CHECK(k == LAPIC_LVT_LINT0 || (l->lvt[k] & APIC_LVT_MASKED));
}

static void check_world(struct world *w)
{
	for (unsigned i = 0; i < NCPUS; i++)
		check_lapic(w, i);
	for (unsigned p = 0; p < IOAPIC_NUM_PINS; p++) {
		uint64_t e = w->io.rte[p];
		CHECK((e & 0x00FFFFFFFFFE0000ULL) == 0);
		CHECK(!(e & IOAPIC_RTE_DELIVS));
		if (e & IOAPIC_RTE_REMOTE_IRR)
			CHECK(e & IOAPIC_RTE_LEVEL);
	}
	CHECK(i8259_has_interrupt(&w->pic) == w->intr);
	for (unsigned c = 0; c < 3; c++)
		CHECK(i8254_count(&w->pit, c, w->now) <= 65536);
	uint64_t next = i8254_next_event_ns(&w->pit);
	CHECK(next == UINT64_MAX || next + 1000000000ULL > w->now || w->pit.ch[0].suspended);
}

static void take_interrupt(struct world *w, unsigned cpu, bool eoi)
{
	int v = apic_bus_get_interrupt(&w->bus, cpu);
	CHECK(v >= -1 && v <= 255);
	if (v >= 0 && eoi) {
		uint32_t z = 0;
		apic_bus_mmio(&w->bus, cpu, 0xB0, &z, 4, true, w->now);
		uint8_t b = 0x20;
		i8259_write(&w->pic, 1, 0, b);
		i8259_write(&w->pic, 0, 0, b);
	}
}

static void run_op(struct world *w, const uint8_t *op)
{
	unsigned sel = op[1];
	unsigned idx = op[2] | (unsigned)op[3] << 8;
	uint32_t val;
	memcpy(&val, op + 4, 4);
	unsigned cpu = sel % (NCPUS + 1); /* NCPUS: an invalid index */
	bool write = sel & 0x80;
	switch (op[0] % 12) {
	case 0: { /* LAPIC MMIO, any offset and width */
		uint8_t data[8];
		memcpy(data, op + 4, 4);
		memset(data + 4, 0, 4);
		unsigned len = 1u << ((sel >> 4) & 3);
		apic_bus_mmio(&w->bus, cpu, idx & 0x1FFF, data, len, write, w->now);
		break;
	}
	case 1: { /* APIC MSRs */
		static const uint32_t base[4] = { 0x800, 0x800, MSR_IA32_APIC_BASE,
						  MSR_IA32_TSC_DEADLINE };
		uint32_t msr = base[(sel >> 4) & 3] + ((sel >> 4 & 3) < 2 ? (idx & 0xFF) : 0);
		uint64_t v = (sel & 0x40) ? (uint64_t)val << 32 | val : val;
		if (write)
			apic_bus_wrmsr(&w->bus, cpu, msr, v, w->now, w->now * 2);
		else
			apic_bus_rdmsr(&w->bus, cpu, msr, &v, w->now);
		break;
	}
	case 2: { /* I/O APIC MMIO */
		static const uint64_t offs[4] = { IOAPIC_IOREGSEL, IOAPIC_IOWIN, IOAPIC_EOI, 0 };
		uint64_t off = (sel & 0x40) ? idx & 0xFFF : offs[sel & 3];
		uint8_t data[8] = { 0 };
		memcpy(data, op + 4, 4);
		ioapic_mmio(&w->io, off, data, 4, write);
		break;
	}
	case 3:
		ioapic_set_irq(&w->io, sel % 30, val & 1);
		break;
	case 4: /* 8259 ports */
		if (write)
			i8259_write(&w->pic, sel & 1, (sel >> 1) & 1, op[4]);
		else
			i8259_read(&w->pic, sel & 1, (sel >> 1) & 1);
		break;
	case 5:
		i8259_set_irq(&w->pic, sel % 20, val & 1);
		break;
	case 6: { /* 8254 ports and port B */
		static const uint16_t ports[5] = { 0x40, 0x41, 0x42, 0x43, 0x61 };
		uint16_t port = ports[sel % 5];
		if (write)
			i8254_write(&w->pit, port, op[4], w->now);
		else
			i8254_read(&w->pit, port, w->now);
		break;
	}
	case 7: /* time passes; the timers run */
		w->now += val;
		for (unsigned i = 0; i < NCPUS; i++)
			if (apic_bus_next_deadline_ns(&w->bus, i) <= w->now)
				apic_bus_update(&w->bus, i, w->now);
		if (i8254_next_event_ns(&w->pit) <= w->now)
			i8254_update(&w->pit, w->now);
		break;
	case 8:
		take_interrupt(w, cpu, sel & 0x40);
		break;
	case 9:
		apic_bus_msi(&w->bus, 0xFEE00000ULL | (idx << 4), val);
		break;
	case 10: { /* the CPU takes its events */
		uint8_t vec;
		apic_bus_take_init(&w->bus, cpu);
		apic_bus_take_sipi(&w->bus, cpu, &vec);
		apic_bus_take_nmi(&w->bus, cpu);
		apic_bus_set_cr8(&w->bus, cpu, val & 0xF);
		CHECK(cpu >= NCPUS || apic_bus_get_cr8(&w->bus, cpu) == (val & 0xF));
		break;
	}
	default: { /* ELCR */
		uint8_t b = op[4];
		i8259_elcr_io(&w->pic, sel & 3, &b, 1, write);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world *w = calloc(1, sizeof(*w));
	if (!w)
		abort();
	struct apic_bus_ops ops = { w_kick, w_eoi, w_extint_ack, w };
	struct lapic_config cfg = { .bus_hz = 1000000000, .tsc_hz = 2000000000,
				    .tsc_deadline = true };
	if (apic_bus_init(&w->bus, NCPUS, &cfg, &ops, NULL) < 0)
		abort();
	ioapic_init(&w->io, &w->bus, NCPUS);
	i8259_init(&w->pic, w_intr, w);
	i8254_init(&w->pit, (struct irq_line){ w_gsi, w, 0 }, NULL, NULL);
	for (size_t off = 0; off + 8 <= size && off < 8 * 4096; off += 8) {
		run_op(w, data + off);
		check_world(w);
	}
	apic_bus_destroy(&w->bus);
	free(w);
	return 0;
}
