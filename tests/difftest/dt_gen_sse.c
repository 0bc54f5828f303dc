/* SSE2/MMX instruction generator of the differential tester: one random
 * instruction from a table of the SSE/SSE2 (and MMX-register) forms the
 * software CPU implements, with XMM/MMX operands biased towards the
 * special floating-point values (+-0, denormals, infinities, QNaN/SNaN,
 * values at the integer conversion limits, halfway cases), random MXCSR
 * rounding/DAZ/FTZ/flags (sometimes an unmasked exception), and memory
 * operands in the scratch area, 16-byte aligned except for a few
 * deliberately misaligned ones. RCPPS/RSQRTPS are left out: the SDM lets
 * their result differ between implementations. */
#include <string.h>

#include "dt.h"

/* Operand classes of ModRM.reg / ModRM.rm. */
enum { X, MM, G };

/* Table flags. */
#define MEM 0x01     /* rm may be memory */
#define MEMONLY 0x02 /* rm must be memory */
#define IMM 0x04     /* imm8 follows */
#define W 0x08       /* REX.W is meaningful (GPR operand 32/64) */
#define RDI 0x10     /* implicit store to [rDI] (MASKMOV) */
#define GRP 0x20     /* reg field is a /digit given in .digit */

struct sse_form {
	uint8_t pfx, op, reg, rm, flags, digit;
};

#define F4(op, fl) {0, op, X, X, fl, 0}, {0x66, op, X, X, fl, 0}, {0xf3, op, X, X, fl, 0}, \
		   {0xf2, op, X, X, fl, 0}
#define F2(op, fl) {0, op, X, X, fl, 0}, {0x66, op, X, X, fl, 0}
#define INT2(op) {0, op, MM, MM, MEM, 0}, {0x66, op, X, X, MEM, 0}

static const struct sse_form forms[] = {
	/* moves */
	F4(0x10, MEM), F4(0x11, MEM),
	{0, 0x12, X, X, MEM, 0}, {0x66, 0x12, X, X, MEMONLY, 0},
	{0, 0x13, X, X, MEMONLY, 0}, {0x66, 0x13, X, X, MEMONLY, 0},
	{0, 0x16, X, X, MEM, 0}, {0x66, 0x16, X, X, MEMONLY, 0},
	{0, 0x17, X, X, MEMONLY, 0}, {0x66, 0x17, X, X, MEMONLY, 0},
	F2(0x28, MEM), F2(0x29, MEM), F2(0x2b, MEMONLY),
	{0, 0x50, G, X, 0, 0}, {0x66, 0x50, G, X, 0, 0},
	{0x66, 0x6e, X, G, MEM | W, 0}, {0x66, 0x7e, X, G, MEM | W, 0},
	{0, 0x6e, MM, G, MEM | W, 0}, {0, 0x7e, MM, G, MEM | W, 0},
	{0, 0x6f, MM, MM, MEM, 0}, {0x66, 0x6f, X, X, MEM, 0}, {0xf3, 0x6f, X, X, MEM, 0},
	{0, 0x7f, MM, MM, MEM, 0}, {0x66, 0x7f, X, X, MEM, 0}, {0xf3, 0x7f, X, X, MEM, 0},
	{0xf3, 0x7e, X, X, MEM, 0}, {0x66, 0xd6, X, X, MEM, 0},
	{0xf3, 0xd6, X, MM, 0, 0}, {0xf2, 0xd6, MM, X, 0, 0},
	{0, 0xe7, MM, MM, MEMONLY, 0}, {0x66, 0xe7, X, X, MEMONLY, 0},
	{0, 0xf7, MM, MM, RDI, 0}, {0x66, 0xf7, X, X, RDI, 0},
	/* floating point */
	F4(0x51, MEM), F4(0x58, MEM), F4(0x59, MEM), F4(0x5c, MEM), F4(0x5d, MEM), F4(0x5e, MEM),
	F4(0x5f, MEM), F4(0xc2, MEM | IMM),
	F2(0x2e, MEM), F2(0x2f, MEM), F2(0x54, MEM), F2(0x55, MEM), F2(0x56, MEM), F2(0x57, MEM),
	F2(0x14, MEM), F2(0x15, MEM), F2(0xc6, MEM | IMM),
	/* conversions */
	{0, 0x2a, X, MM, MEM, 0}, {0x66, 0x2a, X, MM, MEM, 0},
	{0xf3, 0x2a, X, G, MEM | W, 0}, {0xf2, 0x2a, X, G, MEM | W, 0},
	{0, 0x2c, MM, X, MEM, 0}, {0x66, 0x2c, MM, X, MEM, 0},
	{0xf3, 0x2c, G, X, MEM | W, 0}, {0xf2, 0x2c, G, X, MEM | W, 0},
	{0, 0x2d, MM, X, MEM, 0}, {0x66, 0x2d, MM, X, MEM, 0},
	{0xf3, 0x2d, G, X, MEM | W, 0}, {0xf2, 0x2d, G, X, MEM | W, 0},
	F4(0x5a, MEM), {0, 0x5b, X, X, MEM, 0}, {0x66, 0x5b, X, X, MEM, 0},
	{0xf3, 0x5b, X, X, MEM, 0}, {0x66, 0xe6, X, X, MEM, 0}, {0xf2, 0xe6, X, X, MEM, 0},
	{0xf3, 0xe6, X, X, MEM, 0},
	/* integer */
	INT2(0x60), INT2(0x61), INT2(0x62), INT2(0x63), INT2(0x64), INT2(0x65), INT2(0x66),
	INT2(0x67), INT2(0x68), INT2(0x69), INT2(0x6a), INT2(0x6b),
	{0x66, 0x6c, X, X, MEM, 0}, {0x66, 0x6d, X, X, MEM, 0},
	INT2(0x74), INT2(0x75), INT2(0x76),
	INT2(0xd1), INT2(0xd2), INT2(0xd3), INT2(0xd4), INT2(0xd5),
	INT2(0xd8), INT2(0xd9), INT2(0xda), INT2(0xdb), INT2(0xdc), INT2(0xdd), INT2(0xde),
	INT2(0xdf), INT2(0xe0), INT2(0xe1), INT2(0xe2), INT2(0xe3), INT2(0xe4), INT2(0xe5),
	INT2(0xe8), INT2(0xe9), INT2(0xea), INT2(0xeb), INT2(0xec), INT2(0xed), INT2(0xee),
	INT2(0xef), INT2(0xf1), INT2(0xf2), INT2(0xf3), INT2(0xf4), INT2(0xf5), INT2(0xf6),
	INT2(0xf8), INT2(0xf9), INT2(0xfa), INT2(0xfb), INT2(0xfc), INT2(0xfd), INT2(0xfe),
	{0, 0x70, MM, MM, MEM | IMM, 0}, {0x66, 0x70, X, X, MEM | IMM, 0},
	{0xf3, 0x70, X, X, MEM | IMM, 0}, {0xf2, 0x70, X, X, MEM | IMM, 0},
	{0, 0x71, MM, MM, IMM | GRP, 2}, {0, 0x71, MM, MM, IMM | GRP, 4},
	{0, 0x71, MM, MM, IMM | GRP, 6}, {0x66, 0x71, X, X, IMM | GRP, 2},
	{0x66, 0x71, X, X, IMM | GRP, 4}, {0x66, 0x71, X, X, IMM | GRP, 6},
	{0, 0x72, MM, MM, IMM | GRP, 2}, {0, 0x72, MM, MM, IMM | GRP, 4},
	{0, 0x72, MM, MM, IMM | GRP, 6}, {0x66, 0x72, X, X, IMM | GRP, 2},
	{0x66, 0x72, X, X, IMM | GRP, 4}, {0x66, 0x72, X, X, IMM | GRP, 6},
	{0, 0x73, MM, MM, IMM | GRP, 2}, {0, 0x73, MM, MM, IMM | GRP, 6},
	{0x66, 0x73, X, X, IMM | GRP, 2}, {0x66, 0x73, X, X, IMM | GRP, 3},
	{0x66, 0x73, X, X, IMM | GRP, 6}, {0x66, 0x73, X, X, IMM | GRP, 7},
	{0, 0xc4, MM, G, MEM | IMM, 0}, {0x66, 0xc4, X, G, MEM | IMM, 0},
	{0, 0xc5, G, MM, IMM, 0}, {0x66, 0xc5, G, X, IMM, 0},
	{0, 0xd7, G, MM, 0, 0}, {0x66, 0xd7, G, X, 0, 0},
};

static unsigned rnd(struct dt_rng *r, unsigned n)
{
	return (unsigned)(dt_rand(r) % n);
}

static uint32_t special_f32(struct dt_rng *r)
{
	static const uint32_t v[] = {
		0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00400000, 0x7f800000, 0xff800000,
		0x7fc00000, 0xffc00000, 0x7fa00000, 0xff800001, 0x3f800000, 0xbf800000, 0x7f7fffff,
		0x00800000, 0x80800000, 0x4f000000, 0xcf000000, 0x4effffff, 0x5f000000, 0xdf000000,
		0x3f000000, 0x3fc00000, 0x40200000, 0xbfc00000, 0x33800000, 0x0c000000, 0x72000000,
	};

	switch (rnd(r, 3)) {
	case 0: return v[rnd(r, sizeof(v) / sizeof(v[0]))];
	case 1: return (uint32_t)dt_rand(r);
	default: /* a modest number, some with fractions */
		return (uint32_t)((rnd(r, 2) << 31) | ((0x70 + rnd(r, 0x20)) << 23) |
				  (rnd(r, 2) ? rnd(r, 1u << 23) : 0));
	}
}

static uint64_t special_f64(struct dt_rng *r)
{
	static const uint64_t v[] = {
		0, 0x8000000000000000ULL, 1, 0x800fffffffffffffULL, 0x0008000000000000ULL,
		0x7ff0000000000000ULL, 0xfff0000000000000ULL, 0x7ff8000000000000ULL,
		0xfff8000000000000ULL, 0x7ff4000000000000ULL, 0xfff0000000000001ULL,
		0x3ff0000000000000ULL, 0xbff0000000000000ULL, 0x7fefffffffffffffULL,
		0x0010000000000000ULL, 0x41e0000000000000ULL, 0xc1e0000000000000ULL,
		0x41dfffffffffffffULL, 0x43e0000000000000ULL, 0xc3e0000000000000ULL,
		0x3fe0000000000000ULL, 0x3ff8000000000000ULL, 0x4004000000000000ULL,
		0x36a0000000000000ULL, 0x47efffffe0000000ULL, 0x3810000000000000ULL,
		0x380fffffffffffffULL, 0x47f0000000000000ULL,
	};

	switch (rnd(r, 3)) {
	case 0: return v[rnd(r, sizeof(v) / sizeof(v[0]))];
	case 1: return dt_rand(r);
	default:
		return ((uint64_t)rnd(r, 2) << 63) | ((uint64_t)(0x3c0 + rnd(r, 0x80)) << 52) |
		       (rnd(r, 2) ? dt_rand(r) >> 12 : 0);
	}
}

/* An XMM value: all single lanes, all double lanes, or random bits. */
static void fill_xmm(struct dt_rng *r, uint8_t *x)
{
	switch (rnd(r, 3)) {
	case 0:
		for (unsigned i = 0; i < 4; i++) {
			uint32_t v = special_f32(r);

			memcpy(x + 4 * i, &v, 4);
		}
		break;
	case 1:
		for (unsigned i = 0; i < 2; i++) {
			uint64_t v = special_f64(r);

			memcpy(x + 8 * i, &v, 8);
		}
		break;
	default:
		for (unsigned i = 0; i < 2; i++) {
			uint64_t v = dt_rand(r);

			if (rnd(r, 4) == 0) /* saturation edges for the integer ops */
				v = rnd(r, 2) ? 0x7fff80007fff8000ULL : 0x00ff7f8080017f00ULL;
			memcpy(x + 8 * i, &v, 8);
		}
		break;
	}
}

static void emit(struct dt_case *k, uint8_t b)
{
	if (k->len < sizeof(k->code))
		k->code[k->len++] = b;
}

static uint64_t pick_mxcsr(struct dt_rng *r)
{
	uint32_t m = 0x1f80 | ((uint32_t)rnd(r, 4) << 13); /* rounding control */

	if (rnd(r, 8) == 0)
		m |= 0x40; /* DAZ */
	if (rnd(r, 8) == 0)
		m |= 0x8000; /* FTZ */
	if (rnd(r, 4) == 0)
		m |= (uint32_t)rnd(r, 64); /* sticky flags already set */
	if (rnd(r, 16) == 0)
		m &= ~(0x80u << rnd(r, 6)); /* one exception unmasked */
	return m;
}

void dt_gen_sse(struct dt_rng *r, struct dt_case *k)
{
	static const unsigned bases[] = {0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 14, 15};
	const struct sse_form *f;
	unsigned regn, rmn, rex = 0x40, base = 0;
	bool mem;

	k->family = "sse";
	for (unsigned i = 0; i < 16; i++)
		fill_xmm(r, k->in.xmm[i]);
	for (unsigned i = 0; i < 8; i++) {
		uint8_t x[16];

		fill_xmm(r, x);
		memcpy(&k->in.mm[i], x, 8);
	}
	k->in.mxcsr = (uint32_t)pick_mxcsr(r);

	if (rnd(r, 64) == 0) { /* EMMS */
		emit(k, 0x0f);
		emit(k, 0x77);
		return;
	}
	f = &forms[rnd(r, sizeof(forms) / sizeof(forms[0]))];
	mem = (f->flags & MEMONLY) || ((f->flags & MEM) && rnd(r, 3) == 0);
	regn = f->flags & GRP ? f->digit : rnd(r, f->reg == MM ? 8 : 16);
	rmn = rnd(r, f->rm == MM ? 8 : 16);
	if (f->pfx)
		emit(k, f->pfx);
	if (f->reg != MM && (regn & 8))
		rex |= 4;
	if (mem) {
		base = bases[rnd(r, 12)];
		if (base & 8)
			rex |= 1;
	} else if (f->rm != MM && (rmn & 8)) {
		rex |= 1;
	}
	if ((f->flags & W) && rnd(r, 2))
		rex |= 8;
	/* REX.R/REX.B are ignored for MMX register operands. */
	if (f->reg == MM && rnd(r, 8) == 0)
		rex |= 4;
	if (f->rm == MM && !mem && rnd(r, 8) == 0)
		rex |= 1;
	if (rex != 0x40 || rnd(r, 8) == 0)
		emit(k, (uint8_t)rex);
	emit(k, 0x0f);
	emit(k, f->op);
	if (mem) {
		uint64_t p = DT_SCRATCH_ADDR + 2048 + 16 * rnd(r, 64);

		if (rnd(r, 16) == 0)
			p += 1 + rnd(r, 15); /* misaligned: #GP for the aligned forms */
		else if (rnd(r, 4) == 0)
			p += 8 * rnd(r, 2) + 4 * rnd(r, 2);
		k->in.gpr[base] = p;
		emit(k, (uint8_t)(0x40 | ((regn & 7) << 3) | (base & 7)));
		emit(k, (uint8_t)(16 * (int)(rnd(r, 8) - 4)));
	} else {
		emit(k, (uint8_t)(0xc0 | ((regn & 7) << 3) | (rmn & 7)));
	}
	if (f->flags & RDI) {
		k->in.gpr[7] = DT_SCRATCH_ADDR + 1024 + rnd(r, 2048);
		/* The mask register must not be RDI's pointer either. */
	}
	if (f->flags & IMM) {
		unsigned imm = (unsigned)dt_rand(r) & 0xff;

		if (f->op == 0xc2 && rnd(r, 4))
			imm &= 7;
		if ((f->flags & GRP) && rnd(r, 2))
			imm &= f->op == 0x73 && (f->digit == 3 || f->digit == 7) ? 15 : 31;
		emit(k, (uint8_t)imm);
	}
}
