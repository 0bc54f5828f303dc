/* The software CPU's decoded instruction and the decoder entry points.
 * The decoder is a pure function of the instruction bytes and the code
 * size (16/32/64): it never touches guest state, so it can be unit-tested
 * on byte buffers and its result can be cached. */
#ifndef VSLICE_EMU_DECODE_H
#define VSLICE_EMU_DECODE_H

#include <stdint.h>

#define EMU_MAX_INSN_LEN 15

/* Opcode maps. */
enum { MAP_1B = 0, MAP_0F = 1, MAP_0F38 = 2, MAP_0F3A = 3 };

struct emu_insn {
	uint64_t disp;      /* sign-extended displacement (memory operands) */
	uint64_t imm;       /* first immediate, sign- or zero-extended as the
			     * opcode defines; relative targets are sign-extended */
	uint64_t imm2;      /* second immediate: far pointer selector, ENTER level */
	uint8_t len;        /* total length in bytes */
	uint8_t map;        /* MAP_* */
	uint8_t op;         /* opcode byte within the map */
	uint8_t modrm;      /* raw ModRM byte (if has_modrm) */
	uint8_t mod;        /* ModRM.mod */
	uint8_t reg;        /* ModRM.reg, with REX.R */
	uint8_t rm;         /* ModRM.rm with REX.B (register operand if mod == 3) */
	uint8_t base;       /* base register with REX.B, or NO_REG */
	uint8_t index;      /* index register with REX.X, or NO_REG */
	uint8_t scale;      /* log2 of the SIB scale */
	uint8_t opsize;     /* operand size in bytes: 2, 4 or 8 (before per-opcode rules) */
	uint8_t addrsize;   /* address size in bytes: 2, 4 or 8 */
	uint8_t code_bits;  /* 16, 32 or 64: the code size it was decoded for */
	uint8_t rex;        /* REX byte, or 0 */
	uint8_t rep;        /* 0, 0xf2 or 0xf3: the last of those prefixes */
	uint8_t lock;       /* LOCK prefix present */
	uint8_t pfx66;      /* operand-size prefix present */
	uint8_t simd_pfx;   /* SSE mandatory prefix: 0, 0x66, 0xf2, 0xf3 */
	int8_t seg_override; /* S_ES..S_GS, or -1 */
	uint8_t seg;        /* segment of the memory operand (default or override) */
	uint8_t has_modrm;
	uint8_t is_mem;     /* ModRM names memory */
	uint8_t rip_rel;    /* RIP-relative: the address is disp + next rip */
	uint8_t imm_len;    /* bytes of the first immediate */
};

#define NO_REG 0xff

/* Decoder results. */
enum {
	EMU_DEC_OK = 0,
	EMU_DEC_MORE = -1,    /* the buffer ended inside the instruction */
	EMU_DEC_TOO_LONG = -2 /* more than 15 bytes: #GP */
};

/* Decodes the instruction at buf[0..avail) for code of code_bits (16, 32,
 * 64). Returns EMU_DEC_OK with *in filled, EMU_DEC_MORE if avail bytes
 * are not enough (and avail < 15), or EMU_DEC_TOO_LONG. Undefined opcodes
 * decode fine (their length as best known); execution raises #UD. */
int emu_decode_bytes(const uint8_t *buf, unsigned avail, unsigned code_bits,
		     struct emu_insn *in);

struct emu_cpu;
/* Fetches and decodes the instruction at CS:rip of c (raising #PF/#GP as
 * fetching does, #GP if longer than 15 bytes). */
void emu_decode(struct emu_cpu *c, struct emu_insn *in);
/* Code size of the current mode: 16, 32 or 64. */
unsigned emu_code_bits(const struct emu_cpu *c);

#endif
