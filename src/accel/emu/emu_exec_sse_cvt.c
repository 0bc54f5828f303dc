/* SSE/SSE2 conversions of the software CPU: CVTSI2SS/SD, CVT(T)SS2SI and
 * CVT(T)SD2SI (32/64-bit; the integer indefinite value on overflow/NaN),
 * CVTSS2SD/CVTSD2SS, CVTPS2PD/CVTPD2PS, CVTDQ2PS/CVT(T)PS2DQ,
 * CVTDQ2PD/CVT(T)PD2DQ and the MMX forms CVTPI2PS/PD and CVT(T)PS2PI/
 * CVT(T)PD2PI. The arithmetic runs on the host SSE unit
 * (emu_exec_sse_host.c); the MMX forms go through the XMM instructions on
 * a vector whose unused lanes are 0 (exact, so they raise no flags). */
#include "emu_exec_sse.h"

/* 0F 2A. */
static bool cvt_from_int(struct emu_cpu *c, const struct emu_insn *in)
{
	union sse_vec d, s, t;
	uint32_t fl;

	memcpy(d.b, c->fpu.xmm[in->reg], 16);
	if (in->simd_pfx == 0xf3 || in->simd_pfx == 0xf2) { /* CVTSI2SS/SD */
		bool wide = in->rex & 8;
		uint64_t v;

		sse_check_xmm(c);
		v = rm_get(c, in, wide ? 8 : 4);
		fl = sse_host_cvtsi2(in->simd_pfx == 0xf2, wide, v, &d, c->fpu.mxcsr);
		sse_fp_flags(c, fl);
		memcpy(c->fpu.xmm[in->reg], d.b, 16);
		return true;
	}
	/* CVTPI2PS / CVTPI2PD xmm, mm/m64 */
	sse_check_xmm(c);
	if (!in->is_mem)
		sse_check_mmx(c);
	mmx_load_rm(c, in, &s, 8);
	memset(&t, 0, sizeof(t));
	t.q[0] = s.q[0];
	fl = sse_host_op(in->simd_pfx == 0x66 ? H_CVTDQ2PD : H_CVTDQ2PS, &t, &t, c->fpu.mxcsr);
	sse_fp_flags(c, fl);
	if (in->simd_pfx == 0x66)
		d = t;
	else
		d.q[0] = t.q[0];
	if (!in->is_mem)
		mmx_enter(c);
	memcpy(c->fpu.xmm[in->reg], d.b, 16);
	return true;
}

/* 0F 2C (truncating) / 2D. */
static bool cvt_to_int(struct emu_cpu *c, const struct emu_insn *in)
{
	bool trunc = in->op == 0x2c;
	union sse_vec s, t;
	uint32_t fl;

	if (in->simd_pfx == 0xf3 || in->simd_pfx == 0xf2) { /* CVT(T)SS2SI / CVT(T)SD2SI */
		bool dbl = in->simd_pfx == 0xf2, wide = in->rex & 8;
		uint64_t r;

		sse_check_xmm(c);
		sse_load_rm(c, in, &s, dbl ? 8 : 4, false);
		fl = sse_host_cvt2si(dbl, trunc, wide, &s, c->fpu.mxcsr, &r);
		sse_fp_flags(c, fl);
		reg_set(c, in, in->reg, wide ? 8 : 4, r);
		return true;
	}
	/* CVT(T)PS2PI mm, xmm/m64 / CVT(T)PD2PI mm, xmm/m128 */
	sse_check_xmm(c);
	sse_check_mmx(c);
	if (in->simd_pfx == 0x66) {
		sse_load_rm(c, in, &s, 16, true);
		t = s;
		fl = sse_host_op(trunc ? H_CVTTPD2DQ : H_CVTPD2DQ, &t, &s, c->fpu.mxcsr);
	} else {
		sse_load_rm(c, in, &s, 8, false);
		t = s; /* lanes 2, 3 are 0 */
		fl = sse_host_op(trunc ? H_CVTTPS2DQ : H_CVTPS2DQ, &t, &s, c->fpu.mxcsr);
	}
	sse_fp_flags(c, fl);
	mmx_enter(c);
	mmx_set(c, in->reg, t.q[0]);
	return true;
}

/* 0F 5A, 5B, E6: XMM-to-XMM conversions. */
static bool cvt_xmm(struct emu_cpu *c, const struct emu_insn *in)
{
	enum sse_host_op op;
	unsigned size = 16;
	union sse_vec d, s;
	uint32_t fl;

	switch (in->op) {
	case 0x5a:
		switch (in->simd_pfx) {
		case 0: op = H_CVTPS2PD; size = 8; break;
		case 0x66: op = H_CVTPD2PS; break;
		case 0xf3: op = H_CVTSS2SD; size = 4; break;
		default: op = H_CVTSD2SS; size = 8; break;
		}
		break;
	case 0x5b:
		switch (in->simd_pfx) {
		case 0: op = H_CVTDQ2PS; break;
		case 0x66: op = H_CVTPS2DQ; break;
		case 0xf3: op = H_CVTTPS2DQ; break;
		default: return false;
		}
		break;
	default: /* 0xe6 */
		switch (in->simd_pfx) {
		case 0x66: op = H_CVTTPD2DQ; break;
		case 0xf2: op = H_CVTPD2DQ; break;
		case 0xf3: op = H_CVTDQ2PD; size = 8; break;
		default: return false;
		}
		break;
	}
	sse_check_xmm(c);
	sse_load_rm(c, in, &s, size, true);
	memcpy(d.b, c->fpu.xmm[in->reg], 16);
	fl = sse_host_op(op, &d, &s, c->fpu.mxcsr);
	if (op == H_CVTPD2PS || op == H_CVTSD2SS) /* narrowing can make a denormal */
		fl |= sse_exact_underflow(c, &d, false, op == H_CVTPD2PS ? 2 : 1);
	sse_fp_flags(c, fl);
	memcpy(c->fpu.xmm[in->reg], d.b, 16);
	return true;
}

bool sse_exec_cvt(struct emu_cpu *c, const struct emu_insn *in)
{
	switch (in->op) {
	case 0x2a:
		return cvt_from_int(c, in);
	case 0x2c: case 0x2d:
		return cvt_to_int(c, in);
	default:
		return cvt_xmm(c, in);
	}
}
