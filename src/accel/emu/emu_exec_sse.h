/* Internal interface of the software CPU's SSE/SSE2/MMX instructions
 * (emu_exec_sse*.c): the 128-bit operand type, the exception checks of
 * the SIMD instruction classes, MMX register access (aliasing the x87
 * registers) and the operand fetch helpers shared by the data-movement,
 * integer and floating-point files. */
#ifndef VSLICE_EMU_EXEC_SSE_H
#define VSLICE_EMU_EXEC_SSE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "emu_exec.h"

/* One XMM (or, in its low 8 bytes, MMX) value, in lanes of every width.
 * The host is little-endian x86, like the guest. */
union sse_vec {
	uint8_t b[16];
	int8_t sb[16];
	uint16_t w[8];
	int16_t sw[8];
	uint32_t d[4];
	int32_t sd[4];
	uint64_t q[2];
	int64_t sq[2];
	float f[4];
	double df[2];
};

/* MXCSR fields. */
#define MXCSR_IE 0x0001u
#define MXCSR_DE 0x0002u
#define MXCSR_ZE 0x0004u
#define MXCSR_OE 0x0008u
#define MXCSR_UE 0x0010u
#define MXCSR_PE 0x0020u
#define MXCSR_FLAGS 0x003fu
#define MXCSR_DAZ 0x0040u
#define MXCSR_MASKS 0x1f80u
#define MXCSR_RC 0x6000u
#define MXCSR_FTZ 0x8000u
#define MXCSR_WRITABLE 0x0000ffffu /* MXCSR_MASK reported by FXSAVE (DAZ supported) */

/* Exception checks (SDM vol. 3, 13.1-13.2, vol. 2 exception tables):
 * SSE/SSE2 on XMM registers: #UD if CR0.EM or !CR4.OSFXSR, #NM if CR0.TS. */
void sse_check_xmm(struct emu_cpu *c);
/* MMX-register forms: #UD if CR0.EM, #NM if CR0.TS, #MF if an unmasked
 * x87 exception is pending (FSW.ES). */
void sse_check_mmx(struct emu_cpu *c);
/* Enters MMX mode (any MMX instruction but EMMS): x87 TOS = 0 and every
 * tag valid. Called when the instruction can no longer fault. */
void mmx_enter(struct emu_cpu *c);

/* MMX register r (0-7; REX bits are ignored for MMX operands): the
 * mantissa bits of physical x87 register r. Writing sets bits 79:64 to
 * all ones (SDM vol. 1, 9.5.1). */
static inline uint64_t mmx_get(const struct emu_cpu *c, unsigned r)
{
	uint64_t v;

	memcpy(&v, c->fpu.st[r & 7], 8);
	return v;
}

static inline void mmx_set(struct emu_cpu *c, unsigned r, uint64_t v)
{
	memcpy(c->fpu.st[r & 7], &v, 8);
	c->fpu.st[r & 7][8] = 0xff;
	c->fpu.st[r & 7][9] = 0xff;
}

/* Reads the r/m operand of size bytes (4, 8 or 16) into *v, zeroing the
 * rest: the XMM register rm, or memory (with the 16-byte alignment check
 * (#GP(0)) when aligned is set and size is 16). */
void sse_load_rm(struct emu_cpu *c, const struct emu_insn *in, union sse_vec *v, unsigned size,
		 bool aligned);
/* Same for an MMX r/m operand (register rm & 7, or memory of size bytes,
 * no alignment rule). */
void mmx_load_rm(struct emu_cpu *c, const struct emu_insn *in, union sse_vec *v, unsigned size);
/* Writes size bytes of *v to the memory operand (aligned: #GP(0) unless
 * 16-byte aligned). */
void sse_store_mem(struct emu_cpu *c, const struct emu_insn *in, const union sse_vec *v,
		   unsigned size, bool aligned);
/* #GP(0) unless the linear address of the memory operand is 16-byte aligned. */
void sse_check_align16(struct emu_cpu *c, const struct emu_insn *in, uint64_t ea);

/* Families (each returns false for an undefined opcode/prefix: #UD). */
bool sse_exec_move(struct emu_cpu *c, const struct emu_insn *in);  /* emu_exec_sse_move.c */
bool sse_exec_int(struct emu_cpu *c, const struct emu_insn *in);   /* emu_exec_sse_int.c */
bool sse_exec_fp(struct emu_cpu *c, const struct emu_insn *in);    /* emu_exec_sse_fp.c */
bool sse_exec_cvt(struct emu_cpu *c, const struct emu_insn *in);   /* emu_exec_sse_cvt.c */

/* Floating point on the host SSE unit (emu_exec_sse_host.c): runs one
 * SSE instruction (enum sse_host_op) on d (destination and first source)
 * and s with the guest's rounding mode, DAZ and FTZ and every exception
 * masked; returns the MXCSR exception flags it raised. */
enum sse_host_op {
	H_ADDPS, H_ADDPD, H_ADDSS, H_ADDSD,
	H_SUBPS, H_SUBPD, H_SUBSS, H_SUBSD,
	H_MULPS, H_MULPD, H_MULSS, H_MULSD,
	H_DIVPS, H_DIVPD, H_DIVSS, H_DIVSD,
	H_MINPS, H_MINPD, H_MINSS, H_MINSD,
	H_MAXPS, H_MAXPD, H_MAXSS, H_MAXSD,
	H_SQRTPS, H_SQRTPD, H_SQRTSS, H_SQRTSD,
	H_CVTPS2PD, H_CVTPD2PS, H_CVTSS2SD, H_CVTSD2SS,
	H_CVTDQ2PS, H_CVTPS2DQ, H_CVTTPS2DQ,
	H_CVTDQ2PD, H_CVTPD2DQ, H_CVTTPD2DQ,
	H_OP_COUNT
};
uint32_t sse_host_op(enum sse_host_op op, union sse_vec *d, const union sse_vec *s,
		     uint32_t mxcsr);
/* CMPPS/CMPPD/CMPSS/CMPSD with predicate imm (0-7); kind 0 PS, 1 PD, 2 SS, 3 SD. */
uint32_t sse_host_cmp(unsigned kind, unsigned imm, union sse_vec *d, const union sse_vec *s,
		      uint32_t mxcsr);
/* (U)COMISS/(U)COMISD: returns MXCSR flags, *eflags gets ZF/PF/CF. */
uint32_t sse_host_comi(bool dbl, bool signaling, const union sse_vec *a, const union sse_vec *b,
		       uint32_t mxcsr, uint64_t *eflags);
/* CVT(T)SS2SI/CVT(T)SD2SI to a 32- or 64-bit integer. */
uint32_t sse_host_cvt2si(bool dbl, bool trunc, bool wide, const union sse_vec *s, uint32_t mxcsr,
			 uint64_t *out);
/* CVTSI2SS/CVTSI2SD from a 32- or 64-bit integer into the low lane of d. */
uint32_t sse_host_cvtsi2(bool dbl, bool wide, uint64_t v, union sse_vec *d, uint32_t mxcsr);

/* Applies the exception flags of a floating-point instruction to MXCSR
 * (SDM vol. 1, 11.5.1): raises #XM (CR4.OSXMMEXCPT) or #UD for an
 * unmasked one, leaving the destination untouched; else ORs them in and
 * returns, and the caller writes the result. */
void sse_fp_flags(struct emu_cpu *c, uint32_t flags);
/* With underflow unmasked, a tiny result raises underflow even when exact
 * (the host, running masked, reports only tiny and inexact ones): returns
 * MXCSR_UE if UM is clear and one of the first lanes results of r (single
 * or double) is a denormal, else 0. */
uint32_t sse_exact_underflow(const struct emu_cpu *c, const union sse_vec *r, bool dbl,
			     unsigned lanes);

#endif
