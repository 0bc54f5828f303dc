/* The user-space interrupt controllers of a VM whose accelerator has none
 * (the software CPU): local APICs on the APIC bus, IOAPIC, 8259 pair and
 * 8254 PIT, their bus registrations, and struct accel_irqchip, through
 * which the accelerator acknowledges interrupts, reaches its vCPU's APIC
 * and runs the timers.
 *
 * Locks: the VM's device lock serializes the IOAPIC, PIC and PIT (every
 * bus access holds it, and so does every irq_line call, hence set_gsi);
 * the APIC bus has its own lock, taken after the device lock. The
 * vCPU-side callbacks (ack, LAPIC MMIO, MSRs) are called without the
 * device lock; the APIC bus's eoi/extint_ack callbacks take it. The PIT is
 * driven by vCPU 0: its timer deadline is the earlier of its LAPIC's and
 * the PIT's next IRQ 0 edge. */
#include <time.h>

#include "vslice/acpi.h"
#include "vslice/log.h"
#include "vslice/vm.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The vCPU that owns the PIT. */
#define PIT_OWNER 0

static void notify(struct vm *vm, unsigned cpu)
{
	if (vm->avm && vm->accel->irqchip_notify)
		vm->accel->irqchip_notify(vm->avm, cpu);
}

/* ---- APIC bus callbacks (run after the APIC bus lock is released) ---- */

static void bus_kick(void *opaque, unsigned cpu)
{
	notify(opaque, cpu);
}

static void bus_eoi(void *opaque, uint8_t vector)
{
	struct vm *vm = opaque;
	pthread_mutex_lock(&vm->dev_lock);
	ioapic_eoi(&vm->irqchip.ioapic, vector);
	pthread_mutex_unlock(&vm->dev_lock);
}

static int bus_extint_ack(void *opaque)
{
	struct vm *vm = opaque;
	pthread_mutex_lock(&vm->dev_lock);
	int vec = i8259_ack(&vm->irqchip.pic);
	pthread_mutex_unlock(&vm->dev_lock);
	return vec;
}

/* The 8259's INTR output (device lock held). */
static void pic_intr(void *opaque, bool level)
{
	struct vm *vm = opaque;
	apic_bus_set_extint(&vm->irqchip.bus, level);
}

/* ---- the PIT (device lock held) ---- */

/* After anything that may move the PIT's next IRQ 0 edge: publish it, and
 * wake the owner if it now comes earlier than it may be sleeping for. */
static void pit_changed(struct vm *vm)
{
	struct vm_irqchip *ic = &vm->irqchip;
	uint64_t next = i8254_next_event_ns(&ic->pit);
	uint64_t old = atomic_exchange(&ic->pit_deadline, next);
	if (next < old)
		notify(vm, PIT_OWNER);
}

static void pit_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct vm *vm = opaque;
	i8254_io(&vm->irqchip.pit, offset, data, len, is_write);
	if (is_write)
		pit_changed(vm);
}

static void pit_port_b_io(void *opaque, uint64_t offset, void *data, unsigned len,
			  bool is_write)
{
	struct vm *vm = opaque;
	i8254_port_b_io(&vm->irqchip.pit, offset, data, len, is_write);
	if (is_write)
		pit_changed(vm);
}

/* ---- struct accel_irqchip ---- */

static int chip_ack(void *opaque, unsigned cpu)
{
	struct vm *vm = opaque;
	return apic_bus_get_interrupt(&vm->irqchip.bus, cpu);
}

static bool chip_pending(void *opaque, unsigned cpu)
{
	struct vm *vm = opaque;
	return apic_bus_has_interrupt(&vm->irqchip.bus, cpu);
}

/* ISA IRQs go to the 8259 and to the IOAPIC; IRQ 0 is IOAPIC pin 2 (the
 * MADT's interrupt source override), IRQ 2 is the cascade. */
static void chip_set_gsi(void *opaque, unsigned gsi, int level)
{
	struct vm *vm = opaque;
	struct vm_irqchip *ic = &vm->irqchip;
	if (gsi < 16) {
		if (gsi == 2)
			return;
		i8259_set_irq(&ic->pic, gsi, level);
		ioapic_set_irq(&ic->ioapic, gsi == 0 ? 2 : gsi, level);
	} else {
		ioapic_set_irq(&ic->ioapic, gsi, level);
	}
}

static int chip_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct vm *vm = opaque;
	return apic_bus_msi(&vm->irqchip.bus, addr, data);
}

static int chip_rdmsr(void *opaque, unsigned cpu, uint32_t msr, uint64_t *val)
{
	struct vm *vm = opaque;
	return apic_bus_rdmsr(&vm->irqchip.bus, cpu, msr, val, mono_ns());
}

static int chip_wrmsr(void *opaque, unsigned cpu, uint32_t msr, uint64_t val, uint64_t tsc)
{
	struct vm *vm = opaque;
	return apic_bus_wrmsr(&vm->irqchip.bus, cpu, msr, val, mono_ns(), tsc);
}

static void chip_set_tpr(void *opaque, unsigned cpu, unsigned tpr)
{
	struct vm *vm = opaque;
	apic_bus_set_cr8(&vm->irqchip.bus, cpu, tpr);
}

static unsigned chip_get_tpr(void *opaque, unsigned cpu)
{
	struct vm *vm = opaque;
	return apic_bus_get_cr8(&vm->irqchip.bus, cpu);
}

static void chip_lapic_mmio(void *opaque, unsigned cpu, uint64_t offset, void *data, unsigned len,
			    bool is_write)
{
	struct vm *vm = opaque;
	apic_bus_mmio(&vm->irqchip.bus, cpu, offset, data, len, is_write, mono_ns());
}

static uint64_t chip_next_deadline(void *opaque, unsigned cpu)
{
	struct vm *vm = opaque;
	uint64_t t = apic_bus_next_deadline_ns(&vm->irqchip.bus, cpu);
	if (cpu == PIT_OWNER) {
		uint64_t pit = atomic_load_explicit(&vm->irqchip.pit_deadline, memory_order_relaxed);
		if (pit < t)
			t = pit;
	}
	return t;
}

static void chip_update(void *opaque, unsigned cpu, uint64_t now_ns)
{
	struct vm *vm = opaque;
	struct vm_irqchip *ic = &vm->irqchip;
	if (apic_bus_next_deadline_ns(&ic->bus, cpu) <= now_ns)
		apic_bus_update(&ic->bus, cpu, now_ns);
	if (cpu == PIT_OWNER && atomic_load(&ic->pit_deadline) <= now_ns) {
		pthread_mutex_lock(&vm->dev_lock);
		i8254_update(&ic->pit, now_ns);
		atomic_store(&ic->pit_deadline, i8254_next_event_ns(&ic->pit));
		pthread_mutex_unlock(&vm->dev_lock);
	}
}

static unsigned chip_take_events(void *opaque, unsigned cpu, uint8_t *sipi_vector)
{
	struct vm *vm = opaque;
	struct apic_bus *b = &vm->irqchip.bus;
	unsigned ev = 0;
	if (apic_bus_take_nmi(b, cpu))
		ev |= ACCEL_EV_NMI;
	if (apic_bus_take_init(b, cpu))
		ev |= ACCEL_EV_INIT;
	if (apic_bus_take_sipi(b, cpu, sipi_vector))
		ev |= ACCEL_EV_SIPI;
	return ev;
}

int vm_irqchip_init(struct vm *vm, struct errbuf *eb)
{
	struct vm_irqchip *ic = &vm->irqchip;
	/* The software CPU's TSC and APIC timer clock are host nanoseconds. */
	const struct lapic_config lcfg = {
		.bus_hz = 1000000000ULL,
		.tsc_hz = 1000000000ULL,
		.tsc_deadline = true,
	};
	const struct apic_bus_ops bops = {
		.kick = bus_kick,
		.eoi = bus_eoi,
		.extint_ack = bus_extint_ack,
		.opaque = vm,
	};
	if (apic_bus_init(&ic->bus, vm->cfg.ncpus, &lcfg, &bops, eb) < 0)
		return -1;
	ioapic_init(&ic->ioapic, &ic->bus, ACPI_IOAPIC_ID(vm->cfg.ncpus));
	i8259_init(&ic->pic, pic_intr, vm);
	/* IRQ 0 reaches both the 8259 and IOAPIC pin 2 (chip_set_gsi). */
	i8254_init(&ic->pit, (struct irq_line){ .set = chip_set_gsi, .opaque = vm, .gsi = I8254_IRQ },
		   NULL, NULL);
	atomic_init(&ic->pit_deadline, UINT64_MAX);
	ic->ops = (struct accel_irqchip){
		.opaque = vm,
		.ack = chip_ack,
		.pending = chip_pending,
		.set_gsi = chip_set_gsi,
		.msi = chip_msi,
		.rdmsr = chip_rdmsr,
		.wrmsr = chip_wrmsr,
		.set_tpr = chip_set_tpr,
		.get_tpr = chip_get_tpr,
		.lapic_mmio = chip_lapic_mmio,
		.next_deadline_ns = chip_next_deadline,
		.update = chip_update,
		.take_events = chip_take_events,
		.tsc_deadline = true,
		.x2apic = true,
	};
	struct bus *pio = &vm->pio;
	if (bus_register(&vm->mmio, IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE, ioapic_mmio, &ic->ioapic,
			 "ioapic") < 0 ||
	    bus_register(pio, I8259_MASTER_BASE, 2, i8259_master_io, &ic->pic, "i8259 master") < 0 ||
	    bus_register(pio, I8259_SLAVE_BASE, 2, i8259_slave_io, &ic->pic, "i8259 slave") < 0 ||
	    bus_register(pio, I8259_ELCR_BASE, 2, i8259_elcr_io, &ic->pic, "i8259 elcr") < 0 ||
	    bus_register(pio, I8254_BASE, 4, pit_io, vm, "i8254") < 0 ||
	    bus_register(pio, I8254_PORT_B, 1, pit_port_b_io, vm, "port b") < 0)
		return errbuf_set(eb, "internal: interrupt controller ranges overlap other devices");
	ic->enabled = true;
	return 0;
}

void vm_irqchip_reset(struct vm *vm)
{
	struct vm_irqchip *ic = &vm->irqchip;
	if (!ic->enabled)
		return;
	i8254_reset(&ic->pit);
	atomic_store(&ic->pit_deadline, i8254_next_event_ns(&ic->pit));
	i8259_reset(&ic->pic);
	ioapic_reset(&ic->ioapic);
	apic_bus_reset(&ic->bus);
}

const struct accel_irqchip *vm_irqchip_ops(struct vm *vm)
{
	return vm->irqchip.enabled ? &vm->irqchip.ops : NULL;
}
