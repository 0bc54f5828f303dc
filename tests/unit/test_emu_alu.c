/* Unit tests for the software CPU's integer ALU: flag results of the
 * arithmetic, logic, shift and rotate helpers (emu_flags.c) on the edge
 * cases the Intel SDM vol. 1 ch. 3.4.3 / vol. 2 define, and whole
 * instructions through emu_step() in real mode (BCD adjustments, MUL/DIV,
 * #DE delivery restoring the faulting instruction's state). */
#include <stdlib.h>

#include "unit.h"

#include "../../src/accel/emu/emu_exec.h"

#define FLAGS6 (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* Runs alu_binop and returns the six arithmetic flags. */
static uint64_t binop_flags(unsigned op, unsigned size, uint64_t a, uint64_t b, uint64_t fl_in,
			    uint64_t *res)
{
	uint64_t fl = fl_in;

	*res = alu_binop(op, size, a, b, &fl);
	return fl & FLAGS6;
}

static void test_add_sub(void **s)
{
	uint64_t r;

	/* 0x7f + 1 = 0x80: signed overflow, half carry, odd parity. */
	assert_int_equal(binop_flags(0, 1, 0x7f, 1, 0, &r), FL_OF | FL_SF | FL_AF);
	assert_int_equal(r, 0x80);
	/* 0xff + 1 = 0 with carry. */
	assert_int_equal(binop_flags(0, 1, 0xff, 1, 0, &r), FL_CF | FL_ZF | FL_AF | FL_PF);
	assert_int_equal(r, 0);
	/* 0 - 1 = 0xff: borrow, 8 bits set = even parity. */
	assert_int_equal(binop_flags(5, 1, 0, 1, 0, &r), FL_CF | FL_SF | FL_AF | FL_PF);
	assert_int_equal(r, 0xff);
	/* 0x80 - 1 = 0x7f: signed overflow. */
	assert_int_equal(binop_flags(5, 1, 0x80, 1, 0, &r), FL_OF | FL_AF);
	/* CMP writes flags like SUB: 5 - 5. */
	assert_int_equal(binop_flags(7, 4, 5, 5, FL_CF, &r), FL_ZF | FL_PF);
	/* ADC: 0xffffffff + 0 + CF = 0, carry out. */
	assert_int_equal(binop_flags(2, 4, 0xffffffff, 0, FL_CF, &r),
			 FL_CF | FL_ZF | FL_PF | FL_AF);
	assert_int_equal(r, 0);
	/* SBB: 0 - 0 - CF = 0xffff with borrow. */
	assert_int_equal(binop_flags(3, 2, 0, 0, FL_CF, &r), FL_CF | FL_SF | FL_PF | FL_AF);
	assert_int_equal(r, 0xffff);
	/* 64-bit: INT64_MAX + 1 overflows into the sign. */
	assert_int_equal(binop_flags(0, 8, 0x7fffffffffffffffULL, 1, 0, &r),
			 FL_OF | FL_SF | FL_AF | FL_PF);
	assert_int_equal(r, 0x8000000000000000ULL);
	/* Operands wider than the size are truncated first. */
	assert_int_equal(binop_flags(0, 2, 0x1ffff, 0x10001, 0, &r),
			 FL_CF | FL_ZF | FL_PF | FL_AF);
	assert_int_equal(r, 0);
}

static void test_logic_incdec_neg(void **s)
{
	uint64_t r, fl;

	/* AND clears CF and OF. */
	assert_int_equal(binop_flags(4, 1, 0xf0, 0x0f, FL_CF | FL_OF | FL_AF, &r), FL_ZF | FL_PF);
	/* XOR: PF looks at the low byte only (01h: odd). */
	assert_int_equal(binop_flags(6, 4, 0x80000000, 1, 0, &r), FL_SF);
	assert_int_equal(r, 0x80000001);
	/* INC keeps CF; 0x7fffffff + 1 sets OF. */
	fl = FL_CF;
	r = alu_incdec(false, 4, 0x7fffffff, &fl);
	assert_int_equal(r, 0x80000000);
	assert_int_equal(fl & FLAGS6, FL_CF | FL_OF | FL_SF | FL_AF | FL_PF);
	/* DEC 0 -> 0xffff, CF untouched (clear). */
	fl = 0;
	r = alu_incdec(true, 2, 0, &fl);
	assert_int_equal(r, 0xffff);
	assert_int_equal(fl & FLAGS6, FL_SF | FL_AF | FL_PF);
	/* NEG 0: CF = 0; NEG 1: CF = 1; NEG 0x80 overflows. */
	fl = FL_CF;
	assert_int_equal(alu_neg(1, 0, &fl), 0);
	assert_int_equal(fl & FL_CF, 0);
	fl = 0;
	assert_int_equal(alu_neg(4, 1, &fl), 0xffffffff);
	assert_int_equal(fl & (FL_CF | FL_OF), FL_CF);
	fl = 0;
	assert_int_equal(alu_neg(1, 0x80, &fl), 0x80);
	assert_int_equal(fl & (FL_CF | FL_OF), FL_CF | FL_OF);
}

static uint64_t shift(unsigned op, unsigned size, uint64_t a, unsigned n, uint64_t *fl)
{
	return alu_shift(op, size, a, n, fl);
}

static void test_shifts(void **s)
{
	uint64_t fl;

	/* SHL 0x81 by 1: CF = old bit 7, OF = MSB(result) ^ CF. */
	fl = 0;
	assert_int_equal(shift(4, 1, 0x81, 1, &fl), 0x02);
	assert_int_equal(fl & (FL_CF | FL_OF | FL_ZF | FL_SF), FL_CF | FL_OF);
	/* SHR 0x81 by 1: CF = old bit 0, OF = old MSB. */
	fl = 0;
	assert_int_equal(shift(5, 1, 0x81, 1, &fl), 0x40);
	assert_int_equal(fl & (FL_CF | FL_OF), FL_CF | FL_OF);
	/* SAR 0x81 by 1: sign kept, OF = 0. */
	fl = FL_OF;
	assert_int_equal(shift(7, 1, 0x81, 1, &fl), 0xc0);
	assert_int_equal(fl & (FL_CF | FL_OF | FL_SF), FL_CF | FL_SF);
	/* Count 0: nothing changes, not even flags. */
	fl = FL_ZF | FL_OF;
	assert_int_equal(shift(4, 4, 0x1234, 0, &fl), 0x1234);
	assert_int_equal(fl, FL_ZF | FL_OF);
	/* Counts are masked to 5 bits: SHL r32 by 33 shifts by 1. */
	fl = 0;
	assert_int_equal(shift(4, 4, 0x80000001, 33, &fl), 2);
	assert_int_equal(fl & FL_CF, FL_CF);
	/* ... and to 6 bits for 64-bit operands: by 64 is by 0. */
	fl = 0;
	assert_int_equal(shift(4, 8, 5, 64, &fl), 5);
	assert_int_equal(fl, 0);
	/* SHR r8 by 9 (masked count 9 > 8): result 0. */
	fl = 0;
	assert_int_equal(shift(5, 1, 0xff, 9, &fl), 0);
	assert_true(fl & FL_ZF);
	/* SAR r16 0x8000 by 31: all sign bits, CF = sign. */
	fl = 0;
	assert_int_equal(shift(7, 2, 0x8000, 31, &fl), 0xffff);
	assert_true(fl & FL_CF);
}

static void test_rotates(void **s)
{
	uint64_t fl;

	/* ROL 0x81 by 1 = 0x03, CF = LSB of result, OF = MSB ^ CF. */
	fl = 0;
	assert_int_equal(shift(0, 1, 0x81, 1, &fl), 0x03);
	assert_int_equal(fl & (FL_CF | FL_OF), FL_CF | FL_OF);
	/* ROR 0x01 by 1 = 0x80, CF = MSB, OF = MSB ^ next bit. */
	fl = 0;
	assert_int_equal(shift(1, 1, 0x01, 1, &fl), 0x80);
	assert_int_equal(fl & (FL_CF | FL_OF), FL_CF | FL_OF);
	/* Rotates leave SF/ZF/PF/AF alone. */
	fl = FL_ZF | FL_PF;
	shift(0, 4, 0x80000000, 1, &fl);
	assert_int_equal(fl & (FL_ZF | FL_PF | FL_CF), FL_ZF | FL_PF | FL_CF);
	/* ROL r8 by 8: value unchanged but CF = bit 0 (masked count != 0). */
	fl = 0;
	assert_int_equal(shift(0, 1, 0x01, 8, &fl), 0x01);
	assert_true(fl & FL_CF);
	/* RCL 0x80 (CF=0) by 1 = 0, CF = 1. */
	fl = 0;
	assert_int_equal(shift(2, 1, 0x80, 1, &fl), 0);
	assert_int_equal(fl & (FL_CF | FL_OF), FL_CF | FL_OF);
	/* RCR 0x01 (CF=1) by 1 = 0x80, CF = 1, OF = old MSB ^ old CF = 1. */
	fl = FL_CF;
	assert_int_equal(shift(3, 1, 0x01, 1, &fl), 0x80);
	assert_int_equal(fl & (FL_CF | FL_OF), FL_CF | FL_OF);
	/* RCL r8 by 9 is a full turn through CF: unchanged. */
	fl = FL_CF;
	assert_int_equal(shift(2, 1, 0x5a, 9, &fl), 0x5a);
	assert_true(fl & FL_CF);
	/* RCL r16 by 17 likewise. */
	fl = 0;
	assert_int_equal(shift(2, 2, 0x1234, 17, &fl), 0x1234);
}

static void test_double_shifts(void **s)
{
	uint64_t fl;

	/* SHLD r16 0x8000, src 0xffff, 4 -> 0x000f; last bit out = bit 12 = 0. */
	fl = FL_CF;
	assert_int_equal(alu_shiftd(true, 2, 0x8000, 0xffff, 4, &fl), 0x000f);
	assert_int_equal(fl & FL_CF, 0);
	/* SHRD r32 1, src 0x80000000, 1 -> 0 (src bit 0 is 0), CF = 1. */
	fl = 0;
	assert_int_equal(alu_shiftd(false, 4, 1, 0x80000000, 1, &fl), 0);
	assert_int_equal(fl & (FL_CF | FL_ZF), FL_CF | FL_ZF);
	/* SHLD r64 by 63 */
	fl = 0;
	assert_int_equal(alu_shiftd(true, 8, 1, 0x8000000000000000ULL, 63, &fl),
			 0x8000000000000000ULL | 0x4000000000000000ULL);
	/* count 0: unchanged */
	fl = FL_OF;
	assert_int_equal(alu_shiftd(true, 4, 0x1234, 0xffffffff, 32, &fl), 0x1234);
	assert_int_equal(fl, FL_OF);
}

/* ---- whole instructions through emu_step, in real mode ---- */

#define RAM (1u << 20)

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
	/* CS = 0, IP = 0x1000; SS:SP = 0:0x8000; IVT vector 0 -> 0x2000:0x0010. */
	r->c->seg[S_CS].sel = 0;
	r->c->seg[S_CS].base = 0;
	r->c->rip = 0x1000;
	r->c->gpr[R_SP] = 0x8000;
	emu_update_mode(r->c);
	r->ram[0] = 0x10;
	r->ram[2] = 0x00;
	r->ram[3] = 0x20;
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

/* Puts code at CS:IP and executes one instruction. */
static void run1(struct rig *r, const uint8_t *code, unsigned n)
{
	memcpy(r->ram + r->c->seg[S_CS].base + r->c->rip, code, n);
	assert_int_equal(emu_step(r->c), 0);
}
#define RUN1(r, ...)                                                                        \
	do {                                                                                \
		static const uint8_t c_[] = {__VA_ARGS__};                                  \
		run1(r, c_, sizeof(c_));                                                    \
	} while (0)

static void test_bcd(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* SDM DAA example: 79h + 35h = AEh, DAA -> 14h with CF = 1. */
	c->gpr[R_AX] = 0xae;
	c->rflags = 2;
	RUN1(r, 0x27);
	assert_int_equal(c->gpr[R_AX] & 0xff, 0x14);
	assert_int_equal(c->rflags & (FL_CF | FL_AF), FL_CF | FL_AF);
	assert_int_equal(c->rip, 0x1001);
	/* DAS on 9Ah: low nibble > 9 -> 94h (AF), > 99h -> 34h (CF). */
	c->gpr[R_AX] = 0x9a;
	c->rflags = 2;
	RUN1(r, 0x2f);
	assert_int_equal(c->gpr[R_AX] & 0xff, 0x34);
	assert_int_equal(c->rflags & (FL_CF | FL_AF), FL_CF | FL_AF);
	/* AAA on AX = 000Fh: AX + 106h = 0115h, AL masked -> 0105h. */
	c->gpr[R_AX] = 0x000f;
	c->rflags = 2;
	RUN1(r, 0x37);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 0x0105);
	assert_int_equal(c->rflags & (FL_CF | FL_AF), FL_CF | FL_AF);
	/* AAS on AX = 0200h with AF: AX - 6 = 01FAh, AH - 1 -> 00FAh, AL & 0Fh -> 000Ah. */
	c->gpr[R_AX] = 0x0200;
	c->rflags = 2 | FL_AF;
	RUN1(r, 0x3f);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 0x000a);
	assert_int_equal(c->rflags & (FL_CF | FL_AF), FL_CF | FL_AF);
	/* AAM: AL = 63 -> AH = 6, AL = 3. */
	c->gpr[R_AX] = 63;
	RUN1(r, 0xd4, 0x0a);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 0x0603);
	/* AAD: AH = 6, AL = 9 -> AL = 69 = 45h, AH = 0. */
	c->gpr[R_AX] = 0x0609;
	RUN1(r, 0xd5, 0x0a);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 0x0045);
	assert_int_equal(c->rflags & (FL_ZF | FL_SF), 0);
}

static void test_muldiv(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* MUL r/m8: AL = 80h * 2 = 0100h: CF = OF = 1. */
	c->gpr[R_AX] = 0x80;
	c->gpr[R_BX] = 2;
	RUN1(r, 0xf6, 0xe3);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 0x0100);
	assert_int_equal(c->rflags & (FL_CF | FL_OF), FL_CF | FL_OF);
	/* IMUL r/m16: -2 * 3 = -6 fits: CF = OF = 0, DX = FFFFh. */
	c->gpr[R_AX] = 0xfffe;
	c->gpr[R_BX] = 3;
	RUN1(r, 0xf7, 0xeb);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 0xfffa);
	assert_int_equal(c->gpr[R_DX] & 0xffff, 0xffff);
	assert_int_equal(c->rflags & (FL_CF | FL_OF), 0);
	/* DIV r/m16: DX:AX = 0001_0005h / 2 = 8002h rem 1. */
	c->gpr[R_DX] = 1;
	c->gpr[R_AX] = 5;
	c->gpr[R_BX] = 2;
	RUN1(r, 0xf7, 0xf3);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 0x8002);
	assert_int_equal(c->gpr[R_DX] & 0xffff, 1);
	/* IDIV r/m8: AX = -7 / 2 = -3 rem -1 (truncation towards zero). */
	c->gpr[R_AX] = 0xfff9;
	c->gpr[R_BX] = 2;
	RUN1(r, 0xf6, 0xfb);
	assert_int_equal(c->gpr[R_AX] & 0xff, 0xfd);
	assert_int_equal((c->gpr[R_AX] >> 8) & 0xff, 0xff);
}

static void test_divide_error(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* DIV BL with BL = 0: #DE through IVT[0] = 2000:0010; the frame holds
	 * the faulting instruction's IP (1000h), AX and SP are unchanged
	 * until delivery pushed FLAGS, CS, IP. */
	c->gpr[R_AX] = 0x1234;
	c->gpr[R_BX] = 0;
	c->rflags = 2 | FL_IF;
	RUN1(r, 0xf6, 0xf3);
	assert_int_equal(c->gpr[R_AX], 0x1234);
	assert_int_equal(c->seg[S_CS].sel, 0x2000);
	assert_int_equal(c->rip, 0x10);
	assert_int_equal(c->gpr[R_SP], 0x8000 - 6);
	assert_int_equal(r->ram[0x8000 - 6] | (r->ram[0x8000 - 5] << 8), 0x1000);
	/* Quotient overflow: AX = FFFFh / 1 does not fit in AL. */
	c->seg[S_CS].sel = 0;
	c->seg[S_CS].base = 0;
	c->rip = 0x1000;
	c->gpr[R_SP] = 0x8000;
	c->gpr[R_AX] = 0xffff;
	c->gpr[R_BX] = 1;
	RUN1(r, 0xf6, 0xf3);
	assert_int_equal(c->rip, 0x10);
	assert_int_equal(c->gpr[R_AX], 0xffff);
}

static void test_string_and_stack(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* REP STOSW: CX = 3 words of AX at ES:DI = 0:3000h, DF = 0. */
	c->gpr[R_AX] = 0xbeef;
	c->gpr[R_CX] = 3;
	c->gpr[R_DI] = 0x3000;
	c->rflags = 2;
	RUN1(r, 0xf3, 0xab);
	assert_int_equal(c->gpr[R_CX], 0);
	assert_int_equal(c->gpr[R_DI], 0x3006);
	assert_int_equal(r->ram[0x3004], 0xef);
	assert_int_equal(r->ram[0x3005], 0xbe);
	assert_int_equal(r->ram[0x3006], 0);
	/* REPE CMPSB stops at the first difference, with ZF = 0. */
	memcpy(r->ram + 0x4000, "abcx", 4);
	memcpy(r->ram + 0x5000, "abcy", 4);
	c->gpr[R_SI] = 0x4000;
	c->gpr[R_DI] = 0x5000;
	c->gpr[R_CX] = 10;
	c->rip = 0x1000;
	RUN1(r, 0xf3, 0xa6);
	assert_int_equal(c->gpr[R_CX], 6);
	assert_int_equal(c->gpr[R_SI], 0x4004);
	assert_int_equal(c->rflags & FL_ZF, 0);
	/* CALL rel16 / RET: push IP of the next instruction. */
	c->rip = 0x1000;
	c->gpr[R_SP] = 0x8000;
	RUN1(r, 0xe8, 0x10, 0x00);
	assert_int_equal(c->rip, 0x1013);
	assert_int_equal(c->gpr[R_SP], 0x7ffe);
	assert_int_equal(r->ram[0x7ffe] | (r->ram[0x7fff] << 8), 0x1003);
	RUN1(r, 0xc3);
	assert_int_equal(c->rip, 0x1003);
	assert_int_equal(c->gpr[R_SP], 0x8000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_sub),
		cmocka_unit_test(test_logic_incdec_neg),
		cmocka_unit_test(test_shifts),
		cmocka_unit_test(test_rotates),
		cmocka_unit_test(test_double_shifts),
		cmocka_unit_test_setup_teardown(test_bcd, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_muldiv, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_divide_error, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_string_and_stack, rig_setup, rig_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
