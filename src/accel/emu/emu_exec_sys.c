/* System instructions of the software CPU, decoded here and carried out
 * by the emu_system functions: IN/OUT (with the IOPL / TSS I/O bitmap
 * check), HLT, CLI/STI, groups 6 and 7 (descriptor tables, LLDT/LTR,
 * SMSW/LMSW, INVLPG, SWAPGS, RDTSCP), LAR/LSL/VERR/VERW, MOV CRn/DRn,
 * CLTS, INVD/WBINVD, RDMSR/WRMSR, RDTSC, CPUID, SYSCALL/SYSRET,
 * SYSENTER/SYSEXIT. */
#include "emu_exec.h"
#include "vslice/x86_regs.h"

static bool protected_mode(const struct emu_cpu *c)
{
	return c->cr0 & X86_CR0_PE;
}

static void need_cpl0(struct emu_cpu *c)
{
	if (c->cpl != 0 || (c->rflags & FL_VM))
		emu_raise(c, EXC_GP, 0);
}

void emu_io_check(struct emu_cpu *c, uint16_t port, unsigned size)
{
	unsigned iopl = (c->rflags & FL_IOPL) >> 12;
	unsigned type = SEG_ATTR_TYPE(c->tr.attr);
	uint64_t at, bits;

	if (!protected_mode(c))
		return;
	if (!(c->rflags & FL_VM) && (unsigned)c->cpl <= iopl)
		return;
	/* The I/O permission bitmap of a 32/64-bit TSS. */
	if ((type != 9 && type != 11) || c->tr.limit < 0x67)
		emu_raise(c, EXC_GP, 0);
	at = emu_read_linear(c, c->tr.base + 0x66, 2, 0) + port / 8u;
	if (at + 1 > c->tr.limit)
		emu_raise(c, EXC_GP, 0);
	bits = emu_read_linear(c, c->tr.base + at, 2, 0);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		emu_raise(c, EXC_GP, 0);
}

/* Base of a segment for linear addresses (ignored for ES/CS/SS/DS in
 * 64-bit mode). */
static uint64_t seg_base(const struct emu_cpu *c, int seg)
{
	if (c->mode == MODE_LONG64 && seg < S_FS)
		return 0;
	return c->seg[seg].base;
}

/* Reads the descriptor of sel for LAR/LSL/VERR/VERW; false if the
 * selector is null or outside its table. */
static bool read_desc(struct emu_cpu *c, uint16_t sel, uint64_t *lo)
{
	const struct emu_dtable *t;
	struct emu_dtable ldt;
	uint32_t idx = sel & ~7u;

	if ((sel & ~3u) == 0)
		return false;
	if (sel & 4) {
		if ((c->ldtr.sel & ~3u) == 0)
			return false;
		ldt.base = c->ldtr.base;
		ldt.limit = (uint16_t)(c->ldtr.limit > 0xffff ? 0xffff : c->ldtr.limit);
		t = &ldt;
	} else {
		t = &c->gdtr;
	}
	if (idx + 7 > t->limit)
		return false;
	*lo = emu_read_linear(c, t->base + idx, 8, 0);
	return true;
}

/* Privilege rule shared by LAR/LSL/VERR/VERW: conforming code is always
 * visible, everything else needs DPL >= CPL and DPL >= RPL. */
static bool desc_visible(const struct emu_cpu *c, uint64_t d, uint16_t sel)
{
	unsigned dpl = (d >> 45) & 3, type = (d >> 40) & 15;
	bool s = (d >> 44) & 1;

	if (s && (type & 0xc) == 0xc)
		return true;
	return dpl >= (unsigned)c->cpl && dpl >= (sel & 3u);
}

/* Whether a system descriptor type is valid for LAR (lar) or LSL. */
static bool sys_type_ok(const struct emu_cpu *c, unsigned type, bool lar)
{
	bool lm = c->mode == MODE_LONG64 || c->mode == MODE_COMPAT16 || c->mode == MODE_COMPAT32;

	if (lm)
		return type == 2 || type == 9 || type == 11 || (lar && type == 12);
	switch (type) {
	case 1: case 2: case 3: case 9: case 11:
		return true;
	case 4: case 5: case 12:
		return lar;
	}
	return false;
}

static void lar_lsl(struct emu_cpu *c, const struct emu_insn *in, bool lar)
{
	uint16_t sel = (uint16_t)rm_get(c, in, 2);
	uint64_t d;
	bool ok;

	if (!protected_mode(c) || (c->rflags & FL_VM))
		emu_ud(c);
	ok = read_desc(c, sel, &d) && desc_visible(c, d, sel);
	if (ok && !((d >> 44) & 1))
		ok = sys_type_ok(c, (d >> 40) & 15, lar);
	if (!ok) {
		c->rflags &= ~(uint64_t)FL_ZF;
		return;
	}
	if (lar) {
		reg_set(c, in, in->reg, in->opsize, d >> 32 & 0x00f0ff00);
	} else {
		uint64_t limit = (d & 0xffff) | ((d >> 32) & 0xf0000);

		if (d & (1ULL << 55))
			limit = (limit << 12) | 0xfff;
		reg_set(c, in, in->reg, in->opsize, limit);
	}
	c->rflags |= FL_ZF;
}

static void verr_verw(struct emu_cpu *c, const struct emu_insn *in, bool write)
{
	uint16_t sel = (uint16_t)rm_get(c, in, 2);
	uint64_t d;
	bool ok = read_desc(c, sel, &d) && ((d >> 44) & 1) && desc_visible(c, d, sel);

	if (ok) {
		unsigned type = (d >> 40) & 15;

		if (write)
			ok = !(type & 8) && (type & 2);
		else
			ok = !(type & 8) || (type & 2);
	}
	if (ok)
		c->rflags |= FL_ZF;
	else
		c->rflags &= ~(uint64_t)FL_ZF;
}

static bool group6(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned r = (in->modrm >> 3) & 7;

	if (!protected_mode(c) || (c->rflags & FL_VM))
		return false;
	switch (r) {
	case 0: /* SLDT */
	case 1: /* STR */
		if (in->is_mem)
			rm_set(c, in, 2, r ? c->tr.sel : c->ldtr.sel);
		else
			reg_set(c, in, in->rm, in->opsize, r ? c->tr.sel : c->ldtr.sel);
		return true;
	case 2: /* LLDT */
	case 3: { /* LTR */
		uint16_t sel;

		need_cpl0(c);
		sel = (uint16_t)rm_get(c, in, 2);
		if (r == 2)
			emu_lldt(c, sel);
		else
			emu_ltr(c, sel);
		return true;
	}
	case 4:
		verr_verw(c, in, false);
		return true;
	case 5:
		verr_verw(c, in, true);
		return true;
	}
	return false;
}

static bool group7(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned r = (in->modrm >> 3) & 7;
	bool x64 = c->mode == MODE_LONG64;
	uint64_t ea, base, v;

	if (!in->is_mem) {
		switch (in->modrm) {
		case 0xf8: /* SWAPGS */
			emu_swapgs(c);
			return true;
		case 0xf9: /* RDTSCP */
			if ((c->cr4 & 4) && c->cpl != 0)
				emu_raise(c, EXC_GP, 0);
			v = emu_rdtsc(c);
			c->gpr[R_AX] = v & 0xffffffffu;
			c->gpr[R_DX] = v >> 32;
			c->gpr[R_CX] = c->tsc_aux & 0xffffffffu;
			return true;
		}
		if (r == 4) { /* SMSW r */
			reg_set(c, in, in->rm, in->opsize, emu_read_cr(c, 0));
			return true;
		}
		if (r == 6)
			goto lmsw;
		return false;
	}
	ea = emu_ea(c, in);
	switch (r) {
	case 0: /* SGDT */
	case 1: { /* SIDT */
		const struct emu_dtable *t = r ? &c->idtr : &c->gdtr;

		emu_write(c, in->seg, ea, 2, t->limit);
		emu_write(c, in->seg, (ea + 2) & addr_mask(in->addrsize), x64 ? 8 : 4,
			  x64 ? t->base : t->base & 0xffffffffu);
		return true;
	}
	case 2: /* LGDT */
	case 3: { /* LIDT */
		uint16_t limit;

		need_cpl0(c);
		limit = (uint16_t)emu_read(c, in->seg, ea, 2);
		base = emu_read(c, in->seg, (ea + 2) & addr_mask(in->addrsize), x64 ? 8 : 4);
		if (!x64 && in->opsize == 2)
			base &= 0xffffff;
		emu_lgdt_lidt(c, r == 3, base, limit);
		return true;
	}
	case 4: /* SMSW m16 */
		emu_write(c, in->seg, ea, 2, emu_read_cr(c, 0) & 0xffff);
		return true;
	case 6:
	lmsw: {
		uint64_t cr0, src;

		need_cpl0(c);
		src = rm_get(c, in, 2);
		cr0 = emu_read_cr(c, 0);
		/* LMSW sets PE but never clears it; MP, EM, TS follow the source. */
		emu_write_cr(c, 0, (cr0 & ~0xeULL) | (src & 0xf) | (cr0 & 1));
		return true;
	}
	case 7: /* INVLPG */
		need_cpl0(c);
		emu_tlb_flush_page(c, seg_base(c, in->seg) + ea);
		return true;
	}
	return false;
}

static bool mov_cr_dr(struct emu_cpu *c, const struct emu_insn *in)
{
	bool to = in->op & 2;
	unsigned n = in->reg;
	unsigned sz = c->mode == MODE_LONG64 ? 8 : 4;
	unsigned gpr = in->rm;

	if (c->rflags & FL_VM)
		emu_raise(c, EXC_GP, 0);
	if (in->op == 0x20 || in->op == 0x22) {
		if (n != 0 && n != 2 && n != 3 && n != 4 && n != 8)
			emu_ud(c);
		need_cpl0(c);
		if (to)
			emu_write_cr(c, (int)n, c->gpr[gpr] & size_mask(sz));
		else
			c->gpr[gpr] = emu_read_cr(c, (int)n) & size_mask(sz);
		return true;
	}
	/* Debug registers: stored and read back, not acted on. */
	if (n > 7)
		emu_ud(c);
	if ((n == 4 || n == 5) && (c->cr4 & 8))
		emu_ud(c);
	need_cpl0(c);
	if (n == 4 || n == 5)
		n += 2;
	if (to) {
		uint64_t v = c->gpr[gpr] & size_mask(sz);

		if (n >= 6 && (v >> 32))
			emu_raise(c, EXC_GP, 0);
		if (n == 6)
			v = (v & 0x1e00f) | 0xffff0ff0;
		else if (n == 7)
			v = (v & 0xffff2bff) | 0x400;
		c->dr[n] = v;
	} else {
		c->gpr[gpr] = c->dr[n] & size_mask(sz);
	}
	return true;
}

static bool exec_0f(struct emu_cpu *c, const struct emu_insn *in)
{
	uint32_t out[4];
	uint64_t v;

	switch (in->op) {
	case 0x00:
		return group6(c, in);
	case 0x01:
		return group7(c, in);
	case 0x02: /* LAR */
	case 0x03: /* LSL */
		lar_lsl(c, in, in->op == 0x02);
		return true;
	case 0x05: /* SYSCALL */
		emu_syscall(c, c->rip);
		return true;
	case 0x06: /* CLTS */
		need_cpl0(c);
		emu_write_cr(c, 0, emu_read_cr(c, 0) & ~(uint64_t)X86_CR0_TS);
		return true;
	case 0x07: /* SYSRET */
		emu_sysret(c, in->opsize);
		return true;
	case 0x08: /* INVD */
	case 0x09: /* WBINVD */
		need_cpl0(c);
		return true;
	case 0x20 ... 0x23:
		return mov_cr_dr(c, in);
	case 0x30: /* WRMSR */
		need_cpl0(c);
		emu_wrmsr(c, (uint32_t)c->gpr[R_CX],
			  (c->gpr[R_AX] & 0xffffffffu) | (c->gpr[R_DX] << 32));
		return true;
	case 0x31: /* RDTSC */
		if ((c->cr4 & 4) && c->cpl != 0)
			emu_raise(c, EXC_GP, 0);
		v = emu_rdtsc(c);
		c->gpr[R_AX] = v & 0xffffffffu;
		c->gpr[R_DX] = v >> 32;
		return true;
	case 0x32: /* RDMSR */
		need_cpl0(c);
		v = emu_rdmsr(c, (uint32_t)c->gpr[R_CX]);
		c->gpr[R_AX] = v & 0xffffffffu;
		c->gpr[R_DX] = v >> 32;
		return true;
	case 0x33: /* RDPMC: no counters */
		emu_raise(c, EXC_GP, 0);
	case 0x34:
		emu_sysenter(c);
		return true;
	case 0x35:
		emu_sysexit(c, in->opsize);
		return true;
	case 0xa2: /* CPUID */
		emu_cpuid(c, (uint32_t)c->gpr[R_AX], (uint32_t)c->gpr[R_CX], out);
		c->gpr[R_AX] = out[0];
		c->gpr[R_BX] = out[1];
		c->gpr[R_CX] = out[2];
		c->gpr[R_DX] = out[3];
		return true;
	}
	return false;
}

bool emu_exec_system(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned iopl = (c->rflags & FL_IOPL) >> 12;
	unsigned size = (in->op & 1) ? (in->opsize == 2 ? 2 : 4) : 1;
	uint16_t port;
	uint64_t v;

	if (in->map == MAP_0F)
		return exec_0f(c, in);

	switch (in->op) {
	case 0xe4: case 0xe5: case 0xec: case 0xed: /* IN */
		port = in->op < 0xe8 ? (uint16_t)(in->imm & 0xff) : (uint16_t)c->gpr[R_DX];
		emu_io_check(c, port, size);
		v = emu_port_in(c, port, size);
		reg_set(c, in, R_AX, size, v);
		return true;
	case 0xe6: case 0xe7: case 0xee: case 0xef: /* OUT */
		port = in->op < 0xe8 ? (uint16_t)(in->imm & 0xff) : (uint16_t)c->gpr[R_DX];
		emu_io_check(c, port, size);
		emu_port_out(c, port, size, (uint32_t)(c->gpr[R_AX] & size_mask(size)));
		return true;
	case 0xf4: /* HLT */
		need_cpl0(c);
		c->halted = true;
		return true;
	case 0xfa: /* CLI */
	case 0xfb: /* STI */
		if (protected_mode(c)) {
			bool ok = (c->rflags & FL_VM) ? iopl == 3 : (unsigned)c->cpl <= iopl;

			if (!ok)
				emu_raise(c, EXC_GP, 0);
		}
		if (in->op == 0xfa) {
			c->rflags &= ~(uint64_t)FL_IF;
		} else {
			if (!(c->rflags & FL_IF))
				c->interrupt_shadow = true;
			c->rflags |= FL_IF;
		}
		return true;
	}
	return false;
}
