/* Control transfer of the software CPU: Jcc, JMP, CALL, RET (near and,
 * through emu_system, far), LOOP/LOOPcc/JrCXZ, ENTER/LEAVE, INT/INT3/INTO/
 * INT1, IRET and BOUND. */
#include "emu_exec.h"

/* Operand size of near branches: 64 in 64-bit code whatever the prefixes
 * (as Intel CPUs do), else the operand size. */
static unsigned branch_size(const struct emu_insn *in)
{
	return in->code_bits == 64 ? 8 : in->opsize;
}

static void jump_rel(struct emu_cpu *c, const struct emu_insn *in)
{
	emu_jump_near(c, c->rip + in->imm, branch_size(in));
}

static void call_near(struct emu_cpu *c, const struct emu_insn *in, uint64_t target)
{
	unsigned sz = branch_size(in);
	uint64_t ret = c->rip;

	emu_jump_near(c, target, sz);
	emu_push(c, sz, ret);
}

static void ret_near(struct emu_cpu *c, const struct emu_insn *in, unsigned extra)
{
	unsigned sz = in->code_bits == 64 ? 8 : in->opsize;
	unsigned as = stack_addr_size(c);
	uint64_t target = emu_pop(c, sz);
	uint64_t sp = c->gpr[R_SP] + extra;

	emu_jump_near(c, target, sz);
	if (as == 2)
		c->gpr[R_SP] = (c->gpr[R_SP] & ~0xffffULL) | (sp & 0xffff);
	else
		c->gpr[R_SP] = sp & addr_mask(as);
}

static void enter(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = stack_opsize(in);
	unsigned as = stack_addr_size(c);
	unsigned level = in->imm2 & 31;
	uint64_t frame, bp = c->gpr[R_BP];

	emu_push(c, sz, bp);
	frame = c->gpr[R_SP] & addr_mask(as);
	if (level > 0) {
		for (unsigned i = 1; i < level; i++) {
			bp = (bp - sz) & addr_mask(as);
			emu_push(c, sz, emu_read(c, S_SS, bp, sz));
		}
		emu_push(c, sz, frame);
	}
	/* Touch the bottom of the new frame so a fault happens now. */
	uint64_t sp = (c->gpr[R_SP] - (in->imm & 0xffff)) & addr_mask(as);

	if ((in->imm & 0xffff) != 0)
		(void)emu_read(c, S_SS, sp, 1);
	reg_set(c, in, R_BP, as, frame);
	if (as == 2)
		c->gpr[R_SP] = (c->gpr[R_SP] & ~0xffffULL) | sp;
	else
		c->gpr[R_SP] = sp;
}

static void leave(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = stack_opsize(in);
	unsigned as = stack_addr_size(c);
	uint64_t bp = c->gpr[R_BP] & addr_mask(as);
	uint64_t v = emu_read(c, S_SS, bp, sz);

	if (as == 2)
		c->gpr[R_SP] = (c->gpr[R_SP] & ~0xffffULL) | ((bp + sz) & 0xffff);
	else
		c->gpr[R_SP] = (bp + sz) & addr_mask(as);
	reg_set(c, in, R_BP, sz, v);
}

/* FF /3 and /5: far pointer in memory (offset, then selector). */
static void far_indirect(struct emu_cpu *c, const struct emu_insn *in, bool call)
{
	unsigned sz = in->opsize;
	uint64_t off;
	uint16_t sel = emu_read_far_ptr(c, in, &off);

	if (call)
		emu_far_call(c, sel, off, sz, c->rip);
	else
		emu_far_jmp(c, sel, off, sz);
}

static void soft_int(struct emu_cpu *c, unsigned vec)
{
	/* Virtual-8086 mode without VME: INT n needs IOPL 3. */
	if ((c->rflags & FL_VM) && (c->rflags & FL_IOPL) != FL_IOPL)
		emu_raise(c, EXC_GP, 0);
	emu_deliver(c, (int)vec, false, 0, true, c->rip);
}

bool emu_exec_control(struct emu_cpu *c, const struct emu_insn *in)
{
	bool x64 = in->code_bits == 64;
	unsigned as = in->addrsize;
	uint64_t cnt;
	bool take;

	if (in->map == MAP_0F) {
		if (in->op >= 0x80 && in->op <= 0x8f) {
			if (emu_cond(c, in->op & 0xf))
				jump_rel(c, in);
			return true;
		}
		return false;
	}

	switch (in->op) {
	case 0x62: { /* BOUND */
		unsigned sz = in->opsize;
		int64_t idx, lo, hi;
		uint64_t ea;

		if (x64 || !in->is_mem)
			return false;
		ea = emu_ea(c, in);
		idx = (int64_t)sext_to64(reg_get(c, in, in->reg, sz), sz);
		lo = (int64_t)sext_to64(emu_read(c, in->seg, ea, sz), sz);
		hi = (int64_t)sext_to64(emu_read(c, in->seg, (ea + sz) & addr_mask(as), sz), sz);
		if (idx < lo || idx > hi)
			emu_raise_noerr(c, EXC_BR);
		return true;
	}
	case 0x70 ... 0x7f:
		if (emu_cond(c, in->op & 0xf))
			jump_rel(c, in);
		return true;
	case 0x9a: /* CALL far ptr */
		if (x64)
			return false;
		emu_far_call(c, (uint16_t)in->imm2, in->imm, in->opsize, c->rip);
		return true;
	case 0xc2: /* RET imm16 */
		ret_near(c, in, in->imm & 0xffff);
		return true;
	case 0xc3:
		ret_near(c, in, 0);
		return true;
	case 0xc8:
		enter(c, in);
		return true;
	case 0xc9:
		leave(c, in);
		return true;
	case 0xca: /* RETF imm16 */
		emu_far_ret(c, in->opsize, (uint16_t)in->imm);
		return true;
	case 0xcb:
		emu_far_ret(c, in->opsize, 0);
		return true;
	case 0xcc: /* INT3 */
		emu_deliver(c, EXC_BP, false, 0, true, c->rip);
		return true;
	case 0xcd: /* INT n */
		soft_int(c, in->imm & 0xff);
		return true;
	case 0xce: /* INTO */
		if (x64)
			return false;
		if (c->rflags & FL_OF)
			emu_deliver(c, EXC_OF, false, 0, true, c->rip);
		return true;
	case 0xcf: /* IRET */
		emu_iret(c, in->opsize);
		return true;
	case 0xe0: case 0xe1: case 0xe2: /* LOOPNE LOOPE LOOP */
		cnt = (c->gpr[R_CX] - 1) & addr_mask(as);
		take = cnt != 0;
		if (in->op == 0xe0)
			take = take && !(c->rflags & FL_ZF);
		else if (in->op == 0xe1)
			take = take && (c->rflags & FL_ZF);
		if (take)
			jump_rel(c, in);
		reg_set(c, in, R_CX, as, cnt);
		return true;
	case 0xe3: /* JCXZ / JECXZ / JRCXZ */
		if ((c->gpr[R_CX] & addr_mask(as)) == 0)
			jump_rel(c, in);
		return true;
	case 0xe8: /* CALL rel */
		call_near(c, in, c->rip + in->imm);
		return true;
	case 0xe9: case 0xeb: /* JMP rel */
		jump_rel(c, in);
		return true;
	case 0xea: /* JMP far ptr */
		if (x64)
			return false;
		emu_far_jmp(c, (uint16_t)in->imm2, in->imm, in->opsize);
		return true;
	case 0xf1: /* INT1 (ICEBP): a #DB trap without the DPL check */
		emu_deliver(c, EXC_DB, false, 0, false, c->rip);
		return true;
	case 0xff:
		switch ((in->modrm >> 3) & 7) {
		case 2: /* CALL r/m */
			call_near(c, in, rm_get(c, in, branch_size(in)));
			return true;
		case 3:
			far_indirect(c, in, true);
			return true;
		case 4: /* JMP r/m */
			emu_jump_near(c, rm_get(c, in, branch_size(in)), branch_size(in));
			return true;
		case 5:
			far_indirect(c, in, false);
			return true;
		}
		return false;
	}
	return false;
}
