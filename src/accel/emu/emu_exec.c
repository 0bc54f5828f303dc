/* The software CPU's instruction loop: emu_run()/emu_step() (fault
 * recovery, interrupt checks, decoded blocks from the cache or fetch and
 * decode, dispatch to the instruction families),
 * and the operand, stack and atomic read-modify-write helpers the
 * families share. */
#include <stdatomic.h>

#include "emu_exec.h"
#include "emu_icache.h"

_Noreturn void emu_ud(struct emu_cpu *c)
{
	emu_raise_noerr(c, EXC_UD);
}

unsigned stack_addr_size(const struct emu_cpu *c)
{
	if (c->mode == MODE_LONG64)
		return 8;
	return SEG_ATTR_DB(c->seg[S_SS].attr) ? 4 : 2;
}

static void set_sp(struct emu_cpu *c, unsigned as, uint64_t sp)
{
	if (as == 2)
		c->gpr[R_SP] = (c->gpr[R_SP] & ~0xffffULL) | (sp & 0xffff);
	else
		c->gpr[R_SP] = sp & addr_mask(as);
}

void emu_push(struct emu_cpu *c, unsigned size, uint64_t v)
{
	unsigned as = stack_addr_size(c);
	uint64_t sp = (c->gpr[R_SP] - size) & addr_mask(as);

	emu_write(c, S_SS, sp, size, v);
	set_sp(c, as, sp);
}

uint64_t emu_pop(struct emu_cpu *c, unsigned size)
{
	unsigned as = stack_addr_size(c);
	uint64_t sp = c->gpr[R_SP] & addr_mask(as);
	uint64_t v = emu_read(c, S_SS, sp, size);

	set_sp(c, as, sp + size);
	return v;
}

uint64_t emu_stack_peek(struct emu_cpu *c, unsigned off, unsigned size)
{
	unsigned as = stack_addr_size(c);

	return emu_read(c, S_SS, (c->gpr[R_SP] + off) & addr_mask(as), size);
}

void emu_jump_near(struct emu_cpu *c, uint64_t target, unsigned opsize)
{
	if (opsize < 8)
		target &= size_mask(opsize);
	if (c->mode == MODE_LONG64) {
		if (!emu_is_canonical(target))
			emu_raise(c, EXC_GP, 0);
	} else if (target > c->seg[S_CS].limit) {
		emu_raise(c, EXC_GP, 0);
	}
	c->rip = target;
}

#define RMW_ATOMIC(type)                                                                     \
	do {                                                                                 \
		type *p_ = ptr;                                                              \
		type o_ = __atomic_load_n(p_, __ATOMIC_SEQ_CST);                             \
		for (;;) {                                                                   \
			uint64_t f_ = c->rflags;                                             \
			type n_ = (type)op(ctx, size, o_, &f_);                              \
			if (__atomic_compare_exchange_n(p_, &o_, n_, false, __ATOMIC_SEQ_CST, \
							__ATOMIC_SEQ_CST)) {                 \
				c->rflags = f_;                                              \
				return o_;                                                   \
			}                                                                    \
		}                                                                            \
	} while (0)

uint64_t emu_rmw_mem(struct emu_cpu *c, const struct emu_insn *in, unsigned size, emu_rmw_fn op,
		     void *ctx)
{
	uint64_t fl = c->rflags, old, val, off;

	off = emu_ea(c, in);
	if (in->lock) {
		void *ptr = emu_rmw_ptr(c, in->seg, off, size);

		if (ptr) {
			switch (size) {
			case 1: RMW_ATOMIC(uint8_t);
			case 2: RMW_ATOMIC(uint16_t);
			case 4: RMW_ATOMIC(uint32_t);
			default: RMW_ATOMIC(uint64_t);
			}
		}
	}
	old = emu_read(c, in->seg, off, size);
	val = op(ctx, size, old, &fl);
	emu_write(c, in->seg, off, size, val);
	c->rflags = fl;
	return old;
}

#define CAS_ATOMIC(type)                                                                   \
	do {                                                                               \
		type e_ = (type)*expected;                                                 \
		bool ok_ = __atomic_compare_exchange_n((type *)ptr, &e_, (type)desired,    \
						       false, __ATOMIC_SEQ_CST,            \
						       __ATOMIC_SEQ_CST);                  \
		*expected = e_;                                                            \
		return ok_;                                                                \
	} while (0)

bool emu_cmpxchg_mem(struct emu_cpu *c, int seg, uint64_t off, unsigned size, uint64_t *expected,
		     uint64_t desired)
{
	void *ptr = emu_rmw_ptr(c, seg, off, size);
	uint64_t cur;

	if (ptr) {
		switch (size) {
		case 1: CAS_ATOMIC(uint8_t);
		case 2: CAS_ATOMIC(uint16_t);
		case 4: CAS_ATOMIC(uint32_t);
		default: CAS_ATOMIC(uint64_t);
		}
	}
	cur = emu_read(c, seg, off, size);
	if (cur == (*expected & size_mask(size))) {
		emu_write(c, seg, off, size, desired);
		return true;
	}
	/* A locked compare always writes: store the old value back. */
	emu_write(c, seg, off, size, cur);
	*expected = cur;
	return false;
}

/* Whether a LOCK prefix is allowed on this instruction. */
static bool lock_allowed(const struct emu_insn *in)
{
	unsigned op = in->op, r = (in->modrm >> 3) & 7;

	if (!in->is_mem)
		return false;
	if (in->map == MAP_1B) {
		if (op < 0x38 && (op & 7) < 2)
			return true;
		switch (op) {
		case 0x80: case 0x81: case 0x82: case 0x83:
			return r != 7;
		case 0x86: case 0x87:
			return true;
		case 0xf6: case 0xf7:
			return r == 2 || r == 3;
		case 0xfe: case 0xff:
			return r < 2;
		}
		return false;
	}
	if (in->map == MAP_0F) {
		switch (op) {
		case 0xab: case 0xb3: case 0xbb: case 0xb0: case 0xb1: case 0xc0: case 0xc1:
			return true;
		case 0xba:
			return r >= 5;
		case 0xc7:
			return r == 1;
		}
	}
	return false;
}

static bool exec_nop(struct emu_cpu *c, const struct emu_insn *in)
{
	return true;
}

static bool exec_ud(struct emu_cpu *c, const struct emu_insn *in)
{
	return false;
}

static emu_exec_fn family_1b(const struct emu_insn *in)
{
	unsigned op = in->op;

	if (op < 0x40) {
		switch (op & 7) {
		case 6: case 7:
			if (op >= 0x20) /* DAA DAS AAA AAS */
				return emu_exec_alu;
			return emu_exec_move; /* PUSH/POP sreg */
		default:
			return emu_exec_alu;
		}
	}
	switch (op) {
	case 0x40 ... 0x4f: /* INC/DEC (REX in 64-bit code never gets here) */
	case 0x80 ... 0x85:
	case 0xa8: case 0xa9:
	case 0xc0: case 0xc1: case 0xd0 ... 0xd3:
	case 0xd4: case 0xd5: case 0xd6:
		return emu_exec_alu;
	case 0x69: case 0x6b:
		return emu_exec_muldiv;
	case 0xf6: case 0xf7:
		if (((in->modrm >> 3) & 7) < 4)
			return emu_exec_alu;
		return emu_exec_muldiv;
	case 0xfe:
		return emu_exec_alu;
	case 0xff:
		switch ((in->modrm >> 3) & 7) {
		case 0: case 1:
			return emu_exec_alu;
		case 6:
			return emu_exec_move;
		default:
			return emu_exec_control;
		}
	case 0x62: case 0x70 ... 0x7f: case 0x9a: case 0xc2: case 0xc3: case 0xc8 ... 0xcf:
	case 0xe0 ... 0xe3: case 0xe8 ... 0xeb: case 0xf1:
		return emu_exec_control;
	case 0x6c ... 0x6f: case 0xa4 ... 0xa7: case 0xaa ... 0xaf:
		return emu_exec_string;
	case 0xd8 ... 0xdf: case 0x9b:
		return emu_exec_x87;
	case 0xe4 ... 0xe7: case 0xec ... 0xef: case 0xf4: case 0xfa: case 0xfb:
		return emu_exec_system;
	default:
		return emu_exec_move;
	}
}

static emu_exec_fn family_0f(const struct emu_insn *in)
{
	switch (in->op) {
	case 0x00 ... 0x09: case 0x20 ... 0x23: case 0x30 ... 0x35: case 0xa2:
		return emu_exec_system;
	case 0x0d: case 0x18 ... 0x1f: /* prefetch, hints, multi-byte NOP */
		return exec_nop;
	case 0x40 ... 0x4f: case 0x90 ... 0x9f: case 0xa3: case 0xab: case 0xb3: case 0xbb:
	case 0xba: case 0xb8: case 0xbc: case 0xbd: case 0xc8 ... 0xcf:
		return emu_exec_bits;
	case 0xa4: case 0xa5: case 0xac: case 0xad: case 0xb0: case 0xb1: case 0xc0: case 0xc1:
	case 0xc7:
		return emu_exec_alu;
	case 0xaf:
		return emu_exec_muldiv;
	case 0x80 ... 0x8f:
		return emu_exec_control;
	case 0xa0: case 0xa1: case 0xa8: case 0xa9: case 0xb2: case 0xb4: case 0xb5: case 0xb6:
	case 0xb7: case 0xbe: case 0xbf:
		return emu_exec_move;
	default:
		return emu_exec_sse;
	}
}

emu_exec_fn emu_exec_family(const struct emu_insn *in)
{
	emu_exec_fn fast;

	if (in->lock && !lock_allowed(in))
		return exec_ud;
	fast = emu_exec_fast(in);
	if (fast)
		return fast;
	switch (in->map) {
	case MAP_1B:
		return family_1b(in);
	case MAP_0F:
		return family_0f(in);
	default:
		return emu_exec_sse;
	}
}

static inline void execute(struct emu_cpu *c, const struct emu_insn *in)
{
	if (!emu_exec_family(in)(c, in))
		emu_ud(c);
}

/* Records where the instruction at rip starts, for fault recovery. The
 * compiler barrier keeps the two copies apart: merged into one 16-byte
 * load, they would wait for the 8-byte stores that just wrote rip and rsp
 * (a store-forwarding stall that cost a quarter of the loop). */
static inline void mark_insn_start(struct emu_cpu *c, uint64_t rip)
{
	c->insn_rip = rip;
	__asm__ volatile("" ::: "memory");
	c->insn_rsp = c->gpr[R_SP];
}

/* One instruction fetched and decoded the uncached way. */
static void step_uncached(struct emu_cpu *c)
{
	struct emu_insn in;

	emu_decode(c, &in);
	c->rip = c->insn_rip + in.len;
	if (in.code_bits != 64)
		c->rip &= in.code_bits == 16 ? 0xffff : 0xffffffffu;
	execute(c, &in);
	c->rflags &= ~(uint64_t)FL_RF;
	c->icount++;
}

/* Runs the instructions of block b from CS:rip (its first one) on. The
 * block is left after the last instruction, or as soon as one does not
 * fall through to the next (a taken branch, a fault, REP continuing), sets
 * an interrupt shadow, stores into the block's page or touches a device
 * (MMIO sets block_break; port I/O ends blocks): so a device that stops
 * the VM from inside an instruction is seen right after it, and a kick
 * from elsewhere within EMU_BLOCK_MAX_INSN instructions, or, when
 * translated code follows links and the jump cache from block to block,
 * within emu_run()'s step budget. */
static void run_block(struct emu_cpu *c, struct emu_block *b)
{
	uint64_t mask = b->code_bits == 64 ? ~0ULL : b->code_bits == 16 ? 0xffff : 0xffffffffu;
	uint64_t left = c->run_end - c->icount;
	unsigned n = b->ninsn < left ? b->ninsn : (unsigned)left;
	const struct emu_insn *in = b->code->insn;
	const emu_exec_fn *fn = b->code->exec;

	c->code_page = b->gpa >> 12;
	c->block_break = false;
	/* Translated code runs the whole block, so only when the step budget
	 * allows all of it (emu_step() is always interpreted), and it leaves
	 * RF alone: a block entered with RF set is interpreted. */
	if (n == b->ninsn && !(c->rflags & FL_RF)) {
		/* The exit that led here asked to be linked to this block
		 * (same page: the same address translation holds). Before
		 * emu_icache_jit(), which may empty the buffer the slot is in. */
		if (c->jit_link_slot && b->jit) {
			void *chain = emu_jit_chain(b->jit);

			if (chain)
				*c->jit_link_slot = chain;
		}
		c->jit_link_slot = NULL;
		emu_jit_entry jit = emu_icache_jit(c->icache, b);

		if (jit) {
			emu_icache_remember(c->icache, c->rip, b);
			jit(c, c->code_page_host);
			c->code_page = ~0ULL;
			return;
		}
	}
	c->jit_link_slot = NULL;
	for (;;) {
		uint64_t next = (c->rip + in->len) & mask;

		c->rip = next;
		if (!(*fn)(c, in))
			emu_ud(c);
		c->rflags &= ~(uint64_t)FL_RF;
		c->icount++;
		if (--n == 0 || c->rip != next || c->block_break || c->interrupt_shadow)
			break;
		in++;
		fn++;
		mark_insn_start(c, next);
	}
	c->code_page = ~0ULL;
}

/* Whether emu_run must return now. */
static bool run_over(const struct emu_cpu *c, const _Atomic bool *stop)
{
	if (c->icount >= c->run_end || c->halted || c->triple_fault || c->internal_error ||
	    c->shutdown_request)
		return true;
	return stop && atomic_load_explicit(stop, memory_order_relaxed);
}

/* The steps of emu_run after its setjmp: the interrupt check at each
 * block boundary, then a cached block or one uncached instruction. */
static int run_steps(struct emu_cpu *c, const _Atomic bool *stop)
{
	for (;;) {
		bool shadow = c->interrupt_shadow;
		int vec;

		mark_insn_start(c, c->rip);
		c->interrupt_shadow = false;
		if ((c->rflags & FL_IF) && !shadow) {
			vec = emu_pending_interrupt(c);
			if (vec >= 0) {
				c->jit_link_slot = NULL; /* the next block is not the exit's */
				c->halted = false;
				emu_deliver(c, vec, false, 0, false, c->rip);
				c->exc_nesting = 0;
				c->run_end--; /* a step, not an instruction */
				if (run_over(c, stop))
					return c->halted ? 1 : 0;
				continue;
			}
		}
		if (c->halted)
			return 1;

		struct emu_block *b = NULL;
		if (c->icache) {
			unsigned bits = 16;

			if (c->mode == MODE_LONG64)
				bits = 64;
			else if (SEG_ATTR_DB(c->seg[S_CS].attr))
				bits = 32;
			/* A translated block known by its rip first (no link
			 * slot to fill: the jump cache is for what links miss). */
			if (bits == 64 && c->icache->jit && !c->jit_link_slot &&
			    !(c->rflags & FL_RF) && c->run_end - c->icount >= EMU_BLOCK_MAX_INSN &&
			    emu_icache_run_cached(c, c->icache)) {
				if (run_over(c, stop))
					return c->halted ? 1 : 0;
				continue;
			}
			b = emu_icache_lookup(c, c->icache, bits);
		}
		if (b) {
			run_block(c, b);
		} else {
			c->jit_link_slot = NULL;
			step_uncached(c);
		}
		if (run_over(c, stop))
			return c->halted ? 1 : 0;
	}
}

int emu_run(struct emu_cpu *c, unsigned max, const _Atomic bool *stop)
{
	if (!max)
		return c->halted ? 1 : 0;
	c->run_end = c->icount + max;
	c->pending_exc = -1;
	c->code_page = ~0ULL;
	c->jit_link_slot = NULL; /* anything may have happened since the last call */
	/* One setjmp per call, not per instruction: every instruction records
	 * insn_rip/insn_rsp, which is all the state a fault restores. The
	 * only locals used after a longjmp (c, stop) never change. */
	if (setjmp(c->fault_jmp) != 0) {
		/* A fault in the instruction (or in delivering an event):
		 * back to the instruction's start, then deliver it. A fault
		 * during that delivery comes back here; emu_deliver()
		 * escalates through exc_nesting. */
		int vec = c->pending_exc;

		c->pending_exc = -1;
		c->code_page = ~0ULL;
		c->jit_link_slot = NULL;
		c->rip = c->insn_rip;
		c->gpr[R_SP] = c->insn_rsp;
		if (vec >= 0)
			emu_deliver(c, vec, c->pending_has_err, c->pending_err, false, c->insn_rip);
		c->exc_nesting = 0;
		c->run_end--; /* a step, not an instruction */
		if (run_over(c, stop))
			return 0;
	}
	return run_steps(c, stop);
}

int emu_step(struct emu_cpu *c)
{
	return emu_run(c, 1, NULL);
}
