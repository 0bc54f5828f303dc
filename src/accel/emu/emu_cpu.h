/* vslice's software CPU: the state of one x86-64 vCPU and the internal
 * interfaces between its parts:
 *   emu_decode.c / emu_exec*.c  instruction decoding and the general ISA
 *                               (the "core"): emu_step(), emu_run()
 *   emu_icache.c                the decoded-block cache behind emu_run()
 *   emu_mmu.c                   segmentation checks, paging, TLB, the
 *                               memory accessors below
 *   emu_system.c, emu_except.c  mode switches, descriptor loads, control
 *                               registers, MSRs, far transfers, exception
 *                               and interrupt delivery (the "system" part)
 *   emu_accel.c                 struct accel_ops glue: VM, vCPU threads,
 *                               kick, HLT sleep, interrupt injection
 * Exceptions raised while executing an instruction unwind with longjmp to
 * emu_run() (emu_step()), which leaves the architectural state as it was
 * at the start of the instruction and delivers the exception. */
#ifndef VSLICE_EMU_CPU_H
#define VSLICE_EMU_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "vslice/accel.h"
#include "vslice/guest_mem.h"

/* General registers in encoding order. */
enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
/* Segment registers in encoding order. */
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_COUNT };

/* Exception vectors. */
enum { EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4,
       EXC_BR = 5, EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10,
       EXC_NP = 11, EXC_SS = 12, EXC_GP = 13, EXC_PF = 14, EXC_MF = 16,
       EXC_AC = 17, EXC_MC = 18, EXC_XM = 19 };

#define FL_CF 0x0001u
#define FL_PF 0x0004u
#define FL_AF 0x0010u
#define FL_ZF 0x0040u
#define FL_SF 0x0080u
#define FL_TF 0x0100u
#define FL_IF 0x0200u
#define FL_DF 0x0400u
#define FL_OF 0x0800u
#define FL_IOPL 0x3000u
#define FL_NT 0x4000u
#define FL_RF 0x10000u
#define FL_VM 0x20000u
#define FL_AC 0x40000u
#define FL_ID 0x200000u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* A segment register with its hidden part. attr holds descriptor bits
 * 40-47 and 52-55 packed as: type[3:0] s[4] dpl[6:5] p[7] avl[8] l[9]
 * db[10] g[11]. */
struct emu_seg {
	uint16_t sel;
	uint64_t base;
	uint32_t limit; /* expanded, byte granular */
	uint16_t attr;
};
#define SEG_ATTR_TYPE(a) ((a) & 0xf)
#define SEG_ATTR_S(a) (((a) >> 4) & 1)
#define SEG_ATTR_DPL(a) (((a) >> 5) & 3)
#define SEG_ATTR_P(a) (((a) >> 7) & 1)
#define SEG_ATTR_L(a) (((a) >> 9) & 1)
#define SEG_ATTR_DB(a) (((a) >> 10) & 1)
#define SEG_ATTR_G(a) (((a) >> 11) & 1)

enum emu_mode { MODE_REAL, MODE_PROT16, MODE_PROT32, MODE_LONG64, MODE_COMPAT16, MODE_COMPAT32 };

struct emu_dtable {
	uint64_t base;
	uint16_t limit;
};

#define EMU_TLB_SIZE 1024
struct emu_tlb_entry {
	uint64_t vpage;   /* linear address >> 12, or ~0 if invalid */
	uint64_t ppage;   /* guest-physical address >> 12 */
	uint8_t *host;    /* host pointer to the page if RAM, else NULL (MMIO) */
	uint8_t user, writable, nx, dirty, global;
	uint8_t size_shift; /* added by emusys: log2(page size / 4 KiB) of the mapping (0, 9, 10, 18) */
};

/* For translated code, one entry of tlb[] as one privilege may use it
 * without further checks: read and write hold the page's linear address
 * with its low 12 bits set (lin | 0xfff) when a read, or a write, of the
 * page is allowed, it is RAM, and for a write the page is writable and
 * already dirty; else 0 (never equal to such a value). host = the linear
 * address + addend. Zero-filled means empty. */
struct emu_fast_tlb_entry {
	uint64_t read, write;
	uint64_t addend;
	uint64_t unused; /* 32 bytes: an index is a shift */
};

struct emu_vm; /* emu_accel.c */

/* Whether a linear address is canonical (bits 63-47 all equal). */
static inline bool emu_is_canonical(uint64_t lin)
{
	return (uint64_t)((int64_t)(lin << 16) >> 16) == lin;
}

struct emu_cpu {
	/* Architectural state. */
	uint64_t gpr[16];
	uint64_t rip;
	uint64_t rflags;
	struct emu_seg seg[S_COUNT];
	struct emu_seg ldtr, tr;
	struct emu_dtable gdtr, idtr;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer;
	uint64_t xcr0;
	/* MSRs */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t pat, apic_base, misc_enable, tsc_deadline, tsc_aux;
	int64_t tsc_offset; /* guest TSC = host ns-based TSC + offset */
	/* x87 / SSE (FXSAVE layout kept explicit) */
	struct {
		uint16_t fcw, fsw, ftw; /* ftw: full 16-bit tag word */
		uint16_t fop;
		uint64_t fip, fdp;
		uint8_t st[8][10]; /* 80-bit registers, physical order */
		uint32_t mxcsr;
		uint8_t xmm[16][16];
		/* Added by emux87: the selectors of the last x87 non-control
		 * instruction (FCS) and of its memory operand (FDS); fip and
		 * fdp hold the offsets. FNSTENV/FNSAVE store them; 0 after
		 * FNINIT and reset. */
		uint16_t fcs, fds;
	} fpu;

	/* Derived, recomputed by emu_update_mode() after any change to CR0,
	 * EFER, CS or RFLAGS.VM. */
	enum emu_mode mode;
	int cpl;

	/* Per-instruction scratch (core): the state to restore on fault. */
	uint64_t insn_rip;      /* rip at the start of the current instruction */
	uint64_t insn_rsp;      /* rsp at the start of the current instruction */
	jmp_buf fault_jmp;      /* emu_raise() jumps here */
	int pending_exc;        /* vector raised by the current instruction, -1 none */
	uint32_t pending_err;
	bool pending_has_err;
	unsigned exc_nesting;   /* for #DF / triple fault */
	bool interrupt_shadow;  /* after MOV SS / STI, one instruction */

	/* Paging */
	struct emu_tlb_entry tlb[EMU_TLB_SIZE];
	/* The TLB as translated code reads it (emu_jit.c), kept beside tlb[]
	 * by emu_paging.c: see struct emu_fast_tlb_entry. [0] for CPL 0-2,
	 * [1] for CPL 3. */
	struct emu_fast_tlb_entry ftlb[2][EMU_TLB_SIZE];

	/* Environment */
	struct guest_mem *mem;
	struct accel_io io;
	struct emu_vm *vm;
	unsigned index; /* vCPU index == APIC ID */
	bool halted;
	bool triple_fault; /* set by exception delivery; emu_accel turns it into VCPU_EXIT_RESET */
	bool shutdown_request;
	uint64_t icount; /* instructions executed */

	/* Added by emusys (emu_except.c, emu_msr.c, emu_accel.c). */
	const char *internal_error; /* set by emu_internal_error(): the vCPU stops */
	bool nmi_pending;           /* an NMI waits for delivery (emu_accel.c) */
	bool nmi_blocked;           /* from NMI delivery to the next IRET */
	uint64_t mtrr_def_type;     /* IA32_MTRR_DEF_TYPE */

	/* Added by emucore (emu_exec_sys.c): DR0-DR7 for MOV DRn (stored,
	 * not acted on; reset should set dr[6] = 0xffff0ff0, dr[7] = 0x400). */
	uint64_t dr[8];

	/* Added by emuperf (emu_icache.c, emu_exec.c): the decoded-block
	 * cache (NULL: every instruction is fetched and decoded), the
	 * guest-physical page (gpa >> 12) of the block being run (~0 when
	 * none), and block_break, set by any store into that page so that
	 * the block ends after the storing instruction (self-modifying code;
	 * stores call emu_code_write_check() from emu_icache.h) and by MMIO
	 * accesses. emu_run() stops when icount reaches run_end (each event
	 * delivered takes one off it). */
	struct emu_icache *icache;
	uint64_t code_page;
	bool block_break;
	uint64_t run_end;
	/* Host address of the guest page of the block last looked up
	 * (emu_icache.c), and the link slot of a translated block's exit to
	 * fill with the next block found (emu_jit.h), NULL if none. */
	const uint8_t *code_page_host;
	void **jit_link_slot;
};

/* ftlb[][i] from tlb[i] (struct emu_fast_tlb_entry); whoever changes
 * tlb[i] calls it. A supervisor write needs the page writable even when
 * CR0.WP is clear (the C path handles that case). */
static inline void emu_fast_tlb_set(struct emu_cpu *c, unsigned i)
{
	const struct emu_tlb_entry *e = &c->tlb[i];
	struct emu_fast_tlb_entry *sup = &c->ftlb[0][i], *user = &c->ftlb[1][i];

	*sup = (struct emu_fast_tlb_entry){0};
	*user = (struct emu_fast_tlb_entry){0};
	if (e->vpage == ~0ULL || !e->host)
		return;
	uint64_t tag = (e->vpage << 12) | 0xfff;

	sup->addend = user->addend = (uint64_t)(uintptr_t)e->host - (e->vpage << 12);
	sup->read = tag;
	sup->write = e->writable && e->dirty ? tag : 0;
	if (e->user) {
		user->read = tag;
		user->write = sup->write;
	}
}

/* Recomputes all of ftlb[] from tlb[] (for code that fills tlb[]
 * itself). */
static inline void emu_tlb_sync_fast(struct emu_cpu *c)
{
	for (unsigned i = 0; i < EMU_TLB_SIZE; i++)
		emu_fast_tlb_set(c, i);
}

/* CPUID feature bits for instruction-set features: emu_cpuid.c (emusys)
 * advertises exactly these plus the system features it implements itself
 * (PSE, TSC, MSR, PAE, SEP, MTRR, PGE, PAT, PSE-36, SYSCALL, NX, 1 GiB
 * pages, LM). emucore owns these lists: keep them equal to what the core
 * executes. */
/* CPUID.1:EDX: FPU(0) CX8(8) CMOV(15) CLFSH(19) MMX(23) FXSR(24) SSE(25)
 * SSE2(26) (MMX/SSE/SSE2 added by emusse: emu_exec_sse*.c; FPU, with
 * FCMOVcc/FCOMI through CMOV, by emux87: emu_exec_x87.c, emu_x87_*.c).
 * No SSE3 or later (so no FISTTP). */
#define EMU_CPUID1_EDX_ISA 0x07888101u
/* CPUID.1:ECX: CX16(13) POPCNT(23). */
#define EMU_CPUID1_ECX_ISA 0x00802000u
/* CPUID.7.0:EBX: none yet */
#define EMU_CPUID7_EBX_ISA 0x00000000u
/* CPUID.80000001h:ECX: LAHF/SAHF in 64-bit mode(0) */
#define EMU_CPUID81_ECX_ISA 0x00000001u
/* CPUID.80000001h:EDX: RDTSCP(27) */
#define EMU_CPUID81_EDX_ISA 0x08000000u

/* ---- core (emu_decode.c, emu_exec*.c) ---- */
/* Executes one instruction (or delivers one pending exception). Returns 0
 * normally, or 1 if the CPU halted (HLT). */
int emu_step(struct emu_cpu *c);
/* Added by emuperf (emu_exec.c): runs up to max steps (an instruction, or
 * the delivery of an interrupt or exception, is one step), through the
 * decoded-block cache if c->icache is set. Returns early on triple fault,
 * internal error or shutdown request, and when *stop is true (stop may be
 * NULL): right after an instruction that did port I/O or MMIO (a device
 * that stopped the VM), else within EMU_BLOCK_MAX_INSN (32) instructions
 * when interpreting, or within the max steps when translated blocks go
 * from one to the next by themselves (emu_jit.h).
 * Returns 1 if the CPU is halted, else 0. emu_step(c) is
 * emu_run(c, 1, NULL). */
int emu_run(struct emu_cpu *c, unsigned max, const _Atomic bool *stop);

/* ---- memory access (emu_mmu.c) ----
 * seg is S_ES..S_GS; off is the effective address (already masked to the
 * address size by the caller). Raise #GP/#SS/#PF on failure. size 1,2,4,8;
 * 16-byte accesses use the _bytes variants. */
uint64_t emu_read(struct emu_cpu *c, int seg, uint64_t off, unsigned size);
void emu_write(struct emu_cpu *c, int seg, uint64_t off, unsigned size, uint64_t val);
void emu_read_bytes(struct emu_cpu *c, int seg, uint64_t off, void *dst, unsigned len);
void emu_write_bytes(struct emu_cpu *c, int seg, uint64_t off, const void *src, unsigned len);
/* Instruction fetch at CS:off (execute permission, NX). */
uint8_t emu_fetch8(struct emu_cpu *c, uint64_t off);
/* Instruction fetch of up to len bytes at CS:off into dst (emusys,
 * emu_mmu.c): stops at the end of the 4 KiB page and at the CS limit, and
 * raises (#GP/#PF) only if not even the first byte can be fetched. Returns
 * the number of bytes copied (>= 1); *gpa (if not NULL) gets the
 * guest-physical address of the first byte, for per-page code caches. */
unsigned emu_fetch_bytes(struct emu_cpu *c, uint64_t off, uint8_t *dst, unsigned len,
			 uint64_t *gpa);
/* Added by emuperf, implemented in emu_mmu.c: the host pointer to the
 * code byte at CS:off after the fetch checks (raises #GP/#PF like
 * emu_fetch_bytes), with *gpa its guest-physical address and *avail the
 * bytes that may be fetched from there without another check (to the end
 * of the 4 KiB page and of the CS limit, >= 1). NULL if the code is not in
 * RAM (MMIO: fetch it with emu_fetch_bytes). */
const uint8_t *emu_fetch_ptr(struct emu_cpu *c, uint64_t off, uint64_t *gpa, unsigned *avail);
/* Linear-address access with a given privilege (cpl 0 for implicit
 * supervisor accesses such as descriptor tables). */
uint64_t emu_read_linear(struct emu_cpu *c, uint64_t lin, unsigned size, int cpl);
void emu_write_linear(struct emu_cpu *c, uint64_t lin, unsigned size, uint64_t val, int cpl);
/* For LOCK-prefixed read-modify-write: host pointer to the operand if it
 * is RAM (checked for write permission, dirty bit set), else NULL (then
 * the caller does an ordinary read+write: MMIO is never atomic). */
void *emu_rmw_ptr(struct emu_cpu *c, int seg, uint64_t off, unsigned size);
/* The same for reading size bytes (a run within one page, for REP MOVS):
 * host pointer if RAM, else NULL; raises what a read at off would. */
const void *emu_read_ptr(struct emu_cpu *c, int seg, uint64_t off, unsigned size);
void emu_tlb_flush(struct emu_cpu *c, bool include_global);
void emu_tlb_flush_page(struct emu_cpu *c, uint64_t lin);

/* ---- system (emu_system.c, emu_except.c) ---- */
/* Never returns: records the exception and longjmps to emu_step(). */
_Noreturn void emu_raise(struct emu_cpu *c, int vector, uint32_t err);
_Noreturn void emu_raise_noerr(struct emu_cpu *c, int vector);
/* Delivers an exception or interrupt through the IVT/IDT (vector, with
 * error code if has_err; is_soft for INT n/INT3/INTO, which check DPL and
 * push the next rip). Escalates to #DF and triple fault. */
void emu_deliver(struct emu_cpu *c, int vector, bool has_err, uint32_t err, bool is_soft,
		 uint64_t next_rip);
void emu_update_mode(struct emu_cpu *c);
/* Loads a segment register the way MOV Sreg / POP Sreg do (checks per
 * mode, raises on failure). */
void emu_load_seg(struct emu_cpu *c, int seg, uint16_t sel);
void emu_far_jmp(struct emu_cpu *c, uint16_t sel, uint64_t off, unsigned opsize);
void emu_far_call(struct emu_cpu *c, uint16_t sel, uint64_t off, unsigned opsize, uint64_t next_rip);
void emu_far_ret(struct emu_cpu *c, unsigned opsize, uint16_t pop_bytes);
void emu_iret(struct emu_cpu *c, unsigned opsize);
void emu_syscall(struct emu_cpu *c, uint64_t next_rip);
void emu_sysret(struct emu_cpu *c, unsigned opsize);
void emu_sysenter(struct emu_cpu *c);
void emu_sysexit(struct emu_cpu *c, unsigned opsize);
/* emu_write_cr: #GP at CPL > 0, on reserved bits and on invalid
 * combinations (PG without PE, NW without CD, PG with LME but no PAE...),
 * #UD for CRs other than 0, 2, 3, 4, 8. emu_read_cr does no CPL check (SMSW
 * reads CR0 at any CPL; the core checks MOV from CRn). (emusys) */
void emu_write_cr(struct emu_cpu *c, int cr, uint64_t val);
uint64_t emu_read_cr(struct emu_cpu *c, int cr);
void emu_lgdt_lidt(struct emu_cpu *c, bool idt, uint64_t base, uint16_t limit);
void emu_lldt(struct emu_cpu *c, uint16_t sel);
void emu_ltr(struct emu_cpu *c, uint16_t sel);
/* RDMSR/WRMSR: raise #GP for unknown MSRs. */
uint64_t emu_rdmsr(struct emu_cpu *c, uint32_t msr);
void emu_wrmsr(struct emu_cpu *c, uint32_t msr, uint64_t val);
uint64_t emu_rdtsc(struct emu_cpu *c);
void emu_cpuid(struct emu_cpu *c, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/* IN/OUT go through c->io (the VM's bus). */
uint32_t emu_port_in(struct emu_cpu *c, uint16_t port, unsigned size);
void emu_port_out(struct emu_cpu *c, uint16_t port, unsigned size, uint32_t val);
/* Called by emu_step() at each instruction boundary when RFLAGS.IF=1 and
 * no interrupt shadow: returns an external interrupt vector to deliver now
 * (and acknowledges it), or -1. NMI is handled separately. */
int emu_pending_interrupt(struct emu_cpu *c);
/* Architectural reset/INIT state. */
void emu_cpu_reset(struct emu_cpu *c);
/* SWAPGS (emusys, emu_system.c): #UD outside 64-bit mode, #GP if CPL > 0. */
void emu_swapgs(struct emu_cpu *c);
/* Stops the vCPU for something the emulator does not implement (emusys,
 * emu_except.c): records why in c->internal_error and unwinds like
 * emu_raise(); emu_deliver() then does nothing, and the accelerator
 * returns VCPU_EXIT_INTERNAL_ERROR naming why, rip and the code bytes. */
_Noreturn void emu_internal_error(struct emu_cpu *c, const char *why);

#endif
