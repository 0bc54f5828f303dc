/* Differential tester for the software CPU: the shared definitions. A
 * case is one instruction plus the register, flag, XMM and scratch-memory
 * state it starts from; it runs natively on the host (dt_native.c) and in
 * the interpreter (dt_emu.c), and the results are compared. */
#ifndef VSLICE_DIFFTEST_DT_H
#define VSLICE_DIFFTEST_DT_H

#include <stdbool.h>
#include <stdint.h>

/* Fixed addresses, identical in the native child and the interpreter:
 * the code page, then the scratch memory (data and a small stack), and
 * the native harness's state block. */
#define DT_CODE_ADDR 0x10000000ULL
#define DT_SCRATCH_ADDR 0x10001000ULL
#define DT_SCRATCH_SIZE 0x2000u
#define DT_STATE_ADDR 0x20000000ULL

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

struct dt_case {
	uint8_t code[16];
	unsigned len;
	struct dt_regs in;
	uint64_t mem_seed;    /* scratch memory is filled from this */
	uint64_t flags_undef; /* RFLAGS bits not compared */
	bool rdx_undef;       /* BSF/BSR-style "destination undefined" not modelled */
	const char *family;   /* what generated it (for reports) */
};

struct dt_result {
	enum dt_exc exc;
	struct dt_regs out;
	uint8_t mem[DT_SCRATCH_SIZE];
};

/* Fills scratch memory from a seed (xorshift). */
void dt_fill_mem(uint8_t *mem, uint64_t seed);
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
/* dt_gen_sse.c: the SSE2/MMX instruction of a case whose registers are set. */
void dt_gen_sse(struct dt_rng *r, struct dt_case *k);
/* dt_x87.c (emux87): an x87 sequence, likewise. */
void dt_gen_x87(struct dt_rng *r, struct dt_case *k);

/* dt_native.c: reserves the fixed addresses (first thing in main); runs n
 * cases natively in a sandboxed child; results[i]. */
int dt_native_reserve(void);
int dt_native_run(const struct dt_case *cases, struct dt_result *results, unsigned n);

/* dt_emu.c: runs one case in the interpreter. */
void dt_emu_run(const struct dt_case *k, struct dt_result *res);

#endif
