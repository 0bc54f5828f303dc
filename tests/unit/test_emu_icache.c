/* Unit tests for the software CPU's decoded-block cache (emu_icache.c) and
 * the batched run loop (emu_run): cached blocks give the same results as
 * decoding every instruction, code modified by the CPU itself (plain,
 * string and locked stores into the very next instruction) or by the host
 * (gm_write, as a DMA would) runs as modified, instructions crossing a page
 * take the uncached path, a fault inside a block restores the state at the
 * faulting instruction, and emu_run honours its budget and stop flag. The
 * guests run in real mode (CS = 0), code at 0x1000. Every test runs twice:
 * with blocks interpreted, then with the block translator (emu_jit.c)
 * translating each block at its first run, which must keep all of the
 * above. */
#include <stdatomic.h>
#include <stdlib.h>

#include "unit.h"

#include "../../src/accel/emu/emu_cpu.h"
#include "../../src/accel/emu/emu_icache.h"
#include "vslice/guest_mem.h"

#define RAM (1u << 20)
#define CODE 0x1000u

/* Set by the second group's setup: blocks are translated at first use. */
static bool use_jit;

struct rig {
	struct emu_cpu *c;
	uint8_t *ram;
	struct guest_mem gm;
};

static struct rig *rig_new(bool cached)
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
	if (cached) {
		r->c->icache = emu_icache_new();
		assert_non_null(r->c->icache);
		if (use_jit) {
			r->c->icache->jit = emu_jit_new(EMU_JIT_BUFFER_BYTES);
#if defined(__x86_64__)
			assert_non_null(r->c->icache->jit); /* the translator exists here */
#endif
			r->c->icache->jit_after = 0;
		}
	}
	memset(r->c->gpr, 0, sizeof(r->c->gpr)); /* reset leaves a signature in EDX */
	r->c->seg[S_CS].sel = 0;
	r->c->seg[S_CS].base = 0;
	r->c->rip = CODE;
	r->c->gpr[R_SP] = 0x8000;
	emu_update_mode(r->c);
	/* IVT vector 0 (#DE) -> 0000:0x3000, where a HLT waits. */
	r->ram[0] = 0x00;
	r->ram[1] = 0x30;
	r->ram[0x3000] = 0xf4;
	return r;
}

static void rig_free(struct rig *r)
{
	emu_icache_free(r->c->icache);
	free(r->ram);
	free(r->c);
	free(r);
}

static void put(struct rig *r, uint32_t at, const uint8_t *code, size_t n)
{
	memcpy(r->ram + at, code, n);
}
#define PUT(r, at, ...)                                                                     \
	do {                                                                                \
		static const uint8_t c_[] = {__VA_ARGS__};                                  \
		put(r, at, c_, sizeof(c_));                                                 \
	} while (0)

/* Runs until HLT (at most max steps); asserts it halted. */
static void run_to_hlt(struct rig *r, unsigned max)
{
	assert_int_equal(emu_run(r->c, max, NULL), 1);
	assert_true(r->c->halted);
}

/* A loop with memory operands and a call, run with and without the cache:
 * identical registers, memory and instruction count; the cached run hits. */
static void test_same_as_uncached(void **state)
{
	struct rig *rig[2] = {rig_new(false), rig_new(true)};

	for (int i = 0; i < 2; i++) {
		struct rig *r = rig[i];
		/* mov cx, 50; L: add [0x2000], cx; rol word [0x2000], 3;
		 * call F; loop L; hlt; F: inc si; xor di, si; ret */
		PUT(r, CODE, 0xb9, 0x32, 0x00,             /* 1000 mov cx, 50 */
		    0x01, 0x0e, 0x00, 0x20,                /* 1003 add [0x2000], cx */
		    0xc1, 0x06, 0x00, 0x20, 0x03,          /* 1007 rol word [0x2000], 3 */
		    0xe8, 0x03, 0x00,                      /* 100c call 0x1012 */
		    0xe2, 0xf2,                            /* 100f loop 0x1003 */
		    0xf4,                                  /* 1011 hlt */
		    0x46,                                  /* 1012 inc si */
		    0x31, 0xf7,                            /* 1013 xor di, si */
		    0xc3);                                 /* 1015 ret */
		run_to_hlt(r, 10000);
	}
	struct emu_cpu *u = rig[0]->c, *c = rig[1]->c;
	assert_memory_equal(u->gpr, c->gpr, sizeof(u->gpr));
	assert_int_equal(u->rflags, c->rflags);
	assert_int_equal(u->rip, c->rip);
	assert_int_equal(u->icount, c->icount);
	assert_int_equal(c->icount, 1 + 50 * 7 + 1); /* mov, 50 x 7, hlt */
	assert_int_equal(c->rip, 0x1012);
	assert_int_equal(c->gpr[R_SI] & 0xffff, 50);
	assert_memory_equal(rig[0]->ram + 0x2000, rig[1]->ram + 0x2000, 2);
	/* Blocks: [mov..call] [inc xor ret] [loop hlt] (LOOP does not end a
	 * block) [add..call]; then 48 more runs of [add..call] and 49 of
	 * [inc xor ret] and [loop hlt]. */
	assert_int_equal(c->icache->stats.builds, 4);
	assert_int_equal(c->icache->stats.hits, 48 + 49 + 49);
	assert_int_equal(c->icache->stats.stale, 0);
	if (c->icache->jit) { /* the blocks ran as host code */
		const struct emu_jit_stats *js = emu_jit_stats(c->icache->jit);

		assert_int_equal(js->blocks, 4);
		/* mov cx, inc si, xor di, si (16-bit code: instructions with
		 * a memory operand call the interpreter) */
		assert_true(js->native >= 3);
	}
	rig_free(rig[0]);
	rig_free(rig[1]);
}

/* A store into the very next instruction, which the cache already holds
 * decoded in the same block: the new instruction runs. */
static void test_self_modifying_next(void **state)
{
	struct rig *r = rig_new(true);
	struct emu_cpu *c = r->c;

	/* mov byte [0x1005], 0x42 (INC DX); inc ax (0x40, replaced); hlt */
	PUT(r, CODE, 0xc6, 0x06, 0x05, 0x10, 0x42, 0x40, 0xf4);
	run_to_hlt(r, 100);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 0);
	assert_int_equal(c->gpr[R_DX] & 0xffff, 1);
	assert_int_equal(c->rip, 0x1007);
	assert_int_equal(c->icount, 3);
	assert_int_equal(r->ram[0x1005], 0x42);
	rig_free(r);
}

/* The same with a string store (STOSB) and a locked read-modify-write. */
static void test_self_modifying_string_and_lock(void **state)
{
	struct rig *r = rig_new(true);
	struct emu_cpu *c = r->c;

	/* mov di, 0x1009; mov al, 0x43 (INC BX); stosb; inc ax (replaced);
	 * lock inc byte [0x100f] (0x40 INC AX -> 0x41 INC CX); inc ax; hlt */
	PUT(r, CODE, 0xbf, 0x09, 0x10,       /* 1000 mov di, 0x1009 */
	    0xb0, 0x43,                      /* 1003 mov al, 0x43 */
	    0x90,                            /* 1005 nop */
	    0x90,                            /* 1006 nop */
	    0x90,                            /* 1007 nop */
	    0xaa,                            /* 1008 stosb */
	    0x40,                            /* 1009 inc ax -> inc bx */
	    0xf0, 0xfe, 0x06, 0x0f, 0x10,    /* 100a lock inc byte [0x100f] */
	    0x40,                            /* 100f inc ax -> inc cx */
	    0xf4);                           /* 1010 hlt */
	/* All of it is one block when first decoded; each store ends it. */
	run_to_hlt(r, 100);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 0x43);
	assert_int_equal(c->gpr[R_BX] & 0xffff, 1);
	assert_int_equal(c->gpr[R_CX] & 0xffff, 1);
	assert_int_equal(r->ram[0x1009], 0x43);
	assert_int_equal(r->ram[0x100f], 0x41);
	assert_int_equal(c->icount, 10);
	rig_free(r);
}

/* Host writes (a device's DMA, a loader) into a page whose blocks are
 * cached: the next run decodes the new bytes. */
static void test_host_write(void **state)
{
	struct rig *r = rig_new(true);
	struct emu_cpu *c = r->c;
	static const uint8_t inc_dx = 0x42;

	PUT(r, CODE, 0x40, 0x40, 0xf4); /* inc ax; inc ax; hlt */
	run_to_hlt(r, 100);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 2);
	assert_int_equal(c->icache->stats.builds, 1);

	/* Same code again: served from the cache. */
	c->halted = false;
	c->rip = CODE;
	run_to_hlt(r, 100);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 4);
	assert_int_equal(c->icache->stats.builds, 1);
	assert_int_equal(c->icache->stats.hits, 1);

	assert_int_equal(gm_write(&r->gm, CODE + 1, &inc_dx, 1), 0);
	c->halted = false;
	c->rip = CODE;
	run_to_hlt(r, 100);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 5);
	assert_int_equal(c->gpr[R_DX] & 0xffff, 1);
	assert_int_equal(c->icache->stats.stale, 1);
	assert_int_equal(c->icache->stats.builds, 2);
	rig_free(r);
}

/* An instruction that crosses into the next page runs uncached. */
static void test_page_crossing(void **state)
{
	struct rig *r = rig_new(true);
	struct emu_cpu *c = r->c;

	c->rip = 0x1ffe;
	PUT(r, 0x1ffe, 0xb8, 0x34, 0x12, 0xf4); /* mov ax, 0x1234; hlt */
	run_to_hlt(r, 100);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 0x1234);
	assert_int_equal(c->rip, 0x2002);
	assert_int_equal(c->icache->stats.uncached, 1);
	rig_free(r);
}

/* A fault in the middle of a block: the instructions before it are done,
 * the faulting one is not, and the frame holds its address. */
static void test_fault_in_block(void **state)
{
	struct rig *r = rig_new(true);
	struct emu_cpu *c = r->c;

	/* inc ax; inc ax; xor bl, bl; div bl (#DE); inc ax */
	PUT(r, CODE, 0x40, 0x40, 0x30, 0xdb, 0xf6, 0xf3, 0x40);
	c->rflags = 2;
	run_to_hlt(r, 100);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 2);
	assert_int_equal(c->rip, 0x3001); /* HLT of the #DE handler done */
	assert_int_equal(c->gpr[R_SP] & 0xffff, 0x8000 - 6);
	assert_int_equal(r->ram[0x7ffa] | r->ram[0x7ffb] << 8, 0x1004); /* IP of DIV */
	assert_int_equal(r->ram[0x7ffc] | r->ram[0x7ffd] << 8, 0);      /* CS */
	assert_int_equal(c->icount, 4); /* inc, inc, xor, hlt */
	rig_free(r);
}

/* emu_run's budget counts steps exactly; with its stop flag set, it
 * returns at the end of the block, or right after an MMIO access. */
static void test_budget_and_stop(void **state)
{
	struct rig *r = rig_new(true);
	struct emu_cpu *c = r->c;
	_Atomic bool stop = false;

	memset(r->ram + CODE, 0x40, 40); /* inc ax ... */
	/* 101c: mov es:[0x10], al: ES base 0xffff0, so beyond RAM (MMIO) */
	PUT(r, CODE + 28, 0x26, 0xa2, 0x10, 0x00);
	c->seg[S_ES].sel = 0xffff;
	c->seg[S_ES].base = 0xffff0;
	assert_int_equal(emu_run(c, 5, NULL), 0);
	assert_int_equal(c->icount, 5);
	assert_int_equal(c->rip, CODE + 5);
	assert_int_equal(emu_run(c, 20, &stop), 0); /* across blocks */
	assert_int_equal(c->icount, 25);
	atomic_store(&stop, true);
	assert_int_equal(emu_run(c, 100, &stop), 0); /* 3 x inc, the MMIO store */
	assert_int_equal(c->icount, 29);
	assert_int_equal(c->rip, CODE + 32);
	assert_int_equal(c->gpr[R_AX] & 0xffff, 28);
	/* The rest of a block: the 8 INCs left, then ADD [BX+SI], AL
	 * (00 00) up to the longest block. */
	assert_int_equal(emu_run(c, 100, &stop), 0);
	assert_int_equal(c->icount, 29 + EMU_BLOCK_MAX_INSN);
	/* emu_step is one step. */
	assert_int_equal(emu_step(c), 0);
	assert_int_equal(c->icount, 30 + EMU_BLOCK_MAX_INSN);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_uncached),
		cmocka_unit_test(test_self_modifying_next),
		cmocka_unit_test(test_self_modifying_string_and_lock),
		cmocka_unit_test(test_host_write),
		cmocka_unit_test(test_page_crossing),
		cmocka_unit_test(test_fault_in_block),
		cmocka_unit_test(test_budget_and_stop),
	};

	int failed = cmocka_run_group_tests_name("interpreted blocks", tests, NULL, NULL);

	use_jit = true;
	failed += cmocka_run_group_tests_name("translated blocks", tests, NULL, NULL);
	return failed;
}
