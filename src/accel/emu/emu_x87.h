/* Internal interface of the software CPU's x87 FPU (emu_exec_x87.c,
 * emu_x87_*.c): status/control word fields, the register stack over
 * c->fpu (tags, TOP, push/pop), exception-flag bookkeeping, and the host
 * x87 primitives that compute every floating-point result.
 *
 * Values are kept as the guest sees them: c->fpu.st[p] holds the 80-bit
 * register p (physical order), ST(i) is physical register (TOP + i) & 7.
 * The host's long double is the same 80-bit format, so the arithmetic
 * runs on the host x87 unit (emu_x87_host.c) under the guest's rounding
 * and precision control with every exception masked; the flags it raises
 * are then applied to the guest's FSW with the guest's masks here. */
#ifndef VSLICE_EMU_X87_H
#define VSLICE_EMU_X87_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "emu_exec.h"

/* FSW (SDM vol. 1, 8.1.3). */
#define FSW_IE 0x0001u
#define FSW_DE 0x0002u
#define FSW_ZE 0x0004u
#define FSW_OE 0x0008u
#define FSW_UE 0x0010u
#define FSW_PE 0x0020u
#define FSW_SF 0x0040u
#define FSW_ES 0x0080u
#define FSW_C0 0x0100u
#define FSW_C1 0x0200u
#define FSW_C2 0x0400u
#define FSW_TOP 0x3800u
#define FSW_C3 0x4000u
#define FSW_B 0x8000u
#define FSW_EXC 0x003fu /* IE..PE */
#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

/* FCW (SDM vol. 1, 8.1.5): masks in bits 0-5 (same order as the flags),
 * bit 6 reads as 1, PC bits 8-9, RC bits 10-11, X bit 12. */
#define FCW_MASKS 0x003fu
#define FCW_WRITABLE 0x1f3fu
#define FCW_ONE 0x0040u
#define FCW_DEFAULT 0x037fu

/* Tag values (two bits per physical register). */
enum { TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3 };

/* A result that must not be written: an unmasked exception that the SDM
 * says leaves the destination (and TOP) unchanged. For register
 * destinations IE, DE, ZE; memory destinations also OE and UE. */
#define X87_ABORT_REG (FSW_IE | FSW_DE | FSW_ZE)
#define X87_ABORT_MEM (FSW_IE | FSW_DE | FSW_ZE | FSW_OE | FSW_UE)

/* ---- the register stack ---- */
static inline unsigned x87_top(const struct emu_cpu *c)
{
	return (c->fpu.fsw >> 11) & 7;
}

static inline void x87_set_top(struct emu_cpu *c, unsigned top)
{
	c->fpu.fsw = (uint16_t)((c->fpu.fsw & ~FSW_TOP) | ((top & 7) << 11));
}

/* Physical register number of ST(i). */
static inline unsigned x87_phys(const struct emu_cpu *c, unsigned i)
{
	return (x87_top(c) + i) & 7;
}

static inline unsigned x87_tag(const struct emu_cpu *c, unsigned phys)
{
	return (c->fpu.ftw >> (2 * (phys & 7))) & 3;
}

static inline bool x87_empty(const struct emu_cpu *c, unsigned i)
{
	return x87_tag(c, x87_phys(c, i)) == TAG_EMPTY;
}

/* ST(i) as a host long double (the 6 padding bytes zeroed). */
static inline long double x87_get(const struct emu_cpu *c, unsigned i)
{
	long double v = 0;

	memcpy(&v, c->fpu.st[x87_phys(c, i)], 10);
	return v;
}

/* The tag class of an 80-bit value: zero, special (NaN, infinity,
 * denormal, pseudo-denormal, unsupported encodings) or valid. */
unsigned x87_classify_tag(const uint8_t v[10]);
/* Writes ST(i) and its tag. */
void x87_set(struct emu_cpu *c, unsigned i, long double v);
/* TOP - 1, then ST(0) = v (no overflow check: see x87_push_checked). */
void x87_push(struct emu_cpu *c, long double v);
/* Marks ST(0) empty, TOP + 1. */
void x87_pop(struct emu_cpu *c);
/* The tag word with every non-empty register's class recomputed from its
 * contents (what FNSTENV/FNSAVE store). */
uint16_t x87_full_tag_word(const struct emu_cpu *c);

/* The QNaN floating-point indefinite. */
long double x87_indefinite(void);

/* ---- status word bookkeeping ---- */
/* ES and B follow the unmasked exception flags (SDM vol. 1, 8.1.3.5; a
 * real CPU recomputes them on FLDCW/FLDENV/FNSTENV too). */
static inline void x87_update_es(struct emu_cpu *c)
{
	if (c->fpu.fsw & ~c->fpu.fcw & FSW_EXC)
		c->fpu.fsw |= FSW_ES | FSW_B;
	else
		c->fpu.fsw &= (uint16_t) ~(FSW_ES | FSW_B);
}

/* ORs exception flags (IE..PE, SF) into FSW and updates ES/B. Returns
 * true when one of the flags in abort_mask is unmasked: the instruction
 * then must not write its result nor change TOP. */
static inline bool x87_raise(struct emu_cpu *c, unsigned flags, unsigned abort_mask)
{
	flags &= FSW_EXC | FSW_SF;
	c->fpu.fsw |= (uint16_t)flags;
	x87_update_es(c);
	return (flags & ~c->fpu.fcw & abort_mask) != 0;
}

/* Sets the condition code bits in mask to the bits of val. */
static inline void x87_set_cc(struct emu_cpu *c, unsigned mask, unsigned val)
{
	c->fpu.fsw = (uint16_t)((c->fpu.fsw & ~mask) | (val & mask));
}

/* Stack underflow (a source register empty): IE + SF, C1 = 0. Returns
 * true if unmasked (the instruction changes nothing more). */
static inline bool x87_underflow(struct emu_cpu *c)
{
	x87_set_cc(c, FSW_C1, 0);
	return x87_raise(c, FSW_IE | FSW_SF, FSW_IE);
}

/* Stack overflow (a push onto a non-empty register): IE + SF, C1 = 1. */
static inline bool x87_overflow(struct emu_cpu *c)
{
	x87_set_cc(c, FSW_C1, FSW_C1);
	return x87_raise(c, FSW_IE | FSW_SF, FSW_IE);
}

/* ---- host x87 primitives (emu_x87_host.c) ----
 * Each runs on the host FPU with the guest control word cw (all
 * exceptions masked, so results are the SDM's masked responses) and
 * returns the host FSW right after the operation: exception flags IE..PE
 * and C0-C3 as the instruction defines them. */
enum x87_host_op {
	/* r0 = a op b: a is the destination operand, b the source. */
	XH_ADD,
	XH_MUL,
	XH_SUB,
	XH_SUBR,
	XH_DIV,
	XH_DIVR,
	/* r0 = f(a = ST(0), b = ST(1)), result in ST(0). */
	XH_PREM,
	XH_PREM1,
	XH_SCALE,
	/* r0 = f(ST(1) = b, ST(0) = a): the value that ends in ST(1) before
	 * the pop. */
	XH_PATAN,
	XH_YL2X,
	XH_YL2XP1,
	/* r0 = f(a). */
	XH_SQRT,
	XH_RNDINT,
	XH_F2XM1,
	XH_SIN,
	XH_COS,
	/* Two results: r0 is the new ST(0) (pushed), r1 the value that
	 * replaces a: FPTAN (1.0, tan), FSINCOS (cos, sin), FXTRACT
	 * (significand, exponent). */
	XH_PTAN,
	XH_SINCOS,
	XH_XTRACT,
	/* Compare a with b: C3 C2 C0 as FCOM sets them (FCOM signals on
	 * any NaN, FUCOM only on SNaN). */
	XH_COM,
	XH_UCOM,
	XH_OP_COUNT
};
uint16_t x87_host_op(enum x87_host_op op, uint16_t cw, long double a, long double b,
		     long double *r0, long double *r1);

/* Memory formats of loads and stores. */
enum x87_fmt { XF_F32, XF_F64, XF_I16, XF_I32, XF_I64, XF_BCD, XF_COUNT };
/* The memory forms FADD..FDIVR, FCOM with m32fp, m64fp, m16int, m32int
 * (op XH_ADD..XH_DIVR or XH_COM, a = ST(0)): one host instruction, so the
 * exception priorities (an invalid operand hides a denormal one) are the
 * CPU's own. */
uint16_t x87_host_mem_op(enum x87_host_op op, enum x87_fmt fmt, uint16_t cw, long double a,
			 const uint8_t *src, long double *r0);
/* Size in bytes of a memory format. */
static inline unsigned x87_fmt_size(enum x87_fmt f)
{
	static const unsigned sz[XF_COUNT] = {4, 8, 2, 4, 8, 10};

	return sz[f];
}
/* Converts src (x87_fmt_size(f) bytes) to extended precision. */
uint16_t x87_host_load(enum x87_fmt f, uint16_t cw, const uint8_t *src, long double *out);
/* Converts v to the format (rounding with cw.RC, or the integer
 * indefinite on overflow/NaN) into dst. */
uint16_t x87_host_store(enum x87_fmt f, uint16_t cw, long double v, uint8_t *dst);
/* FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: which = low 3 bits
 * of the D9 E8-EE opcode byte (0-6); rounded as cw.RC says. */
uint16_t x87_host_const(unsigned which, uint16_t cw, long double *out);

/* ---- instruction groups ---- */
/* emu_x87_arith.c: arithmetic, compares, transcendental, FXAM, FCMOVcc.
 * Each handles one decoded instruction (after the #NM/#MF checks) and
 * returns false for a reserved encoding (#UD). */
bool x87_exec_arith_mem(struct emu_cpu *c, const struct emu_insn *in);
bool x87_exec_arith_reg(struct emu_cpu *c, const struct emu_insn *in);
/* emu_x87_ctl.c: FNSTENV/FLDENV/FNSAVE/FRSTOR, FNINIT. */
void x87_fninit(struct emu_cpu *c);
void x87_fnstenv(struct emu_cpu *c, const struct emu_insn *in, bool with_regs);
void x87_fldenv(struct emu_cpu *c, const struct emu_insn *in, bool with_regs);
/* emu_x87_ldst.c: loads, stores, FXCH, FFREE, FxxSTP, FLD constants. */
bool x87_exec_ldst_mem(struct emu_cpu *c, const struct emu_insn *in);
bool x87_exec_ldst_reg(struct emu_cpu *c, const struct emu_insn *in);

#endif
