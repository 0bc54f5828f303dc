/* SSE/SSE2/MMX instructions of the software CPU: the entry point called by
 * the dispatcher for the 0F-map opcodes the core does not own (and the
 * 0F38/0F3A maps, all undefined here: no SSSE3/SSE4), the exception
 * checks and operand helpers shared by emu_exec_sse_*.c, and group 15
 * (0F AE): FXSAVE/FXRSTOR (the 512-byte image of c->fpu),
 * LDMXCSR/STMXCSR, the fences and CLFLUSH, plus MOVNTI and EMMS. */
#include "emu_exec_sse.h"
#include "vslice/x86_regs.h"

#define FSW_ES 0x0080u
#define FSW_TOP_SHIFT 11

void sse_check_xmm(struct emu_cpu *c)
{
	if (!(c->cr4 & X86_CR4_OSFXSR) || (c->cr0 & X86_CR0_EM))
		emu_ud(c);
	if (c->cr0 & X86_CR0_TS)
		emu_raise_noerr(c, EXC_NM);
}

void sse_check_mmx(struct emu_cpu *c)
{
	if (c->cr0 & X86_CR0_EM)
		emu_ud(c);
	if (c->cr0 & X86_CR0_TS)
		emu_raise_noerr(c, EXC_NM);
	if (c->fpu.fsw & FSW_ES)
		emu_raise_noerr(c, EXC_MF);
}

void mmx_enter(struct emu_cpu *c)
{
	c->fpu.fsw &= (uint16_t)~(7u << FSW_TOP_SHIFT);
	c->fpu.ftw = 0; /* all eight tags "valid" */
}

void sse_check_align16(struct emu_cpu *c, const struct emu_insn *in, uint64_t ea)
{
	uint64_t lin = ea;

	/* Segment bases of ES/CS/SS/DS are 0 in 64-bit mode. */
	if (c->mode != MODE_LONG64 || in->seg >= S_FS)
		lin += c->seg[in->seg].base;
	if (lin & 15)
		emu_raise(c, EXC_GP, 0);
}

void sse_load_rm(struct emu_cpu *c, const struct emu_insn *in, union sse_vec *v, unsigned size,
		 bool aligned)
{
	uint64_t ea;

	memset(v, 0, sizeof(*v));
	if (!in->is_mem) {
		memcpy(v->b, c->fpu.xmm[in->rm], size);
		return;
	}
	ea = emu_ea(c, in);
	if (aligned && size == 16)
		sse_check_align16(c, in, ea);
	emu_read_bytes(c, in->seg, ea, v->b, size);
}

void mmx_load_rm(struct emu_cpu *c, const struct emu_insn *in, union sse_vec *v, unsigned size)
{
	memset(v, 0, sizeof(*v));
	if (!in->is_mem) {
		v->q[0] = mmx_get(c, in->rm);
		return;
	}
	emu_read_bytes(c, in->seg, emu_ea(c, in), v->b, size);
}

void sse_store_mem(struct emu_cpu *c, const struct emu_insn *in, const union sse_vec *v,
		   unsigned size, bool aligned)
{
	uint64_t ea = emu_ea(c, in);

	if (aligned && size == 16)
		sse_check_align16(c, in, ea);
	emu_write_bytes(c, in->seg, ea, v->b, size);
}

void sse_fp_flags(struct emu_cpu *c, uint32_t flags)
{
	uint32_t unmasked = flags & ~(c->fpu.mxcsr >> 7) & MXCSR_FLAGS;

	flags &= MXCSR_FLAGS;
	if (unmasked) {
		/* An unmasked invalid, denormal or divide-by-zero (found before
		 * the computation) suppresses the post-computation flags. */
		if (unmasked & (MXCSR_IE | MXCSR_DE | MXCSR_ZE))
			flags &= MXCSR_IE | MXCSR_DE | MXCSR_ZE;
		c->fpu.mxcsr |= flags;
		emu_raise_noerr(c, (c->cr4 & X86_CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD);
	}
	c->fpu.mxcsr |= flags;
}

uint32_t sse_exact_underflow(const struct emu_cpu *c, const union sse_vec *r, bool dbl,
			     unsigned lanes)
{
	if (c->fpu.mxcsr & (MXCSR_UE << 7))
		return 0;
	for (unsigned i = 0; i < lanes; i++) {
		if (dbl ? (r->q[i] & 0x7ff0000000000000ULL) == 0 && (r->q[i] << 1) != 0
			: (r->d[i] & 0x7f800000u) == 0 && (r->d[i] << 1) != 0)
			return MXCSR_UE;
	}
	return 0;
}

/* ---- group 15 ---- */

static unsigned fpu_top(const struct emu_cpu *c)
{
	return (c->fpu.fsw >> FSW_TOP_SHIFT) & 7;
}

/* The abridged tag byte of FXSAVE: bit i set when physical register i is
 * not empty. */
static uint8_t abridged_tag(uint16_t ftw)
{
	uint8_t t = 0;

	for (unsigned i = 0; i < 8; i++)
		if (((ftw >> (2 * i)) & 3) != 3)
			t |= (uint8_t)(1u << i);
	return t;
}

/* The full tag of a non-empty register from its contents (SDM vol. 1,
 * 8.1.7): 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unsupported). */
static unsigned tag_of(const uint8_t r[10])
{
	uint16_t exp = (uint16_t)((r[8] | (r[9] << 8)) & 0x7fff);
	uint64_t mant;

	memcpy(&mant, r, 8);
	if (exp == 0x7fff)
		return 2;
	if (exp == 0)
		return mant ? 2 : 1;
	return (mant >> 63) ? 0 : 2;
}

static void fxsave(struct emu_cpu *c, const struct emu_insn *in, uint64_t ea)
{
	uint8_t img[512];
	unsigned top = fpu_top(c);
	uint16_t fop = c->fpu.fop & 0x7ff;

	if (c->cr0 & (X86_CR0_EM | X86_CR0_TS))
		emu_raise_noerr(c, (c->cr0 & X86_CR0_EM) ? EXC_UD : EXC_NM);
	sse_check_align16(c, in, ea);
	memset(img, 0, sizeof(img));
	memcpy(img + 0, &c->fpu.fcw, 2);
	memcpy(img + 2, &c->fpu.fsw, 2);
	img[4] = abridged_tag(c->fpu.ftw);
	memcpy(img + 6, &fop, 2);
	if (in->rex & 8) { /* FXSAVE64: 64-bit FIP and FDP */
		memcpy(img + 8, &c->fpu.fip, 8);
		memcpy(img + 16, &c->fpu.fdp, 8);
	} else { /* 32-bit offsets; selectors are not tracked (0) */
		memcpy(img + 8, &c->fpu.fip, 4);
		memcpy(img + 16, &c->fpu.fdp, 4);
	}
	memcpy(img + 24, &c->fpu.mxcsr, 4);
	uint32_t mask = MXCSR_WRITABLE;
	memcpy(img + 28, &mask, 4);
	/* ST(i), in stack order. */
	for (unsigned i = 0; i < 8; i++)
		memcpy(img + 32 + 16 * i, c->fpu.st[(top + i) & 7], 10);
	/* XMM8-15 only in 64-bit mode. */
	for (unsigned i = 0; i < (c->mode == MODE_LONG64 ? 16u : 8u); i++)
		memcpy(img + 160 + 16 * i, c->fpu.xmm[i], 16);
	emu_write_bytes(c, in->seg, ea, img, sizeof(img));
}

static void fxrstor(struct emu_cpu *c, const struct emu_insn *in, uint64_t ea)
{
	uint8_t img[512];
	uint32_t mxcsr;
	unsigned top;
	uint16_t ftw = 0;

	if (c->cr0 & (X86_CR0_EM | X86_CR0_TS))
		emu_raise_noerr(c, (c->cr0 & X86_CR0_EM) ? EXC_UD : EXC_NM);
	sse_check_align16(c, in, ea);
	emu_read_bytes(c, in->seg, ea, img, sizeof(img));
	memcpy(&mxcsr, img + 24, 4);
	if (mxcsr & ~MXCSR_WRITABLE)
		emu_raise(c, EXC_GP, 0);
	memcpy(&c->fpu.fcw, img + 0, 2);
	memcpy(&c->fpu.fsw, img + 2, 2);
	memcpy(&c->fpu.fop, img + 6, 2);
	c->fpu.fop &= 0x7ff;
	c->fpu.fip = c->fpu.fdp = 0;
	if (in->rex & 8) {
		memcpy(&c->fpu.fip, img + 8, 8);
		memcpy(&c->fpu.fdp, img + 16, 8);
	} else {
		memcpy(&c->fpu.fip, img + 8, 4);
		memcpy(&c->fpu.fdp, img + 16, 4);
	}
	c->fpu.mxcsr = mxcsr;
	top = fpu_top(c);
	for (unsigned i = 0; i < 8; i++)
		memcpy(c->fpu.st[(top + i) & 7], img + 32 + 16 * i, 10);
	/* Rebuild the full tag word: empty stays empty, else from contents. */
	for (unsigned i = 0; i < 8; i++)
		ftw |= (uint16_t)((img[4] & (1u << i)) ? tag_of(c->fpu.st[i]) : 3) << (2 * i);
	c->fpu.ftw = ftw;
	for (unsigned i = 0; i < (c->mode == MODE_LONG64 ? 16u : 8u); i++)
		memcpy(c->fpu.xmm[i], img + 160 + 16 * i, 16);
}

static bool group15(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned r = (in->modrm >> 3) & 7;
	uint64_t ea;
	uint32_t v;

	if (!in->is_mem) {
		/* LFENCE, MFENCE, SFENCE (no prefix). */
		if (in->simd_pfx || r < 5)
			return false;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return true;
	}
	if (in->simd_pfx)
		return false;
	ea = emu_ea(c, in);
	switch (r) {
	case 0:
		fxsave(c, in, ea);
		return true;
	case 1:
		fxrstor(c, in, ea);
		return true;
	case 2: /* LDMXCSR */
		sse_check_xmm(c);
		v = (uint32_t)emu_read(c, in->seg, ea, 4);
		if (v & ~MXCSR_WRITABLE)
			emu_raise(c, EXC_GP, 0);
		c->fpu.mxcsr = v;
		return true;
	case 3: /* STMXCSR */
		sse_check_xmm(c);
		emu_write(c, in->seg, ea, 4, c->fpu.mxcsr);
		return true;
	case 7: /* CLFLUSH: caches are not modelled, but the access is checked */
		(void)emu_read(c, in->seg, ea, 1);
		return true;
	}
	return false;
}

bool emu_exec_sse(struct emu_cpu *c, const struct emu_insn *in)
{
	if (in->map != MAP_0F)
		return false; /* 0F38 / 0F3A: SSSE3 and later, not implemented */
	switch (in->op) {
	case 0xae:
		return group15(c, in);
	case 0xc3: /* MOVNTI m32/m64, r */
		if (!in->is_mem || in->simd_pfx)
			return false;
		rm_set(c, in, in->opsize == 8 ? 8 : 4, reg_get(c, in, in->reg, in->opsize == 8 ? 8 : 4));
		return true;
	case 0x77: /* EMMS: every x87 tag empty */
		if (in->simd_pfx)
			return false;
		sse_check_mmx(c);
		c->fpu.ftw = 0xffff;
		return true;
	case 0x10 ... 0x13: case 0x16: case 0x17: case 0x28: case 0x29: case 0x2b: case 0x50:
	case 0x6e: case 0x6f: case 0x7e: case 0x7f: case 0xd6: case 0xe7: case 0xf7:
		return sse_exec_move(c, in);
	case 0x2a: case 0x2c: case 0x2d: case 0x5a: case 0x5b: case 0xe6:
		return sse_exec_cvt(c, in);
	case 0x14: case 0x15: case 0x2e: case 0x2f: case 0x51 ... 0x59: case 0x5c ... 0x5f:
	case 0xc2: case 0xc6:
		return sse_exec_fp(c, in);
	case 0x60 ... 0x6d: case 0x70 ... 0x76: case 0xc4: case 0xc5: case 0xd1 ... 0xd5:
	case 0xd7 ... 0xdf: case 0xe0 ... 0xe5: case 0xe8 ... 0xef: case 0xf1 ... 0xf6:
	case 0xf8 ... 0xfe:
		return sse_exec_int(c, in);
	}
	return false;
}
