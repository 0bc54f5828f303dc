/* Bit and condition instructions of the software CPU: BT/BTS/BTR/BTC
 * (register and immediate offsets, with the signed bit-string addressing
 * of memory operands), BSF/BSR, POPCNT, BSWAP, SETcc and CMOVcc. */
#include "emu_exec.h"

struct bt_ctx {
	unsigned kind; /* 1 BTS, 2 BTR, 3 BTC */
	unsigned bit;
};

static uint64_t bt_fn(void *ctx, unsigned size, uint64_t old, uint64_t *fl)
{
	struct bt_ctx *b = ctx;
	uint64_t m = 1ULL << b->bit;

	if (old & m)
		*fl |= FL_CF;
	else
		*fl &= ~(uint64_t)FL_CF;
	switch (b->kind) {
	case 1: return old | m;
	case 2: return old & ~m;
	default: return old ^ m;
	}
}

/* kind 0 BT, 1 BTS, 2 BTR, 3 BTC; off is the bit offset (signed when it
 * comes from a register and the operand is memory). */
static void bit_test(struct emu_cpu *c, const struct emu_insn *in, unsigned kind, uint64_t off,
		     bool from_reg)
{
	unsigned sz = in->opsize, bits = 8 * sz;
	struct emu_insn at = *in;
	struct bt_ctx b;

	if (in->is_mem && from_reg) {
		int64_t soff = (int64_t)sext_to64(off, sz);

		/* Arithmetic shift: floor division by the operand width. */
		at.disp += (uint64_t)((soff >> (bits == 16 ? 4 : bits == 32 ? 5 : 6)) * (int64_t)sz);
	}
	b.kind = kind;
	b.bit = (unsigned)(off & (bits - 1));
	if (kind == 0) {
		uint64_t v = rm_get(c, &at, sz);

		if ((v >> b.bit) & 1)
			c->rflags |= FL_CF;
		else
			c->rflags &= ~(uint64_t)FL_CF;
		return;
	}
	emu_rmw(c, &at, sz, bt_fn, &b);
}

bool emu_exec_bits(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned sz = in->opsize;
	uint64_t v, fl = c->rflags;

	switch (in->op) {
	case 0x40 ... 0x4f: /* CMOVcc: the source is always read, the
			     * destination always written (zero-extended) */
		v = rm_get(c, in, sz);
		if (!emu_cond(c, in->op & 0xf))
			v = reg_get(c, in, in->reg, sz);
		reg_set(c, in, in->reg, sz, v);
		return true;
	case 0x90 ... 0x9f: /* SETcc */
		rm_set(c, in, 1, emu_cond(c, in->op & 0xf) ? 1 : 0);
		return true;
	case 0xa3: /* BT */
		bit_test(c, in, 0, reg_get(c, in, in->reg, sz), true);
		return true;
	case 0xab: /* BTS */
		bit_test(c, in, 1, reg_get(c, in, in->reg, sz), true);
		return true;
	case 0xb3: /* BTR */
		bit_test(c, in, 2, reg_get(c, in, in->reg, sz), true);
		return true;
	case 0xbb: /* BTC */
		bit_test(c, in, 3, reg_get(c, in, in->reg, sz), true);
		return true;
	case 0xba: { /* group 8: BT/BTS/BTR/BTC r/m, imm8 */
		unsigned r = (in->modrm >> 3) & 7;

		if (r < 4)
			return false;
		bit_test(c, in, r - 4, in->imm & 0xff, false);
		return true;
	}
	case 0xb8: /* POPCNT (F3 only) */
		if (in->rep != 0xf3)
			return false;
		v = rm_get(c, in, sz);
		fl &= ~(uint64_t)FL_ARITH;
		if (v == 0)
			fl |= FL_ZF;
		reg_set(c, in, in->reg, sz, (uint64_t)__builtin_popcountll(v));
		c->rflags = fl;
		return true;
	case 0xbc: case 0xbd: /* BSF / BSR (no TZCNT/LZCNT advertised: F3 ignored) */
		v = rm_get(c, in, sz);
		if (v == 0) {
			fl |= FL_ZF;
		} else {
			fl &= ~(uint64_t)FL_ZF;
			reg_set(c, in, in->reg, sz,
				in->op == 0xbc ? (uint64_t)__builtin_ctzll(v)
					       : (uint64_t)(63 - __builtin_clzll(v)));
		}
		c->rflags = fl;
		return true;
	case 0xc8 ... 0xcf: { /* BSWAP */
		unsigned r = (in->op & 7) | ((in->rex & 1) << 3);

		v = c->gpr[r];
		if (sz == 8)
			v = __builtin_bswap64(v);
		else if (sz == 4)
			v = __builtin_bswap32((uint32_t)v);
		else
			v = 0; /* 16-bit form: undefined, zero as the hardware does */
		reg_set(c, in, r, sz, v);
		return true;
	}
	}
	return false;
}
