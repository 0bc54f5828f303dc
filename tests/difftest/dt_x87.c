/* x87 instruction generator of the differential tester. A case is a short
 * sequence (at most 15 bytes) that starts from FNINIT, loads one or two
 * operands from the scratch memory (FILD m16/m32/m64, FLD m32/m64/m80 of
 * the random bytes there, or a constant), runs one x87 instruction (any
 * register form D8-DF C0-FF, reserved encodings included, or an
 * arithmetic/compare memory form, or a store in every memory format),
 * then stores ST(0) as m80 and/or FSW into AX, so the memory and GPR
 * comparison covers results, condition codes, flags and TOP, and the MMX
 * comparison the mantissas of the physical registers. Some cases first
 * load a control word with random rounding and precision control (PUSH
 * RAX; FLDCW [RSP]); every exception stays masked (an unmasked one would
 * be SIGFPE natively and #MF only with CR0.NE in the interpreter).
 *
 * Needs the interpreter side to run the whole sequence (emu_step until
 * RIP reaches the end of the code), not a single instruction. */
#include <string.h>

#include "dt.h"

#define RDI 7
#define RAX 0
#define OFF_A 0x00
#define OFF_B 0x10
#define OFF_R 0x20

static unsigned rnd(struct dt_rng *r, unsigned n)
{
	return (unsigned)(dt_rand(r) % n);
}

static void emit(struct dt_case *k, uint8_t b)
{
	if (k->len < 15)
		k->code[k->len++] = b;
}

/* op /reg [rdi + disp8] */
static void emit_mem(struct dt_case *k, uint8_t op, unsigned reg, uint8_t disp)
{
	emit(k, op);
	emit(k, (uint8_t)(0x40 | (reg << 3) | RDI));
	emit(k, disp);
}

/* Pushes one operand: an integer or float from memory, or a constant. */
/* clang-format off */
static void gen_load(struct dt_rng *r, struct dt_case *k, uint8_t disp)
{
	switch (rnd(r, 9)) {
	case 0: emit_mem(k, 0xdf, 0, disp); break; /* FILD m16 */
	case 1: emit_mem(k, 0xdb, 0, disp); break; /* FILD m32 */
	case 2: emit_mem(k, 0xdf, 5, disp); break; /* FILD m64 */
	case 3:
	case 4: emit_mem(k, 0xdd, 0, disp); break; /* FLD m64 */
	case 5: emit_mem(k, 0xd9, 0, disp); break; /* FLD m32 */
	case 6: emit_mem(k, 0xdb, 5, disp); break; /* FLD m80: any encoding */
	default:                                   /* FLD1 .. FLDZ */
		emit(k, 0xd9);
		emit(k, (uint8_t)(0xe8 + rnd(r, 7)));
		break;
	}
}
/* clang-format on */

/* One register-form x87 instruction (D8-DF, ModRM C0-FF). FNINIT and
 * FNSTSW AX are harmless; reserved encodings compare #UD. */
static void gen_reg_op(struct dt_rng *r, struct dt_case *k)
{
	emit(k, (uint8_t)(0xd8 + rnd(r, 8)));
	emit(k, (uint8_t)(0xc0 + rnd(r, 64)));
}

/* An arithmetic or compare memory form: D8 m32fp, DA m32int, DC m64fp,
 * DE m16int, /0-/7. */
static void gen_mem_op(struct dt_rng *r, struct dt_case *k)
{
	static const uint8_t ops[] = {0xd8, 0xda, 0xdc, 0xde};

	emit_mem(k, ops[rnd(r, 4)], rnd(r, 8), OFF_B);
}

/* A store of ST(0) in one of the memory formats. */
static void gen_store(struct dt_rng *r, struct dt_case *k)
{
	static const struct {
		uint8_t op, reg;
	} st[] = {
	    {0xd9, 2}, {0xd9, 3}, /* FST(P) m32 */
	    {0xdd, 2}, {0xdd, 3}, /* FST(P) m64 */
	    {0xdb, 2}, {0xdb, 3}, /* FIST(P) m32 */
	    {0xdf, 2}, {0xdf, 3}, /* FIST(P) m16 */
	    {0xdf, 7},		  /* FISTP m64 */
	    {0xdf, 6},		  /* FBSTP */
	    {0xdb, 7},		  /* FSTP m80 */
	};
	unsigned i = rnd(r, sizeof(st) / sizeof(st[0]));

	emit_mem(k, st[i].op, st[i].reg, OFF_R);
}

static void fnstsw_ax(struct dt_case *k)
{
	emit(k, 0xdf);
	emit(k, 0xe0);
}

static void fstp_result(struct dt_case *k)
{
	emit_mem(k, 0xdb, 7, OFF_R);
}

/* A control word with every exception masked and random PC, RC, X. */
static uint64_t random_fcw(struct dt_rng *r)
{
	return 0x003f | (uint64_t)rnd(r, 4) << 8 | (uint64_t)rnd(r, 4) << 10 |
	       (uint64_t)rnd(r, 2) << 12 | (dt_rand(r) & ~0xffffULL);
}

void dt_gen_x87(struct dt_rng *r, struct dt_case *k)
{
	k->family = "x87";
	k->len = 0;
	k->flags_undef = 0;
	k->in.gpr[RDI] = DT_SCRATCH_ADDR + 1024 + 16 * rnd(r, 128);
	emit(k, 0xdb); /* FNINIT */
	emit(k, 0xe3);
	switch (rnd(r, 5)) {
	case 0:
	case 1: /* two operands, a register op, result and FSW */
		gen_load(r, k, OFF_A);
		gen_load(r, k, OFF_B);
		gen_reg_op(r, k);
		fstp_result(k);
		fnstsw_ax(k);
		break;
	case 2: /* a memory op */
		gen_load(r, k, OFF_A);
		gen_mem_op(r, k);
		fstp_result(k);
		fnstsw_ax(k);
		break;
	case 3: /* a store, maybe of a computed value */
		gen_load(r, k, OFF_A);
		if (rnd(r, 2)) {
			gen_load(r, k, OFF_B);
			gen_reg_op(r, k);
		}
		gen_store(r, k);
		fnstsw_ax(k);
		break;
	default: /* rounding and precision control */
		k->in.gpr[RAX] = random_fcw(r);
		emit(k, 0x50); /* PUSH RAX */
		emit(k, 0xd9); /* FLDCW [RSP] */
		emit(k, 0x2c);
		emit(k, 0x24);
		gen_load(r, k, OFF_A);
		if (rnd(r, 2)) {
			gen_mem_op(r, k);
			fstp_result(k);
		} else {
			gen_store(r, k);
			fnstsw_ax(k);
		}
		break;
	}
}
