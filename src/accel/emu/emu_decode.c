/* The software CPU's instruction decoder: legacy and REX prefixes, the
 * one-byte, 0F, 0F38 and 0F3A opcode maps, ModRM/SIB/displacement (16-bit
 * forms, RIP-relative in 64-bit code) and immediates. The tables give, per
 * opcode, whether a ModRM byte follows and which immediate. */
#include <string.h>

#include "emu_cpu.h"
#include "emu_decode.h"

/* Immediate kinds (low 4 bits of a table entry). */
enum {
	I_NONE, /* no immediate */
	I_B,    /* 8 bits, sign-extended */
	I_W,    /* 16 bits, zero-extended (RET imm16) */
	I_Z,    /* 16 or 32 bits by operand size, sign-extended */
	I_V,    /* 16, 32 or 64 bits by operand size (MOV r, imm) */
	I_WB,   /* imm16 then imm8 (ENTER) */
	I_MOFFS, /* address-size offset, zero-extended (MOV A0-A3) */
	I_PTR,  /* far pointer: offset (16/32) then selector 16 */
	I_GRP3B, /* F6: ib only for /0 and /1 */
	I_GRP3Z, /* F7: iz only for /0 and /1 */
	I_REL,  /* near relative: 16/32 by operand size, always 32 in 64-bit code */
};
#define M 0x80 /* ModRM follows */

static const uint8_t map_1b[256] = {
	/* 00-3f: ALU ops: x0-x3 ModRM, x4 ib, x5 iz (rows of 8) */
	[0x00 ... 0x03] = M, [0x04] = I_B, [0x05] = I_Z,
	[0x08 ... 0x0b] = M, [0x0c] = I_B, [0x0d] = I_Z,
	[0x10 ... 0x13] = M, [0x14] = I_B, [0x15] = I_Z,
	[0x18 ... 0x1b] = M, [0x1c] = I_B, [0x1d] = I_Z,
	[0x20 ... 0x23] = M, [0x24] = I_B, [0x25] = I_Z,
	[0x28 ... 0x2b] = M, [0x2c] = I_B, [0x2d] = I_Z,
	[0x30 ... 0x33] = M, [0x34] = I_B, [0x35] = I_Z,
	[0x38 ... 0x3b] = M, [0x3c] = I_B, [0x3d] = I_Z,
	[0x62] = M, [0x63] = M,
	[0x68] = I_Z, [0x69] = M | I_Z, [0x6a] = I_B, [0x6b] = M | I_B,
	[0x70 ... 0x7f] = I_B,
	[0x80] = M | I_B, [0x81] = M | I_Z, [0x82] = M | I_B, [0x83] = M | I_B,
	[0x84 ... 0x8f] = M,
	[0x9a] = I_PTR,
	[0xa0 ... 0xa3] = I_MOFFS,
	[0xa8] = I_B, [0xa9] = I_Z,
	[0xb0 ... 0xb7] = I_B, [0xb8 ... 0xbf] = I_V,
	[0xc0] = M | I_B, [0xc1] = M | I_B, [0xc2] = I_W,
	[0xc4] = M, [0xc5] = M, [0xc6] = M | I_B, [0xc7] = M | I_Z,
	[0xc8] = I_WB, [0xca] = I_W, [0xcd] = I_B,
	[0xd0 ... 0xd3] = M, [0xd4] = I_B, [0xd5] = I_B,
	[0xd8 ... 0xdf] = M,
	[0xe0 ... 0xe7] = I_B, [0xe8] = I_REL, [0xe9] = I_REL, [0xea] = I_PTR, [0xeb] = I_B,
	[0xf6] = M | I_GRP3B, [0xf7] = M | I_GRP3Z,
	[0xfe] = M, [0xff] = M,
};

static const uint8_t map_0f[256] = {
	[0x00 ... 0x03] = M, [0x0d] = M, [0x0f] = M | I_B,
	[0x10 ... 0x1f] = M,
	[0x20 ... 0x2f] = M,
	[0x40 ... 0x6f] = M,
	[0x70 ... 0x73] = M | I_B, [0x74 ... 0x76] = M, [0x78 ... 0x7f] = M,
	[0x80 ... 0x8f] = I_REL,
	[0x90 ... 0x9f] = M,
	[0xa3] = M, [0xa4] = M | I_B, [0xa5] = M, [0xab] = M, [0xac] = M | I_B,
	[0xad ... 0xaf] = M,
	[0xb0 ... 0xb9] = M, [0xba] = M | I_B, [0xbb ... 0xbf] = M,
	[0xc0] = M, [0xc1] = M, [0xc2] = M | I_B, [0xc3] = M, [0xc4 ... 0xc6] = M | I_B,
	[0xc7] = M,
	[0xd0 ... 0xff] = M,
};

struct dec_state {
	const uint8_t *buf;
	unsigned avail;
	unsigned pos;
};

/* Reads n bytes little-endian; false if the buffer ends first. */
static inline bool take(struct dec_state *d, unsigned n, uint64_t *out)
{
	uint64_t v = 0;

	if (d->pos + n > d->avail)
		return false;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)d->buf[d->pos + i] << (8 * i);
	d->pos += n;
	*out = v;
	return true;
}

static inline uint64_t sext(uint64_t v, unsigned bytes)
{
	unsigned sh = 64 - 8 * bytes;

	return bytes >= 8 ? v : (uint64_t)((int64_t)(v << sh) >> sh);
}

/* Result for "ran out of buffer": MORE, unless 15 bytes were there. */
static int out_of_bytes(const struct dec_state *d)
{
	return d->avail >= EMU_MAX_INSN_LEN ? EMU_DEC_TOO_LONG : EMU_DEC_MORE;
}

static int decode_modrm(struct dec_state *d, struct emu_insn *in)
{
	uint64_t b, v;
	unsigned mod, rm;

	if (!take(d, 1, &b))
		return out_of_bytes(d);
	in->modrm = (uint8_t)b;
	mod = b >> 6;
	in->mod = mod;
	in->reg = ((b >> 3) & 7) | ((in->rex & 4) << 1);
	rm = b & 7;
	in->rm = rm | ((in->rex & 1) << 3);
	in->base = NO_REG;
	in->index = NO_REG;
	in->scale = 0;
	in->disp = 0;
	if (mod == 3)
		return 0;
	in->is_mem = 1;

	if (in->addrsize == 2) {
		static const uint8_t base16[8] = {R_BX, R_BX, R_BP, R_BP, R_SI, R_DI, R_BP, R_BX};
		static const uint8_t index16[8] = {R_SI, R_DI, R_SI, R_DI, NO_REG, NO_REG,
						   NO_REG, NO_REG};
		unsigned dlen = mod == 1 ? 1 : mod == 2 ? 2 : 0;

		if (mod == 0 && rm == 6) {
			dlen = 2;
		} else {
			in->base = base16[rm];
			in->index = index16[rm];
		}
		if (in->base == R_BP)
			in->seg = S_SS;
		if (dlen) {
			if (!take(d, dlen, &v))
				return out_of_bytes(d);
			in->disp = sext(v, dlen);
		}
		return 0;
	}

	unsigned dlen = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	unsigned base = rm;

	if (rm == 4) {
		uint64_t sib;

		if (!take(d, 1, &sib))
			return out_of_bytes(d);
		unsigned idx = ((sib >> 3) & 7) | ((in->rex & 2) << 2);
		base = sib & 7;
		in->scale = sib >> 6;
		if (idx != R_SP)
			in->index = idx;
		if (base == 5 && mod == 0) {
			dlen = 4;
			base = NO_REG;
		}
	} else if (rm == 5 && mod == 0) {
		dlen = 4;
		base = NO_REG;
		if (in->code_bits == 64)
			in->rip_rel = 1;
	}
	if (base != NO_REG) {
		base |= (in->rex & 1) << 3;
		if (base == R_SP || base == R_BP)
			in->seg = S_SS;
	}
	in->base = base;
	if (dlen) {
		if (!take(d, dlen, &v))
			return out_of_bytes(d);
		in->disp = sext(v, dlen);
	}
	return 0;
}

static int decode_imm(struct dec_state *d, struct emu_insn *in, unsigned kind)
{
	unsigned osz = in->opsize;
	unsigned n;
	uint64_t v, v2;

	switch (kind) {
	case I_NONE:
		return 0;
	case I_GRP3B:
		if (((in->modrm >> 3) & 7) > 1)
			return 0;
		/* fall through */
	case I_B:
		n = 1;
		break;
	case I_W:
		if (!take(d, 2, &v))
			return out_of_bytes(d);
		in->imm = v;
		in->imm_len = 2;
		return 0;
	case I_GRP3Z:
		if (((in->modrm >> 3) & 7) > 1)
			return 0;
		/* fall through */
	case I_Z:
		n = osz == 2 ? 2 : 4;
		break;
	case I_REL:
		n = (osz == 2 && in->code_bits != 64) ? 2 : 4;
		break;
	case I_V:
		n = osz;
		break;
	case I_WB:
		if (!take(d, 2, &v) || !take(d, 1, &v2))
			return out_of_bytes(d);
		in->imm = v;
		in->imm2 = v2;
		in->imm_len = 2;
		return 0;
	case I_MOFFS:
		if (!take(d, in->addrsize, &v))
			return out_of_bytes(d);
		in->imm = v;
		in->imm_len = in->addrsize;
		return 0;
	case I_PTR:
		n = osz == 2 ? 2 : 4;
		if (!take(d, n, &v) || !take(d, 2, &v2))
			return out_of_bytes(d);
		in->imm = v;
		in->imm2 = v2;
		in->imm_len = n;
		return 0;
	default:
		return 0;
	}
	if (!take(d, n, &v))
		return out_of_bytes(d);
	in->imm = sext(v, n);
	in->imm_len = n;
	return 0;
}

int emu_decode_bytes(const uint8_t *buf, unsigned avail, unsigned code_bits, struct emu_insn *in)
{
	struct dec_state d = {.buf = buf, .avail = avail > 15 ? 15 : avail, .pos = 0};
	unsigned def = code_bits == 16 ? 2 : 4;
	unsigned attr;
	uint64_t b;
	int r;

	memset(in, 0, sizeof(*in));
	in->seg_override = -1;
	in->seg = S_DS;
	in->code_bits = code_bits;
	in->base = in->index = NO_REG;

	/* Prefixes. A REX byte counts only right before the opcode. */
	for (;;) {
		if (!take(&d, 1, &b))
			return out_of_bytes(&d);
		switch (b) {
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			in->rex = 0;
			/* ES/CS/SS/DS overrides are ignored in 64-bit code. */
			if (code_bits != 64)
				in->seg_override = (b >> 3) & 3;
			continue;
		case 0x64: case 0x65:
			in->rex = 0;
			in->seg_override = S_FS + (b & 1);
			continue;
		case 0x66:
			in->rex = 0;
			in->pfx66 = 1;
			continue;
		case 0x67:
			in->rex = 0;
			in->addrsize = 1; /* marker: toggled below */
			continue;
		case 0xf0:
			in->rex = 0;
			in->lock = 1;
			continue;
		case 0xf2: case 0xf3:
			in->rex = 0;
			in->rep = (uint8_t)b;
			continue;
		default:
			break;
		}
		if (code_bits == 64 && (b & 0xf0) == 0x40) {
			in->rex = (uint8_t)b;
			continue;
		}
		break;
	}

	/* Operand and address sizes. */
	if (code_bits == 64) {
		in->opsize = (in->rex & 8) ? 8 : in->pfx66 ? 2 : 4;
		in->addrsize = in->addrsize ? 4 : 8;
	} else {
		in->opsize = in->pfx66 ? (unsigned)(6 - def) : def;
		in->addrsize = in->addrsize ? (unsigned)(6 - def) : def;
	}
	in->simd_pfx = in->rep ? in->rep : in->pfx66 ? 0x66 : 0;

	/* Opcode. */
	if (b != 0x0f) {
		in->map = MAP_1B;
		in->op = (uint8_t)b;
		attr = map_1b[b];
	} else {
		if (!take(&d, 1, &b))
			return out_of_bytes(&d);
		if (b == 0x38 || b == 0x3a) {
			in->map = b == 0x38 ? MAP_0F38 : MAP_0F3A;
			if (!take(&d, 1, &b))
				return out_of_bytes(&d);
			in->op = (uint8_t)b;
			attr = M | (in->map == MAP_0F3A ? I_B : I_NONE);
		} else {
			in->map = MAP_0F;
			in->op = (uint8_t)b;
			attr = map_0f[b];
		}
	}

	if (attr & M) {
		in->has_modrm = 1;
		r = decode_modrm(&d, in);
		if (r)
			return r;
	}
	r = decode_imm(&d, in, attr & 0xf);
	if (r)
		return r;
	if (in->seg_override >= 0)
		in->seg = (uint8_t)in->seg_override;
	in->len = (uint8_t)d.pos;
	return EMU_DEC_OK;
}

unsigned emu_code_bits(const struct emu_cpu *c)
{
	if (c->mode == MODE_LONG64)
		return 64;
	return SEG_ATTR_DB(c->seg[S_CS].attr) ? 32 : 16;
}

void emu_decode(struct emu_cpu *c, struct emu_insn *in)
{
	uint8_t buf[EMU_MAX_INSN_LEN];
	unsigned bits = emu_code_bits(c);
	uint64_t wrap = bits == 64 ? ~0ULL : bits == 16 ? 0xffff : 0xffffffffu;
	unsigned n;
	int r;

	/* emu_fetch_bytes stops at the page end and the CS limit, so a short
	 * instruction at the end of a page never faults on the next one;
	 * fetch more only when the instruction needs it. */
	n = emu_fetch_bytes(c, c->rip & wrap, buf, EMU_MAX_INSN_LEN, NULL);
	for (;;) {
		r = emu_decode_bytes(buf, n, bits, in);
		if (r == EMU_DEC_OK)
			return;
		if (r == EMU_DEC_TOO_LONG || n >= EMU_MAX_INSN_LEN)
			emu_raise(c, EXC_GP, 0);
		n += emu_fetch_bytes(c, (c->rip + n) & wrap, buf + n, EMU_MAX_INSN_LEN - n, NULL);
	}
}
