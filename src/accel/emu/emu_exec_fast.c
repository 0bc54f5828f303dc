/* Direct handlers for the software CPU's most frequent instruction forms
 * (MOV, LEA, the ALU ops, TEST, INC/DEC, Jcc, and in 64-bit code PUSH/POP,
 * CALL/RET near), chosen once at decode time by emu_exec_fast() so that a
 * decoded block calls them without going through the family switches.
 * Each does exactly what its family's generic code does for that form
 * (same helpers, same order of reads, writes and checks); forms with
 * corner cases (LOCK, byte registers, 16-bit stacks) are left to the
 * families. */
#include "emu_exec.h"

/* ---- moves ---- */

static bool mov_rm_r_reg(struct emu_cpu *c, const struct emu_insn *in)
{
	reg_set(c, in, in->rm, in->opsize, c->gpr[in->reg]);
	return true;
}

static bool mov_rm_r_mem(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = in->opsize;

	emu_write(c, in->seg, emu_ea(c, in), sz, c->gpr[in->reg] & size_mask(sz));
	return true;
}

static bool mov_r_rm_reg(struct emu_cpu *c, const struct emu_insn *in)
{
	reg_set(c, in, in->reg, in->opsize, c->gpr[in->rm]);
	return true;
}

static bool mov_r_rm_mem(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = in->opsize;

	reg_set(c, in, in->reg, sz, emu_read(c, in->seg, emu_ea(c, in), sz));
	return true;
}

static bool mov_r_imm(struct emu_cpu *c, const struct emu_insn *in)
{
	reg_set(c, in, (in->op & 7) | ((in->rex & 1) << 3), in->opsize, in->imm);
	return true;
}

static bool mov_rm_imm_mem(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = in->opsize;

	emu_write(c, in->seg, emu_ea(c, in), sz, in->imm & size_mask(sz));
	return true;
}

static bool lea(struct emu_cpu *c, const struct emu_insn *in)
{
	reg_set(c, in, in->reg, in->opsize, emu_ea(c, in));
	return true;
}

/* ---- ALU ---- */

/* Operand size of an ALU form whose opcode bit 0 selects byte or full size. */
static inline unsigned alu_size(const struct emu_insn *in)
{
	return (in->op & 1) ? in->opsize : 1;
}

/* op r/m, r with a register destination (00, 01, 08, 09, ..., 39). */
static bool alu_rm_r_reg(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = alu_size(in), aop = in->op >> 3;
	uint64_t fl = c->rflags;
	uint64_t v =
	    alu_binop(aop, sz, reg_get(c, in, in->rm, sz), reg_get(c, in, in->reg, sz), &fl);

	if (aop != 7)
		reg_set(c, in, in->rm, sz, v);
	c->rflags = fl;
	return true;
}

/* CMP r/m, r with a memory operand (38, 39). */
static bool cmp_mem_r(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = alu_size(in);
	uint64_t fl = c->rflags;
	uint64_t src = reg_get(c, in, in->reg, sz);

	alu_binop(7, sz, emu_read(c, in->seg, emu_ea(c, in), sz), src, &fl);
	c->rflags = fl;
	return true;
}

/* op r, r/m (02, 03, 0a, 0b, ..., 3b), register or memory source. */
static bool alu_r_rm(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = alu_size(in), aop = in->op >> 3;
	uint64_t fl = c->rflags;
	uint64_t v = alu_binop(aop, sz, reg_get(c, in, in->reg, sz), rm_get(c, in, sz), &fl);

	if (aop != 7)
		reg_set(c, in, in->reg, sz, v);
	c->rflags = fl;
	return true;
}

/* op AL/rAX, imm (04, 05, 0c, 0d, ..., 3d). */
static bool alu_acc_imm(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = alu_size(in), aop = in->op >> 3;
	uint64_t fl = c->rflags;
	uint64_t v = alu_binop(aop, sz, reg_get(c, in, R_AX, sz), in->imm, &fl);

	if (aop != 7)
		reg_set(c, in, R_AX, sz, v);
	c->rflags = fl;
	return true;
}

/* Operand size of group 1 (80 and 82 are byte forms). */
static inline unsigned grp1_size(const struct emu_insn *in)
{
	return (in->op & 1) ? in->opsize : 1;
}

/* Group 1 (80, 81, 83) with a register destination. */
static bool alu_reg_imm(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = grp1_size(in), aop = (in->modrm >> 3) & 7;
	uint64_t fl = c->rflags;
	uint64_t v = alu_binop(aop, sz, reg_get(c, in, in->rm, sz), in->imm, &fl);

	if (aop != 7)
		reg_set(c, in, in->rm, sz, v);
	c->rflags = fl;
	return true;
}

/* CMP m, imm (80 /7, 81 /7, 83 /7). */
static bool cmp_mem_imm(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = grp1_size(in);
	uint64_t fl = c->rflags;

	alu_binop(7, sz, emu_read(c, in->seg, emu_ea(c, in), sz), in->imm, &fl);
	c->rflags = fl;
	return true;
}

/* TEST r/m, r (84, 85), register or memory. */
static bool test_rm_r(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = alu_size(in);
	uint64_t fl = c->rflags;

	flags_logic(sz, rm_get(c, in, sz) & reg_get(c, in, in->reg, sz), &fl);
	c->rflags = fl;
	return true;
}

/* TEST AL/rAX, imm (a8, a9). */
static bool test_acc_imm(struct emu_cpu *c, const struct emu_insn *in)
{
	uint64_t fl = c->rflags;

	flags_logic(alu_size(in), c->gpr[R_AX] & in->imm, &fl);
	c->rflags = fl;
	return true;
}

/* TEST r/m, imm (f6 /0 /1, f7 /0 /1). */
static bool test_rm_imm(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = alu_size(in);
	uint64_t fl = c->rflags;

	flags_logic(sz, rm_get(c, in, sz) & in->imm, &fl);
	c->rflags = fl;
	return true;
}

/* INC/DEC r (FF /0, /1 with a register). */
static bool incdec_reg(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = in->opsize;
	uint64_t fl = c->rflags;
	uint64_t v = alu_incdec((in->modrm >> 3) & 1, sz, c->gpr[in->rm] & size_mask(sz), &fl);

	reg_set(c, in, in->rm, sz, v);
	c->rflags = fl;
	return true;
}

/* ---- control and stack (64-bit code) ---- */

static bool jcc64(struct emu_cpu *c, const struct emu_insn *in)
{
	if (emu_cond(c, in->op & 0xf)) {
		uint64_t target = c->rip + in->imm;

		if (!emu_is_canonical(target))
			emu_raise(c, EXC_GP, 0);
		c->rip = target;
	}
	return true;
}

static bool jcc(struct emu_cpu *c, const struct emu_insn *in)
{
	if (emu_cond(c, in->op & 0xf))
		emu_jump_near(c, c->rip + in->imm, in->opsize);
	return true;
}

static bool push64(struct emu_cpu *c, const struct emu_insn *in)
{
	uint64_t v = c->gpr[(in->op & 7) | ((in->rex & 1) << 3)];
	uint64_t sp = c->gpr[R_SP] - 8;

	emu_write(c, S_SS, sp, 8, v);
	c->gpr[R_SP] = sp;
	return true;
}

static bool pop64(struct emu_cpu *c, const struct emu_insn *in)
{
	uint64_t sp = c->gpr[R_SP];
	uint64_t v = emu_read(c, S_SS, sp, 8);

	c->gpr[R_SP] = sp + 8;
	c->gpr[(in->op & 7) | ((in->rex & 1) << 3)] = v;
	return true;
}

static bool call64(struct emu_cpu *c, const struct emu_insn *in)
{
	uint64_t ret = c->rip, target = ret + in->imm;
	uint64_t sp = c->gpr[R_SP] - 8;

	if (!emu_is_canonical(target))
		emu_raise(c, EXC_GP, 0);
	c->rip = target;
	emu_write(c, S_SS, sp, 8, ret);
	c->gpr[R_SP] = sp;
	return true;
}

static bool ret64(struct emu_cpu *c, const struct emu_insn *in)
{
	uint64_t sp = c->gpr[R_SP];
	uint64_t target = emu_read(c, S_SS, sp, 8);

	if (!emu_is_canonical(target))
		emu_raise(c, EXC_GP, 0);
	c->gpr[R_SP] = sp + 8;
	c->rip = target;
	return true;
}

/* ---- selection ---- */

static emu_exec_fn fast_1b(const struct emu_insn *in)
{
	bool x64 = in->code_bits == 64;
	bool wide = in->opsize >= 4; /* 4 or 8: no merging into a register */
	unsigned op = in->op, r = (in->modrm >> 3) & 7;

	if (op < 0x40 && (op & 7) < 6) {
		switch (op & 7) {
		case 0: case 1:
			if (!in->is_mem)
				return alu_rm_r_reg;
			return op >= 0x38 ? cmp_mem_r : NULL;
		case 2: case 3:
			return alu_r_rm;
		default:
			return alu_acc_imm;
		}
	}
	switch (op) {
	case 0x50 ... 0x57:
		return x64 && !in->pfx66 ? push64 : NULL;
	case 0x58 ... 0x5f:
		return x64 && !in->pfx66 ? pop64 : NULL;
	case 0x70 ... 0x7f:
		return x64 ? jcc64 : jcc;
	case 0x80: case 0x81: case 0x83:
		if (!in->is_mem)
			return alu_reg_imm;
		return r == 7 ? cmp_mem_imm : NULL;
	case 0x84: case 0x85:
		return test_rm_r;
	case 0xa8: case 0xa9:
		return test_acc_imm;
	case 0xf6: case 0xf7:
		return r < 2 ? test_rm_imm : NULL;
	case 0x89:
		if (!wide)
			return NULL;
		return in->is_mem ? mov_rm_r_mem : mov_rm_r_reg;
	case 0x8b:
		if (!wide)
			return NULL;
		return in->is_mem ? mov_r_rm_mem : mov_r_rm_reg;
	case 0x8d:
		return in->is_mem && wide ? lea : NULL;
	case 0xb8 ... 0xbf:
		return wide ? mov_r_imm : NULL;
	case 0xc3:
		return x64 ? ret64 : NULL;
	case 0xc7:
		return wide && r == 0 && in->is_mem ? mov_rm_imm_mem : NULL;
	case 0xe8:
		return x64 ? call64 : NULL;
	case 0xff:
		return wide && r < 2 && !in->is_mem ? incdec_reg : NULL;
	default:
		return NULL;
	}
}

emu_exec_fn emu_exec_fast(const struct emu_insn *in)
{
	if (in->lock)
		return NULL;
	if (in->map == MAP_1B)
		return fast_1b(in);
	if (in->map == MAP_0F && in->op >= 0x80 && in->op <= 0x8f)
		return in->code_bits == 64 ? jcc64 : jcc;
	return NULL;
}
