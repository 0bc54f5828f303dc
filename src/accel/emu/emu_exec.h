/* Helpers shared by the software CPU's instruction families (emu_exec*.c):
 * register and ModRM operand access, the stack, flags, and the family
 * entry points called by the dispatcher in emu_exec.c. Internal to the
 * core; emusys does not need it. */
#ifndef VSLICE_EMU_EXEC_H
#define VSLICE_EMU_EXEC_H

#include "emu_cpu.h"
#include "emu_decode.h"

static inline uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static inline uint64_t sign_bit(unsigned size)
{
	return 1ULL << (8 * size - 1);
}

static inline uint64_t sext_to64(uint64_t v, unsigned size)
{
	unsigned sh = 64 - 8 * size;

	return size >= 8 ? v : (uint64_t)((int64_t)(v << sh) >> sh);
}

/* General register r (0-15) at size 1/2/4/8; byte registers 4-7 are
 * AH/CH/DH/BH unless a REX prefix is present. */
static inline uint64_t reg_get(const struct emu_cpu *c, const struct emu_insn *in, unsigned r,
			       unsigned size)
{
	if (size == 1) {
		if (!in->rex && r >= 4 && r < 8)
			return (c->gpr[r - 4] >> 8) & 0xff;
		return c->gpr[r] & 0xff;
	}
	return c->gpr[r] & size_mask(size);
}

/* Writes like the CPU: 32-bit writes zero the upper half, 8/16-bit
 * writes merge. */
static inline void reg_set(struct emu_cpu *c, const struct emu_insn *in, unsigned r,
			   unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		if (!in->rex && r >= 4 && r < 8)
			c->gpr[r - 4] = (c->gpr[r - 4] & ~0xff00ULL) | ((v & 0xff) << 8);
		else
			c->gpr[r] = (c->gpr[r] & ~0xffULL) | (v & 0xff);
		break;
	case 2:
		c->gpr[r] = (c->gpr[r] & ~0xffffULL) | (v & 0xffff);
		break;
	case 4:
		c->gpr[r] = v & 0xffffffffu;
		break;
	default:
		c->gpr[r] = v;
		break;
	}
}

/* Mask of an address of the given size. */
static inline uint64_t addr_mask(unsigned addrsize)
{
	return size_mask(addrsize);
}

/* Effective address of the ModRM memory operand, masked to the address
 * size (RIP-relative uses c->rip, already the next instruction). */
static inline uint64_t emu_ea(const struct emu_cpu *c, const struct emu_insn *in)
{
	uint64_t a = in->disp;

	if (in->rip_rel)
		a += c->rip;
	if (in->base != NO_REG)
		a += c->gpr[in->base];
	if (in->index != NO_REG)
		a += c->gpr[in->index] << in->scale;
	return a & addr_mask(in->addrsize);
}

/* ModRM r/m operand at the given size (register or memory). */
static inline uint64_t rm_get(struct emu_cpu *c, const struct emu_insn *in, unsigned size)
{
	if (!in->is_mem)
		return reg_get(c, in, in->rm, size);
	return emu_read(c, in->seg, emu_ea(c, in), size);
}

static inline void rm_set(struct emu_cpu *c, const struct emu_insn *in, unsigned size, uint64_t v)
{
	if (!in->is_mem)
		reg_set(c, in, in->rm, size, v);
	else
		emu_write(c, in->seg, emu_ea(c, in), size, v);
}

/* Stack: address size (2/4/8) and push/pop of size bytes. push writes
 * before it moves rsp; pop reads before it moves rsp. */
unsigned stack_addr_size(const struct emu_cpu *c);
void emu_push(struct emu_cpu *c, unsigned size, uint64_t v);
uint64_t emu_pop(struct emu_cpu *c, unsigned size);
/* Reads the stack at rsp+off without popping. */
uint64_t emu_stack_peek(struct emu_cpu *c, unsigned off, unsigned size);
/* Operand size of PUSH/POP and other stack ops (64 by default in 64-bit code). */
static inline unsigned stack_opsize(const struct emu_insn *in)
{
	if (in->code_bits == 64)
		return in->pfx66 && !(in->rex & 8) ? 2 : 8;
	return in->opsize;
}

/* Jumps to target (masked to opsize; #GP if outside CS limit or
 * non-canonical). */
void emu_jump_near(struct emu_cpu *c, uint64_t target, unsigned opsize);
/* Condition code cc (0-15, the low nibble of Jcc) on c->rflags. Inline:
 * every Jcc, SETcc and CMOVcc asks. */
static inline bool emu_cond(const struct emu_cpu *c, unsigned cc)
{
	uint64_t f = c->rflags;
	bool r;

	switch ((cc >> 1) & 7) {
	case 0: r = f & FL_OF; break;
	case 1: r = f & FL_CF; break;
	case 2: r = f & FL_ZF; break;
	case 3: r = f & (FL_CF | FL_ZF); break;
	case 4: r = f & FL_SF; break;
	case 5: r = f & FL_PF; break;
	case 6: r = !(f & FL_SF) != !(f & FL_OF); break;
	default: r = (f & FL_ZF) || (!(f & FL_SF) != !(f & FL_OF)); break;
	}
	return (cc & 1) ? !r : r;
}

/* ---- flags (emu_flags.c) ---- */
/* ALU op 0-7 (ADD OR ADC SBB AND SUB XOR CMP): result; updates the
 * arithmetic flags in *fl (reads CF for ADC/SBB). */
uint64_t alu_binop(unsigned op, unsigned size, uint64_t a, uint64_t b, uint64_t *fl);
/* INC (dec=false) / DEC: CF untouched. */
uint64_t alu_incdec(bool dec, unsigned size, uint64_t a, uint64_t *fl);
/* NEG. */
uint64_t alu_neg(unsigned size, uint64_t a, uint64_t *fl);
/* Shift/rotate group 2: op 0-7 (ROL ROR RCL RCR SHL SHR SAL SAR), count
 * already read (masked here). */
uint64_t alu_shift(unsigned op, unsigned size, uint64_t a, unsigned count, uint64_t *fl);
/* SHLD (left) / SHRD. */
uint64_t alu_shiftd(bool left, unsigned size, uint64_t dst, uint64_t src, unsigned count,
		    uint64_t *fl);
/* SF, ZF, PF of a result; clears CF, OF, AF (logic ops). */
void flags_logic(unsigned size, uint64_t r, uint64_t *fl);
/* SF, ZF, PF of a result only. */
static inline void flags_szp(unsigned size, uint64_t r, uint64_t *fl)
{
	uint64_t f = *fl & ~(uint64_t)(FL_SF | FL_ZF | FL_PF);

	r &= size_mask(size);
	if (r == 0)
		f |= FL_ZF;
	if (r & sign_bit(size))
		f |= FL_SF;
	if (!__builtin_parity((unsigned)(r & 0xff)))
		f |= FL_PF;
	*fl = f;
}

/* ---- families ---- */
/* Each returns true if it handled the opcode, false for #UD. */
typedef bool (*emu_exec_fn)(struct emu_cpu *c, const struct emu_insn *in);
/* The family that executes in (emu_exec.c; a function that returns false
 * for a LOCK prefix where none is allowed). Decoded blocks keep it. */
emu_exec_fn emu_exec_family(const struct emu_insn *in);
/* A direct handler for a frequent form of instruction, or NULL: the
 * family then executes it (emu_exec_fast.c). */
emu_exec_fn emu_exec_fast(const struct emu_insn *in);
bool emu_exec_move(struct emu_cpu *c, const struct emu_insn *in);    /* emu_exec_move.c */
bool emu_exec_alu(struct emu_cpu *c, const struct emu_insn *in);     /* emu_exec_alu.c */
bool emu_exec_muldiv(struct emu_cpu *c, const struct emu_insn *in);  /* emu_exec_muldiv.c */
bool emu_exec_bits(struct emu_cpu *c, const struct emu_insn *in);    /* emu_exec_bits.c */
bool emu_exec_string(struct emu_cpu *c, const struct emu_insn *in);  /* emu_exec_string.c */
bool emu_exec_control(struct emu_cpu *c, const struct emu_insn *in); /* emu_exec_control.c */
bool emu_exec_system(struct emu_cpu *c, const struct emu_insn *in);  /* emu_exec_sys.c */
bool emu_exec_sse(struct emu_cpu *c, const struct emu_insn *in);     /* emu_exec_sse.c */
bool emu_exec_x87(struct emu_cpu *c, const struct emu_insn *in);     /* emu_exec_x87.c */

/* IN/OUT/INS/OUTS permission: IOPL, else the TSS I/O bitmap (#GP). */
void emu_io_check(struct emu_cpu *c, uint16_t port, unsigned size);

/* Raises #UD. */
_Noreturn void emu_ud(struct emu_cpu *c);

/* Locked or plain read-modify-write of the r/m operand: calls
 * op(ctx, old, &fl) to compute the new value, retrying on contention when
 * locked (host atomics on the RAM pointer). Returns the old value; the
 * flags computed for the value that was stored end in c->rflags. */
typedef uint64_t (*emu_rmw_fn)(void *ctx, unsigned size, uint64_t old, uint64_t *fl);
/* The memory case of emu_rmw (emu_exec.c). */
uint64_t emu_rmw_mem(struct emu_cpu *c, const struct emu_insn *in, unsigned size, emu_rmw_fn op,
		     void *ctx);
/* Inline so that the register case, the common one, calls op directly
 * (the families pass a constant op, which the compiler then inlines). */
static inline uint64_t emu_rmw(struct emu_cpu *c, const struct emu_insn *in, unsigned size,
			       emu_rmw_fn op, void *ctx)
{
	uint64_t fl, old, val;

	if (in->is_mem)
		return emu_rmw_mem(c, in, size, op, ctx);
	fl = c->rflags;
	old = reg_get(c, in, in->rm, size);
	val = op(ctx, size, old, &fl);
	reg_set(c, in, in->rm, size, val);
	c->rflags = fl;
	return old;
}
/* Compare-and-exchange on memory at (seg, off): if the value equals
 * *expected, stores desired and returns true; else loads it into
 * *expected. Atomic when the operand is RAM. */
bool emu_cmpxchg_mem(struct emu_cpu *c, int seg, uint64_t off, unsigned size,
		     uint64_t *expected, uint64_t desired);

/* The far-pointer memory operand of LDS/LES/LSS/LFS/LGS and JMP/CALL FAR
 * m16:xx: the offset (operand size) then the selector; #UD if the operand
 * is a register. */
static inline uint16_t emu_read_far_ptr(struct emu_cpu *c, const struct emu_insn *in,
					uint64_t *off)
{
	if (!in->is_mem)
		emu_ud(c);
	uint64_t ea = emu_ea(c, in);
	*off = emu_read(c, in->seg, ea, in->opsize);
	return (uint16_t)emu_read(c, in->seg, (ea + in->opsize) & addr_mask(in->addrsize), 2);
}

#endif
