/* Host x87 primitives of the software CPU's FPU: every floating-point
 * result the guest sees is computed by the same instruction on the host's
 * x87 unit (x86-64 only), run under the guest's control word with all
 * exceptions masked. That gives bit-exact results, rounding (RC),
 * precision control (PC), the C1 round-up indication, NaN propagation and
 * the exception flags without a software float library.
 *
 * Each primitive is one asm statement that saves the host control word,
 * starts from an initialised FPU, loads its operands from a frame in
 * memory, runs the instruction, stores the status word and the results,
 * and re-initialises the FPU and restores the host control word: the host
 * stack is empty before and after, as the x86-64 ABI requires. */
#include <stddef.h>

#include "emu_x87.h"

#if !defined(__x86_64__)
#error "emu_x87_host.c computes x87 results on the host x87 unit: x86-64 hosts only"
#endif

struct host_frame {
	long double a, b, r0, r1;
	uint8_t m[16];
	uint16_t cw, sw, saved_cw;
};

/* pre and op are assembler text using the frame offsets %c[a], %c[b],
 * %c[m] relative to %[p]. */
#define HOST_RUN(f, pre, op)                                                                       \
	__asm__ volatile(                                                                          \
	    "fnstcw %c[saved](%[p])\n\t"                                                           \
	    "fninit\n\t"                                                                           \
	    "fldcw %c[cw](%[p])\n\t" pre "\n\t" op "\n\t"                                          \
	    "fnstsw %c[sw](%[p])\n\t"                                                              \
	    "fstpt %c[r0](%[p])\n\t"                                                               \
	    "fstpt %c[r1](%[p])\n\t"                                                               \
	    "fninit\n\t"                                                                           \
	    "fldcw %c[saved](%[p])"                                                                \
	    :                                                                                      \
	    : [p] "r"(f), [a] "i"(offsetof(struct host_frame, a)),                                 \
	      [b] "i"(offsetof(struct host_frame, b)), [r0] "i"(offsetof(struct host_frame, r0)),  \
	      [r1] "i"(offsetof(struct host_frame, r1)), [m] "i"(offsetof(struct host_frame, m)),  \
	      [cw] "i"(offsetof(struct host_frame, cw)),                                           \
	      [sw] "i"(offsetof(struct host_frame, sw)),                                           \
	      [saved] "i"(offsetof(struct host_frame, saved_cw))                                   \
	    : "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)")

/* Host ST(0) = a, ST(1) = b. */
#define LOAD_AB "fldt %c[b](%[p])\n\tfldt %c[a](%[p])"
#define LOAD_A "fldt %c[a](%[p])"

static void frame_init(struct host_frame *f, uint16_t cw)
{
	memset(f, 0, sizeof(*f));
	/* Every exception masked; the guest's PC and RC apply. */
	f->cw = (uint16_t)(cw | FCW_MASKS);
}

uint16_t x87_host_op(enum x87_host_op op, uint16_t cw, long double a, long double b,
		     long double *r0, long double *r1)
{
	struct host_frame f;

	frame_init(&f, cw);
	f.a = a;
	f.b = b;
	switch (op) {
	case XH_ADD:
		HOST_RUN(&f, LOAD_AB, "fadd %%st(1), %%st");
		break;
	case XH_MUL:
		HOST_RUN(&f, LOAD_AB, "fmul %%st(1), %%st");
		break;
	case XH_SUB:
		HOST_RUN(&f, LOAD_AB, "fsub %%st(1), %%st");
		break;
	case XH_SUBR:
		HOST_RUN(&f, LOAD_AB, "fsubr %%st(1), %%st");
		break;
	case XH_DIV:
		HOST_RUN(&f, LOAD_AB, "fdiv %%st(1), %%st");
		break;
	case XH_DIVR:
		HOST_RUN(&f, LOAD_AB, "fdivr %%st(1), %%st");
		break;
	case XH_PREM:
		HOST_RUN(&f, LOAD_AB, "fprem");
		break;
	case XH_PREM1:
		HOST_RUN(&f, LOAD_AB, "fprem1");
		break;
	case XH_SCALE:
		HOST_RUN(&f, LOAD_AB, "fscale");
		break;
	case XH_PATAN:
		HOST_RUN(&f, LOAD_AB, "fpatan");
		break;
	case XH_YL2X:
		HOST_RUN(&f, LOAD_AB, "fyl2x");
		break;
	case XH_YL2XP1:
		HOST_RUN(&f, LOAD_AB, "fyl2xp1");
		break;
	case XH_SQRT:
		HOST_RUN(&f, LOAD_A, "fsqrt");
		break;
	case XH_RNDINT:
		HOST_RUN(&f, LOAD_A, "frndint");
		break;
	case XH_F2XM1:
		HOST_RUN(&f, LOAD_A, "f2xm1");
		break;
	case XH_SIN:
		HOST_RUN(&f, LOAD_A, "fsin");
		break;
	case XH_COS:
		HOST_RUN(&f, LOAD_A, "fcos");
		break;
	case XH_PTAN:
		HOST_RUN(&f, LOAD_A, "fptan");
		break;
	case XH_SINCOS:
		HOST_RUN(&f, LOAD_A, "fsincos");
		break;
	case XH_XTRACT:
		HOST_RUN(&f, LOAD_A, "fxtract");
		break;
	case XH_COM:
		HOST_RUN(&f, LOAD_AB, "fcom %%st(1)");
		break;
	case XH_UCOM:
		HOST_RUN(&f, LOAD_AB, "fucom %%st(1)");
		break;
	default:
		return FSW_IE; /* not reached: callers pass enum values */
	}
	if (r0)
		*r0 = f.r0;
	if (r1)
		*r1 = f.r1;
	return f.sw;
}

/* The memory forms of D8/DA/DC/DE: fp is "f" or "fi", sfx the AT&T size
 * suffix. */
#define MEM_CASES(fp, sfx)                                                                         \
	case XH_ADD:                                                                               \
		HOST_RUN(&f, LOAD_A, fp "add" sfx " %c[m](%[p])");                                 \
		break;                                                                             \
	case XH_MUL:                                                                               \
		HOST_RUN(&f, LOAD_A, fp "mul" sfx " %c[m](%[p])");                                 \
		break;                                                                             \
	case XH_SUB:                                                                               \
		HOST_RUN(&f, LOAD_A, fp "sub" sfx " %c[m](%[p])");                                 \
		break;                                                                             \
	case XH_SUBR:                                                                              \
		HOST_RUN(&f, LOAD_A, fp "subr" sfx " %c[m](%[p])");                                \
		break;                                                                             \
	case XH_DIV:                                                                               \
		HOST_RUN(&f, LOAD_A, fp "div" sfx " %c[m](%[p])");                                 \
		break;                                                                             \
	case XH_DIVR:                                                                              \
		HOST_RUN(&f, LOAD_A, fp "divr" sfx " %c[m](%[p])");                                \
		break;                                                                             \
	case XH_COM:                                                                               \
		HOST_RUN(&f, LOAD_A, fp "com" sfx " %c[m](%[p])");                                 \
		break;                                                                             \
	default:                                                                                   \
		return FSW_IE

uint16_t x87_host_mem_op(enum x87_host_op op, enum x87_fmt fmt, uint16_t cw, long double a,
			 const uint8_t *src, long double *r0)
{
	struct host_frame f;

	frame_init(&f, cw);
	f.a = a;
	memcpy(f.m, src, x87_fmt_size(fmt));
	switch (fmt) {
	case XF_F32:
		switch (op) {
			MEM_CASES("f", "s");
		}
		break;
	case XF_F64:
		switch (op) {
			MEM_CASES("f", "l");
		}
		break;
	case XF_I16:
		switch (op) {
			MEM_CASES("fi", "s");
		}
		break;
	case XF_I32:
		switch (op) {
			MEM_CASES("fi", "l");
		}
		break;
	default:
		return FSW_IE;
	}
	if (r0)
		*r0 = f.r0;
	return f.sw;
}

uint16_t x87_host_load(enum x87_fmt fmt, uint16_t cw, const uint8_t *src, long double *out)
{
	struct host_frame f;

	frame_init(&f, cw);
	memcpy(f.m, src, x87_fmt_size(fmt));
	switch (fmt) {
	case XF_F32:
		HOST_RUN(&f, "", "flds %c[m](%[p])");
		break;
	case XF_F64:
		HOST_RUN(&f, "", "fldl %c[m](%[p])");
		break;
	case XF_I16:
		HOST_RUN(&f, "", "filds %c[m](%[p])");
		break;
	case XF_I32:
		HOST_RUN(&f, "", "fildl %c[m](%[p])");
		break;
	case XF_I64:
		HOST_RUN(&f, "", "fildll %c[m](%[p])");
		break;
	case XF_BCD:
		HOST_RUN(&f, "", "fbld %c[m](%[p])");
		break;
	default:
		return FSW_IE;
	}
	*out = f.r0;
	return f.sw;
}

uint16_t x87_host_store(enum x87_fmt fmt, uint16_t cw, long double v, uint8_t *dst)
{
	struct host_frame f;

	frame_init(&f, cw);
	f.a = v;
	switch (fmt) {
	case XF_F32:
		HOST_RUN(&f, LOAD_A, "fstps %c[m](%[p])");
		break;
	case XF_F64:
		HOST_RUN(&f, LOAD_A, "fstpl %c[m](%[p])");
		break;
	case XF_I16:
		HOST_RUN(&f, LOAD_A, "fistps %c[m](%[p])");
		break;
	case XF_I32:
		HOST_RUN(&f, LOAD_A, "fistpl %c[m](%[p])");
		break;
	case XF_I64:
		HOST_RUN(&f, LOAD_A, "fistpll %c[m](%[p])");
		break;
	case XF_BCD:
		HOST_RUN(&f, LOAD_A, "fbstp %c[m](%[p])");
		break;
	default:
		return FSW_IE;
	}
	memcpy(dst, f.m, x87_fmt_size(fmt));
	return f.sw;
}

uint16_t x87_host_const(unsigned which, uint16_t cw, long double *out)
{
	struct host_frame f;

	frame_init(&f, cw);
	switch (which) {
	case 0:
		HOST_RUN(&f, "", "fld1");
		break;
	case 1:
		HOST_RUN(&f, "", "fldl2t");
		break;
	case 2:
		HOST_RUN(&f, "", "fldl2e");
		break;
	case 3:
		HOST_RUN(&f, "", "fldpi");
		break;
	case 4:
		HOST_RUN(&f, "", "fldlg2");
		break;
	case 5:
		HOST_RUN(&f, "", "fldln2");
		break;
	default:
		HOST_RUN(&f, "", "fldz");
		break;
	}
	*out = f.r0;
	return f.sw;
}
