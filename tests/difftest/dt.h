/* Differential tester for the software CPU: the shared definitions. A
 * case is one instruction (or a short straight-line sequence: x87 cases,
 * block-mode sequences) plus the register, flag, XMM and scratch-memory
 * state it starts from; it runs natively on the host (dt_native.c) and in
 * the interpreter (dt_emu.c), and the results are compared. */
#ifndef VSLICE_DIFFTEST_DT_H
#define VSLICE_DIFFTEST_DT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fixed addresses, identical in the native child and the interpreter:
 * the code page, then the scratch memory (data and a small stack), then
 * a read-only page (constant contents, dt_fill_ro: block-mode sequences
 * write it to fault after a read), and the native harness's state block. */
#define DT_CODE_ADDR 0x10000000ULL
#define DT_SCRATCH_ADDR 0x10001000ULL
#define DT_SCRATCH_SIZE 0x2000u
#define DT_RO_ADDR (DT_SCRATCH_ADDR + DT_SCRATCH_SIZE)
#define DT_RO_SIZE 0x1000u
#define DT_STATE_ADDR 0x20000000ULL
/* Natively reserved (never mapped, but for the pages above) from
 * DT_CODE_ADDR on: addresses a fault is aimed at lie below its end. */
#define DT_GUARD_SIZE 0x1000000u

/* Register state; the layout is used by dt_harness.S (offsets below). */
struct dt_regs {
	uint64_t gpr[16];        /* 0 */
	uint64_t rflags;         /* 128 */
	uint64_t pad;            /* 136 */
	uint8_t xmm[16][16];     /* 144 */
	uint32_t mxcsr;          /* 400 */
	uint32_t pad2;
	uint64_t mm[8];          /* 408: MMX registers (x87 mantissas) */
	uint8_t fenv[28];        /* 472: FNSTENV image after the test (output
				  * only): FSW at +4, FTW at +8 */
};

/* Outcome of a run: no exception, or the class of exception. */
/* DT_EXC_DE also stands for #XM and #MF: all three are SIGFPE natively. */
enum dt_exc { DT_OK = 0, DT_EXC_UD, DT_EXC_DE, DT_EXC_GP, DT_EXC_BP, DT_EXC_OTHER };

/* Code bytes of a case at most (block-mode sequences are the longest),
 * and instructions of a sequence whose undefined flags are kept. */
#define DT_CODE_MAX 128
#define DT_SEQ_MAX 32

struct dt_case {
	uint8_t code[DT_CODE_MAX];
	unsigned len;
	unsigned ninsn;       /* instructions in code (0: not counted, one) */
	struct dt_regs in;
	uint64_t mem_seed;    /* scratch memory is filled from this */
	uint64_t flags_undef; /* RFLAGS bits not compared */
	/* RFLAGS bits not compared in the state at a fault (a sequence
	 * faulting after an instruction that left them undefined). */
	uint64_t flags_undef_fault;
	/* Sequences (has_undef_at): the RFLAGS bits undefined before each
	 * instruction, for a fault there (else flags_undef_fault). */
	bool has_undef_at;
	uint16_t undef_at[DT_SEQ_MAX];
	bool rdx_undef;       /* BSF/BSR-style "destination undefined" not modelled */
	/* Run in the interpreter through emu_run() with the decoded-block
	 * cache and the block translator (dt_emu.c), not emu_step(); the
	 * state at a fault is compared too. */
	bool block;
	/* Sequences: registers whose input values the code relies on
	 * (pointers, index, shift count, RSP); dt_gen_seq_inputs() keeps them. */
	uint16_t keep;
	const char *family;   /* what generated it (for reports) */
};

struct dt_result {
	enum dt_exc exc;
	struct dt_regs out;
	/* On an exception: whether out.gpr/out.rflags and fault_rip hold the
	 * state at the faulting instruction (else out is all zero). */
	bool fault_state;
	uint64_t fault_rip;
	/* Interpreter only: instructions it counted (c->icount), or ~0. */
	uint64_t icount;
	uint8_t mem[DT_SCRATCH_SIZE];
};

/* Fills scratch memory from a seed (xorshift); the read-only page. */
void dt_fill_mem(uint8_t *mem, uint64_t seed);
void dt_fill_ro(uint8_t *ro);
/* Random generator state. */
struct dt_rng {
	uint64_t s;
};
uint64_t dt_rand(struct dt_rng *r);

/* dt_gen.c: generates the next case of the stream (any family, or only
 * SSE/MMX ones with dt_gen_sse_case). */
void dt_gen(struct dt_rng *r, struct dt_case *k);
void dt_gen_sse_case(struct dt_rng *r, struct dt_case *k);
void dt_gen_x87_case(struct dt_rng *r, struct dt_case *k);
/* dt_gen.c: a straight-line sequence of 2..12 integer instructions for
 * block mode (difftest --block), with flag readers after flag writers and
 * Jcc with displacement 0. */
void dt_gen_seq(struct dt_rng *r, struct dt_case *k);
/* The same sequence (code, masks, kept registers) with new inputs: the
 * other registers, the flags and the scratch memory; with change_code,
 * half the time one byte of an immediate that changes nothing else. */
void dt_gen_seq_inputs(struct dt_rng *r, const struct dt_case *from, struct dt_case *k,
		       bool change_code);
/* dt_gen_sse.c: the SSE2/MMX instruction of a case whose registers are set. */
void dt_gen_sse(struct dt_rng *r, struct dt_case *k);
/* dt_x87.c (emux87): an x87 sequence, likewise. */
void dt_gen_x87(struct dt_rng *r, struct dt_case *k);

/* dt_native.c: reserves the fixed addresses (first thing in main); runs n
 * cases natively in a sandboxed child; results[i]. */
int dt_native_reserve(void);
int dt_native_run(const struct dt_case *cases, struct dt_result *results, unsigned n);

/* dt_emu.c: runs one case in the interpreter: through emu_step() one
 * instruction at a time, or with k->block through emu_run() with the
 * decoded-block cache and (unless dt_emu_no_jit) the block translator. */
void dt_emu_run(const struct dt_case *k, struct dt_result *res);
/* How dt_emu_run runs: DT_PATH_CASE as the case says (k->block), or
 * forced to the step path or the block path (for triage). */
enum dt_path { DT_PATH_CASE, DT_PATH_STEP, DT_PATH_BLOCK };
extern enum dt_path dt_emu_path;
/* Block path without the translator (the interpreter's block loop). */
extern bool dt_emu_no_jit;
/* Block path: every case runs with the decoded-block cache and
 * translations the cases before left (else with new ones). */
extern bool dt_emu_reuse;
/* Whether the last block-path run had a kept cache. */
extern bool dt_emu_last_reused;
/* Code buffer of the translator (emu_jit_new()), and the runs of a block
 * before it is translated (icache->jit_after; vslice uses 2). */
extern size_t dt_emu_jit_size;
extern unsigned dt_emu_jit_after;
/* Frees the kept cache (and adds its translator's figures to the totals). */
void dt_emu_flush(void);
/* Totals over every block-path run so far: whether a translator was
 * there (emu_jit_new() != NULL), runs, runs with a used cache, blocks
 * translated, instructions translated to host code, calls to the
 * interpreter from it, and times the code buffer was emptied. */
struct dt_jit_totals {
	bool available;
	uint64_t runs, reused, blocks, native, called, flushes;
};
extern struct dt_jit_totals dt_jit_totals;

#endif
