/* Local APIC start-up state and the multiprocessor state of new vCPUs.
 *
 * BSP: KVM resets LINT0/LINT1 masked, which with the APIC enabled would
 * keep the 8259 PIC's interrupts from ever reaching the CPU. As a PC BIOS
 * does (the MP specification's "virtual wire" mode), the BSP gets LINT0 =
 * ExtINT and LINT1 = NMI, so real-mode and PIC-driven guests get their
 * interrupts; an OS reprograms both when it sets up its APIC.
 *
 * APs: with the in-kernel irqchip KVM creates every vCPU other than the
 * BSP (vCPU id 0) in KVM_MP_STATE_UNINITIALIZED: KVM_RUN then blocks in
 * the kernel until the BSP sends INIT and a start-up IPI, so the core can
 * start all vCPU threads at once. kvm_mp_state_check() verifies this on
 * every vCPU it creates and, should a kernel ever differ, sets it. */
#include <string.h>

#include "kvm_internal.h"
#include "vslice/log.h"

#define APIC_REG_LVT0 0x350
#define APIC_REG_LVT1 0x360
#define APIC_LVT_DELIVERY_NMI (4u << 8)
#define APIC_LVT_DELIVERY_EXTINT (7u << 8)

static void apic_reg_write(struct kvm_lapic_state *st, unsigned off, uint32_t val)
{
	memcpy(&st->regs[off], &val, sizeof(val));
}

int kvm_lapic_setup_vcpu(struct accel_vcpu *vcpu, struct errbuf *eb)
{
	if (vcpu->index != 0)
		return 0;
	struct kvm_lapic_state st;
	if (KVM_IOCTL_PTR(eb, vcpu->fd, KVM_GET_LAPIC, &st) < 0)
		return -1;
	apic_reg_write(&st, APIC_REG_LVT0, APIC_LVT_DELIVERY_EXTINT);
	apic_reg_write(&st, APIC_REG_LVT1, APIC_LVT_DELIVERY_NMI);
	return KVM_IOCTL_PTR(eb, vcpu->fd, KVM_SET_LAPIC, &st) < 0 ? -1 : 0;
}

int kvm_mp_state_check(struct accel_vcpu *vcpu, struct errbuf *eb)
{
	struct kvm_mp_state mp;
	if (KVM_IOCTL_PTR(eb, vcpu->fd, KVM_GET_MP_STATE, &mp) < 0)
		return -1;
	uint32_t want = vcpu->index == 0 ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED;
	if (mp.mp_state == want)
		return 0;
	log_warn("kvm: vCPU %u created in MP state %u, not %u: setting it", vcpu->index,
		 mp.mp_state, want);
	mp.mp_state = want;
	return KVM_IOCTL_PTR(eb, vcpu->fd, KVM_SET_MP_STATE, &mp) < 0 ? -1 : 0;
}
