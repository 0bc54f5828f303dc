/* Unit tests for the values the software CPU's x87 FPU computes
 * (emu_exec_x87.c, emu_x87_*.c), whole instructions through emu_step()
 * checking the exact results the Intel SDM vol. 1 ch. 8 and vol. 2
 * define: stack and tag behaviour, stack overflow/underflow masked
 * responses, FSW condition codes of compares, FXAM and FPREM, rounding and
 * precision control, FIST rounding and the integer indefinite, the memory
 * and P/R forms of the arithmetic, transcendental results. The FPU state
 * instructions and exception rules are in test_emu_x87_state.c. */
#include "emu_x87_rig.h"

static void test_fninit_stack_and_tags(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	FNINIT(r);
	assert_int_equal(c->fpu.fcw, 0x037f);
	assert_int_equal(c->fpu.fsw, 0);
	assert_int_equal(c->fpu.ftw, 0xffff);
	RUN(r, 0xd9, 0xe8); /* FLD1 */
	RUN(r, 0xd9, 0xee); /* FLDZ */
	RUN(r, 0xd9, 0xeb); /* FLDPI */
	assert_int_equal(x87_top(c), 5);
	/* phys 7 = 1.0 valid, 6 = zero, 5 = pi valid, the rest empty. */
	assert_int_equal(c->fpu.ftw, 0x13ff);
	assert_int_equal(mant(c, 0), 0xc90fdaa22168c235ULL); /* pi rounded to nearest */
	assert_int_equal(sexp(c, 0), 0x4000);
	assert_true(st(c, 2) == 1.0L);
	/* FXCH ST(2): pi <-> 1. */
	RUN(r, 0xd9, 0xca);
	assert_true(st(c, 0) == 1.0L);
	assert_int_equal(mant(c, 2), 0xc90fdaa22168c235ULL);
	/* FINCSTP/FDECSTP move TOP only; FFREE ST(1) empties phys 6. */
	RUN(r, 0xd9, 0xf7);
	assert_int_equal(x87_top(c), 6);
	RUN(r, 0xd9, 0xf6);
	assert_int_equal(x87_top(c), 5);
	RUN(r, 0xdd, 0xc1);
	assert_int_equal(c->fpu.ftw, 0x33ff);
	/* FSTP ST(0) pops; FSTP m80 stores the exact bytes of ST(0). */
	RUN(r, 0xdd, 0xd8);
	assert_int_equal(x87_top(c), 6);
	assert_true(x87_empty(c, 0));
	RUN(r, 0xdd, 0xd8);
	RUNM16(r, 0xdb, 7, DATA); /* FSTP TBYTE [DATA]: pi */
	assert_int_equal(x87_top(c), 0);
	assert_int_equal(c->fpu.ftw, 0xffff);
	assert_int_equal(get32(r, DATA), 0x2168c235);
	assert_int_equal(get32(r, DATA + 4), 0xc90fdaa2);
	assert_int_equal(get16(r, DATA + 8), 0x4000);
	/* Rounding control applies to constants: FLDPI chopped ends ...34. */
	c->fpu.fcw = 0x0f7f;
	RUN(r, 0xd9, 0xeb);
	assert_int_equal(mant(c, 0), 0xc90fdaa22168c234ULL);
}

static void test_stack_overflow_underflow(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	FNINIT(r);
	for (int i = 0; i < 8; i++)
		RUN(r, 0xd9, 0xe8);
	assert_int_equal(c->fpu.fsw, 0x0000);
	/* A ninth push: IE + SF, C1 = 1, TOP wraps to 7, ST(0) = indefinite. */
	RUN(r, 0xd9, 0xe8);
	assert_int_equal(c->fpu.fsw, 0x3a41);
	assert_int_equal(c->fpu.ftw, 0x8000);
	assert_int_equal(mant(c, 0), 0xc000000000000000ULL);
	assert_int_equal(sexp(c, 0), 0xffff);
	/* FADD on an empty stack: IE + SF, C1 = 0, ST(0) = indefinite. */
	FNINIT(r);
	RUN(r, 0xd8, 0xc1);
	assert_int_equal(c->fpu.fsw, 0x0041);
	assert_int_equal(c->fpu.ftw, 0xfffe);
	/* FCOM with empty registers: unordered (C3 C2 C0), IE + SF. */
	FNINIT(r);
	RUN(r, 0xd8, 0xd1);
	assert_int_equal(c->fpu.fsw, 0x4541);
	/* FXCH with ST(1) empty: ST(0) = indefinite, ST(1) = the old ST(0). */
	FNINIT(r);
	RUN(r, 0xd9, 0xe8);
	RUN(r, 0xd9, 0xc9);
	assert_int_equal(c->fpu.fsw, 0x3841);
	assert_int_equal(sexp(c, 0), 0xffff);
	assert_true(st(c, 1) == 1.0L);
	/* Unmasked IE: the overflowing push changes nothing but FSW. */
	FNINIT(r);
	c->fpu.fcw = 0x037e;
	for (int i = 0; i < 8; i++)
		RUN(r, 0xd9, 0xee);
	RUN(r, 0xd9, 0xe8);
	assert_int_equal(x87_top(c), 0);
	assert_int_equal(c->fpu.fsw & 0xffff, 0x8000 | 0x0200 | 0x00c1);
	assert_true(st(c, 0) == 0.0L);
}

static void test_arith_forms(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	FNINIT(r);
	put_f64(r, DATA, 8.0);
	put_ld(r, DATA + 16, 2.0L);
	RUNM16(r, 0xdb, 5, DATA + 16); /* FLD TBYTE: 2 */
	RUNM16(r, 0xdd, 0, DATA);      /* FLD QWORD: 8; ST0 = 8, ST1 = 2 */
	RUN(r, 0xd8, 0xe1);	       /* FSUB ST0, ST1: 6 */
	assert_true(st(c, 0) == 6.0L);
	RUN(r, 0xd8, 0xe9); /* FSUBR ST0, ST1: 2 - 6 = -4 */
	assert_true(st(c, 0) == -4.0L);
	RUN(r, 0xdc, 0xe1); /* FSUBR ST1, ST0 (DC E0+i): ST1 = ST0 - ST1 = -6 */
	assert_true(st(c, 1) == -6.0L);
	RUN(r, 0xdc, 0xe9); /* FSUB ST1, ST0 (DC E8+i): ST1 = -6 - -4 = -2 */
	assert_true(st(c, 1) == -2.0L);
	RUN(r, 0xdc, 0xf9); /* FDIV ST1, ST0 (DC F8+i): ST1 = -2 / -4 = 0.5 */
	assert_true(st(c, 1) == 0.5L);
	RUN(r, 0xdc, 0xf1); /* FDIVR ST1, ST0 (DC F0+i): ST1 = -4 / 0.5 = -8 */
	assert_true(st(c, 1) == -8.0L);
	RUN(r, 0xde, 0xc9); /* FMULP ST1, ST0: 32, pop */
	assert_int_equal(x87_top(c), 7);
	assert_true(st(c, 0) == 32.0L);
	RUNM16(r, 0xdc, 6, DATA); /* FDIV QWORD [DATA]: 4 */
	assert_true(st(c, 0) == 4.0L);
	memcpy(r->ram + DATA + 32, &(int16_t){-3}, 2);
	RUNM16(r, 0xde, 0, DATA + 32); /* FIADD WORD: 1 */
	assert_true(st(c, 0) == 1.0L);
	memcpy(r->ram + DATA + 32, &(int32_t){10}, 4);
	RUNM16(r, 0xda, 7, DATA + 32); /* FIDIVR DWORD: 10 / 1 */
	assert_true(st(c, 0) == 10.0L);
	memcpy(r->ram + DATA + 32, &(float){0.5f}, 4);
	RUNM16(r, 0xd8, 5, DATA + 32); /* FSUBR DWORD: 0.5 - 10 */
	assert_true(st(c, 0) == -9.5L);
	assert_int_equal(c->fpu.fsw & 0x3f, 0);
	/* FDIVRP ST1, ST0 with an empty ST1: masked underflow, result
	 * indefinite in ST1, then pop. */
	RUN(r, 0xde, 0xf1);
	assert_int_equal(c->fpu.fsw & 0x41, 0x41);
	assert_int_equal(x87_top(c), 0);
	assert_int_equal(sexp(c, 0), 0xffff);
}

static void test_rounding_and_precision(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;
	static const struct {
		uint16_t fcw;
		uint64_t mant;
		uint16_t c1;
	} cases[] = {
	    {0x037f, 0xaaaaaaaaaaaaaaabULL, 0x0200}, /* extended, nearest: up */
	    {0x077f, 0xaaaaaaaaaaaaaaaaULL, 0x0000}, /* extended, down */
	    {0x007f, 0xaaaaab0000000000ULL, 0x0200}, /* single, nearest: up */
	    {0x027f, 0xaaaaaaaaaaaaa800ULL, 0x0000}, /* double, nearest: down */
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FNINIT(r);
		c->fpu.fcw = cases[i].fcw;
		RUN(r, 0xd9, 0xe8); /* 1 */
		RUN(r, 0xd9, 0xe8);
		RUN(r, 0xd8, 0xc0); /* 2 */
		RUN(r, 0xd8, 0xc1); /* 3 */
		RUN(r, 0xde, 0xf9); /* FDIVP ST1, ST0: 1/3 */
		assert_int_equal(mant(c, 0), cases[i].mant);
		assert_int_equal(sexp(c, 0), 0x3ffd);
		assert_int_equal(c->fpu.fsw & (FSW_C1 | FSW_PE), cases[i].c1 | FSW_PE);
	}
}

static void test_compares_and_fcomi(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;
	static const uint8_t qnan[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x7f};

	FNINIT(r);
	RUN(r, 0xd9, 0xe8); /* ST1 = 1 */
	RUN(r, 0xd9, 0xee); /* ST0 = 0 */
	RUN(r, 0xd8, 0xd1); /* FCOM ST1: 0 < 1 -> C0 */
	assert_int_equal(c->fpu.fsw & FSW_CC, FSW_C0);
	RUN(r, 0xd9, 0xc9); /* FXCH: ST0 = 1, ST1 = 0 */
	RUN(r, 0xd8, 0xd1); /* 1 > 0 -> 000 */
	assert_int_equal(c->fpu.fsw & FSW_CC, 0);
	RUN(r, 0xd8, 0xd0); /* FCOM ST0: equal -> C3 */
	assert_int_equal(c->fpu.fsw & FSW_CC, FSW_C3);
	RUN(r, 0xd9, 0xe4); /* FTST: 1 > 0 */
	assert_int_equal(c->fpu.fsw & FSW_CC, 0);
	/* FCOMI: ZF PF CF, OF SF AF cleared. */
	c->rflags = 2 | FL_OF | FL_SF | FL_AF | FL_ZF;
	RUN(r, 0xdb, 0xf1); /* FCOMI ST1: 1 > 0 */
	assert_int_equal(c->rflags, 2);
	RUN(r, 0xdb, 0xe9); /* FUCOMI ST1 */
	assert_int_equal(c->rflags, 2);
	RUN(r, 0xdf, 0xf0); /* FCOMIP ST0: equal, pop */
	assert_int_equal(c->rflags, 2 | FL_ZF);
	assert_int_equal(x87_top(c), 7);
	/* FICOM DWORD with 0 (ST0 = 0): equal; FICOMP pops. */
	memcpy(r->ram + DATA, &(int32_t){5}, 4);
	RUNM16(r, 0xda, 3, DATA);
	assert_int_equal(c->fpu.fsw & FSW_CC, FSW_C0);
	assert_int_equal(x87_top(c), 0);
	/* A QNaN: FUCOM is quiet, FCOM signals IE; both unordered. */
	FNINIT(r);
	RUN(r, 0xd9, 0xe8);
	memcpy(r->ram + DATA, qnan, 10);
	RUNM16(r, 0xdb, 5, DATA);
	RUN(r, 0xdd, 0xe1); /* FUCOM ST1 */
	assert_int_equal(c->fpu.fsw & (FSW_CC | FSW_EXC), FSW_C3 | FSW_C2 | FSW_C0);
	RUN(r, 0xdb, 0xe9); /* FUCOMI ST1: unordered */
	assert_int_equal(c->rflags & (FL_ZF | FL_PF | FL_CF), FL_ZF | FL_PF | FL_CF);
	RUN(r, 0xde, 0xd9); /* FCOMPP: IE, pops both */
	assert_int_equal(c->fpu.fsw & (FSW_CC | FSW_EXC), FSW_C3 | FSW_C2 | FSW_C0 | FSW_IE);
	assert_int_equal(c->fpu.ftw, 0xffff);
	assert_int_equal(x87_top(c), 0);
	/* FUCOMPP is DA E9 only; DA EA is reserved: #UD (IVT 6 -> 0:0). */
	RUN(r, 0xda, 0xea);
	assert_int_equal(c->rip, 0);
}

static void test_fxam_classes(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;
	static const struct {
		uint8_t v[10];
		uint16_t cc;
	} cases[] = {
	    {{0}, FSW_C3},							 /* +0 */
	    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}, FSW_C3 | FSW_C1},		 /* -0 */
	    {{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, FSW_C3 | FSW_C2},			 /* denormal */
	    {{0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f}, FSW_C2},			 /* 1.0 */
	    {{0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff}, FSW_C2 | FSW_C0 | FSW_C1}, /* -inf */
	    {{0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x7f}, FSW_C0},			 /* QNaN */
	    {{0, 0, 0, 0, 0, 0, 0, 0x40, 0xff, 0x3f}, 0},			 /* unnormal */
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FNINIT(r);
		memcpy(r->ram + DATA, cases[i].v, 10);
		RUNM16(r, 0xdb, 5, DATA);
		RUN(r, 0xd9, 0xe5);
		assert_int_equal(c->fpu.fsw & FSW_CC, cases[i].cc);
	}
	/* The tags of the same values: zero, special, valid. */
	assert_int_equal(x87_classify_tag(cases[0].v), TAG_ZERO);
	assert_int_equal(x87_classify_tag(cases[2].v), TAG_SPECIAL);
	assert_int_equal(x87_classify_tag(cases[3].v), TAG_VALID);
	assert_int_equal(x87_classify_tag(cases[6].v), TAG_SPECIAL);
	/* Empty: C3 C0. */
	FNINIT(r);
	RUN(r, 0xd9, 0xe5);
	assert_int_equal(c->fpu.fsw & FSW_CC, FSW_C3 | FSW_C0);
}

static void test_fist_rounding_and_indefinite(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;
	static const struct {
		long double v;
		uint16_t rc;
		int32_t want;
	} cases[] = {
	    {2.5L, 0, 2},   {2.5L, 1, 2},   {2.5L, 2, 3},   {2.5L, 3, 2}, {-2.5L, 0, -2},
	    {-2.5L, 1, -3}, {-2.5L, 2, -2}, {-2.5L, 3, -2}, {3.5L, 0, 4},
	};
	int64_t i64;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FNINIT(r);
		c->fpu.fcw = (uint16_t)(0x037f | cases[i].rc << 10);
		put_ld(r, DATA, cases[i].v);
		RUNM16(r, 0xdb, 5, DATA);
		RUNM16(r, 0xdb, 2, DATA + 16); /* FIST DWORD: no pop */
		assert_int_equal((int32_t)get32(r, DATA + 16), cases[i].want);
		assert_int_equal(c->fpu.fsw & FSW_EXC, FSW_PE);
		assert_int_equal(x87_top(c), 7);
	}
	/* 2.5 rounded up to 3: C1 = 1; to nearest (2): C1 = 0. */
	FNINIT(r);
	c->fpu.fcw = 0x0b7f;
	put_ld(r, DATA, 2.5L);
	RUNM16(r, 0xdb, 5, DATA);
	RUNM16(r, 0xdf, 3, DATA + 16); /* FISTP WORD */
	assert_int_equal(get16(r, DATA + 16), 3);
	assert_int_equal(c->fpu.fsw & (FSW_C1 | FSW_EXC), FSW_C1 | FSW_PE);
	assert_int_equal(x87_top(c), 0);
	/* Out of range: IE and the integer indefinite (masked). */
	FNINIT(r);
	put_ld(r, DATA, 1e10L);
	RUNM16(r, 0xdb, 5, DATA);
	RUNM16(r, 0xdb, 3, DATA + 16); /* FISTP DWORD */
	assert_int_equal(get32(r, DATA + 16), 0x80000000u);
	assert_int_equal(c->fpu.fsw & FSW_EXC, FSW_IE);
	RUNM16(r, 0xdb, 5, DATA);
	RUNM16(r, 0xdf, 2, DATA + 16); /* FIST WORD */
	assert_int_equal(get16(r, DATA + 16), 0x8000);
	/* Unmasked IE: nothing is stored, nothing popped, ES and B set. */
	FNINIT(r);
	c->fpu.fcw = 0x037e;
	memset(r->ram + DATA + 16, 0x55, 4);
	RUNM16(r, 0xdb, 5, DATA);
	RUNM16(r, 0xdb, 3, DATA + 16);
	assert_int_equal(get32(r, DATA + 16), 0x55555555u);
	assert_int_equal(x87_top(c), 7);
	assert_int_equal(c->fpu.fsw & (FSW_ES | FSW_B | FSW_IE), FSW_ES | FSW_B | FSW_IE);
	/* FILD/FISTP QWORD round trip of a 64-bit value (exact). */
	FNINIT(r);
	i64 = (int64_t)0x8000000000000001ULL;
	memcpy(r->ram + DATA, &i64, 8);
	RUNM16(r, 0xdf, 5, DATA);
	/* -(2^63 - 1): significand (2^63 - 1) << 1, exponent 62, sign. */
	assert_int_equal(mant(c, 0), 0xfffffffffffffffeULL);
	assert_int_equal(sexp(c, 0), 0xc03d);
	RUNM16(r, 0xdf, 7, DATA + 16);
	assert_memory_equal(r->ram + DATA + 16, &i64, 8);
	assert_int_equal(c->fpu.fsw & FSW_EXC, 0);
	/* FBSTP/FBLD: -1234 in packed BCD. */
	FNINIT(r);
	memcpy(r->ram + DATA, &(int16_t){-1234}, 2);
	RUNM16(r, 0xdf, 0, DATA);
	RUNM16(r, 0xdf, 6, DATA + 16);
	assert_int_equal(get16(r, DATA + 16), 0x1234);
	assert_int_equal(r->ram[DATA + 25], 0x80);
	RUNM16(r, 0xdf, 4, DATA + 16);
	assert_true(st(c, 0) == -1234.0L);
}

static void test_transcendental_and_misc(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* FPREM 7 mod 3 = 1, quotient 2 = Q2 Q1 Q0 = 010: C3 = Q1 only. */
	FNINIT(r);
	put_ld(r, DATA, 3.0L);
	put_ld(r, DATA + 16, 7.0L);
	RUNM16(r, 0xdb, 5, DATA);
	RUNM16(r, 0xdb, 5, DATA + 16);
	c->fpu.fsw |= FSW_C0 | FSW_C1 | FSW_C2;
	RUN(r, 0xd9, 0xf8);
	assert_true(st(c, 0) == 1.0L);
	assert_int_equal(c->fpu.fsw & FSW_CC, FSW_C3);
	/* FPREM1 rounds the quotient to nearest: 8 / 3 -> Q = 3 = 011b,
	 * remainder -1; C3 = Q1, C1 = Q0. */
	put_ld(r, DATA + 16, 8.0L);
	RUN(r, 0xdd, 0xd8);
	RUNM16(r, 0xdb, 5, DATA + 16);
	RUN(r, 0xd9, 0xf5);
	assert_true(st(c, 0) == -1.0L);
	assert_int_equal(c->fpu.fsw & FSW_CC, FSW_C3 | FSW_C1);
	/* FSCALE: 1.5 * 2^3 (ST1 = 3). FXTRACT 12 = 1.5 * 2^3. */
	FNINIT(r);
	put_ld(r, DATA, 3.0L);
	put_ld(r, DATA + 16, 1.5L);
	RUNM16(r, 0xdb, 5, DATA);
	RUNM16(r, 0xdb, 5, DATA + 16);
	RUN(r, 0xd9, 0xfd);
	assert_true(st(c, 0) == 12.0L);
	RUN(r, 0xd9, 0xf4);
	assert_true(st(c, 0) == 1.5L);
	assert_true(st(c, 1) == 3.0L);
	assert_int_equal(x87_top(c), 5);
	/* FSQRT 2.25 = 1.5 exactly (no PE); FSQRT -1: IE, indefinite. */
	FNINIT(r);
	put_ld(r, DATA, 2.25L);
	RUNM16(r, 0xdb, 5, DATA);
	RUN(r, 0xd9, 0xfa);
	assert_true(st(c, 0) == 1.5L);
	assert_int_equal(c->fpu.fsw & FSW_EXC, 0);
	RUN(r, 0xd9, 0xe0); /* FCHS */
	RUN(r, 0xd9, 0xfa);
	assert_int_equal(c->fpu.fsw & FSW_EXC, FSW_IE);
	assert_int_equal(mant(c, 0), 0xc000000000000000ULL);
	assert_int_equal(sexp(c, 0), 0xffff);
	/* FPTAN 0: ST1 = 0, ST0 = 1; FSINCOS 0: ST0 = cos = 1, ST1 = sin = 0. */
	FNINIT(r);
	RUN(r, 0xd9, 0xee);
	RUN(r, 0xd9, 0xf2);
	assert_true(st(c, 0) == 1.0L);
	assert_true(st(c, 1) == 0.0L);
	RUN(r, 0xdd, 0xd8); /* pop the 1, FSINCOS the 0 */
	RUN(r, 0xd9, 0xfb);
	assert_true(st(c, 0) == 1.0L);
	assert_true(st(c, 1) == 0.0L);
	assert_int_equal(x87_top(c), 6);
	/* FSIN of 2^63: out of range, C2 = 1, operand unchanged. */
	FNINIT(r);
	put_ld(r, DATA, 9223372036854775808.0L);
	RUNM16(r, 0xdb, 5, DATA);
	RUN(r, 0xd9, 0xfe);
	assert_int_equal(c->fpu.fsw & FSW_C2, FSW_C2);
	assert_true(st(c, 0) == 9223372036854775808.0L);
	/* FYL2X: 3 * log2(8) = 9, popped; FPATAN(1, 1) = pi/4. */
	FNINIT(r);
	put_ld(r, DATA, 3.0L);
	put_ld(r, DATA + 16, 8.0L);
	RUNM16(r, 0xdb, 5, DATA);
	RUNM16(r, 0xdb, 5, DATA + 16);
	RUN(r, 0xd9, 0xf1);
	assert_true(st(c, 0) == 9.0L);
	assert_int_equal(x87_top(c), 7);
	RUN(r, 0xd9, 0xe8);
	RUN(r, 0xd9, 0xe8);
	RUN(r, 0xd9, 0xf3);
	assert_int_equal(mant(c, 0), 0xc90fdaa22168c235ULL); /* pi/4: pi's significand */
	assert_int_equal(sexp(c, 0), 0x3ffe);
	/* FCMOVB / FCMOVNB on CF. */
	FNINIT(r);
	RUN(r, 0xd9, 0xe8); /* ST1 = 1 */
	RUN(r, 0xd9, 0xee); /* ST0 = 0 */
	c->rflags = 2;
	RUN(r, 0xda, 0xc1); /* FCMOVB: not taken */
	assert_true(st(c, 0) == 0.0L);
	RUN(r, 0xdb, 0xc1); /* FCMOVNB: taken */
	assert_true(st(c, 0) == 1.0L);
	/* FRNDINT 2.5 to nearest even: 2 with PE, C1 = 0. */
	FNINIT(r);
	put_ld(r, DATA, 2.5L);
	RUNM16(r, 0xdb, 5, DATA);
	RUN(r, 0xd9, 0xfc);
	assert_true(st(c, 0) == 2.0L);
	assert_int_equal(c->fpu.fsw & (FSW_EXC | FSW_C1), FSW_PE);
	/* FLD m32 of an SNaN: IE, quieted. FLD m80 of an SNaN: no IE. */
	FNINIT(r);
	memcpy(r->ram + DATA, &(uint32_t){0x7f800001}, 4);
	RUNM16(r, 0xd9, 0, DATA);
	assert_int_equal(c->fpu.fsw & FSW_EXC, FSW_IE);
	assert_int_equal(mant(c, 0), 0xc000010000000000ULL);
	RUNM16(r, 0xdb, 7, DATA + 16); /* FSTP m80 */
	r->ram[DATA + 16 + 7] = 0x80;  /* make it signalling again */
	RUN(r, 0xdb, 0xe2);	       /* FNCLEX */
	RUNM16(r, 0xdb, 5, DATA + 16);
	assert_int_equal(c->fpu.fsw & FSW_EXC, 0);
	/* FST m32 of 1/3 rounds; a double overflow to m32 is +inf, OE PE. */
	FNINIT(r);
	put_f64(r, DATA, 1e300);
	RUNM16(r, 0xdd, 0, DATA);
	RUNM16(r, 0xd9, 2, DATA + 16);
	assert_int_equal(get32(r, DATA + 16), 0x7f800000u);
	assert_int_equal(c->fpu.fsw & FSW_EXC, FSW_OE | FSW_PE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, rig_setup, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_fninit_stack_and_tags),
	    T(test_stack_overflow_underflow),
	    T(test_arith_forms),
	    T(test_rounding_and_precision),
	    T(test_compares_and_fcomi),
	    T(test_fxam_classes),
	    T(test_fist_rounding_and_indefinite),
	    T(test_transcendental_and_misc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
