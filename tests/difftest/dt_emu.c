/* Interpreter side of the differential tester: a flat 64-bit user-mode
 * environment for the software CPU's core (emu_decode.c, emu_exec*.c,
 * emu_flags.c, emu_icache.c, emu_jit.c) with the same code page, scratch
 * memory and read-only page as the native side. It provides the emu_cpu.h
 * memory and system functions the core calls: memory outside those
 * regions faults (and writes to the read-only page), exceptions are
 * recorded instead of delivered, and system operations raise #UD (the
 * generator never emits them).
 *
 * Two ways to run a case. The step path (the default) calls emu_step()
 * until rip reaches the end of the code: one instruction at a time, always
 * decoded afresh and interpreted. The block path (k->block: difftest
 * --block, --via-block) calls emu_run() once with a decoded-block cache
 * (emu_icache.h) and the block translator (emu_jit.h, translating at first
 * use), as a vCPU runs: the case's code is followed by INT3 bytes, so the
 * block is the case's instructions then an INT3 (which ends a block), and
 * the budget covers all of it, so the translated code runs. The first
 * event delivered stops the run (emu_deliver() below sets
 * shutdown_request): a fault in the case (compared with the native
 * signal's state), or the #BP of the INT3 right after the case, which is
 * the normal end; natively the case ends with a jump to the harness
 * instead, so that INT3 is not compared as an instruction. The cache and
 * translator are kept from case to case (dt_emu_reuse), and the TLB,
 * which translated code reads inline, is filled as emu_mmu.c would
 * (fill_tlb). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/accel/emu/emu_cpu.h"
#include "../../src/accel/emu/emu_icache.h"
#include "dt.h"

enum dt_path dt_emu_path = DT_PATH_CASE;
bool dt_emu_no_jit;
bool dt_emu_reuse, dt_emu_last_reused;
size_t dt_emu_jit_size = 1u << 20;
unsigned dt_emu_jit_after;
struct dt_jit_totals dt_jit_totals;

struct dt_env {
	struct emu_cpu cpu; /* first: the functions below get &cpu */
	uint8_t code[4096];
	uint8_t scratch[2][4096]; /* the scratch pages, second first */
	uint8_t ro[DT_RO_SIZE];
	int exc; /* vector delivered, or -1 */
	bool stop_on_event; /* block path: the first delivery ends the run */
};

static struct dt_env *env_of(struct emu_cpu *c)
{
	return (struct dt_env *)((char *)c - offsetof(struct dt_env, cpu));
}


/* The host page of guest page lin >> 12 (any address in it), checked for
 * the access: raises #GP (non-canonical) or #PF (not mapped, or a write
 * to the read-only page) at lin. The two scratch pages are kept in
 * swapped order on the host (e->scratch[1] is the first), so an access
 * that crosses from one to the other must be split as emu_mmu.c does:
 * translated code that took it for one host run would read the wrong
 * bytes. */
static uint8_t *page_of(struct emu_cpu *c, uint64_t lin, bool write)
{
	struct dt_env *e = env_of(c);
	uint64_t page = lin & ~0xfffULL;

	if (page == DT_CODE_ADDR) {
		/* Writable, as natively (self-modifying sequences): a store
		 * into the running block's page ends the block, as the
		 * store paths of emu_mmu.c do. */
		if (write)
			emu_code_write_check(c, lin);
		return e->code;
	}
	if (page == DT_SCRATCH_ADDR || page == DT_SCRATCH_ADDR + 4096)
		return e->scratch[page == DT_SCRATCH_ADDR];
	if (page == DT_RO_ADDR && !write)
		return e->ro;
	if (!emu_is_canonical(lin))
		emu_raise(c, EXC_GP, 0);
	c->cr2 = lin;
	emu_raise(c, EXC_PF, page == DT_RO_ADDR ? 7 : write ? 6 : 4); /* user | write | present */
}

/* Host address of [off, off + len) when it is within one page, after
 * checking it; NULL when it crosses a page (after checking both). */
static uint8_t *host_addr(struct emu_cpu *c, uint64_t off, unsigned len, bool write)
{
	uint64_t last = off + len - 1;
	uint8_t *p;

	if (!emu_is_canonical(off) || !emu_is_canonical(last))
		emu_raise(c, EXC_GP, 0);
	p = page_of(c, off, write);
	if ((off >> 12) == (last >> 12))
		return p + (off & 0xfff);
	page_of(c, last, write);
	return NULL;
}

/* Copies between guest memory and buf, a page at a time, once every page
 * has been checked (so a fault writes nothing). */
static void copy_guest(struct emu_cpu *c, uint64_t off, void *buf, unsigned len, bool write)
{
	uint8_t *b = buf;

	for (uint64_t a = off; a < off + len; a = (a | 0xfff) + 1)
		page_of(c, a, write);
	while (len) {
		unsigned n = 4096 - (unsigned)(off & 0xfff);
		uint8_t *p = page_of(c, off, write) + (off & 0xfff);

		if (n > len)
			n = len;
		if (write)
			memcpy(p, b, n);
		else
			memcpy(b, p, n);
		off += n;
		b += n;
		len -= n;
	}
}

uint64_t emu_read(struct emu_cpu *c, int seg, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	copy_guest(c, off, &v, size, false);
	return v;
}

void emu_write(struct emu_cpu *c, int seg, uint64_t off, unsigned size, uint64_t val)
{
	copy_guest(c, off, &val, size, true);
}

void emu_read_bytes(struct emu_cpu *c, int seg, uint64_t off, void *dst, unsigned len)
{
	copy_guest(c, off, dst, len, false);
}

void emu_write_bytes(struct emu_cpu *c, int seg, uint64_t off, const void *src, unsigned len)
{
	copy_guest(c, off, (void *)src, len, true);
}

uint8_t emu_fetch8(struct emu_cpu *c, uint64_t off)
{
	struct dt_env *e = env_of(c);

	if (off < DT_CODE_ADDR || off >= DT_CODE_ADDR + sizeof(e->code))
		emu_raise(c, EXC_PF, 0x15);
	return e->code[off - DT_CODE_ADDR];
}

unsigned emu_fetch_bytes(struct emu_cpu *c, uint64_t off, uint8_t *dst, unsigned len,
			 uint64_t *gpa)
{
	struct dt_env *e = env_of(c);
	unsigned n;

	if (off < DT_CODE_ADDR || off >= DT_CODE_ADDR + sizeof(e->code))
		emu_raise(c, EXC_PF, 0x15);
	n = (unsigned)(DT_CODE_ADDR + sizeof(e->code) - off);
	if (n > len)
		n = len;
	memcpy(dst, e->code + (off - DT_CODE_ADDR), n);
	if (gpa)
		*gpa = off;
	return n;
}

/* For the decoded-block cache (block path): the code page is "RAM" at
 * guest-physical address == linear address, up to its end. */
const uint8_t *emu_fetch_ptr(struct emu_cpu *c, uint64_t off, uint64_t *gpa, unsigned *avail)
{
	struct dt_env *e = env_of(c);

	if (off < DT_CODE_ADDR || off >= DT_CODE_ADDR + sizeof(e->code))
		emu_raise(c, EXC_PF, 0x15);
	*gpa = off;
	*avail = (unsigned)(DT_CODE_ADDR + sizeof(e->code) - off);
	return e->code + (off - DT_CODE_ADDR);
}

uint64_t emu_read_linear(struct emu_cpu *c, uint64_t lin, unsigned size, int cpl)
{
	return emu_read(c, S_DS, lin, size);
}

void emu_write_linear(struct emu_cpu *c, uint64_t lin, unsigned size, uint64_t val, int cpl)
{
	emu_write(c, S_DS, lin, size, val);
}

/* NULL for an operand that crosses a page: the caller then reads and
 * writes (a split lock, as emu_mmu.c does). */
void *emu_rmw_ptr(struct emu_cpu *c, int seg, uint64_t off, unsigned size)
{
	return host_addr(c, off, size, true);
}

/* A run within one page for REP MOVS (NULL if it crosses one). */
const void *emu_read_ptr(struct emu_cpu *c, int seg, uint64_t off, unsigned size)
{
	return host_addr(c, off, size, false);
}

void emu_tlb_flush(struct emu_cpu *c, bool include_global)
{
}

void emu_tlb_flush_page(struct emu_cpu *c, uint64_t lin)
{
}

_Noreturn void emu_raise(struct emu_cpu *c, int vector, uint32_t err)
{
	c->pending_exc = vector;
	c->pending_has_err = false;
	c->pending_err = err;
	longjmp(c->fault_jmp, 1);
}

_Noreturn void emu_raise_noerr(struct emu_cpu *c, int vector)
{
	emu_raise(c, vector, 0);
}

void emu_deliver(struct emu_cpu *c, int vector, bool has_err, uint32_t err, bool is_soft,
		 uint64_t next_rip)
{
	struct dt_env *e = env_of(c);

	if (e->exc < 0)
		e->exc = vector;
	if (e->stop_on_event)
		c->shutdown_request = true; /* emu_run() returns after this step */
}

/* System operations: never generated; #UD if reached. */
#define UD_STUB(decl) \
	decl { emu_raise(c, EXC_UD, 0); }
UD_STUB(void emu_load_seg(struct emu_cpu *c, int seg, uint16_t sel))
UD_STUB(void emu_far_jmp(struct emu_cpu *c, uint16_t sel, uint64_t off, unsigned opsize))
UD_STUB(void emu_far_call(struct emu_cpu *c, uint16_t sel, uint64_t off, unsigned opsize,
			  uint64_t next_rip))
UD_STUB(void emu_far_ret(struct emu_cpu *c, unsigned opsize, uint16_t pop_bytes))
UD_STUB(void emu_iret(struct emu_cpu *c, unsigned opsize))
UD_STUB(void emu_syscall(struct emu_cpu *c, uint64_t next_rip))
UD_STUB(void emu_sysret(struct emu_cpu *c, unsigned opsize))
UD_STUB(void emu_sysenter(struct emu_cpu *c))
UD_STUB(void emu_sysexit(struct emu_cpu *c, unsigned opsize))
UD_STUB(void emu_write_cr(struct emu_cpu *c, int cr, uint64_t val))
UD_STUB(uint64_t emu_read_cr(struct emu_cpu *c, int cr))
UD_STUB(void emu_lgdt_lidt(struct emu_cpu *c, bool idt, uint64_t base, uint16_t limit))
UD_STUB(void emu_lldt(struct emu_cpu *c, uint16_t sel))
UD_STUB(void emu_ltr(struct emu_cpu *c, uint16_t sel))
UD_STUB(uint64_t emu_rdmsr(struct emu_cpu *c, uint32_t msr))
UD_STUB(void emu_wrmsr(struct emu_cpu *c, uint32_t msr, uint64_t val))
UD_STUB(uint64_t emu_rdtsc(struct emu_cpu *c))
UD_STUB(void emu_cpuid(struct emu_cpu *c, uint32_t leaf, uint32_t subleaf, uint32_t out[4]))
UD_STUB(uint32_t emu_port_in(struct emu_cpu *c, uint16_t port, unsigned size))
UD_STUB(void emu_port_out(struct emu_cpu *c, uint16_t port, unsigned size, uint32_t val))
UD_STUB(void emu_swapgs(struct emu_cpu *c))

void emu_update_mode(struct emu_cpu *c)
{
}

int emu_pending_interrupt(struct emu_cpu *c)
{
	return -1;
}

static enum dt_exc exc_class(int vec)
{
	switch (vec) {
	case -1: return DT_OK;
	case EXC_UD: return DT_EXC_UD;
	case EXC_DE: case EXC_XM: case EXC_MF: return DT_EXC_DE;
	case EXC_GP: case EXC_PF: case EXC_SS: case EXC_AC: return DT_EXC_GP;
	case EXC_BP: return DT_EXC_BP;
	default: return DT_EXC_OTHER;
	}
}

/* The block path's TLB (translated code reads it inline; nothing else in
 * this environment does): most cases run with the code, scratch and
 * read-only pages in it, pointing at the environment's buffers, as
 * emu_mmu.c would have filled it; a quarter without (every access takes
 * the emu_read()/emu_write() path), and a quarter with a scratch page not
 * yet dirty (stores there take that path). Chosen from the case's memory
 * seed, so a replay does the same. */
static void fill_tlb(struct dt_env *e, const struct dt_case *k)
{
	struct emu_cpu *c = &e->cpu;
	unsigned mode = (unsigned)(k->mem_seed >> 40) & 3;
	static const struct {
		uint64_t lin;
		size_t off; /* in struct dt_env */
		bool writable;
	} pages[] = {
		{DT_CODE_ADDR, offsetof(struct dt_env, code), true},
		{DT_SCRATCH_ADDR, offsetof(struct dt_env, scratch[1]), true},
		{DT_SCRATCH_ADDR + 4096, offsetof(struct dt_env, scratch[0]), true},
		{DT_RO_ADDR, offsetof(struct dt_env, ro), false},
	};

	_Static_assert(DT_SCRATCH_SIZE == 2 * 4096 && DT_RO_SIZE == 4096, "pages[]");
	for (unsigned i = 0; i < EMU_TLB_SIZE; i++)
		c->tlb[i].vpage = ~0ULL;
	if (mode == 0) {
		emu_tlb_sync_fast(c);
		return;
	}
	for (unsigned i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		struct emu_tlb_entry *t = &c->tlb[(pages[i].lin >> 12) & (EMU_TLB_SIZE - 1)];

		t->vpage = pages[i].lin >> 12;
		t->ppage = pages[i].lin >> 12; /* guest-physical == linear here */
		t->host = (uint8_t *)e + pages[i].off;
		t->user = 1;
		t->writable = pages[i].writable;
		t->dirty = !(mode == 1 && i == 1 + (k->mem_seed & 1));
		t->nx = 0;
		t->global = 0;
		t->size_shift = 0;
	}
	emu_tlb_sync_fast(c);
}

/* The step path: one emu_step() at a time until rip reaches the end of
 * the code (multi-instruction cases: x87 and block-mode sequences) or an
 * exception is delivered. */
static void run_steps(struct dt_env *e, const struct dt_case *k)
{
	struct emu_cpu *c = &e->cpu;

	for (unsigned n = 0; n < 64; n++) {
		emu_step(c);
		if (e->exc >= 0 || c->rip == DT_CODE_ADDR + k->len)
			break;
	}
}

/* The decoded-block cache (and translator) of the block-path runs, kept
 * from one case to the next (dt_emu_reuse) as a vCPU keeps its own: a
 * case with the code of the one before reruns its translations on new
 * inputs, and a case with other code finds the blocks at the same
 * addresses stale and has them decoded and translated again (and the
 * translator's buffer fills and is emptied now and then). */
static struct {
	struct emu_icache *ic;
	bool no_jit;
} kept;

void dt_emu_flush(void)
{
	struct emu_icache *ic = kept.ic;

	if (!ic)
		return;
	if (ic->jit) {
		const struct emu_jit_stats *st = emu_jit_stats(ic->jit);

		dt_jit_totals.blocks += st->blocks;
		dt_jit_totals.native += st->native;
		dt_jit_totals.called += st->called;
		dt_jit_totals.flushes += st->flushes;
	}
	emu_icache_free(ic); /* and the translator */
	kept.ic = NULL;
}

/* A cache for case k: the kept one (dt_emu_reuse), else a new one. */
static struct emu_icache *icache_for(const struct dt_case *k)
{
	struct emu_icache *ic;

	if (kept.ic && dt_emu_reuse && kept.no_jit == dt_emu_no_jit) {
		dt_jit_totals.reused++;
		dt_emu_last_reused = true;
		return kept.ic;
	}
	dt_emu_last_reused = false;
	dt_emu_flush();
	ic = emu_icache_new();
	if (!ic)
		return NULL;
	if (!dt_emu_no_jit) {
		ic->jit = emu_jit_new(dt_emu_jit_size);
		ic->jit_after = dt_emu_jit_after;
		if (ic->jit)
			dt_jit_totals.available = true;
	}
	kept.ic = ic;
	kept.no_jit = dt_emu_no_jit;
	return ic;
}

/* The block path: one emu_run() through the decoded-block cache and the
 * translator, stopped by the first event (see the top of the file). The
 * INT3 after the case delivers #BP with rip after it: that is the normal
 * end, and rip is put back on the INT3 (where the native run ends). */
static void run_blocks(struct dt_env *e, const struct dt_case *k)
{
	struct emu_cpu *c = &e->cpu;
	struct emu_icache *ic = icache_for(k);

	if (!ic) {
		e->exc = EXC_MC; /* "other" */
		return;
	}
	c->icache = ic;
	e->stop_on_event = true;
	/* Well over the case's instructions plus the INT3: a block of the
	 * case always fits the budget, so it is translated and run whole. */
	emu_run(c, 1000, NULL);
	if (e->exc == EXC_BP && c->rip == DT_CODE_ADDR + k->len + 1) {
		e->exc = -1;
		c->rip = DT_CODE_ADDR + k->len;
		c->icount--; /* the INT3 is not the case's */
	}
	dt_jit_totals.runs++;
	c->icache = NULL;
}

void dt_emu_run(const struct dt_case *k, struct dt_result *res)
{
	struct dt_env *e = calloc(1, sizeof(*e));
	struct emu_cpu *c;
	bool block = dt_emu_path == DT_PATH_BLOCK || (dt_emu_path == DT_PATH_CASE && k->block);

	if (!e) {
		res->exc = DT_EXC_OTHER;
		return;
	}
	memset(e->code, 0xcc, sizeof(e->code));
	memcpy(e->code, k->code, k->len);
	dt_fill_mem(res->mem, k->mem_seed); /* guest order; res->mem as scratch */
	memcpy(e->scratch[1], res->mem, 4096);
	memcpy(e->scratch[0], res->mem + 4096, 4096);
	dt_fill_ro(e->ro);
	e->exc = -1;
	c = &e->cpu;
	c->mode = MODE_LONG64;
	c->cpl = 3;
	c->cr0 = 0x80050033;
	c->cr4 = 0x6f0;
	c->efer = 0xd01;
	c->seg[S_CS].attr = 0xfb | (1 << 9); /* code, DPL 3, present, L */
	c->seg[S_SS].attr = 0xf3;
	memcpy(c->gpr, k->in.gpr, sizeof(c->gpr));
	c->rflags = k->in.rflags | 2;
	memcpy(c->fpu.xmm, k->in.xmm, sizeof(c->fpu.xmm));
	c->fpu.mxcsr = k->in.mxcsr;
	/* x87/MMX registers as the native harness leaves them: loaded by
	 * MOVQ (exponent bits all ones), then EMMS (TOP 0, every tag empty). */
	c->fpu.fcw = 0x37f;
	c->fpu.ftw = 0xffff;
	for (unsigned i = 0; i < 8; i++) {
		memcpy(c->fpu.st[i], &k->in.mm[i], 8);
		c->fpu.st[i][8] = c->fpu.st[i][9] = 0xff;
	}
	c->rip = DT_CODE_ADDR;
	if (block) {
		fill_tlb(e, k);
		run_blocks(e, k);
	} else {
		run_steps(e, k);
	}
	res->exc = exc_class(e->exc);
	if (res->exc == DT_OK && c->rip != DT_CODE_ADDR + k->len)
		res->exc = DT_EXC_OTHER; /* a jump somewhere: not generated */
	/* At an exception, the state is that of the start of the faulting
	 * instruction (emu_run() restores rip and rsp). */
	res->fault_state = res->exc != DT_OK;
	res->fault_rip = c->rip;
	res->icount = c->icount;
	memcpy(res->out.gpr, c->gpr, sizeof(c->gpr));
	res->out.rflags = c->rflags;
	memcpy(res->out.xmm, c->fpu.xmm, sizeof(c->fpu.xmm));
	res->out.mxcsr = c->fpu.mxcsr;
	for (unsigned i = 0; i < 8; i++)
		memcpy(&res->out.mm[i], c->fpu.st[i], 8);
	memset(res->out.fenv, 0, sizeof(res->out.fenv));
	memcpy(res->out.fenv + 4, &c->fpu.fsw, 2);
	memcpy(res->out.fenv + 8, &c->fpu.ftw, 2);
	memcpy(res->mem, e->scratch[1], 4096);
	memcpy(res->mem + 4096, e->scratch[0], 4096);
	free(e);
}
