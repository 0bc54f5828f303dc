/* Data movement and flag instructions of the software CPU: MOV forms,
 * MOVZX/MOVSX/MOVSXD, LEA, XCHG, PUSH/POP (registers, segment registers,
 * memory, immediates, PUSHA/POPA, PUSHF/POPF), far-pointer loads
 * (LDS/LES/LSS/LFS/LGS), CBW/CWD families, XLAT, LAHF/SAHF, CLC/STC/CMC,
 * CLD/STD, NOP/PAUSE, ARPL. */
#include "emu_exec.h"

static uint64_t xchg_op(void *ctx, unsigned size, uint64_t old, uint64_t *fl)
{
	return *(uint64_t *)ctx;
}

/* RFLAGS bits POPF may change, given the privilege rules. */
static uint64_t popf_mask(const struct emu_cpu *c, unsigned size)
{
	uint64_t m = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID;
	unsigned iopl = (c->rflags & FL_IOPL) >> 12;

	if (c->rflags & FL_VM) {
		m |= FL_IF; /* IOPL 3 checked by the caller */
	} else {
		if (c->cpl == 0)
			m |= FL_IOPL;
		if ((unsigned)c->cpl <= iopl)
			m |= FL_IF;
	}
	if (size == 2)
		m &= 0xffff;
	return m;
}

static void do_popf(struct emu_cpu *c, unsigned size)
{
	uint64_t v, m;

	if ((c->rflags & FL_VM) && (c->rflags & FL_IOPL) != FL_IOPL)
		emu_raise(c, EXC_GP, 0);
	v = emu_stack_peek(c, 0, size);
	m = popf_mask(c, size);
	(void)emu_pop(c, size);
	c->rflags = (c->rflags & ~m) | (v & m);
	c->rflags |= 2;
	if (size > 2)
		c->rflags &= ~(uint64_t)FL_RF;
}

static uint64_t seg_for_push(struct emu_cpu *c, unsigned s)
{
	return c->seg[s].sel;
}

static void pop_seg(struct emu_cpu *c, const struct emu_insn *in, int s)
{
	unsigned sz = stack_opsize(in);
	unsigned as = stack_addr_size(c);
	uint64_t v = emu_stack_peek(c, 0, sz);
	uint64_t sp = c->gpr[R_SP] + sz;

	emu_load_seg(c, s, (uint16_t)v);
	if (as == 2)
		c->gpr[R_SP] = (c->gpr[R_SP] & ~0xffffULL) | (sp & 0xffff);
	else
		c->gpr[R_SP] = sp & addr_mask(as);
	if (s == S_SS)
		c->interrupt_shadow = true;
}

/* LDS/LES/LSS/LFS/LGS: offset then selector at the memory operand. */
static void load_far_ptr(struct emu_cpu *c, const struct emu_insn *in, int s)
{
	uint64_t off;
	uint16_t sel = emu_read_far_ptr(c, in, &off);

	emu_load_seg(c, s, sel);
	reg_set(c, in, in->reg, in->opsize, off);
}

static bool exec_0f(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = in->opsize;
	uint64_t v;

	switch (in->op) {
	case 0xa0: /* PUSH FS */
	case 0xa8: /* PUSH GS */
		emu_push(c, stack_opsize(in), seg_for_push(c, in->op == 0xa0 ? S_FS : S_GS));
		return true;
	case 0xa1: /* POP FS */
	case 0xa9: /* POP GS */
		pop_seg(c, in, in->op == 0xa1 ? S_FS : S_GS);
		return true;
	case 0xb2: /* LSS */
		load_far_ptr(c, in, S_SS);
		return true;
	case 0xb4: /* LFS */
		load_far_ptr(c, in, S_FS);
		return true;
	case 0xb5: /* LGS */
		load_far_ptr(c, in, S_GS);
		return true;
	case 0xb6: /* MOVZX r, r/m8 */
		reg_set(c, in, in->reg, sz, rm_get(c, in, 1));
		return true;
	case 0xb7: /* MOVZX r, r/m16 */
		reg_set(c, in, in->reg, sz, rm_get(c, in, 2));
		return true;
	case 0xbe: /* MOVSX r, r/m8 */
		v = sext_to64(rm_get(c, in, 1), 1);
		reg_set(c, in, in->reg, sz, v);
		return true;
	case 0xbf: /* MOVSX r, r/m16 */
		v = sext_to64(rm_get(c, in, 2), 2);
		reg_set(c, in, in->reg, sz, v);
		return true;
	}
	return false;
}

bool emu_exec_move(struct emu_cpu *c, const struct emu_insn *in)
{
	static const int8_t seg_of_push_pop[0x20] = {
		[0x06] = S_ES, [0x07] = S_ES, [0x0e] = S_CS, [0x16] = S_SS, [0x17] = S_SS,
		[0x1e] = S_DS, [0x1f] = S_DS,
	};
	bool x64 = in->code_bits == 64;
	unsigned sz = in->opsize;
	unsigned op = in->op;
	uint64_t v, ea;

	if (in->map == MAP_0F)
		return exec_0f(c, in);

	switch (op) {
	case 0x06: case 0x0e: case 0x16: case 0x1e: /* PUSH sreg */
		if (x64)
			return false;
		emu_push(c, sz, seg_for_push(c, seg_of_push_pop[op]));
		return true;
	case 0x07: case 0x17: case 0x1f: /* POP sreg */
		if (x64)
			return false;
		pop_seg(c, in, seg_of_push_pop[op]);
		return true;
	case 0x50 ... 0x57: /* PUSH r */
		emu_push(c, stack_opsize(in), c->gpr[(op & 7) | ((in->rex & 1) << 3)]);
		return true;
	case 0x58 ... 0x5f: { /* POP r */
		unsigned s2 = stack_opsize(in);

		v = emu_pop(c, s2);
		reg_set(c, in, (op & 7) | ((in->rex & 1) << 3), s2, v);
		return true;
	}
	case 0x60: { /* PUSHA */
		uint64_t sp = c->gpr[R_SP];

		if (x64)
			return false;
		for (unsigned r = 0; r < 8; r++)
			emu_push(c, sz, r == R_SP ? sp : c->gpr[r]);
		return true;
	}
	case 0x61: { /* POPA */
		uint64_t vals[8];

		if (x64)
			return false;
		for (int r = 7; r >= 0; r--)
			vals[r] = emu_pop(c, sz);
		for (unsigned r = 0; r < 8; r++)
			if (r != R_SP)
				reg_set(c, in, r, sz, vals[r]);
		return true;
	}
	case 0x63:
		if (x64) { /* MOVSXD */
			v = rm_get(c, in, 4);
			reg_set(c, in, in->reg, sz, sz == 8 ? sext_to64(v, 4) : v);
			return true;
		}
		if (c->mode == MODE_REAL || (c->rflags & FL_VM))
			return false;
		{ /* ARPL r/m16, r16 */
			uint64_t fl = c->rflags & ~(uint64_t)FL_ZF;
			uint64_t dst = rm_get(c, in, 2);
			uint64_t src = reg_get(c, in, in->reg, 2);

			if ((dst & 3) < (src & 3)) {
				rm_set(c, in, 2, (dst & ~3ULL) | (src & 3));
				fl |= FL_ZF;
			}
			c->rflags = fl;
		}
		return true;
	case 0x68: /* PUSH imm */
	case 0x6a:
		emu_push(c, stack_opsize(in), in->imm);
		return true;
	case 0x86: case 0x87: { /* XCHG r/m, r */
		unsigned s2 = op == 0x86 ? 1 : sz;
		uint64_t src = reg_get(c, in, in->reg, s2);
		struct emu_insn locked = *in;

		locked.lock = 1; /* XCHG with memory is always locked */
		v = emu_rmw(c, &locked, s2, xchg_op, &src);
		reg_set(c, in, in->reg, s2, v);
		return true;
	}
	case 0x88: /* MOV r/m8, r8 */
		rm_set(c, in, 1, reg_get(c, in, in->reg, 1));
		return true;
	case 0x89:
		rm_set(c, in, sz, reg_get(c, in, in->reg, sz));
		return true;
	case 0x8a:
		reg_set(c, in, in->reg, 1, rm_get(c, in, 1));
		return true;
	case 0x8b:
		reg_set(c, in, in->reg, sz, rm_get(c, in, sz));
		return true;
	case 0x8c: { /* MOV r/m, sreg */
		unsigned s = in->reg & 7;

		if (s >= S_COUNT)
			return false;
		if (in->is_mem)
			rm_set(c, in, 2, c->seg[s].sel);
		else
			reg_set(c, in, in->rm, sz, c->seg[s].sel);
		return true;
	}
	case 0x8d: /* LEA */
		if (!in->is_mem)
			return false;
		reg_set(c, in, in->reg, sz, emu_ea(c, in));
		return true;
	case 0x8e: { /* MOV sreg, r/m16 */
		unsigned s = in->reg & 7;

		if (s >= S_COUNT || s == S_CS)
			return false;
		emu_load_seg(c, s, (uint16_t)rm_get(c, in, 2));
		if (s == S_SS)
			c->interrupt_shadow = true;
		return true;
	}
	case 0x8f: { /* POP r/m */
		unsigned s2 = stack_opsize(in);

		if ((in->modrm >> 3) & 7)
			return false;
		v = emu_pop(c, s2);
		/* The address uses rsp after the pop. */
		rm_set(c, in, s2, v);
		return true;
	}
	case 0x90: /* NOP, PAUSE, XCHG r8, rax */
		if (!(in->rex & 1))
			return true;
		/* fall through */
	case 0x91 ... 0x97: {
		unsigned r = (op & 7) | ((in->rex & 1) << 3);

		v = reg_get(c, in, r, sz);
		reg_set(c, in, r, sz, reg_get(c, in, R_AX, sz));
		reg_set(c, in, R_AX, sz, v);
		return true;
	}
	case 0x98: /* CBW / CWDE / CDQE */
		v = sext_to64(c->gpr[R_AX], sz / 2);
		reg_set(c, in, R_AX, sz, v);
		return true;
	case 0x99: /* CWD / CDQ / CQO */
		v = (c->gpr[R_AX] & sign_bit(sz)) ? ~0ULL : 0;
		reg_set(c, in, R_DX, sz, v);
		return true;
	case 0x9c: /* PUSHF */
		if ((c->rflags & FL_VM) && (c->rflags & FL_IOPL) != FL_IOPL)
			emu_raise(c, EXC_GP, 0);
		emu_push(c, stack_opsize(in), c->rflags & ~(uint64_t)(FL_VM | FL_RF));
		return true;
	case 0x9d: /* POPF */
		do_popf(c, stack_opsize(in));
		return true;
	case 0x9e: /* SAHF */
		v = (c->gpr[R_AX] >> 8) & (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF);
		c->rflags = (c->rflags & ~(uint64_t)(FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)) | v;
		return true;
	case 0x9f: /* LAHF */
		v = (c->rflags & (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)) | 2;
		c->gpr[R_AX] = (c->gpr[R_AX] & ~0xff00ULL) | (v << 8);
		return true;
	case 0xa0 ... 0xa3: { /* MOV AL/rAX <-> moffs */
		unsigned s2 = (op & 1) ? sz : 1;

		ea = in->imm & addr_mask(in->addrsize);
		if (op < 0xa2)
			reg_set(c, in, R_AX, s2, emu_read(c, in->seg, ea, s2));
		else
			emu_write(c, in->seg, ea, s2, c->gpr[R_AX]);
		return true;
	}
	case 0xb0 ... 0xb7: /* MOV r8, imm8 */
		reg_set(c, in, (op & 7) | ((in->rex & 1) << 3), 1, in->imm);
		return true;
	case 0xb8 ... 0xbf: /* MOV r, imm */
		reg_set(c, in, (op & 7) | ((in->rex & 1) << 3), sz, in->imm);
		return true;
	case 0xc4: /* LES (VEX in 64-bit code: not supported) */
		if (x64)
			return false;
		load_far_ptr(c, in, S_ES);
		return true;
	case 0xc5: /* LDS */
		if (x64)
			return false;
		load_far_ptr(c, in, S_DS);
		return true;
	case 0xc6: /* MOV r/m8, imm8 */
		if ((in->modrm >> 3) & 7)
			return false;
		rm_set(c, in, 1, in->imm);
		return true;
	case 0xc7: /* MOV r/m, imm */
		if ((in->modrm >> 3) & 7)
			return false;
		rm_set(c, in, sz, in->imm);
		return true;
	case 0xd7: /* XLAT */
		ea = (c->gpr[R_BX] + (c->gpr[R_AX] & 0xff)) & addr_mask(in->addrsize);
		reg_set(c, in, R_AX, 1, emu_read(c, in->seg, ea, 1));
		return true;
	case 0xf5: /* CMC */
		c->rflags ^= FL_CF;
		return true;
	case 0xf8: /* CLC */
		c->rflags &= ~(uint64_t)FL_CF;
		return true;
	case 0xf9: /* STC */
		c->rflags |= FL_CF;
		return true;
	case 0xfc: /* CLD */
		c->rflags &= ~(uint64_t)FL_DF;
		return true;
	case 0xfd: /* STD */
		c->rflags |= FL_DF;
		return true;
	case 0xff: /* PUSH r/m (/6) */
		v = rm_get(c, in, stack_opsize(in));
		emu_push(c, stack_opsize(in), v);
		return true;
	}
	return false;
}
