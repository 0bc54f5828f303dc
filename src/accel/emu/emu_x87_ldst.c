/* x87 data movement of the software CPU: FLD/FST/FSTP (m32, m64, m80,
 * ST(i)), FILD/FIST/FISTP (m16, m32, m64), FBLD/FBSTP, the constants
 * FLD1..FLDZ, FXCH, FFREE/FFREEP, FINCSTP/FDECSTP and FNOP, with the stack
 * overflow/underflow rules and masked responses of the Intel SDM vol. 1,
 * 8.5.1: a push onto a non-empty register, or a read of an empty one,
 * raises IE with SF (C1 = 1 for overflow, 0 for underflow); masked, the
 * QNaN indefinite takes the value's place; unmasked, nothing changes.
 * The undocumented aliases D9 D8+i (FSTP), DD C8+i and DF C8+i (FXCH),
 * DF D0+i and DF D8+i (FSTP) and DF C0+i (FFREEP) behave as on Intel and
 * AMD CPUs. FISTTP (SSE3) is not implemented: #UD. */
#include "emu_x87.h"

/* Pushes v (after its conversion raised flags), or handles overflow. */
static void push_value(struct emu_cpu *c, long double v, unsigned flags)
{
	if (!x87_empty(c, 7)) { /* the register that would become ST(0) */
		if (x87_overflow(c))
			return;
		x87_push(c, x87_indefinite());
		return;
	}
	if (x87_raise(c, flags, X87_ABORT_REG))
		return;
	x87_set_cc(c, FSW_C1, 0);
	x87_push(c, v);
}

/* FLD m32/m64/m80, FILD, FBLD. f80 selects the m80 format (no
 * conversion, no exception: an SNaN is loaded as it is). */
static void load_mem(struct emu_cpu *c, const struct emu_insn *in, enum x87_fmt fmt, bool f80)
{
	uint8_t buf[10];
	long double v = 0;
	unsigned flags = 0;

	emu_read_bytes(c, in->seg, emu_ea(c, in), buf, f80 ? 10 : x87_fmt_size(fmt));
	if (f80)
		memcpy(&v, buf, 10);
	else
		flags = x87_host_load(fmt, c->fpu.fcw, buf, &v) & FSW_EXC;
	push_value(c, v, flags);
}

/* FST/FSTP m32/m64/m80, FIST/FISTP, FBSTP. A result with an unmasked IE,
 * DE, OE or UE is not stored and nothing is popped (SDM vol. 1, 8.5.1.2,
 * 8.5.4, 8.5.5). */
static void store_mem(struct emu_cpu *c, const struct emu_insn *in, enum x87_fmt fmt, bool f80,
		      bool pop)
{
	uint8_t buf[10];
	unsigned size = f80 ? 10 : x87_fmt_size(fmt);
	unsigned flags = 0, c1 = 0;
	long double v;

	if (x87_empty(c, 0)) {
		flags = FSW_IE | FSW_SF;
		if (flags & ~c->fpu.fcw & FSW_IE) {
			x87_underflow(c);
			return;
		}
		v = x87_indefinite(); /* stored in the destination format */
		if (f80)
			memcpy(buf, &v, 10);
		else
			x87_host_store(fmt, c->fpu.fcw, v, buf);
	} else {
		v = x87_get(c, 0);
		if (f80) {
			memcpy(buf, &v, 10);
		} else {
			uint16_t sw = x87_host_store(fmt, c->fpu.fcw, v, buf);

			flags = sw & FSW_EXC;
			c1 = sw & FSW_C1;
		}
		if (flags & ~c->fpu.fcw & X87_ABORT_MEM) {
			x87_set_cc(c, FSW_C1, c1);
			x87_raise(c, flags, 0);
			return;
		}
	}
	/* A fault here leaves the FPU untouched. */
	emu_write_bytes(c, in->seg, emu_ea(c, in), buf, size);
	x87_set_cc(c, FSW_C1, c1);
	x87_raise(c, flags, 0);
	if (pop)
		x87_pop(c);
}

bool x87_exec_ldst_mem(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned esc = in->op & 7, r = (in->modrm >> 3) & 7;

	switch (esc) {
	case 1: /* D9: m32fp */
	case 5: /* DD: m64fp */
		switch (r) {
		case 0:
			load_mem(c, in, esc == 1 ? XF_F32 : XF_F64, false);
			return true;
		case 2:
		case 3:
			store_mem(c, in, esc == 1 ? XF_F32 : XF_F64, false, r == 3);
			return true;
		}
		return false; /* /1 (FISTTP on DD), /5 reserved; the rest are control */
	case 3:		      /* DB: m32int, m80fp */
		switch (r) {
		case 0:
			load_mem(c, in, XF_I32, false);
			return true;
		case 2:
		case 3:
			store_mem(c, in, XF_I32, false, r == 3);
			return true;
		case 5:
			load_mem(c, in, XF_COUNT, true);
			return true;
		case 7:
			store_mem(c, in, XF_COUNT, true, true);
			return true;
		}
		return false;
	case 7: /* DF: m16int, m64int, BCD */
		switch (r) {
		case 0:
			load_mem(c, in, XF_I16, false);
			return true;
		case 2:
		case 3:
			store_mem(c, in, XF_I16, false, r == 3);
			return true;
		case 4:
			load_mem(c, in, XF_BCD, false);
			return true;
		case 5:
			load_mem(c, in, XF_I64, false);
			return true;
		case 6:
			store_mem(c, in, XF_BCD, false, true);
			return true;
		case 7:
			store_mem(c, in, XF_I64, false, true);
			return true;
		}
		return false;
	}
	return false;
}

static void fld_st(struct emu_cpu *c, unsigned i)
{
	long double v;

	if (x87_empty(c, i)) {
		if (x87_underflow(c))
			return;
		v = x87_indefinite();
	} else {
		v = x87_get(c, i);
	}
	push_value(c, v, 0);
}

/* FST/FSTP ST(i): a register copy raises nothing but stack underflow. */
static void fst_st(struct emu_cpu *c, unsigned i, bool pop)
{
	long double v;

	if (x87_empty(c, 0)) {
		if (x87_underflow(c))
			return;
		v = x87_indefinite();
	} else {
		v = x87_get(c, 0);
	}
	x87_set(c, i, v);
	x87_set_cc(c, FSW_C1, 0);
	if (pop)
		x87_pop(c);
}

/* FXCH: an empty operand is replaced by the indefinite (masked). */
static void fxch(struct emu_cpu *c, unsigned i)
{
	bool e0 = x87_empty(c, 0), ei = x87_empty(c, i);
	long double a, b;

	if ((e0 || ei) && x87_underflow(c))
		return;
	a = e0 ? x87_indefinite() : x87_get(c, 0);
	b = ei ? x87_indefinite() : x87_get(c, i);
	x87_set(c, 0, b);
	x87_set(c, i, a);
	x87_set_cc(c, FSW_C1, 0);
}

static void ffree(struct emu_cpu *c, unsigned i)
{
	unsigned p = x87_phys(c, i);

	c->fpu.ftw |= (uint16_t)(TAG_EMPTY << (2 * p));
}

bool x87_exec_ldst_reg(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned esc = in->op & 7, m = in->modrm, i = m & 7;
	long double v;

	switch (esc) {
	case 1: /* D9 */
		switch (m & 0xf8) {
		case 0xc0:
			fld_st(c, i);
			return true;
		case 0xc8:
			fxch(c, i);
			return true;
		case 0xd8: /* FSTP1 alias */
			fst_st(c, i, true);
			return true;
		}
		switch (m) {
		case 0xd0: /* FNOP */
			return true;
		case 0xe8 ... 0xee:
			x87_host_const(m - 0xe8, c->fpu.fcw, &v);
			push_value(c, v, 0);
			return true;
		case 0xf6: /* FDECSTP */
		case 0xf7: /* FINCSTP */
			x87_set_top(c, x87_top(c) + (m == 0xf7 ? 1 : 7));
			x87_set_cc(c, FSW_C1, 0);
			return true;
		}
		return false;
	case 5: /* DD */
		switch (m & 0xf8) {
		case 0xc0:
			ffree(c, i);
			return true;
		case 0xc8: /* FXCH4 alias */
			fxch(c, i);
			return true;
		case 0xd0:
		case 0xd8:
			fst_st(c, i, (m & 0xf8) == 0xd8);
			return true;
		}
		return false;
	case 7: /* DF */
		switch (m & 0xf8) {
		case 0xc0: /* FFREEP */
			ffree(c, i);
			x87_pop(c);
			return true;
		case 0xc8: /* FXCH7 alias */
			fxch(c, i);
			return true;
		case 0xd0: /* FSTP8, FSTP9 aliases */
		case 0xd8:
			fst_st(c, i, true);
			return true;
		}
		return false;
	}
	return false;
}
