/* Unit tests for the software CPU's SSE/SSE2/MMX instructions: whole
 * instructions through emu_step() in real mode (CR4.OSFXSR set by hand),
 * checked against the results the Intel SDM vol. 2 defines: shuffles,
 * packs and saturation, compares, multiplies, shifts, floating-point
 * results and MXCSR flags, conversions with the integer indefinite
 * value, #XM/#UD for unmasked exceptions, #GP on misaligned m128, the
 * #UD/#NM rules, MMX aliasing of the x87 registers, FXSAVE/FXRSTOR. */
#include <stdlib.h>

#include "unit.h"

#include "../../src/accel/emu/emu_exec.h"
#include "vslice/x86_regs.h"

#define RAM (1u << 20)
#define CODE 0x1000u
#define DATA 0x2000u    /* BX points here: [bx] operands */
#define HANDLER 0x5000u /* IVT vector v -> 0000:HANDLER + 4 * v */
/* MXCSR exception flags (SDM vol. 1, 10.2.3). */
#define MXCSR_IE_BIT 0x01u
#define MXCSR_DE_BIT 0x02u
#define MXCSR_ZE_BIT 0x04u
#define MXCSR_OE_BIT 0x08u
#define MXCSR_UE_BIT 0x10u
#define MXCSR_PE_BIT 0x20u
#define MXCSR_FLAGS 0x3fu

struct rig {
	struct emu_cpu *c;
	uint8_t *ram;
	struct guest_mem gm;
};

static int rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->c = calloc(1, sizeof(*r->c));
	r->ram = calloc(1, RAM);
	assert_non_null(r->c);
	assert_non_null(r->ram);
	guest_mem_init_buffer(&r->gm, r->ram, RAM);
	r->c->mem = &r->gm;
	emu_cpu_reset(r->c);
	r->c->seg[S_CS].sel = 0;
	r->c->seg[S_CS].base = 0;
	r->c->gpr[R_SP] = 0x8000;
	r->c->gpr[R_BX] = DATA;
	r->c->cr4 |= X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	emu_update_mode(r->c);
	for (unsigned v = 0; v < 32; v++) {
		uint16_t off = (uint16_t)(HANDLER + 4 * v);

		memcpy(r->ram + 4 * v, &off, 2);
		memset(r->ram + 4 * v + 2, 0, 2);
	}
	*state = r;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *r = *state;

	free(r->ram);
	free(r->c);
	free(r);
	return 0;
}

/* Runs one instruction at CODE; returns the exception vector delivered
 * (from where execution went), or -1 if the instruction completed. */
static int run(struct rig *r, const uint8_t *code, unsigned n)
{
	r->c->rip = CODE;
	r->c->seg[S_CS].base = 0;
	r->c->seg[S_CS].sel = 0;
	r->c->gpr[R_SP] = 0x8000;
	memcpy(r->ram + CODE, code, n);
	assert_int_equal(emu_step(r->c), 0);
	if (r->c->rip == CODE + n)
		return -1;
	assert_true(r->c->rip >= HANDLER && r->c->rip < HANDLER + 128);
	return (int)(r->c->rip - HANDLER) / 4;
}
#define RUN(r, ...)                                                                         \
	({                                                                                  \
		static const uint8_t c_[] = {__VA_ARGS__};                                  \
		run(r, c_, sizeof(c_));                                                     \
	})

static void set_d(struct emu_cpu *c, unsigned x, uint32_t d0, uint32_t d1, uint32_t d2,
		  uint32_t d3)
{
	uint32_t v[4] = {d0, d1, d2, d3};

	memcpy(c->fpu.xmm[x], v, 16);
}

static uint32_t get_d(const struct emu_cpu *c, unsigned x, unsigned i)
{
	uint32_t v;

	memcpy(&v, c->fpu.xmm[x] + 4 * i, 4);
	return v;
}

static uint64_t get_q(const struct emu_cpu *c, unsigned x, unsigned i)
{
	uint64_t v;

	memcpy(&v, c->fpu.xmm[x] + 8 * i, 8);
	return v;
}

static void set_q(struct emu_cpu *c, unsigned x, uint64_t q0, uint64_t q1)
{
	memcpy(c->fpu.xmm[x], &q0, 8);
	memcpy(c->fpu.xmm[x] + 8, &q1, 8);
}

static void set_w(struct emu_cpu *c, unsigned x, const uint16_t w[8])
{
	memcpy(c->fpu.xmm[x], w, 16);
}

static uint32_t f32(float f)
{
	uint32_t v;

	memcpy(&v, &f, 4);
	return v;
}

static uint64_t f64(double f)
{
	uint64_t v;

	memcpy(&v, &f, 8);
	return v;
}

static void test_shuffles(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* PSHUFD xmm0, xmm1, 1Bh reverses the dwords. */
	set_d(c, 1, 0x00000000, 0x11111111, 0x22222222, 0x33333333);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x70, 0xc1, 0x1b), -1);
	assert_int_equal(get_d(c, 0, 0), 0x33333333);
	assert_int_equal(get_d(c, 0, 1), 0x22222222);
	assert_int_equal(get_d(c, 0, 2), 0x11111111);
	assert_int_equal(get_d(c, 0, 3), 0x00000000);
	/* SHUFPS xmm0, xmm1, 4Eh: low half from xmm0 (2, 3), high from xmm1 (0, 1). */
	set_d(c, 0, 0xa0, 0xa1, 0xa2, 0xa3);
	set_d(c, 1, 0xb0, 0xb1, 0xb2, 0xb3);
	assert_int_equal(RUN(r, 0x0f, 0xc6, 0xc1, 0x4e), -1);
	assert_int_equal(get_d(c, 0, 0), 0xa2);
	assert_int_equal(get_d(c, 0, 1), 0xa3);
	assert_int_equal(get_d(c, 0, 2), 0xb0);
	assert_int_equal(get_d(c, 0, 3), 0xb1);
	/* SHUFPD xmm0, xmm1, 1: xmm0.hi, xmm1.lo. */
	set_q(c, 0, 10, 11);
	set_q(c, 1, 20, 21);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xc6, 0xc1, 0x01), -1);
	assert_int_equal(get_q(c, 0, 0), 11);
	assert_int_equal(get_q(c, 0, 1), 20);
	/* PSHUFLW xmm0, xmm1, 00h: word 0 four times, high half copied. */
	static const uint16_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	set_w(c, 1, w);
	assert_int_equal(RUN(r, 0xf2, 0x0f, 0x70, 0xc1, 0x00), -1);
	assert_int_equal(get_q(c, 0, 0), 0x0001000100010001ULL);
	assert_int_equal(get_q(c, 0, 1), 0x0008000700060005ULL);
	/* PSHUFHW xmm0, xmm1, 1Bh: high words reversed, low half copied. */
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x70, 0xc1, 0x1b), -1);
	assert_int_equal(get_q(c, 0, 0), 0x0004000300020001ULL);
	assert_int_equal(get_q(c, 0, 1), 0x0005000600070008ULL);
	/* UNPCKLPS / PUNPCKHQDQ / PUNPCKLBW. */
	set_d(c, 0, 0xa0, 0xa1, 0xa2, 0xa3);
	set_d(c, 1, 0xb0, 0xb1, 0xb2, 0xb3);
	assert_int_equal(RUN(r, 0x0f, 0x14, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x000000b0000000a0ULL);
	assert_int_equal(get_q(c, 0, 1), 0x000000b1000000a1ULL);
	set_q(c, 0, 1, 2);
	set_q(c, 1, 3, 4);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x6d, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 2);
	assert_int_equal(get_q(c, 0, 1), 4);
	set_q(c, 0, 0x0706050403020100ULL, 0);
	set_q(c, 1, 0x1716151413121110ULL, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x60, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x1303120211011000ULL);
	assert_int_equal(get_q(c, 0, 1), 0x1707160615051404ULL);
}

static void test_packs_saturation(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;
	static const uint16_t a[8] = {0x7fff, 0x8000, 0x0080, 0xff7f, 5, 0xfffb, 0x0100, 0};
	static const uint16_t b[8] = {1, 2, 3, 4, 0xffff, 0x7f, 0xff80, 0xff81};

	/* PACKSSWB: signed saturation to bytes, destination words first. */
	set_w(c, 0, a);
	set_w(c, 1, b);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x63, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x007ffb05807f807fULL);
	assert_int_equal(get_q(c, 0, 1), 0x81807fff04030201ULL);
	/* PACKUSWB: negatives -> 0, > 255 -> 255. */
	set_w(c, 0, a);
	set_w(c, 1, b);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x67, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x00ff0005008000ffULL);
	/* PACKSSDW: 0x12345678 -> 7FFFh, -70000 -> 8000h. */
	set_d(c, 0, 0x12345678, (uint32_t)-70000, 100, (uint32_t)-100);
	set_d(c, 1, 32767, 32768, (uint32_t)-32768, (uint32_t)-32769);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x6b, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0xff9c006480007fffULL);
	assert_int_equal(get_q(c, 0, 1), 0x800080007fff7fffULL);
	/* PADDUSB 0xF0 + 0x20 = 0xFF; PSUBUSB 0x10 - 0x20 = 0. */
	set_q(c, 0, 0xf0, 0x10);
	set_q(c, 1, 0x20, 0x20);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xdc, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0xff);
	assert_int_equal(get_q(c, 0, 1), 0x30);
	set_q(c, 0, 0x10, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xd8, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0);
	/* PADDSW 7000h + 2000h = 7FFFh; PSUBSW 9000h - 2000h = 8000h. */
	set_q(c, 0, 0x9000700090007000ULL, 0);
	set_q(c, 1, 0x2000200020002000ULL, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xed, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0xb0007fffb0007fffULL);
	set_q(c, 0, 0x9000700090007000ULL, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xe9, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x8000500080005000ULL);
	/* PADDQ wraps per quadword, no carry between them. */
	set_q(c, 0, ~0ULL, 5);
	set_q(c, 1, 1, 6);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xd4, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0);
	assert_int_equal(get_q(c, 0, 1), 11);
}

static void test_compare_multiply(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* PCMPGTB is signed: 80h > 7Fh is false, 7Fh > 80h true. */
	set_q(c, 0, 0x0000000000007f80ULL, 0);
	set_q(c, 1, 0x000000000000807fULL, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x64, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x000000000000ff00ULL);
	/* PCMPEQD. */
	set_d(c, 0, 1, 2, 3, 4);
	set_d(c, 1, 1, 0, 3, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x76, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x00000000ffffffffULL);
	assert_int_equal(get_q(c, 0, 1), 0x00000000ffffffffULL);
	/* PMADDWD: (-32768 * -32768) * 2 wraps to 80000000h. */
	set_q(c, 0, 0x8000800000030002ULL, 0);
	set_q(c, 1, 0x8000800000050004ULL, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xf5, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x8000000000000017ULL);
	/* PMULHW / PMULHUW / PMULLW on FFFFh * 2. */
	set_q(c, 0, 0xffff, 0);
	set_q(c, 1, 2, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xe5, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0xffff);
	set_q(c, 0, 0xffff, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xe4, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 1);
	set_q(c, 0, 0xffff, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xd5, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0xfffe);
	/* PMULUDQ: the even dwords, unsigned 64-bit products. */
	set_d(c, 0, 0xffffffff, 7, 3, 9);
	set_d(c, 1, 0xffffffff, 8, 5, 9);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xf4, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0xfffffffe00000001ULL);
	assert_int_equal(get_q(c, 0, 1), 15);
	/* PSADBW: sum of |a - b| per 8 bytes. */
	set_q(c, 0, 0x00ff000000000010ULL, 0xffffffffffffffffULL);
	set_q(c, 1, 0xff00000000000001ULL, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xf6, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0xff + 0xff + 0xf);
	assert_int_equal(get_q(c, 0, 1), 8 * 0xff);
	/* PAVGB rounds up: (1 + 2 + 1) >> 1 = 2; (FFh + FFh + 1) >> 1 = FFh. */
	set_q(c, 0, 0xff01, 0);
	set_q(c, 1, 0xff02, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xe0, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0xff02);
	/* PMINSW signed / PMAXUB unsigned. */
	set_q(c, 0, 0x8000, 0);
	set_q(c, 1, 0x7fff, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xea, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x8000);
	set_q(c, 0, 0x80, 0);
	set_q(c, 1, 0x7f, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xde, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x80);
}

static void test_shifts(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* PSRAW xmm0, 20: counts above 15 fill with the sign. */
	set_q(c, 0, 0x80007fff80010001ULL, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x71, 0xe0, 20), -1);
	assert_int_equal(get_q(c, 0, 0), 0xffff0000ffff0000ULL);
	/* PSRLQ xmm0, xmm1 with count 64: zero. */
	set_q(c, 0, ~0ULL, ~0ULL);
	set_q(c, 1, 64, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xd3, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0);
	assert_int_equal(get_q(c, 0, 1), 0);
	/* PSLLD xmm0, 4. */
	set_d(c, 0, 0x12345678, 1, 0, 0xf0000000);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x72, 0xf0, 4), -1);
	assert_int_equal(get_d(c, 0, 0), 0x23456780);
	assert_int_equal(get_d(c, 0, 1), 0x10);
	assert_int_equal(get_d(c, 0, 3), 0);
	/* PSLLDQ xmm0, 3 and PSRLDQ xmm0, 16. */
	set_q(c, 0, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x73, 0xf8, 3), -1);
	assert_int_equal(get_q(c, 0, 0), 0x0403020100000000ULL);
	assert_int_equal(get_q(c, 0, 1), 0x0c0b0a0908070605ULL);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x73, 0xd8, 16), -1);
	assert_int_equal(get_q(c, 0, 0), 0);
	assert_int_equal(get_q(c, 0, 1), 0);
	/* A memory operand is not allowed in the immediate shift groups. */
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x73, 0x3f, 3), EXC_UD);
}

static void test_fp_arith_flags(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* ADDPS exact. */
	set_d(c, 0, f32(1.5f), f32(-2.0f), f32(0.0f), f32(1.0f));
	set_d(c, 1, f32(2.25f), f32(2.0f), f32(-0.0f), f32(1e-10f));
	c->fpu.mxcsr = 0x1f80;
	assert_int_equal(RUN(r, 0x0f, 0x58, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), f32(3.75f));
	assert_int_equal(get_d(c, 0, 1), 0);          /* -2 + 2 = +0 (round to nearest) */
	assert_int_equal(get_d(c, 0, 2), 0);          /* +0 + -0 = +0 */
	assert_int_equal(get_d(c, 0, 3), f32(1.0f)); /* inexact */
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | MXCSR_PE_BIT);
	/* Round down: -2 + 2 = -0. */
	set_d(c, 0, f32(-2.0f), 0, 0, 0);
	set_d(c, 1, f32(2.0f), 0, 0, 0);
	c->fpu.mxcsr = 0x3f80;
	assert_int_equal(RUN(r, 0x0f, 0x58, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), 0x80000000u);
	/* 1/3 rounds differently up and down (last bit). */
	set_d(c, 0, f32(1.0f), 0x11111111, 0x22222222, 0x33333333);
	set_d(c, 1, f32(3.0f), 0, 0, 0);
	c->fpu.mxcsr = 0x5f80; /* up */
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x5e, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), 0x3eaaaaabu);
	assert_int_equal(get_d(c, 0, 1), 0x11111111); /* DIVSS keeps the upper lanes */
	assert_int_equal(get_d(c, 0, 3), 0x33333333);
	set_d(c, 0, f32(1.0f), 0, 0, 0);
	c->fpu.mxcsr = 0x3f80; /* down */
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x5e, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), 0x3eaaaaaau);
	/* DIVSS by zero (masked): infinity and ZE; 0/0: QNaN indefinite and IE. */
	set_d(c, 0, f32(-1.0f), 0, 0, 0);
	set_d(c, 1, 0, 0, 0, 0);
	c->fpu.mxcsr = 0x1f80;
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x5e, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), 0xff800000u);
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | MXCSR_ZE_BIT);
	set_d(c, 0, 0, 0, 0, 0);
	c->fpu.mxcsr = 0x1f80;
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x5e, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), 0xffc00000u);
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | MXCSR_IE_BIT);
	/* SQRTSD of -1: QNaN indefinite, IE. */
	set_q(c, 1, f64(-1.0), 0);
	set_q(c, 0, 0, 0x1234);
	c->fpu.mxcsr = 0x1f80;
	assert_int_equal(RUN(r, 0xf2, 0x0f, 0x51, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0xfff8000000000000ULL);
	assert_int_equal(get_q(c, 0, 1), 0x1234);
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | MXCSR_IE_BIT);
	/* MINSS returns the second operand if either is NaN; MAXSD with +0/-0
	 * returns the second operand too. */
	set_d(c, 0, 0x7fc00001, 0, 0, 0);
	set_d(c, 1, f32(1.0f), 0, 0, 0);
	c->fpu.mxcsr = 0x1f80;
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x5d, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), f32(1.0f));
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | MXCSR_IE_BIT);
	set_q(c, 0, 0, 0);
	set_q(c, 1, 0x8000000000000000ULL, 0);
	assert_int_equal(RUN(r, 0xf2, 0x0f, 0x5f, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x8000000000000000ULL);
	/* Denormal operand: DE (DAZ off); with DAZ it is zero and no DE. */
	set_d(c, 0, 1, 0, 0, 0);
	set_d(c, 1, f32(1.0f), 0, 0, 0);
	c->fpu.mxcsr = 0x1f80;
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x59, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), 1);
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | MXCSR_DE_BIT);
	set_d(c, 0, 1, 0, 0, 0);
	c->fpu.mxcsr = 0x1f80 | 0x40;
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x59, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), 0);
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | 0x40);
}

static void test_unmasked_exceptions(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* Divide by zero with ZM clear: #XM, destination unchanged, ZE set. */
	set_d(c, 0, f32(1.0f), f32(2.0f), f32(3.0f), f32(4.0f));
	set_d(c, 1, 0, f32(1.0f), f32(1.0f), f32(1.0f));
	c->fpu.mxcsr = 0x1f80 & ~0x200u;
	assert_int_equal(RUN(r, 0x0f, 0x5e, 0xc1), EXC_XM);
	assert_int_equal(get_d(c, 0, 0), f32(1.0f));
	assert_int_equal(get_d(c, 0, 1), f32(2.0f));
	assert_int_equal(c->fpu.mxcsr, (0x1f80 & ~0x200u) | MXCSR_ZE_BIT);
	/* Without CR4.OSXMMEXCPT the same is #UD. */
	c->cr4 &= ~X86_CR4_OSXMMEXCPT;
	c->fpu.mxcsr = 0x1f80 & ~0x200u;
	assert_int_equal(RUN(r, 0x0f, 0x5e, 0xc1), EXC_UD);
	c->cr4 |= X86_CR4_OSXMMEXCPT;
	/* Precision unmasked: 1/3 raises #XM with PE. */
	set_d(c, 0, f32(1.0f), 0, 0, 0);
	set_d(c, 1, f32(3.0f), 0, 0, 0);
	c->fpu.mxcsr = 0x1f80 & ~0x1000u;
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x5e, 0xc1), EXC_XM);
	assert_int_equal(get_d(c, 0, 0), f32(1.0f));
	assert_int_equal(c->fpu.mxcsr & MXCSR_FLAGS, MXCSR_PE_BIT);
	/* Underflow unmasked with an exact denormal result still traps. */
	set_d(c, 0, 0x00800000, 0, 0, 0); /* smallest normal / 2 = exact denormal */
	set_d(c, 1, f32(2.0f), 0, 0, 0);
	c->fpu.mxcsr = 0x1f80 & ~0x800u;
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x5e, 0xc1), EXC_XM);
	assert_int_equal(get_d(c, 0, 0), 0x00800000);
	c->fpu.mxcsr = 0x1f80;
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x5e, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), 0x00400000);
	assert_int_equal(c->fpu.mxcsr, 0x1f80); /* masked: exact, so no UE */
}

static void test_cmp_comis(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;
	/* CMPPS predicates on (1 < 2), (2 = 2), (NaN ? 1), (3 > 2). */
	for (unsigned imm = 0; imm < 8; imm++) {
		/* EQ LT LE UNORD NEQ NLT NLE ORD */
		static const uint8_t res[8][4] = {
			{0, 1, 0, 0}, {1, 0, 0, 0}, {1, 1, 0, 0}, {0, 0, 1, 0},
			{1, 0, 1, 1}, {0, 1, 1, 1}, {0, 0, 1, 1}, {1, 1, 0, 1},
		};
		uint8_t code[4] = {0x0f, 0xc2, 0xc1, (uint8_t)imm};

		set_d(c, 0, f32(1.0f), f32(2.0f), 0x7fc00000, f32(3.0f));
		set_d(c, 1, f32(2.0f), f32(2.0f), f32(1.0f), f32(2.0f));
		c->fpu.mxcsr = 0x1f80;
		assert_int_equal(run(r, code, 4), -1);
		for (unsigned i = 0; i < 4; i++)
			assert_int_equal(get_d(c, 0, i), res[imm][i] ? ~0u : 0);
		/* QNaN: LT/LE/NLT/NLE signal invalid; EQ/UNORD/NEQ/ORD do not. */
		bool signaling = imm == 1 || imm == 2 || imm == 5 || imm == 6;
		assert_int_equal(c->fpu.mxcsr, 0x1f80 | (signaling ? MXCSR_IE_BIT : 0));
	}
	/* COMISS: less -> CF; equal -> ZF; greater -> none; unordered -> ZF PF CF. */
	c->rflags = 2 | FL_OF | FL_SF | FL_AF;
	set_d(c, 0, f32(1.0f), 0, 0, 0);
	set_d(c, 1, f32(2.0f), 0, 0, 0);
	c->fpu.mxcsr = 0x1f80;
	assert_int_equal(RUN(r, 0x0f, 0x2f, 0xc1), -1);
	assert_int_equal(c->rflags & FL_ARITH, FL_CF);
	set_d(c, 1, f32(1.0f), 0, 0, 0);
	assert_int_equal(RUN(r, 0x0f, 0x2f, 0xc1), -1);
	assert_int_equal(c->rflags & FL_ARITH, FL_ZF);
	set_d(c, 1, f32(0.5f), 0, 0, 0);
	assert_int_equal(RUN(r, 0x0f, 0x2f, 0xc1), -1);
	assert_int_equal(c->rflags & FL_ARITH, 0);
	assert_int_equal(c->fpu.mxcsr, 0x1f80);
	/* QNaN: COMISD signals invalid, UCOMISD does not. */
	set_q(c, 0, f64(1.0), 0);
	set_q(c, 1, 0x7ff8000000000000ULL, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x2e, 0xc1), -1);
	assert_int_equal(c->rflags & FL_ARITH, FL_ZF | FL_PF | FL_CF);
	assert_int_equal(c->fpu.mxcsr, 0x1f80);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x2f, 0xc1), -1);
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | MXCSR_IE_BIT);
}

static void test_conversions(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* CVTTSS2SI eax, xmm1: truncation. */
	c->fpu.mxcsr = 0x1f80;
	set_d(c, 1, f32(-3.9f), 0, 0, 0);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x2c, 0xc1), -1);
	assert_int_equal(c->gpr[R_AX], 0xfffffffdu);
	/* CVTSS2SI rounds to nearest even: 2.5 -> 2, 3.5 -> 4. */
	set_d(c, 1, f32(2.5f), 0, 0, 0);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x2d, 0xc1), -1);
	assert_int_equal(c->gpr[R_AX], 2);
	set_d(c, 1, f32(3.5f), 0, 0, 0);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x2d, 0xc1), -1);
	assert_int_equal(c->gpr[R_AX], 4);
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | MXCSR_PE_BIT);
	/* NaN and 2^31: the integer indefinite 80000000h, IE. */
	c->fpu.mxcsr = 0x1f80;
	set_d(c, 1, 0x7fc00000, 0, 0, 0);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x2c, 0xc1), -1);
	assert_int_equal(c->gpr[R_AX], 0x80000000u);
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | MXCSR_IE_BIT);
	set_q(c, 1, f64(2147483648.0), 0);
	assert_int_equal(RUN(r, 0xf2, 0x0f, 0x2c, 0xc1), -1);
	assert_int_equal(c->gpr[R_AX], 0x80000000u);
	/* CVTTPS2DQ: out of range lanes indefinite. */
	set_d(c, 1, f32(1.9f), f32(-1.9f), f32(3e9f), 0xff800000);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x5b, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), 1);
	assert_int_equal(get_d(c, 0, 1), 0xffffffffu);
	assert_int_equal(get_d(c, 0, 2), 0x80000000u);
	assert_int_equal(get_d(c, 0, 3), 0x80000000u);
	/* CVTSI2SS xmm0, eax: 16777217 is not representable -> 16777216, PE. */
	c->fpu.mxcsr = 0x1f80;
	c->gpr[R_AX] = 16777217;
	set_d(c, 0, 0, 0x55, 0x66, 0x77);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x2a, 0xc0), -1);
	assert_int_equal(get_d(c, 0, 0), f32(16777216.0f));
	assert_int_equal(get_d(c, 0, 1), 0x55);
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | MXCSR_PE_BIT);
	/* CVTSD2SS of 1e300: overflow -> +inf with OE and PE. */
	c->fpu.mxcsr = 0x1f80;
	set_q(c, 1, f64(1e300), 0);
	assert_int_equal(RUN(r, 0xf2, 0x0f, 0x5a, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 0), 0x7f800000u);
	assert_int_equal(c->fpu.mxcsr, 0x1f80 | MXCSR_OE_BIT | MXCSR_PE_BIT);
	/* CVTPS2PD / CVTDQ2PD / CVTPD2PS. */
	set_d(c, 1, f32(1.5f), f32(-0.25f), 0, 0);
	assert_int_equal(RUN(r, 0x0f, 0x5a, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), f64(1.5));
	assert_int_equal(get_q(c, 0, 1), f64(-0.25));
	set_d(c, 1, (uint32_t)-7, 0x7fffffff, 0, 0);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0xe6, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), f64(-7.0));
	assert_int_equal(get_q(c, 0, 1), f64(2147483647.0));
	set_q(c, 1, f64(0.5), f64(8.0));
	set_d(c, 0, 1, 2, 3, 4);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x5a, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), ((uint64_t)f32(8.0f) << 32) | f32(0.5f));
	assert_int_equal(get_q(c, 0, 1), 0);
	/* RCPPS / RSQRTPS: within 1.5 * 2^-12 relative error; specials. */
	set_d(c, 1, f32(3.0f), 0, 0x80000000, f32(-4.0f));
	assert_int_equal(RUN(r, 0x0f, 0x53, 0xc1), -1);
	float rc;
	uint32_t v = get_d(c, 0, 0);
	memcpy(&rc, &v, 4);
	assert_true(rc > (1.0f / 3.0f) * (1 - 0x1.8p-12f) && rc < (1.0f / 3.0f) * (1 + 0x1.8p-12f));
	assert_int_equal(get_d(c, 0, 1), 0x7f800000u);
	assert_int_equal(get_d(c, 0, 2), 0xff800000u);
	assert_int_equal(get_d(c, 0, 3), f32(-0.25f));
	assert_int_equal(RUN(r, 0x0f, 0x52, 0xc1), -1);
	assert_int_equal(get_d(c, 0, 3), 0xffc00000u); /* rsqrt of a negative */
	assert_int_equal(get_d(c, 0, 1), 0x7f800000u);
}

static void test_moves_alignment(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	for (unsigned i = 0; i < 32; i++)
		r->ram[DATA + i] = (uint8_t)(0x40 + i);
	/* MOVAPS xmm0, [bx] aligned. */
	c->gpr[R_BX] = DATA;
	assert_int_equal(RUN(r, 0x0f, 0x28, 0x07), -1);
	assert_int_equal(get_q(c, 0, 0), 0x4746454443424140ULL);
	/* Misaligned MOVAPS, MOVDQA, ADDPS, FXSAVE: #GP(0), register unchanged. */
	c->gpr[R_BX] = DATA + 8;
	set_q(c, 0, 1, 2);
	assert_int_equal(RUN(r, 0x0f, 0x28, 0x07), EXC_GP);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x6f, 0x07), EXC_GP);
	assert_int_equal(RUN(r, 0x0f, 0x58, 0x07), EXC_GP);
	assert_int_equal(RUN(r, 0x0f, 0xae, 0x07), EXC_GP);
	assert_int_equal(get_q(c, 0, 0), 1);
	assert_int_equal(get_q(c, 0, 1), 2);
	/* MOVUPS and MOVDQU do not care; neither do scalar operands. */
	assert_int_equal(RUN(r, 0x0f, 0x10, 0x07), -1);
	assert_int_equal(get_q(c, 0, 0), 0x4f4e4d4c4b4a4948ULL);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x6f, 0x07), -1);
	set_q(c, 0, ~0ULL, ~0ULL);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x58, 0x07), -1);
	/* MOVSS xmm, m32 zeroes the upper lanes; MOVSS xmm, xmm merges. */
	set_q(c, 0, ~0ULL, ~0ULL);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x10, 0x07), -1);
	assert_int_equal(get_q(c, 0, 0), 0x4b4a4948ULL);
	assert_int_equal(get_q(c, 0, 1), 0);
	set_q(c, 0, ~0ULL, ~0ULL);
	set_q(c, 1, 0x1111111122222222ULL, 0x3333333344444444ULL);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x10, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0xffffffff22222222ULL);
	assert_int_equal(get_q(c, 0, 1), ~0ULL);
	/* MOVHLPS / MOVLHPS / MOVQ xmm, xmm (F3 0F 7E zero-extends). */
	set_q(c, 0, 1, 2);
	assert_int_equal(RUN(r, 0x0f, 0x12, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x3333333344444444ULL);
	assert_int_equal(get_q(c, 0, 1), 2);
	assert_int_equal(RUN(r, 0x0f, 0x16, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 1), 0x1111111122222222ULL);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x7e, 0xc1), -1);
	assert_int_equal(get_q(c, 0, 0), 0x1111111122222222ULL);
	assert_int_equal(get_q(c, 0, 1), 0);
	/* MOVD xmm0, eax zero-extends; MOVD ecx, xmm1; PMOVMSKB; MOVMSKPS. */
	c->gpr[R_AX] = 0x89abcdef;
	set_q(c, 0, ~0ULL, ~0ULL);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x6e, 0xc0), -1);
	assert_int_equal(get_q(c, 0, 0), 0x89abcdefULL);
	assert_int_equal(get_q(c, 0, 1), 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x7e, 0xc9), -1);
	assert_int_equal(c->gpr[R_CX], 0x22222222);
	set_q(c, 1, 0x8000000080000000ULL, 0x00000000800000ffULL);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xd7, 0xc1), -1);
	assert_int_equal(c->gpr[R_AX], 0x988); /* bytes 3, 7, 8, 11 */
	assert_int_equal(RUN(r, 0x0f, 0x50, 0xc1), -1);
	assert_int_equal(c->gpr[R_AX], 0x7);
	/* PINSRW xmm0, eax, 5 / PEXTRW ecx, xmm0, 5. */
	c->gpr[R_AX] = 0x1234beef;
	set_q(c, 0, 0, 0);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xc4, 0xc0, 5), -1);
	assert_int_equal(get_q(c, 0, 1), 0x00000000beef0000ULL);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xc5, 0xc8, 0x0d), -1);
	assert_int_equal(c->gpr[R_CX], 0xbeef);
	/* MASKMOVDQU xmm0, xmm1 to DS:DI: only the selected bytes. */
	memset(r->ram + DATA, 0xaa, 16);
	c->gpr[R_DI] = DATA + 3;
	set_q(c, 0, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL);
	set_q(c, 1, 0x0000000000800080ULL, 0x8000000000000000ULL);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xf7, 0xc1), -1);
	assert_int_equal(r->ram[DATA + 2], 0xaa);
	assert_int_equal(r->ram[DATA + 3], 0x00);
	assert_int_equal(r->ram[DATA + 4], 0xaa);
	assert_int_equal(r->ram[DATA + 5], 0x02);
	assert_int_equal(r->ram[DATA + 3 + 15], 0x0f);
	assert_int_equal(r->ram[DATA + 3 + 14], 0x51); /* untouched */
	/* MOVNTDQ m128 (aligned), register form #UD. */
	c->gpr[R_BX] = DATA + 16;
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xe7, 0x07), -1);
	assert_int_equal(r->ram[DATA + 16], 0x00);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xe7, 0xc1), EXC_UD);
	c->gpr[R_BX] = DATA;
}

static void test_ud_nm_rules(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	set_q(c, 0, 5, 6);
	c->cr4 &= ~X86_CR4_OSFXSR;
	assert_int_equal(RUN(r, 0x0f, 0x58, 0xc1), EXC_UD);
	assert_int_equal(RUN(r, 0x66, 0x0f, 0xfe, 0xc1), EXC_UD);
	/* MMX does not need OSFXSR. */
	assert_int_equal(RUN(r, 0x0f, 0xfe, 0xc1), -1);
	c->cr4 |= X86_CR4_OSFXSR;
	c->cr0 |= X86_CR0_EM;
	assert_int_equal(RUN(r, 0x0f, 0x58, 0xc1), EXC_UD);
	assert_int_equal(RUN(r, 0x0f, 0xfe, 0xc1), EXC_UD);
	c->cr0 &= ~X86_CR0_EM;
	c->cr0 |= X86_CR0_TS;
	assert_int_equal(RUN(r, 0x0f, 0x58, 0xc1), EXC_NM);
	assert_int_equal(RUN(r, 0x0f, 0xfe, 0xc1), EXC_NM);
	assert_int_equal(RUN(r, 0x0f, 0xae, 0x07), EXC_NM); /* FXSAVE */
	c->cr0 &= ~X86_CR0_TS;
	assert_int_equal(get_q(c, 0, 0), 5);
	/* Undefined prefix/opcode combinations; SSE3 and the 0F38 map. */
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0x54, 0xc1), EXC_UD); /* no ANDSS */
	assert_int_equal(RUN(r, 0xf2, 0x0f, 0x12, 0xc1), EXC_UD); /* MOVDDUP */
	assert_int_equal(RUN(r, 0x0f, 0x6c, 0xc1), EXC_UD);       /* PUNPCKLQDQ mm */
	assert_int_equal(RUN(r, 0x66, 0x0f, 0x38, 0x00, 0xc1), EXC_UD); /* PSHUFB */
	/* LDMXCSR with a reserved bit: #GP. */
	uint32_t bad = 0x10000;
	memcpy(r->ram + DATA, &bad, 4);
	assert_int_equal(RUN(r, 0x0f, 0xae, 0x17), EXC_GP);
	assert_int_equal(c->fpu.mxcsr, 0x1f80);
}

static void test_mmx(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;
	uint64_t v;

	/* PADDB mm0, mm1 on the x87 register mantissas. */
	c->fpu.fsw = 5 << 11; /* TOP = 5 */
	c->fpu.ftw = 0xffff;
	v = 0x01020304050607ffULL;
	memcpy(c->fpu.st[0], &v, 8);
	v = 0x0101010101010101ULL;
	memcpy(c->fpu.st[1], &v, 8);
	assert_int_equal(RUN(r, 0x0f, 0xfc, 0xc1), -1);
	memcpy(&v, c->fpu.st[0], 8);
	assert_int_equal(v, 0x0203040506070800ULL);
	assert_int_equal(c->fpu.st[0][8], 0xff); /* exponent bits all ones */
	assert_int_equal(c->fpu.st[0][9], 0xff);
	assert_int_equal(c->fpu.ftw, 0);                /* all valid */
	assert_int_equal((c->fpu.fsw >> 11) & 7, 0);    /* TOP = 0 */
	/* PACKSSWB mm: 4 words from each operand. */
	v = 0x80007fff00050100ULL;
	memcpy(c->fpu.st[2], &v, 8);
	v = 0xffff0001ff00007fULL;
	memcpy(c->fpu.st[3], &v, 8);
	assert_int_equal(RUN(r, 0x0f, 0x63, 0xd3), -1);
	memcpy(&v, c->fpu.st[2], 8);
	assert_int_equal(v, 0xff01807f807f057fULL);
	/* MOVD mm2, eax / MOVQ2DQ xmm0, mm2 / EMMS. */
	c->gpr[R_AX] = 0xcafef00d;
	assert_int_equal(RUN(r, 0x0f, 0x6e, 0xd0), -1);
	memcpy(&v, c->fpu.st[2], 8);
	assert_int_equal(v, 0xcafef00dULL);
	set_q(c, 0, ~0ULL, ~0ULL);
	assert_int_equal(RUN(r, 0xf3, 0x0f, 0xd6, 0xc2), -1);
	assert_int_equal(get_q(c, 0, 0), 0xcafef00dULL);
	assert_int_equal(get_q(c, 0, 1), 0);
	assert_int_equal(RUN(r, 0x0f, 0x77), -1);
	assert_int_equal(c->fpu.ftw, 0xffff);
	/* A pending x87 exception (FSW.ES): #MF before the MMX instruction. */
	c->fpu.fsw |= 0x80;
	assert_int_equal(RUN(r, 0x0f, 0xfc, 0xc1), EXC_MF);
	c->fpu.fsw &= (uint16_t)~0x80;
}

static void test_fxsave_fxrstor(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;
	uint8_t *img = r->ram + DATA;
	uint32_t mx;

	memset(img, 0, 512);
	c->fpu.fcw = 0x037f;
	c->fpu.fsw = 3 << 11; /* TOP = 3: ST(0) is physical register 3 */
	c->fpu.ftw = 0xffff & ~(3u << 6); /* only physical 3 in use, "valid" */
	memset(c->fpu.st, 0, sizeof(c->fpu.st));
	c->fpu.st[3][7] = 0x80;
	c->fpu.st[3][8] = 0xff;
	c->fpu.st[3][9] = 0x3f; /* 1.0 */
	c->fpu.mxcsr = 0x1fa0;
	set_q(c, 7, 0x1122334455667788ULL, 0x99aabbccddeeff00ULL);
	c->gpr[R_BX] = DATA;
	assert_int_equal(RUN(r, 0x0f, 0xae, 0x07), -1);
	assert_int_equal(img[0], 0x7f);
	assert_int_equal(img[4], 0x08); /* abridged tag: physical register 3 */
	memcpy(&mx, img + 24, 4);
	assert_int_equal(mx, 0x1fa0);
	memcpy(&mx, img + 28, 4);
	assert_int_equal(mx, 0xffff);
	assert_int_equal(img[32 + 7], 0x80); /* ST(0) first */
	assert_int_equal(img[32 + 9], 0x3f);
	assert_int_equal(img[160 + 16 * 7], 0x88);
	/* Change everything, then restore: tags rebuilt from the contents. */
	memset(&c->fpu, 0, sizeof(c->fpu));
	c->fpu.mxcsr = 0x1f80;
	assert_int_equal(RUN(r, 0x0f, 0xae, 0x0f), -1);
	assert_int_equal(c->fpu.fcw, 0x037f);
	assert_int_equal((c->fpu.fsw >> 11) & 7, 3);
	assert_int_equal(c->fpu.ftw, 0xffff & ~(3u << 6));
	assert_int_equal(c->fpu.st[3][9], 0x3f);
	assert_int_equal(c->fpu.mxcsr, 0x1fa0);
	assert_int_equal(get_q(c, 7, 1), 0x99aabbccddeeff00ULL);
	/* A reserved MXCSR bit in the image: #GP, nothing restored. */
	mx = 0x20000;
	memcpy(img + 24, &mx, 4);
	c->fpu.fcw = 0x40;
	assert_int_equal(RUN(r, 0x0f, 0xae, 0x0f), EXC_GP);
	assert_int_equal(c->fpu.fcw, 0x40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shuffles, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_packs_saturation, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_compare_multiply, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_shifts, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_fp_arith_flags, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_unmasked_exceptions, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_cmp_comis, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_conversions, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_moves_alignment, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_ud_nm_rules, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_mmx, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_fxsave_fxrstor, rig_setup, rig_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
