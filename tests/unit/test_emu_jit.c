/* Unit tests for the software CPU's block translator (emu_jit.c) in 32-
 * and 64-bit code: every program runs twice from the same state, once
 * with decoded blocks interpreted and once translated at first use, and
 * must end in the same registers, flags, memory and exception frames.
 * Covered here because the differential tester cannot: the inline TLB
 * path of 32-bit code with flat and non-flat segments, 64-bit PUSH, POP,
 * CALL and RET (with a fault at a non-canonical return address and a push
 * into an unmapped page), links between blocks, and the jump cache; and
 * the translator's own machinery: loops back to a block's start with
 * guest registers and flags kept in host registers (5000 iterations, left
 * and entered again at emu_run()'s step budget), operations in place on
 * them, the fast TLB's views by privilege and segments, its slow paths,
 * the dirty bit, CR0.WP and stores into the running block's page. */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

#include "../../src/accel/emu/emu_icache.h"
#include "../../src/accel/emu/emu_sys.h"
#include "vslice/x86_regs.h"

#define MEM_SIZE (4u << 20)
#define GDT 0x1000
#define IDT 0x2000
#define TSS 0x3000 /* 64-bit TSS: IST1 for #PF, whose fault is on the stack */
#define IST1 0x90000
#define PML4 0x4000 /* then PDPT at 0x5000, PD at 0x6000 */
#define HANDLER 0x8000 /* every exception vector: HLT */
#define CODE 0x10000
#define DATA 0x20000

#define CS32 0x08
#define DS32 0x10
#define DS_SMALL 0x18 /* data, base 0, limit 0xfff */
#define CS64 0x20
#define DS64 0x28

struct rig {
	struct emu_cpu *c;
	uint8_t *ram;
	struct guest_mem gm;
};

static void put64(struct rig *r, uint64_t a, uint64_t v)
{
	memcpy(r->ram + a, &v, 8);
}

static void put_code(struct rig *r, const uint8_t *code, size_t n)
{
	memcpy(r->ram + CODE, code, n);
}

static void seg_from_gdt(struct rig *r, int seg, uint16_t sel)
{
	struct emu_desc d = {.addr = GDT};

	memcpy(&d.lo, r->ram + GDT + (sel & ~7), 8);
	emu_desc_to_seg(&d, sel, &r->c->seg[seg]);
}

/* A CPU in 32-bit protected mode (paging off) or 64-bit long mode
 * (identity-mapped first 4 MiB), CPL 0, every exception vector going to a
 * HLT at HANDLER; translated blocks if jit. */
static struct rig *rig_new(bool long_mode, bool jit)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct emu_cpu *c;

	assert_non_null(r);
	r->c = c = calloc(1, sizeof(*c));
	r->ram = calloc(1, MEM_SIZE);
	assert_non_null(c);
	assert_non_null(r->ram);
	guest_mem_init_buffer(&r->gm, r->ram, MEM_SIZE);
	c->mem = &r->gm;
	emu_cpu_reset(c);
	c->icache = emu_icache_new();
	assert_non_null(c->icache);
	if (jit) {
		c->icache->jit = emu_jit_new(1u << 20);
#if defined(__x86_64__)
		assert_non_null(c->icache->jit);
#endif
		c->icache->jit_after = 0;
	}
	put64(r, GDT + CS32, 0x00cf9b000000ffffULL);
	put64(r, GDT + DS32, 0x00cf93000000ffffULL);
	put64(r, GDT + DS_SMALL, 0x0000930000000fffULL);
	put64(r, GDT + CS64, 0x00af9b000000ffffULL);
	put64(r, GDT + DS64, 0x00cf93000000ffffULL);
	c->gdtr = (struct emu_dtable){GDT, 0x3f};
	r->ram[HANDLER] = 0xf4;
	for (int v = 0; v < 32; v++) {
		uint64_t lo = (HANDLER & 0xffff) | ((uint64_t)(long_mode ? CS64 : CS32) << 16) |
			      (0xeULL << 40) | (1ULL << 47);
		if (long_mode) {
			if (v == EXC_PF)
				lo |= 1ULL << 32; /* IST1 */
			put64(r, IDT + v * 16, lo);
			put64(r, IDT + v * 16 + 8, 0);
		} else {
			put64(r, IDT + v * 8, lo);
		}
	}
	c->idtr = (struct emu_dtable){IDT, long_mode ? 0x1ff : 0xff};
	memset(c->gpr, 0, sizeof(c->gpr));
	if (long_mode) {
		put64(r, PML4, 0x5000 | 3);
		put64(r, 0x5000, 0x6000 | 3);
		put64(r, 0x6000, 0x000000 | 0x83); /* 2 MiB pages, writable */
		put64(r, 0x6008, 0x200000 | 0x83);
		c->cr3 = PML4;
		put64(r, TSS + 0x24, IST1);
		c->tr = (struct emu_seg){.sel = 0x30, .base = TSS, .limit = 0x67, .attr = 0x8b};
		c->cr4 |= X86_CR4_PAE;
		c->efer |= X86_EFER_LME | X86_EFER_LMA;
		c->cr0 |= X86_CR0_PE | X86_CR0_PG;
		seg_from_gdt(r, S_CS, CS64);
		for (int s = S_ES; s < S_COUNT; s++)
			if (s != S_CS)
				seg_from_gdt(r, s, DS64);
	} else {
		c->cr0 |= X86_CR0_PE;
		seg_from_gdt(r, S_CS, CS32);
		for (int s = S_ES; s < S_COUNT; s++)
			if (s != S_CS)
				seg_from_gdt(r, s, DS32);
	}
	emu_update_mode(c);
	assert_int_equal(c->mode, long_mode ? MODE_LONG64 : MODE_PROT32);
	c->rip = CODE;
	c->gpr[R_SP] = 0x80000;
	return r;
}

static void rig_free(struct rig *r)
{
	emu_icache_free(r->c->icache);
	free(r->ram);
	free(r->c);
	free(r);
}

/* Checks that the two rigs are in the same state: registers, flags,
 * rip, cr2, instructions executed and all of memory. */
static void same_state(const struct rig *a, const struct rig *b)
{
	assert_memory_equal(a->c->gpr, b->c->gpr, sizeof(a->c->gpr));
	assert_int_equal(a->c->rip, b->c->rip);
	assert_int_equal(a->c->rflags, b->c->rflags);
	assert_int_equal(a->c->cr2, b->c->cr2);
	assert_int_equal(a->c->icount, b->c->icount);
	assert_memory_equal(a->ram, b->ram, MEM_SIZE);
}

/* Runs the program in both rigs (a: interpreted, b: translated) until
 * HLT, `times` times from CODE with the registers it starts with, and
 * checks they agree. */
static void run_both(struct rig *a, struct rig *b, unsigned times)
{
	for (unsigned t = 0; t < times; t++) {
		struct rig *rr[2] = {a, b};

		for (int i = 0; i < 2; i++) {
			struct emu_cpu *c = rr[i]->c;

			c->halted = false;
			c->rip = CODE;
			assert_int_equal(emu_run(c, 100000, NULL), 1);
		}
		same_state(a, b);
	}
	if (b->c->icache->jit)
		assert_true(emu_jit_stats(b->c->icache->jit)->native > 0);
}

/* 32-bit code, flat segments: a loop of loads, stores and read-modify-
 * writes through the translator's inline TLB path. */
static void test_prot32_flat_memory(void **state)
{
	struct rig *a = rig_new(false, false), *b = rig_new(false, true);
	static const uint8_t code[] = {
		0xb9, 0x40, 0x00, 0x00, 0x00,       /* mov ecx, 64 */
		0xbe, 0x00, 0x00, 0x02, 0x00,       /* mov esi, DATA */
		0x8b, 0x04, 0x8e,                   /* L: mov eax, [esi+ecx*4] */
		0x01, 0xc8,                         /* add eax, ecx */
		0x01, 0x04, 0x8e,                   /* add [esi+ecx*4], eax */
		0x31, 0x06,                         /* xor [esi], eax */
		0x88, 0x46, 0x07,                   /* mov [esi+7], al */
		0x49,                               /* dec ecx */
		0x75, 0xf0,                         /* jnz L */
		0xf4,                               /* hlt */
	};

	(void)state;
	put_code(a, code, sizeof(code));
	put_code(b, code, sizeof(code));
	run_both(a, b, 3);
	assert_int_equal(a->c->rip, CODE + sizeof(code));
	rig_free(a);
	rig_free(b);
}

/* 32-bit code, DS limited to 4 KiB: a load past the limit raises #GP in
 * translated code as interpreted (the inline path must not take it). */
static void test_prot32_segment_limit(void **state)
{
	struct rig *rr[2] = {rig_new(false, false), rig_new(false, true)};
	static const uint8_t code[] = {
		0xa1, 0x00, 0x08, 0x00, 0x00,       /* mov eax, [0x800] (in the limit) */
		0x8b, 0x1d, 0x00, 0x20, 0x00, 0x00, /* mov ebx, [0x2000]: #GP */
		0xf4,
	};

	(void)state;
	for (int i = 0; i < 2; i++) {
		put_code(rr[i], code, sizeof(code));
		seg_from_gdt(rr[i], S_DS, DS_SMALL);
		rr[i]->ram[0x800] = 0x5a;
	}
	run_both(rr[0], rr[1], 2);
	struct emu_cpu *c = rr[1]->c;
	assert_int_equal(c->rip, HANDLER + 1);
	assert_int_equal(c->gpr[R_AX], 0x5a);
	/* Frame: error code 0, then the EIP of the faulting load. */
	uint32_t err, eip;
	memcpy(&err, rr[1]->ram + c->gpr[R_SP], 4);
	memcpy(&eip, rr[1]->ram + c->gpr[R_SP] + 4, 4);
	assert_int_equal(err, 0);
	assert_int_equal(eip, CODE + 5);
	rig_free(rr[0]);
	rig_free(rr[1]);
}

/* 64-bit code: PUSH, POP, CALL, RET and a loop (links, jump cache). */
static void test_long64_stack_and_calls(void **state)
{
	struct rig *a = rig_new(true, false), *b = rig_new(true, true);
	static const uint8_t code[] = {
		0x48, 0xc7, 0xc4, 0x00, 0x00, 0x08, 0x00, /* mov rsp, 0x80000 */
		0xb9, 0x10, 0x00, 0x00, 0x00,             /* mov ecx, 16 */
		0x48, 0xc7, 0xc0, 0x05, 0x00, 0x00, 0x00, /* L: mov rax, 5 */
		0x50,                                     /* push rax */
		0xe8, 0x0c, 0x00, 0x00, 0x00,             /* call F */
		0x5a,                                     /* pop rdx */
		0x48, 0x01, 0xc2,                         /* add rdx, rax */
		0x48, 0x01, 0xd7,                         /* add rdi, rdx */
		0xff, 0xc9,                               /* dec ecx */
		0x75, 0xe8,                               /* jnz L */
		0xf4,                                     /* hlt */
		0x53,                                     /* F: push rbx */
		0x48, 0x89, 0xc3,                         /* mov rbx, rax */
		0x48, 0x01, 0xd8,                         /* add rax, rbx */
		0x5b,                                     /* pop rbx */
		0xc3,                                     /* ret */
	};

	(void)state;
	put_code(a, code, sizeof(code));
	put_code(b, code, sizeof(code));
	run_both(a, b, 3);
	assert_int_equal(b->c->gpr[R_AX], 10);
	assert_int_equal(b->c->gpr[R_DI], 3 * 16 * 15);
	assert_int_equal(b->c->gpr[R_SP], 0x80000);
	assert_int_equal(b->c->rip, CODE + 37);
	rig_free(a);
	rig_free(b);
}

/* 64-bit faults in translated stack operations: RET to a non-canonical
 * address (#GP at the RET, RSP as before it), and a PUSH into an unmapped
 * page (#PF with CR2, nothing written, RSP as before). */
static void test_long64_stack_faults(void **state)
{
	static const uint8_t ret_gp[] = {
		0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0x80, /* mov rax, 0x8000000000000000 */
		0x50,                                   /* push rax */
		0xc3,                                   /* ret: #GP */
		0xf4,
	};
	static const uint8_t push_pf[] = {
		0x48, 0xc7, 0xc4, 0x00, 0x00, 0x40, 0x00, /* mov rsp, 0x400000 (end of the map) */
		0x6a, 0x01,                               /* push 1: to 0x3ffff8, mapped */
		0x48, 0xc7, 0xc4, 0x08, 0x00, 0x50, 0x00, /* mov rsp, 0x500008 */
		0x53,                                     /* push rbx: #PF at 0x500000 */
		0xf4,
	};
	const struct {
		const uint8_t *code;
		size_t len;
		uint64_t fault_rip, fault_rsp;
	} t[2] = {
		{ret_gp, sizeof(ret_gp), CODE + 11, 0x80000 - 8},
		{push_pf, sizeof(push_pf), CODE + 16, 0x500008},
	};

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct rig *a = rig_new(true, false), *b = rig_new(true, true);

		put_code(a, t[i].code, t[i].len);
		put_code(b, t[i].code, t[i].len);
		run_both(a, b, 1);
		struct emu_cpu *c = b->c;
		assert_int_equal(c->rip, HANDLER + 1);
		/* The 64-bit frame (pushed on the stack in use, RSP aligned):
		 * error code, RIP, CS, RFLAGS, RSP, SS. */
		uint64_t frame[6];
		memcpy(frame, b->ram + c->gpr[R_SP], sizeof(frame));
		assert_int_equal(frame[1], t[i].fault_rip);
		assert_int_equal(frame[4], t[i].fault_rsp);
		if (i == 1) {
			assert_int_equal(c->cr2, 0x500000);
			assert_int_equal(frame[0] & 3, 2); /* not present, write */
		}
		rig_free(a);
		rig_free(b);
	}
}

/* Runs a long program (one without exceptions) from CODE to its HLT in
 * slices: the translated rig b for `slice` steps of emu_run(), which
 * leaves a loop of translated code at the step budget (the jump back to
 * the block's start checks it, so b may run up to a block past it), then
 * the interpreted rig a for exactly the instructions b ran. They must
 * agree after every slice. Returns the number of slices. */
static unsigned run_sliced(struct rig *a, struct rig *b, unsigned slice)
{
	unsigned n = 0;
	int done;

	a->c->halted = b->c->halted = false;
	a->c->rip = b->c->rip = CODE;
	do {
		uint64_t before = b->c->icount;
		unsigned ran;

		done = emu_run(b->c, slice, NULL);
		assert_true(b->c->icount > before);
		ran = (unsigned)(b->c->icount - a->c->icount);
		assert_int_equal(emu_run(a->c, ran, NULL), done);
		same_state(a, b);
		assert_true(++n < 1000);
	} while (!done);
	if (b->c->icache->jit)
		assert_true(emu_jit_stats(b->c->icache->jit)->native > 0);
	return n;
}

/* The register loop below (after its seven MOVs of setup), in 64-bit
 * and in 32-bit code: the same bytes but for INC and DEC, FF /0 and FF /1
 * in 64-bit code, 40+r and 48+r in 32-bit code (both translated). The
 * loop's 20 instructions and the JMP after it are one block (48 bytes in
 * 64-bit code) whose JNZ goes back to its own start: a loop that keeps
 * the guest registers it caches, and the flags, in host registers from
 * one iteration to the next. The most used registers (loop-weighted),
 * rax, rcx, rsi and rdi, are the cached ones; rbx, rdx and rbp are not,
 * so most kinds of operation below meet both. Only flags the SDM defines
 * are ever read or left at the loop's end, so any host gives the
 * interpreter's results. */
#define REG_LOOP_SETUP                                                                           \
	0xb9, 0x88, 0x13, 0x00, 0x00, /* mov ecx, 5000: counter, and CL the shift count */     \
	0xb8, 0x78, 0x56, 0x34, 0x12, /* mov eax, 0x12345678 */                                \
	0xbb, 0xf0, 0xde, 0xbc, 0x9a, /* mov ebx, 0x9abcdef0 */                                \
	0xba, 0x3c, 0x2d, 0x1e, 0x0f, /* mov edx, 0x0f1e2d3c */                                \
	0xbe, 0x11, 0x11, 0x11, 0x11, /* mov esi, 0x11111111 */                                \
	0xbf, 0xff, 0xff, 0xff, 0x7f, /* mov edi, 0x7fffffff */                                \
	0xbd, 0x26, 0x59, 0x41, 0x31  /* mov ebp, 0x31415926 */
#define REG_LOOP_BODY                                                                            \
	0x11, 0xf8,       /* L: adc eax, edi: CF of the CMP below, across INC, DEC, JNZ */      \
	0x66, 0x19, 0xd6, /* sbb si, dx: 16-bit, cached destination */                         \
	0x00, 0xdc,       /* add ah, bl: AH of a cached register */                            \
	0x80, 0xc4, 0x35, /* add ah, 0x35: not in place (AH is no host register) */           \
	0x28, 0xc7,       /* sub bh, al: BH of an uncached one, from AL */                     \
	0x00, 0xf8,       /* add al, bh */                                                      \
	0x66, 0x01, 0xc7, /* add di, ax: 16-bit in place */                                    \
	0x39, 0xf1,       /* cmp ecx, esi: CF mostly set */                                     \
	0x0f, 0x92, 0xc2, /* setc dl: reads CF; the host's flags are no longer the guest's */  \
	0xd3, 0xe6,       /* shl esi, cl: count 0 every 32nd time: the CMP's flags stay */     \
	0x11, 0xd7,       /* adc edi, edx: CF of the SHL, or of the CMP */                     \
	0xd3, 0xcd,       /* ror ebp, cl: uncached register by CL */                           \
	0x01, 0xc5,       /* add ebp, eax */                                                    \
	0x29, 0xee,       /* sub esi, ebp */                                                    \
	0x39, 0xf0,       /* cmp eax, esi: CF for the next ADC */                              \
	0x0f, 0x42, 0xd7  /* cmovb edx, edi: reads CF (the host's flags change) */
/* then: inc edi (SETZ reads its flags: they go to the host's, CF
 * included, which must be the CMP's), sete bl, dec ecx (the same), jnz L
 * (on the host's flags, right after the DEC), jmp +0 (which ends the
 * block: with the HLT in it, a called instruction, the loop would go back
 * through the block's entry, registers stored and loaded again), hlt */

static void reg_loop(bool long_mode, const uint8_t *code, size_t len)
{
	struct rig *a = rig_new(long_mode, false), *b = rig_new(long_mode, true);

	put_code(a, code, len);
	put_code(b, code, len);
	/* 20 * 5000 instructions: left at the step budget about 40 times. */
	assert_true(run_sliced(a, b, 2503) > 30);
	assert_int_equal(b->c->gpr[R_CX], 0);
	assert_int_equal(b->c->icount, 7 + 20 * 5000 + 2);
	rig_free(a);
	rig_free(b);
}

/* 64-bit code: the register loop above. Covers the cached registers
 * across a loop and at its exits (budget and end), the flags kept in r13
 * (stored at exits), ADC/SBB reading CF (bt r13, 0 first), INC/DEC on a
 * cached register keeping CF, 8/16-bit operations in place, AH/BH of a
 * cached and of an uncached register, shifts by CL with a count of 0
 * (flags unchanged), SETcc, CMOVcc, and JNZ on the host's flags. */
static void test_long64_register_loop(void **state)
{
	static const uint8_t code[] = {
		REG_LOOP_SETUP,
		REG_LOOP_BODY,
		0xff, 0xc7, /* inc edi */
		0x0f, 0x94, 0xc3, /* sete bl */
		0xff, 0xc9, /* dec ecx */
		0x75, 0xd2, /* jnz L */
		0xeb, 0x00, /* jmp +0 */
		0xf4,
	};

	(void)state;
	reg_loop(true, code, sizeof(code));
}

/* 32-bit code: the same loop, with the one-byte INC and DEC. */
static void test_prot32_register_loop(void **state)
{
	static const uint8_t code[] = {
		REG_LOOP_SETUP,
		REG_LOOP_BODY,
		0x47, /* inc edi */
		0x0f, 0x94, 0xc3, /* sete bl */
		0x49, /* dec ecx */
		0x75, 0xd4, /* jnz L */
		0xeb, 0x00, /* jmp +0 */
		0xf4,
	};

	(void)state;
	reg_loop(false, code, sizeof(code));
}

/* 64-bit code: a loop of 23 instructions (93 bytes, one block jumping
 * back to its start) of memory operands and extensions, 5000 times, run
 * in slices (left and entered again at the step budget). rcx, rax, rbx
 * and rsi are cached, rdi, rdx, rbp and r8-r10 not. Its index walks
 * through five pages, so the fast TLB misses now and then and the
 * instruction's slow path (the interpreter) runs in the middle of the
 * loop. Covers op [mem], reg and op [mem], imm on the host address
 * (ADD, SUB, ADC reading CF, TEST), CMP and SBB reg, [mem], MOVZX, MOVSX
 * and MOVSXD from memory and registers (in place and not), a 16-bit
 * store, SETcc into AH, and a JS right after an ADD on memory (on the
 * guest's flags: where the ADD's slow path comes back, the host's are
 * those of the C code, SF clear; the counter, from -5000 up, is alone in
 * its page, so the first ADD, in translated code, misses the TLB). */
static void test_long64_memory_loop(void **state)
{
	struct rig *a = rig_new(true, false), *b = rig_new(true, true);
	static const uint8_t code[] = {
		0xbe, 0x00, 0x00, 0x02, 0x00,             /* mov esi, DATA */
		0xbf, 0x00, 0x00, 0x03, 0x00,             /* mov edi, 0x30000 */
		0x31, 0xc9,                               /* xor ecx, ecx */
		0xb8, 0xef, 0xcd, 0xab, 0x89,             /* mov eax, 0x89abcdef */
		0xbb, 0xdf, 0x9b, 0x57, 0x13,             /* mov ebx, 0x13579bdf */
		0xba, 0xe0, 0xac, 0x68, 0x24,             /* mov edx, 0x2468ace0 */
		0x01, 0x44, 0x8e, 0x04,                   /* L: add [rsi+rcx*4+4], eax */
		0x83, 0x6c, 0x8e, 0x08, 0x77,             /* sub dword [rsi+rcx*4+8], 0x77 */
		0x10, 0x84, 0x0f, 0x00, 0x01, 0x00, 0x00, /* adc [rdi+rcx+0x100], al */
		0x85, 0x1c, 0x8e,                         /* test [rsi+rcx*4], ebx */
		0x0f, 0x95, 0xc4,                         /* setnz ah */
		0x3b, 0x54, 0x8e, 0xfc,                   /* cmp edx, [rsi+rcx*4-4] */
		0x1b, 0x9c, 0xcf, 0xf8, 0x7f, 0x00, 0x00, /* sbb ebx, [rdi+rcx*8+0x7ff8] */
		0x0f, 0xb6, 0x44, 0x8e, 0x01,             /* movzx eax, byte [rsi+rcx*4+1] */
		0x0f, 0xbf, 0x14, 0x4e,                   /* movsx edx, word [rsi+rcx*2] */
		0x4c, 0x63, 0x44, 0x4e, 0x02,             /* movsxd r8, [rsi+rcx*2+2] */
		0x0f, 0xb6, 0xef,                         /* movzx ebp, bh */
		0x4c, 0x0f, 0xbe, 0xc8,                   /* movsx r9, al */
		0x4c, 0x63, 0xd3,                         /* movsxd r10, ebx */
		0x4d, 0x01, 0xc8,                         /* add r8, r9 */
		0x4d, 0x29, 0xc2,                         /* sub r10, r8 */
		/* mov [rdi+rcx*8+0x8000], r10w */
		0x66, 0x44, 0x89, 0x94, 0xcf, 0x00, 0x80, 0x00, 0x00,
		0x01, 0xeb,                               /* add ebx, ebp */
		0x01, 0xd0,                               /* add eax, edx */
		0x48, 0x63, 0xdb,                         /* movsxd rbx, ebx: in place */
		0x0f, 0xbf, 0xc0,                         /* movsx eax, ax: in place */
		0xff, 0xc1,                               /* inc ecx */
		0x83, 0x87, 0x00, 0xf0, 0xff, 0xff, 0x01, /* add dword [rdi-0x1000], 1 (counter) */
		0x78, 0xa3,                               /* js L */
		0xeb, 0x00,                               /* jmp +0: the block ends here */
		0xf4,                                     /* hlt */
	};

	(void)state;
	put_code(a, code, sizeof(code));
	put_code(b, code, sizeof(code));
	put64(a, 0x2f000, (uint32_t)-5000);
	put64(b, 0x2f000, (uint32_t)-5000);
	assert_true(run_sliced(a, b, 2503) > 30);
	assert_int_equal(b->c->gpr[R_CX], 5000);
	assert_int_equal(b->c->icount, 6 + 23 * 5000 + 2);
	rig_free(a);
	rig_free(b);
}

/* 32-bit code: a memory loop as above (16 instructions, one block, 5000
 * times, in slices; ecx, eax, esi and edx cached, ebx, edi and ebp not),
 * with DH of a cached register in place, and the counter in ebp: DEC on
 * an uncached register, then JNZ on the guest's flags. The segments are
 * flat, so the loop takes the fast TLB. */
static void test_prot32_memory_loop(void **state)
{
	struct rig *a = rig_new(false, false), *b = rig_new(false, true);
	static const uint8_t code[] = {
		0xbe, 0x00, 0x00, 0x02, 0x00,             /* mov esi, DATA */
		0xbf, 0x00, 0x00, 0x03, 0x00,             /* mov edi, 0x30000 */
		0x31, 0xc9,                               /* xor ecx, ecx */
		0xbd, 0x88, 0x13, 0x00, 0x00,             /* mov ebp, 5000 */
		0xb8, 0xef, 0xcd, 0xab, 0x89,             /* mov eax, 0x89abcdef */
		0xbb, 0xdf, 0x9b, 0x57, 0x13,             /* mov ebx, 0x13579bdf */
		0xba, 0xe0, 0xac, 0x68, 0x24,             /* mov edx, 0x2468ace0 */
		0x01, 0x44, 0x8e, 0x04,                   /* L: add [esi+ecx*4+4], eax */
		0x83, 0x6c, 0x8e, 0x08, 0x77,             /* sub dword [esi+ecx*4+8], 0x77 */
		0x10, 0x84, 0x0f, 0x00, 0x01, 0x00, 0x00, /* adc [edi+ecx+0x100], al */
		0x85, 0x1c, 0x8e,                         /* test [esi+ecx*4], ebx */
		0x0f, 0x95, 0xc4,                         /* setnz ah */
		0x3b, 0x54, 0x8e, 0xfc,                   /* cmp edx, [esi+ecx*4-4] */
		0x1b, 0x9c, 0xcf, 0xf8, 0x7f, 0x00, 0x00, /* sbb ebx, [edi+ecx*8+0x7ff8] */
		0x0f, 0xb6, 0x44, 0x8e, 0x01,             /* movzx eax, byte [esi+ecx*4+1] */
		0x0f, 0xbf, 0x14, 0x4e,                   /* movsx edx, word [esi+ecx*2] */
		0x66, 0x89, 0x94, 0xcf, 0x00, 0x80, 0x00, 0x00, /* mov [edi+ecx*8+0x8000], dx */
		0x00, 0xc6,                               /* add dh, al: DH of a cached register */
		0x0f, 0xbe, 0xc3,                         /* movsx eax, bl */
		0x01, 0xd0,                               /* add eax, edx */
		0x41,                                     /* inc ecx */
		0x4d,                                     /* dec ebp */
		0x75, 0xc3,                               /* jnz L */
		0xeb, 0x00,                               /* jmp +0: the block ends here */
		0xf4,                                     /* hlt */
	};

	(void)state;
	put_code(a, code, sizeof(code));
	put_code(b, code, sizeof(code));
	assert_true(run_sliced(a, b, 2503) > 20);
	assert_int_equal(b->c->gpr[R_CX], 5000);
	assert_int_equal(b->c->icount, 7 + 16 * 5000 + 2);
	rig_free(a);
	rig_free(b);
}

#define DS_BASE 0x40 /* data, base 0x1000, limit 4 GiB */
#define DS_RO 0x48   /* data, read-only, flat */

/* 32-bit code: the fast TLB view follows DS. MOV DS ends a block, so no
 * later instruction of the same block can see the new DS; what can go
 * wrong is a translation run again with another DS. Block T (mov eax,
 * [esi]; add [esi+4], eax; mov ds, dx) is translated and run with DS flat
 * (both accesses through the fast TLB, which holds the page), then runs
 * again after its own MOV DS, the view chosen at its entry from the new
 * DS, as interpreted:
 *  - DS_SMALL (limit 0xfff): the read at DATA raises #GP(0);
 *  - DS_BASE (base 0x1000): both accesses are at DATA + 0x1000;
 *  - DS_RO (read-only): the read succeeds, the ADD's store raises #GP(0).
 * The other way, a block run first with DS_SMALL and then with DS flat
 * reads past 0xfff the second time, and must succeed. */
static void test_prot32_view_follows_ds(void **state)
{
	static const uint8_t from_flat[] = {
		0x66, 0xba, 0x00, 0x00,       /* mov dx, sel (set below) */
		0xbe, 0x00, 0x00, 0x02, 0x00, /* mov esi, DATA */
		0xb9, 0x02, 0x00, 0x00, 0x00, /* mov ecx, 2 */
		0x8b, 0x06,                   /* mov eax, [esi]: the TLB holds the page */
		0xeb, 0x00,                   /* jmp T: T starts a block */
		0x8b, 0x06,                   /* T: mov eax, [esi] */
		0x01, 0x46, 0x04,             /* add [esi+4], eax */
		0x8e, 0xda,                   /* mov ds, dx */
		0x49,                         /* dec ecx */
		0x75, 0xf6,                   /* jnz T */
		0xf4,
	};
	static const uint8_t to_flat[] = {
		0x66, 0xba, 0x10, 0x00,       /* mov dx, DS32 */
		0xbe, 0x00, 0x08, 0x00, 0x00, /* mov esi, 0x800 */
		0xb9, 0x02, 0x00, 0x00, 0x00, /* mov ecx, 2 */
		0xeb, 0x00,                   /* jmp T */
		0x8b, 0x06,                   /* T: mov eax, [esi] */
		0x01, 0xc3,                   /* add ebx, eax */
		0x8e, 0xda,                   /* mov ds, dx */
		0xbe, 0x00, 0x00, 0x02, 0x00, /* mov esi, DATA */
		0x49,                         /* dec ecx */
		0x75, 0xf2,                   /* jnz T */
		0xf4,
	};
	const struct {
		uint16_t sel;
		uint64_t fault_eip; /* of the #GP, 0 if none */
	} t[3] = {
		{DS_SMALL, CODE + 18},
		{DS_BASE, 0},
		{DS_RO, CODE + 20},
	};

	(void)state;
	for (int k = 0; k < 4; k++) {
		struct rig *rr[2] = {rig_new(false, false), rig_new(false, true)};

		for (int i = 0; i < 2; i++) {
			struct rig *r = rr[i];

			put64(r, GDT + DS_BASE, 0x00cf93001000ffffULL);
			put64(r, GDT + DS_RO, 0x00cf91000000ffffULL);
			r->c->gdtr.limit = 0x4f;
			put64(r, 0x800, 0x11);
			put64(r, DATA, 0x22);
			put64(r, DATA + 0x1000, 0x300);
			if (k < 3) {
				put_code(r, from_flat, sizeof(from_flat));
				r->ram[CODE + 2] = (uint8_t)t[k].sel;
			} else {
				put_code(r, to_flat, sizeof(to_flat));
				seg_from_gdt(r, S_DS, DS_SMALL);
			}
		}
		run_both(rr[0], rr[1], 1);
		struct emu_cpu *c = rr[1]->c;
		uint8_t *ram = rr[1]->ram;
		if (k == 3) {
			assert_int_equal(c->rip, CODE + sizeof(to_flat));
			assert_int_equal(c->gpr[R_BX], 0x33);
			assert_int_equal(c->seg[S_DS].sel, DS32);
		} else if (t[k].fault_eip) {
			uint32_t err, eip;

			assert_int_equal(c->rip, HANDLER + 1);
			assert_int_equal(c->seg[S_DS].sel, t[k].sel);
			memcpy(&err, ram + c->gpr[R_SP], 4);
			memcpy(&eip, ram + c->gpr[R_SP] + 4, 4);
			assert_int_equal(err, 0);
			assert_int_equal(eip, t[k].fault_eip);
			assert_int_equal(ram[DATA + 4], 0x22); /* the first time only */
		} else {
			uint32_t v;

			assert_int_equal(c->rip, CODE + sizeof(from_flat));
			assert_int_equal(ram[DATA + 4], 0x22);
			memcpy(&v, ram + DATA + 0x1004, 4);
			assert_int_equal(v, 0x300); /* the second time */
		}
		rig_free(rr[0]);
		rig_free(rr[1]);
	}
}

#define UCS64 0x40 /* 64-bit code, DPL 3 */
#define UDS64 0x48 /* data, DPL 3 */
#define USER_DATA 0x20000  /* in the first 2 MiB page, user-accessible */
#define SUPER_DATA 0x200100 /* in the second, supervisor-only */

/* Long mode with the first 2 MiB page user-accessible (U set on every
 * level) and the second supervisor-only, descriptors for CPL 3 and a
 * stack for events from CPL 3 in the TSS. */
static void user_pages(struct rig *r)
{
	put64(r, PML4, 0x5000 | 7);
	put64(r, 0x5000, 0x6000 | 7);
	put64(r, 0x6000, 0x000000 | 0x87);
	put64(r, GDT + UCS64, 0x00affb000000ffffULL);
	put64(r, GDT + UDS64, 0x00cff3000000ffffULL);
	r->c->gdtr.limit = 0x4f;
	put64(r, TSS + 4, 0x88000); /* RSP0 */
}

/* Puts the CPU at CPL 3 (user) or 0 by hand, as an IRET or an event
 * would: CS, SS and the data segments, then the mode. */
static void set_cpl(struct rig *r, bool user)
{
	seg_from_gdt(r, S_CS, user ? UCS64 | 3 : CS64);
	for (int s = S_ES; s < S_COUNT; s++)
		if (s != S_CS)
			seg_from_gdt(r, s, user ? UDS64 | 3 : DS64);
	emu_update_mode(r->c);
	assert_int_equal(r->c->cpl, user ? 3 : 0);
	assert_int_equal(r->c->mode, MODE_LONG64);
}

/* 64-bit code: the fast TLB view follows the privilege. A block reading
 * a user page, then a supervisor-only one, runs at CPL 0 (both reads
 * succeed: the TLB and the supervisor fast TLB then hold both pages), then
 * the same translation runs at CPL 3: the user read must succeed, the
 * supervisor one raise #PF with P and U in the error code, as
 * interpreted (the user view must not allow the page the supervisor view
 * holds). Twice, back to CPL 0 in between. */
static void test_long64_user_view(void **state)
{
	struct rig *a = rig_new(true, false), *b = rig_new(true, true);
	static const uint8_t code[] = {
		0x8b, 0x06, /* mov eax, [rsi]: user page */
		0x03, 0x03, /* add eax, [rbx]: supervisor page, #PF at CPL 3 */
		0xf4,       /* hlt */
	};
	struct rig *rr[2] = {a, b};

	(void)state;
	for (int i = 0; i < 2; i++) {
		user_pages(rr[i]);
		put_code(rr[i], code, sizeof(code));
		put64(rr[i], USER_DATA, 0x1234);
		put64(rr[i], SUPER_DATA, 0x50000);
		rr[i]->c->gpr[R_SI] = USER_DATA;
		rr[i]->c->gpr[R_BX] = SUPER_DATA;
	}
	for (int t = 0; t < 2; t++) {
		for (int i = 0; i < 2; i++)
			set_cpl(rr[i], false);
		run_both(a, b, 1);
		assert_int_equal(b->c->rip, CODE + sizeof(code));
		assert_int_equal(b->c->gpr[R_AX], 0x51234);

		for (int i = 0; i < 2; i++) {
			set_cpl(rr[i], true);
			rr[i]->c->gpr[R_AX] = 0;
			rr[i]->c->gpr[R_SP] = 0x70000;
		}
		run_both(a, b, 1);
		struct emu_cpu *c = b->c;
		uint64_t frame[6];
		assert_int_equal(c->rip, HANDLER + 1);
		assert_int_equal(c->cpl, 0);
		assert_int_equal(c->cr2, SUPER_DATA);
		assert_int_equal(c->gpr[R_AX], 0x1234); /* the user read */
		memcpy(frame, b->ram + c->gpr[R_SP], sizeof(frame));
		assert_int_equal(frame[0], 5); /* P, read, U */
		assert_int_equal(frame[1], CODE + 2);
		assert_int_equal(frame[2], UCS64 | 3);
		assert_int_equal(frame[4], 0x70000);
	}
	rig_free(a);
	rig_free(b);
}

#define PT 0x7000 /* 4 KiB pages for 0x200000-0x3fffff */

/* Long mode with the second 2 MiB mapped by 4 KiB pages (page table at
 * PT): present, writable, supervisor, accessed and dirty clear. */
static void small_pages(struct rig *r)
{
	put64(r, 0x6008, PT | 3);
	for (uint64_t i = 0; i < 512; i++)
		put64(r, PT + i * 8, (0x200000 + i * 4096) | 3);
}

/* 64-bit code: the dirty bit. A page whose PTE has D clear is read (the
 * TLB holds it clean, so the fast TLB allows reads only), then a loop
 * stores into it 100 times: the first store goes to the interpreter,
 * which sets D in the PTE (compared with all of memory) and refills the
 * TLB; the later ones then take the fast path (the fast TLB allows the
 * write). A page only read keeps D clear. */
static void test_long64_dirty_bit(void **state)
{
	struct rig *a = rig_new(true, false), *b = rig_new(true, true);
	static const uint8_t code[] = {
		0xbe, 0x00, 0x00, 0x20, 0x00,       /* mov esi, 0x200000 */
		0x8b, 0x46, 0x08,                   /* mov eax, [rsi+8] */
		0x8b, 0x96, 0x00, 0x10, 0x00, 0x00, /* mov edx, [rsi+0x1000]: read only */
		0xb9, 0x64, 0x00, 0x00, 0x00,       /* mov ecx, 100 */
		0x01, 0x0c, 0xce,                   /* L: add [rsi+rcx*8], ecx */
		0xff, 0xc9,                         /* dec ecx */
		0x75, 0xf9,                         /* jnz L */
		0xf4,                               /* hlt */
	};
	uint64_t pte;

	(void)state;
	small_pages(a);
	small_pages(b);
	put_code(a, code, sizeof(code));
	put_code(b, code, sizeof(code));
	run_both(a, b, 1);
	assert_int_equal(b->c->rip, CODE + sizeof(code));
	memcpy(&pte, b->ram + PT, 8);
	assert_int_equal(pte & 0x60, 0x60); /* accessed, dirty */
	memcpy(&pte, b->ram + PT + 8, 8);
	assert_int_equal(pte & 0x60, 0x20); /* accessed */
	/* The fast TLB allows the stores now. */
	assert_int_equal(b->c->ftlb[0][0x200].write, 0x200fff);
	uint32_t v;
	memcpy(&v, b->ram + 0x200000 + 100 * 8, 4);
	assert_int_equal(v, 100);
	rig_free(a);
	rig_free(b);
}

/* 64-bit code: CR0.WP. A read-only page (R/W clear, dirty) is read, then
 * stored into in a loop at CPL 0. With WP clear the stores succeed (the
 * fast TLB never allows them: the interpreter does each), with WP set
 * the first raises #PF (P, write), as interpreted, with the TLB holding
 * the page from the run before; and with WP clear again they succeed. */
static void test_long64_cr0_wp(void **state)
{
	struct rig *a = rig_new(true, false), *b = rig_new(true, true);
	static const uint8_t code[] = {
		0xbe, 0x00, 0x20, 0x20, 0x00, /* mov esi, 0x202000 */
		0x8b, 0x06,                   /* mov eax, [rsi] */
		0xb9, 0x0a, 0x00, 0x00, 0x00, /* mov ecx, 10 */
		0x01, 0x04, 0x8e,             /* L: add [rsi+rcx*4], eax */
		0xff, 0xc9,                   /* dec ecx */
		0x75, 0xf9,                   /* jnz L */
		0xf4,                         /* hlt */
	};
	struct rig *rr[2] = {a, b};

	(void)state;
	for (int i = 0; i < 2; i++) {
		small_pages(rr[i]);
		put64(rr[i], PT + 2 * 8, 0x202000 | 0x61); /* present, accessed, dirty */
		put64(rr[i], 0x202000, 7);
		put_code(rr[i], code, sizeof(code));
	}
	for (int t = 0; t < 3; t++) {
		bool wp = t == 1;
		uint64_t before, after;

		for (int i = 0; i < 2; i++) {
			if (wp)
				rr[i]->c->cr0 |= X86_CR0_WP;
			else
				rr[i]->c->cr0 &= ~(uint64_t)X86_CR0_WP;
			rr[i]->c->gpr[R_SP] = 0x80000;
		}
		memcpy(&before, b->ram + 0x202000 + 40, 8);
		run_both(a, b, 1);
		struct emu_cpu *c = b->c;
		memcpy(&after, b->ram + 0x202000 + 40, 8);
		if (wp) {
			uint64_t frame[2];

			assert_int_equal(c->rip, HANDLER + 1);
			assert_int_equal(c->cr2, 0x202000 + 40);
			memcpy(frame, b->ram + c->gpr[R_SP], sizeof(frame));
			assert_int_equal(frame[0], 3); /* P, write */
			assert_int_equal(frame[1], CODE + 12);
			assert_int_equal(after, before);
		} else {
			assert_int_equal(c->rip, CODE + sizeof(code));
			assert_int_equal(after, before + 7);
		}
	}
	rig_free(a);
	rig_free(b);
}

/* 32-bit code: self-modifying code within one block. The loop's first
 * instruction adds 1 to the immediate of its second (mov eax, imm32),
 * in the same block and page: the translated store must leave the block
 * (its fast path refuses stores into the running block's page, the slow
 * path ends the block) so that the changed MOV is decoded again, as the
 * interpreter does. */
static void test_prot32_self_modifying_block(void **state)
{
	struct rig *a = rig_new(false, false), *b = rig_new(false, true);
	static const uint8_t code[] = {
		0xb9, 0x0a, 0x00, 0x00, 0x00,             /* mov ecx, 10 */
		0x31, 0xd2,                               /* xor edx, edx */
		0x80, 0x05, 0x0f, 0x00, 0x01, 0x00, 0x01, /* L: add byte [CODE+15], 1 */
		0xb8, 0x00, 0x01, 0x00, 0x00,             /* CODE+14: mov eax, 0x100 */
		0x01, 0xc2,                               /* add edx, eax */
		0x49,                                     /* dec ecx */
		0x75, 0xef,                               /* jnz L */
		0xf4,                                     /* hlt */
	};

	(void)state;
	put_code(a, code, sizeof(code));
	put_code(b, code, sizeof(code));
	run_both(a, b, 2);
	/* The second run: 0x10b + ... + 0x114 (the first added 0x101 + ... + 0x10a). */
	assert_int_equal(b->c->gpr[R_DX], 10 * 0x10b + 10 * 11 / 2 - 10);
	assert_int_equal(b->ram[CODE + 15], 0x14);
	rig_free(a);
	rig_free(b);
}

/* The translator's code is never writable and executable at once (W^X):
 * after blocks were translated and run, no mapping of this process is
 * both. */
static void test_code_never_writable_and_executable(void **state)
{
	struct rig *a = rig_new(false, false), *b = rig_new(false, true);
	static const uint8_t code[] = {
		0xb9, 0x10, 0x00, 0x00, 0x00, /* mov ecx, 16 */
		0x01, 0x0d, 0x00, 0x00, 0x02, 0x00, /* L: add [DATA], ecx */
		0xe2, 0xf8,                   /* loop L */
		0xf4,                         /* hlt */
	};
	char line[512];
	unsigned wx = 0, x = 0;

	(void)state;
	put_code(a, code, sizeof(code));
	put_code(b, code, sizeof(code));
	run_both(a, b, 3);
	FILE *maps = fopen("/proc/self/maps", "r");

	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps)) {
		char perms[8] = "";

		if (sscanf(line, "%*s %7s", perms) != 1)
			continue;
		x += perms[2] == 'x';
		wx += perms[1] == 'w' && perms[2] == 'x';
	}
	fclose(maps);
	assert_int_equal(wx, 0);
	assert_true(x > 0);
	rig_free(a);
	rig_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prot32_flat_memory),
		cmocka_unit_test(test_prot32_segment_limit),
		cmocka_unit_test(test_long64_stack_and_calls),
		cmocka_unit_test(test_long64_stack_faults),
		cmocka_unit_test(test_long64_register_loop),
		cmocka_unit_test(test_prot32_register_loop),
		cmocka_unit_test(test_long64_memory_loop),
		cmocka_unit_test(test_prot32_memory_loop),
		cmocka_unit_test(test_prot32_view_follows_ds),
		cmocka_unit_test(test_long64_user_view),
		cmocka_unit_test(test_long64_dirty_bit),
		cmocka_unit_test(test_long64_cr0_wp),
		cmocka_unit_test(test_prot32_self_modifying_block),
		cmocka_unit_test(test_code_never_writable_and_executable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
