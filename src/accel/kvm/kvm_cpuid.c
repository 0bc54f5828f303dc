/* The guest's CPUID: KVM_GET_SUPPORTED_CPUID once per VM, then per vCPU
 * the topology (APIC ID = vCPU index, from x86_cpuid_set_topology()),
 * KVM's paravirtual leaves, the HYPERVISOR bit, and no nested
 * virtualization or MONITOR/MWAIT, installed with KVM_SET_CPUID2. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_internal.h"
#include "vslice/x86_cpuid.h"

#define CPUID_MAX_ENTRIES 4096
/* Room for the entries this file may add to KVM's table. */
#define CPUID_EXTRA_ENTRIES 8

#define LEAF_FEATURES 0x1
#define LEAF_EXT_TOPOLOGY 0xb
#define LEAF_V2_EXT_TOPOLOGY 0x1f
#define LEAF_KVM_SIGNATURE 0x40000000
#define LEAF_KVM_FEATURES 0x40000001
#define LEAF_EXT_FEATURES 0x80000001

#define LEAF1_ECX_MONITOR (1u << 3)
#define LEAF1_ECX_VMX (1u << 5)
#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define LEAF1_EBX_APIC_ID_SHIFT 24
#define EXT_ECX_SVM (1u << 2)
/* Subleaves 0 and 1 (SMT, core) of the extended topology leaves and the
 * terminating invalid subleaf 2. */
#define TOPOLOGY_SUBLEAVES 3

/* "KVMKVMKVM\0\0\0" in EBX, ECX, EDX. */
#define KVM_SIGNATURE_EBX 0x4b4d564bu
#define KVM_SIGNATURE_ECX 0x564b4d56u
#define KVM_SIGNATURE_EDX 0x0000004du

int kvm_cpuid_fetch(struct accel_vm *vm, struct errbuf *eb)
{
	for (unsigned nent = 128; nent <= CPUID_MAX_ENTRIES; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return errbuf_set(eb, "kvm: out of memory for the CPUID table");
		c->nent = nent;
		if (KVM_IOCTL_PTR(eb, vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			vm->supported_cpuid = c;
			return 0;
		}
		int e = errno;
		free(c);
		if (e != E2BIG)
			return -1;
	}
	return errbuf_set(eb, "KVM_GET_SUPPORTED_CPUID: more than %d entries", CPUID_MAX_ENTRIES);
}

static struct kvm_cpuid_entry2 *find_entry(struct kvm_cpuid2 *c, uint32_t leaf, uint32_t subleaf)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function != leaf)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == subleaf)
			return e;
	}
	return NULL;
}

static struct kvm_cpuid_entry2 *add_entry(struct kvm_cpuid2 *c, unsigned cap, uint32_t leaf,
					  uint32_t subleaf, uint32_t flags)
{
	if (c->nent >= cap)
		return NULL;
	struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = leaf;
	e->index = subleaf;
	e->flags = flags;
	return e;
}

/* The guest enumerates leaves 0xb/0x1f subleaf by subleaf until it sees
 * an invalid level; make sure each subleaf it will ask for exists, so
 * that the topology code can fill it in. */
static void add_topology_subleaves(struct kvm_cpuid2 *c, unsigned cap, uint32_t leaf)
{
	if (!find_entry(c, leaf, 0))
		return;
	for (uint32_t sub = 1; sub < TOPOLOGY_SUBLEAVES; sub++)
		if (!find_entry(c, leaf, sub))
			add_entry(c, cap, leaf, sub, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
}

static void set_kvm_signature(struct kvm_cpuid2 *c, unsigned cap)
{
	struct kvm_cpuid_entry2 *sig = find_entry(c, LEAF_KVM_SIGNATURE, 0);
	if (!sig)
		sig = add_entry(c, cap, LEAF_KVM_SIGNATURE, 0, 0);
	if (!sig)
		return;
	sig->eax = find_entry(c, LEAF_KVM_FEATURES, 0) ? LEAF_KVM_FEATURES : LEAF_KVM_SIGNATURE;
	sig->ebx = KVM_SIGNATURE_EBX;
	sig->ecx = KVM_SIGNATURE_ECX;
	sig->edx = KVM_SIGNATURE_EDX;
}

/* Features the guest must not try to use under vslice. */
static void apply_policy(struct kvm_cpuid_entry2 *e, unsigned index)
{
	switch (e->function) {
	case LEAF_FEATURES:
		e->ecx |= LEAF1_ECX_HYPERVISOR;
		e->ecx &= ~(LEAF1_ECX_VMX | LEAF1_ECX_MONITOR);
		e->ebx = (e->ebx & 0x00ffffffu) | ((uint32_t)index << LEAF1_EBX_APIC_ID_SHIFT);
		break;
	case LEAF_EXT_FEATURES:
		e->ecx &= ~EXT_ECX_SVM;
		break;
	default:
		break;
	}
}

int kvm_cpuid_setup_vcpu(struct accel_vcpu *vcpu, struct errbuf *eb)
{
	const struct kvm_cpuid2 *sup = vcpu->vm->supported_cpuid;
	unsigned cap = sup->nent + CPUID_EXTRA_ENTRIES;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + cap * sizeof(c->entries[0]));
	if (!c)
		return errbuf_set(eb, "kvm: out of memory for vCPU %u's CPUID table", vcpu->index);
	c->nent = sup->nent;
	memcpy(c->entries, sup->entries, sup->nent * sizeof(c->entries[0]));

	add_topology_subleaves(c, cap, LEAF_EXT_TOPOLOGY);
	add_topology_subleaves(c, cap, LEAF_V2_EXT_TOPOLOGY);
	set_kvm_signature(c, cap);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		apply_policy(e, vcpu->index);
		x86_cpuid_set_topology(e->function, e->index, &e->eax, &e->ebx, &e->ecx, &e->edx,
				       vcpu->index, vcpu->vm->ncpus);
	}
	int r = KVM_IOCTL_PTR(eb, vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
	return r < 0 ? -1 : 0;
}
