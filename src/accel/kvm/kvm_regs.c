/* Register state: conversion between the neutral struct x86_regs /
 * x86_sregs and KVM's kvm_regs / kvm_sregs. Failures are logged with the
 * ioctl's name, since these entry points have no errbuf. */
#include <string.h>

#include "kvm_internal.h"
#include "vslice/log.h"

static int vcpu_ioctl_logged(struct accel_vcpu *vcpu, int r, const struct errbuf *eb)
{
	if (r < 0)
		log_err("kvm: vCPU %u: %s", vcpu->index, eb->msg);
	return r < 0 ? -1 : 0;
}

/* Registers are only consistent once KVM has finished the last I/O exit. */
static int settle(struct accel_vcpu *vcpu)
{
	struct errbuf eb;
	return vcpu_ioctl_logged(vcpu, kvm_vcpu_complete_io(vcpu, &eb), &eb);
}

int kvm_get_regs(struct accel_vcpu *vcpu, struct x86_regs *r)
{
	if (settle(vcpu) < 0)
		return -1;
	struct kvm_regs k;
	struct errbuf eb;
	if (vcpu_ioctl_logged(vcpu, KVM_IOCTL_PTR(&eb, vcpu->fd, KVM_GET_REGS, &k), &eb) < 0)
		return -1;
	*r = (struct x86_regs){
	    .rax = k.rax,
	    .rbx = k.rbx,
	    .rcx = k.rcx,
	    .rdx = k.rdx,
	    .rsi = k.rsi,
	    .rdi = k.rdi,
	    .rsp = k.rsp,
	    .rbp = k.rbp,
	    .r8 = k.r8,
	    .r9 = k.r9,
	    .r10 = k.r10,
	    .r11 = k.r11,
	    .r12 = k.r12,
	    .r13 = k.r13,
	    .r14 = k.r14,
	    .r15 = k.r15,
	    .rip = k.rip,
	    .rflags = k.rflags,
	};
	return 0;
}

int kvm_set_regs(struct accel_vcpu *vcpu, const struct x86_regs *r)
{
	if (settle(vcpu) < 0)
		return -1;
	struct kvm_regs k = {
	    .rax = r->rax,
	    .rbx = r->rbx,
	    .rcx = r->rcx,
	    .rdx = r->rdx,
	    .rsi = r->rsi,
	    .rdi = r->rdi,
	    .rsp = r->rsp,
	    .rbp = r->rbp,
	    .r8 = r->r8,
	    .r9 = r->r9,
	    .r10 = r->r10,
	    .r11 = r->r11,
	    .r12 = r->r12,
	    .r13 = r->r13,
	    .r14 = r->r14,
	    .r15 = r->r15,
	    .rip = r->rip,
	    /* Bit 1 of RFLAGS always reads as 1 (KVM forces it too). */
	    .rflags = r->rflags | X86_RFLAGS_RESERVED1,
	};
	struct errbuf eb;
	return vcpu_ioctl_logged(vcpu, KVM_IOCTL_PTR(&eb, vcpu->fd, KVM_SET_REGS, &k), &eb);
}

static void seg_from_kvm(struct x86_seg *s, const struct kvm_segment *k)
{
	*s = (struct x86_seg){
	    .base = k->base,
	    .limit = k->limit,
	    .selector = k->selector,
	    .type = k->type,
	    .present = k->present,
	    .dpl = k->dpl,
	    .db = k->db,
	    .s = k->s,
	    .l = k->l,
	    .g = k->g,
	    .avl = k->avl,
	    .unusable = k->unusable != 0,
	};
}

static void seg_to_kvm(struct kvm_segment *k, const struct x86_seg *s)
{
	*k = (struct kvm_segment){
	    .base = s->base,
	    .limit = s->limit,
	    .selector = s->selector,
	    .type = s->type & 0xf,
	    .present = s->present ? 1 : 0,
	    .dpl = s->dpl & 3,
	    .db = s->db ? 1 : 0,
	    .s = s->s ? 1 : 0,
	    .l = s->l ? 1 : 0,
	    .g = s->g ? 1 : 0,
	    .avl = s->avl ? 1 : 0,
	    .unusable = s->unusable ? 1 : 0,
	};
}

int kvm_get_sregs(struct accel_vcpu *vcpu, struct x86_sregs *s)
{
	if (settle(vcpu) < 0)
		return -1;
	struct kvm_sregs k;
	struct errbuf eb;
	if (vcpu_ioctl_logged(vcpu, KVM_IOCTL_PTR(&eb, vcpu->fd, KVM_GET_SREGS, &k), &eb) < 0)
		return -1;
	memset(s, 0, sizeof(*s));
	seg_from_kvm(&s->cs, &k.cs);
	seg_from_kvm(&s->ds, &k.ds);
	seg_from_kvm(&s->es, &k.es);
	seg_from_kvm(&s->fs, &k.fs);
	seg_from_kvm(&s->gs, &k.gs);
	seg_from_kvm(&s->ss, &k.ss);
	seg_from_kvm(&s->tr, &k.tr);
	seg_from_kvm(&s->ldt, &k.ldt);
	s->gdt = (struct x86_dtable){.base = k.gdt.base, .limit = k.gdt.limit};
	s->idt = (struct x86_dtable){.base = k.idt.base, .limit = k.idt.limit};
	s->cr0 = k.cr0;
	s->cr2 = k.cr2;
	s->cr3 = k.cr3;
	s->cr4 = k.cr4;
	s->cr8 = k.cr8;
	s->efer = k.efer;
	s->apic_base = k.apic_base;
	return 0;
}

/* Reads the current sregs first so that what the neutral struct does not
 * carry (the pending-interrupt bitmap) is kept. apic_base == 0 means
 * "leave the local APIC as it is": KVM sets the architectural value when
 * it creates the vCPU, and 0 would disable the APIC. */
int kvm_set_sregs(struct accel_vcpu *vcpu, const struct x86_sregs *s)
{
	if (settle(vcpu) < 0)
		return -1;
	struct kvm_sregs k;
	struct errbuf eb;
	if (vcpu_ioctl_logged(vcpu, KVM_IOCTL_PTR(&eb, vcpu->fd, KVM_GET_SREGS, &k), &eb) < 0)
		return -1;
	seg_to_kvm(&k.cs, &s->cs);
	seg_to_kvm(&k.ds, &s->ds);
	seg_to_kvm(&k.es, &s->es);
	seg_to_kvm(&k.fs, &s->fs);
	seg_to_kvm(&k.gs, &s->gs);
	seg_to_kvm(&k.ss, &s->ss);
	seg_to_kvm(&k.tr, &s->tr);
	seg_to_kvm(&k.ldt, &s->ldt);
	k.gdt = (struct kvm_dtable){.base = s->gdt.base, .limit = s->gdt.limit};
	k.idt = (struct kvm_dtable){.base = s->idt.base, .limit = s->idt.limit};
	k.cr0 = s->cr0;
	k.cr2 = s->cr2;
	k.cr3 = s->cr3;
	k.cr4 = s->cr4;
	k.cr8 = s->cr8;
	k.efer = s->efer;
	if (s->apic_base)
		k.apic_base = s->apic_base;
	return vcpu_ioctl_logged(vcpu, KVM_IOCTL_PTR(&eb, vcpu->fd, KVM_SET_SREGS, &k), &eb);
}
