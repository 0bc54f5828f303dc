/* SSE-family instructions of the software CPU. So far only group 15
 * (0F AE): FXSAVE/FXRSTOR (the 512-byte image of the x87/SSE state kept
 * in c->fpu), LDMXCSR/STMXCSR, LFENCE/MFENCE/SFENCE and CLFLUSH, plus
 * MOVNTI. The SSE/SSE2 arithmetic and data-movement instructions are not
 * implemented yet: they raise #UD, and CPUID does not advertise SSE. */
#include <string.h>

#include "emu_exec.h"
#include "vslice/x86_regs.h"

#define MXCSR_MASK 0x0000ffffu /* writable MXCSR bits (DAZ included) */

/* #UD without OSFXSR or with EM, #NM with TS (SDM vol. 3, 13.1). */
static void sse_check(struct emu_cpu *c)
{
	if (!(c->cr4 & X86_CR4_OSFXSR) || (c->cr0 & X86_CR0_EM))
		emu_ud(c);
	if (c->cr0 & X86_CR0_TS)
		emu_raise_noerr(c, EXC_NM);
}

/* The abridged tag byte of FXSAVE: bit i set when register i is not empty. */
static uint8_t abridged_tag(uint16_t ftw)
{
	uint8_t t = 0;

	for (unsigned i = 0; i < 8; i++)
		if (((ftw >> (2 * i)) & 3) != 3)
			t |= (uint8_t)(1u << i);
	return t;
}

static uint16_t full_tag(uint8_t abridged)
{
	/* Non-empty registers become "valid"; the exact class (zero,
	 * special) is recomputed by the x87 code when it exists. */
	uint16_t ftw = 0;

	for (unsigned i = 0; i < 8; i++)
		ftw |= (uint16_t)((abridged & (1u << i)) ? 0 : 3) << (2 * i);
	return ftw;
}

static void fxsave(struct emu_cpu *c, const struct emu_insn *in, uint64_t ea)
{
	uint8_t img[512];

	if (c->cr0 & (X86_CR0_EM | X86_CR0_TS))
		emu_raise_noerr(c, (c->cr0 & X86_CR0_EM) ? EXC_UD : EXC_NM);
	if (ea & 15)
		emu_raise(c, EXC_GP, 0);
	memset(img, 0, sizeof(img));
	memcpy(img + 0, &c->fpu.fcw, 2);
	memcpy(img + 2, &c->fpu.fsw, 2);
	img[4] = abridged_tag(c->fpu.ftw);
	memcpy(img + 6, &c->fpu.fop, 2);
	memcpy(img + 8, &c->fpu.fip, 8);  /* 64-bit layout: FIP, FDP */
	memcpy(img + 16, &c->fpu.fdp, 8);
	memcpy(img + 24, &c->fpu.mxcsr, 4);
	uint32_t mask = MXCSR_MASK;
	memcpy(img + 28, &mask, 4);
	for (unsigned i = 0; i < 8; i++)
		memcpy(img + 32 + 16 * i, c->fpu.st[i], 10);
	/* XMM8-15 only in 64-bit mode. */
	for (unsigned i = 0; i < (c->mode == MODE_LONG64 ? 16u : 8u); i++)
		memcpy(img + 160 + 16 * i, c->fpu.xmm[i], 16);
	emu_write_bytes(c, in->seg, ea, img, sizeof(img));
}

static void fxrstor(struct emu_cpu *c, const struct emu_insn *in, uint64_t ea)
{
	uint8_t img[512];
	uint32_t mxcsr;

	if (c->cr0 & (X86_CR0_EM | X86_CR0_TS))
		emu_raise_noerr(c, (c->cr0 & X86_CR0_EM) ? EXC_UD : EXC_NM);
	if (ea & 15)
		emu_raise(c, EXC_GP, 0);
	emu_read_bytes(c, in->seg, ea, img, sizeof(img));
	memcpy(&mxcsr, img + 24, 4);
	if (mxcsr & ~MXCSR_MASK)
		emu_raise(c, EXC_GP, 0);
	memcpy(&c->fpu.fcw, img + 0, 2);
	memcpy(&c->fpu.fsw, img + 2, 2);
	c->fpu.ftw = full_tag(img[4]);
	memcpy(&c->fpu.fop, img + 6, 2);
	memcpy(&c->fpu.fip, img + 8, 8);
	memcpy(&c->fpu.fdp, img + 16, 8);
	c->fpu.mxcsr = mxcsr;
	for (unsigned i = 0; i < 8; i++)
		memcpy(c->fpu.st[i], img + 32 + 16 * i, 10);
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
		sse_check(c);
		v = (uint32_t)emu_read(c, in->seg, ea, 4);
		if (v & ~MXCSR_MASK)
			emu_raise(c, EXC_GP, 0);
		c->fpu.mxcsr = v;
		return true;
	case 3: /* STMXCSR */
		sse_check(c);
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
		return false;
	switch (in->op) {
	case 0xae:
		return group15(c, in);
	case 0xc3: /* MOVNTI m32/m64, r */
		if (!in->is_mem || in->simd_pfx)
			return false;
		rm_set(c, in, in->opsize == 8 ? 8 : 4, reg_get(c, in, in->reg, in->opsize == 8 ? 8 : 4));
		return true;
	}
	return false;
}
