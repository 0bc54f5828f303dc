/* SSE/SSE2 floating point of the software CPU: ADD/SUB/MUL/DIV/MIN/MAX/
 * SQRT in PS/PD/SS/SD forms and CMPPS/PD/SS/SD (run on the host SSE unit
 * by emu_exec_sse_host.c, with the MXCSR flags and #XM rules applied
 * here), (U)COMISS/(U)COMISD, RCPPS/RCPSS/RSQRTPS/RSQRTSS (computed
 * exactly, which is within the SDM's 1.5*2^-12 relative error), the
 * bitwise ANDPS/ANDNPS/ORPS/XORPS (+PD) and the shuffles UNPCKL/HPS,
 * UNPCKL/HPD, SHUFPS, SHUFPD. */
#include "emu_exec_sse.h"

/* Form of an SSE floating-point opcode from its mandatory prefix:
 * 0 PS, 1 PD, 2 SS, 3 SD. */
static unsigned fp_kind(const struct emu_insn *in)
{
	switch (in->simd_pfx) {
	case 0x66: return 1;
	case 0xf3: return 2;
	case 0xf2: return 3;
	default: return 0;
	}
}

static unsigned kind_size(unsigned kind)
{
	return kind < 2 ? 16 : kind == 2 ? 4 : 8;
}

/* Reads the destination register and the (checked, aligned if packed) source. */
static void fp_operands(struct emu_cpu *c, const struct emu_insn *in, unsigned kind,
			union sse_vec *d, union sse_vec *s)
{
	sse_check_xmm(c);
	sse_load_rm(c, in, s, kind_size(kind), true);
	memcpy(d->b, c->fpu.xmm[in->reg], 16);
}

static bool arith(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned kind = fp_kind(in), base;
	union sse_vec d, s;
	uint32_t fl;

	switch (in->op) {
	case 0x51: base = H_SQRTPS; break;
	case 0x58: base = H_ADDPS; break;
	case 0x59: base = H_MULPS; break;
	case 0x5c: base = H_SUBPS; break;
	case 0x5d: base = H_MINPS; break;
	case 0x5e: base = H_DIVPS; break;
	default: base = H_MAXPS; break;
	}
	fp_operands(c, in, kind, &d, &s);
	fl = sse_host_op((enum sse_host_op)(base + kind), &d, &s, c->fpu.mxcsr);
	if (base != H_MINPS && base != H_MAXPS)
		fl |= sse_exact_underflow(c, &d, kind & 1, kind == 0 ? 4 : kind == 1 ? 2 : 1);
	sse_fp_flags(c, fl);
	memcpy(c->fpu.xmm[in->reg], d.b, 16);
	return true;
}

static bool compare(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned kind = fp_kind(in);
	union sse_vec d, s;
	uint32_t fl;

	fp_operands(c, in, kind, &d, &s);
	fl = sse_host_cmp(kind, (unsigned)in->imm & 7, &d, &s, c->fpu.mxcsr);
	sse_fp_flags(c, fl);
	memcpy(c->fpu.xmm[in->reg], d.b, 16);
	return true;
}

/* 0F 2E/2F: UCOMISS/COMISS (none), UCOMISD/COMISD (66). */
static bool comis(struct emu_cpu *c, const struct emu_insn *in)
{
	bool dbl = in->simd_pfx == 0x66;
	union sse_vec d, s;
	uint64_t fl;
	uint32_t mf;

	if (in->simd_pfx != 0 && !dbl)
		return false;
	fp_operands(c, in, dbl ? 3 : 2, &d, &s);
	mf = sse_host_comi(dbl, in->op == 0x2f, &d, &s, c->fpu.mxcsr, &fl);
	sse_fp_flags(c, mf);
	c->rflags = (c->rflags & ~(uint64_t)FL_ARITH) | fl;
	return true;
}

/* Approximations, computed exactly (SDM: RCPPS, RSQRTPS). No flags. */
static uint32_t rcp1(uint32_t x)
{
	uint32_t sign = x & 0x80000000u, exp = (x >> 23) & 0xff;
	float f, r;

	if (exp == 0xff)
		return (x & 0x7fffff) ? x | 0x400000 : sign; /* NaN quieted; 1/inf = 0 */
	if (exp == 0)
		return sign | 0x7f800000; /* zero and denormals: infinity */
	memcpy(&f, &x, 4);
	r = (float)(1.0 / (double)f);
	memcpy(&x, &r, 4);
	if (((x >> 23) & 0xff) == 0)
		return sign; /* tiny results are flushed to zero */
	return x;
}

static uint32_t rsqrt1(uint32_t x)
{
	uint32_t sign = x & 0x80000000u, exp = (x >> 23) & 0xff;
	union sse_vec v;
	float f, r;

	if (exp == 0xff && (x & 0x7fffff))
		return x | 0x400000;
	if (exp == 0)
		return sign | 0x7f800000; /* +-0 and denormals: +-infinity */
	if (sign)
		return 0xffc00000u; /* negative: QNaN floating-point indefinite */
	if (exp == 0xff)
		return 0;
	memcpy(&f, &x, 4);
	memset(&v, 0, sizeof(v));
	v.df[0] = (double)f;
	(void)sse_host_op(H_SQRTSD, &v, &v, MXCSR_MASKS); /* exact square root, nearest */
	r = (float)(1.0 / v.df[0]);
	memcpy(&x, &r, 4);
	return x;
}

static bool approx(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned kind = fp_kind(in), n;
	union sse_vec d, s;

	if (kind == 1 || kind == 3)
		return false;
	fp_operands(c, in, kind, &d, &s);
	n = kind == 0 ? 4 : 1;
	for (unsigned i = 0; i < n; i++)
		d.d[i] = in->op == 0x52 ? rsqrt1(s.d[i]) : rcp1(s.d[i]);
	memcpy(c->fpu.xmm[in->reg], d.b, 16);
	return true;
}

/* ANDPS ANDNPS ORPS XORPS (+PD), UNPCKLPS/PD, UNPCKHPS/PD, SHUFPS/PD. */
static bool bitwise_shuffle(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned kind = fp_kind(in), imm = (unsigned)in->imm & 0xff;
	union sse_vec d, s, t;

	if (kind > 1)
		return false;
	fp_operands(c, in, kind, &d, &s);
	memset(&t, 0, sizeof(t));
	switch (in->op) {
	case 0x14:
		if (kind) {
			t.q[0] = d.q[0];
			t.q[1] = s.q[0];
		} else {
			t.d[0] = d.d[0];
			t.d[1] = s.d[0];
			t.d[2] = d.d[1];
			t.d[3] = s.d[1];
		}
		break;
	case 0x15:
		if (kind) {
			t.q[0] = d.q[1];
			t.q[1] = s.q[1];
		} else {
			t.d[0] = d.d[2];
			t.d[1] = s.d[2];
			t.d[2] = d.d[3];
			t.d[3] = s.d[3];
		}
		break;
	case 0xc6:
		if (kind) {
			t.q[0] = d.q[imm & 1];
			t.q[1] = s.q[(imm >> 1) & 1];
		} else {
			t.d[0] = d.d[imm & 3];
			t.d[1] = d.d[(imm >> 2) & 3];
			t.d[2] = s.d[(imm >> 4) & 3];
			t.d[3] = s.d[(imm >> 6) & 3];
		}
		break;
	default:
		for (unsigned i = 0; i < 2; i++)
			t.q[i] = in->op == 0x54 ? d.q[i] & s.q[i] :
				 in->op == 0x55 ? ~d.q[i] & s.q[i] :
				 in->op == 0x56 ? d.q[i] | s.q[i] : d.q[i] ^ s.q[i];
		break;
	}
	memcpy(c->fpu.xmm[in->reg], t.b, 16);
	return true;
}

bool sse_exec_fp(struct emu_cpu *c, const struct emu_insn *in)
{
	switch (in->op) {
	case 0x14: case 0x15: case 0x54 ... 0x57: case 0xc6:
		return bitwise_shuffle(c, in);
	case 0x2e: case 0x2f:
		return comis(c, in);
	case 0x52: case 0x53:
		return approx(c, in);
	case 0xc2:
		return compare(c, in);
	case 0x51: case 0x58: case 0x59: case 0x5c ... 0x5f:
		return arith(c, in);
	}
	return false;
}
