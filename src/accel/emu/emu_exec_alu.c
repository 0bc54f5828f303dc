/* Integer arithmetic and logic of the software CPU: the eight ALU ops in
 * all their encodings, TEST, INC/DEC, NOT/NEG, shifts and rotates (group
 * 2), SHLD/SHRD, XADD, CMPXCHG, CMPXCHG8B/16B and the BCD adjustments.
 * Memory destinations go through emu_rmw() so LOCK is atomic. */
#include "emu_exec.h"

struct binop_ctx {
	unsigned op;
	uint64_t src;
};

static uint64_t binop_fn(void *ctx, unsigned size, uint64_t old, uint64_t *fl)
{
	struct binop_ctx *b = ctx;

	return alu_binop(b->op, size, old, b->src, fl);
}

static uint64_t incdec_fn(void *ctx, unsigned size, uint64_t old, uint64_t *fl)
{
	return alu_incdec(*(bool *)ctx, size, old, fl);
}

static uint64_t not_fn(void *ctx, unsigned size, uint64_t old, uint64_t *fl)
{
	return ~old & size_mask(size);
}

static uint64_t neg_fn(void *ctx, unsigned size, uint64_t old, uint64_t *fl)
{
	return alu_neg(size, old, fl);
}

struct shift_ctx {
	unsigned op, count;
	uint64_t src; /* SHLD/SHRD */
	bool left;
};

static uint64_t shift_fn(void *ctx, unsigned size, uint64_t old, uint64_t *fl)
{
	struct shift_ctx *s = ctx;

	return alu_shift(s->op, size, old, s->count, fl);
}

static uint64_t shiftd_fn(void *ctx, unsigned size, uint64_t old, uint64_t *fl)
{
	struct shift_ctx *s = ctx;

	return alu_shiftd(s->left, size, old, s->src, s->count, fl);
}

static uint64_t xadd_fn(void *ctx, unsigned size, uint64_t old, uint64_t *fl)
{
	return alu_binop(0, size, old, *(uint64_t *)ctx, fl);
}

struct cmpxchg_ctx {
	uint64_t acc, src;
};

static uint64_t cmpxchg_fn(void *ctx, unsigned size, uint64_t old, uint64_t *fl)
{
	struct cmpxchg_ctx *x = ctx;

	alu_binop(7, size, x->acc, old, fl);
	return (*fl & FL_ZF) ? x->src : old;
}

/* dst op= src for ALU op (0-7); CMP (7) and TEST never write. */
static void alu_rm(struct emu_cpu *c, const struct emu_insn *in, unsigned op, unsigned size,
		   uint64_t src)
{
	struct binop_ctx b = {op, src};
	uint64_t fl = c->rflags;

	if (op == 7) {
		alu_binop(7, size, rm_get(c, in, size), src, &fl);
		c->rflags = fl;
		return;
	}
	emu_rmw(c, in, size, binop_fn, &b);
}

static void bcd(struct emu_cpu *c, unsigned op)
{
	uint64_t fl = c->rflags;
	unsigned al = c->gpr[R_AX] & 0xff, ah = (c->gpr[R_AX] >> 8) & 0xff;
	bool cf = fl & FL_CF, af = fl & FL_AF;
	unsigned old_al = al;

	fl &= ~(uint64_t)(FL_CF | FL_AF | FL_OF);
	switch (op) {
	case 0x27: /* DAA */
	case 0x2f: /* DAS */
		if ((al & 0xf) > 9 || af) {
			if (op == 0x27) {
				fl |= (al + 6 > 0xff || cf) ? FL_CF : 0;
				al = (al + 6) & 0xff;
			} else {
				fl |= (al < 6 || cf) ? FL_CF : 0;
				al = (al - 6) & 0xff;
			}
			fl |= FL_AF;
		}
		if (old_al > 0x99 || cf) {
			al = (op == 0x27 ? al + 0x60 : al - 0x60) & 0xff;
			fl |= FL_CF;
		} else if (op == 0x27) {
			fl &= ~(uint64_t)FL_CF;
		}
		flags_szp(1, al, &fl);
		c->gpr[R_AX] = (c->gpr[R_AX] & ~0xffULL) | al;
		break;
	case 0x37: /* AAA */
	case 0x3f: /* AAS */
		if ((al & 0xf) > 9 || af) {
			unsigned ax = (ah << 8) | al;

			ax = op == 0x37 ? ax + 0x106 : ax - 6 - 0x100;
			al = ax & 0xff;
			ah = (ax >> 8) & 0xff;
			fl |= FL_AF | FL_CF;
		}
		al &= 0xf;
		flags_szp(1, al, &fl);
		c->gpr[R_AX] = (c->gpr[R_AX] & ~0xffffULL) | (ah << 8) | al;
		break;
	}
	c->rflags = fl;
}

static bool exec_0f(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = in->opsize;
	struct shift_ctx s;
	uint64_t v;

	switch (in->op) {
	case 0xa4: case 0xa5: case 0xac: case 0xad: /* SHLD / SHRD */
		s.left = in->op < 0xa8;
		s.count = (in->op & 1) ? (unsigned)(c->gpr[R_CX] & 0xff) : (unsigned)(in->imm & 0xff);
		s.src = reg_get(c, in, in->reg, sz);
		s.op = 0;
		emu_rmw(c, in, sz, shiftd_fn, &s);
		return true;
	case 0xb0: case 0xb1: { /* CMPXCHG */
		unsigned s2 = in->op == 0xb0 ? 1 : sz;
		struct cmpxchg_ctx x = {reg_get(c, in, R_AX, s2), reg_get(c, in, in->reg, s2)};

		if (!in->is_mem) {
			/* Register form: only the register that receives a value
			 * is written (on failure the destination keeps its upper
			 * half, as AMD CPUs do). */
			uint64_t fl = c->rflags;

			v = reg_get(c, in, in->rm, s2);
			alu_binop(7, s2, x.acc, v, &fl);
			if (fl & FL_ZF)
				reg_set(c, in, in->rm, s2, x.src);
			else
				reg_set(c, in, R_AX, s2, v);
			c->rflags = fl;
			return true;
		}
		v = emu_rmw(c, in, s2, cmpxchg_fn, &x);
		if (!(c->rflags & FL_ZF))
			reg_set(c, in, R_AX, s2, v);
		return true;
	}
	case 0xc0: case 0xc1: { /* XADD */
		unsigned s2 = in->op == 0xc0 ? 1 : sz;
		uint64_t src = reg_get(c, in, in->reg, s2);

		if (!in->is_mem) {
			uint64_t fl = c->rflags;
			uint64_t d = reg_get(c, in, in->rm, s2);
			uint64_t sum = alu_binop(0, s2, d, src, &fl);

			reg_set(c, in, in->reg, s2, d);
			reg_set(c, in, in->rm, s2, sum);
			c->rflags = fl;
			return true;
		}
		v = emu_rmw(c, in, s2, xadd_fn, &src);
		reg_set(c, in, in->reg, s2, v);
		return true;
	}
	case 0xc7: { /* group 9: CMPXCHG8B / CMPXCHG16B */
		uint64_t off;

		if (((in->modrm >> 3) & 7) != 1 || !in->is_mem)
			return false;
		off = emu_ea(c, in);
		if (sz == 8) {
			uint64_t lo, hi;
			uint64_t *p1, *p2;
			bool eq;

			if (off & 15)
				emu_raise(c, EXC_GP, 0);
			p1 = emu_rmw_ptr(c, in->seg, off, 8);
			p2 = p1 ? emu_rmw_ptr(c, in->seg, (off + 8) & addr_mask(in->addrsize), 8)
				: NULL;
			if (p1 && p2 == p1 + 1 && !((uintptr_t)p1 & 15)) {
				lo = c->gpr[R_AX];
				hi = c->gpr[R_DX];
				__asm__ volatile("lock cmpxchg16b %0\n\tsete %b1"
						 : "+m"(*(unsigned __int128 *)p1), "=q"(eq),
						   "+a"(lo), "+d"(hi)
						 : "b"(c->gpr[R_BX]), "c"(c->gpr[R_CX])
						 : "memory", "cc");
			} else {
				lo = emu_read(c, in->seg, off, 8);
				hi = emu_read(c, in->seg, (off + 8) & addr_mask(in->addrsize), 8);
				eq = lo == c->gpr[R_AX] && hi == c->gpr[R_DX];
				emu_write(c, in->seg, off, 8, eq ? c->gpr[R_BX] : lo);
				emu_write(c, in->seg, (off + 8) & addr_mask(in->addrsize), 8,
					  eq ? c->gpr[R_CX] : hi);
			}
			if (eq) {
				c->rflags |= FL_ZF;
			} else {
				c->rflags &= ~(uint64_t)FL_ZF;
				c->gpr[R_AX] = lo;
				c->gpr[R_DX] = hi;
			}
			return true;
		}
		uint64_t expect = (c->gpr[R_AX] & 0xffffffffu) | (c->gpr[R_DX] << 32);
		uint64_t desired = (c->gpr[R_BX] & 0xffffffffu) | (c->gpr[R_CX] << 32);

		if (emu_cmpxchg_mem(c, in->seg, off, 8, &expect, desired)) {
			c->rflags |= FL_ZF;
		} else {
			c->rflags &= ~(uint64_t)FL_ZF;
			c->gpr[R_AX] = expect & 0xffffffffu;
			c->gpr[R_DX] = expect >> 32;
		}
		return true;
	}
	}
	return false;
}

bool emu_exec_alu(struct emu_cpu *c, const struct emu_insn *in)
{
	bool x64 = in->code_bits == 64;
	unsigned sz = in->opsize;
	unsigned op = in->op, r = (in->modrm >> 3) & 7;
	struct shift_ctx s;
	uint64_t fl = c->rflags, v;
	bool dec;

	if (in->map == MAP_0F)
		return exec_0f(c, in);

	if (op < 0x40) {
		unsigned aop = op >> 3;

		switch (op & 7) {
		case 0:
			alu_rm(c, in, aop, 1, reg_get(c, in, in->reg, 1));
			return true;
		case 1:
			alu_rm(c, in, aop, sz, reg_get(c, in, in->reg, sz));
			return true;
		case 2:
		case 3: {
			unsigned s2 = (op & 1) ? sz : 1;

			v = alu_binop(aop, s2, reg_get(c, in, in->reg, s2), rm_get(c, in, s2), &fl);
			if (aop != 7)
				reg_set(c, in, in->reg, s2, v);
			c->rflags = fl;
			return true;
		}
		case 4:
		case 5: {
			unsigned s2 = (op & 1) ? sz : 1;

			v = alu_binop(aop, s2, reg_get(c, in, R_AX, s2), in->imm, &fl);
			if (aop != 7)
				reg_set(c, in, R_AX, s2, v);
			c->rflags = fl;
			return true;
		}
		default: /* DAA DAS AAA AAS */
			if (x64)
				return false;
			bcd(c, op);
			return true;
		}
	}

	switch (op) {
	case 0x40 ... 0x4f: /* INC/DEC r (not in 64-bit code: REX) */
		v = alu_incdec(op >= 0x48, sz, reg_get(c, in, op & 7, sz), &fl);
		reg_set(c, in, op & 7, sz, v);
		c->rflags = fl;
		return true;
	case 0x80: case 0x82:
		if (op == 0x82 && x64)
			return false;
		alu_rm(c, in, r, 1, in->imm);
		return true;
	case 0x81: case 0x83:
		alu_rm(c, in, r, sz, in->imm);
		return true;
	case 0x84: case 0x85: { /* TEST r/m, r */
		unsigned s2 = op == 0x84 ? 1 : sz;

		flags_logic(s2, rm_get(c, in, s2) & reg_get(c, in, in->reg, s2), &fl);
		c->rflags = fl;
		return true;
	}
	case 0xa8: case 0xa9: { /* TEST AL/rAX, imm */
		unsigned s2 = op == 0xa8 ? 1 : sz;

		flags_logic(s2, c->gpr[R_AX] & in->imm, &fl);
		c->rflags = fl;
		return true;
	}
	case 0xc0: case 0xc1: case 0xd0 ... 0xd3: /* group 2 */
		s.op = r;
		s.count = op <= 0xc1 ? (unsigned)(in->imm & 0xff)
			  : op <= 0xd1 ? 1 : (unsigned)(c->gpr[R_CX] & 0xff);
		emu_rmw(c, in, (op & 1) ? sz : 1, shift_fn, &s);
		return true;
	case 0xd4: { /* AAM */
		unsigned base = in->imm & 0xff, al = c->gpr[R_AX] & 0xff;

		if (x64)
			return false;
		if (base == 0)
			emu_raise_noerr(c, EXC_DE);
		v = ((al / base) << 8) | (al % base);
		c->gpr[R_AX] = (c->gpr[R_AX] & ~0xffffULL) | v;
		fl &= ~(uint64_t)(FL_CF | FL_OF | FL_AF);
		flags_szp(1, v, &fl);
		c->rflags = fl;
		return true;
	}
	case 0xd5: { /* AAD */
		unsigned base = in->imm & 0xff;
		unsigned al = c->gpr[R_AX] & 0xff, ah = (c->gpr[R_AX] >> 8) & 0xff;

		if (x64)
			return false;
		v = (al + ah * base) & 0xff;
		c->gpr[R_AX] = (c->gpr[R_AX] & ~0xffffULL) | v;
		fl &= ~(uint64_t)(FL_CF | FL_OF | FL_AF);
		flags_szp(1, v, &fl);
		c->rflags = fl;
		return true;
	}
	case 0xd6: /* SALC */
		if (x64)
			return false;
		reg_set(c, in, R_AX, 1, (c->rflags & FL_CF) ? 0xff : 0);
		return true;
	case 0xf6: case 0xf7: { /* group 3: TEST NOT NEG (MUL/DIV elsewhere) */
		unsigned s2 = op == 0xf6 ? 1 : sz;

		switch (r) {
		case 0: case 1:
			flags_logic(s2, rm_get(c, in, s2) & in->imm, &fl);
			c->rflags = fl;
			return true;
		case 2:
			emu_rmw(c, in, s2, not_fn, NULL);
			return true;
		case 3:
			emu_rmw(c, in, s2, neg_fn, NULL);
			return true;
		}
		return false;
	}
	case 0xfe: case 0xff: /* INC/DEC r/m */
		if (r > 1)
			return false;
		dec = r == 1;
		emu_rmw(c, in, op == 0xfe ? 1 : sz, incdec_fn, &dec);
		return true;
	}
	return false;
}
