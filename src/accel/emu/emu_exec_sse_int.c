/* SSE2/MMX integer SIMD of the software CPU, on XMM (66 prefix, 128 bits)
 * and MMX (no prefix, 64 bits) registers: add/subtract with wrap-around
 * and saturation, compares, multiplies, PMADDWD, PSADBW, averages,
 * min/max, packs and unpacks, logic, shifts by register and by immediate
 * (groups 0F 71/72/73 incl. PSLLDQ/PSRLDQ), PSHUFD/PSHUFHW/PSHUFLW/PSHUFW,
 * PINSRW/PEXTRW and PMOVMSKB. Lane rules from the Intel SDM vol. 2. */
#include "emu_exec_sse.h"

static int8_t sat_s8(int v)
{
	return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
}

static uint8_t sat_u8(int v)
{
	return (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v);
}

static int16_t sat_s16(int v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

static uint16_t sat_u16(int v)
{
	return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v);
}

/* Shifts of n-byte registers by count, lane width lw bytes: kind 0 logical
 * right, 1 arithmetic right, 2 left. */
static void shift_lanes(union sse_vec *r, unsigned n, unsigned lw, unsigned kind, uint64_t count)
{
	unsigned bits = 8 * lw;

	for (unsigned i = 0; i < n / lw; i++) {
		uint64_t v;
		int64_t sv;

		switch (lw) {
		case 2: v = r->w[i]; sv = r->sw[i]; break;
		case 4: v = r->d[i]; sv = r->sd[i]; break;
		default: v = r->q[i]; sv = r->sq[i]; break;
		}
		if (kind == 1)
			v = (uint64_t)(sv >> (count >= bits ? bits - 1 : count));
		else if (count >= bits)
			v = 0;
		else
			v = kind == 0 ? v >> count : v << count;
		switch (lw) {
		case 2: r->w[i] = (uint16_t)v; break;
		case 4: r->d[i] = (uint32_t)v; break;
		default: r->q[i] = v; break;
		}
	}
}

/* PSRLDQ (right) / PSLLDQ: whole-register byte shift. */
static void shift_bytes(union sse_vec *r, bool left, unsigned count)
{
	union sse_vec t;

	memset(&t, 0, sizeof(t));
	if (count < 16) {
		if (left)
			memcpy(t.b + count, r->b, 16 - count);
		else
			memcpy(t.b, r->b + count, 16 - count);
	}
	*r = t;
}

/* The two-operand ops: r = a op b on n bytes (8 or 16). Returns false if
 * op is not one of them. */
static bool binop(unsigned op, union sse_vec *r, const union sse_vec *a, const union sse_vec *b,
		  unsigned n)
{
	union sse_vec t;
	unsigned i, h = n / 2;

	memset(&t, 0, sizeof(t));
	switch (op) {
	case 0x60: /* PUNPCKLBW */
		for (i = 0; i < h; i++) {
			t.b[2 * i] = a->b[i];
			t.b[2 * i + 1] = b->b[i];
		}
		break;
	case 0x61: /* PUNPCKLWD */
		for (i = 0; i < h / 2; i++) {
			t.w[2 * i] = a->w[i];
			t.w[2 * i + 1] = b->w[i];
		}
		break;
	case 0x62: /* PUNPCKLDQ */
		for (i = 0; i < h / 4; i++) {
			t.d[2 * i] = a->d[i];
			t.d[2 * i + 1] = b->d[i];
		}
		break;
	case 0x6c: /* PUNPCKLQDQ */
		t.q[0] = a->q[0];
		t.q[1] = b->q[0];
		break;
	case 0x68: /* PUNPCKHBW */
		for (i = 0; i < h; i++) {
			t.b[2 * i] = a->b[h + i];
			t.b[2 * i + 1] = b->b[h + i];
		}
		break;
	case 0x69: /* PUNPCKHWD */
		for (i = 0; i < h / 2; i++) {
			t.w[2 * i] = a->w[h / 2 + i];
			t.w[2 * i + 1] = b->w[h / 2 + i];
		}
		break;
	case 0x6a: /* PUNPCKHDQ */
		for (i = 0; i < h / 4; i++) {
			t.d[2 * i] = a->d[h / 4 + i];
			t.d[2 * i + 1] = b->d[h / 4 + i];
		}
		break;
	case 0x6d: /* PUNPCKHQDQ */
		t.q[0] = a->q[1];
		t.q[1] = b->q[1];
		break;
	case 0x63: /* PACKSSWB: n/2 words from each operand */
		for (i = 0; i < h; i++) {
			t.sb[i] = sat_s8(a->sw[i]);
			t.sb[h + i] = sat_s8(b->sw[i]);
		}
		break;
	case 0x67: /* PACKUSWB */
		for (i = 0; i < h; i++) {
			t.b[i] = sat_u8(a->sw[i]);
			t.b[h + i] = sat_u8(b->sw[i]);
		}
		break;
	case 0x6b: /* PACKSSDW: n/4 dwords from each operand */
		for (i = 0; i < h / 2; i++) {
			t.sw[i] = sat_s16(a->sd[i]);
			t.sw[h / 2 + i] = sat_s16(b->sd[i]);
		}
		break;
	case 0x64: case 0x74: /* PCMPGTB, PCMPEQB */
		for (i = 0; i < n; i++)
			t.b[i] = (op == 0x74 ? a->b[i] == b->b[i] : a->sb[i] > b->sb[i]) ? 0xff : 0;
		break;
	case 0x65: case 0x75: /* PCMPGTW, PCMPEQW */
		for (i = 0; i < n / 2; i++)
			t.w[i] = (op == 0x75 ? a->w[i] == b->w[i] : a->sw[i] > b->sw[i]) ? 0xffff : 0;
		break;
	case 0x66: case 0x76: /* PCMPGTD, PCMPEQD */
		for (i = 0; i < n / 4; i++)
			t.d[i] = (op == 0x76 ? a->d[i] == b->d[i] : a->sd[i] > b->sd[i]) ? ~0u : 0;
		break;
	case 0xd1: case 0xd2: case 0xd3: /* PSRLW/D/Q by register */
		t = *a;
		shift_lanes(&t, n, 1u << (op - 0xd0), 0, b->q[0]);
		break;
	case 0xe1: case 0xe2: /* PSRAW/D */
		t = *a;
		shift_lanes(&t, n, 1u << (op - 0xe0), 1, b->q[0]);
		break;
	case 0xf1: case 0xf2: case 0xf3: /* PSLLW/D/Q */
		t = *a;
		shift_lanes(&t, n, 1u << (op - 0xf0), 2, b->q[0]);
		break;
	case 0xd4: case 0xfb: /* PADDQ, PSUBQ */
		for (i = 0; i < n / 8; i++)
			t.q[i] = op == 0xd4 ? a->q[i] + b->q[i] : a->q[i] - b->q[i];
		break;
	case 0xd5: case 0xe5: case 0xe4: /* PMULLW, PMULHW, PMULHUW */
		for (i = 0; i < n / 2; i++) {
			if (op == 0xe4)
				t.w[i] = (uint16_t)(((uint32_t)a->w[i] * b->w[i]) >> 16);
			else {
				int32_t p = (int32_t)a->sw[i] * b->sw[i];

				t.w[i] = (uint16_t)(op == 0xd5 ? (uint32_t)p : (uint32_t)p >> 16);
			}
		}
		break;
	case 0xf4: /* PMULUDQ */
		for (i = 0; i < n / 8; i++)
			t.q[i] = (uint64_t)a->d[2 * i] * b->d[2 * i];
		break;
	case 0xf5: /* PMADDWD */
		for (i = 0; i < n / 4; i++) {
			int64_t s = (int64_t)a->sw[2 * i] * b->sw[2 * i] +
				    (int64_t)a->sw[2 * i + 1] * b->sw[2 * i + 1];

			t.d[i] = (uint32_t)s;
		}
		break;
	case 0xf6: /* PSADBW */
		for (i = 0; i < n / 8; i++) {
			unsigned s = 0;

			for (unsigned j = 0; j < 8; j++) {
				int d = a->b[8 * i + j] - b->b[8 * i + j];

				s += (unsigned)(d < 0 ? -d : d);
			}
			t.q[i] = s;
		}
		break;
	case 0xd8: case 0xdc: /* PSUBUSB, PADDUSB */
		for (i = 0; i < n; i++)
			t.b[i] = sat_u8(op == 0xdc ? a->b[i] + b->b[i] : a->b[i] - b->b[i]);
		break;
	case 0xd9: case 0xdd: /* PSUBUSW, PADDUSW */
		for (i = 0; i < n / 2; i++)
			t.w[i] = sat_u16(op == 0xdd ? a->w[i] + b->w[i] : a->w[i] - b->w[i]);
		break;
	case 0xe8: case 0xec: /* PSUBSB, PADDSB */
		for (i = 0; i < n; i++)
			t.sb[i] = sat_s8(op == 0xec ? a->sb[i] + b->sb[i] : a->sb[i] - b->sb[i]);
		break;
	case 0xe9: case 0xed: /* PSUBSW, PADDSW */
		for (i = 0; i < n / 2; i++)
			t.sw[i] = sat_s16(op == 0xed ? a->sw[i] + b->sw[i] : a->sw[i] - b->sw[i]);
		break;
	case 0xda: case 0xde: /* PMINUB, PMAXUB */
		for (i = 0; i < n; i++)
			t.b[i] = (op == 0xda) == (a->b[i] < b->b[i]) ? a->b[i] : b->b[i];
		break;
	case 0xea: case 0xee: /* PMINSW, PMAXSW */
		for (i = 0; i < n / 2; i++)
			t.sw[i] = (op == 0xea) == (a->sw[i] < b->sw[i]) ? a->sw[i] : b->sw[i];
		break;
	case 0xe0: /* PAVGB */
		for (i = 0; i < n; i++)
			t.b[i] = (uint8_t)((a->b[i] + b->b[i] + 1) >> 1);
		break;
	case 0xe3: /* PAVGW */
		for (i = 0; i < n / 2; i++)
			t.w[i] = (uint16_t)(((uint32_t)a->w[i] + b->w[i] + 1) >> 1);
		break;
	case 0xdb: case 0xdf: case 0xeb: case 0xef: /* PAND, PANDN, POR, PXOR */
		for (i = 0; i < n / 8; i++)
			t.q[i] = op == 0xdb ? a->q[i] & b->q[i] :
				 op == 0xdf ? ~a->q[i] & b->q[i] :
				 op == 0xeb ? a->q[i] | b->q[i] : a->q[i] ^ b->q[i];
		break;
	case 0xf8: case 0xfc: /* PSUBB, PADDB */
		for (i = 0; i < n; i++)
			t.b[i] = (uint8_t)(op == 0xfc ? a->b[i] + b->b[i] : a->b[i] - b->b[i]);
		break;
	case 0xf9: case 0xfd: /* PSUBW, PADDW */
		for (i = 0; i < n / 2; i++)
			t.w[i] = (uint16_t)(op == 0xfd ? a->w[i] + b->w[i] : a->w[i] - b->w[i]);
		break;
	case 0xfa: case 0xfe: /* PSUBD, PADDD */
		for (i = 0; i < n / 4; i++)
			t.d[i] = op == 0xfe ? a->d[i] + b->d[i] : a->d[i] - b->d[i];
		break;
	default:
		return false;
	}
	*r = t;
	return true;
}

/* Whether the register operands are XMM (66 prefix) or MMX (none);
 * false for other prefixes. */
static bool pick_width(const struct emu_insn *in, bool *xmm)
{
	if (in->simd_pfx == 0x66)
		*xmm = true;
	else if (in->simd_pfx == 0)
		*xmm = false;
	else
		return false;
	return true;
}

static void get_reg(struct emu_cpu *c, bool xmm, unsigned r, union sse_vec *v)
{
	memset(v, 0, sizeof(*v));
	if (xmm)
		memcpy(v->b, c->fpu.xmm[r], 16);
	else
		v->q[0] = mmx_get(c, r);
}

static void set_reg(struct emu_cpu *c, bool xmm, unsigned r, const union sse_vec *v)
{
	if (xmm) {
		memcpy(c->fpu.xmm[r], v->b, 16);
	} else {
		mmx_enter(c);
		mmx_set(c, r, v->q[0]);
	}
}

/* Checks for the width and reads the r/m source: m128 (aligned) for XMM,
 * m64 (m32 for the MMX low unpacks) for MMX. */
static void load_src(struct emu_cpu *c, const struct emu_insn *in, bool xmm, union sse_vec *v)
{
	if (xmm) {
		sse_check_xmm(c);
		sse_load_rm(c, in, v, 16, true);
	} else {
		sse_check_mmx(c);
		mmx_load_rm(c, in, v, in->op >= 0x60 && in->op <= 0x62 ? 4 : 8);
	}
}

/* 0F 70: PSHUFW (none), PSHUFD (66), PSHUFHW (F3), PSHUFLW (F2). */
static bool pshuf(struct emu_cpu *c, const struct emu_insn *in)
{
	union sse_vec s, t;
	unsigned imm = (unsigned)in->imm & 0xff;

	if (in->simd_pfx == 0) {
		sse_check_mmx(c);
		mmx_load_rm(c, in, &s, 8);
		memset(&t, 0, sizeof(t));
		for (unsigned i = 0; i < 4; i++)
			t.w[i] = s.w[(imm >> (2 * i)) & 3];
		set_reg(c, false, in->reg, &t);
		return true;
	}
	sse_check_xmm(c);
	sse_load_rm(c, in, &s, 16, true);
	t = s;
	switch (in->simd_pfx) {
	case 0x66:
		for (unsigned i = 0; i < 4; i++)
			t.d[i] = s.d[(imm >> (2 * i)) & 3];
		break;
	case 0xf3:
		for (unsigned i = 0; i < 4; i++)
			t.w[4 + i] = s.w[4 + ((imm >> (2 * i)) & 3)];
		break;
	default:
		for (unsigned i = 0; i < 4; i++)
			t.w[i] = s.w[(imm >> (2 * i)) & 3];
		break;
	}
	set_reg(c, true, in->reg, &t);
	return true;
}

/* 0F 71/72/73: shifts of the rm register by imm8 (register forms only). */
static bool shift_imm(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned digit = (in->modrm >> 3) & 7, lw = 1u << (in->op - 0x70); /* 2, 4, 8 */
	unsigned count = (unsigned)in->imm & 0xff;
	union sse_vec v;
	bool xmm;

	if (in->is_mem || !pick_width(in, &xmm))
		return false;
	if (in->op == 0x73 && (digit == 3 || digit == 7)) { /* PSRLDQ, PSLLDQ */
		if (!xmm)
			return false;
		sse_check_xmm(c);
		get_reg(c, true, in->rm, &v);
		shift_bytes(&v, digit == 7, count);
		set_reg(c, true, in->rm, &v);
		return true;
	}
	if (digit != 2 && digit != 6 && !(digit == 4 && in->op != 0x73))
		return false;
	if (xmm)
		sse_check_xmm(c);
	else
		sse_check_mmx(c);
	get_reg(c, xmm, in->rm, &v);
	shift_lanes(&v, xmm ? 16 : 8, lw, digit == 2 ? 0 : digit == 4 ? 1 : 2, count);
	set_reg(c, xmm, in->rm, &v);
	return true;
}

bool sse_exec_int(struct emu_cpu *c, const struct emu_insn *in)
{
	union sse_vec a, b, r;
	unsigned imm = (unsigned)in->imm & 0xff;
	bool xmm;

	switch (in->op) {
	case 0x70:
		return pshuf(c, in);
	case 0x71: case 0x72: case 0x73:
		return shift_imm(c, in);
	}
	if (!pick_width(in, &xmm))
		return false;
	switch (in->op) {
	case 0xc4: /* PINSRW mm/xmm, r32/m16, imm8 */
		if (xmm)
			sse_check_xmm(c);
		else
			sse_check_mmx(c);
		{
			uint16_t w = (uint16_t)rm_get(c, in, 2);

			get_reg(c, xmm, in->reg, &a);
			a.w[imm & (xmm ? 7 : 3)] = w;
			set_reg(c, xmm, in->reg, &a);
		}
		return true;
	case 0xc5: /* PEXTRW r32, mm/xmm, imm8 */
		if (in->is_mem)
			return false;
		if (xmm)
			sse_check_xmm(c);
		else
			sse_check_mmx(c);
		get_reg(c, xmm, in->rm, &a);
		reg_set(c, in, in->reg, 4, a.w[imm & (xmm ? 7 : 3)]);
		if (!xmm)
			mmx_enter(c);
		return true;
	case 0xd7: { /* PMOVMSKB r32, mm/xmm */
		uint32_t m = 0;

		if (in->is_mem)
			return false;
		if (xmm)
			sse_check_xmm(c);
		else
			sse_check_mmx(c);
		get_reg(c, xmm, in->rm, &a);
		for (unsigned i = 0; i < (xmm ? 16u : 8u); i++)
			m |= (uint32_t)(a.b[i] >> 7) << i;
		reg_set(c, in, in->reg, 4, m);
		if (!xmm)
			mmx_enter(c);
		return true;
	}
	case 0x6c: case 0x6d:
		if (!xmm)
			return false;
		break;
	}
	load_src(c, in, xmm, &b);
	get_reg(c, xmm, xmm ? in->reg : in->reg & 7, &a);
	if (!binop(in->op, &r, &a, &b, xmm ? 16 : 8))
		return false;
	set_reg(c, xmm, in->reg, &r);
	return true;
}
