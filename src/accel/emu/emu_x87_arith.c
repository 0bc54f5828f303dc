/* x87 arithmetic of the software CPU: FADD/FMUL/FSUB/FSUBR/FDIV/FDIVR in
 * all forms (ST(0) with ST(i), m32fp, m64fp, m16int, m32int; the P forms),
 * the compares FCOM, FCOMP, FCOMPP, FUCOM(P)(P), FICOM(P), F(U)COMI(P), FTST, FXAM,
 * FCHS/FABS, FSQRT/FRNDINT/FSCALE/FXTRACT/FPREM/FPREM1, the transcendental
 * F2XM1/FYL2X/FYL2XP1/FPTAN/FPATAN/FSIN/FCOS/FSINCOS, and FCMOVcc.
 * Results and flags come from the host x87 (emu_x87_host.c); this file
 * applies the stack rules (underflow/overflow masked responses as the
 * SDM vol. 1, 8.5.1.1 defines and Intel CPUs produce) and the condition
 * codes of each instruction (SDM vol. 2).
 *
 * Not modelled: with OE or UE unmasked a CPU stores a register result with
 * its exponent biased by 2^-24576 / 2^24576 (SDM vol. 1, 8.5.4-8.5.5); here
 * the masked result is stored and the exception is still reported (ES, #MF
 * on the next waiting instruction), which is what exception handlers see. */
#include "emu_x87.h"

#define CC_CMP (FSW_C0 | FSW_C2 | FSW_C3)

/* Finishes an arithmetic instruction whose destination is ST(dst): the
 * masked stack-underflow response, or the host result r with its status
 * sw; then the pop of the P forms. */
static void arith_finish(struct emu_cpu *c, unsigned dst, bool underflow, uint16_t sw,
			 long double r, bool pop)
{
	if (underflow) {
		if (x87_underflow(c))
			return;
		x87_set(c, dst, x87_indefinite());
	} else {
		if (x87_raise(c, sw & FSW_EXC, X87_ABORT_REG))
			return;
		x87_set_cc(c, FSW_C1, sw);
		x87_set(c, dst, r);
	}
	if (pop)
		x87_pop(c);
}

/* ST(dst) = ST(dst) op b; b_empty when the source register is empty. */
static void arith(struct emu_cpu *c, enum x87_host_op op, unsigned dst, long double b, bool b_empty,
		  bool pop)
{
	bool underflow = x87_empty(c, dst) || b_empty;
	long double r = 0;
	uint16_t sw = 0;

	if (!underflow)
		sw = x87_host_op(op, c->fpu.fcw, x87_get(c, dst), b, &r, NULL);
	arith_finish(c, dst, underflow, sw, r, pop);
}

/* Finishes a compare of ST(0): C3 C2 C0 from the host status sw (or, for
 * FCOMI, ZF PF CF with OF SF AF cleared), C1 = 0; then pops pops times.
 * Unordered (or a masked stack underflow) is C3 = C2 = C0 = 1. */
static void compare_finish(struct emu_cpu *c, bool underflow, uint16_t sw, bool eflags,
			   unsigned pops)
{
	unsigned cc;

	if (underflow) {
		if (x87_underflow(c))
			return;
		cc = CC_CMP;
	} else {
		if (x87_raise(c, sw & FSW_EXC, X87_ABORT_REG))
			return;
		cc = sw & CC_CMP;
	}
	if (eflags) {
		c->rflags &= ~(uint64_t)FL_ARITH;
		c->rflags |= (cc & FSW_C3 ? FL_ZF : 0) | (cc & FSW_C2 ? FL_PF : 0) |
			     (cc & FSW_C0 ? FL_CF : 0);
		x87_set_cc(c, FSW_C1, 0);
	} else {
		x87_set_cc(c, CC_CMP | FSW_C1, cc);
	}
	while (pops--)
		x87_pop(c);
}

/* Compares ST(0) with b (XH_COM or XH_UCOM). */
static void compare(struct emu_cpu *c, long double b, bool b_empty, enum x87_host_op op,
		    bool eflags, unsigned pops)
{
	bool underflow = x87_empty(c, 0) || b_empty;
	uint16_t sw = 0;

	if (!underflow)
		sw = x87_host_op(op, c->fpu.fcw, x87_get(c, 0), b, NULL, NULL);
	compare_finish(c, underflow, sw, eflags, pops);
}

/* Host operation for ModRM.reg r of D8/DC memory and D8 register forms
 * (ST(0) is the destination: /4 FSUB, /5 FSUBR, /6 FDIV, /7 FDIVR). */
static const enum x87_host_op op_dst_st0[8] = {XH_ADD, XH_MUL,	XH_COM, XH_COM,
					       XH_SUB, XH_SUBR, XH_DIV, XH_DIVR};
/* ... and of the DC/DE register forms, where ST(i) is the destination:
 * E0+i is FSUBR ST(i),ST(0), E8+i FSUB, F0+i FDIVR, F8+i FDIV. */
static const enum x87_host_op op_dst_sti[8] = {XH_ADD,	XH_MUL, XH_COM,	 XH_COM,
					       XH_SUBR, XH_SUB, XH_DIVR, XH_DIV};

bool x87_exec_arith_mem(struct emu_cpu *c, const struct emu_insn *in)
{
	static const enum x87_fmt fmts[4] = {XF_F32, XF_I32, XF_F64, XF_I16};
	unsigned esc = in->op & 7, r = (in->modrm >> 3) & 7;
	bool underflow = x87_empty(c, 0);
	enum x87_fmt fmt;
	long double res = 0;
	uint8_t buf[8];
	uint16_t sw = 0;

	if (esc & 1)
		return false; /* D9 DB DD DF memory forms are loads/stores/control */
	fmt = fmts[esc >> 1];
	emu_read_bytes(c, in->seg, emu_ea(c, in), buf, x87_fmt_size(fmt));
	if (!underflow)
		sw = x87_host_mem_op(op_dst_st0[r], fmt, c->fpu.fcw, x87_get(c, 0), buf, &res);
	if (r == 2 || r == 3)
		compare_finish(c, underflow, sw, false, r == 3);
	else
		arith_finish(c, 0, underflow, sw, res, false);
	return true;
}

static void fxam(struct emu_cpu *c)
{
	const uint8_t *v = c->fpu.st[x87_phys(c, 0)];
	unsigned exp = (unsigned)(v[8] | (v[9] << 8)) & 0x7fff;
	unsigned cc;
	uint64_t mant;

	memcpy(&mant, v, 8);
	if (x87_empty(c, 0))
		cc = FSW_C3 | FSW_C0;
	else if (exp == 0)
		cc = mant == 0 ? FSW_C3 : FSW_C3 | FSW_C2; /* zero, denormal */
	else if (!(mant >> 63))
		cc = 0; /* unnormal, pseudo-NaN, pseudo-infinity: unsupported */
	else if (exp == 0x7fff)
		cc = (mant << 1) == 0 ? FSW_C2 | FSW_C0 : FSW_C0; /* infinity, NaN */
	else
		cc = FSW_C2; /* normal */
	if (v[9] & 0x80)
		cc |= FSW_C1;
	x87_set_cc(c, FSW_CC, cc);
}

static void sign_op(struct emu_cpu *c, bool chs)
{
	if (x87_empty(c, 0)) {
		if (x87_underflow(c))
			return;
		x87_set(c, 0, x87_indefinite());
		return;
	}
	if (chs)
		c->fpu.st[x87_phys(c, 0)][9] ^= 0x80;
	else
		c->fpu.st[x87_phys(c, 0)][9] &= 0x7f;
	x87_set_cc(c, FSW_C1, 0);
}

/* F2XM1, FSQRT, FRNDINT, FSIN, FCOS on ST(0). FSIN/FCOS leave an operand
 * outside +-2^63 unchanged with C2 = 1. */
static void unary(struct emu_cpu *c, enum x87_host_op op)
{
	bool trig = op == XH_SIN || op == XH_COS;
	long double r;
	uint16_t sw;

	if (x87_empty(c, 0)) {
		if (!x87_underflow(c))
			x87_set(c, 0, x87_indefinite());
		return;
	}
	sw = x87_host_op(op, c->fpu.fcw, x87_get(c, 0), 0, &r, NULL);
	if (trig && (sw & FSW_C2)) {
		x87_set_cc(c, FSW_C2, FSW_C2);
		return;
	}
	if (x87_raise(c, sw & FSW_EXC, X87_ABORT_REG))
		return;
	x87_set(c, 0, r);
	x87_set_cc(c, FSW_C1 | (trig ? FSW_C2 : 0), sw & FSW_C1);
}

/* FPTAN, FSINCOS, FXTRACT: ST(0) is replaced and a second result pushed. */
static void two_results(struct emu_cpu *c, enum x87_host_op op)
{
	bool trig = op != XH_XTRACT;
	long double r0, r1;
	uint16_t sw;

	if (x87_empty(c, 0) || !x87_empty(c, 7)) {
		if (x87_empty(c, 0) ? x87_underflow(c) : x87_overflow(c))
			return;
		x87_set(c, 0, x87_indefinite());
		x87_push(c, x87_indefinite());
		return;
	}
	sw = x87_host_op(op, c->fpu.fcw, x87_get(c, 0), 0, &r0, &r1);
	if (trig && (sw & FSW_C2)) {
		x87_set_cc(c, FSW_C2, FSW_C2);
		return;
	}
	if (x87_raise(c, sw & FSW_EXC, X87_ABORT_REG))
		return;
	x87_set(c, 0, r1);
	x87_push(c, r0);
	x87_set_cc(c, FSW_C1 | (trig ? FSW_C2 : 0), sw & FSW_C1);
}

/* FPREM, FPREM1, FSCALE (result in ST(0)); FPATAN, FYL2X, FYL2XP1
 * (result in ST(1), then pop). */
static void binary_st01(struct emu_cpu *c, enum x87_host_op op)
{
	bool to_st1 = op == XH_PATAN || op == XH_YL2X || op == XH_YL2XP1;
	long double r;
	uint16_t sw;

	if (x87_empty(c, 0) || x87_empty(c, 1)) {
		if (x87_underflow(c))
			return;
		x87_set(c, to_st1 ? 1 : 0, x87_indefinite());
	} else {
		sw = x87_host_op(op, c->fpu.fcw, x87_get(c, 0), x87_get(c, 1), &r, NULL);
		if (x87_raise(c, sw & FSW_EXC, X87_ABORT_REG))
			return;
		x87_set(c, to_st1 ? 1 : 0, r);
		if (op == XH_PREM || op == XH_PREM1)
			x87_set_cc(c, FSW_CC, sw); /* C2 partial; C0 C3 C1 = Q2 Q1 Q0 */
		else
			x87_set_cc(c, FSW_C1, sw);
	}
	if (to_st1)
		x87_pop(c);
}

/* clang-format off */
static bool exec_d9(struct emu_cpu *c, unsigned m)
{
	switch (m) {
	case 0xe0: sign_op(c, true); return true;   /* FCHS */
	case 0xe1: sign_op(c, false); return true;  /* FABS */
	case 0xe4: compare(c, 0.0L, false, XH_COM, false, 0); return true; /* FTST */
	case 0xe5: fxam(c); return true;
	case 0xf0: unary(c, XH_F2XM1); return true;
	case 0xf1: binary_st01(c, XH_YL2X); return true;
	case 0xf2: two_results(c, XH_PTAN); return true;
	case 0xf3: binary_st01(c, XH_PATAN); return true;
	case 0xf4: two_results(c, XH_XTRACT); return true;
	case 0xf5: binary_st01(c, XH_PREM1); return true;
	case 0xf8: binary_st01(c, XH_PREM); return true;
	case 0xf9: binary_st01(c, XH_YL2XP1); return true;
	case 0xfa: unary(c, XH_SQRT); return true;
	case 0xfb: two_results(c, XH_SINCOS); return true;
	case 0xfc: unary(c, XH_RNDINT); return true;
	case 0xfd: binary_st01(c, XH_SCALE); return true;
	case 0xfe: unary(c, XH_SIN); return true;
	case 0xff: unary(c, XH_COS); return true;
	}
	return false;
}
/* clang-format on */

/* FCMOVcc (DA/DB C0-DF): B, E, BE, U and their negations. A masked stack
 * underflow writes the indefinite to ST(0) whatever the condition. */
static void fcmov(struct emu_cpu *c, bool negate, unsigned cond, unsigned i)
{
	static const uint64_t flag[4] = {FL_CF, FL_ZF, FL_CF | FL_ZF, FL_PF};
	bool take = (c->rflags & flag[cond]) != 0;

	if (negate)
		take = !take;
	if (x87_empty(c, 0) || x87_empty(c, i)) {
		if (!x87_underflow(c))
			x87_set(c, 0, x87_indefinite());
		return;
	}
	if (take)
		x87_set(c, 0, x87_get(c, i));
}

static void compare_st(struct emu_cpu *c, unsigned i, enum x87_host_op op, bool eflags,
		       unsigned pops)
{
	bool e = x87_empty(c, i);

	compare(c, e ? 0.0L : x87_get(c, i), e, op, eflags, pops);
}

bool x87_exec_arith_reg(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned esc = in->op & 7, m = in->modrm, r = (m >> 3) & 7, i = m & 7;
	bool e;

	switch (esc) {
	case 0: /* D8: ST(0) = ST(0) op ST(i); FCOM, FCOMP */
	case 4: /* DC: ST(i) = ST(i) op ST(0); FCOM2, FCOMP3 aliases */
	case 6: /* DE: same, then pop; FCOMP5 alias, FCOMPP */
		if (r == 2 || r == 3) {
			if (esc == 6 && r == 3) {
				if (m != 0xd9)
					return false;
				compare_st(c, 1, XH_COM, false, 2); /* FCOMPP */
				return true;
			}
			compare_st(c, i, XH_COM, false, esc == 6 || r == 3);
			return true;
		}
		if (esc == 0) {
			e = x87_empty(c, i);
			arith(c, op_dst_st0[r], 0, e ? 0.0L : x87_get(c, i), e, false);
		} else {
			e = x87_empty(c, 0);
			arith(c, op_dst_sti[r], i, e ? 0.0L : x87_get(c, 0), e, esc == 6);
		}
		return true;
	case 1:
		return exec_d9(c, m);
	case 2: /* DA */
		if (m < 0xe0) {
			fcmov(c, false, r, i);
			return true;
		}
		if (m == 0xe9) { /* FUCOMPP */
			compare_st(c, 1, XH_UCOM, false, 2);
			return true;
		}
		return false;
	case 3: /* DB */
		if (m < 0xe0) {
			fcmov(c, true, r, i);
			return true;
		}
		if (r == 5 || r == 6) { /* FUCOMI, FCOMI */
			compare_st(c, i, r == 5 ? XH_UCOM : XH_COM, true, 0);
			return true;
		}
		return false;
	case 5: /* DD: FUCOM, FUCOMP */
		if (r == 4 || r == 5) {
			compare_st(c, i, XH_UCOM, false, r == 5);
			return true;
		}
		return false;
	case 7: /* DF: FUCOMIP, FCOMIP */
		if (r == 5 || r == 6) {
			compare_st(c, i, r == 5 ? XH_UCOM : XH_COM, true, 1);
			return true;
		}
		return false;
	}
	return false;
}
