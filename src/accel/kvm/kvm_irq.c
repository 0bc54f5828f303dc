/* Interrupts into the in-kernel interrupt controllers: the GSI routing
 * table, interrupt lines, MSIs, and the irqfd/ioeventfd fast paths.
 *
 * Routing: GSI n here is ISA IRQ n for n < 16, as devices number their
 * lines (irq.h). GSI n < 16 drives PIC input n and IOAPIC pin n, except
 * that GSI 0 (the in-kernel PIT, which always raises GSI 0) drives IOAPIC
 * pin 2, and GSI 2 (the PIC cascade) drives nothing: this matches the MADT
 * override "ISA IRQ 0 -> GSI 2" that acpi.c writes, as on PCs. GSIs 16..23
 * drive IOAPIC pins 16..23 only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_internal.h"
#include "vslice/log.h"

#define ISA_IRQS 16
#define PIC_CASCADE_IRQ 2
#define PIT_IRQ 0
#define PIT_IOAPIC_PIN 2

static void add_route(struct kvm_irq_routing *rt, unsigned gsi, unsigned chip, unsigned pin)
{
	struct kvm_irq_routing_entry *e = &rt->entries[rt->nr++];
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

static int setup_routing(struct accel_vm *vm, struct errbuf *eb)
{
	const unsigned max_entries = 2 * KVM_ACCEL_NR_GSIS;
	struct kvm_irq_routing *rt = calloc(1, sizeof(*rt) + max_entries * sizeof(rt->entries[0]));
	if (!rt)
		return errbuf_set(eb, "kvm: out of memory for the interrupt routing table");
	for (unsigned gsi = 0; gsi < KVM_ACCEL_NR_GSIS; gsi++) {
		if (gsi == PIC_CASCADE_IRQ)
			continue;
		if (gsi < 8)
			add_route(rt, gsi, KVM_IRQCHIP_PIC_MASTER, gsi);
		else if (gsi < ISA_IRQS)
			add_route(rt, gsi, KVM_IRQCHIP_PIC_SLAVE, gsi - 8);
		add_route(rt, gsi, KVM_IRQCHIP_IOAPIC, gsi == PIT_IRQ ? PIT_IOAPIC_PIN : gsi);
	}
	int r = KVM_IOCTL_PTR(eb, vm->vm_fd, KVM_SET_GSI_ROUTING, rt);
	free(rt);
	return r < 0 ? -1 : 0;
}

/* The MADT gives the IOAPIC the APIC ID after the last CPU's (acpi.h);
 * make the in-kernel IOAPIC's ID register agree. (KVM reports only the
 * low 4 bits of it to the guest.) */
static int setup_ioapic_id(struct accel_vm *vm, struct errbuf *eb)
{
	struct kvm_irqchip chip;
	memset(&chip, 0, sizeof(chip));
	chip.chip_id = KVM_IRQCHIP_IOAPIC;
	if (KVM_IOCTL_PTR(eb, vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
		return -1;
	chip.chip.ioapic.id = (uint8_t)vm->ncpus;
	if (KVM_IOCTL_PTR(eb, vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
		return -1;
	return 0;
}

int kvm_irq_setup(struct accel_vm *vm, struct errbuf *eb)
{
	if (setup_routing(vm, eb) < 0 || setup_ioapic_id(vm, eb) < 0)
		return -1;
	return 0;
}

int kvm_irq_line(struct accel_vm *vm, unsigned gsi, int level)
{
	if (gsi >= KVM_ACCEL_NR_GSIS) {
		log_err("kvm: interrupt line GSI %u does not exist (0..%u)", gsi,
			KVM_ACCEL_NR_GSIS - 1);
		return -1;
	}
	struct kvm_irq_level line = {.irq = gsi, .level = level ? 1 : 0};
	struct errbuf eb;
	if (KVM_IOCTL_PTR(&eb, vm->vm_fd, KVM_IRQ_LINE, &line) < 0) {
		log_err("kvm: GSI %u: %s", gsi, eb.msg);
		return -1;
	}
	return 0;
}

int kvm_signal_msi(struct accel_vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
	    .address_lo = (uint32_t)addr,
	    .address_hi = (uint32_t)(addr >> 32),
	    .data = data,
	};
	struct errbuf eb;
	/* > 0: delivered, 0: the guest blocked it (both fine). The address
	 * and data were written by the guest, so a failure is only logged at
	 * debug level. */
	if (KVM_IOCTL_PTR(&eb, vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0) {
		log_debug("kvm: MSI addr 0x%llx data 0x%x: %s", (unsigned long long)addr, data,
			  eb.msg);
		return -1;
	}
	return 0;
}

int kvm_ioeventfd(struct accel_vm *vm, uint64_t addr, unsigned len, bool is_pio, int efd)
{
	if ((len != 1 && len != 2 && len != 4 && len != 8) ||
	    (is_pio && (len == 8 || addr > 0xffff)) || efd < 0) {
		log_err("kvm: ioeventfd at %s 0x%llx length %u: not a valid access",
			is_pio ? "port" : "MMIO", (unsigned long long)addr, len);
		return -1;
	}
	struct kvm_ioeventfd ioev = {
	    .addr = addr,
	    .len = len,
	    .fd = efd,
	    .flags = is_pio ? KVM_IOEVENTFD_FLAG_PIO : 0,
	};
	struct errbuf eb;
	if (KVM_IOCTL_PTR(&eb, vm->vm_fd, KVM_IOEVENTFD, &ioev) < 0) {
		log_err("kvm: ioeventfd at %s 0x%llx: %s", is_pio ? "port" : "MMIO",
			(unsigned long long)addr, eb.msg);
		return -1;
	}
	return 0;
}

int kvm_irqfd(struct accel_vm *vm, unsigned gsi, int efd)
{
	if (gsi >= KVM_ACCEL_NR_GSIS || efd < 0) {
		log_err("kvm: irqfd for GSI %u: GSIs are 0..%u", gsi, KVM_ACCEL_NR_GSIS - 1);
		return -1;
	}
	struct kvm_irqfd irqfd = {.fd = (uint32_t)efd, .gsi = gsi};
	struct errbuf eb;
	if (KVM_IOCTL_PTR(&eb, vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		log_err("kvm: irqfd for GSI %u: %s", gsi, eb.msg);
		return -1;
	}
	return 0;
}
