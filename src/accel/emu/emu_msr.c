/* Software CPU: model-specific registers (RDMSR/WRMSR) and the time-stamp
 * counter. The TSC runs at EMU_TSC_HZ (1 GHz): one tick per nanosecond of
 * the host's CLOCK_MONOTONIC, plus a per-vCPU offset that WRMSR(TSC)
 * adjusts. The local APIC's MSRs (APIC base, TSC deadline, x2APIC) go to
 * the interrupt controller when there is one; the kvm-clock MSRs to the
 * VM's kvmclock. Unknown MSRs raise #GP, as on hardware. */
#include <time.h>

#include "vslice/dev/kvmclock.h"

#include "emu_sys.h"
#include "emu_vm.h"
#include "vslice/x86_regs.h"

enum {
	MSR_TSC = 0x10,
	MSR_APIC_BASE = 0x1b,
	MSR_FEATURE_CONTROL = 0x3a,
	MSR_UCODE_REV = 0x8b,
	MSR_MTRRCAP = 0xfe,
	MSR_ARCH_CAPABILITIES = 0x10a,
	MSR_SYSENTER_CS = 0x174,
	MSR_SYSENTER_ESP = 0x175,
	MSR_SYSENTER_EIP = 0x176,
	MSR_MISC_ENABLE = 0x1a0,
	MSR_DEBUGCTL = 0x1d9,
	MSR_PAT = 0x277,
	MSR_MTRR_DEF_TYPE = 0x2ff,
	MSR_TSC_DEADLINE = 0x6e0,
	MSR_X2APIC_FIRST = 0x800,
	MSR_X2APIC_LAST = 0x8ff,
	MSR_EFER = 0xc0000080,
	MSR_STAR = 0xc0000081,
	MSR_LSTAR = 0xc0000082,
	MSR_CSTAR = 0xc0000083,
	MSR_SFMASK = 0xc0000084,
	MSR_FS_BASE = 0xc0000100,
	MSR_GS_BASE = 0xc0000101,
	MSR_KERNEL_GS_BASE = 0xc0000102,
	MSR_TSC_AUX = 0xc0000103,
};

uint64_t emu_host_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t emu_tsc_now(struct emu_cpu *c)
{
	/* EMU_TSC_HZ is 1 GHz: ticks == nanoseconds. */
	return emu_host_ns() + (uint64_t)c->tsc_offset;
}

uint64_t emu_rdtsc(struct emu_cpu *c)
{
	if ((c->cr4 & (1ULL << 2)) && (c->cr0 & X86_CR0_PE) && c->cpl != 0)
		emu_raise(c, EXC_GP, 0); /* CR4.TSD */
	return emu_tsc_now(c);
}

static const struct accel_irqchip *intc_of(struct emu_cpu *c)
{
	return c->vm ? c->vm->intc : NULL;
}

static bool is_apic_msr(uint32_t msr)
{
	return msr == MSR_APIC_BASE || msr == MSR_TSC_DEADLINE ||
	       (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

/* The kvm-clock's view of now for vCPU c: one host clock reading. */
static struct kvmclock_now kvmclock_now(struct emu_cpu *c)
{
	struct timespec ts;
	uint64_t host = emu_host_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (struct kvmclock_now){
		.system_ns = host - c->vm->tsc_base_ns,
		.tsc = host + (uint64_t)c->tsc_offset,
		.wall_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec,
	};
}

static void require_cpl0(struct emu_cpu *c)
{
	if ((c->cr0 & X86_CR0_PE) && c->cpl != 0)
		emu_raise(c, EXC_GP, 0);
}

static bool valid_pat(uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (v >> (8 * i)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

uint64_t emu_rdmsr(struct emu_cpu *c, uint32_t msr)
{
	require_cpl0(c);
	const struct accel_irqchip *intc = intc_of(c);
	if (intc && intc->rdmsr && is_apic_msr(msr)) {
		uint64_t v = 0;
		int r = intc->rdmsr(c->vm->intc_opaque, c->index, msr, &v);
		if (r > 0)
			return v;
		if (r < 0)
			emu_raise(c, EXC_GP, 0);
	}
	if (c->vm && kvmclock_is_msr(msr)) {
		uint64_t v = 0;
		if (kvmclock_rdmsr(&c->vm->kvmclock, c->index, msr, &v) > 0)
			return v;
		emu_raise(c, EXC_GP, 0);
	}
	switch (msr) {
	case MSR_TSC:
		return emu_tsc_now(c);
	case MSR_APIC_BASE:
		return c->apic_base;
	case MSR_FEATURE_CONTROL:
		return 1; /* locked, VMX off */
	case MSR_UCODE_REV:
		return 0;
	case MSR_MTRRCAP:
		return 0; /* no variable or fixed ranges, no WC */
	case MSR_ARCH_CAPABILITIES:
		/* The emulator does not speculate: not susceptible to rogue
		 * data cache load (RDCL_NO, 0), speculative store bypass
		 * (SSB_NO, 4), microarchitectural data sampling (MDS_NO, 5),
		 * machine checks on page-size changes (PSCHANGE_MC_NO, 6),
		 * TSX asynchronous abort (TAA_NO, 8), stale data from MMIO
		 * (SBDR_SSDP_NO, FBSDP_NO, PSDP_NO: 13-15). A guest kernel
		 * then needs no page-table isolation: every system call and
		 * interrupt would otherwise switch CR3 twice, emptying the
		 * TLB each time. Read-only (a write raises #GP, below). */
		return (1u << 0) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 13) |
		       (1u << 14) | (1u << 15);
	case MSR_SYSENTER_CS:
		return c->sysenter_cs;
	case MSR_SYSENTER_ESP:
		return c->sysenter_esp;
	case MSR_SYSENTER_EIP:
		return c->sysenter_eip;
	case MSR_MISC_ENABLE:
		return c->misc_enable;
	case MSR_DEBUGCTL:
		return 0;
	case MSR_PAT:
		return c->pat;
	case MSR_MTRR_DEF_TYPE:
		return c->mtrr_def_type;
	case MSR_TSC_DEADLINE:
		if (!intc || !intc->tsc_deadline)
			break;
		return c->tsc_deadline;
	case MSR_EFER:
		return c->efer;
	case MSR_STAR:
		return c->star;
	case MSR_LSTAR:
		return c->lstar;
	case MSR_CSTAR:
		return c->cstar;
	case MSR_SFMASK:
		return c->sfmask;
	case MSR_FS_BASE:
		return c->seg[S_FS].base;
	case MSR_GS_BASE:
		return c->seg[S_GS].base;
	case MSR_KERNEL_GS_BASE:
		return c->kernel_gs_base;
	case MSR_TSC_AUX:
		return c->tsc_aux;
	default:
		break;
	}
	emu_raise(c, EXC_GP, 0);
}

static void write_efer(struct emu_cpu *c, uint64_t val)
{
	const uint64_t allowed = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	if (val & ~allowed)
		emu_raise(c, EXC_GP, 0);
	if ((c->cr0 & X86_CR0_PG) && ((val ^ c->efer) & X86_EFER_LME))
		emu_raise(c, EXC_GP, 0);
	val = (val & ~X86_EFER_LMA) | (c->efer & X86_EFER_LMA); /* LMA is read-only */
	if ((val ^ c->efer) & X86_EFER_NXE)
		emu_tlb_flush(c, true);
	c->efer = val;
}

static void need_canonical(struct emu_cpu *c, uint64_t v)
{
	if (!emu_is_canonical(v))
		emu_raise(c, EXC_GP, 0);
}

void emu_wrmsr(struct emu_cpu *c, uint32_t msr, uint64_t val)
{
	require_cpl0(c);
	const struct accel_irqchip *intc = intc_of(c);
	if (intc && intc->wrmsr && is_apic_msr(msr)) {
		int r = intc->wrmsr(c->vm->intc_opaque, c->index, msr, val, emu_tsc_now(c));
		if (r < 0)
			emu_raise(c, EXC_GP, 0);
		if (r > 0) {
			uint64_t base;
			/* Keep the copy the MMIO intercept looks at. */
			if (msr == MSR_APIC_BASE && intc->rdmsr &&
			    intc->rdmsr(c->vm->intc_opaque, c->index, MSR_APIC_BASE, &base) > 0)
				c->apic_base = base;
			if (msr == MSR_TSC_DEADLINE)
				c->tsc_deadline = val;
			return;
		}
	}
	if (c->vm && kvmclock_is_msr(msr)) {
		struct kvmclock_now now = kvmclock_now(c);
		if (kvmclock_wrmsr(&c->vm->kvmclock, c->index, msr, val, &now) > 0)
			return;
		emu_raise(c, EXC_GP, 0);
	}
	switch (msr) {
	case MSR_TSC:
		c->tsc_offset = (int64_t)(val - emu_host_ns());
		if (c->vm) {
			struct kvmclock_now now = kvmclock_now(c);
			kvmclock_update(&c->vm->kvmclock, c->index, &now);
		}
		return;
	case MSR_APIC_BASE:
		/* Enable (11) and the base; BSP (8) is read-only; no x2APIC (10). */
		if (val & (0xffULL | (1ULL << 9) | (1ULL << 10) | ~EMU_PHYS_MASK))
			break;
		c->apic_base = (val & ~(1ULL << 8)) | (c->apic_base & (1ULL << 8));
		return;
	case MSR_UCODE_REV:
		return; /* writing 0 before CPUID is how the revision is read */
	case MSR_SYSENTER_CS:
		c->sysenter_cs = val & 0xffff;
		return;
	case MSR_SYSENTER_ESP:
		need_canonical(c, val);
		c->sysenter_esp = val;
		return;
	case MSR_SYSENTER_EIP:
		need_canonical(c, val);
		c->sysenter_eip = val;
		return;
	case MSR_MISC_ENABLE:
		/* Keep the read-only "unavailable" bits as they are. */
		c->misc_enable = (val & ~((1ULL << 11) | (1ULL << 12))) |
				 (c->misc_enable & ((1ULL << 11) | (1ULL << 12)));
		return;
	case MSR_DEBUGCTL:
		if (val)
			break; /* no LBR/BTF */
		return;
	case MSR_PAT:
		if (!valid_pat(val))
			break;
		c->pat = val;
		return;
	case MSR_MTRR_DEF_TYPE:
		if (val & ~0xcffULL)
			break;
		c->mtrr_def_type = val;
		return;
	case MSR_TSC_DEADLINE:
		if (!intc || !intc->tsc_deadline)
			break;
		c->tsc_deadline = val;
		return;
	case MSR_EFER:
		write_efer(c, val);
		return;
	case MSR_STAR:
		c->star = val;
		return;
	case MSR_LSTAR:
		need_canonical(c, val);
		c->lstar = val;
		return;
	case MSR_CSTAR:
		need_canonical(c, val);
		c->cstar = val;
		return;
	case MSR_SFMASK:
		if (val >> 32)
			break;
		c->sfmask = val;
		return;
	case MSR_FS_BASE:
		need_canonical(c, val);
		c->seg[S_FS].base = val;
		return;
	case MSR_GS_BASE:
		need_canonical(c, val);
		c->seg[S_GS].base = val;
		return;
	case MSR_KERNEL_GS_BASE:
		need_canonical(c, val);
		c->kernel_gs_base = val;
		return;
	case MSR_TSC_AUX:
		if (val >> 32)
			break;
		c->tsc_aux = val;
		return;
	default:
		break;
	}
	emu_raise(c, EXC_GP, 0);
}
