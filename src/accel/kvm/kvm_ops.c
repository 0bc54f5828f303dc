/* The KVM accelerator's entry in the accelerator table (accel.h). */
#include "kvm_internal.h"

const struct accel_ops accel_kvm_ops = {
    .name = "kvm",
    .available = kvm_available,
    .max_cpus = kvm_max_cpus,
    .vm_create = kvm_vm_create,
    .vm_destroy = kvm_vm_destroy,
    .vcpu_create = kvm_vcpu_create,
    .vcpu_destroy = kvm_vcpu_destroy,
    .vcpu_run = kvm_vcpu_run,
    .vcpu_kick = kvm_vcpu_kick,
    .get_regs = kvm_get_regs,
    .set_regs = kvm_set_regs,
    .get_sregs = kvm_get_sregs,
    .set_sregs = kvm_set_sregs,
    .irq_line = kvm_irq_line,
    .signal_msi = kvm_signal_msi,
    .ioeventfd = kvm_ioeventfd,
    .irqfd = kvm_irqfd,
};
