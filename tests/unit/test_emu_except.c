/* Unit tests for the software CPU's exception and interrupt delivery
 * (emu_except.c) and the privilege transitions around it: real-mode IVT
 * frames, 32-bit same-privilege and TSS stack-switch frames, 64-bit
 * frames with IST and alignment, #DF escalation and triple fault, IRET,
 * SYSCALL/SYSRET and segment loads. Frame layouts follow the Intel SDM
 * vol. 3, chapter 6. */
#include <stdlib.h>

#include "unit.h"

#include "../../src/accel/emu/emu_sys.h"
#include "vslice/x86_regs.h"

#define MEM_SIZE (4u << 20)
#define GDT 0x1000
#define IDT 0x2000
#define TSS 0x3000

/* GDT selectors. */
#define CS32 0x08
#define DS32 0x10
#define CS32U 0x18
#define DS32U 0x20
#define TSS32 0x28
#define CS64 0x30
#define DS64 0x38
#define CS64U 0x40
#define DS64U 0x48
#define TSS64 0x50
#define DS_NP 0x60 /* data, not present */

struct fixture {
	struct emu_cpu *c;
	uint8_t *ram;
	struct guest_mem gm;
};

static void put16(struct fixture *f, uint64_t a, uint16_t v)
{
	memcpy(f->ram + a, &v, 2);
}

static void put32(struct fixture *f, uint64_t a, uint32_t v)
{
	memcpy(f->ram + a, &v, 4);
}

static void put64(struct fixture *f, uint64_t a, uint64_t v)
{
	memcpy(f->ram + a, &v, 8);
}

static uint16_t get16(struct fixture *f, uint64_t a)
{
	uint16_t v;
	memcpy(&v, f->ram + a, 2);
	return v;
}

static uint32_t get32(struct fixture *f, uint64_t a)
{
	uint32_t v;
	memcpy(&v, f->ram + a, 4);
	return v;
}

static uint64_t get64(struct fixture *f, uint64_t a)
{
	uint64_t v;
	memcpy(&v, f->ram + a, 8);
	return v;
}

static uint64_t sys_desc(uint32_t base, uint32_t limit, unsigned type)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)type << 40) |
	       (1ULL << 47) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(base >> 24) << 56);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->c = calloc(1, sizeof(*f->c));
	f->ram = calloc(1, MEM_SIZE);
	guest_mem_init_buffer(&f->gm, f->ram, MEM_SIZE);
	f->c->mem = &f->gm;
	emu_cpu_reset(f->c);
	put64(f, GDT + CS32, 0x00cf9b000000ffffULL);
	put64(f, GDT + DS32, 0x00cf93000000ffffULL);
	put64(f, GDT + CS32U, 0x00cffb000000ffffULL);
	put64(f, GDT + DS32U, 0x00cff3000000ffffULL);
	put64(f, GDT + TSS32, sys_desc(TSS, 0x67, 0x9));
	put64(f, GDT + CS64, 0x00af9b000000ffffULL);
	put64(f, GDT + DS64, 0x00cf93000000ffffULL);
	put64(f, GDT + CS64U, 0x00affb000000ffffULL);
	put64(f, GDT + DS64U, 0x00cff3000000ffffULL);
	put64(f, GDT + TSS64, sys_desc(TSS, 0x67, 0x9));
	put64(f, GDT + TSS64 + 8, 0);
	put64(f, GDT + DS_NP, 0x00cf13000000ffffULL);
	f->c->gdtr = (struct emu_dtable){GDT, 0x7f};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->ram);
	free(f->c);
	free(f);
	return 0;
}

static void load(struct emu_cpu *c, int seg, uint16_t sel)
{
	if (setjmp(c->fault_jmp) == 0)
		emu_load_seg(c, seg, sel);
	else
		fail_msg("loading selector %#x faulted: vector %d err %#x", sel, c->pending_exc,
			 c->pending_err);
}

/* 32-bit protected mode at CPL cpl, flat segments from the GDT. */
static void prot32(struct fixture *f, int cpl)
{
	struct emu_cpu *c = f->c;
	c->cr0 |= X86_CR0_PE;
	struct emu_desc d = {.addr = GDT};
	d.lo = get64(f, GDT + (cpl ? CS32U : CS32));
	emu_desc_to_seg(&d, (uint16_t)((cpl ? CS32U : CS32) | cpl), &c->seg[S_CS]);
	d.lo = get64(f, GDT + (cpl ? DS32U : DS32));
	emu_desc_to_seg(&d, (uint16_t)((cpl ? DS32U : DS32) | cpl), &c->seg[S_SS]);
	emu_update_mode(c);
	for (int s = S_ES; s < S_COUNT; s++)
		if (s != S_CS && s != S_SS)
			load(c, s, (uint16_t)((cpl ? DS32U : DS32) | cpl));
	assert_int_equal(c->cpl, cpl);
	c->idtr = (struct emu_dtable){IDT, 0x7ff};
}

/* 32-bit IDT gate: type 0xe interrupt, 0xf trap. */
static void gate32(struct fixture *f, int vec, uint16_t sel, uint32_t off, unsigned type, int dpl)
{
	uint64_t g = (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)type << 40) |
		     ((uint64_t)dpl << 45) | (1ULL << 47) | ((uint64_t)(off >> 16) << 48);
	put64(f, IDT + vec * 8, g);
}

static void gate64(struct fixture *f, int vec, uint16_t sel, uint64_t off, unsigned type, int dpl,
		   int ist)
{
	uint64_t lo = (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)ist << 32) |
		      ((uint64_t)type << 40) | ((uint64_t)dpl << 45) | (1ULL << 47) |
		      (((off >> 16) & 0xffff) << 48);
	put64(f, IDT + vec * 16, lo);
	put64(f, IDT + vec * 16 + 8, off >> 32);
}

/* ---- real mode ---- */

static void test_real_mode_ivt_frame_and_iret(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	c->idtr = (struct emu_dtable){0, 0x3ff};
	put32(f, 0x21 * 4, (0x1234u << 16) | 0x5678);
	emu_seg_load_real(c, S_CS, 0x100);
	emu_seg_load_real(c, S_SS, 0x2000);
	c->gpr[R_SP] = 0x100;
	c->rflags = 0x2 | FL_IF | FL_CF;
	emu_deliver(c, 0x21, false, 0, true, 0x10);
	assert_int_equal(c->gpr[R_SP], 0xfa);
	assert_int_equal(get16(f, 0x200fa), 0x10);  /* IP */
	assert_int_equal(get16(f, 0x200fc), 0x100); /* CS */
	assert_int_equal(get16(f, 0x200fe), 0x2 | FL_IF | FL_CF);
	assert_int_equal(c->seg[S_CS].sel, 0x1234);
	assert_int_equal(c->seg[S_CS].base, 0x12340);
	assert_int_equal(c->rip, 0x5678);
	assert_int_equal(c->rflags & (FL_IF | FL_TF), 0);
	assert_int_equal(c->rflags & FL_CF, FL_CF);
	if (setjmp(c->fault_jmp) == 0)
		emu_iret(c, 2);
	else
		fail_msg("real-mode IRET faulted");
	assert_int_equal(c->seg[S_CS].sel, 0x100);
	assert_int_equal(c->rip, 0x10);
	assert_int_equal(c->gpr[R_SP], 0x100);
	assert_int_equal(c->rflags, 0x2 | FL_IF | FL_CF);
}

static void test_real_mode_sp_wraps(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	c->idtr = (struct emu_dtable){0, 0x3ff};
	put32(f, 8 * 4, (0xf000u << 16) | 0xfea5);
	emu_seg_load_real(c, S_SS, 0x3000);
	c->gpr[R_SP] = 0x0002; /* pushes wrap to 0xfffe, 0xfffc */
	c->rflags = 0x2;
	emu_deliver(c, 8, false, 0, false, 0x777);
	assert_int_equal(c->gpr[R_SP], 0xfffc);
	assert_int_equal(get16(f, 0x30000), 0x2);	      /* FLAGS at SP 0 */
	assert_int_equal(get16(f, 0x30000 + 0xfffe), 0xf000); /* CS */
	assert_int_equal(get16(f, 0x30000 + 0xfffc), 0x777);  /* IP */
	assert_int_equal(c->rip, 0xfea5);
	assert_false(c->triple_fault);
}

/* ---- 32-bit protected mode ---- */

static void test_prot32_same_privilege_frame(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	prot32(f, 0);
	gate32(f, EXC_PF, CS32, 0x00123456, 0xe, 0);
	c->gpr[R_SP] = 0x8000;
	c->rflags = 0x202;
	emu_deliver(c, EXC_PF, true, 0x6, false, 0x1234);
	assert_int_equal(c->gpr[R_SP], 0x8000 - 16);
	assert_int_equal(get32(f, 0x8000 - 16), 0x6);	 /* error code */
	assert_int_equal(get32(f, 0x8000 - 12), 0x1234); /* EIP */
	assert_int_equal(get32(f, 0x8000 - 8), CS32);	 /* CS */
	assert_int_equal(get32(f, 0x8000 - 4), 0x202);	 /* EFLAGS */
	assert_int_equal(c->rip, 0x123456);
	assert_int_equal(c->seg[S_CS].sel, CS32);
	assert_int_equal(c->rflags & FL_IF, 0); /* interrupt gate */
	/* Return: pop the error code, IRET. */
	c->gpr[R_SP] += 4;
	if (setjmp(c->fault_jmp) == 0)
		emu_iret(c, 4);
	else
		fail_msg("IRET faulted");
	assert_int_equal(c->rip, 0x1234);
	assert_int_equal(c->gpr[R_SP], 0x8000);
	assert_int_equal(c->rflags, 0x202);
}

static void test_prot32_privilege_change_tss(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	prot32(f, 0);
	put32(f, TSS + 4, 0x9000); /* ESP0 */
	put16(f, TSS + 8, DS32);   /* SS0 */
	if (setjmp(c->fault_jmp) == 0)
		emu_ltr(c, TSS32);
	else
		fail_msg("LTR faulted");
	/* LTR marks the descriptor busy (type 9 -> 0xb). */
	assert_int_equal((get64(f, GDT + TSS32) >> 40) & 0xf, 0xb);
	prot32(f, 3);
	gate32(f, 0x80, CS32, 0x00c0ffee, 0xf, 3); /* trap gate, DPL 3 */
	c->gpr[R_SP] = 0x7000;
	c->rflags = 0x202;
	emu_deliver(c, 0x80, false, 0, true, 0x4444);
	assert_int_equal(c->cpl, 0);
	assert_int_equal(c->seg[S_SS].sel, DS32);
	assert_int_equal(c->gpr[R_SP], 0x9000 - 20);
	assert_int_equal(get32(f, 0x9000 - 20), 0x4444);    /* EIP */
	assert_int_equal(get32(f, 0x9000 - 16), CS32U | 3); /* CS */
	assert_int_equal(get32(f, 0x9000 - 12), 0x202);	    /* EFLAGS */
	assert_int_equal(get32(f, 0x9000 - 8), 0x7000);	    /* ESP */
	assert_int_equal(get32(f, 0x9000 - 4), DS32U | 3);  /* SS */
	assert_int_equal(c->rip, 0xc0ffee);
	assert_int_equal(c->rflags & FL_IF, FL_IF); /* trap gate keeps IF */
	/* The kernel loads its DS; IRET back to CPL 3 nulls it. */
	load(c, S_DS, DS32);
	if (setjmp(c->fault_jmp) == 0)
		emu_iret(c, 4);
	else
		fail_msg("IRET to CPL 3 faulted: vector %d err %#x", c->pending_exc,
			 c->pending_err);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->seg[S_CS].sel, CS32U | 3);
	assert_int_equal(c->seg[S_SS].sel, DS32U | 3);
	assert_int_equal(c->gpr[R_SP], 0x7000);
	assert_int_equal(c->rip, 0x4444);
	assert_int_equal(c->seg[S_DS].sel, 0);
	assert_int_equal(SEG_ATTR_P(c->seg[S_DS].attr), 0);
	assert_int_equal(c->seg[S_ES].sel, DS32U | 3); /* DPL 3: kept */
}

static void test_prot32_soft_int_dpl_check(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	put32(f, TSS + 4, 0x9000);
	put16(f, TSS + 8, DS32);
	prot32(f, 0);
	if (setjmp(c->fault_jmp) == 0)
		emu_ltr(c, TSS32);
	prot32(f, 3);
	gate32(f, 0x81, CS32, 0x1111, 0xe, 0); /* DPL 0: not for INT n at CPL 3 */
	gate32(f, EXC_GP, CS32, 0x2222, 0xe, 0);
	c->gpr[R_SP] = 0x7000;
	c->insn_rip = 0x4442; /* the INT instruction */
	emu_deliver(c, 0x81, false, 0, true, 0x4444);
	/* #GP(vector * 8 + 2), EXT = 0, pointing at the INT instruction. */
	assert_int_equal(c->rip, 0x2222);
	assert_int_equal(c->gpr[R_SP], 0x9000 - 24);
	assert_int_equal(get32(f, 0x9000 - 24), 0x81 * 8 + 2);
	assert_int_equal(get32(f, 0x9000 - 20), 0x4442);
	/* An exception through the same DPL-0 gate is fine (no DPL check). */
	prot32(f, 3);
	c->gpr[R_SP] = 0x7000;
	emu_deliver(c, 0x81, false, 0, false, 0x4444);
	assert_int_equal(c->rip, 0x1111);
}

static void test_prot32_double_fault(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	prot32(f, 0);
	gate32(f, EXC_DF, CS32, 0xdf00, 0xe, 0);
	gate32(f, EXC_NP, CS32, 0xbb00, 0xe, 0);
	/* #GP whose gate is not present: #NP on top of #GP -> #DF. */
	put64(f, IDT + EXC_GP * 8, 0);
	c->gpr[R_SP] = 0x8000;
	emu_deliver(c, EXC_GP, true, 0, false, 0x100);
	assert_int_equal(c->rip, 0xdf00);
	assert_int_equal(get32(f, 0x8000 - 16), 0); /* #DF error code is 0 */
	assert_int_equal(get32(f, 0x8000 - 12), 0x100);
	/* An external interrupt whose gate is absent is benign: the #NP is
	 * delivered on its own, error code = IDT index | IDT | EXT. */
	prot32(f, 0);
	gate32(f, 0x30, CS32, 0x3000, 0xe, 0);
	put64(f, IDT + 0x30 * 8, get64(f, IDT + 0x30 * 8) & ~(1ULL << 47)); /* P = 0 */
	c->gpr[R_SP] = 0x8000;
	emu_deliver(c, 0x30, false, 0, false, 0x200);
	assert_int_equal(c->rip, 0xbb00);
	assert_int_equal(get32(f, 0x8000 - 16), 0x30 * 8 + 2 + 1);
	/* #PF whose handler selector is outside the GDT: #GP -> #DF. */
	prot32(f, 0);
	gate32(f, EXC_PF, 0x400, 0x1, 0xe, 0);
	c->gpr[R_SP] = 0x8000;
	emu_deliver(c, EXC_PF, true, 2, false, 0x300);
	assert_int_equal(c->rip, 0xdf00);
	assert_false(c->triple_fault);
}

static void test_triple_fault(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	prot32(f, 0);
	c->idtr = (struct emu_dtable){IDT, 0}; /* every vector is out of the IDT */
	c->gpr[R_SP] = 0x8000;
	c->rip = 0x500;
	emu_deliver(c, EXC_UD, false, 0, false, 0x500);
	assert_true(c->triple_fault);
	/* The state is that of the faulting instruction. */
	assert_int_equal(c->rip, 0x500);
	assert_int_equal(c->gpr[R_SP], 0x8000);
	assert_int_equal(c->seg[S_CS].sel, CS32);
	/* Real mode (reboot.S style): an IVT limit of 0 triple-faults too. */
	emu_cpu_reset(c);
	c->idtr = (struct emu_dtable){0, 0};
	emu_deliver(c, EXC_UD, false, 0, false, 0xfff0);
	assert_true(c->triple_fault);
}

/* ---- long mode ---- */

/* 4-level paging identity-mapping the first 2 MiB (user accessible). */
static void long64(struct fixture *f, int cpl)
{
	struct emu_cpu *c = f->c;
	put64(f, 0x10000, 0x11000 | 7);
	put64(f, 0x11000, 0x12000 | 7);
	put64(f, 0x12000, 0x0 | 7 | 0x80);
	c->cr3 = 0x10000;
	c->cr4 = X86_CR4_PAE;
	c->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE;
	c->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET;
	emu_tlb_flush(c, true);
	struct emu_desc d = {.addr = GDT};
	d.lo = get64(f, GDT + (cpl ? CS64U : CS64));
	emu_desc_to_seg(&d, (uint16_t)((cpl ? CS64U : CS64) | cpl), &c->seg[S_CS]);
	d.lo = get64(f, GDT + (cpl ? DS64U : DS64));
	emu_desc_to_seg(&d, (uint16_t)((cpl ? DS64U : DS64) | cpl), &c->seg[S_SS]);
	emu_update_mode(c);
	assert_int_equal(c->mode, MODE_LONG64);
	assert_int_equal(c->cpl, cpl);
	c->idtr = (struct emu_dtable){IDT, 0xfff};
	put64(f, TSS + 4, 0x9000);  /* RSP0 */
	put64(f, TSS + 36, 0xa008); /* IST1, misaligned on purpose */
	c->tr.sel = TSS64;
	c->tr.base = TSS;
	c->tr.limit = 0x67;
	c->tr.attr = 0x8b;
}

static void test_long_privilege_change_frame_and_iretq(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	long64(f, 3);
	gate64(f, 0x20, CS64, 0xffffffff81000000ULL, 0xe, 0, 0);
	c->gpr[R_SP] = 0x7008;
	c->rflags = 0x202;
	emu_deliver(c, 0x20, false, 0, false, 0x401000);
	assert_int_equal(c->cpl, 0);
	assert_int_equal(c->gpr[R_SP], 0x9000 - 40);
	assert_int_equal(get64(f, 0x9000 - 40), 0x401000);  /* RIP */
	assert_int_equal(get64(f, 0x9000 - 32), CS64U | 3); /* CS */
	assert_int_equal(get64(f, 0x9000 - 24), 0x202);	    /* RFLAGS */
	assert_int_equal(get64(f, 0x9000 - 16), 0x7008);    /* RSP */
	assert_int_equal(get64(f, 0x9000 - 8), DS64U | 3);  /* SS */
	assert_int_equal(c->seg[S_SS].sel, 0);		    /* null SS, RPL 0 */
	assert_int_equal(c->seg[S_CS].sel, CS64);
	assert_int_equal(c->rip, 0xffffffff81000000ULL);
	assert_int_equal(c->rflags & FL_IF, 0);
	if (setjmp(c->fault_jmp) == 0)
		emu_iret(c, 8);
	else
		fail_msg("IRETQ faulted: vector %d err %#x", c->pending_exc, c->pending_err);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->mode, MODE_LONG64);
	assert_int_equal(c->rip, 0x401000);
	assert_int_equal(c->gpr[R_SP], 0x7008);
	assert_int_equal(c->seg[S_SS].sel, DS64U | 3);
	assert_int_equal(c->rflags, 0x202);
}

static void test_long_same_privilege_alignment_and_ist(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	long64(f, 0);
	gate64(f, EXC_PF, CS64, 0x100000, 0xe, 0, 0);
	gate64(f, EXC_DF, CS64, 0x1df000, 0xe, 0, 1);
	c->gpr[R_SP] = 0x8008;
	c->rflags = 0x2;
	emu_deliver(c, EXC_PF, true, 0x2, false, 0x5000);
	/* RSP aligned down to 16 first, then SS, RSP, RFLAGS, CS, RIP, error. */
	assert_int_equal(c->gpr[R_SP], 0x8000 - 48);
	assert_int_equal(get64(f, 0x8000 - 48), 0x2);
	assert_int_equal(get64(f, 0x8000 - 40), 0x5000);
	assert_int_equal(get64(f, 0x8000 - 32), CS64);
	assert_int_equal(get64(f, 0x8000 - 24), 0x2);
	assert_int_equal(get64(f, 0x8000 - 16), 0x8008);
	assert_int_equal(get64(f, 0x8000 - 8), DS64);
	assert_int_equal(c->seg[S_SS].sel, DS64); /* no privilege change: SS kept */
	/* IST 1: the stack comes from the TSS even at the same privilege. */
	long64(f, 0);
	c->gpr[R_SP] = 0x8000;
	emu_deliver(c, EXC_DF, true, 0, false, 0x6000);
	assert_int_equal(c->gpr[R_SP], 0xa000 - 48);
	assert_int_equal(get64(f, 0xa000 - 16), 0x8000);
	assert_int_equal(c->rip, 0x1df000);
}

static void test_long_non_canonical_handler_and_bad_gate(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	long64(f, 0);
	gate64(f, EXC_GP, CS64, 0x110000, 0xe, 0, 0);
	/* A 32-bit gate type (0xc call gate) in the 64-bit IDT: #GP(idx). */
	gate64(f, 0x40, CS64, 0x1000, 0xc, 0, 0);
	c->gpr[R_SP] = 0x8000;
	emu_deliver(c, 0x40, false, 0, false, 0x10);
	assert_int_equal(c->rip, 0x110000);
	assert_int_equal(get64(f, 0x8000 - 48), 0x40 * 16 + 2 + 1);
	/* A handler in a 32-bit code segment: #GP(selector | EXT). */
	long64(f, 0);
	gate64(f, 0x41, CS32, 0x1000, 0xe, 0, 0);
	c->gpr[R_SP] = 0x8000;
	emu_deliver(c, 0x41, false, 0, false, 0x10);
	assert_int_equal(get64(f, 0x8000 - 48), CS32 | 1);
}

static void test_syscall_sysret_round_trip(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	long64(f, 3);
	c->star = (0x23ULL << 48) | (0x10ULL << 32);
	c->lstar = 0xffffffff81a00000ULL;
	c->sfmask = FL_IF | FL_TF | FL_DF;
	c->rflags = 0x2 | FL_IF | FL_DF | FL_CF;
	if (setjmp(c->fault_jmp) == 0)
		emu_syscall(c, 0x401234);
	else
		fail_msg("SYSCALL faulted");
	assert_int_equal(c->gpr[R_CX], 0x401234);
	assert_int_equal(c->gpr[R_R11], 0x2 | FL_IF | FL_DF | FL_CF);
	assert_int_equal(c->seg[S_CS].sel, 0x10);
	assert_int_equal(c->seg[S_SS].sel, 0x18);
	assert_int_equal(c->cpl, 0);
	assert_int_equal(c->mode, MODE_LONG64);
	assert_int_equal(c->rip, 0xffffffff81a00000ULL);
	assert_int_equal(c->rflags, 0x2 | FL_CF);
	c->gpr[R_R11] |= FL_RF | FL_VM; /* not restorable: masked */
	if (setjmp(c->fault_jmp) == 0)
		emu_sysret(c, 8);
	else
		fail_msg("SYSRET faulted");
	assert_int_equal(c->seg[S_CS].sel, 0x33);
	assert_int_equal(c->seg[S_SS].sel, 0x2b);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->mode, MODE_LONG64);
	assert_int_equal(c->rip, 0x401234);
	assert_int_equal(c->rflags, 0x2 | FL_IF | FL_DF | FL_CF);
	/* SYSRET at CPL 3: #GP(0). SYSCALL with EFER.SCE = 0: #UD. */
	if (setjmp(c->fault_jmp) == 0)
		emu_sysret(c, 8);
	assert_int_equal(c->pending_exc, EXC_GP);
	c->efer &= ~X86_EFER_SCE;
	if (setjmp(c->fault_jmp) == 0)
		emu_syscall(c, 0);
	assert_int_equal(c->pending_exc, EXC_UD);
}

static void test_segment_load_checks(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	prot32(f, 0);
	/* Accessed bit set in the GDT on load. */
	put64(f, GDT + DS32, 0x00cf92000000ffffULL);
	load(c, S_ES, DS32);
	assert_int_equal((get64(f, GDT + DS32) >> 40) & 1, 1);
	/* Not present: #NP(sel); as SS: #SS(sel). */
	if (setjmp(c->fault_jmp) == 0)
		emu_load_seg(c, S_DS, DS_NP);
	assert_int_equal(c->pending_exc, EXC_NP);
	assert_int_equal(c->pending_err, DS_NP);
	if (setjmp(c->fault_jmp) == 0)
		emu_load_seg(c, S_SS, DS_NP);
	assert_int_equal(c->pending_exc, EXC_SS);
	/* Outside the GDT: #GP(sel). */
	if (setjmp(c->fault_jmp) == 0)
		emu_load_seg(c, S_DS, 0x80);
	assert_int_equal(c->pending_exc, EXC_GP);
	assert_int_equal(c->pending_err, 0x80);
	/* SS: null -> #GP(0); code -> #GP(sel). */
	if (setjmp(c->fault_jmp) == 0)
		emu_load_seg(c, S_SS, 0);
	assert_int_equal(c->pending_exc, EXC_GP);
	assert_int_equal(c->pending_err, 0);
	if (setjmp(c->fault_jmp) == 0)
		emu_load_seg(c, S_SS, CS32);
	assert_int_equal(c->pending_exc, EXC_GP);
	assert_int_equal(c->pending_err, CS32);
	/* From CPL 3: DPL 0 data -> #GP(sel); null DS is fine. */
	prot32(f, 3);
	if (setjmp(c->fault_jmp) == 0)
		emu_load_seg(c, S_DS, DS32 | 3);
	assert_int_equal(c->pending_exc, EXC_GP);
	assert_int_equal(c->pending_err, DS32);
	load(c, S_DS, 0);
	assert_int_equal(SEG_ATTR_P(c->seg[S_DS].attr), 0);
	/* LTR of a busy TSS: #GP(sel). */
	prot32(f, 0);
	put64(f, GDT + TSS32, sys_desc(TSS, 0x67, 0xb));
	if (setjmp(c->fault_jmp) == 0)
		emu_ltr(c, TSS32);
	assert_int_equal(c->pending_exc, EXC_GP);
	assert_int_equal(c->pending_err, TSS32);
}

static void test_far_jmp_to_long_mode(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	/* The classic switch: compatibility mode, then far JMP to a 64-bit CS. */
	long64(f, 0);
	struct emu_desc d = {.addr = GDT, .lo = get64(f, GDT + CS32)};
	emu_desc_to_seg(&d, CS32, &c->seg[S_CS]);
	emu_update_mode(c);
	assert_int_equal(c->mode, MODE_COMPAT32);
	if (setjmp(c->fault_jmp) == 0)
		emu_far_jmp(c, CS64, 0x100000, 4);
	else
		fail_msg("far JMP faulted: vector %d err %#x", c->pending_exc, c->pending_err);
	assert_int_equal(c->mode, MODE_LONG64);
	assert_int_equal(c->rip, 0x100000);
	/* Far JMP to a DPL 3 code segment from CPL 0: #GP(sel). */
	if (setjmp(c->fault_jmp) == 0)
		emu_far_jmp(c, CS64U, 0x100000, 4);
	assert_int_equal(c->pending_exc, EXC_GP);
	assert_int_equal(c->pending_err, CS64U);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_real_mode_ivt_frame_and_iret, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_real_mode_sp_wraps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prot32_same_privilege_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prot32_privilege_change_tss, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prot32_soft_int_dpl_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prot32_double_fault, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_triple_fault, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_privilege_change_frame_and_iretq, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_long_same_privilege_alignment_and_ist, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_long_non_canonical_handler_and_bad_gate, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_syscall_sysret_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_segment_load_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_far_jmp_to_long_mode, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
