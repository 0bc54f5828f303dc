/* A small x86-64 instruction encoder for the block translator (emu_jit.c):
 * just the forms it emits. Operands are host registers (H_*) or memory at
 * [base + disp32]. Encodings from the Intel SDM, volume 2 (REX, ModRM,
 * SIB, opcode tables). */
#ifndef VSLICE_EMU_JIT_X86_H
#define VSLICE_EMU_JIT_X86_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum { H_AX, H_CX, H_DX, H_BX, H_SP, H_BP, H_SI, H_DI,
       H_R8, H_R9, H_R10, H_R11, H_R12, H_R13, H_R14, H_R15 };

/* Where code is being written; overflow is set (and nothing more written)
 * once the end is reached. */
struct jasm {
	uint8_t *p, *end;
	bool overflow;
};

static inline void j8(struct jasm *a, unsigned v)
{
	if (a->p < a->end)
		*a->p++ = (uint8_t)v;
	else
		a->overflow = true;
}

static inline void j32(struct jasm *a, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		j8(a, (v >> (8 * i)) & 0xff);
}

static inline void j64(struct jasm *a, uint64_t v)
{
	j32(a, (uint32_t)v);
	j32(a, (uint32_t)(v >> 32));
}

/* Operand-size prefix and REX for an instruction of the given operand size
 * (1, 2, 4, 8) with ModRM reg field reg and r/m register or base rm.
 * At size 1, registers 4-7 get a REX so that they mean SPL..DIL, never
 * AH..BH (harmless for a base register). */
static inline void j_prefix(struct jasm *a, unsigned size, unsigned reg, unsigned rm)
{
	unsigned rex = 0;

	if (size == 2)
		j8(a, 0x66);
	if (size == 8)
		rex |= 8;
	if (reg & 8)
		rex |= 4;
	if (rm & 8)
		rex |= 1;
	if (rex || (size == 1 && ((reg >= 4 && reg < 8) || (rm >= 4 && rm < 8))))
		j8(a, 0x40 | rex); /* a REX makes 4-7 SPL..DIL, not AH..BH */
}

/* ModRM for [base + disp32] (SIB for RSP/R12 bases). */
static inline void j_modrm_mem(struct jasm *a, unsigned reg, unsigned base, int32_t disp)
{
	j8(a, 0x80 | ((reg & 7) << 3) | (base & 7));
	if ((base & 7) == H_SP)
		j8(a, 0x24);
	j32(a, (uint32_t)disp);
}

static inline void j_modrm_reg(struct jasm *a, unsigned reg, unsigned rm)
{
	j8(a, 0xc0 | ((reg & 7) << 3) | (rm & 7));
}

/* opcode (1-3 bytes, given as a string) reg, [base + disp]. */
static inline void j_op_mem(struct jasm *a, unsigned size, const char *opc, unsigned n,
			    unsigned reg, unsigned base, int32_t disp)
{
	j_prefix(a, size, reg, base);
	for (unsigned i = 0; i < n; i++)
		j8(a, (uint8_t)opc[i]);
	j_modrm_mem(a, reg, base, disp);
}

/* opcode (1-3 bytes) reg, [base + index + disp] (index not RSP). */
static inline void j_op_sib(struct jasm *a, unsigned size, const char *opc, unsigned n,
			    unsigned reg, unsigned base, unsigned index, int32_t disp)
{
	unsigned rex = (size == 8 ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((index & 8) ? 2 : 0) |
		       ((base & 8) ? 1 : 0);

	if (size == 2)
		j8(a, 0x66);
	if (rex)
		j8(a, 0x40 | rex);
	for (unsigned i = 0; i < n; i++)
		j8(a, (uint8_t)opc[i]);
	j8(a, 0x84 | ((reg & 7) << 3));
	j8(a, ((index & 7) << 3) | (base & 7));
	j32(a, (uint32_t)disp);
}

/* lea reg, [base + index * 2^scale + disp] at operand size 4 or 8;
 * base and index may be NO_HREG (none; index not RSP). */
#define NO_HREG 0xff
static inline void j_lea_sib(struct jasm *a, unsigned size, unsigned reg, unsigned base,
			     unsigned index, unsigned scale, int32_t disp)
{
	unsigned idx = index == NO_HREG ? 4 : index, b = base == NO_HREG ? 5 : base;
	unsigned rex = (size == 8 ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((idx & 8) ? 2 : 0) |
		       (base != NO_HREG && (base & 8) ? 1 : 0);

	if (rex)
		j8(a, 0x40 | rex);
	j8(a, 0x8d);
	j8(a, (base == NO_HREG ? 0x04 : 0x84) | ((reg & 7) << 3));
	j8(a, (scale << 6) | ((idx & 7) << 3) | (b & 7));
	j32(a, (uint32_t)disp);
}

/* MOVZX/MOVSX reg (size 4 or 8), rm8: rm 4-7 get a REX so that they
 * mean SPL..DIL, never AH..BH. */
static inline void j_movx8_reg(struct jasm *a, unsigned size, bool sx, unsigned reg, unsigned rm)
{
	unsigned rex = (size == 8 ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0);

	if (rex || (rm >= 4 && rm < 8))
		j8(a, 0x40 | rex);
	j8(a, 0x0f);
	j8(a, sx ? 0xbe : 0xb6);
	j_modrm_reg(a, reg, rm);
}

/* opcode reg, rm (register form). */
static inline void j_op_reg(struct jasm *a, unsigned size, const char *opc, unsigned n,
			    unsigned reg, unsigned rm)
{
	j_prefix(a, size, reg, rm);
	for (unsigned i = 0; i < n; i++)
		j8(a, (uint8_t)opc[i]);
	j_modrm_reg(a, reg, rm);
}

/* mov reg, [base + disp] of size bytes (a 4-byte load zeroes the upper
 * half of the register; 1- and 2-byte loads leave it). */
static inline void j_load(struct jasm *a, unsigned size, unsigned reg, unsigned base, int32_t disp)
{
	j_op_mem(a, size, size == 1 ? "\x8a" : "\x8b", 1, reg, base, disp);
}

/* mov [base + disp], reg of size bytes. */
static inline void j_store(struct jasm *a, unsigned size, unsigned reg, unsigned base, int32_t disp)
{
	j_op_mem(a, size, size == 1 ? "\x88" : "\x89", 1, reg, base, disp);
}

/* mov dst, src (64-bit). */
static inline void j_mov_rr(struct jasm *a, unsigned dst, unsigned src)
{
	j_op_reg(a, 8, "\x89", 1, src, dst);
}

/* mov reg, imm: the shortest exact form. */
static inline void j_mov_imm(struct jasm *a, unsigned reg, uint64_t v)
{
	if (v <= 0xffffffffu) { /* mov r32, imm32 zero-extends */
		if (reg & 8)
			j8(a, 0x41);
		j8(a, 0xb8 + (reg & 7));
		j32(a, (uint32_t)v);
	} else if ((int64_t)v == (int32_t)v) { /* mov r/m64, simm32 */
		j_prefix(a, 8, 0, reg);
		j8(a, 0xc7);
		j_modrm_reg(a, 0, reg);
		j32(a, (uint32_t)v);
	} else {
		j8(a, 0x48 | ((reg & 8) ? 1 : 0));
		j8(a, 0xb8 + (reg & 7));
		j64(a, v);
	}
}

/* lea reg, [base + disp] (64-bit). */
static inline void j_lea(struct jasm *a, unsigned reg, unsigned base, int32_t disp)
{
	j_op_mem(a, 8, "\x8d", 1, reg, base, disp);
}

/* Group-1 ALU op (0 ADD, 1 OR, 2 ADC, 3 SBB, 4 AND, 5 SUB, 6 XOR, 7 CMP)
 * dst, src on registers of the given size. */
static inline void j_alu_rr(struct jasm *a, unsigned size, unsigned op, unsigned dst, unsigned src)
{
	char opc = (char)(op * 8 + (size == 1 ? 0 : 1));

	j_op_reg(a, size, &opc, 1, src, dst);
}

/* Group-1 ALU op [base + disp] (64-bit), simm32. */
static inline void j_alu_mem_imm(struct jasm *a, unsigned op, unsigned base, int32_t disp,
				 int32_t imm)
{
	j_op_mem(a, 8, "\x81", 1, op, base, disp);
	j32(a, (uint32_t)imm);
}

/* An immediate of an instruction of the given operand size: imm8,
 * imm16, else imm32 (sign-extended at size 8). */
static inline void j_imm(struct jasm *a, unsigned size, int32_t imm)
{
	if (size == 1) {
		j8(a, (uint8_t)imm);
	} else if (size == 2) {
		j8(a, imm & 0xff);
		j8(a, (imm >> 8) & 0xff);
	} else {
		j32(a, (uint32_t)imm);
	}
}

/* Group-1 ALU op reg (size), simm32 (size 1: imm8). */
static inline void j_alu_ri(struct jasm *a, unsigned size, unsigned op, unsigned reg, int32_t imm)
{
	j_op_reg(a, size, size == 1 ? "\x80" : "\x81", 1, op, reg);
	j_imm(a, size, imm);
}

/* test reg8, imm8. */
static inline void j_test8_imm(struct jasm *a, unsigned reg, uint8_t imm)
{
	j_op_reg(a, 1, "\xf6", 1, 0, reg);
	j8(a, imm);
}

/* test reg32, imm32. */
static inline void j_test32_imm(struct jasm *a, unsigned reg, uint32_t imm)
{
	j_op_reg(a, 4, "\xf7", 1, 0, reg);
	j32(a, imm);
}

/* cmp byte [base + disp], imm8. */
static inline void j_cmp8_mem_imm(struct jasm *a, unsigned base, int32_t disp, uint8_t imm)
{
	j_op_mem(a, 1, "\x80", 1, 7, base, disp);
	j8(a, imm);
}

/* Group-2 shift/rotate (0 ROL 1 ROR 2 RCL 3 RCR 4 SHL 5 SHR 7 SAR) reg by
 * imm8, or by CL if by_cl. */
static inline void j_shift(struct jasm *a, unsigned size, unsigned op, unsigned reg, bool by_cl,
			   uint8_t imm)
{
	if (by_cl) {
		j_op_reg(a, size, size == 1 ? "\xd2" : "\xd3", 1, op, reg);
		return;
	}
	j_op_reg(a, size, size == 1 ? "\xc0" : "\xc1", 1, op, reg);
	j8(a, imm);
}

/* Group-3 unary op (2 NOT, 3 NEG) / group-4/5 (0 INC, 1 DEC) on reg. */
static inline void j_unary(struct jasm *a, unsigned size, bool incdec, unsigned op, unsigned reg)
{
	if (incdec)
		j_op_reg(a, size, size == 1 ? "\xfe" : "\xff", 1, op, reg);
	else
		j_op_reg(a, size, size == 1 ? "\xf6" : "\xf7", 1, op, reg);
}

/* setcc reg8 (cc 0-15). */
static inline void j_setcc(struct jasm *a, unsigned cc, unsigned reg)
{
	char opc[2] = { 0x0f, (char)(0x90 + cc) };

	j_op_reg(a, 4, opc, 2, 0, reg);
}

/* cmovcc dst, src (size 2, 4 or 8). */
static inline void j_cmovcc(struct jasm *a, unsigned size, unsigned cc, unsigned dst, unsigned src)
{
	char opc[2] = { 0x0f, (char)(0x40 + cc) };

	j_op_reg(a, size, opc, 2, dst, src);
}

/* A 32-bit relative jump or jcc whose target is patched later: returns
 * where the displacement is. cc < 0: jmp. */
static inline uint8_t *j_jump(struct jasm *a, int cc)
{
	if (cc < 0) {
		j8(a, 0xe9);
	} else {
		j8(a, 0x0f);
		j8(a, 0x80 + cc);
	}
	uint8_t *at = a->p;
	j32(a, 0);
	return a->overflow ? NULL : at;
}

/* Points the jump whose displacement is at `at` to `target`. */
static inline void j_patch(uint8_t *at, const uint8_t *target)
{
	if (!at)
		return;
	int32_t rel = (int32_t)(target - (at + 4));
	memcpy(at, &rel, 4);
}

/* call through rax to an absolute address. */
static inline void j_call(struct jasm *a, const void *fn)
{
	j_mov_imm(a, H_AX, (uint64_t)(uintptr_t)fn);
	j8(a, 0xff);
	j8(a, 0xd0);
}

#endif
