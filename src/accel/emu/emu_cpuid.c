/* Software CPU: CPUID. An Intel-compatible ("GenuineIntel", family 6)
 * processor that advertises only what the emulator implements: the
 * instruction-set bits emucore lists in emu_cpu.h (EMU_CPUID*_ISA) plus
 * the system features implemented here (paging, MSRs, SYSENTER/SYSCALL,
 * NX, long mode, IA32_ARCH_CAPABILITIES). The TSC frequency (EMU_TSC_HZ) is given in leaves 0x15
 * and 0x16, the topology by x86_cpuid_set_topology(). Hypervisor leaves
 * 0x40000000-1 say "KVM" with the kvm-clock features (emu_msr.c has the
 * MSRs), so a Linux guest uses kvm-clock and needs no calibration. */
#include <string.h>

#include "emu_sys.h"
#include "emu_vm.h"
#include "vslice/dev/kvmclock.h"
#include "vslice/x86_cpuid.h"

#define MAX_BASIC_LEAF 0x16u
#define MAX_EXT_LEAF 0x80000008u
#define HV_LEAF 0x40000000u

/* CPUID.1:EAX: family 6, model 0x3a, stepping 9 (matches reset EDX). */
#define SIGNATURE 0x000306a9u

/* CPUID.1:EDX, system part: PSE(3) TSC(4) MSR(5) PAE(6) SEP(11) MTRR(12)
 * PGE(13) PAT(16) PSE36(17). APIC(9) only with an interrupt controller. */
#define LEAF1_EDX_SYS                                                                              \
	((1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 13) |    \
	 (1u << 16) | (1u << 17))
#define LEAF1_EDX_APIC (1u << 9)
#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF1_ECX_X2APIC (1u << 21)
#define LEAF1_ECX_HYPERVISOR (1u << 31)
/* CPUID.7.0:EDX: the IA32_ARCH_CAPABILITIES MSR (emu_msr.c). */
#define LEAF7_EDX_ARCH_CAPABILITIES (1u << 29)
/* CPUID.80000001h:EDX, system part: SYSCALL(11) NX(20) 1GB pages(26) LM(29). */
#define EXT1_EDX_SYS ((1u << 11) | (1u << 20) | (1u << 26) | (1u << 29))

static void put_str(uint32_t *regs, const char *s)
{
	/* 12 bytes of vendor-like string into three registers. */
	memcpy(regs, s, 4);
	memcpy(regs + 1, s + 4, 4);
	memcpy(regs + 2, s + 8, 4);
}

void emu_cpuid(struct emu_cpu *c, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	static const char brand[48] = "vslice software CPU";
	const struct accel_irqchip *intc = c->vm ? c->vm->intc : NULL;
	unsigned ncpus = c->vm ? c->vm->cfg.ncpus : 1;
	uint32_t a = 0, b = 0, cx = 0, d = 0;

	/* Out of range: Intel returns the highest basic leaf. */
	if ((leaf > MAX_BASIC_LEAF && leaf < HV_LEAF) ||
	    (leaf > HV_LEAF + 0xff && leaf < 0x80000000u) || leaf > MAX_EXT_LEAF)
		leaf = MAX_BASIC_LEAF;

	switch (leaf) {
	case 0: {
		uint32_t v[3];
		a = MAX_BASIC_LEAF;
		/* Order EBX, EDX, ECX. */
		put_str(v, "GenuineIntel");
		b = v[0];
		d = v[1];
		cx = v[2];
		break;
	}
	case 1:
		a = SIGNATURE;
		b = 8u << 8; /* CLFLUSH line size: 8 * 8 = 64 bytes */
		d = EMU_CPUID1_EDX_ISA | LEAF1_EDX_SYS | (intc ? LEAF1_EDX_APIC : 0);
		cx = EMU_CPUID1_ECX_ISA | LEAF1_ECX_HYPERVISOR |
		     (intc && intc->tsc_deadline ? LEAF1_ECX_TSC_DEADLINE : 0) |
		     (intc && intc->x2apic ? LEAF1_ECX_X2APIC : 0);
		break;
	case 7:
		if (subleaf == 0) {
			b = EMU_CPUID7_EBX_ISA;
			d = LEAF7_EDX_ARCH_CAPABILITIES;
		}
		break;
	case 0xb:
		break; /* filled by the topology below */
	case 0x15:
		/* TSC = crystal * EBX / EAX: 25 MHz * 40 = 1 GHz. */
		a = 1;
		b = (uint32_t)(EMU_TSC_HZ / 25000000u);
		cx = 25000000u;
		break;
	case 0x16:
		a = (uint32_t)(EMU_TSC_HZ / 1000000u); /* base MHz */
		b = a;				       /* max MHz */
		cx = 100;			       /* bus MHz */
		break;
	case HV_LEAF: {
		/* KVM-compatible: the guest finds the kvm-clock (linuxboot). */
		uint32_t v[3];
		a = KVM_CPUID_FEATURES;
		put_str(v, KVM_SIGNATURE);
		b = v[0];
		cx = v[1];
		d = v[2];
		break;
	}
	case KVM_CPUID_FEATURES:
		a = (1u << KVM_FEATURE_CLOCKSOURCE2) | (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
		break;
	case 0x80000000u:
		a = MAX_EXT_LEAF;
		break;
	case 0x80000001u:
		cx = EMU_CPUID81_ECX_ISA;
		d = EMU_CPUID81_EDX_ISA | EXT1_EDX_SYS;
		break;
	case 0x80000002u:
	case 0x80000003u:
	case 0x80000004u: {
		uint32_t v[4];
		memcpy(v, brand + (leaf - 0x80000002u) * 16, 16);
		a = v[0];
		b = v[1];
		cx = v[2];
		d = v[3];
		break;
	}
	case 0x80000007u:
		d = 1u << 8; /* invariant TSC: it is tied to CLOCK_MONOTONIC */
		break;
	case 0x80000008u:
		a = (48u << 8) | EMU_MAXPHYADDR; /* linear, physical address bits */
		break;
	default:
		break;
	}
	if (x86_cpuid_is_topology_leaf(leaf))
		x86_cpuid_set_topology(leaf, subleaf, &a, &b, &cx, &d, c->index, ncpus);
	out[0] = a;
	out[1] = b;
	out[2] = cx;
	out[3] = d;
}
