/* Instruction generator of the differential tester: random instructions
 * of the families the interpreter must match bit for bit (integer ALU,
 * shifts and rotates, multiply/divide, bit ops, moves and exchanges,
 * stack, string ops with small counts; SSE2/MMX in dt_gen_sse.c), random
 * operands biased towards edge values, memory operands that point into
 * the scratch area, and the RFLAGS bits the SDM leaves undefined for each
 * instruction. Never emits control transfers or system instructions.
 *
 * Block mode (dt_gen_seq, at the end): straight-line sequences built from
 * the same families, one instruction at a time, with the registers that
 * memory operands and shift counts depend on kept out of every
 * instruction's reach, each instruction's flag reads and writes tracked
 * (flag_use) so that no instruction reads a flag an earlier one left
 * undefined, and the only control transfers Jcc/JMP with displacement 0. */
#include <string.h>

#include "dt.h"
#include "emu_decode.h"

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

void dt_fill_ro(uint8_t *ro)
{
	struct dt_rng r = {0x5eed0f0fULL};

	for (unsigned i = 0; i < DT_RO_SIZE; i += 8) {
		uint64_t v = dt_rand(&r);

		memcpy(ro + i, &v, 8);
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

/* A sequence being generated (dt_gen_seq): registers that keep their
 * values through the whole sequence, so that every memory operand stays
 * in the scratch area and every shift by CL has the count its undefined
 * flags were computed for. base[] hold pointers into the scratch area,
 * index a small index (both only written as bytes: a byte write keeps a
 * pointer within its 256-byte block and an index below 256, still inside
 * the scratch area); RSP is only changed by PUSH/POP (and byte writes);
 * CL holds the count of every shift by CL when cl_pinned. */
struct seq {
	unsigned base[2], index;
	unsigned addr32_base; /* base[1] with garbage above bit 31, or ~0 */
	uint16_t keep;  /* registers no instruction may write (but as a byte) */
	bool cl_pinned;
	uint8_t cl;
	int riprel_at;  /* offset of a RIP-relative disp32 in the instruction, or -1 */
	bool force_riprel; /* the next memory operand is RIP-relative */
};

struct gen {
	struct dt_rng *r;
	struct dt_case *k;
	uint8_t rex;
	bool fixed[16]; /* registers holding pointers or counts */
	struct seq *seq; /* generating one instruction of a sequence */
	bool byte_op; /* sequences: the register operands are byte registers */
};

static void emit(struct gen *g, uint8_t b)
{
	if (g->k->len < sizeof(g->k->code))
		g->k->code[g->k->len++] = b;
}

/* A register operand (0-15). In a sequence, never one whose value the
 * sequence keeps (struct seq), except for byte operations, which may
 * write any but CL (when it holds the shift count). Outside sequences it
 * draws exactly one random number, so a seed's stream of cases stays as
 * it always was. */
static unsigned pick_reg(struct gen *g)
{
	unsigned r = rnd(g->r, 16);

	if (!g->seq)
		return r;
	for (;;) {
		if (g->byte_op ? !(g->seq->cl_pinned && r == 1) : !(g->seq->keep & (1u << r)))
			return r;
		r = rnd(g->r, 16);
	}
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
	bool addr32; /* sequences: needs a 67 prefix (32-bit address) */
	bool riprel; /* sequences: RIP-relative, bytes[1..4] patched later */
};

static void seq_modrm(struct gen *g, struct modrm *m, unsigned reg);

static void make_modrm(struct gen *g, struct modrm *m, unsigned reg, bool allow_reg,
		       bool allow_mem)
{
	bool mem = allow_mem && (!allow_reg || rnd(g->r, 2));

	g->rex |= (reg & 8) ? 0x44 : 0;
	m->mem = mem;
	m->n = 0;
	m->addr32 = m->riprel = false;
	if (!mem) {
		m->rm = pick_reg(g);
		g->rex |= (m->rm & 8) ? 0x41 : 0;
		m->bytes[m->n++] = (uint8_t)(0xc0 | ((reg & 7) << 3) | (m->rm & 7));
		return;
	}
	/* [base + disp8] or [base + index*scale + disp8], base/index not
	 * rsp/rbp/r12/r13 (their special encodings are covered by the
	 * decoder unit tests). */
	if (g->seq) {
		seq_modrm(g, m, reg);
		return;
	}

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

/* A memory operand of a sequence: one of its pointer registers (or RSP),
 * maybe with its index register, in every ModRM/SIB form (no
 * displacement, disp8, disp32; r12/r13/RSP bases), or RIP-relative (the
 * displacement is set when the instruction's place is known). A pointer
 * register with garbage above bit 31 (seq->addr32_base) is used with a
 * 67 prefix: the 32-bit address is the pointer. */
static void seq_modrm(struct gen *g, struct modrm *m, unsigned reg)
{
	struct seq *s = g->seq;
	unsigned base, mod, pick = rnd(g->r, 16);
	int32_t disp = (int32_t)rnd(g->r, 128) - 64;
	bool index = rnd(g->r, 3) == 0;

	if (pick == 0 || s->force_riprel) {
		/* [rip + disp32] */
		m->riprel = true;
		m->bytes[m->n++] = (uint8_t)(0x05 | ((reg & 7) << 3));
		for (unsigned i = 0; i < 4; i++)
			m->bytes[m->n++] = 0;
		return;
	}
	base = pick == 1 ? 4u /* RSP */ : s->base[pick & 1];
	m->addr32 = base == s->addr32_base;
	switch (rnd(g->r, 4)) {
	case 0: mod = (base & 7) == 5 ? 1 : 0; break; /* [rbp/r13] needs a disp8 */
	case 1: mod = 2; break;
	default: mod = 1; break;
	}
	if (mod == 0)
		disp = 0;
	g->rex |= (base & 8) ? 0x41 : 0;
	if (index || (base & 7) == 4) {
		unsigned ix = index ? s->index : 4; /* 4 without REX.X: none */

		g->rex |= (index && (ix & 8)) ? 0x42 : 0;
		m->bytes[m->n++] = (uint8_t)((mod << 6) | ((reg & 7) << 3) | 4);
		m->bytes[m->n++] = (uint8_t)((rnd(g->r, 4) << 6) | ((ix & 7) << 3) | (base & 7));
	} else {
		m->bytes[m->n++] = (uint8_t)((mod << 6) | ((reg & 7) << 3) | (base & 7));
	}
	if (mod == 1) {
		m->bytes[m->n++] = (uint8_t)disp;
	} else if (mod == 2) {
		for (unsigned i = 0; i < 4; i++)
			m->bytes[m->n++] = (uint8_t)((uint32_t)disp >> (8 * i));
	}
}

static void emit_rex_op(struct gen *g, const uint8_t *op, unsigned n, const struct modrm *m)
{
	if (m && m->addr32)
		emit(g, 0x67);
	if (g->rex)
		emit(g, g->rex | 0x40);
	for (unsigned i = 0; i < n; i++)
		emit(g, op[i]);
	if (m)
		for (unsigned i = 0; i < m->n; i++) {
			if (m->riprel && i == 1)
				g->seq->riprel_at = (int)g->k->len;
			emit(g, m->bytes[i]);
		}
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
	g->byte_op = byte;
	switch (form) {
	case 0: case 1: case 2: /* op r/m, r / op r, r/m */
		make_modrm(g, &m, pick_reg(g), true, true);
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
		make_modrm(g, &m, pick_reg(g), true, true);
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
	g->byte_op = byte;
	make_modrm(g, &m, digit, true, true);
	if (m.mem && g->fixed[R_CX] && form == 2)
		form = 0;
	if (g->seq && form == 2 && !g->seq->cl_pinned)
		form = 1;
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
		if (g->seq)
			count = g->seq->cl; /* already in CL */
		else
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
	make_modrm(g, &m, pick_reg(g), true, true);
	if (g->seq) {
		/* Sequences: CL only when it holds a count valid here (a 16-bit
		 * SHLD/SHRD by more than 16 leaves its result undefined). */
		unsigned c = g->seq->cl & (sz == 8 ? 63 : 31);

		if (cl && g->seq->cl_pinned && (sz != 2 || c <= 16)) {
			count = c;
			op[1] |= 1;
			emit_rex_op(g, op, 2, &m);
		} else {
			op[1] &= (uint8_t)~1;
			emit_rex_op(g, op, 2, &m);
			emit(g, (uint8_t)count);
		}
		if (count)
			g->k->flags_undef |= F_AF | (count > 1 ? F_OF : 0);
		return;
	}
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

		if (g->seq && d >= 6 && rnd(g->r, 4))
			d -= 2; /* DIV/IDIV mostly fault on random inputs */

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
	make_modrm(g, &m, pick_reg(g), true, true);
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
		if (g->seq)
			reg = g->seq->index; /* a bit offset below 256 */
		make_modrm(g, &m, reg, true, true);
		if (m.mem && !g->seq) {
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
			make_modrm(g, &m, pick_reg(g), true, true);
			op[0] = 0x0f;
			op[1] = 0xb8;
			emit_rex_op(g, op, 2, &m);
			return;
		}
		sz = pick_size(g, true);
		make_modrm(g, &m, pick_reg(g), true, true);
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
			unsigned r = pick_reg(g);

			g->rex |= (r & 8) ? 0x41 : 0;
			op[0] = 0x0f;
			op[1] = (uint8_t)(0xc8 + (r & 7));
			emit_rex_op(g, op, 2, NULL);
		}
		return;
	case 5: /* SETcc */
		g->byte_op = true;
		make_modrm(g, &m, 0, true, true);
		op[0] = 0x0f;
		op[1] = (uint8_t)(0x90 + rnd(g->r, 16));
		emit_rex_op(g, op, 2, &m);
		return;
	default: /* CMOVcc */
		sz = pick_size(g, true);
		make_modrm(g, &m, pick_reg(g), true, true);
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
		make_modrm(g, &m, pick_reg(g), true, true);
		op[0] = (uint8_t)(0x88 + rnd(g->r, 4));
		emit_rex_op(g, op, 1, &m);
		return;
	case 1: /* MOV r/m, imm */
		sz = rnd(g->r, 4) ? pick_size(g, true) : 1;
		g->byte_op = sz == 1;
		make_modrm(g, &m, 0, true, true);
		op[0] = sz == 1 ? 0xc6 : 0xc7;
		emit_rex_op(g, op, 1, &m);
		emit_imm(g, sz == 1 ? 1 : sz == 2 ? 2 : 4);
		return;
	case 2: { /* MOV r, imm */
		unsigned r = pick_reg(g);

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
		make_modrm(g, &m, pick_reg(g), false, true);
		op[0] = 0x8d;
		emit_rex_op(g, op, 1, &m);
		return;
	case 4: /* MOVZX/MOVSX */
		sz = pick_size(g, true);
		make_modrm(g, &m, pick_reg(g), true, true);
		op[0] = 0x0f;
		op[1] = (uint8_t)((rnd(g->r, 2) ? 0xb6 : 0xbe) + rnd(g->r, 2));
		emit_rex_op(g, op, 2, &m);
		return;
	case 5: /* MOVSXD */
		sz = pick_size(g, false);
		make_modrm(g, &m, pick_reg(g), true, true);
		op[0] = 0x63;
		emit_rex_op(g, op, 1, &m);
		return;
	case 6: /* XCHG r/m, r */
		if (rnd(g->r, 2))
			sz = pick_size(g, true);
		make_modrm(g, &m, pick_reg(g), true, true);
		op[0] = (uint8_t)(0x86 + rnd(g->r, 2));
		emit_rex_op(g, op, 1, &m);
		return;
	case 7: { /* XCHG rAX, r / NOP */
		unsigned r = pick_reg(g);

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
		make_modrm(g, &m, pick_reg(g), g->k->code[0] != 0xf0, true);
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
		make_modrm(g, &m, pick_reg(g), false, true);
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
		unsigned r = pick_reg(g);

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

/* ---- Sequences for block mode (difftest --block) ---- */

/* The flags an instruction reads and writes, from its bytes (decoded by
 * the core's decoder, which only splits prefixes, opcode and operands
 * here; the table below is the SDM's). Shift counts come from the
 * immediate or the sequence's CL: a masked count of 0 writes no flag. */
struct flag_use {
	uint64_t reads, writes;
};

static uint64_t cond_flags(unsigned cc)
{
	static const uint64_t f[8] = {F_OF, F_CF, F_ZF, F_CF | F_ZF, F_SF, F_PF, F_SF | F_OF,
				      F_ZF | F_SF | F_OF};

	return f[(cc >> 1) & 7];
}

static bool flag_use(const struct dt_case *k, const struct seq *s, struct flag_use *u)
{
	struct emu_insn in;
	unsigned digit, bits, count;

	u->reads = u->writes = 0;
	if (emu_decode_bytes(k->code, k->len, 64, &in) != EMU_DEC_OK || in.len != k->len)
		return false;
	digit = (in.modrm >> 3) & 7;
	if (in.map == MAP_1B) {
		uint8_t op = in.op;

		bits = (op & 1) ? 8 * (in.rex & 8 ? 8 : in.opsize) : 8;
		if (op < 0x40 && (op & 7) < 6) {
			u->writes = F_ALL;
			if ((op >> 3) == 2 || (op >> 3) == 3) /* ADC, SBB */
				u->reads = F_CF;
		} else if (op >= 0x80 && op <= 0x83) {
			u->writes = F_ALL;
			if (digit == 2 || digit == 3)
				u->reads = F_CF;
		} else if (op == 0x84 || op == 0x85 || op == 0xa8 || op == 0xa9 || op == 0x69 ||
			   op == 0x6b) {
			u->writes = F_ALL;
		} else if (op == 0xf6 || op == 0xf7) {
			u->writes = digit == 2 ? 0 : F_ALL;
		} else if ((op == 0xfe || op == 0xff) && digit <= 1) {
			u->writes = F_ALL & ~F_CF;
		} else if (op == 0xc0 || op == 0xc1 || (op >= 0xd0 && op <= 0xd3)) {
			count = op <= 0xc1 ? (unsigned)in.imm & 0xff : op <= 0xd1 ? 1 : s->cl;
			count &= bits == 64 ? 63 : 31;
			if (count)
				u->writes = digit < 4 ? F_CF | F_OF : F_ALL;
			if (digit == 2 || digit == 3)
				u->reads = F_CF;
		} else if (op == 0x9e) {
			u->writes = F_ALL & ~F_OF;
		} else if (op == 0x9f) {
			u->reads = F_ALL & ~F_OF;
		} else if (op == 0x9c) {
			u->reads = F_ALL;
		} else if (op == 0xf5) {
			u->reads = u->writes = F_CF;
		} else if (op == 0xf8 || op == 0xf9) {
			u->writes = F_CF;
		} else if (op >= 0x70 && op <= 0x7f) {
			u->reads = cond_flags(op);
		} else if (op == 0xe0 || op == 0xe1) { /* LOOPNE, LOOPE */
			u->reads = F_ZF;
		}
		return true;
	}
	if (in.map != MAP_0F)
		return true;
	bits = 8 * (in.rex & 8 ? 8 : in.opsize);
	switch (in.op) {
	case 0x40 ... 0x4f: case 0x80 ... 0x8f: case 0x90 ... 0x9f:
		u->reads = cond_flags(in.op);
		break;
	case 0xa3: case 0xab: case 0xb3: case 0xbb: case 0xba:
		u->writes = F_CF | F_OF | F_SF | F_AF | F_PF;
		break;
	case 0xa4: case 0xa5: case 0xac: case 0xad:
		count = (in.op & 1) ? s->cl : (unsigned)in.imm & 0xff;
		if (count & (bits == 64 ? 63 : 31))
			u->writes = F_ALL;
		break;
	case 0xaf: case 0xb0: case 0xb1: case 0xb8: case 0xbc: case 0xbd: case 0xc0: case 0xc1:
		u->writes = F_ALL;
		break;
	case 0xc7:
		u->writes = F_ZF;
		break;
	}
	return true;
}

/* Jcc rel8/rel32 with displacement 0: the next instruction either way;
 * sometimes JMP rel8/rel32 0 (it ends the block: the rest of the
 * sequence is the next block) or LOOPcc/JRCXZ 0. */
static void gen_jcc0(struct gen *g)
{
	unsigned cc = rnd(g->r, 16);

	g->k->family = "jcc0";
	if (!g->seq->cl_pinned && rnd(g->r, 6) == 0) {
		/* LOOPNE/LOOPE/LOOP/JRCXZ +0 (RCX holds no shift count here),
		 * sometimes on ECX (67) */
		if (rnd(g->r, 4) == 0)
			emit(g, 0x67);
		emit(g, (uint8_t)(0xe0 + rnd(g->r, 4)));
		emit(g, 0);
		return;
	}
	if (rnd(g->r, 8) == 0) {
		bool near = rnd(g->r, 2);

		emit(g, near ? 0xe9 : 0xeb);
		for (unsigned i = 0; i < (near ? 4u : 1u); i++)
			emit(g, 0);
		return;
	}
	if (rnd(g->r, 2)) {
		emit(g, (uint8_t)(0x70 + cc));
		emit(g, 0);
	} else {
		emit(g, 0x0f);
		emit(g, (uint8_t)(0x80 + cc));
		for (unsigned i = 0; i < 4; i++)
			emit(g, 0);
	}
}

/* A memory operand far past the scratch area ([base + disp32]): #PF in
 * the interpreter, SIGSEGV natively, in the middle of a sequence. */
static void gen_fault(struct gen *g)
{
	/* MOV load/store, ADD both ways, TEST, CMP, XCHG, INC/DEC; with 0F:
	 * CMOVcc (faults whatever the condition), MOVZX/MOVSX, SETcc, BT imm */
	static const uint16_t ops[] = {0x8b, 0x89, 0x01, 0x03, 0x85, 0x87, 0xff, 0x39, 0x3b,
				       0xf40, 0xf4c, 0xfb6, 0xfbf, 0xf94, 0xf9f, 0xfba};
	uint16_t op = ops[rnd(g->r, sizeof(ops) / sizeof(ops[0]))];
	unsigned base = g->seq->base[0];
	unsigned reg = op == 0xff ? rnd(g->r, 2) : op == 0xfba ? 4 : pick_reg(g);
	/* past the read-only page, inside the natively reserved DT_GUARD_SIZE */
	uint32_t disp = 0x3000 + rnd(g->r, 0x100000);

	g->k->family = "fault";
	if (op == 0xf40 || op == 0xf4c || op == 0xf94)
		op = (uint16_t)(op + rnd(g->r, 12) % 4 * 3); /* other conditions */
	if (rnd(g->r, 2))
		g->rex |= 0x48;
	g->rex |= (reg & 8 ? 0x44 : 0) | (base & 8 ? 0x41 : 0);
	if (g->rex)
		emit(g, g->rex | 0x40);
	if (op > 0xff)
		emit(g, 0x0f);
	emit(g, (uint8_t)op);
	if ((base & 7) == 4) {
		emit(g, (uint8_t)(0x84 | ((reg & 7) << 3)));
		emit(g, 0x24);
	} else {
		emit(g, (uint8_t)(0x80 | ((reg & 7) << 3) | (base & 7)));
	}
	for (unsigned i = 0; i < 4; i++)
		emit(g, (uint8_t)(disp >> (8 * i)));
	if (op == 0xfba)
		emit(g, (uint8_t)rnd(g->r, 256)); /* BT m, imm8 */
}

/* NOP forms: 90, 66 90, 0F 1F /0 (register or memory operand, which is
 * not accessed), PREFETCHh (0F 18 /0-3). */
static void gen_nop(struct gen *g)
{
	struct modrm m;
	uint8_t op[2] = {0x0f, 0x1f};

	g->k->family = "nop";
	switch (rnd(g->r, 4)) {
	case 0:
		emit(g, 0x90);
		return;
	case 1:
		emit(g, 0x66);
		emit(g, 0x90);
		return;
	case 2:
		(void)pick_size(g, true);
		make_modrm(g, &m, 0, true, true);
		emit_rex_op(g, op, 2, &m);
		return;
	default:
		op[1] = 0x18;
		make_modrm(g, &m, rnd(g->r, 4), false, true);
		emit_rex_op(g, op, 2, &m);
		return;
	}
}

/* Self-modifying code: a store (MOV m8/m16/m32, imm, RIP-relative) into
 * the immediate of an instruction further on (MOV r32, imm32 or a group-1
 * ALU op r, imm32), maybe with NOPs between. The host sees the new
 * immediate; the interpreter must end the block after the store and
 * decode the changed instruction again, translated code too. The store
 * (with the NOPs after it) goes to *st, the victim to *vi. */
static void gen_smc(struct dt_rng *r, struct seq *s, struct dt_case *st, struct dt_case *vi)
{
	struct gen gv = {.r = r, .k = vi, .seq = s};
	unsigned reg = pick_reg(&gv), size, at, gap = rnd(r, 3) == 0 ? 1 + rnd(r, 2) : 0;
	uint64_t val = edge_value(r);

	vi->len = st->len = 0;
	vi->flags_undef = st->flags_undef = 0;
	vi->family = st->family = "smc";
	/* the victim: its imm32 is its last 4 bytes */
	if (rnd(r, 2)) {
		static const unsigned aops[] = {0, 1, 4, 5, 6, 7};

		if (reg & 8)
			vi->code[vi->len++] = rnd(r, 2) ? 0x49 : 0x41;
		else if (rnd(r, 2))
			vi->code[vi->len++] = 0x48;
		vi->code[vi->len++] = 0x81;
		vi->code[vi->len++] = (uint8_t)(0xc0 | (aops[rnd(r, 6)] << 3) | (reg & 7));
	} else {
		if (reg & 8)
			vi->code[vi->len++] = 0x41;
		vi->code[vi->len++] = (uint8_t)(0xb8 | (reg & 7));
	}
	for (unsigned i = 0; i < 4; i++)
		vi->code[vi->len++] = (uint8_t)(dt_rand(r) >> 8);
	/* NOPs between the store and the victim */
	uint8_t pad[8];
	unsigned npad = 0;

	for (unsigned i = 0; i < gap; i++) {
		if (rnd(r, 2)) {
			pad[npad++] = 0x90;
		} else {
			pad[npad++] = 0x0f;
			pad[npad++] = 0x1f;
			pad[npad++] = 0x00; /* nop [rax]: not accessed */
		}
	}
	/* the store */
	size = rnd(r, 3) == 0 ? 4 : rnd(r, 2) ? 2 : 1;
	at = vi->len - 4 + rnd(r, 5 - size); /* within the imm32 */
	if (size == 2)
		st->code[st->len++] = 0x66;
	st->code[st->len++] = size == 1 ? 0xc6 : 0xc7;
	st->code[st->len++] = 0x05;
	unsigned disp_at = st->len;

	st->len += 4;
	for (unsigned i = 0; i < size; i++)
		st->code[st->len++] = (uint8_t)(val >> (8 * i));
	uint32_t disp = npad + at; /* from the end of the store */

	memcpy(st->code + disp_at, &disp, 4);
	/* the NOPs ride with the store */
	memcpy(st->code + st->len, pad, npad);
	st->ninsn = 1 + gap;
	st->len += npad;
}

/* Calls and returns that go to the next instruction (so the sequence is
 * still straight-line), placed at offset off of the code: CALL +0
 * (maybe then POP r: "where am I"), PUSH imm32 of the address after a
 * RET / RET imm16 (0, 8 or 16 bytes released), LEA r, [rip + d] then
 * CALL r / JMP r to the address after it; also PUSH RSP then POP RSP or
 * POP r, and a RET to a non-canonical address (#GP at the RET). Into t,
 * with t->ninsn. */
static void gen_ctl(struct dt_rng *r, struct seq *s, struct dt_case *t, unsigned off)
{
	struct gen g = {.r = r, .k = t, .seq = s};
	unsigned reg;

	t->len = 0;
	t->ninsn = 0;
	t->flags_undef = 0;
	t->family = "ctl";
	switch (rnd(r, 5)) {
	case 3: /* push rsp (the value before the push); pop rsp or pop r */
		emit(&g, 0x54);
		reg = rnd(r, 2) ? R_SP : pick_reg(&g);
		if (reg & 8)
			emit(&g, 0x41);
		emit(&g, (uint8_t)(0x58 + (reg & 7)));
		t->ninsn = 2;
		return;
	case 4: /* mov r, non-canonical; push r; ret: #GP at the RET */
		reg = pick_reg(&g);
		emit(&g, (uint8_t)(0x48 | (reg & 8 ? 1 : 0)));
		emit(&g, (uint8_t)(0xb8 + (reg & 7)));
		{
			uint64_t v = 0x8000000000000000ULL >> rnd(r, 16) | dt_rand(r) >> 20;

			for (unsigned i = 0; i < 8; i++)
				emit(&g, (uint8_t)(v >> (8 * i)));
		}
		if (reg & 8)
			emit(&g, 0x41);
		emit(&g, (uint8_t)(0x50 + (reg & 7)));
		emit(&g, 0xc3);
		t->ninsn = 3;
		return;
	case 0: /* call +0 [; pop r] */
		emit(&g, 0xe8);
		for (unsigned i = 0; i < 4; i++)
			emit(&g, 0);
		t->ninsn = 1;
		if (rnd(r, 2)) {
			reg = pick_reg(&g);
			if (reg & 8)
				emit(&g, 0x41);
			emit(&g, (uint8_t)(0x58 + (reg & 7)));
			t->ninsn++;
		}
		return;
	case 1: { /* push imm32 (the address after the ret); ret [imm16] */
		bool imm = rnd(r, 2);
		uint32_t to = (uint32_t)(DT_CODE_ADDR + off + 5 + (imm ? 3 : 1));

		emit(&g, 0x68);
		for (unsigned i = 0; i < 4; i++)
			emit(&g, (uint8_t)(to >> (8 * i)));
		if (imm) {
			emit(&g, 0xc2);
			emit(&g, (uint8_t)(8 * rnd(r, 3)));
			emit(&g, 0);
		} else {
			emit(&g, 0xc3);
		}
		t->ninsn = 2;
		return;
	}
	default: { /* lea r, [rip + 2 or 3]; call/jmp r */
		bool call = rnd(r, 2);
		unsigned n;

		reg = pick_reg(&g);
		n = reg & 8 ? 3 : 2; /* length of the call/jmp */
		emit(&g, (uint8_t)(0x48 | (reg & 8 ? 4 : 0)));
		emit(&g, 0x8d);
		emit(&g, (uint8_t)(0x05 | ((reg & 7) << 3)));
		emit(&g, (uint8_t)n);
		for (unsigned i = 0; i < 3; i++)
			emit(&g, 0);
		if (reg & 8)
			emit(&g, 0x41);
		emit(&g, 0xff);
		emit(&g, (uint8_t)((call ? 0xd0 : 0xe0) | (reg & 7)));
		t->ninsn = 2;
		return;
	}
	}
}

/* One instruction of a sequence into t (a copy of the sequence's
 * inputs, code empty). reader: prefer the families that read flags. */
static void gen_one(struct dt_rng *r, struct seq *s, struct dt_case *t, bool reader)
{
	struct gen g = {.r = r, .k = t, .seq = s};

	t->len = 0;
	t->flags_undef = 0;
	if (reader) {
		switch (rnd(r, 4)) {
		case 0: gen_jcc0(&g); return;
		case 1: gen_alu(&g); return;   /* ADC/SBB among them */
		case 2: gen_shift(&g); return; /* RCL/RCR among them */
		default: gen_bits(&g); return; /* SETcc/CMOVcc among them */
		}
	}
	switch (rnd(r, 17)) {
	case 0: case 1: case 2: case 3: gen_alu(&g); break;
	case 4: case 5: gen_shift(&g); break;
	case 6: gen_shiftd(&g); break;
	case 7: gen_muldiv(&g); break;
	case 8: case 9: gen_bits(&g); break;
	case 10: case 11: case 12: gen_move(&g); break;
	case 13: gen_jcc0(&g); break;
	case 14: gen_nop(&g); break;
	default: /* PUSH/POP forms only (no ENTER/LEAVE: they move RSP to RBP) */
		for (;;) {
			unsigned p;

			t->len = 0;
			g.rex = 0;
			gen_stack(&g);
			for (p = 0; p + 1 < t->len && t->code[p] == 0x66; p++)
				;
			if (t->code[p] != 0xc8 && t->code[p] != 0xc9)
				break;
		}
		break;
	}
}

/* Appends t (one instruction, or the store and NOPs of an SMC pair) to
 * k and updates the undefined-flags state. */
static void seq_append(struct dt_case *k, const struct dt_case *t, const struct flag_use *u,
		       uint64_t *undef, uint64_t *undef_any)
{
	unsigned n = t->ninsn ? t->ninsn : 1;

	memcpy(k->code + k->len, t->code, t->len);
	k->len += t->len;
	for (unsigned i = 0; i < n; i++) {
		if (k->ninsn < DT_SEQ_MAX)
			k->undef_at[k->ninsn] = (uint16_t)*undef;
		k->ninsn++;
		*undef_any |= *undef; /* the flags a fault here would show */
	}
	*undef = (*undef & ~u->writes) | (t->flags_undef & u->writes);
}

void dt_gen_seq(struct dt_rng *r, struct dt_case *k)
{
	static const unsigned keep_from[] = {6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	struct gen g0 = {.r = r, .k = k};
	struct seq s = {0};
	unsigned want = 2 + rnd(r, 11), fault_at = ~0u, smc_at = ~0u, ro_at = ~0u, ctl_at = ~0u;
	uint64_t undef = 0, undef_any = 0;
	bool wrote_flags = false;

	gen_init(&g0);
	/* Longer now and then: past a block's 16 instructions. */
	if (rnd(r, 16) == 0)
		want = 13 + rnd(r, 8);
	/* Three distinct kept registers: two pointers, one index. */
	unsigned pick[3];

	for (unsigned i = 0; i < 3; i++) {
		bool again;

		do {
			pick[i] = keep_from[rnd(r, 10)];
			again = false;
			for (unsigned j = 0; j < i; j++)
				again |= pick[j] == pick[i];
		} while (again);
	}
	s.base[0] = pick[0];
	s.base[1] = pick[1];
	s.index = pick[2];
	s.addr32_base = ~0u;
	k->in.gpr[s.base[0]] = scratch_ptr(&g0, 2048, 1024);
	k->in.gpr[s.base[1]] = scratch_ptr(&g0, 2048, 1024);
	switch (rnd(r, 8)) {
	case 0: case 1:
		/* used with a 67 prefix: only the low 32 bits address */
		s.addr32_base = s.base[1];
		k->in.gpr[s.base[1]] |= dt_rand(r) << 32;
		break;
	case 2: case 3:
		/* near the boundary of the two scratch pages: accesses that
		 * cross it (split in two on the emulator's side) */
		k->in.gpr[s.base[1]] = scratch_ptr(&g0, 4096 - 64, 128);
		break;
	case 4:
		/* the stack there too: pushes and pops that cross it */
		k->in.gpr[R_SP] = scratch_ptr(&g0, 4096, 64) & ~(rnd(r, 2) ? 7ULL : 0);
		break;
	}
	k->in.gpr[s.index] = rnd(r, 64);
	s.keep = (uint16_t)((1u << pick[0]) | (1u << pick[1]) | (1u << pick[2]) | (1u << R_SP));
	if (rnd(r, 2)) {
		s.cl_pinned = true;
		/* A quarter of the time a count that masks to 0 for some sizes
		 * (no flag is written: translated code must keep the old). */
		static const uint8_t zeroish[] = {0, 32, 64, 96, 128, 160, 192, 224};

		switch (rnd(r, 4)) {
		case 0: s.cl = zeroish[rnd(r, 8)]; break;
		case 1: s.cl = (uint8_t)rnd(r, 256); break;
		default: s.cl = (uint8_t)rnd(r, 72); break;
		}
		k->in.gpr[R_CX] = (k->in.gpr[R_CX] & ~0xffULL) | s.cl;
		s.keep |= 1u << R_CX;
	}
	if (rnd(r, 12) == 0)
		fault_at = rnd(r, want);
	if (rnd(r, 12) == 0)
		smc_at = rnd(r, want);
	/* An instruction whose memory operand is in the read-only page: a
	 * store or read-modify-write faults there after reading, and must
	 * leave every register and flag as they were. */
	if (rnd(r, 8) == 0)
		ro_at = rnd(r, want);
	if (rnd(r, 6) == 0)
		ctl_at = rnd(r, want);

	k->family = "seq";
	k->block = true;
	k->ninsn = 0;
	k->has_undef_at = true;
	for (unsigned i = 0; i < want; i++) {
		struct dt_case t, v;
		struct flag_use u, uv;
		bool reader = wrote_flags && rnd(r, 2);
		unsigned tries = 0;

		if (i == ctl_at) {
			t = *k;
			gen_ctl(r, &s, &t, k->len);
			u.reads = u.writes = 0;
			if (k->len + t.len > sizeof(k->code))
				break;
			seq_append(k, &t, &u, &undef, &undef_any);
			wrote_flags = false;
			continue;
		}
		if (i == smc_at) {
			t = *k;
			v = *k;
			gen_smc(r, &s, &t, &v);
			v.ninsn = 0;
			u.reads = u.writes = 0;
			if (!flag_use(&v, &s, &uv) || k->len + t.len + v.len > sizeof(k->code))
				break;
			seq_append(k, &t, &u, &undef, &undef_any);
			seq_append(k, &v, &uv, &undef, &undef_any);
			wrote_flags = uv.writes != 0;
			continue;
		}
		for (;;) {
			t = *k;
			t.ninsn = 0;
			s.riprel_at = -1;
			s.force_riprel = i == ro_at && tries < 40;
			if (i == fault_at) {
				struct gen g = {.r = r, .k = &t, .seq = &s};

				t.len = 0;
				t.flags_undef = 0;
				gen_fault(&g);
			} else {
				gen_one(r, &s, &t, reader && tries < 40);
			}
			if (++tries > 1000)
				break; /* (never seen: the sequence ends here) */
			if (!t.len || !flag_use(&t, &s, &u))
				continue; /* (no such instruction is generated) */
			if (u.reads & undef)
				continue; /* would read a flag left undefined */
			if (reader && tries < 40 && !u.reads)
				continue;
			if (s.force_riprel && s.riprel_at < 0)
				continue; /* no memory operand */
			break;
		}
		if (tries > 1000 || k->len + t.len > sizeof(k->code))
			break;
		if (s.riprel_at >= 0) {
			/* [rip + disp32] into the scratch area, from where the
			 * instruction ends up */
			uint64_t next = DT_CODE_ADDR + k->len + t.len;
			uint64_t to = s.force_riprel ? DT_RO_ADDR + 64 + rnd(r, DT_RO_SIZE - 128)
						     : scratch_ptr(&g0, 2048, 1024);

			if (rnd(r, 4) == 0) /* just below a page boundary */
				to = (s.force_riprel ? DT_RO_ADDR : DT_SCRATCH_ADDR + 4096) - 1 -
				     rnd(r, 16);
			uint32_t disp = (uint32_t)(to - next);

			memcpy(t.code + s.riprel_at, &disp, 4);
		}
		seq_append(k, &t, &u, &undef, &undef_any);
		wrote_flags = u.writes != 0;
	}
	k->flags_undef = undef;
	k->flags_undef_fault = undef_any;
	k->keep = s.keep;
}

/* Whether the immediate of in can change without changing what the
 * sequence generator assumed (flags written, addresses, block ends):
 * ALU, TEST, IMUL, MOV and PUSH imm8 immediates, BT's bit offset (not
 * PUSH imm32 nor MOV r64, imm64: gen_ctl() makes return addresses so). */
static bool imm_free(const struct emu_insn *in)
{
	unsigned r = (in->modrm >> 3) & 7;

	if (!in->imm_len || in->imm_len == 8)
		return false; /* (MOV r64, imm64: gen_ctl() returns to one) */
	if (in->map == MAP_0F)
		return in->op == 0xba;
	if (in->map != MAP_1B)
		return false;
	switch (in->op) {
	case 0x04: case 0x05: case 0x0c: case 0x0d: case 0x14: case 0x15: case 0x1c: case 0x1d:
	case 0x24: case 0x25: case 0x2c: case 0x2d: case 0x34: case 0x35: case 0x3c: case 0x3d:
	case 0x69: case 0x6a: case 0x6b: case 0x80: case 0x81: case 0x83:
	case 0xa8: case 0xa9: case 0xb0 ... 0xbf: case 0xc6: case 0xc7:
		return true;
	case 0xf6: case 0xf7:
		return r <= 1;
	default:
		return false;
	}
}

void dt_gen_seq_inputs(struct dt_rng *r, const struct dt_case *from, struct dt_case *k,
		       bool change_code)
{
	unsigned at[DT_CODE_MAX], n = 0, pos = 0;

	*k = *from;
	for (unsigned i = 0; i < 16; i++)
		if (!(from->keep & (1u << i)))
			k->in.gpr[i] = edge_value(r);
	k->in.rflags = (dt_rand(r) & F_ALL) | 0x202;
	k->mem_seed = dt_rand(r);
	if (!change_code || rnd(r, 2))
		return;
	/* Half the time one byte of one immediate changes too: the block
	 * holding it (kept from the case before) is then stale by one byte,
	 * for the cache's lookup and for a linked jump's check to find. */
	while (pos < k->len) {
		struct emu_insn in;

		if (emu_decode_bytes(k->code + pos, k->len - pos, 64, &in) != EMU_DEC_OK)
			break;
		if (imm_free(&in))
			for (unsigned i = in.len - in.imm_len; i < in.len; i++)
				at[n++] = pos + i;
		pos += in.len;
	}
	if (n)
		k->code[at[rnd(r, n)]] ^= (uint8_t)(1 + rnd(r, 255));
}
