/* Floating-point SSE/SSE2 operations of the software CPU run on the host's
 * own SSE unit, which gives the IEEE 754 results, x86 NaN propagation and
 * the exact MXCSR exception flags: each operation is one inline-assembly
 * block that loads a host MXCSR made of the guest's rounding control, DAZ
 * and FTZ with every exception masked, runs the instruction, reads the
 * flags and restores the host MXCSR. Needs an x86-64 host (so does the
 * rest of vslice). Unmasked-exception handling is done by the caller
 * (sse_fp_flags). */
#include "emu_exec_sse.h"

#if !defined(__x86_64__)
#error "emu_exec_sse_host.c runs guest SSE arithmetic on the host SSE unit: x86-64 hosts only"
#endif

typedef float v4sf __attribute__((vector_size(16)));

/* The host MXCSR used while running a guest operation. */
static inline uint32_t host_mxcsr(uint32_t guest)
{
	return (guest & (MXCSR_RC | MXCSR_DAZ | MXCSR_FTZ)) | MXCSR_MASKS;
}

#define PRE "stmxcsr %[save]\n\tldmxcsr %[mx]\n\t"
#define POST "\n\tstmxcsr %[out]\n\tldmxcsr %[save]"
/* d = d op s (AT&T: op src, dst). */
#define OP2(insn)                                                                    \
	asm volatile(PRE insn " %[b], %[a]" POST                                     \
		     : [a] "+x"(a), [save] "=m"(save), [out] "=m"(out)               \
		     : [b] "x"(b), [mx] "m"(mx));                                    \
	break

uint32_t sse_host_op(enum sse_host_op op, union sse_vec *d, const union sse_vec *s,
		     uint32_t mxcsr)
{
	uint32_t mx = host_mxcsr(mxcsr), save, out = 0;
	v4sf a, b;

	memcpy(&a, d, 16);
	memcpy(&b, s, 16);
	switch (op) {
	case H_ADDPS: OP2("addps");
	case H_ADDPD: OP2("addpd");
	case H_ADDSS: OP2("addss");
	case H_ADDSD: OP2("addsd");
	case H_SUBPS: OP2("subps");
	case H_SUBPD: OP2("subpd");
	case H_SUBSS: OP2("subss");
	case H_SUBSD: OP2("subsd");
	case H_MULPS: OP2("mulps");
	case H_MULPD: OP2("mulpd");
	case H_MULSS: OP2("mulss");
	case H_MULSD: OP2("mulsd");
	case H_DIVPS: OP2("divps");
	case H_DIVPD: OP2("divpd");
	case H_DIVSS: OP2("divss");
	case H_DIVSD: OP2("divsd");
	case H_MINPS: OP2("minps");
	case H_MINPD: OP2("minpd");
	case H_MINSS: OP2("minss");
	case H_MINSD: OP2("minsd");
	case H_MAXPS: OP2("maxps");
	case H_MAXPD: OP2("maxpd");
	case H_MAXSS: OP2("maxss");
	case H_MAXSD: OP2("maxsd");
	case H_SQRTPS: OP2("sqrtps");
	case H_SQRTPD: OP2("sqrtpd");
	case H_SQRTSS: OP2("sqrtss");
	case H_SQRTSD: OP2("sqrtsd");
	case H_CVTPS2PD: OP2("cvtps2pd");
	case H_CVTPD2PS: OP2("cvtpd2ps");
	case H_CVTSS2SD: OP2("cvtss2sd");
	case H_CVTSD2SS: OP2("cvtsd2ss");
	case H_CVTDQ2PS: OP2("cvtdq2ps");
	case H_CVTPS2DQ: OP2("cvtps2dq");
	case H_CVTTPS2DQ: OP2("cvttps2dq");
	case H_CVTDQ2PD: OP2("cvtdq2pd");
	case H_CVTPD2DQ: OP2("cvtpd2dq");
	case H_CVTTPD2DQ: OP2("cvttpd2dq");
	default:
		return 0;
	}
	memcpy(d, &a, 16);
	return out & MXCSR_FLAGS;
}

#define CMP_CASES(insn)                                                              \
	switch (imm & 7) {                                                           \
	case 0: OP2(insn " $0,");                                                    \
	case 1: OP2(insn " $1,");                                                    \
	case 2: OP2(insn " $2,");                                                    \
	case 3: OP2(insn " $3,");                                                    \
	case 4: OP2(insn " $4,");                                                    \
	case 5: OP2(insn " $5,");                                                    \
	case 6: OP2(insn " $6,");                                                    \
	default: OP2(insn " $7,");                                                   \
	}                                                                            \
	break

uint32_t sse_host_cmp(unsigned kind, unsigned imm, union sse_vec *d, const union sse_vec *s,
		      uint32_t mxcsr)
{
	uint32_t mx = host_mxcsr(mxcsr), save, out = 0;
	v4sf a, b;

	memcpy(&a, d, 16);
	memcpy(&b, s, 16);
	switch (kind) {
	case 0: CMP_CASES("cmpps");
	case 1: CMP_CASES("cmppd");
	case 2: CMP_CASES("cmpss");
	default: CMP_CASES("cmpsd");
	}
	memcpy(d, &a, 16);
	return out & MXCSR_FLAGS;
}

#define COMI(insn)                                                                   \
	asm volatile(PRE insn " %[b], %[a]\n\tsetz %[z]\n\tsetp %[p]\n\tsetc %[cf]" POST \
		     : [save] "=m"(save), [out] "=m"(out), [z] "=qm"(z), [p] "=qm"(p), \
		       [cf] "=qm"(cf)                                                \
		     : [a] "x"(a), [b] "x"(b), [mx] "m"(mx)                          \
		     : "cc");                                                        \
	break

uint32_t sse_host_comi(bool dbl, bool signaling, const union sse_vec *av,
		       const union sse_vec *bv, uint32_t mxcsr, uint64_t *eflags)
{
	uint32_t mx = host_mxcsr(mxcsr), save, out = 0;
	uint8_t z = 0, p = 0, cf = 0;
	v4sf a, b;

	memcpy(&a, av, 16);
	memcpy(&b, bv, 16);
	switch ((dbl ? 2 : 0) | (signaling ? 1 : 0)) {
	case 0: COMI("ucomiss");
	case 1: COMI("comiss");
	case 2: COMI("ucomisd");
	default: COMI("comisd");
	}
	*eflags = (z ? FL_ZF : 0) | (p ? FL_PF : 0) | (cf ? FL_CF : 0);
	return out & MXCSR_FLAGS;
}

#define CVT2SI(insn, mod)                                                            \
	asm volatile(PRE insn " %[b], %" mod "[r]" POST                              \
		     : [r] "=r"(r), [save] "=m"(save), [out] "=m"(out)               \
		     : [b] "x"(b), [mx] "m"(mx));                                    \
	break

uint32_t sse_host_cvt2si(bool dbl, bool trunc, bool wide, const union sse_vec *s, uint32_t mxcsr,
			 uint64_t *res)
{
	uint32_t mx = host_mxcsr(mxcsr), save, out = 0;
	uint64_t r = 0;
	v4sf b;

	memcpy(&b, s, 16);
	switch ((dbl ? 4 : 0) | (trunc ? 2 : 0) | (wide ? 1 : 0)) {
	case 0: CVT2SI("cvtss2si", "k");
	case 1: CVT2SI("cvtss2si", "q");
	case 2: CVT2SI("cvttss2si", "k");
	case 3: CVT2SI("cvttss2si", "q");
	case 4: CVT2SI("cvtsd2si", "k");
	case 5: CVT2SI("cvtsd2si", "q");
	case 6: CVT2SI("cvttsd2si", "k");
	default: CVT2SI("cvttsd2si", "q");
	}
	*res = wide ? r : (uint32_t)r;
	return out & MXCSR_FLAGS;
}

#define CVTSI(insn, mod)                                                             \
	asm volatile(PRE insn " %" mod "[v], %[a]" POST                              \
		     : [a] "+x"(a), [save] "=m"(save), [out] "=m"(out)               \
		     : [v] "r"(v), [mx] "m"(mx));                                    \
	break

uint32_t sse_host_cvtsi2(bool dbl, bool wide, uint64_t v, union sse_vec *d, uint32_t mxcsr)
{
	uint32_t mx = host_mxcsr(mxcsr), save, out = 0;
	v4sf a;

	memcpy(&a, d, 16);
	switch ((dbl ? 2 : 0) | (wide ? 1 : 0)) {
	case 0: CVTSI("cvtsi2ssl", "k");
	case 1: CVTSI("cvtsi2ssq", "q");
	case 2: CVTSI("cvtsi2sdl", "k");
	default: CVTSI("cvtsi2sdq", "q");
	}
	memcpy(d, &a, 16);
	return out & MXCSR_FLAGS;
}
