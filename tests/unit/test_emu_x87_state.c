/* Unit tests for the software CPU's x87 state and exception rules
 * (emu_exec_x87.c, emu_x87_ctl.c): FNSTENV/FLDENV/FNSAVE/FRSTOR image
 * layouts in the four formats of the Intel SDM vol. 1, figures 8-9 to
 * 8-12 (32- and 16-bit, protected and real mode), FLDCW/FNSTCW, FIP/FOP/
 * FDP, #NM (CR0.EM, CR0.TS, FWAIT with MP+TS), pending unmasked
 * exceptions and #MF (CR0.NE), faulting stores, and the FXSAVE/FXRSTOR
 * view of the same state. */
#include "emu_x87_rig.h"

static void test_env_prot32(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	prot32(r);
	FNINIT(r);
	put_f64(r, DATA, 2.0);
	RUNM32(r, 0xdd, 0, DATA); /* FLD QWORD [DATA] at EIP 1002h */
	RUNM32(r, 0xd9, 6, ENV);  /* FNSTENV [ENV] */
	assert_int_equal(get32(r, ENV + 0), 0xffff037f);
	assert_int_equal(get32(r, ENV + 4), 0xffff3800);
	assert_int_equal(get32(r, ENV + 8), 0xffff3fff);
	assert_int_equal(get32(r, ENV + 12), CODE + 2);
	assert_int_equal(get32(r, ENV + 16), 0x05050008); /* FOP 505h, FCS 08h */
	assert_int_equal(get32(r, ENV + 20), DATA);
	assert_int_equal(get32(r, ENV + 24), 0xffff0010);
	/* 16-bit protected format (66h prefix): 14 bytes, no FOP. */
	memset(r->ram + ENV, 0xaa, 32);
	RUN(r, 0x66, 0xd9, 0x35, ENV & 0xff, ENV >> 8, 0, 0);
	assert_int_equal(get16(r, ENV + 0), 0x037f);
	assert_int_equal(get16(r, ENV + 2), 0x3800);
	assert_int_equal(get16(r, ENV + 4), 0x3fff);
	assert_int_equal(get16(r, ENV + 6), CODE + 2);
	assert_int_equal(get16(r, ENV + 8), 0x0008);
	assert_int_equal(get16(r, ENV + 10), DATA);
	assert_int_equal(get16(r, ENV + 12), 0x0010);
	assert_int_equal(get16(r, ENV + 14), 0xaaaa);
	/* FNSAVE: environment, then ST(0)..ST(7); the FPU is reinitialised. */
	RUN(r, 0xd9, 0xe8); /* FLD1: ST0 = 1, ST1 = 2 */
	RUNM32(r, 0xdd, 6, ENV);
	assert_int_equal(get32(r, ENV + 4), 0xffff3000);
	assert_int_equal(get32(r, ENV + 8), 0xffff0fff);
	assert_int_equal(get32(r, ENV + 16), 0x01e80008); /* FLD1 = D9 E8 */
	assert_int_equal(get32(r, ENV + 20), DATA);	  /* kept from the FLD m64 */
	assert_int_equal(get32(r, ENV + 28 + 4), 0x80000000);
	assert_int_equal(get16(r, ENV + 28 + 8), 0x3fff);
	assert_int_equal(get16(r, ENV + 38 + 8), 0x4000);
	assert_int_equal(c->fpu.fcw, 0x037f);
	assert_int_equal(c->fpu.fsw, 0);
	assert_int_equal(c->fpu.ftw, 0xffff);
	/* FRSTOR brings it all back. */
	RUNM32(r, 0xdd, 4, ENV);
	assert_int_equal(x87_top(c), 6);
	assert_int_equal(c->fpu.ftw, 0x0fff);
	assert_true(st(c, 0) == 1.0L);
	assert_true(st(c, 1) == 2.0L);
	assert_int_equal(c->fpu.fop, 0x1e8);
	assert_int_equal(c->fpu.fdp, DATA);
	/* FLDENV with an unmasked ZE flag sets ES and B; masked, it doesn't. */
	memcpy(r->ram + ENV, &(uint32_t){0xffff037b}, 4);
	memcpy(r->ram + ENV + 4, &(uint32_t){0xffff0004}, 4);
	RUNM32(r, 0xd9, 4, ENV);
	assert_int_equal(c->fpu.fsw, 0x8084);
	/* FNSTENV then masks everything: ES and B clear. */
	RUNM32(r, 0xd9, 6, ENV);
	assert_int_equal(c->fpu.fcw, 0x037f);
	assert_int_equal(c->fpu.fsw, 0x0004);
	/* FLDCW keeps bit 6 set and bits 13-15 clear. */
	memcpy(r->ram + DATA, &(uint16_t){0xffff}, 2);
	RUNM32(r, 0xd9, 5, DATA);
	assert_int_equal(c->fpu.fcw, 0x1f7f);
	RUNM32(r, 0xd9, 7, DATA + 4);
	assert_int_equal(get16(r, DATA + 4), 0x1f7f);
}

static void test_env_real_mode(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	/* CS = 0100h (IP 0 is linear 1000h), DS = 1000h: an operand at
	 * DS:2345h is linear 12345h. */
	c->seg[S_CS].sel = 0x0100;
	c->seg[S_CS].base = 0x1000;
	c->rip = 0;
	c->seg[S_DS].sel = 0x1000;
	c->seg[S_DS].base = 0x10000;
	FNINIT(r);
	put_f64(r, 0x12345, 2.0);
	RUNM16(r, 0xdd, 0, 0x2345); /* FLD QWORD [2345h] at CS:0002 */
	RUNM16(r, 0xd9, 6, 0x3000); /* FNSTENV [3000h] (16-bit real) */
	assert_int_equal(get16(r, 0x13000 + 0), 0x037f);
	assert_int_equal(get16(r, 0x13000 + 2), 0x3800);
	assert_int_equal(get16(r, 0x13000 + 4), 0x3fff);
	assert_int_equal(get16(r, 0x13000 + 6), 0x1002); /* FIP 15..0 (linear) */
	assert_int_equal(get16(r, 0x13000 + 8), 0x0506); /* FIP 19..16 = 0, FOP */
	assert_int_equal(get16(r, 0x13000 + 10), 0x2345);
	assert_int_equal(get16(r, 0x13000 + 12), 0x1000); /* FDP 19..16 = 1 */
	/* 32-bit real format (66h prefix). */
	RUN(r, 0x66, 0xd9, 0x36, 0x00, 0x30);
	assert_int_equal(get32(r, 0x13000 + 0), 0xffff037f);
	assert_int_equal(get32(r, 0x13000 + 12), 0xffff1002);
	assert_int_equal(get32(r, 0x13000 + 16), 0x00000506);
	assert_int_equal(get32(r, 0x13000 + 20), 0xffff2345);
	assert_int_equal(get32(r, 0x13000 + 24), 0x00001000);
	/* FLDENV of the 32-bit real image gives the same pointers back (as
	 * linear addresses with selector 0). */
	c->fpu.fip = c->fpu.fdp = 0;
	RUN(r, 0x66, 0xd9, 0x26, 0x00, 0x30);
	assert_int_equal(c->fpu.fip, 0x1002);
	assert_int_equal(c->fpu.fdp, 0x12345);
	assert_int_equal(c->fpu.fop, 0x506);
	assert_int_equal(c->fpu.fcs, 0);
	RUNM16(r, 0xd9, 6, 0x3000);
	assert_int_equal(get16(r, 0x13000 + 12), 0x1000);
	assert_int_equal(get16(r, 0x13000 + 10), 0x2345);
}

static void test_pointers_and_control(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	FNINIT(r);
	put_f64(r, DATA, 1.0);
	RUNM16(r, 0xdd, 0, DATA); /* at 1002h */
	assert_int_equal(c->fpu.fip, CODE + 2);
	assert_int_equal(c->fpu.fop, 0x506);
	assert_int_equal(c->fpu.fdp, DATA);
	RUNM16(r, 0xd9, 7, DATA + 8); /* FNSTCW: control, pointers kept */
	assert_int_equal(c->fpu.fip, CODE + 2);
	RUN(r, 0xd9, 0xe8); /* FLD1 at 100Ah */
	assert_int_equal(c->fpu.fip, CODE + 10);
	assert_int_equal(c->fpu.fop, 0x1e8);
	assert_int_equal(c->fpu.fdp, DATA);
	/* FNSTSW AX and m16. */
	c->gpr[R_AX] = 0xdead0000;
	RUN(r, 0xdf, 0xe0);
	assert_int_equal(c->gpr[R_AX], 0xdead3000);
	/* FNINIT clears the pointers. */
	FNINIT(r);
	assert_int_equal(c->fpu.fip, 0);
	assert_int_equal(c->fpu.fop, 0);
	/* FISTTP (SSE3) is not implemented: #UD (IVT 6 = 0:0). */
	RUNM16(r, 0xdb, 1, DATA);
	assert_int_equal(c->rip, 0);
}

static void test_nm_rules(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	FNINIT(r);
	/* CR0.TS: every x87 instruction, FNINIT included, raises #NM. */
	c->cr0 |= X86_CR0_TS;
	RUN(r, 0xdb, 0xe3);
	assert_int_equal(c->rip, NM_HANDLER);
	/* FWAIT with TS alone runs; with MP and TS it raises #NM. */
	c->rip = CODE;
	RUN(r, 0x9b);
	assert_int_equal(c->rip, CODE + 1);
	c->cr0 |= X86_CR0_MP;
	c->rip = CODE;
	RUN(r, 0x9b);
	assert_int_equal(c->rip, NM_HANDLER);
	/* CR0.EM: #NM as well (TS clear). */
	c->cr0 &= ~(X86_CR0_TS | X86_CR0_MP);
	c->cr0 |= X86_CR0_EM;
	c->rip = CODE;
	RUN(r, 0xd9, 0xe8);
	assert_int_equal(c->rip, NM_HANDLER);
	assert_int_equal(x87_top(c), 0);
	/* FWAIT is not affected by EM. */
	c->rip = CODE;
	RUN(r, 0x9b);
	assert_int_equal(c->rip, CODE + 1);
}

static void test_mf_rules(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	c->cr0 |= X86_CR0_NE;
	FNINIT(r);
	c->fpu.fcw = 0x037b; /* ZE unmasked */
	RUN(r, 0xd9, 0xee);  /* ST1 = 0 */
	RUN(r, 0xd9, 0xe8);  /* ST0 = 1 */
	RUN(r, 0xd8, 0xf1);  /* FDIV ST0, ST1: 1/0 */
	/* Unmasked ZE: ST(0) unchanged, ZE + ES + B pending. */
	assert_true(st(c, 0) == 1.0L);
	assert_int_equal(c->fpu.fsw, 0x8000 | 0x3000 | 0x0084);
	assert_int_equal(c->fpu.fip, CODE + 6);
	/* FNSTSW does not wait. */
	RUN(r, 0xdf, 0xe0);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 0xb084);
	assert_int_equal(c->rip, CODE + 10);
	/* The next waiting instruction raises #MF at its own address. */
	RUN(r, 0xd8, 0xc1);
	assert_int_equal(c->rip, MF_HANDLER);
	assert_true(st(c, 0) == 1.0L);
	assert_int_equal(get16(r, 0x8000 - 6), CODE + 10); /* IP of the faulting FADD */
	/* FWAIT too. After FNCLEX nothing is pending. */
	c->rip = CODE;
	c->gpr[R_SP] = 0x8000;
	RUN(r, 0x9b);
	assert_int_equal(c->rip, MF_HANDLER);
	c->rip = CODE;
	RUN(r, 0xdb, 0xe2);
	RUN(r, 0xd8, 0xc1);
	assert_int_equal(c->rip, CODE + 4);
	assert_true(st(c, 0) == 1.0L);
	/* With CR0.NE clear the pending exception does not fault. */
	c->cr0 &= ~X86_CR0_NE;
	RUN(r, 0xd8, 0xf1);
	assert_int_equal(c->fpu.fsw & FSW_ES, FSW_ES);
	RUN(r, 0xd9, 0xe8);
	assert_int_equal(c->rip, CODE + 8);
	assert_int_equal(x87_top(c), 5);
	/* Masking it with FLDCW clears ES and B. */
	c->rip = CODE;
	memcpy(r->ram + DATA, &(uint16_t){0x037f}, 2);
	RUNM16(r, 0xd9, 5, DATA);
	assert_int_equal(c->fpu.fsw & (FSW_ES | FSW_B), 0);
	/* Unmasked PE: the result is written and the exception pended. */
	FNINIT(r);
	c->fpu.fcw = 0x035f;
	RUN(r, 0xd9, 0xeb); /* FLDPI: no PE */
	assert_int_equal(c->fpu.fsw & FSW_ES, 0);
	RUN(r, 0xd9, 0xe8);
	RUN(r, 0xd9, 0xe8);
	RUN(r, 0xd8, 0xc1); /* 2 */
	RUN(r, 0xd8, 0xc1); /* 3 */
	RUN(r, 0xd9, 0xe8);
	RUN(r, 0xd8, 0xf1); /* 1/3 */
	assert_int_equal(mant(c, 0), 0xaaaaaaaaaaaaaaabULL);
	assert_int_equal(c->fpu.fsw & (FSW_ES | FSW_PE), FSW_ES | FSW_PE);
}

/* A store that faults (here: past the real-mode segment limit, #GP via
 * IVT 13 = 0:0) leaves the FPU as it was: no pop, no flags, no pointers. */
static void test_faulting_store_changes_nothing(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	FNINIT(r);
	RUN(r, 0xd9, 0xeb); /* FLDPI at 1002h */
	c->fpu.fsw |= FSW_C1;
	RUNM16(r, 0xdb, 7, 0xfffa); /* FSTP TBYTE [FFFAh]: 10 bytes cross the limit */
	assert_int_equal(c->rip, 0);
	assert_int_equal(x87_top(c), 7);
	assert_int_equal(c->fpu.ftw, 0x3fff);
	assert_int_equal(c->fpu.fsw, 0x3800 | FSW_C1);
	assert_int_equal(c->fpu.fip, CODE + 2);
	assert_int_equal(c->fpu.fop, 0x1eb);
	/* FNSAVE that faults does not reinitialise the FPU either. */
	c->rip = CODE;
	RUNM16(r, 0xdd, 6, 0xffc0); /* 94 bytes from FFC0h cross the limit */
	assert_int_equal(c->rip, 0);
	assert_int_equal(c->fpu.ftw, 0x3fff);
	assert_int_equal(c->fpu.fcw, 0x037f);
}

/* The FPU state layout shared with FXSAVE/FXRSTOR (emu_exec_sse.c): a
 * FXSAVE image taken after x87 work holds the same registers and the
 * abridged tag. */
static void test_fxsave_consistency(void **state)
{
	struct rig *r = *state;
	struct emu_cpu *c = r->c;

	c->cr4 |= X86_CR4_OSFXSR;
	FNINIT(r);
	RUN(r, 0xd9, 0xe8);		      /* ST1 = 1 (phys 7) */
	RUN(r, 0xd9, 0xee);		      /* ST0 = 0 (phys 6) */
	RUN(r, 0x0f, 0xae, 0x06, 0x00, 0x40); /* FXSAVE [4000h] */
	assert_int_equal(get16(r, 0x4000 + 2), 0x3000);
	assert_int_equal(r->ram[0x4000 + 4], 0xc0); /* abridged tag: phys 6, 7 */
	/* Registers in stack order: ST0 = +0 at 32, ST1 = 1.0 at 48. */
	assert_int_equal(get16(r, 0x4000 + 32 + 8), 0x0000);
	assert_int_equal(get32(r, 0x4000 + 48 + 4), 0x80000000);
	assert_int_equal(get16(r, 0x4000 + 48 + 8), 0x3fff);
	FNINIT(r);
	RUN(r, 0x0f, 0xae, 0x0e, 0x00, 0x40); /* FXRSTOR [4000h] */
	assert_int_equal(x87_top(c), 6);
	assert_int_equal(x87_full_tag_word(c), 0x1fff);
	RUN(r, 0xde, 0xc1); /* FADDP: 1 */
	assert_true(st(c, 0) == 1.0L);
}

#define T(f) cmocka_unit_test_setup_teardown(f, rig_setup, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_env_prot32),
	    T(test_env_real_mode),
	    T(test_pointers_and_control),
	    T(test_nm_rules),
	    T(test_mf_rules),
	    T(test_faulting_store_changes_nothing),
	    T(test_fxsave_consistency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
