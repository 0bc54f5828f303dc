/* Instruction generator of the differential tester: random instructions
 * of the families the interpreter must match bit for bit (integer ALU,
 * shifts and rotates, multiply/divide, bit ops, moves and exchanges,
 * stack, string ops with small counts; SSE2/MMX in dt_gen_sse.c), random
 * operands biased towards edge values, memory operands that point into
 * the scratch area, and the RFLAGS bits the SDM leaves undefined for each
 * instruction. Never emits control transfers or system instructions. */
#include <string.h>

#include "dt.h"

enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI };
#define F_CF 0x1ULL
#define F_PF 0x4ULL
#define F_AF 0x10ULL
#define F_ZF 0x40ULL
#define F_SF 0x80ULL
#define F_OF 0x800ULL
#define F_ALL (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

uint64_t dt_rand(struct dt_rng *r)
{
	/* xorshift64* */
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void dt_fill_mem(uint8_t *mem, uint64_t seed)
{
	struct dt_rng r = {seed | 1};

	for (unsigned i = 0; i < DT_SCRATCH_SIZE; i += 8) {
		uint64_t v = dt_rand(&r);

		memcpy(mem + i, &v, 8);
	}
}

static unsigned rnd(struct dt_rng *r, unsigned n)
{
	return (unsigned)(dt_rand(r) % n);
}

static uint64_t edge_value(struct dt_rng *r)
{
	static const uint64_t edges[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
		~0ULL, ~0ULL - 1, 0x0f, 0x09, 0x99, 0x8000000080000000ULL,
	};

	switch (rnd(r, 4)) {
	case 0:
		return edges[rnd(r, sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return rnd(r, 256);
	case 2:
		return -(uint64_t)rnd(r, 256);
	default:
		return dt_rand(r);
	}
}

struct gen {
	struct dt_rng *r;
	struct dt_case *k;
	uint8_t rex;
	bool fixed[16]; /* registers holding pointers or counts */
};

static void emit(struct gen *g, uint8_t b)
{
	if (g->k->len < sizeof(g->k->code))
		g->k->code[g->k->len++] = b;
}

static uint64_t scratch_ptr(struct gen *g, unsigned lo, unsigned span)
{
	return DT_SCRATCH_ADDR + lo + rnd(g->r, span);
}

/* Operand size: 1 (byte forms chosen by the caller), 2, 4 or 8; returns
 * the size and sets prefix/REX.W. */
static unsigned pick_size(struct gen *g, bool allow16)
{
	switch (rnd(g->r, allow16 ? 3 : 2)) {
	case 0:
		return 4;
	case 1:
		g->rex |= 0x48;
		return 8;
	default:
		emit(g, 0x66);
		return 2;
	}
}

/* The ModRM part: register form or a memory operand in the scratch area.
 * reg is the ModRM.reg value (0-15, or a /digit). */
struct modrm {
	bool mem;
	unsigned rm; /* register if !mem */
	uint8_t bytes[6];
	unsigned n;
};

static void make_modrm(struct gen *g, struct modrm *m, unsigned reg, bool allow_reg,
		       bool allow_mem)
{
	bool mem = allow_mem && (!allow_reg || rnd(g->r, 2));

	g->rex |= (reg & 8) ? 0x44 : 0;
	m->mem = mem;
	m->n = 0;
	if (!mem) {
		m->rm = rnd(g->r, 16);
		g->rex |= (m->rm & 8) ? 0x41 : 0;
		m->bytes[m->n++] = (uint8_t)(0xc0 | ((reg & 7) << 3) | (m->rm & 7));
		return;
	}
	/* [base + disp8] or [base + index*scale + disp8], base/index not
	 * rsp/rbp/r12/r13 (their special encodings are covered by the
	 * decoder unit tests). */
	static const unsigned bases[] = {0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 14, 15};
	unsigned base = bases[rnd(g->r, 12)];
	int8_t disp = (int8_t)(rnd(g->r, 128) - 64);

	g->rex |= (base & 8) ? 0x41 : 0;
	g->k->in.gpr[base] = scratch_ptr(g, 2048, 1024);
	g->fixed[base] = true;
	if (rnd(g->r, 3) == 0) {
		unsigned index;

		do {
			index = bases[rnd(g->r, 12)];
		} while (index == base);
		g->rex |= (index & 8) ? 0x42 : 0;
		g->k->in.gpr[index] = rnd(g->r, 64);
		g->fixed[index] = true;
		m->bytes[m->n++] = (uint8_t)(0x44 | ((reg & 7) << 3));
		m->bytes[m->n++] = (uint8_t)((rnd(g->r, 4) << 6) | ((index & 7) << 3) | (base & 7));
	} else {
		m->bytes[m->n++] = (uint8_t)(0x40 | ((reg & 7) << 3) | (base & 7));
	}
	m->bytes[m->n++] = (uint8_t)disp;
}

static void emit_rex_op(struct gen *g, const uint8_t *op, unsigned n, const struct modrm *m)
{
	if (g->rex)
		emit(g, g->rex | 0x40);
	for (unsigned i = 0; i < n; i++)
		emit(g, op[i]);
	if (m)
		for (unsigned i = 0; i < m->n; i++)
			emit(g, m->bytes[i]);
}

static void emit_imm(struct gen *g, unsigned bytes)
{
	uint64_t v = edge_value(g->r);

	for (unsigned i = 0; i < bytes; i++)
		emit(g, (uint8_t)(v >> (8 * i)));
}

static void gen_alu(struct gen *g)
{
	struct modrm m;
	unsigned aop = rnd(g->r, 8), form = rnd(g->r, 10);
	bool byte = rnd(g->r, 4) == 0;
	unsigned sz = byte ? 1 : pick_size(g, true);
	unsigned isz = sz == 1 ? 1 : sz == 2 ? 2 : 4;
	uint8_t op;

	g->k->family = "alu";
	switch (form) {
	case 0: case 1: case 2: /* op r/m, r / op r, r/m */
		make_modrm(g, &m, rnd(g->r, 16), true, true);
		op = (uint8_t)((aop << 3) | (rnd(g->r, 2) << 1) | (byte ? 0 : 1));
		emit_rex_op(g, &op, 1, &m);
		return;
	case 3: /* op AL/rAX, imm */
		op = (uint8_t)((aop << 3) | (byte ? 4 : 5));
		emit_rex_op(g, &op, 1, NULL);
		emit_imm(g, isz);
		return;
	case 4: case 5: /* group 1 */
		make_modrm(g, &m, aop, true, true);
		op = byte ? 0x80 : (rnd(g->r, 2) ? 0x81 : 0x83);
		emit_rex_op(g, &op, 1, &m);
		emit_imm(g, op == 0x81 ? isz : 1);
		return;
	case 6: /* TEST r/m, imm / NOT / NEG */ {
		static const unsigned digit[] = {0, 2, 3};
		unsigned d = digit[rnd(g->r, 3)];

		make_modrm(g, &m, d, true, true);
		op = byte ? 0xf6 : 0xf7;
		emit_rex_op(g, &op, 1, &m);
		if (d == 0)
			emit_imm(g, isz);
		return;
	}
	case 7: /* INC/DEC r/m */
		make_modrm(g, &m, rnd(g->r, 2), true, true);
		op = byte ? 0xfe : 0xff;
		emit_rex_op(g, &op, 1, &m);
		return;
	case 8: /* TEST r/m, r */
		make_modrm(g, &m, rnd(g->r, 16), true, true);
		op = byte ? 0x84 : 0x85;
		emit_rex_op(g, &op, 1, &m);
		return;
	default: /* TEST AL/rAX, imm */
		op = byte ? 0xa8 : 0xa9;
		emit_rex_op(g, &op, 1, NULL);
		emit_imm(g, isz);
		return;
	}
}

/* Gives up on the instruction being built and makes an ALU one instead. */
static void restart_alu(struct gen *g)
{
	g->k->len = 0;
	g->k->flags_undef = 0;
	g->rex = 0;
	gen_alu(g);
}

static void gen_shift(struct gen *g)
{
	struct modrm m;
	unsigned digit = rnd(g->r, 8), form = rnd(g->r, 3);
	bool byte = rnd(g->r, 4) == 0;
	unsigned sz = byte ? 1 : pick_size(g, true);
	unsigned count, bits = 8 * sz;
	uint8_t op;

	g->k->family = "shift";
	make_modrm(g, &m, digit, true, true);
	if (m.mem && g->fixed[R_CX] && form == 2)
		form = 0;
	if (form == 0) {
		op = byte ? 0xd0 : 0xd1;
		count = 1;
		emit_rex_op(g, &op, 1, &m);
	} else if (form == 1) {
		op = byte ? 0xc0 : 0xc1;
		count = rnd(g->r, 2) ? rnd(g->r, 72) : rnd(g->r, 256);
		emit_rex_op(g, &op, 1, &m);
		emit(g, (uint8_t)count);
	} else {
		op = byte ? 0xd2 : 0xd3;
		count = rnd(g->r, 72);
		g->k->in.gpr[R_CX] = (g->k->in.gpr[R_CX] & ~0xffULL) | count;
		g->fixed[R_CX] = true;
		emit_rex_op(g, &op, 1, &m);
	}
	count &= sz == 8 ? 63 : 31;
	if (count == 0)
		return;
	if (digit >= 4) { /* shifts */
		g->k->flags_undef |= F_AF;
		if (count > 1)
			g->k->flags_undef |= F_OF;
		if (count >= bits && digit != 7)
			g->k->flags_undef |= F_CF;
	} else if (count > 1) {
		g->k->flags_undef |= F_OF;
	}
}

static void gen_shiftd(struct gen *g)
{
	struct modrm m;
	unsigned sz = pick_size(g, true);
	bool cl = rnd(g->r, 2);
	unsigned count = rnd(g->r, sz == 2 ? 17 : sz == 4 ? 32 : 64);
	uint8_t op[2] = {0x0f, (uint8_t)((rnd(g->r, 2) ? 0xa4 : 0xac) | (cl ? 1 : 0))};

	g->k->family = "shiftd";
	make_modrm(g, &m, rnd(g->r, 16), true, true);
	if (cl) {
		if (g->fixed[R_CX])
			return restart_alu(g);
		g->k->in.gpr[R_CX] = (g->k->in.gpr[R_CX] & ~0xffULL) | count;
		g->fixed[R_CX] = true;
	}
	emit_rex_op(g, op, 2, &m);
	if (!cl)
		emit(g, (uint8_t)count);
	if (count)
		g->k->flags_undef |= F_AF | (count > 1 ? F_OF : 0);
}

static void gen_muldiv(struct gen *g)
{
	struct modrm m;
	unsigned form = rnd(g->r, 4);
	bool byte = form == 0 && rnd(g->r, 3) == 0;
	unsigned sz = byte ? 1 : pick_size(g, true);
	uint8_t op[2];

	g->k->family = "muldiv";
	if (form <= 1) { /* F6/F7 /4../7 */
		unsigned d = 4 + rnd(g->r, 4);

		make_modrm(g, &m, d, true, true);
		op[0] = byte ? 0xf6 : 0xf7;
		emit_rex_op(g, op, 1, &m);
		if (d >= 6) {
			g->k->flags_undef = F_ALL;
			if (rnd(g->r, 2) && !g->fixed[R_DX])
				g->k->in.gpr[R_DX] = rnd(g->r, 4);
		} else {
			g->k->flags_undef = F_SF | F_ZF | F_AF | F_PF;
		}
		return;
	}
	g->k->flags_undef = F_SF | F_ZF | F_AF | F_PF;
	make_modrm(g, &m, rnd(g->r, 16), true, true);
	if (form == 2) {
		op[0] = 0x0f;
		op[1] = 0xaf;
		emit_rex_op(g, op, 2, &m);
	} else {
		op[0] = rnd(g->r, 2) ? 0x69 : 0x6b;
		emit_rex_op(g, op, 1, &m);
		emit_imm(g, op[0] == 0x6b ? 1 : sz == 2 ? 2 : 4);
	}
}

static void gen_bits(struct gen *g)
{
	struct modrm m;
	unsigned form = rnd(g->r, 8);
	uint8_t op[3];
	unsigned sz;

	g->k->family = "bits";
	switch (form) {
	case 0: case 1: { /* BT/BTS/BTR/BTC r/m, r */
		unsigned reg = rnd(g->r, 16);

		sz = pick_size(g, true);
		make_modrm(g, &m, reg, true, true);
		if (m.mem) {
			if (g->fixed[reg])
				return restart_alu(g);
			g->k->in.gpr[reg] = (uint64_t)(int64_t)(rnd(g->r, 4096) - 1024);
			g->fixed[reg] = true;
		}
		op[0] = 0x0f;
		op[1] = (uint8_t)(0xa3 + 8 * rnd(g->r, 4));
		emit_rex_op(g, op, 2, &m);
		g->k->flags_undef = F_OF | F_SF | F_AF | F_PF;
		return;
	}
	case 2: /* group 8 */
		sz = pick_size(g, true);
		make_modrm(g, &m, 4 + rnd(g->r, 4), true, true);
		op[0] = 0x0f;
		op[1] = 0xba;
		emit_rex_op(g, op, 2, &m);
		emit(g, (uint8_t)rnd(g->r, 256));
		g->k->flags_undef = F_OF | F_SF | F_AF | F_PF;
		return;
	case 3: /* BSF/BSR, POPCNT */
		if (rnd(g->r, 3) == 0) {
			emit(g, 0xf3);
			sz = pick_size(g, true);
			make_modrm(g, &m, rnd(g->r, 16), true, true);
			op[0] = 0x0f;
			op[1] = 0xb8;
			emit_rex_op(g, op, 2, &m);
			return;
		}
		sz = pick_size(g, true);
		make_modrm(g, &m, rnd(g->r, 16), true, true);
		op[0] = 0x0f;
		op[1] = rnd(g->r, 2) ? 0xbc : 0xbd;
		emit_rex_op(g, op, 2, &m);
		g->k->flags_undef = F_CF | F_OF | F_SF | F_AF | F_PF;
		return;
	case 4: /* BSWAP */
		sz = rnd(g->r, 2) ? 4 : 8;
		if (sz == 8)
			g->rex |= 0x48;
		{
			unsigned r = rnd(g->r, 16);

			g->rex |= (r & 8) ? 0x41 : 0;
			op[0] = 0x0f;
			op[1] = (uint8_t)(0xc8 + (r & 7));
			emit_rex_op(g, op, 2, NULL);
		}
		return;
	case 5: /* SETcc */
		make_modrm(g, &m, 0, true, true);
		op[0] = 0x0f;
		op[1] = (uint8_t)(0x90 + rnd(g->r, 16));
		emit_rex_op(g, op, 2, &m);
		return;
	default: /* CMOVcc */
		sz = pick_size(g, true);
		make_modrm(g, &m, rnd(g->r, 16), true, true);
		op[0] = 0x0f;
		op[1] = (uint8_t)(0x40 + rnd(g->r, 16));
		emit_rex_op(g, op, 2, &m);
		return;
	}
}

static void gen_move(struct gen *g)
{
	struct modrm m;
	unsigned form = rnd(g->r, 14);
	uint8_t op[2];
	unsigned sz;

	g->k->family = "move";
	switch (form) {
	case 0: /* MOV r/m <-> r */
		if (rnd(g->r, 2))
			sz = pick_size(g, true);
		make_modrm(g, &m, rnd(g->r, 16), true, true);
		op[0] = (uint8_t)(0x88 + rnd(g->r, 4));
		emit_rex_op(g, op, 1, &m);
		return;
	case 1: /* MOV r/m, imm */
		sz = rnd(g->r, 4) ? pick_size(g, true) : 1;
		make_modrm(g, &m, 0, true, true);
		op[0] = sz == 1 ? 0xc6 : 0xc7;
		emit_rex_op(g, op, 1, &m);
		emit_imm(g, sz == 1 ? 1 : sz == 2 ? 2 : 4);
		return;
	case 2: { /* MOV r, imm */
		unsigned r = rnd(g->r, 16);

		sz = rnd(g->r, 4) ? pick_size(g, true) : 1;
		g->rex |= (r & 8) ? 0x41 : 0;
		op[0] = (uint8_t)((sz == 1 ? 0xb0 : 0xb8) + (r & 7));
		emit_rex_op(g, op, 1, NULL);
		emit_imm(g, sz == 1 ? 1 : sz);
		return;
	}
	case 3: /* LEA */
		if (rnd(g->r, 4) == 0)
			emit(g, 0x67);
		sz = pick_size(g, true);
		make_modrm(g, &m, rnd(g->r, 16), false, true);
		op[0] = 0x8d;
		emit_rex_op(g, op, 1, &m);
		return;
	case 4: /* MOVZX/MOVSX */
		sz = pick_size(g, true);
		make_modrm(g, &m, rnd(g->r, 16), true, true);
		op[0] = 0x0f;
		op[1] = (uint8_t)((rnd(g->r, 2) ? 0xb6 : 0xbe) + rnd(g->r, 2));
		emit_rex_op(g, op, 2, &m);
		return;
	case 5: /* MOVSXD */
		sz = pick_size(g, false);
		make_modrm(g, &m, rnd(g->r, 16), true, true);
		op[0] = 0x63;
		emit_rex_op(g, op, 1, &m);
		return;
	case 6: /* XCHG r/m, r */
		if (rnd(g->r, 2))
			sz = pick_size(g, true);
		make_modrm(g, &m, rnd(g->r, 16), true, true);
		op[0] = (uint8_t)(0x86 + rnd(g->r, 2));
		emit_rex_op(g, op, 1, &m);
		return;
	case 7: { /* XCHG rAX, r / NOP */
		unsigned r = rnd(g->r, 16);

		sz = pick_size(g, true);
		g->rex |= (r & 8) ? 0x41 : 0;
		op[0] = (uint8_t)(0x90 + (r & 7));
		emit_rex_op(g, op, 1, NULL);
		return;
	}
	case 8: /* CBW family */
		sz = pick_size(g, true);
		op[0] = (uint8_t)(0x98 + rnd(g->r, 2));
		emit_rex_op(g, op, 1, NULL);
		return;
	case 9: /* XADD / CMPXCHG, optionally locked */
		if (rnd(g->r, 3) == 0)
			emit(g, 0xf0);
		sz = rnd(g->r, 4) ? pick_size(g, true) : 1;
		make_modrm(g, &m, rnd(g->r, 16), g->k->code[0] != 0xf0, true);
		op[0] = 0x0f;
		op[1] = (uint8_t)((rnd(g->r, 2) ? 0xc0 : 0xb0) | (sz == 1 ? 0 : 1));
		emit_rex_op(g, op, 2, &m);
		return;
	case 10: { /* flag ops */
		static const uint8_t ops[] = {0xf5, 0xf8, 0xf9, 0x9e, 0x9f, 0xfc, 0xfd};

		op[0] = ops[rnd(g->r, sizeof(ops))];
		emit_rex_op(g, op, 1, NULL);
		return;
	}
	case 11: /* CMPXCHG8B/16B */
		if (rnd(g->r, 2))
			emit(g, 0xf0);
		if (rnd(g->r, 2))
			g->rex |= 0x48;
		make_modrm(g, &m, 1, false, true);
		op[0] = 0x0f;
		op[1] = 0xc7;
		emit_rex_op(g, op, 2, &m);
		return;
	default: { /* locked ALU on memory */
		unsigned aop = rnd(g->r, 7);

		emit(g, 0xf0);
		sz = rnd(g->r, 4) ? pick_size(g, true) : 1;
		make_modrm(g, &m, rnd(g->r, 16), false, true);
		op[0] = (uint8_t)((aop << 3) | (sz == 1 ? 0 : 1));
		emit_rex_op(g, op, 1, &m);
		return;
	}
	}
}

static void gen_stack(struct gen *g)
{
	struct modrm m;
	unsigned form = rnd(g->r, 8);
	uint8_t op[2];

	g->k->family = "stack";
	if (rnd(g->r, 6) == 0)
		emit(g, 0x66);
	switch (form) {
	case 0: case 1: { /* PUSH/POP r */
		unsigned r = rnd(g->r, 16);

		g->rex |= (r & 8) ? 0x41 : 0;
		op[0] = (uint8_t)((form ? 0x58 : 0x50) + (r & 7));
		emit_rex_op(g, op, 1, NULL);
		return;
	}
	case 2: /* PUSH imm */
		op[0] = rnd(g->r, 2) ? 0x68 : 0x6a;
		emit_rex_op(g, op, 1, NULL);
		emit_imm(g, op[0] == 0x6a ? 1 : g->k->code[0] == 0x66 ? 2 : 4);
		return;
	case 3: /* PUSHF */
		op[0] = 0x9c;
		emit_rex_op(g, op, 1, NULL);
		return;
	case 4: /* PUSH r/m, POP r/m */
		make_modrm(g, &m, rnd(g->r, 2) ? 6 : 0, true, true);
		op[0] = m.bytes[0] >> 3 & 7 ? 0xff : 0x8f;
		emit_rex_op(g, op, 1, &m);
		return;
	case 5: /* ENTER */
		op[0] = 0xc8;
		g->k->in.gpr[R_BP] = scratch_ptr(g, 4096, 1024);
		g->fixed[R_BP] = true;
		emit_rex_op(g, op, 1, NULL);
		emit(g, (uint8_t)rnd(g->r, 64));
		emit(g, 0);
		emit(g, (uint8_t)rnd(g->r, 4));
		return;
	default: /* LEAVE */
		op[0] = 0xc9;
		g->k->in.gpr[R_BP] = scratch_ptr(g, 4096, 1024);
		g->fixed[R_BP] = true;
		emit_rex_op(g, op, 1, NULL);
		return;
	}
}

static void gen_string(struct gen *g)
{
	static const uint8_t ops[] = {0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
	uint8_t op = ops[rnd(g->r, sizeof(ops))];

	g->k->family = "string";
	switch (rnd(g->r, 3)) {
	case 0: emit(g, 0xf3); break;
	case 1: emit(g, 0xf2); break;
	}
	if (rnd(g->r, 4) == 0)
		emit(g, 0x67);
	if (op & 1)
		(void)pick_size(g, true);
	g->k->in.gpr[R_SI] = scratch_ptr(g, 1024, 3072);
	g->k->in.gpr[R_DI] = scratch_ptr(g, 1024, 3072);
	g->k->in.gpr[R_CX] = rnd(g->r, 10);
	g->fixed[R_SI] = g->fixed[R_DI] = g->fixed[R_CX] = true;
	if (rnd(g->r, 2))
		g->k->in.rflags |= 0x400; /* DF */
	emit_rex_op(g, &op, 1, NULL);
}


/* Registers, flags, MXCSR and memory seed common to every family. */
static void gen_init(struct gen *g)
{
	struct dt_rng *r = g->r;
	struct dt_case *k = g->k;

	memset(k, 0, sizeof(*k));
	for (unsigned i = 0; i < 16; i++)
		k->in.gpr[i] = edge_value(r);
	k->in.gpr[R_SP] = scratch_ptr(g, 6144, 1024) & ~7ULL;
	g->fixed[R_SP] = true;
	k->in.rflags = (dt_rand(r) & F_ALL) | 0x202;
	for (unsigned i = 0; i < 16; i++)
		for (unsigned j = 0; j < 16; j += 8) {
			uint64_t v = dt_rand(r);

			memcpy(&k->in.xmm[i][j], &v, 8);
		}
	k->in.mxcsr = 0x1f80;
	k->mem_seed = dt_rand(r);
}

void dt_gen_sse_case(struct dt_rng *r, struct dt_case *k)
{
	struct gen g = {.r = r, .k = k};

	gen_init(&g);
	dt_gen_sse(r, k);
}

void dt_gen_x87_case(struct dt_rng *r, struct dt_case *k)
{
	struct gen g = {.r = r, .k = k};

	gen_init(&g);
	dt_gen_x87(r, k);
}

void dt_gen(struct dt_rng *r, struct dt_case *k)
{
	struct gen g = {.r = r, .k = k};

	gen_init(&g);
	switch (rnd(r, 10)) {
	case 0: case 1: gen_alu(&g); break;
	case 2: gen_shift(&g); break;
	case 3: gen_shiftd(&g); break;
	case 4: gen_muldiv(&g); break;
	case 5: gen_bits(&g); break;
	case 6: gen_move(&g); break;
	case 8: case 9: dt_gen_sse(r, k); break;
	default:
		if (rnd(r, 2))
			gen_stack(&g);
		else
			gen_string(&g);
		break;
	}
}
