/* Arithmetic flag computation for the software CPU: ADD/SUB families,
 * logic ops, INC/DEC/NEG, shifts and rotates (group 2), SHLD/SHRD.
 * Flags the SDM leaves undefined are set the way the AMD Zen host this was
 * differential-tested on sets them, where known. */
#include "emu_exec.h"

void flags_logic(unsigned size, uint64_t r, uint64_t *fl)
{
	*fl &= ~(uint64_t)(FL_CF | FL_OF | FL_AF);
	flags_szp(size, r, fl);
}

/* Sets all six arithmetic flags. cf/of are nonzero if set. */
static inline void set_arith(unsigned size, uint64_t r, uint64_t cf, uint64_t of, uint64_t af,
			     uint64_t *fl)
{
	uint64_t f = *fl & ~(uint64_t)(FL_CF | FL_OF | FL_AF);

	if (cf)
		f |= FL_CF;
	if (of)
		f |= FL_OF;
	if (af & 0x10)
		f |= FL_AF;
	*fl = f;
	flags_szp(size, r, fl);
}

uint64_t alu_binop(unsigned op, unsigned size, uint64_t a, uint64_t b, uint64_t *fl)
{
	uint64_t m = size_mask(size), sb = sign_bit(size);
	uint64_t r, cin;

	a &= m;
	b &= m;
	switch (op & 7) {
	case 0: /* ADD */
	case 2: /* ADC */
		cin = (op == 2 && (*fl & FL_CF)) ? 1 : 0;
		r = (a + b + cin) & m;
		set_arith(size, r, ((a & b) | ((a | b) & ~r)) & sb, ~(a ^ b) & (a ^ r) & sb,
			  a ^ b ^ r, fl);
		return r;
	case 3: /* SBB */
	case 5: /* SUB */
	case 7: /* CMP */
		cin = (op == 3 && (*fl & FL_CF)) ? 1 : 0;
		r = (a - b - cin) & m;
		set_arith(size, r, ((~a & b) | (~(a ^ b) & r)) & sb, (a ^ b) & (a ^ r) & sb,
			  a ^ b ^ r, fl);
		return r;
	case 1: /* OR */
		r = a | b;
		break;
	case 4: /* AND */
		r = a & b;
		break;
	default: /* XOR */
		r = a ^ b;
		break;
	}
	flags_logic(size, r, fl);
	return r;
}

uint64_t alu_incdec(bool dec, unsigned size, uint64_t a, uint64_t *fl)
{
	uint64_t cf = *fl & FL_CF;
	uint64_t r = alu_binop(dec ? 5 : 0, size, a, 1, fl);

	*fl = (*fl & ~(uint64_t)FL_CF) | cf;
	return r;
}

uint64_t alu_neg(unsigned size, uint64_t a, uint64_t *fl)
{
	return alu_binop(5, size, 0, a, fl);
}

static uint64_t rotate_carry(bool left, unsigned size, uint64_t a, unsigned n, uint64_t *cf)
{
	unsigned bits = 8 * size;
	uint64_t m = size_mask(size);
	uint64_t c = *cf;

	for (unsigned i = 0; i < n; i++) {
		uint64_t out;

		if (left) {
			out = (a >> (bits - 1)) & 1;
			a = ((a << 1) | c) & m;
		} else {
			out = a & 1;
			a = (a >> 1) | (c << (bits - 1));
		}
		c = out;
	}
	*cf = c;
	return a;
}

uint64_t alu_shift(unsigned op, unsigned size, uint64_t a, unsigned count, uint64_t *fl)
{
	unsigned bits = 8 * size;
	uint64_t m = size_mask(size), sb = sign_bit(size);
	uint64_t r, cf, of;
	unsigned n;

	a &= m;
	count &= size == 8 ? 63 : 31;
	if (count == 0)
		return a;

	switch (op & 7) {
	case 0: /* ROL */
		n = count % bits;
		r = n ? ((a << n) | (a >> (bits - n))) & m : a;
		cf = r & 1;
		of = !!(r & sb) ^ cf;
		goto rot_flags;
	case 1: /* ROR */
		n = count % bits;
		r = n ? ((a >> n) | (a << (bits - n))) & m : a;
		cf = !!(r & sb);
		of = cf ^ !!(r & (sb >> 1));
		goto rot_flags;
	case 2: /* RCL */
		n = size <= 2 ? count % (bits + 1) : count;
		cf = !!(*fl & FL_CF);
		r = rotate_carry(true, size, a, n, &cf);
		of = !!(r & sb) ^ cf;
		goto rot_flags;
	case 3: /* RCR */
		n = size <= 2 ? count % (bits + 1) : count;
		cf = !!(*fl & FL_CF);
		of = !!(a & sb) ^ cf;
		r = rotate_carry(false, size, a, n, &cf);
		goto rot_flags;
	case 4: /* SHL */
	case 6: /* SAL */
		r = count >= 64 ? 0 : (a << count) & m;
		cf = count <= bits ? (a >> (bits - count)) & 1 : 0;
		of = !!(r & sb) ^ cf;
		break;
	case 5: /* SHR */
		r = a >> count;
		cf = count <= bits ? (a >> (count - 1)) & 1 : 0;
		of = count == 1 ? !!(a & sb) : 0;
		break;
	default: { /* SAR */
		int64_t sa = (int64_t)sext_to64(a, size);

		r = (uint64_t)(sa >> count) & m;
		cf = ((uint64_t)(sa >> (count - 1))) & 1;
		of = 0;
		break;
	}
	}
	/* Shifts: CF, OF, SF, ZF, PF defined (OF for count 1); AF undefined:
	 * set, as the AMD Zen host does. */
	*fl &= ~(uint64_t)(FL_CF | FL_OF);
	*fl |= FL_AF;
	if (cf)
		*fl |= FL_CF;
	if (of)
		*fl |= FL_OF;
	flags_szp(size, r, fl);
	return r;

rot_flags:
	/* Rotates touch only CF and OF. */
	*fl &= ~(uint64_t)(FL_CF | FL_OF);
	if (cf)
		*fl |= FL_CF;
	if (of)
		*fl |= FL_OF;
	return r;
}

uint64_t alu_shiftd(bool left, unsigned size, uint64_t dst, uint64_t src, unsigned count,
		    uint64_t *fl)
{
	unsigned bits = 8 * size;
	uint64_t m = size_mask(size), sb = sign_bit(size);
	unsigned __int128 wide;
	uint64_t r, cf;

	dst &= m;
	src &= m;
	count &= size == 8 ? 63 : 31;
	if (count == 0)
		return dst;
	if (size == 2) {
		/* Counts above 16 are undefined: shift through dst:src:dst
		 * (left) or dst:src:dst read from the low end (right). */
		wide = ((unsigned __int128)dst << 32) | ((unsigned __int128)src << 16) | dst;
		if (left) {
			r = (uint64_t)(wide >> (32 - count)) & m;
			cf = (uint64_t)(wide >> (48 - count)) & 1;
		} else {
			r = (uint64_t)(wide >> count) & m;
			cf = (uint64_t)(wide >> (count - 1)) & 1;
		}
	} else if (left) {
		wide = ((unsigned __int128)dst << bits) | src;
		r = (uint64_t)((wide << count) >> bits) & m;
		cf = (uint64_t)(wide >> (2 * bits - count)) & 1;
	} else {
		wide = ((unsigned __int128)src << bits) | dst;
		r = (uint64_t)(wide >> count) & m;
		cf = (uint64_t)(wide >> (count - 1)) & 1;
	}
	*fl &= ~(uint64_t)(FL_CF | FL_OF);
	*fl |= FL_AF; /* undefined: set, as the AMD Zen host does */
	if (cf)
		*fl |= FL_CF;
	if ((r ^ dst) & sb)
		*fl |= FL_OF;
	flags_szp(size, r, fl);
	return r;
}
