/* Software CPU: system state. Mode derivation, control registers with the
 * checks that raise #GP, SYSCALL/SYSRET, SYSENTER/SYSEXIT, SWAPGS, port
 * I/O with the IOPL / TSS I/O-bitmap check, and the reset state. */
#include <string.h>

#include "emu_sys.h"
#include "emu_vm.h"
#include "vslice/x86_regs.h"

#define CR4_TSD (1ULL << 2)
#define CR4_DE (1ULL << 3)
#define CR4_MCE (1ULL << 6)
#define CR4_PCE (1ULL << 8)
/* The CR4 bits this CPU implements; any other bit set raises #GP. */
#define CR4_ALLOWED                                                                                \
	(CR4_TSD | CR4_DE | X86_CR4_PSE | X86_CR4_PAE | CR4_MCE | X86_CR4_PGE | CR4_PCE |          \
	 X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

void emu_update_mode(struct emu_cpu *c)
{
	unsigned cs = c->seg[S_CS].attr;
	if (!(c->cr0 & X86_CR0_PE)) {
		c->mode = MODE_REAL;
		c->cpl = 0;
	} else if (c->rflags & FL_VM) {
		c->mode = MODE_REAL; /* virtual-8086: real-mode addressing at CPL 3 */
		c->cpl = 3;
	} else {
		/* The CPL is kept in SS.DPL (also for a null SS in 64-bit mode). */
		c->cpl = SEG_ATTR_DPL(c->seg[S_SS].attr);
		if (c->efer & X86_EFER_LMA)
			c->mode = SEG_ATTR_L(cs)    ? MODE_LONG64
				  : SEG_ATTR_DB(cs) ? MODE_COMPAT32
						    : MODE_COMPAT16;
		else
			c->mode = SEG_ATTR_DB(cs) ? MODE_PROT32 : MODE_PROT16;
	}
}

static void require_cpl0(struct emu_cpu *c)
{
	if ((c->cr0 & X86_CR0_PE) && c->cpl != 0)
		emu_raise(c, EXC_GP, 0);
}

static void write_cr0(struct emu_cpu *c, uint64_t val)
{
	if (val >> 32)
		emu_raise(c, EXC_GP, 0);
	val |= X86_CR0_ET;
	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		emu_raise(c, EXC_GP, 0);
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		emu_raise(c, EXC_GP, 0);
	uint64_t old = c->cr0;
	uint64_t efer = c->efer;
	if (!(old & X86_CR0_PG) && (val & X86_CR0_PG) && (efer & X86_EFER_LME)) {
		/* Entering long mode: PAE required, and not from a 64-bit CS. */
		if (!(c->cr4 & X86_CR4_PAE) || SEG_ATTR_L(c->seg[S_CS].attr))
			emu_raise(c, EXC_GP, 0);
		efer |= X86_EFER_LMA;
	}
	if ((old & X86_CR0_PG) && !(val & X86_CR0_PG) && (efer & X86_EFER_LMA)) {
		if (c->mode == MODE_LONG64)
			emu_raise(c, EXC_GP, 0);
		efer &= ~X86_EFER_LMA;
	}
	c->cr0 = val;
	c->efer = efer;
	if ((old ^ val) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
		emu_tlb_flush(c, true);
	emu_update_mode(c);
}

static void write_cr4(struct emu_cpu *c, uint64_t val)
{
	if (val & ~CR4_ALLOWED)
		emu_raise(c, EXC_GP, 0);
	if ((c->efer & X86_EFER_LMA) && !(val & X86_CR4_PAE))
		emu_raise(c, EXC_GP, 0);
	uint64_t old = c->cr4;
	c->cr4 = val;
	if ((old ^ val) & (X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE))
		emu_tlb_flush(c, true);
}

void emu_write_cr(struct emu_cpu *c, int cr, uint64_t val)
{
	if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && cr != 8)
		emu_raise_noerr(c, EXC_UD);
	require_cpl0(c);
	switch (cr) {
	case 0:
		write_cr0(c, val);
		break;
	case 2:
		c->cr2 = val;
		break;
	case 3:
		/* Bits above MAXPHYADDR are reserved (no PCID support). */
		if ((c->efer & X86_EFER_LMA) && (val & ~EMU_PHYS_MASK))
			emu_raise(c, EXC_GP, 0);
		if (!(c->efer & X86_EFER_LMA))
			val &= 0xffffffffULL;
		c->cr3 = val;
		emu_tlb_flush(c, !(c->cr4 & X86_CR4_PGE));
		break;
	case 4:
		write_cr4(c, val);
		break;
	case 8:
		if (val & ~0xfULL)
			emu_raise(c, EXC_GP, 0);
		c->cr8 = val;
		if (c->vm && c->vm->intc && c->vm->intc->set_tpr)
			c->vm->intc->set_tpr(c->vm->intc_opaque, c->index, (unsigned)val);
		break;
	}
}

/* No CPL check here: SMSW reads CR0 at any CPL; MOV from CRn checks CPL
 * in the core. */
uint64_t emu_read_cr(struct emu_cpu *c, int cr)
{
	if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && cr != 8)
		emu_raise_noerr(c, EXC_UD);
	switch (cr) {
	case 0:
		return c->cr0;
	case 2:
		return c->cr2;
	case 3:
		return c->cr3;
	case 4:
		return c->cr4;
	default:
		/* The TPR can change through the APIC page: ask the APIC. */
		if (c->vm && c->vm->intc && c->vm->intc->get_tpr)
			return c->vm->intc->get_tpr(c->vm->intc_opaque, c->index);
		return c->cr8;
	}
}

/* ---- fast system calls ---- */

void emu_syscall(struct emu_cpu *c, uint64_t next_rip)
{
	/* Intel: SYSCALL exists in 64-bit mode only. */
	if (!(c->efer & X86_EFER_SCE) || c->mode != MODE_LONG64)
		emu_raise_noerr(c, EXC_UD);
	uint16_t sel = (uint16_t)(c->star >> 32);
	c->gpr[R_CX] = next_rip;
	c->gpr[R_R11] = c->rflags & ~(uint64_t)FL_RF;
	emu_seg_flat_code(&c->seg[S_CS], sel & 0xfffc, 0, true);
	emu_seg_flat_data(&c->seg[S_SS], (uint16_t)((sel + 8) & 0xfffc), 0);
	c->rflags = (c->rflags & ~c->sfmask & ~(uint64_t)FL_RF) | 2;
	c->rip = c->lstar;
	emu_update_mode(c);
}

void emu_sysret(struct emu_cpu *c, unsigned opsize)
{
	if (!(c->efer & X86_EFER_SCE) || c->mode != MODE_LONG64)
		emu_raise_noerr(c, EXC_UD);
	if (c->cpl != 0)
		emu_raise(c, EXC_GP, 0);
	uint16_t sel = (uint16_t)(c->star >> 48);
	uint64_t rip = c->gpr[R_CX];
	if (opsize == 8) {
		if (!emu_is_canonical(rip))
			emu_raise(c, EXC_GP, 0);
		emu_seg_flat_code(&c->seg[S_CS], (uint16_t)((sel + 16) | 3), 3, true);
	} else {
		rip &= 0xffffffffULL;
		emu_seg_flat_code(&c->seg[S_CS], sel | 3, 3, false);
	}
	emu_seg_flat_data(&c->seg[S_SS], (uint16_t)((sel + 8) | 3), 3);
	c->rflags = (c->gpr[R_R11] & 0x3c7fd7) | 2;
	c->rip = rip;
	emu_update_mode(c);
}

void emu_sysenter(struct emu_cpu *c)
{
	if (!(c->cr0 & X86_CR0_PE) || (c->sysenter_cs & 0xfffc) == 0)
		emu_raise(c, EXC_GP, 0);
	bool lma = c->efer & X86_EFER_LMA;
	uint16_t sel = (uint16_t)c->sysenter_cs;
	c->rflags &= ~(uint64_t)(FL_VM | FL_IF | FL_RF);
	emu_seg_flat_code(&c->seg[S_CS], sel & 0xfffc, 0, lma);
	emu_seg_flat_data(&c->seg[S_SS], (uint16_t)((sel + 8) & 0xfffc), 0);
	c->gpr[R_SP] = lma ? c->sysenter_esp : (uint32_t)c->sysenter_esp;
	c->rip = lma ? c->sysenter_eip : (uint32_t)c->sysenter_eip;
	emu_update_mode(c);
}

void emu_sysexit(struct emu_cpu *c, unsigned opsize)
{
	if (!(c->cr0 & X86_CR0_PE) || (c->rflags & FL_VM) || c->cpl != 0 ||
	    (c->sysenter_cs & 0xfffc) == 0)
		emu_raise(c, EXC_GP, 0);
	uint16_t sel = (uint16_t)c->sysenter_cs;
	uint64_t rip = c->gpr[R_DX], rsp = c->gpr[R_CX];
	if (opsize == 8) {
		if (!emu_is_canonical(rip) || !emu_is_canonical(rsp))
			emu_raise(c, EXC_GP, 0);
		emu_seg_flat_code(&c->seg[S_CS], (uint16_t)((sel + 32) | 3), 3, true);
		emu_seg_flat_data(&c->seg[S_SS], (uint16_t)((sel + 40) | 3), 3);
	} else {
		rip &= 0xffffffffULL;
		rsp &= 0xffffffffULL;
		emu_seg_flat_code(&c->seg[S_CS], (uint16_t)((sel + 16) | 3), 3, false);
		emu_seg_flat_data(&c->seg[S_SS], (uint16_t)((sel + 24) | 3), 3);
	}
	c->gpr[R_SP] = rsp;
	c->rip = rip;
	emu_update_mode(c);
}

void emu_swapgs(struct emu_cpu *c)
{
	if (c->mode != MODE_LONG64)
		emu_raise_noerr(c, EXC_UD);
	if (c->cpl != 0)
		emu_raise(c, EXC_GP, 0);
	uint64_t t = c->seg[S_GS].base;
	c->seg[S_GS].base = c->kernel_gs_base;
	c->kernel_gs_base = t;
}

/* ---- port I/O ---- */

/* IOPL, then the TSS I/O permission bitmap (SDM vol. 1, 19.5). */
static void check_io(struct emu_cpu *c, uint16_t port, unsigned size)
{
	if (!(c->cr0 & X86_CR0_PE))
		return;
	int iopl = (c->rflags & FL_IOPL) >> 12;
	if (!(c->rflags & FL_VM) && c->cpl <= iopl)
		return;
	unsigned type = SEG_ATTR_TYPE(c->tr.attr);
	if (!SEG_ATTR_P(c->tr.attr) || (type != 9 && type != 0xb) || c->tr.limit < 0x67)
		emu_raise(c, EXC_GP, 0);
	uint32_t map = (uint32_t)emu_read_linear(c, c->tr.base + 0x66, 2, 0);
	uint32_t at = map + port / 8;
	if ((uint64_t)at + 1 > c->tr.limit)
		emu_raise(c, EXC_GP, 0);
	uint32_t bits = (uint32_t)emu_read_linear(c, c->tr.base + at, 2, 0);
	uint32_t want = ((1u << size) - 1) << (port & 7);
	if (bits & want)
		emu_raise(c, EXC_GP, 0);
}

uint32_t emu_port_in(struct emu_cpu *c, uint16_t port, unsigned size)
{
	if (size != 1 && size != 2 && size != 4)
		emu_internal_error(c, "port input of an invalid size");
	check_io(c, port, size);
	uint32_t v = 0xffffffffu;
	if (c->io.pio)
		c->io.pio(c->io.opaque, port, &v, size, false);
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

void emu_port_out(struct emu_cpu *c, uint16_t port, unsigned size, uint32_t val)
{
	if (size != 1 && size != 2 && size != 4)
		emu_internal_error(c, "port output of an invalid size");
	check_io(c, port, size);
	if (c->io.pio)
		c->io.pio(c->io.opaque, port, &val, size, true);
}

/* ---- reset ---- */

static void reset_seg(struct emu_seg *s, uint16_t sel, uint64_t base, uint16_t attr)
{
	s->sel = sel;
	s->base = base;
	s->limit = 0xffff;
	s->attr = attr;
}

void emu_cpu_reset(struct emu_cpu *c)
{
	/* SDM vol. 3, Table 9-1 (power-up state). */
	memset(c->gpr, 0, sizeof(c->gpr));
	c->gpr[R_DX] = 0x000306a9; /* family/model/stepping, as CPUID.1:EAX */
	c->rip = 0xfff0;
	c->rflags = 2;
	for (int i = 0; i < S_COUNT; i++)
		reset_seg(&c->seg[i], 0, 0, 0x93); /* present r/w data, accessed */
	reset_seg(&c->seg[S_CS], 0xf000, 0xffff0000ULL, 0x9b);
	reset_seg(&c->ldtr, 0, 0, 0x82);
	reset_seg(&c->tr, 0, 0, 0x8b);
	c->gdtr = (struct emu_dtable){0, 0xffff};
	c->idtr = (struct emu_dtable){0, 0xffff};
	c->cr0 = 0x60000010;
	c->cr2 = c->cr3 = c->cr4 = c->cr8 = 0;
	c->efer = 0;
	c->xcr0 = 1;
	c->star = c->lstar = c->cstar = c->sfmask = c->kernel_gs_base = 0;
	c->sysenter_cs = c->sysenter_esp = c->sysenter_eip = 0;
	c->pat = 0x0007040600070406ULL;
	c->apic_base = 0xfee00000ULL | (1u << 11) | (c->index == 0 ? 1u << 8 : 0);
	c->misc_enable = 1 | (1u << 11) | (1u << 12); /* fast strings; no BTS, no PEBS */
	c->tsc_deadline = 0;
	c->tsc_aux = 0;
	/* MTRRs enabled with write-back as the default type and no ranges,
	 * as firmware would leave them (we have no firmware to do it). */
	c->mtrr_def_type = 0x806;
	memset(&c->fpu, 0, sizeof(c->fpu));
	c->fpu.fcw = 0x40;
	c->fpu.ftw = 0x5555;
	c->fpu.mxcsr = 0x1f80;
	c->pending_exc = -1;
	c->pending_err = 0;
	c->pending_has_err = false;
	c->exc_nesting = 0;
	c->interrupt_shadow = false;
	c->halted = false;
	c->triple_fault = false;
	c->shutdown_request = false;
	c->internal_error = NULL;
	c->nmi_pending = false;
	c->nmi_blocked = false;
	emu_tlb_flush(c, true);
	emu_update_mode(c);
}
