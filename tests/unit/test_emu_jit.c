/* Unit tests for the software CPU's block translator (emu_jit.c) in 32-
 * and 64-bit code: every program runs twice from the same state, once
 * with decoded blocks interpreted and once translated at first use, and
 * must end in the same registers, flags, memory and exception frames.
 * Covered here because the differential tester cannot: the inline TLB
 * path of 32-bit code with flat and non-flat segments, 64-bit PUSH, POP,
 * CALL and RET (with a fault at a non-canonical return address and a push
 * into an unmapped page), links between blocks, and the jump cache. */
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

	memcpy(&d.lo, r->ram + GDT + sel, 8);
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
		assert_memory_equal(a->c->gpr, b->c->gpr, sizeof(a->c->gpr));
		assert_int_equal(a->c->rip, b->c->rip);
		assert_int_equal(a->c->rflags, b->c->rflags);
		assert_int_equal(a->c->cr2, b->c->cr2);
		assert_int_equal(a->c->icount, b->c->icount);
		assert_memory_equal(a->ram, b->ram, MEM_SIZE);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prot32_flat_memory),
		cmocka_unit_test(test_prot32_segment_limit),
		cmocka_unit_test(test_long64_stack_and_calls),
		cmocka_unit_test(test_long64_stack_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
