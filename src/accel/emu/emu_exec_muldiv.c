/* Multiplication and division of the software CPU: MUL, IMUL (one, two
 * and three operands), DIV and IDIV with #DE on a zero divisor or a
 * quotient that does not fit. */
#include "emu_exec.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

/* Sets CF and OF to ovf; the other arithmetic flags (undefined) follow
 * the low half of the result. */
static void mul_flags(struct emu_cpu *c, unsigned size, uint64_t lo, bool ovf)
{
	uint64_t fl = c->rflags & ~(uint64_t)(FL_CF | FL_OF | FL_AF);

	if (ovf)
		fl |= FL_CF | FL_OF;
	flags_szp(size, lo, &fl);
	c->rflags = fl;
}

/* Writes a double-width result: AX for bytes, else rDX:rAX. */
static void store_wide(struct emu_cpu *c, const struct emu_insn *in, unsigned size, uint64_t lo,
		       uint64_t hi)
{
	if (size == 1) {
		reg_set(c, in, R_AX, 2, (lo & 0xff) | ((hi & 0xff) << 8));
		return;
	}
	reg_set(c, in, R_AX, size, lo);
	reg_set(c, in, R_DX, size, hi);
}

static void do_mul(struct emu_cpu *c, const struct emu_insn *in, unsigned size, bool sign)
{
	uint64_t a = reg_get(c, in, R_AX, size), b = rm_get(c, in, size);
	unsigned bits = 8 * size;
	uint64_t lo, hi;
	bool ovf;

	if (sign) {
		s128 p = (s128)(int64_t)sext_to64(a, size) * (int64_t)sext_to64(b, size);

		lo = (uint64_t)p & size_mask(size);
		hi = (uint64_t)(p >> bits) & size_mask(size);
		ovf = p != (s128)(int64_t)sext_to64(lo, size);
	} else {
		u128 p = (u128)a * b;

		lo = (uint64_t)p & size_mask(size);
		hi = (uint64_t)(p >> bits) & size_mask(size);
		ovf = hi != 0;
	}
	store_wide(c, in, size, lo, hi);
	mul_flags(c, size, lo, ovf);
}

static void do_div(struct emu_cpu *c, const struct emu_insn *in, unsigned size, bool sign)
{
	uint64_t d = rm_get(c, in, size);
	unsigned bits = 8 * size;
	uint64_t m = size_mask(size);
	uint64_t lo, hi, q, r;

	if (size == 1) {
		lo = c->gpr[R_AX] & 0xff;
		hi = (c->gpr[R_AX] >> 8) & 0xff;
	} else {
		lo = c->gpr[R_AX] & m;
		hi = c->gpr[R_DX] & m;
	}
	if (d == 0)
		emu_raise_noerr(c, EXC_DE);
	if (!sign) {
		u128 n = ((u128)hi << bits) | lo;
		u128 qq = n / d;

		if (qq > m)
			emu_raise_noerr(c, EXC_DE);
		q = (uint64_t)qq;
		r = (uint64_t)(n % d);
	} else {
		/* The dividend is 2*bits wide: build it sign-extended. */
		u128 un = ((u128)hi << bits) | lo;
		s128 n, qq, rr;
		int64_t sd = (int64_t)sext_to64(d, size);

		if (bits < 64) {
			unsigned sh = 128 - 2 * bits;

			n = (s128)(un << sh) >> sh;
		} else {
			n = (s128)un;
		}
		if (sd == -1) {
			/* n / -1 overflows whenever -n does not fit. */
			if (bits == 64 && un == ((u128)1 << 127))
				emu_raise_noerr(c, EXC_DE);
			qq = -n;
			rr = 0;
		} else {
			qq = n / sd;
			rr = n % sd;
		}
		s128 qmax = (s128)(sign_bit(size) - 1), qmin = -(s128)sign_bit(size);

		if (qq > qmax || qq < qmin)
			emu_raise_noerr(c, EXC_DE);
		q = (uint64_t)qq & m;
		r = (uint64_t)rr & m;
	}
	store_wide(c, in, size, q, r);
}

bool emu_exec_muldiv(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = in->opsize;
	unsigned r = (in->modrm >> 3) & 7;
	uint64_t a, b;

	if (in->map == MAP_0F) {
		if (in->op != 0xaf)
			return false;
		a = reg_get(c, in, in->reg, sz);
		b = rm_get(c, in, sz);
		goto imul2;
	}
	switch (in->op) {
	case 0x69: case 0x6b: /* IMUL r, r/m, imm */
		a = rm_get(c, in, sz);
		b = in->imm;
		goto imul2;
	case 0xf6: case 0xf7: {
		unsigned s2 = in->op == 0xf6 ? 1 : sz;

		switch (r) {
		case 4: do_mul(c, in, s2, false); return true;
		case 5: do_mul(c, in, s2, true); return true;
		case 6: do_div(c, in, s2, false); return true;
		case 7: do_div(c, in, s2, true); return true;
		}
		return false;
	}
	}
	return false;

imul2: {
	s128 p = (s128)(int64_t)sext_to64(a, sz) * (int64_t)sext_to64(b, sz);
	uint64_t lo = (uint64_t)p & size_mask(sz);

	reg_set(c, in, in->reg, sz, lo);
	mul_flags(c, sz, lo, p != (s128)(int64_t)sext_to64(lo, sz));
	return true;
}
}
