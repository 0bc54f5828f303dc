/* The software CPU's block translator: x86-64 host code for a decoded
 * block (see emu_jit.h for what it promises).
 *
 * Translated code is a function void f(struct emu_cpu *c, page). Inside
 * it rbx holds c, r12 the rip of the block's first instruction (the block
 * is keyed by guest-physical address, so the same code serves every
 * linear alias: each instruction's rip is r12 + its offset), r14 the host
 * address of the block's guest page and r15 the fast TLB the block's
 * memory accesses use (emit_view()). The guest registers the block uses
 * most live in r8-r11 and rbp, and the guest's arithmetic flags in r13 from the
 * block's start to its exits (choose_cached(), cache_store(),
 * cache_load()); the others stay in struct emu_cpu. rax, rcx, rdx, rsi
 * and rdi are scratch. The stack is 16-byte aligned at every call. Links,
 * the jump cache's dispatch code and the entry from C at a link entry all
 * keep that frame (frame_enter: six saved registers), so every exit
 * restores it.
 *
 * Flags. A translated ALU instruction runs the same operation on the
 * host, which sets the flags the guest instruction defines exactly as the
 * guest CPU would (and its undefined ones as this host does), and copies
 * them (pushfq) into r13. A backward pass over the block leaves that copy
 * out where nothing can see the flags before the next instruction
 * overwrites them: no reader (ADC, SBB, Jcc, SETcc, CMOVcc), no possible
 * fault (memory access), no call and no exit in between.
 *
 * Memory. Each access has a fast path (fast_access(): one fast-TLB
 * compare, host address by one add) and, per instruction, a slow path
 * that runs the whole instruction in the interpreter (emit_slow_paths()).
 *
 * Faults. The fast path cannot fault. Everything that may (slow paths,
 * called instructions, checks that raise) stores the cached registers and
 * records rip, rsp and the instruction count first (as emu_run() does),
 * and guest state changes only after the last possible miss or fault, so
 * the longjmp from emu_raise() finds the state of the instruction's
 * start. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "emu_icache.h"
#include "emu_jit.h"

#if defined(__x86_64__)

#include <sys/mman.h>
#include <unistd.h>

#include "emu_jit_x86.h"

#define CPU(field) ((int32_t)offsetof(struct emu_cpu, field))
#define GPR(r) (CPU(gpr) + 8 * (int32_t)(r))
#define TLB(field) (CPU(tlb) + (int32_t)offsetof(struct emu_tlb_entry, field))

/* The code buffer is one memory file mapped twice, never writable and
 * executable at once: the translator writes through buf, the CPU runs it
 * at exec (the same offset). Link slots and the called instructions'
 * copies, which are written or read as data, live in a separate
 * read-write buffer. */
struct emu_jit {
	uint8_t *buf, *exec;
	size_t size, used;
	size_t base; /* bytes at the start kept across resets (the entries below) */
	uint8_t *dispatch; /* emit_dispatch() */
	uint8_t *data;
	size_t data_size, data_used;
	struct emu_jit_stats stats;
};

/* Where the code the translator wrote at p runs. */
static uint8_t *exec_addr(const struct emu_jit *j, const uint8_t *p)
{
	return j->exec + (p - j->buf);
}

static void emit_dispatch(struct jasm *a);

/* The frame of translated code, made by every entry from C: the
 * callee-saved registers it uses, and the stack 16-byte aligned again. */
static const uint8_t frame_enter[] = {
	0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, /* push rbx rbp r12-r15 */
	0x48, 0x83, 0xec, 0x08,                                     /* sub rsp, 8 */
};

/* The entry from C at a link entry: emu_jit_enter_linked() (emu_jit.h).
 * Sets up the frame every translation's code uses (saved registers, rbx =
 * c, r14 = page, r12 = c->rip, rdx = no link slot) and jumps to chain. */
static size_t emit_enter_linked(uint8_t *p)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xfb,                                     /* mov rbx, rdi */
		0x49, 0x89, 0xf6,                                     /* mov r14, rsi */
		0x4c, 0x8b, 0xa3, 0, 0, 0, 0,                         /* mov r12, [rbx + rip] */
		0x48, 0x89, 0xd0,                                     /* mov rax, rdx */
		0x31, 0xd2,                                           /* xor edx, edx */
		0xff, 0xe0,                                           /* jmp rax */
	};
	int32_t rip = CPU(rip);

	memcpy(p, frame_enter, sizeof(frame_enter));
	memcpy(p + sizeof(frame_enter), code, sizeof(code));
	memcpy(p + sizeof(frame_enter) + 9, &rip, 4);
	return (sizeof(frame_enter) + sizeof(code) + 15) & ~(size_t)15;
}

/* Room a block's code and data may need at most: checked before
 * translating. */
#define BLOCK_CODE_MAX 32768
#define BLOCK_DATA_MAX ((EMU_BLOCK_MAX_INSN + 1) * (sizeof(uint64_t) + sizeof(struct emu_insn)))


struct emu_jit *emu_jit_new(size_t bytes)
{
	struct emu_jit *j;

	if (bytes < 2 * BLOCK_CODE_MAX)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	int fd = memfd_create("vslice-emu-jit", MFD_CLOEXEC);

	j->buf = j->exec = j->data = MAP_FAILED;
	j->data_size = bytes / 2;
	if (fd >= 0 && ftruncate(fd, (off_t)bytes) == 0) {
		j->buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		j->exec = mmap(NULL, bytes, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
		j->data = mmap(NULL, j->data_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (fd >= 0)
		close(fd);
	j->size = bytes;
	if (j->buf == MAP_FAILED || j->exec == MAP_FAILED || j->data == MAP_FAILED) {
		emu_jit_free(j);
		return NULL;
	}
	j->base = emit_enter_linked(j->buf);
	j->dispatch = j->buf + j->base;
	struct jasm a = {.p = j->dispatch, .end = j->buf + BLOCK_CODE_MAX};
	emit_dispatch(&a);
	j->base = j->used = ((size_t)(a.p - j->buf) + 15) & ~(size_t)15;
	return j;
}

void emu_jit_enter_linked(struct emu_jit *j, struct emu_cpu *c, const uint8_t *page, void *chain)
{
	void (*enter)(struct emu_cpu *, const uint8_t *, void *) =
	    (void (*)(struct emu_cpu *, const uint8_t *, void *))(void *)j->exec;

	enter(c, page, chain);
}

void emu_jit_free(struct emu_jit *j)
{
	if (!j)
		return;
	if (j->buf != MAP_FAILED)
		munmap(j->buf, j->size);
	if (j->exec != MAP_FAILED)
		munmap(j->exec, j->size);
	if (j->data != MAP_FAILED)
		munmap(j->data, j->data_size);
	free(j);
}

void emu_jit_reset(struct emu_jit *j)
{
	j->used = j->base;
	j->data_used = 0;
	j->stats.flushes++;
}

const struct emu_jit_stats *emu_jit_stats(const struct emu_jit *j)
{
	return &j->stats;
}

/* ---- what each instruction becomes ---- */

enum kind {
	K_CALL,  /* a call to the interpreter's handler */
	K_NOP,
	K_ALU,   /* ADD OR ADC SBB AND SUB XOR CMP, and TEST (as AND, no store) */
	K_UNARY, /* INC DEC NOT NEG on a register (aop 0-3) */
	K_SHIFT, /* ROL ROR SHL SHR SAR on a register */
	K_MOV,
	K_MOVX,  /* MOVZX, MOVSX, MOVSXD */
	K_LEA,
	K_SETCC, /* on a register */
	K_CMOV,
	K_JCC,
	K_JMP,   /* JMP rel */
	K_PUSH,  /* PUSH r64, POP r64, CALL rel32 and RET in 64-bit code */
	K_POP,
	K_CALLREL,
	K_RET,
};

enum { O_NONE, O_REG, O_IMM, O_MEM };

struct plan {
	uint8_t kind;
	uint8_t size;     /* operand size (of the destination) */
	uint8_t ssize;    /* K_MOVX: source size */
	uint8_t aop;      /* ALU op, unary op, shift op */
	uint8_t dst, src; /* O_* */
	uint8_t dreg, sreg;
	bool nostore;     /* CMP, TEST */
	bool sx;          /* K_MOVX: sign-extend */
	bool by_cl;       /* K_SHIFT: count in CL */
	bool barrier;     /* may fault, calls out or leaves the block */
	bool save_flags;  /* from the liveness pass */
	uint16_t writes;  /* flags the host operation sets for the guest */
	uint16_t kills;   /* flags certainly overwritten */
	uint16_t reads;   /* flags read */
	uint64_t imm;
};

#define ARITH ((uint16_t)FL_ARITH)

/* Plan builders: the kind and size, then each operand. */
static void set_kind(struct plan *p, enum kind k, unsigned aop, unsigned size)
{
	p->kind = k;
	p->aop = (uint8_t)aop;
	p->size = (uint8_t)size;
}

static void dst_reg(struct plan *p, unsigned r)
{
	p->dst = O_REG;
	p->dreg = (uint8_t)r;
}

static void dst_rm(struct plan *p, const struct emu_insn *in)
{
	p->dst = in->is_mem ? O_MEM : O_REG;
	p->dreg = in->rm;
}

static void src_reg(struct plan *p, unsigned r)
{
	p->src = O_REG;
	p->sreg = (uint8_t)r;
}

static void src_rm(struct plan *p, const struct emu_insn *in)
{
	p->src = in->is_mem ? O_MEM : O_REG;
	p->sreg = in->rm;
}

static void src_imm(struct plan *p, uint64_t imm)
{
	p->src = O_IMM;
	p->imm = imm;
}

/* Fills p for in; leaves K_CALL for everything not translated. */
static void classify(const struct emu_insn *in, struct plan *p)
{
	unsigned op = in->op, r = (in->modrm >> 3) & 7, sz = in->opsize;
	unsigned wsz = (op & 1) ? sz : 1; /* opcode bit 0: byte or full size */

	memset(p, 0, sizeof(*p));
	p->kind = K_CALL;
	if (in->lock)
		return;
	if (in->map == MAP_1B) {
		if (op < 0x40 && (op & 7) < 6) {
			set_kind(p, K_ALU, op >> 3, wsz);
			switch (op & 7) {
			case 0: case 1:
				dst_rm(p, in);
				src_reg(p, in->reg);
				break;
			case 2: case 3:
				dst_reg(p, in->reg);
				src_rm(p, in);
				break;
			default:
				dst_reg(p, R_AX);
				src_imm(p, in->imm);
				break;
			}
			p->nostore = p->aop == 7;
			return;
		}
		switch (op) {
		case 0x40 ... 0x4f: /* INC/DEC r (not 64-bit code: REX there) */
			if (in->code_bits == 64)
				return;
			set_kind(p, K_UNARY, (op >> 3) & 1, sz);
			dst_reg(p, op & 7);
			return;
		case 0x80: case 0x81: case 0x83:
			set_kind(p, K_ALU, r, op == 0x80 ? 1 : sz);
			dst_rm(p, in);
			src_imm(p, in->imm);
			p->nostore = r == 7;
			return;
		case 0x84: case 0x85: /* TEST r/m, r: AND without the store */
			set_kind(p, K_ALU, 4, wsz);
			dst_rm(p, in);
			src_reg(p, in->reg);
			p->nostore = true;
			return;
		case 0xa8: case 0xa9:
			set_kind(p, K_ALU, 4, wsz);
			dst_reg(p, R_AX);
			src_imm(p, in->imm);
			p->nostore = true;
			return;
		case 0xf6: case 0xf7:
			if (r < 2) {
				set_kind(p, K_ALU, 4, wsz);
				dst_rm(p, in);
				src_imm(p, in->imm);
				p->nostore = true;
			} else if (r < 4 && !in->is_mem) {
				set_kind(p, K_UNARY, r, wsz);
				dst_reg(p, in->rm);
			}
			return;
		case 0xfe: case 0xff:
			if (r < 2 && !in->is_mem) {
				set_kind(p, K_UNARY, r, wsz);
				dst_reg(p, in->rm);
			}
			return;
		case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3:
			if (in->is_mem || r == 2 || r == 3)
				return; /* RCL/RCR read CF: interpreted */
			set_kind(p, K_SHIFT, r == 6 ? 4 : r, wsz); /* SAL is SHL */
			dst_reg(p, in->rm);
			p->by_cl = op >= 0xd2;
			p->imm = op >= 0xd0 ? 1 : (in->imm & 0xff);
			return;
		case 0x88: case 0x89:
			set_kind(p, K_MOV, 0, wsz);
			dst_rm(p, in);
			src_reg(p, in->reg);
			return;
		case 0x8a: case 0x8b:
			set_kind(p, K_MOV, 0, wsz);
			dst_reg(p, in->reg);
			src_rm(p, in);
			return;
		case 0xb0 ... 0xbf:
			set_kind(p, K_MOV, 0, op >= 0xb8 ? sz : 1);
			dst_reg(p, (op & 7) | ((in->rex & 1) << 3));
			src_imm(p, in->imm);
			return;
		case 0xc6: case 0xc7:
			if (r != 0)
				return;
			set_kind(p, K_MOV, 0, wsz);
			dst_rm(p, in);
			src_imm(p, in->imm);
			return;
		case 0x8d:
			if (!in->is_mem)
				return;
			set_kind(p, K_LEA, 0, sz);
			dst_reg(p, in->reg);
			return;
		case 0x63: /* MOVSXD r64, r/m32 */
			if (in->code_bits != 64 || !(in->rex & 8))
				return;
			set_kind(p, K_MOVX, 0, 8);
			p->ssize = 4;
			p->sx = true;
			dst_reg(p, in->reg);
			src_rm(p, in);
			return;
		case 0x50 ... 0x57: case 0x58 ... 0x5f:
			if (in->code_bits != 64 || in->pfx66)
				return;
			p->kind = op < 0x58 ? K_PUSH : K_POP;
			p->dreg = (op & 7) | ((in->rex & 1) << 3);
			return;
		case 0xe8:
			if (in->code_bits == 64) {
				p->kind = K_CALLREL;
				p->imm = in->imm;
			}
			return;
		case 0xc3:
			if (in->code_bits == 64)
				p->kind = K_RET;
			return;
		case 0x90: /* NOP, not XCHG r8 or PAUSE */
			if (!(in->rex & 1) && in->rep != 0xf3)
				p->kind = K_NOP;
			return;
		case 0x70 ... 0x7f:
			p->kind = K_JCC;
			p->imm = in->imm;
			return;
		case 0xe9: case 0xeb:
			p->kind = K_JMP;
			p->imm = in->imm;
			return;
		default:
			return;
		}
	}
	if (in->map != MAP_0F)
		return;
	switch (op) {
	case 0x80 ... 0x8f:
		p->kind = K_JCC;
		p->imm = in->imm;
		return;
	case 0x90 ... 0x9f:
		if (in->is_mem)
			return;
		set_kind(p, K_SETCC, 0, 1);
		dst_reg(p, in->rm);
		return;
	case 0x40 ... 0x4f:
		set_kind(p, K_CMOV, 0, sz);
		dst_reg(p, in->reg);
		src_rm(p, in);
		return;
	case 0xb6: case 0xb7: case 0xbe: case 0xbf:
		set_kind(p, K_MOVX, 0, sz);
		p->ssize = (op & 1) ? 2 : 1;
		p->sx = op >= 0xbe;
		dst_reg(p, in->reg);
		src_rm(p, in);
		return;
	case 0x1f: /* multi-byte NOP: no memory access */
		p->kind = K_NOP;
		return;
	default:
		return;
	}
}

/* Flags each kind reads and writes, and whether it is a barrier. */
static void flag_effects(struct plan *p)
{
	switch (p->kind) {
	case K_ALU:
		p->writes = p->kills = ARITH;
		p->reads = (p->aop == 2 || p->aop == 3) ? FL_CF : 0;
		break;
	case K_UNARY:
		if (p->aop < 2)
			p->writes = p->kills = ARITH & ~FL_CF;
		else if (p->aop == 3)
			p->writes = p->kills = ARITH;
		break;
	case K_SHIFT: {
		uint16_t w = p->aop < 2 ? (uint16_t)(FL_CF | FL_OF) : ARITH;
		unsigned mask = p->size == 8 ? 63 : 31;

		if (p->by_cl) {
			p->writes = w; /* unless CL is 0: kills nothing for sure */
		} else if (p->imm & mask) {
			p->writes = p->kills = w;
		}
		break;
	}
	case K_SETCC:
	case K_CMOV:
		p->reads = ARITH;
		break;
	default:
		break;
	}
	p->barrier = p->kind == K_CALL || p->kind == K_JCC || p->kind == K_JMP ||
		     p->kind >= K_PUSH || p->dst == O_MEM || p->src == O_MEM;
}

/* Whether the instruction accesses memory (it then has a fast path and
 * a slow path). */
static bool touches_memory(const struct plan *p)
{
	return p->kind != K_CALL && p->kind != K_LEA &&
	       (p->dst == O_MEM || p->src == O_MEM || p->kind >= K_PUSH);
}

/* ---- code generation ---- */

struct exit_fix {
	uint8_t *at;      /* jump displacement to point at the exit code */
	uint8_t n;        /* instructions completed and not yet counted */
	bool set_rip;     /* store rip = r12 + rip_off (else c->rip is set) */
	bool dispatch;    /* on through emit_dispatch() rather than return */
	bool stored;      /* the cached registers are in memory already */
	uint16_t rip_off;
};

struct taken_fix {
	uint8_t *at;
	uint8_t n, counted;
	uint16_t off, next_off; /* of the Jcc */
	uint8_t opsize;
	uint64_t rel;
};

/* The slow path of an instruction with a fast path for its memory
 * access: the whole instruction in the interpreter, then back to the end
 * of the instruction's code (or out of the block). */
struct slow_fix {
	uint8_t *at[2];  /* the jumps to it */
	unsigned nat;
	uint8_t *back;
	uint8_t k, counted;
	uint16_t off, next_off;
	bool leaves;     /* the instruction ends the block */
};

#define MAX_EXITS (EMU_BLOCK_MAX_INSN * 3 + 2)

struct jctx {
	struct jasm a;
	const struct emu_block *b;
	unsigned code_bits;
	unsigned k;              /* instruction being translated */
	uint16_t off, next_off;  /* its offset and the next one's */
	bool marked;             /* insn_rip/insn_rsp recorded for it */
	unsigned counted;        /* instructions added to c->icount so far */
	struct exit_fix exits[MAX_EXITS];
	unsigned nexits;
	struct taken_fix taken[EMU_BLOCK_MAX_INSN];
	unsigned ntaken;
	uint8_t *ud_at[EMU_BLOCK_MAX_INSN];
	unsigned nud;
	struct slow_fix slow[EMU_BLOCK_MAX_INSN];
	unsigned nslow;
	uint32_t segs_read, segs_written; /* by fast paths (1 << segment) */
	const uint8_t *dispatch;    /* emit_dispatch() */
	struct emu_insn *insn_copy; /* data area: the called instructions */
	unsigned ncopies;
	uint64_t *slots;            /* data area: link slots */
	unsigned nslots, max_slots;
	uint8_t *body;              /* where the block's code starts (emit_view()) */
	uint8_t *body_loop;         /* the same after emit_view() */
	bool calls;                 /* the block has called instructions */
	int8_t host_of[16];         /* guest register -> host register, -1 */
	uint16_t cached;            /* guest registers kept in host ones */
	bool regs_in_memory;        /* exits made now need not store them */
	bool flags_cached;          /* rflags lives in r13 (read or written) */
	bool flags_written;         /* and the block may change it */
	bool host_flags;            /* the host's flags are the guest's (set by
				     * flags_after(), valid for the next
				     * instruction only) */
};

/* Restores the host registers the entry saved and returns. */
static void epilogue(struct jasm *a)
{
	static const uint8_t pops[] = {
		0x48, 0x83, 0xc4, 0x08,                                     /* add rsp, 8 */
		0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, /* pop r15-r12 rbp rbx */
		0xc3,                                                       /* ret */
	};

	for (unsigned i = 0; i < sizeof(pops); i++)
		j8(a, pops[i]);
}

static void emit_epilogue(struct jctx *x)
{
	epilogue(&x->a);
}

#define JC(field) ((int32_t)(offsetof(struct emu_icache, jcache) + \
			     offsetof(struct emu_jcache_entry, field)))

/* The TLB entry for the linear address in rdx, as emu_tlb_hit() finds it
 * with the privilege check of an access at the current CPL: leaves rax =
 * rdx >> 12 and entry = c + its index * its size (fields at TLB(field)),
 * and adds to miss[] the jumps taken when it does not hold that page or
 * refuses a CPL 3 access. */
static void tlb_lookup(struct jasm *a, unsigned entry, uint8_t **miss, unsigned *n)
{
	uint8_t *user_ok;

	j_mov_rr(a, H_AX, H_DX);
	j_shift(a, 8, 5, H_AX, false, 12);                    /* rax = page */
	j_op_reg(a, 4, "\x89", 1, H_AX, entry);
	j_alu_ri(a, 4, 4, entry, EMU_TLB_SIZE - 1);
	j_op_reg(a, 4, "\x6b", 1, entry, entry);               /* imul entry, entry, imm8 */
	j8(a, (uint8_t)sizeof(struct emu_tlb_entry));
	j_alu_rr(a, 8, 0, entry, H_BX);
	j_op_mem(a, 8, "\x3b", 1, H_AX, entry, TLB(vpage));    /* cmp rax, [vpage] */
	miss[(*n)++] = j_jump(a, 0x5);
	j_op_mem(a, 4, "\x83", 1, 7, H_BX, CPU(cpl));          /* cmp dword [cpl], 3 */
	j8(a, 3);
	user_ok = j_jump(a, 0x5);
	j_cmp8_mem_imm(a, entry, TLB(user), 0);
	miss[(*n)++] = j_jump(a, 0x4);
	j_patch(user_ok, a->p);
}

/* Shared by every translation's exits to an address known only at run
 * time, in 64-bit code (RET, CALL and branches to other pages): c->rip is
 * set and the instructions counted. Within emu_run()'s step budget, the
 * jump cache entry for c->rip (emu_icache_run_cached() in emu_icache.c,
 * the same checks: TLB entry for rip executable at this privilege, RAM,
 * the page the entry was made for) is entered at its link entry, which
 * compares its bytes; else back to the dispatcher. */
static void emit_dispatch(struct jasm *a)
{
	uint8_t *out[10];
	unsigned n = 0;

	j_load(a, 8, H_AX, H_BX, CPU(icount));
	j_op_mem(a, 8, "\x3b", 1, H_AX, H_BX, CPU(run_end));
	out[n++] = j_jump(a, 0x3);                               /* jae */
	j_load(a, 8, H_DX, H_BX, CPU(rip));
	j_mov_rr(a, H_AX, H_DX);
	j_mov_imm(a, H_CX, 0x9e3779b97f4a7c15ULL);
	j_op_reg(a, 8, "\x0f\xaf", 2, H_AX, H_CX);              /* imul rax, rcx */
	j_shift(a, 8, 5, H_AX, false, 64 - 12);
	_Static_assert(EMU_JCACHE_SIZE == 4096, "12 bits of hash");
	j_op_reg(a, 4, "\x6b", 1, H_AX, H_AX);                   /* imul eax, eax, size */
	j8(a, (uint8_t)sizeof(struct emu_jcache_entry));
	j_load(a, 8, H_CX, H_BX, CPU(icache));
	j_alu_rr(a, 8, 0, H_CX, H_AX);                            /* rcx = entry - jcache */
	j_op_mem(a, 8, "\x3b", 1, H_DX, H_CX, JC(rip));           /* cmp rdx, [rip] */
	out[n++] = j_jump(a, 0x5);
	j_load(a, 8, H_SI, H_CX, JC(chain));
	j_op_reg(a, 8, "\x85", 1, H_SI, H_SI);
	out[n++] = j_jump(a, 0x4);
	tlb_lookup(a, H_DI, out, &n);
	j_cmp8_mem_imm(a, H_DI, TLB(nx), 0);
	out[n++] = j_jump(a, 0x5);
	j_load(a, 8, H_AX, H_DI, TLB(ppage));
	j_op_mem(a, 8, "\x3b", 1, H_AX, H_CX, JC(ppage));
	out[n++] = j_jump(a, 0x5);
	j_load(a, 8, H_R14, H_DI, TLB(host));
	j_op_reg(a, 8, "\x85", 1, H_R14, H_R14);
	out[n++] = j_jump(a, 0x4);
	j_store(a, 8, H_AX, H_BX, CPU(code_page));
	j_mov_rr(a, H_R12, H_DX);
	j_mov_imm(a, H_DX, 0);
	j8(a, 0xff); j8(a, 0xe6);                                 /* jmp rsi */
	for (unsigned i = 0; i < n; i++)
		j_patch(out[i], a->p);
	epilogue(a);
}

/* reg = the guest rip at block offset off, wrapped to the code size. */
static void rip_at(struct jctx *x, unsigned reg, uint16_t off)
{
	j_lea(&x->a, reg, H_R12, off);
	if (x->code_bits == 32)
		j_op_reg(&x->a, 4, "\x89", 1, reg, reg);      /* mov r32, r32 */
	else if (x->code_bits == 16)
		j_op_reg(&x->a, 4, "\x0f\xb7", 2, reg, reg);  /* movzx r32, r16 */
}

static void exit_to(struct jctx *x, int cc, unsigned n, bool set_rip, uint16_t rip_off)
{
	struct exit_fix *e;

	if (x->nexits == MAX_EXITS) {
		x->a.overflow = true;
		return;
	}
	e = &x->exits[x->nexits++];
	e->at = j_jump(&x->a, cc);
	e->n = (uint8_t)(n - x->counted);
	e->set_rip = set_rip;
	e->dispatch = false;
	e->stored = x->regs_in_memory;
	e->rip_off = rip_off;
}

/* Leaves, c->rip set, n instructions completed, for an address known
 * only at run time: on through the jump cache in 64-bit code. */
static void exit_dynamic(struct jctx *x, unsigned n)
{
	exit_to(x, -1, n, false, 0);
	if (x->code_bits == 64 && x->nexits)
		x->exits[x->nexits - 1].dispatch = true;
}

/* ---- guest registers in host registers ----
 * The guest registers a block uses most live in these host registers
 * from the block's start (after emit_view()) to its exits: loaded there,
 * stored back before every exit and before every call to C that may read
 * them (called instructions, slow paths, emu_raise()), and reloaded after
 * one that may change them. */
static const uint8_t cache_pool[] = { H_R8, H_R9, H_R10, H_R11, H_BP };

static void cache_store(struct jctx *x)
{
	for (unsigned r = 0; r < 16; r++)
		if (x->cached & (1u << r))
			j_store(&x->a, 8, (unsigned)x->host_of[r], H_BX, GPR(r));
	if (x->flags_written) { /* the arithmetic flags of r13 (uses rax) */
		j_mov_rr(&x->a, H_AX, H_R13);
		j_alu_ri(&x->a, 4, 4, H_AX, ARITH);
		j_alu_mem_imm(&x->a, 4, H_BX, CPU(rflags), (int32_t)~(uint32_t)ARITH);
		j_op_mem(&x->a, 8, "\x09", 1, H_AX, H_BX, CPU(rflags)); /* or [rflags], rax */
	}
}

static void cache_load(struct jctx *x)
{
	for (unsigned r = 0; r < 16; r++)
		if (x->cached & (1u << r))
			j_load(&x->a, 8, (unsigned)x->host_of[r], H_BX, GPR(r));
	if (x->flags_cached)
		j_load(&x->a, 8, H_R13, H_BX, CPU(rflags));
}

/* host reg h = all of guest register r. */
static void greg_full_load(struct jctx *x, unsigned r, unsigned h)
{
	if (x->host_of[r] >= 0)
		j_mov_rr(&x->a, h, (unsigned)x->host_of[r]);
	else
		j_load(&x->a, 8, h, H_BX, GPR(r));
}

/* all of guest register r = host reg h. */
static void greg_full_store(struct jctx *x, unsigned r, unsigned h)
{
	if (x->host_of[r] >= 0) {
		j_mov_rr(&x->a, (unsigned)x->host_of[r], h);
	} else {
		j_store(&x->a, 8, h, H_BX, GPR(r));
	}
}

/* guest register r += imm (all 64 bits; flags are not the guest's). */
static void greg_full_add(struct jctx *x, unsigned r, int32_t imm)
{
	if (x->host_of[r] >= 0) {
		j_alu_ri(&x->a, 8, 0, (unsigned)x->host_of[r], imm);
	} else {
		j_alu_mem_imm(&x->a, 0, H_BX, GPR(r), imm);
	}
}

/* Records the start of the instruction for fault recovery, before
 * anything that may raise (a call to C): its rip and rsp, and the
 * instructions before it counted, so that c->icount is right if it
 * faults. */
static void mark_start(struct jctx *x)
{
	if (x->marked)
		return;
	x->marked = true;
	if (x->k > x->counted) {
		j_op_mem(&x->a, 8, "\x83", 1, 0, H_BX, CPU(icount)); /* add qword [icount], imm8 */
		j8(&x->a, (uint8_t)(x->k - x->counted));
	}
	x->counted = x->k;
	rip_at(x, H_AX, x->off);
	j_store(&x->a, 8, H_AX, H_BX, CPU(insn_rip));
	greg_full_load(x, R_SP, H_AX);
	j_store(&x->a, 8, H_AX, H_BX, CPU(insn_rsp));
}

/* The whole guest register an operand names, and the operand's byte
 * offset in it: AH, CH, DH, BH are byte 1 of registers 0-3 when there is
 * no REX. */
static unsigned greg_whole(const struct emu_insn *in, unsigned r, unsigned size,
			   unsigned *byte)
{
	*byte = size == 1 && !in->rex && r >= 4 && r < 8;
	return *byte ? r - 4 : r;
}

/* Where the operand lives in struct emu_cpu. */
static int32_t greg(const struct emu_insn *in, unsigned r, unsigned size)
{
	unsigned byte, w = greg_whole(in, r, size, &byte);

	return GPR(w) + (int32_t)byte;
}

/* Counts a use of guest register r (size bytes, as named by in). */
static void count_use(const struct emu_insn *in, unsigned r, unsigned size, unsigned uses[16],
		      unsigned weight)
{
	unsigned byte, w = greg_whole(in, r, size, &byte);

	uses[w] += weight;
}

/* Which guest registers the block keeps in host registers: the ones its
 * translated instructions use most, counting the ones in a loop back to
 * the block's start many times (x->host_of, cached). All of them are
 * stored back at exits, changed or not: nothing needs to know which
 * instructions write which. */
static void choose_cached(struct jctx *x, const struct plan *plan)
{
	unsigned uses[16] = {0}, loop_end = 0;
	uint16_t off = 0;
	const struct emu_block *b = x->b;

	for (unsigned k = 0; k < b->ninsn; k++) {
		off = (uint16_t)(off + b->code->insn[k].len);
		if ((plan[k].kind == K_JCC || plan[k].kind == K_JMP) && off + plan[k].imm == 0)
			loop_end = k + 1; /* (imm is the 64-bit displacement) */
	}
	memset(x->host_of, -1, sizeof(x->host_of));
	for (unsigned k = 0; k < b->ninsn; k++) {
		const struct emu_insn *in = &b->code->insn[k];
		const struct plan *p = &plan[k];
		bool mem = p->dst == O_MEM || p->src == O_MEM || p->kind == K_LEA;
		unsigned weight = k < loop_end ? 16 : 1;

		if (p->kind == K_CALL || p->kind == K_NOP || p->kind == K_JCC || p->kind == K_JMP)
			continue;
		if (p->kind >= K_PUSH) {
			count_use(in, R_SP, 8, uses, weight);
			if (p->kind == K_PUSH || p->kind == K_POP)
				count_use(in, p->dreg, 8, uses, weight);
			continue;
		}
		if (mem && in->base != NO_REG)
			count_use(in, in->base, 8, uses, weight);
		if (mem && in->index != NO_REG)
			count_use(in, in->index, 8, uses, weight);
		if (p->src == O_REG)
			count_use(in, p->sreg, p->kind == K_MOVX ? p->ssize : p->size, uses, weight);
		if (p->dst == O_REG)
			count_use(in, p->dreg, p->size, uses, weight);
		if (p->kind == K_SHIFT && p->by_cl)
			count_use(in, R_CX, 1, uses, weight);
	}
	for (unsigned i = 0; i < sizeof(cache_pool); i++) {
		unsigned best = 16;

		for (unsigned r = 0; r < 16; r++)
			if (uses[r] && x->host_of[r] < 0 && (best == 16 || uses[r] > uses[best]))
				best = r;
		if (best == 16)
			break;
		x->host_of[best] = (int8_t)cache_pool[i];
		x->cached |= (uint16_t)(1u << best);
	}
}

/* host reg = guest register r (size bytes), zero-extended. */
static void greg_load(struct jctx *x, const struct emu_insn *in, unsigned r, unsigned size,
		      unsigned h)
{
	int32_t d = greg(in, r, size);
	unsigned byte, w = greg_whole(in, r, size, &byte);
	int g = x->host_of[w];

	if (g >= 0) {
		if (size == 8) {
			j_mov_rr(&x->a, h, (unsigned)g);
		} else if (size == 4) {
			j_op_reg(&x->a, 4, "\x89", 1, (unsigned)g, h);      /* mov h32, g32 */
		} else if (size == 2) {
			j_op_reg(&x->a, 4, "\x0f\xb7", 2, h, (unsigned)g);  /* movzx h32, g16 */
		} else if (!byte) {
			j_movx8_reg(&x->a, 4, false, h, (unsigned)g);       /* movzx h32, g8 */
		} else {
			j_op_reg(&x->a, 4, "\x89", 1, (unsigned)g, h);
			j_shift(&x->a, 4, 5, h, false, 8);
			j_alu_ri(&x->a, 4, 4, h, 0xff);
		}
		return;
	}
	if (size == 1)
		j_op_mem(&x->a, 4, "\x0f\xb6", 2, h, H_BX, d);
	else if (size == 2)
		j_op_mem(&x->a, 4, "\x0f\xb7", 2, h, H_BX, d);
	else
		j_load(&x->a, size, h, H_BX, d);
}

/* guest register r = host reg h, as the CPU writes registers: 8/16-bit
 * merge, 32-bit zero-extends. */
static void greg_store(struct jctx *x, const struct emu_insn *in, unsigned r, unsigned size,
		       unsigned h)
{
	unsigned byte, w = greg_whole(in, r, size, &byte);
	int g = x->host_of[w];

	if (g >= 0 && (size >= 4 || !byte)) {
		if (size == 8)
			j_mov_rr(&x->a, (unsigned)g, h);
		else if (size == 4)
			j_op_reg(&x->a, 4, "\x89", 1, h, (unsigned)g);      /* mov g32, h32 */
		else
			j_op_reg(&x->a, size, size == 1 ? "\x88" : "\x89", 1, h, (unsigned)g);
		return;
	}
	if (size >= 4) {
		/* In memory: one 8-byte store of the zero-extended value (mov
		 * r32, r32), not two halves: a later 8-byte load of the
		 * register (an address, say) is then forwarded from the
		 * store. */
		if (size == 4)
			j_op_reg(&x->a, 4, "\x89", 1, h, h);
		j_store(&x->a, 8, h, H_BX, GPR(w));
		return;
	}
	/* 8/16-bit in memory, or AH..BH in a host register: merged into the
	 * whole register in rsi and written whole, for the same reason (h
	 * is clobbered). */
	uint32_t mask = (size == 1 ? 0xffu : 0xffffu) << (8 * byte);

	greg_full_load(x, w, H_SI);
	j_alu_ri(&x->a, 8, 4, H_SI, (int32_t)~mask);                /* and rsi, ~mask */
	j_op_reg(&x->a, 4, size == 1 ? "\x0f\xb6" : "\x0f\xb7", 2, h, h); /* movzx */
	if (byte)
		j_shift(&x->a, 4, 4, h, false, 8);
	j_alu_rr(&x->a, 8, 1, H_SI, h);                             /* or rsi, h */
	greg_full_store(x, w, H_SI);
}

/* rdx = effective address of in's memory operand, masked to its size
 * (uses rax). */
static void ea_rdx(struct jctx *x, const struct emu_insn *in)
{
	int base = in->base == NO_REG ? NO_HREG : x->host_of[in->base];
	int index = in->index == NO_REG ? NO_HREG : x->host_of[in->index];

	/* One LEA when the registers are in host registers: at address size
	 * 4 it wraps at 4 GiB as the guest's does. */
	if (!in->rip_rel && base >= 0 && index >= 0 &&
	    (in->addrsize == 4 || (in->addrsize == 8 && (int64_t)in->disp == (int32_t)in->disp))) {
		j_lea_sib(&x->a, in->addrsize, H_DX, (unsigned)base, (unsigned)index, in->scale,
			  (int32_t)(uint32_t)in->disp);
		return;
	}
	j_mov_imm(&x->a, H_DX, in->disp);
	if (in->rip_rel) {
		rip_at(x, H_AX, x->next_off);
		j_alu_rr(&x->a, 8, 0, H_DX, H_AX);
	}
	if (in->base != NO_REG && x->host_of[in->base] >= 0)
		j_alu_rr(&x->a, 8, 0, H_DX, (unsigned)x->host_of[in->base]);
	else if (in->base != NO_REG)
		j_op_mem(&x->a, 8, "\x03", 1, H_DX, H_BX, GPR(in->base)); /* add rdx, [base] */
	if (in->index != NO_REG) {
		greg_full_load(x, in->index, H_AX);
		if (in->scale)
			j_shift(&x->a, 8, 4, H_AX, false, in->scale);
		j_alu_rr(&x->a, 8, 0, H_DX, H_AX);
	}
	if (in->addrsize == 4)
		j_op_reg(&x->a, 4, "\x89", 1, H_DX, H_DX);
	else if (in->addrsize == 2)
		j_op_reg(&x->a, 4, "\x0f\xb7", 2, H_DX, H_DX);
}

_Static_assert(sizeof(struct emu_tlb_entry) < 128, "TLB entry size is an imm8");

#define SEG(s, field) (CPU(seg) + (int32_t)((s) * sizeof(struct emu_seg) + offsetof(struct emu_seg, field)))
#define FT(field) ((int32_t)offsetof(struct emu_fast_tlb_entry, field))

/* The fast TLB of a CPU whose segments translated code cannot use
 * directly: allows nothing. */
static const struct emu_fast_tlb_entry no_fast_tlb[EMU_TLB_SIZE];

/* The slow path of the current instruction (emit_slow_paths()). */
static struct slow_fix *slow_path(struct jctx *x)
{
	struct slow_fix *s = x->nslow ? &x->slow[x->nslow - 1] : NULL;

	if (!s || s->k != x->k) {
		s = &x->slow[x->nslow++];
		*s = (struct slow_fix){.k = (uint8_t)x->k, .counted = (uint8_t)x->counted,
				       .off = x->off, .next_off = x->next_off};
	}
	return s;
}

/* The fast path of a memory access, translated code's own emu_read()/
 * emu_write() for the common case: a page the fast TLB (struct
 * emu_fast_tlb_entry) allows at this privilege, reached through r15 (the
 * view chosen at block entry by emit_view(): one that allows nothing
 * unless the segments the block uses are flat), an access within one
 * page, and for a store not into the running block's page (r14; the C
 * path ends the block after such a store). Turns the effective address
 * in rdx into the host address; anything else jumps to the instruction's
 * slow path, which runs the whole instruction in the interpreter. Guest
 * state must be unchanged before the last jump (uses rax, rcx). */
static void fast_access(struct jctx *x, unsigned seg, unsigned size, bool write)
{
	struct slow_fix *s = slow_path(x);

	if (x->code_bits == 64 && (seg == S_FS || seg == S_GS))
		j_op_mem(&x->a, 8, "\x03", 1, H_DX, H_BX, SEG(seg, base)); /* add rdx, [base] */
	_Static_assert(sizeof(struct emu_fast_tlb_entry) == 32, "index = page * 32");
	j_op_reg(&x->a, 4, "\x89", 1, H_DX, H_AX);                   /* mov eax, edx */
	j_shift(&x->a, 4, 5, H_AX, false, 12 - 5);                   /* shr eax, 7 */
	j_alu_ri(&x->a, 4, 4, H_AX, (EMU_TLB_SIZE - 1) << 5);
	/* The last byte's page with the low bits set: equal to the tag only
	 * for an access within the entry's page (so also canonical). */
	j_lea(&x->a, H_CX, H_DX, (int32_t)size - 1);
	j_alu_ri(&x->a, 8, 1, H_CX, 0xfff);                           /* or rcx, 0xfff */
	j_op_sib(&x->a, 8, "\x3b", 1, H_CX, H_R15, H_AX,
		 write ? FT(write) : FT(read));                        /* cmp rcx, [tag] */
	s->at[s->nat++] = j_jump(&x->a, 0x5);
	j_op_sib(&x->a, 8, "\x03", 1, H_DX, H_R15, H_AX, FT(addend)); /* add rdx, [addend] */
	if (write) {
		j_mov_rr(&x->a, H_AX, H_DX);
		j_alu_rr(&x->a, 8, 5, H_AX, H_R14);                    /* sub rax, r14 */
		j_alu_ri(&x->a, 8, 7, H_AX, 4096);
		s->at[s->nat++] = j_jump(&x->a, 0x2);                  /* jb */
	}
}

/* host reg h = size bytes at host address rdx, zero-extended. */
static void host_load(struct jctx *x, unsigned size, unsigned h)
{
	if (size == 1)
		j_op_mem(&x->a, 4, "\x0f\xb6", 2, h, H_DX, 0);
	else if (size == 2)
		j_op_mem(&x->a, 4, "\x0f\xb7", 2, h, H_DX, 0);
	else
		j_load(&x->a, size, h, H_DX, 0);
}

/* h = the memory operand (size bytes, zero-extended); rdx keeps its host
 * address (for a write too when write). */
static void mem_load(struct jctx *x, const struct emu_insn *in, unsigned size, bool write,
		     unsigned h)
{
	ea_rdx(x, in);
	fast_access(x, in->seg, size, write);
	host_load(x, size, h);
}

/* Chooses r15 for fast_access() (see there): the fast TLB of this
 * privilege, or one that allows nothing when the CPU is not in the mode
 * the block was made for or, in 32-bit code, a segment the block uses is
 * not flat (base 0, 4 GiB limit, present data expand-up, writable if it
 * is written through), where seg_linear() would check more than the
 * page. Emitted at the block's start and after every called instruction
 * (which may change the mode, the privilege or a segment). */
static void emit_view(struct jctx *x)
{
	uint8_t *other[2 + 4 * S_COUNT], *user, *done;
	unsigned n = 0;

	if (!x->segs_read)
		return;
	j_op_mem(&x->a, 4, "\x83", 1, 7, H_BX, CPU(mode));    /* cmp dword [mode], imm8 */
	j8(&x->a, x->code_bits == 64 ? MODE_LONG64 : MODE_PROT32);
	other[n++] = j_jump(&x->a, 0x5);
	for (unsigned seg = 0; x->code_bits == 32 && seg < S_COUNT; seg++) {
		bool write = x->segs_written & (1u << seg);
		unsigned mask = 0x80 | 0x10 | 0x08 | 0x04 | (write ? 0x02 : 0);
		unsigned want = 0x80 | 0x10 | (write ? 0x02 : 0);

		if (!(x->segs_read & (1u << seg)))
			continue;
		j_load(&x->a, 8, H_AX, H_BX, SEG(seg, base));
		j_op_reg(&x->a, 8, "\x85", 1, H_AX, H_AX);
		other[n++] = j_jump(&x->a, 0x5);
		j_op_mem(&x->a, 4, "\x83", 1, 7, H_BX, SEG(seg, limit)); /* cmp dword [limit], -1 */
		j8(&x->a, 0xff);
		other[n++] = j_jump(&x->a, 0x5);
		j_op_mem(&x->a, 4, "\x0f\xb7", 2, H_AX, H_BX, SEG(seg, attr)); /* movzx eax, word */
		j_alu_ri(&x->a, 4, 4, H_AX, (int32_t)mask);
		j_alu_ri(&x->a, 4, 7, H_AX, (int32_t)want);
		other[n++] = j_jump(&x->a, 0x5);
	}
	j_lea(&x->a, H_R15, H_BX, CPU(ftlb[0]));
	j_op_mem(&x->a, 4, "\x83", 1, 7, H_BX, CPU(cpl));     /* cmp dword [cpl], 3 */
	j8(&x->a, 3);
	user = j_jump(&x->a, 0x5);
	j_lea(&x->a, H_R15, H_BX, CPU(ftlb[1]));
	done = j_jump(&x->a, -1);
	for (unsigned i = 0; i < n; i++)
		j_patch(other[i], x->a.p);
	j_mov_imm(&x->a, H_R15, (uint64_t)(uintptr_t)no_fast_tlb);
	j_patch(done, x->a.p);
	j_patch(user, x->a.p);
}

/* Raises #GP(0) if rax is not canonical. Uses rcx. */
static void check_canonical_rax(struct jctx *x)
{
	uint8_t *ok;
	unsigned counted = x->counted;
	bool marked = x->marked;

	j_mov_rr(&x->a, H_CX, H_AX);
	j_shift(&x->a, 8, 4, H_CX, false, 16);
	j_shift(&x->a, 8, 7, H_CX, false, 16);
	j_alu_rr(&x->a, 8, 7, H_CX, H_AX);
	ok = j_jump(&x->a, 0x4);
	cache_store(x); /* on this path only: emu_raise() does not return */
	mark_start(x);
	j_mov_rr(&x->a, H_DI, H_BX);
	j_mov_imm(&x->a, H_SI, EXC_GP);
	j_mov_imm(&x->a, H_DX, 0);
	j_call(&x->a, (const void *)emu_raise);
	j_patch(ok, x->a.p);
	x->counted = counted;
	x->marked = marked;
}

/* The stack operations of 64-bit code, as push64/pop64/call64/ret64 in
 * emu_exec_fast.c do them (same order of checks, reads and writes). */
static void emit_push(struct jctx *x, const struct plan *p)
{
	greg_full_load(x, p->dreg, H_SI);
	greg_full_load(x, R_SP, H_DX);
	j_lea(&x->a, H_DX, H_DX, -8);
	fast_access(x, S_SS, 8, true);
	j_store(&x->a, 8, H_SI, H_DX, 0);
	greg_full_add(x, R_SP, -8);
}

static void emit_pop(struct jctx *x, const struct plan *p)
{
	greg_full_load(x, R_SP, H_DX);
	fast_access(x, S_SS, 8, false);
	j_load(&x->a, 8, H_AX, H_DX, 0);
	greg_full_add(x, R_SP, 8);
	greg_full_store(x, p->dreg, H_AX);
}

/* CALL rel32: #GP on a non-canonical target before anything changes,
 * push the return address, then leave for the target. */
static void emit_callrel(struct jctx *x, const struct plan *p)
{
	rip_at(x, H_AX, x->next_off);
	j_mov_imm(&x->a, H_CX, p->imm);
	j_alu_rr(&x->a, 8, 0, H_AX, H_CX);
	j_mov_rr(&x->a, H_DI, H_AX);       /* rdi = target */
	check_canonical_rax(x);
	greg_full_load(x, R_SP, H_DX);
	j_lea(&x->a, H_DX, H_DX, -8);
	fast_access(x, S_SS, 8, true);
	rip_at(x, H_AX, x->next_off);
	j_store(&x->a, 8, H_AX, H_DX, 0);
	greg_full_add(x, R_SP, -8);
	j_store(&x->a, 8, H_DI, H_BX, CPU(rip));
	exit_dynamic(x, x->k + 1);
}

static void emit_ret(struct jctx *x)
{
	greg_full_load(x, R_SP, H_DX);
	fast_access(x, S_SS, 8, false);
	j_load(&x->a, 8, H_AX, H_DX, 0);
	check_canonical_rax(x);
	greg_full_add(x, R_SP, 8);
	j_store(&x->a, 8, H_AX, H_BX, CPU(rip));
	exit_dynamic(x, x->k + 1);
}

/* h = host flags (after the host operation). */
static void flags_capture(struct jctx *x, unsigned h)
{
	j8(&x->a, 0x9c);             /* pushfq */
	if (h & 8)
		j8(&x->a, 0x41);
	j8(&x->a, 0x58 + (h & 7));  /* pop h */
}

/* The host's CF = the guest's (bt r13, 0), for ADC/SBB and INC/DEC. */
static void carry_in(struct jctx *x)
{
	j_op_reg(&x->a, 8, "\x0f\xba", 2, 4, H_R13);
	j8(&x->a, 0);
}

/* rflags (r13) = (rflags & ~mask) | (rdx & mask). r13 holds the guest's
 * arithmetic flags only (cache_store() takes just those). */
static void flags_merge(struct jctx *x, uint16_t mask)
{
	if (mask == ARITH) {
		j_mov_rr(&x->a, H_R13, H_DX);
		return;
	}
	j_alu_ri(&x->a, 4, 4, H_DX, mask);
	j_alu_ri(&x->a, 8, 4, H_R13, (int32_t)~(uint32_t)mask);
	j_alu_rr(&x->a, 8, 1, H_R13, H_DX);
}

/* After a host operation that set the guest's flags: into r13 if the
 * block needs them (straight there when it sets them all). */
static void flags_after(struct jctx *x, const struct plan *p)
{
	if (!p->save_flags)
		return;
	if (p->writes == ARITH) {
		flags_capture(x, H_R13);
		x->host_flags = true; /* (pop leaves them) */
		return;
	}
	flags_capture(x, H_DX);
	flags_merge(x, p->writes);
}

/* Evaluates guest condition cc on c->rflags (uses rax, rsi); returns the
 * host condition code that is true when the guest's is. */
static unsigned cond_eval(struct jctx *x, unsigned cc)
{
	static const uint32_t test_mask[6] = { FL_OF, FL_CF, FL_ZF, FL_CF | FL_ZF, FL_SF, FL_PF };
	unsigned t = (cc >> 1) & 7;

	j_op_reg(&x->a, 4, "\x89", 1, H_R13, H_AX); /* mov eax, r13d */
	if (t < 6) {
		j_test32_imm(&x->a, H_AX, test_mask[t]);
	} else {
		/* SF != OF: bit 7 of rflags ^ (rflags >> 4) */
		j_op_reg(&x->a, 4, "\x89", 1, H_AX, H_SI);   /* mov esi, eax */
		j_shift(&x->a, 4, 5, H_SI, false, 4);          /* shr esi, 4 */
		j_alu_rr(&x->a, 4, 6, H_SI, H_AX);             /* xor esi, eax */
		if (t == 6) {
			j_test32_imm(&x->a, H_SI, FL_SF);
		} else {
			j_alu_ri(&x->a, 4, 4, H_SI, FL_SF);    /* and esi, SF */
			j_alu_ri(&x->a, 4, 4, H_AX, FL_ZF);    /* and eax, ZF */
			j_alu_rr(&x->a, 4, 1, H_SI, H_AX);     /* or esi, eax */
		}
	}
	return (cc & 1) ? 0x4 /* Z */ : 0x5 /* NZ */;
}

/* The host register that holds register operand r (size bytes) so that
 * a host instruction of that size can work on it in place, or -1 (not
 * cached, or AH..BH). */
static int in_place(const struct jctx *x, const struct emu_insn *in, unsigned r, unsigned size)
{
	unsigned byte, w = greg_whole(in, r, size, &byte);

	return byte ? -1 : x->host_of[w];
}

/* ALU operations on a cached destination register, in place. */
static bool emit_alu_in_place(struct jctx *x, const struct emu_insn *in, const struct plan *p)
{
	unsigned sz = p->size, src = H_CX;
	int d = p->dst == O_REG ? in_place(x, in, p->dreg, sz) : -1;
	int s = p->src == O_REG ? in_place(x, in, p->sreg, sz) : -1;
	bool test = p->nostore && p->aop == 4;
	bool imm = p->src == O_IMM && !test && (sz != 8 || (int64_t)p->imm == (int32_t)p->imm);

	if (p->dst == O_MEM && (s >= 0 || imm)) { /* op [mem], reg/imm */
		ea_rdx(x, in);
		fast_access(x, in->seg, sz, !p->nostore);
		if (p->aop == 2 || p->aop == 3)
			carry_in(x);
		if (imm) {
			j_op_mem(&x->a, sz, sz == 1 ? "\x80" : "\x81", 1, p->aop, H_DX, 0);
			j_imm(&x->a, sz, (int32_t)p->imm);
		} else {
			char op = (char)(test ? 0x84 : (p->aop << 3)) | (sz == 1 ? 0 : 1);

			j_op_mem(&x->a, sz, &op, 1, (unsigned)s, H_DX, 0);
		}
		flags_after(x, p);
		return true;
	}
	if (d < 0 || (p->src == O_REG && s < 0))
		return false;
	if (p->src == O_MEM)
		mem_load(x, in, sz, false, H_CX);
	else if (p->src == O_REG)
		src = (unsigned)s;
	else if (!imm)
		j_mov_imm(&x->a, H_CX, p->imm);
	if (p->aop == 2 || p->aop == 3)
		carry_in(x);
	if (test)
		j_op_reg(&x->a, sz, sz == 1 ? "\x84" : "\x85", 1, src, (unsigned)d);
	else if (imm)
		j_alu_ri(&x->a, sz, p->aop, (unsigned)d, (int32_t)p->imm);
	else
		j_alu_rr(&x->a, sz, p->aop, (unsigned)d, src);
	flags_after(x, p);
	return true;
}

static void emit_alu(struct jctx *x, const struct emu_insn *in, const struct plan *p)
{
	unsigned sz = p->size;

	if (emit_alu_in_place(x, in, p))
		return;
	if (p->dst == O_MEM) {
		mem_load(x, in, sz, !p->nostore, H_AX);
		if (p->src == O_IMM)
			j_mov_imm(&x->a, H_CX, p->imm);
		else
			greg_load(x, in, p->sreg, sz, H_CX);
	} else if (p->src == O_MEM) {
		mem_load(x, in, sz, false, H_CX);
		greg_load(x, in, p->dreg, sz, H_AX);
	} else {
		greg_load(x, in, p->dreg, sz, H_AX);
		if (p->src == O_IMM)
			j_mov_imm(&x->a, H_CX, p->imm);
		else
			greg_load(x, in, p->sreg, sz, H_CX);
	}
	if (p->aop == 2 || p->aop == 3)
		carry_in(x);
	if (p->nostore && p->aop == 4)
		j_op_reg(&x->a, sz, sz == 1 ? "\x84" : "\x85", 1, H_CX, H_AX); /* test */
	else
		j_alu_rr(&x->a, sz, p->aop, H_AX, H_CX);
	if (!p->nostore && p->dst == O_MEM)
		j_store(&x->a, sz, H_AX, H_DX, 0); /* (mov leaves the flags) */
	if (p->save_flags)
		flags_capture(x, H_DX);
	if (!p->nostore && p->dst != O_MEM)
		greg_store(x, in, p->dreg, sz, H_AX);
	if (p->save_flags)
		flags_merge(x, p->writes);
}

static void emit_unary(struct jctx *x, const struct emu_insn *in, const struct plan *p)
{
	int d = in_place(x, in, p->dreg, p->size);

	if (d >= 0 && p->aop < 2 && p->save_flags) {
		/* INC, DEC: with the guest's CF in the host's first, the host
		 * operation leaves all six flags as the guest's. */
		struct plan all = *p;

		carry_in(x);
		j_unary(&x->a, p->size, true, p->aop, (unsigned)d);
		all.writes = ARITH;
		flags_after(x, &all);
		return;
	}
	if (d >= 0) {
		j_unary(&x->a, p->size, p->aop < 2, p->aop, (unsigned)d);
		flags_after(x, p);
		return;
	}
	greg_load(x, in, p->dreg, p->size, H_AX);
	j_unary(&x->a, p->size, p->aop < 2, p->aop, H_AX);
	if (p->save_flags)
		flags_capture(x, H_DX);
	greg_store(x, in, p->dreg, p->size, H_AX);
	if (p->save_flags)
		flags_merge(x, p->writes);
}

static void emit_shift(struct jctx *x, const struct emu_insn *in, const struct plan *p)
{
	uint8_t *skip = NULL;
	int d = in_place(x, in, p->dreg, p->size);

	if (p->by_cl)
		greg_full_load(x, R_CX, H_CX);
	if (d >= 0) {
		j_shift(&x->a, p->size, p->aop, (unsigned)d, p->by_cl, (uint8_t)p->imm);
		if (!p->by_cl) {
			flags_after(x, p);
			return;
		}
		if (p->save_flags)
			flags_capture(x, H_DX);
	} else {
		greg_load(x, in, p->dreg, p->size, H_AX);
		j_shift(&x->a, p->size, p->aop, H_AX, p->by_cl, (uint8_t)p->imm);
		if (p->save_flags)
			flags_capture(x, H_DX);
		greg_store(x, in, p->dreg, p->size, H_AX);
	}
	if (p->save_flags) {
		if (p->by_cl) { /* a count of 0 leaves the flags alone */
			j_test8_imm(&x->a, H_CX, p->size == 8 ? 63 : 31);
			skip = j_jump(&x->a, 0x4);
		}
		flags_merge(x, p->writes);
		j_patch(skip, x->a.p);
	}
}

static void emit_mov(struct jctx *x, const struct emu_insn *in, const struct plan *p)
{
	unsigned sz = p->size;

	if (p->dst == O_MEM) {
		if (p->src == O_IMM)
			j_mov_imm(&x->a, H_SI, p->imm & size_mask(sz));
		else
			greg_load(x, in, p->sreg, sz, H_SI);
		ea_rdx(x, in);
		fast_access(x, in->seg, sz, true);
		j_store(&x->a, sz, H_SI, H_DX, 0);
		return;
	}
	int d = in_place(x, in, p->dreg, sz);
	int s = p->src == O_REG ? in_place(x, in, p->sreg, sz) : -1;

	if (d >= 0 && s >= 0) {
		j_op_reg(&x->a, sz, sz == 1 ? "\x88" : "\x89", 1, (unsigned)s, (unsigned)d);
		return;
	}
	if (d >= 0 && p->src == O_IMM && sz >= 4) {
		j_mov_imm(&x->a, (unsigned)d, p->imm & size_mask(sz));
		return;
	}
	if (d >= 0 && p->src == O_MEM) { /* 1 and 2 bytes: the rest stays */
		ea_rdx(x, in);
		fast_access(x, in->seg, sz, false);
		j_load(&x->a, sz, (unsigned)d, H_DX, 0);
		return;
	}
	if (p->src == O_MEM)
		mem_load(x, in, sz, false, H_AX);
	else if (p->src == O_IMM)
		j_mov_imm(&x->a, H_AX, p->imm & size_mask(sz));
	else
		greg_load(x, in, p->sreg, sz, H_AX);
	greg_store(x, in, p->dreg, sz, H_AX);
}

static void emit_movx(struct jctx *x, const struct emu_insn *in, const struct plan *p)
{
	int d = p->size >= 4 ? in_place(x, in, p->dreg, p->size) : -1;
	int s = p->src == O_REG ? in_place(x, in, p->sreg, p->ssize) : -1;

	if (d >= 0 && s >= 0 && (p->ssize < 4 || p->sx)) {
		if (p->ssize == 1)      /* MOVZX, MOVSX r, r8 */
			j_movx8_reg(&x->a, p->size, p->sx, (unsigned)d, (unsigned)s);
		else if (p->ssize == 2) /* MOVZX, MOVSX r, r16 */
			j_op_reg(&x->a, p->size, p->sx ? "\x0f\xbf" : "\x0f\xb7", 2, (unsigned)d,
				 (unsigned)s);
		else                    /* MOVSXD r64, r32 */
			j_op_reg(&x->a, p->size, "\x63", 1, (unsigned)d, (unsigned)s);
		return;
	}
	if (p->src == O_MEM)
		mem_load(x, in, p->ssize, false, H_AX);
	else
		greg_load(x, in, p->sreg, p->ssize, H_AX);
	if (p->sx) {
		if (p->ssize == 1)
			j_op_reg(&x->a, 8, "\x0f\xbe", 2, H_AX, H_AX); /* movsx rax, al */
		else if (p->ssize == 2)
			j_op_reg(&x->a, 8, "\x0f\xbf", 2, H_AX, H_AX); /* movsx rax, ax */
		else
			j_op_reg(&x->a, 8, "\x63", 1, H_AX, H_AX);     /* movsxd rax, eax */
	}
	greg_store(x, in, p->dreg, p->size, H_AX);
}

static void emit_setcc(struct jctx *x, const struct emu_insn *in, const struct plan *p)
{
	j_setcc(&x->a, cond_eval(x, in->op & 0xf), H_DX);
	greg_store(x, in, p->dreg, 1, H_DX);
}

static void emit_cmov(struct jctx *x, const struct emu_insn *in, const struct plan *p)
{
	unsigned sz = p->size;

	if (p->src == O_MEM) { /* the load happens (and may fault) either way */
		mem_load(x, in, sz, false, H_CX);
	} else {
		greg_load(x, in, p->sreg, sz, H_CX);
	}
	j_setcc(&x->a, cond_eval(x, in->op & 0xf), H_DX);
	greg_load(x, in, p->dreg, sz, H_AX);
	j_test8_imm(&x->a, H_DX, 1);
	j_cmovcc(&x->a, sz == 8 ? 8 : 4, 0x5, H_AX, H_CX); /* cmovnz */
	greg_store(x, in, p->dreg, sz, H_AX);
}

/* Operand size of a near branch: 64 bits in 64-bit code whatever the
 * prefixes (as emu_exec_control.c executes them). */
static unsigned branch_opsize(const struct emu_insn *in)
{
	return in->code_bits == 64 ? 8 : in->opsize;
}

static void emit_jcc(struct jctx *x, const struct emu_insn *in, const struct plan *p)
{
	struct taken_fix *t = &x->taken[x->ntaken++];

	if (x->host_flags) /* right after the instruction that set them */
		t->at = j_jump(&x->a, (int)(in->op & 0xf));
	else
		t->at = j_jump(&x->a, (int)cond_eval(x, in->op & 0xf));
	t->n = (uint8_t)(x->k + 1);
	t->counted = (uint8_t)x->counted;
	t->off = x->off;
	t->next_off = x->next_off;
	t->opsize = branch_opsize(in);
	t->rel = p->imm;
}

static void emit_branch(struct jctx *x, unsigned n, uint16_t next_off, unsigned opsize,
			uint64_t rel);

/* Whether the instruction at block offset `to` can be linked to: 32- or
 * 64-bit code, in the block's own guest page (same linear and physical
 * page: no new address translation, no wrap-around, canonical). */
static bool linkable(const struct jctx *x, int64_t to)
{
	int64_t in_page = (int64_t)(x->b->gpa & 0xfff) + to;

	return x->code_bits != 16 && in_page >= 0 && in_page < 4096 && x->nslots < x->max_slots;
}

/* Leaves for the instruction at block offset `to` (linkable()), n
 * instructions completed: straight into its translation once this exit
 * is linked (the dispatcher links it the first time it finds that
 * translation after this exit), else through the dispatcher. Linked or
 * not, emu_run()'s step budget is honoured: past it, the dispatcher. */
static void emit_link(struct jctx *x, unsigned n, int64_t to, const struct taken_fix *branch)
{
	uint8_t *budget, *over = NULL;
	bool keep = to == 0 && !x->calls; /* a loop keeps the cached registers */

	if (!keep)
		cache_store(x);
	if (x->code_bits == 32 && to != 0) { /* past the CS limit: not linked (below);
					      * the block's start is within it */
		j_lea(&x->a, H_AX, H_R12, (int32_t)to);
		j_load(&x->a, 4, H_CX, H_BX, CPU(seg[S_CS].limit));
		j_alu_rr(&x->a, 8, 7, H_AX, H_CX); /* cmp rax, rcx */
		over = j_jump(&x->a, 0x7);         /* ja */
	}
	j_load(&x->a, 8, H_AX, H_BX, CPU(icount));
	j_alu_ri(&x->a, 8, 0, H_AX, (int32_t)(n - x->counted));
	j_store(&x->a, 8, H_AX, H_BX, CPU(icount));
	if (to != 0)
		j_lea(&x->a, H_R12, H_R12, (int32_t)to);          /* r12 = target rip */
	j_op_mem(&x->a, 8, "\x3b", 1, H_AX, H_BX, CPU(run_end)); /* cmp rax, [run_end] */
	budget = j_jump(&x->a, 0x3);                              /* jae */
	if (to == 0) {
		/* Back to this block's own start (a loop): straight to its
		 * body, no byte compare. Its bytes are those it started with:
		 * a store of this vCPU into its page ends the block before
		 * here, and writes by others are cross-modifying code, seen
		 * after this CPU serializes (back through the dispatcher).
		 * Without called instructions nothing in the block changes
		 * what emit_view() chose. */
		j_patch(j_jump(&x->a, -1), x->calls ? x->body : x->body_loop);
	} else {
		uint64_t *slot = &x->slots[x->nslots++];
		uint8_t *unlinked;

		j_mov_imm(&x->a, H_DX, (uint64_t)(uintptr_t)slot);
		j_load(&x->a, 8, H_AX, H_DX, 0);
		j_op_reg(&x->a, 8, "\x85", 1, H_AX, H_AX);       /* test rax, rax */
		unlinked = j_jump(&x->a, 0x4);
		j8(&x->a, 0xff); j8(&x->a, 0xe0);                 /* jmp rax */
		j_patch(unlinked, x->a.p);
		j_store(&x->a, 8, H_DX, H_BX, CPU(jit_link_slot));
	}
	j_patch(budget, x->a.p);
	if (keep)
		cache_store(x);
	j_store(&x->a, 8, H_R12, H_BX, CPU(rip));
	emit_epilogue(x);
	if (!over)
		return;
	/* Past the CS limit: a branch raises #GP through emu_jump_near(); a
	 * fall-through leaves, and the next fetch raises it. */
	j_patch(over, x->a.p);
	if (branch) {
		mark_start(x);
		emit_branch(x, branch->n, branch->next_off, branch->opsize, branch->rel);
	} else {
		exit_to(x, -1, n, true, (uint16_t)to);
	}
}

/* The entry that links come to, for a 64-bit block: r12 holds its rip,
 * r14 the host address of its page and rdx the link slot used. The
 * block's bytes are compared with guest memory first (as a lookup does:
 * whoever wrote the code since, it is not run stale); on a difference the
 * dispatcher takes over and links the slot again to what it finds. */
static void emit_chain_entry(struct jctx *x)
{
	const struct emu_block *b = x->b;
	unsigned n = b->nbytes, i = 0;
	int32_t base = (int32_t)(b->gpa & 0xfff);
	uint8_t *differs[EMU_BLOCK_MAX_BYTES / 4 + 2];
	unsigned nd = 0;
	uint64_t v;

	for (;;) {
		unsigned at, w;

		if (i >= n)
			break;
		if (n - i >= 8 || n >= 8) {
			at = n - i >= 8 ? i : n - 8; /* the last word overlaps */
			w = 8;
		} else if (n - i >= 4 || n >= 4) {
			at = n - i >= 4 ? i : n - 4;
			w = 4;
		} else {
			at = i;
			w = 1;
		}
		v = 0;
		memcpy(&v, b->bytes + at, w);
		if (w == 8) {
			j_mov_imm(&x->a, H_AX, v);
			j_op_mem(&x->a, 8, "\x39", 1, H_AX, H_R14, base + (int32_t)at); /* cmp [r14+d], rax */
		} else if (w == 4) {
			j_op_mem(&x->a, 4, "\x81", 1, 7, H_R14, base + (int32_t)at);     /* cmp dword [..], imm32 */
			j32(&x->a, (uint32_t)v);
		} else {
			j_op_mem(&x->a, 1, "\x80", 1, 7, H_R14, base + (int32_t)at);     /* cmp byte [..], imm8 */
			j8(&x->a, (uint8_t)v);
		}
		differs[nd++] = j_jump(&x->a, 0x5);
		i = at + w;
	}
	j_patch(j_jump(&x->a, -1), x->body);
	for (unsigned d = 0; d < nd; d++)
		j_patch(differs[d], x->a.p);
	j_store(&x->a, 8, H_DX, H_BX, CPU(jit_link_slot));
	j_store(&x->a, 8, H_R12, H_BX, CPU(rip));
	emit_epilogue(x);
}

/* c->rip = the branch target (checked as emu_jump_near() does), then
 * leave having completed n instructions. Used for JMP and taken Jcc. */
static void emit_branch(struct jctx *x, unsigned n, uint16_t next_off, unsigned opsize,
			uint64_t rel)
{
	bool in_memory = x->regs_in_memory;

	cache_store(x);
	rip_at(x, H_SI, next_off);
	j_mov_imm(&x->a, H_AX, rel);
	j_alu_rr(&x->a, 8, 0, H_SI, H_AX);
	j_mov_rr(&x->a, H_DI, H_BX);
	j_mov_imm(&x->a, H_DX, opsize);
	j_call(&x->a, (const void *)emu_jump_near);
	x->regs_in_memory = true;
	exit_dynamic(x, n);
	x->regs_in_memory = in_memory;
}

/* Runs instruction x->k in the interpreter's handler (its start marked),
 * the cached registers stored first: goes on after it only if it fell
 * through, did not end the block and set no interrupt shadow. */
static void handler_call(struct jctx *x, const struct emu_insn *in)
{
	cache_store(x);
	x->regs_in_memory = true;
	rip_at(x, H_AX, x->next_off);
	j_store(&x->a, 8, H_AX, H_BX, CPU(rip));
	j_mov_rr(&x->a, H_DI, H_BX);
	/* The handler gets a copy of the decoded instruction kept with the
	 * code: the translation outlives the block's decoded form (links
	 * reach it after the block's cache entry is reused). */
	struct emu_insn *copy = &x->insn_copy[x->ncopies++];
	*copy = *in;
	j_mov_imm(&x->a, H_SI, (uint64_t)(uintptr_t)copy);
	j_call(&x->a, (const void *)x->b->code->exec[x->k]);
	j_test8_imm(&x->a, H_AX, 0xff);
	if (x->nud < EMU_BLOCK_MAX_INSN)
		x->ud_at[x->nud++] = j_jump(&x->a, 0x4); /* false: #UD */
	/* As emu_run() after every instruction: RF is for the one
	 * instruction after an IRET that sets it (blocks with RF set at
	 * their start are interpreted, so only handlers set it here). */
	j_alu_mem_imm(&x->a, 4, H_BX, CPU(rflags), (int32_t)~(uint32_t)FL_RF);
	/* Goes on only if it fell through, did not end the block and set no
	 * interrupt shadow. */
	rip_at(x, H_AX, x->next_off);
	j_op_mem(&x->a, 8, "\x3b", 1, H_AX, H_BX, CPU(rip)); /* cmp rax, [rip] */
	exit_to(x, 0x5, x->k + 1, false, 0);
	j_cmp8_mem_imm(&x->a, H_BX, CPU(interrupt_shadow), 0);
	exit_to(x, 0x5, x->k + 1, false, 0);
	/* A store into the block's page or an MMIO access: leave. */
	j_cmp8_mem_imm(&x->a, H_BX, CPU(block_break), 0);
	exit_to(x, 0x5, x->k + 1, false, 0);
	x->regs_in_memory = false;
	cache_load(x);
}

static void emit_call(struct jctx *x, const struct emu_insn *in)
{
	mark_start(x);
	handler_call(x, in);
	/* Instructions that change the mode, the privilege or a segment end
	 * the block (ends_block() in emu_icache.c); choosing again keeps the
	 * fast TLB right should that ever change. */
	emit_view(x);
}

/* The slow paths: each runs its instruction in the interpreter, with
 * the instructions before it counted for the while (a fault leaves
 * them counted), and leaves if the instruction ended the block (a store
 * into its page, MMIO, or a branch), else goes back. */
static void emit_slow_paths(struct jctx *x)
{
	for (unsigned i = 0; i < x->nslow; i++) {
		const struct slow_fix *s = &x->slow[i];

		for (unsigned j = 0; j < s->nat; j++)
			j_patch(s->at[j], x->a.p);
		x->k = s->k;
		x->off = s->off;
		x->next_off = s->next_off;
		x->counted = s->counted;
		x->marked = false;
		mark_start(x);
		handler_call(x, &x->b->code->insn[s->k]);
		if (s->leaves) {
			x->regs_in_memory = true; /* (reloaded, but unchanged) */
			exit_dynamic(x, s->k + 1);
			x->regs_in_memory = false;
			continue;
		}
		if (s->k > s->counted) {
			j_alu_mem_imm(&x->a, 5, H_BX, CPU(icount), s->k - s->counted); /* sub */
		}
		j_patch(j_jump(&x->a, -1), s->back);
	}
}

/* The code after the instructions: exits, taken branches, #UD. */
static void emit_tails(struct jctx *x)
{
	for (unsigned i = 0; i < x->ntaken; i++) {
		struct taken_fix *t = &x->taken[i];

		j_patch(t->at, x->a.p);
		x->k = t->n - 1;
		x->off = t->off;
		x->marked = false;
		x->counted = t->counted;
		if (t->opsize * 8 == x->code_bits &&
		    linkable(x, (int64_t)t->next_off + (int64_t)t->rel)) {
			emit_link(x, t->n, (int64_t)t->next_off + (int64_t)t->rel, t);
			continue;
		}
		mark_start(x); /* emu_jump_near may raise #GP */
		emit_branch(x, t->n, t->next_off, t->opsize, t->rel);
	}
	emit_slow_paths(x);
	for (unsigned i = 0; i < x->nud; i++) {
		j_patch(x->ud_at[i], x->a.p);
		j_mov_rr(&x->a, H_DI, H_BX);
		j_call(&x->a, (const void *)emu_ud);
	}
	for (unsigned i = 0; i < x->nexits; i++) {
		struct exit_fix *e = &x->exits[i];

		j_patch(e->at, x->a.p);
		if (!e->stored)
			cache_store(x);
		if (e->set_rip) {
			rip_at(x, H_AX, e->rip_off);
			j_store(&x->a, 8, H_AX, H_BX, CPU(rip));
		}
		j_mov_imm(&x->a, H_AX, e->n);
		j_op_mem(&x->a, 8, "\x01", 1, H_AX, H_BX, CPU(icount)); /* add [icount], rax */
		if (e->dispatch)
			j_patch(j_jump(&x->a, -1), x->dispatch);
		else
			emit_epilogue(x);
	}
}

emu_jit_entry emu_jit_translate(struct emu_jit *j, const struct emu_block *b)
{
	struct plan plan[EMU_BLOCK_MAX_INSN] = {0};
	struct jctx *x;
	uint16_t live = ARITH, off = 0;
	uint8_t *start;

	if (j->size - j->used < BLOCK_CODE_MAX || j->data_size - j->data_used < BLOCK_DATA_MAX)
		return NULL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->b = b;
	x->code_bits = b->code_bits;

	for (unsigned k = 0; k < b->ninsn; k++) {
		const struct emu_insn *in = &b->code->insn[k];
		struct plan *p = &plan[k];

		classify(in, p);
		if (touches_memory(p)) {
			if (b->code_bits == 16) {
				p->kind = K_CALL; /* no fast path for segmented memory */
			} else {
				unsigned seg = p->kind >= K_PUSH ? S_SS : in->seg;

				x->segs_read |= 1u << seg;
				if (p->kind == K_PUSH || p->kind == K_CALLREL ||
				    (p->dst == O_MEM && !p->nostore))
					x->segs_written |= 1u << seg;
			}
		}
		x->calls |= p->kind == K_CALL;
		flag_effects(p);
	}
	for (unsigned k = b->ninsn; k-- > 0;) {
		struct plan *p = &plan[k];

		p->save_flags = (live & p->writes) != 0;
		if (p->barrier)
			live = ARITH;
		else
			live = (uint16_t)((live & ~p->kills) | p->reads);
	}

	choose_cached(x, plan);
	/* Layout: data [link slots][called instructions' copies], code
	 * [chain entry address][entry: the code]. */
	unsigned ncalls = 0, nbranch = 1;
	for (unsigned k = 0; k < b->ninsn; k++) {
		x->flags_written |= plan[k].save_flags;
		x->flags_cached |= plan[k].save_flags || (plan[k].reads && plan[k].kind != K_CALL) ||
				   plan[k].kind == K_JCC;
		ncalls += plan[k].kind == K_CALL || touches_memory(&plan[k]);
		nbranch += plan[k].kind == K_JCC || plan[k].kind == K_JMP;
	}
	uint8_t *data = j->data + j->data_used;

	x->slots = (uint64_t *)data;
	x->max_slots = nbranch;
	memset(x->slots, 0, nbranch * sizeof(uint64_t));
	x->insn_copy = (struct emu_insn *)(data + nbranch * sizeof(uint64_t));
	start = j->buf + j->used;
	uint8_t *chain_addr = start;
	uint8_t *entry = chain_addr + 8;
	x->a.p = entry;
	x->a.end = start + BLOCK_CODE_MAX;
	x->dispatch = j->dispatch;
	for (unsigned i = 0; i < sizeof(frame_enter); i++)
		j8(&x->a, frame_enter[i]);
	j_mov_rr(&x->a, H_BX, H_DI);
	j_mov_rr(&x->a, H_R14, H_SI);
	j_load(&x->a, 8, H_R12, H_BX, CPU(rip));
	x->body = x->a.p;
	emit_view(x);
	cache_load(x);
	x->body_loop = x->a.p;

	for (unsigned k = 0; k < b->ninsn; k++) {
		const struct emu_insn *in = &b->code->insn[k];
		const struct plan *p = &plan[k];

		x->k = k;
		x->off = off;
		x->next_off = (uint16_t)(off + in->len);
		x->marked = false;
		/* The host's flags are still the guest's only right after
		 * flags_after(), and not where a slow path comes back. */
		x->host_flags = x->host_flags && k > 0 && !touches_memory(&plan[k - 1]);
		if (p->kind != K_JCC)
			x->host_flags = false;
		switch (p->kind) {
		case K_NOP: break;
		case K_ALU: emit_alu(x, in, p); break;
		case K_UNARY: emit_unary(x, in, p); break;
		case K_SHIFT: emit_shift(x, in, p); break;
		case K_MOV: emit_mov(x, in, p); break;
		case K_MOVX: emit_movx(x, in, p); break;
		case K_LEA:
			ea_rdx(x, in);
			greg_store(x, in, p->dreg, p->size, H_DX);
			break;
		case K_SETCC: emit_setcc(x, in, p); break;
		case K_PUSH: emit_push(x, p); break;
		case K_POP: emit_pop(x, p); break;
		case K_CALLREL: emit_callrel(x, p); break;
		case K_RET: emit_ret(x); break;
		case K_CMOV: emit_cmov(x, in, p); break;
		case K_JCC: emit_jcc(x, in, p); break;
		case K_JMP:
			if (branch_opsize(in) * 8 == x->code_bits &&
			    linkable(x, (int64_t)x->next_off + (int64_t)p->imm)) {
				struct taken_fix jmp = { .n = (uint8_t)(k + 1), .off = x->off,
							 .next_off = x->next_off,
							 .opsize = (uint8_t)branch_opsize(in),
							 .rel = p->imm };

				emit_link(x, k + 1, (int64_t)x->next_off + (int64_t)p->imm, &jmp);
				break;
			}
			mark_start(x);
			emit_branch(x, k + 1, x->next_off, branch_opsize(in), p->imm);
			break;
		default: emit_call(x, in); break;
		}
		if (p->kind == K_CALL)
			j->stats.called++;
		else
			j->stats.native++;
		if (x->nslow && x->slow[x->nslow - 1].k == k) {
			x->slow[x->nslow - 1].back = x->a.p;
			x->slow[x->nslow - 1].leaves = p->kind == K_CALLREL || p->kind == K_RET;
		}
		if (p->kind == K_JMP || p->kind == K_CALLREL || p->kind == K_RET)
			break; /* (the last instruction: they end blocks) */
		off = x->next_off;
	}
	enum kind last = plan[b->ninsn - 1].kind;
	if (last == K_JMP || last == K_CALLREL || last == K_RET)
		; /* left already */
	else if (last == K_CALL || !linkable(x, off))
		exit_to(x, -1, b->ninsn, true, off);
	else
		emit_link(x, b->ninsn, off, NULL);
	emit_tails(x);
	uint8_t *centry = NULL;
	if (x->code_bits != 16) {
		centry = exec_addr(j, x->a.p);
		emit_chain_entry(x);
	}
	memcpy(chain_addr, &centry, sizeof(centry));

	if (x->a.overflow) {
		free(x);
		return NULL; /* cannot happen within BLOCK_CODE_MAX; treated as full */
	}
	j->used += (size_t)(x->a.p - start);
	j->used = (j->used + 15) & ~(size_t)15;
	j->data_used += (size_t)((uint8_t *)(x->insn_copy + x->ncopies) - data);
	j->data_used = (j->data_used + 15) & ~(size_t)15;
	j->stats.blocks++;
	free(x);
	return (emu_jit_entry)(void *)exec_addr(j, entry);
}

#else /* not an x86-64 host: no translator */

struct emu_jit {
	struct emu_jit_stats stats;
};

struct emu_jit *emu_jit_new(size_t bytes)
{
	(void)bytes;
	return NULL;
}

void emu_jit_free(struct emu_jit *j)
{
	free(j);
}

emu_jit_entry emu_jit_translate(struct emu_jit *j, const struct emu_block *b)
{
	(void)j;
	(void)b;
	return NULL;
}

void emu_jit_reset(struct emu_jit *j)
{
	(void)j;
}

void emu_jit_enter_linked(struct emu_jit *j, struct emu_cpu *c, const uint8_t *page, void *chain)
{
	(void)j;
	(void)c;
	(void)page;
	(void)chain;
}

const struct emu_jit_stats *emu_jit_stats(const struct emu_jit *j)
{
	return &j->stats;
}

#endif
