/* A vCPU's initial MSRs and FPU state, as the architecture defines them
 * after reset (Intel SDM vol. 3, 10.1.1 / table 10-1) where KVM's own
 * defaults differ or are not guaranteed. Only MSRs that KVM lists in
 * KVM_GET_MSR_INDEX_LIST are written; IA32_APIC_BASE and EFER go through
 * the sregs instead. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_internal.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_IA32_PAT 0x277
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define MISC_ENABLE_FAST_STRINGS (1ULL << 0)
/* WB, WT, UC-, UC in PA0..3 and again in PA4..7: the power-on value. */
#define PAT_POWER_ON 0x0007040600070406ULL

#define FPU_FCW_INIT 0x37f    /* FINIT: all exceptions masked, 64-bit, nearest */
#define FPU_MXCSR_INIT 0x1f80 /* all SSE exceptions masked */

#define MSR_INDEX_MAX 4096

static const struct {
	uint32_t index;
	uint64_t value;
} initial_msrs[] = {
    /* TSC 0 on every vCPU: KVM treats host writes of 0 as "synchronise
     * with the other vCPUs", so the APs' TSCs match the BSP's. */
    {MSR_IA32_TSC, 0},
    {MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRINGS},
    {MSR_IA32_PAT, PAT_POWER_ON},
    {MSR_IA32_SYSENTER_CS, 0},
    {MSR_IA32_SYSENTER_ESP, 0},
    {MSR_IA32_SYSENTER_EIP, 0},
    {MSR_STAR, 0},
    {MSR_LSTAR, 0},
    {MSR_CSTAR, 0},
    {MSR_SFMASK, 0},
    {MSR_KERNEL_GS_BASE, 0},
};
#define N_INITIAL_MSRS (sizeof(initial_msrs) / sizeof(initial_msrs[0]))

int kvm_msr_fetch(struct accel_vm *vm, struct errbuf *eb)
{
	struct kvm_msr_list probe = {.nmsrs = 0};
	/* The first call fails with E2BIG and says how many there are. */
	if (KVM_IOCTL_PTR(NULL, vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return errbuf_set(eb, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
	if (probe.nmsrs > MSR_INDEX_MAX)
		return errbuf_set(eb, "KVM_GET_MSR_INDEX_LIST: %u MSRs, more than %d", probe.nmsrs,
				  MSR_INDEX_MAX);
	struct kvm_msr_list *list =
	    calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	if (!list)
		return errbuf_set(eb, "kvm: out of memory for the MSR list");
	list->nmsrs = probe.nmsrs;
	if (KVM_IOCTL_PTR(eb, vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		free(list);
		return -1;
	}
	vm->msr_list = list;
	return 0;
}

static bool msr_listed(const struct kvm_msr_list *list, uint32_t index)
{
	for (uint32_t i = 0; i < list->nmsrs; i++)
		if (list->indices[i] == index)
			return true;
	return false;
}

int kvm_msr_setup_vcpu(struct accel_vcpu *vcpu, struct errbuf *eb)
{
	struct kvm_msrs *msrs =
	    calloc(1, sizeof(*msrs) + N_INITIAL_MSRS * sizeof(msrs->entries[0]));
	if (!msrs)
		return errbuf_set(eb, "kvm: out of memory for vCPU %u's MSRs", vcpu->index);
	for (size_t i = 0; i < N_INITIAL_MSRS; i++) {
		if (!msr_listed(vcpu->vm->msr_list, initial_msrs[i].index))
			continue;
		struct kvm_msr_entry *e = &msrs->entries[msrs->nmsrs++];
		e->index = initial_msrs[i].index;
		e->data = initial_msrs[i].value;
	}
	int r = KVM_IOCTL_PTR(eb, vcpu->fd, KVM_SET_MSRS, msrs);
	if (r >= 0 && (uint32_t)r < msrs->nmsrs)
		r = errbuf_set(eb, "KVM_SET_MSRS: vCPU %u refused MSR 0x%x = 0x%llx", vcpu->index,
			       msrs->entries[r].index, (unsigned long long)msrs->entries[r].data);
	free(msrs);
	return r < 0 ? -1 : 0;
}

int kvm_fpu_setup_vcpu(struct accel_vcpu *vcpu, struct errbuf *eb)
{
	struct kvm_fpu fpu;
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = FPU_FCW_INIT;
	fpu.mxcsr = FPU_MXCSR_INIT;
	return KVM_IOCTL_PTR(eb, vcpu->fd, KVM_SET_FPU, &fpu) < 0 ? -1 : 0;
}
