/* Unit tests for the software CPU's instruction decoder (emu_decode.c):
 * lengths and operand fields for prefixes, REX, ModRM/SIB, 16-bit
 * addressing, RIP-relative addressing, immediates of every kind, the
 * 15-byte limit and truncated buffers. Expected values come from the
 * Intel SDM vol. 2 encoding tables. */
#include "unit.h"

#include "../../src/accel/emu/emu_cpu.h"
#include "../../src/accel/emu/emu_decode.h"

static struct emu_insn dec(unsigned bits, const uint8_t *b, unsigned n)
{
	struct emu_insn in;

	assert_int_equal(emu_decode_bytes(b, n, bits, &in), EMU_DEC_OK);
	return in;
}
#define DEC(bits, ...)                                                                      \
	({                                                                                  \
		static const uint8_t b_[] = {__VA_ARGS__};                                  \
		dec(bits, b_, sizeof(b_));                                                  \
	})

static void test_single_byte(void **s)
{
	struct emu_insn in = DEC(32, 0x90);

	assert_int_equal(in.len, 1);
	assert_int_equal(in.map, MAP_1B);
	assert_int_equal(in.op, 0x90);
	assert_int_equal(in.opsize, 4);
	assert_int_equal(in.addrsize, 4);
	assert_false(in.has_modrm);
}

static void test_rex_w_sib_rsp(void **s)
{
	/* mov rax, [rsp] */
	struct emu_insn in = DEC(64, 0x48, 0x8b, 0x04, 0x24);

	assert_int_equal(in.len, 4);
	assert_int_equal(in.rex, 0x48);
	assert_int_equal(in.opsize, 8);
	assert_int_equal(in.addrsize, 8);
	assert_int_equal(in.mod, 0);
	assert_int_equal(in.reg, R_AX);
	assert_int_equal(in.base, R_SP);
	assert_int_equal(in.index, NO_REG);
	assert_int_equal(in.seg, S_SS);
	assert_true(in.is_mem);
}

static void test_rip_relative(void **s)
{
	/* mov eax, [rip + 0x10] */
	struct emu_insn in = DEC(64, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00);

	assert_int_equal(in.len, 6);
	assert_true(in.rip_rel);
	assert_int_equal(in.base, NO_REG);
	assert_int_equal(in.disp, 0x10);

	/* The same bytes in 32-bit code: an absolute disp32. */
	in = DEC(32, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00);
	assert_int_equal(in.len, 6);
	assert_false(in.rip_rel);
	assert_int_equal(in.base, NO_REG);
	assert_int_equal(in.disp, 0x10);

	/* RIP-relative with a negative displacement and an immediate after it:
	 * cmp dword [rip - 8], 5 */
	in = DEC(64, 0x83, 0x3d, 0xf8, 0xff, 0xff, 0xff, 0x05);
	assert_int_equal(in.len, 7);
	assert_true(in.rip_rel);
	assert_int_equal(in.disp, (uint64_t)-8);
	assert_int_equal(in.imm, 5);
	assert_int_equal(in.reg, 7);
}

static void test_16bit_addressing(void **s)
{
	/* mov ax, [bp - 2] */
	struct emu_insn in = DEC(16, 0x8b, 0x46, 0xfe);

	assert_int_equal(in.len, 3);
	assert_int_equal(in.addrsize, 2);
	assert_int_equal(in.opsize, 2);
	assert_int_equal(in.base, R_BP);
	assert_int_equal(in.index, NO_REG);
	assert_int_equal(in.seg, S_SS);
	assert_int_equal(in.disp, (uint64_t)-2);

	/* mov ax, [bx + si + 0x1234] */
	in = DEC(16, 0x8b, 0x80, 0x34, 0x12);
	assert_int_equal(in.len, 4);
	assert_int_equal(in.base, R_BX);
	assert_int_equal(in.index, R_SI);
	assert_int_equal(in.seg, S_DS);
	assert_int_equal(in.disp, 0x1234);

	/* mov ax, [0x5678]: mod 0 rm 6 is a bare disp16 */
	in = DEC(16, 0x8b, 0x06, 0x78, 0x56);
	assert_int_equal(in.len, 4);
	assert_int_equal(in.base, NO_REG);
	assert_int_equal(in.disp, 0x5678);

	/* 67 in 16-bit code selects 32-bit addressing: mov ax, [eax*2 + 0x10] */
	in = DEC(16, 0x67, 0x8b, 0x04, 0x45, 0x10, 0x00, 0x00, 0x00);
	assert_int_equal(in.len, 8);
	assert_int_equal(in.addrsize, 4);
	assert_int_equal(in.index, R_AX);
	assert_int_equal(in.scale, 1);
	assert_int_equal(in.base, NO_REG);
	assert_int_equal(in.disp, 0x10);

	/* 66 in 16-bit code: 32-bit operand, imm32 */
	in = DEC(16, 0x66, 0xb8, 0x78, 0x56, 0x34, 0x12);
	assert_int_equal(in.len, 6);
	assert_int_equal(in.opsize, 4);
	assert_int_equal(in.imm, 0x12345678);
}

static void test_sib_and_immediates(void **s)
{
	/* mov dword [ebx + ecx*4 + 8], 0x12345678 */
	struct emu_insn in = DEC(32, 0xc7, 0x44, 0x8b, 0x08, 0x78, 0x56, 0x34, 0x12);

	assert_int_equal(in.len, 8);
	assert_int_equal(in.base, R_BX);
	assert_int_equal(in.index, R_CX);
	assert_int_equal(in.scale, 2);
	assert_int_equal(in.disp, 8);
	assert_int_equal(in.imm, 0x12345678);
	assert_int_equal(in.imm_len, 4);

	/* with 66: imm16 */
	in = DEC(32, 0x66, 0xc7, 0x44, 0x8b, 0x08, 0x34, 0x12);
	assert_int_equal(in.len, 7);
	assert_int_equal(in.opsize, 2);
	assert_int_equal(in.imm, 0x1234);

	/* SIB without base: mov eax, [0x1000] */
	in = DEC(32, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00);
	assert_int_equal(in.len, 7);
	assert_int_equal(in.base, NO_REG);
	assert_int_equal(in.index, NO_REG);
	assert_int_equal(in.disp, 0x1000);

	/* mov rax, imm64 */
	in = DEC(64, 0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
	assert_int_equal(in.len, 10);
	assert_int_equal(in.imm, 0x1122334455667788ULL);

	/* add rax, imm32 sign-extended */
	in = DEC(64, 0x48, 0x05, 0x00, 0x00, 0x00, 0x80);
	assert_int_equal(in.len, 6);
	assert_int_equal(in.imm, 0xffffffff80000000ULL);

	/* imul eax, ecx, imm8 */
	in = DEC(32, 0x6b, 0xc1, 0xff);
	assert_int_equal(in.len, 3);
	assert_int_equal(in.imm, (uint64_t)-1);

	/* F7 /0 (TEST) has an immediate, F7 /2 (NOT) has none */
	in = DEC(32, 0xf7, 0xc0, 0x01, 0x00, 0x00, 0x00);
	assert_int_equal(in.len, 6);
	in = DEC(32, 0xf7, 0xd0);
	assert_int_equal(in.len, 2);

	/* ENTER imm16, imm8 */
	in = DEC(32, 0xc8, 0x10, 0x00, 0x01);
	assert_int_equal(in.len, 4);
	assert_int_equal(in.imm, 0x10);
	assert_int_equal(in.imm2, 1);

	/* RET imm16 is zero-extended */
	in = DEC(32, 0xc2, 0xfe, 0xff);
	assert_int_equal(in.len, 3);
	assert_int_equal(in.imm, 0xfffe);

	/* far JMP ptr16:16 in 16-bit code */
	in = DEC(16, 0xea, 0x34, 0x12, 0x00, 0xf0);
	assert_int_equal(in.len, 5);
	assert_int_equal(in.imm, 0x1234);
	assert_int_equal(in.imm2, 0xf000);

	/* far JMP ptr16:32 in 32-bit code */
	in = DEC(32, 0xea, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00);
	assert_int_equal(in.len, 7);
	assert_int_equal(in.imm, 0x12345678);
	assert_int_equal(in.imm2, 8);
}

static void test_moffs_and_rel(void **s)
{
	/* mov eax, [moffs64] in 64-bit code; 67 makes it moffs32 */
	struct emu_insn in = DEC(64, 0xa1, 1, 2, 3, 4, 5, 6, 7, 0x88);

	assert_int_equal(in.len, 9);
	assert_int_equal(in.imm, 0x8807060504030201ULL);
	in = DEC(64, 0x67, 0xa1, 1, 2, 3, 0x84);
	assert_int_equal(in.len, 6);
	assert_int_equal(in.imm, 0x84030201); /* zero-extended */

	/* jz rel32 keeps rel32 with 66 in 64-bit code */
	in = DEC(64, 0x66, 0x0f, 0x84, 0xfc, 0xff, 0xff, 0xff);
	assert_int_equal(in.len, 7);
	assert_int_equal(in.map, MAP_0F);
	assert_int_equal(in.imm, (uint64_t)-4);
	/* but is rel16 in 32-bit code */
	in = DEC(32, 0x66, 0x0f, 0x84, 0xfc, 0xff);
	assert_int_equal(in.len, 5);
	assert_int_equal(in.imm, (uint64_t)-4);

	/* jmp rel8 */
	in = DEC(32, 0xeb, 0x80);
	assert_int_equal(in.len, 2);
	assert_int_equal(in.imm, (uint64_t)-128);
}

static void test_rex_rules(void **s)
{
	/* call r11 */
	struct emu_insn in = DEC(64, 0x41, 0xff, 0xd3);

	assert_int_equal(in.len, 3);
	assert_int_equal(in.rm, 11);
	assert_int_equal(in.reg, 2);

	/* REX before a legacy prefix is ignored: 16-bit mov ax, ax */
	in = DEC(64, 0x48, 0x66, 0x89, 0xc0);
	assert_int_equal(in.len, 4);
	assert_int_equal(in.rex, 0);
	assert_int_equal(in.opsize, 2);

	/* REX.W wins over 66 */
	in = DEC(64, 0x66, 0x48, 0x89, 0xc0);
	assert_int_equal(in.opsize, 8);

	/* [r13] needs mod 1 and is not an SS default; [r12] needs a SIB */
	in = DEC(64, 0x41, 0x8b, 0x45, 0x00);
	assert_int_equal(in.len, 4);
	assert_int_equal(in.base, 13);
	assert_int_equal(in.seg, S_DS);
	in = DEC(64, 0x41, 0x8b, 0x04, 0x24);
	assert_int_equal(in.len, 4);
	assert_int_equal(in.base, 12);
	assert_int_equal(in.seg, S_DS);

	/* REX.X extends the index, REX.R the reg: mov r9, [rax + r10*8] */
	in = DEC(64, 0x4e, 0x8b, 0x0c, 0xd0);
	assert_int_equal(in.reg, 9);
	assert_int_equal(in.index, 10);
	assert_int_equal(in.scale, 3);
	assert_int_equal(in.base, R_AX);

	/* 40-4f are INC/DEC outside 64-bit code */
	in = DEC(32, 0x48, 0x89, 0xc0);
	assert_int_equal(in.len, 1);
	assert_int_equal(in.op, 0x48);
}

static void test_segments_and_maps(void **s)
{
	/* CS override ignored in 64-bit code, FS honoured */
	struct emu_insn in = DEC(64, 0x2e, 0x8b, 0x00);

	assert_int_equal(in.seg_override, -1);
	assert_int_equal(in.seg, S_DS);
	in = DEC(64, 0x64, 0x8b, 0x00);
	assert_int_equal(in.seg, S_FS);
	in = DEC(32, 0x26, 0x8b, 0x04, 0x24);
	assert_int_equal(in.seg, S_ES); /* override beats the SS default */

	/* 0F 3A with an immediate: palignr xmm0, xmm1, 8 */
	in = DEC(64, 0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08);
	assert_int_equal(in.len, 6);
	assert_int_equal(in.map, MAP_0F3A);
	assert_int_equal(in.simd_pfx, 0x66);
	assert_int_equal(in.imm, 8);

	/* 0F 38 without: pshufb xmm0, [rax] */
	in = DEC(64, 0x66, 0x0f, 0x38, 0x00, 0x00);
	assert_int_equal(in.len, 5);
	assert_int_equal(in.map, MAP_0F38);

	/* F3 beats 66 as the mandatory prefix */
	in = DEC(64, 0x66, 0xf3, 0x0f, 0x6f, 0x00);
	assert_int_equal(in.simd_pfx, 0xf3);
	assert_int_equal(in.rep, 0xf3);

	/* group 8 bt with an immediate and a SIB */
	in = DEC(32, 0x0f, 0xba, 0x24, 0x24, 0x05);
	assert_int_equal(in.len, 5);
	assert_int_equal(in.imm, 5);
}

static void test_length_limits(void **s)
{
	uint8_t b[20];
	struct emu_insn in;

	/* 14 prefixes + NOP = 15 bytes: fine. */
	memset(b, 0x66, sizeof(b));
	b[14] = 0x90;
	assert_int_equal(emu_decode_bytes(b, 15, 32, &in), EMU_DEC_OK);
	assert_int_equal(in.len, 15);
	/* 15 prefixes + NOP = 16 bytes: #GP. */
	b[14] = 0x66;
	b[15] = 0x90;
	assert_int_equal(emu_decode_bytes(b, 16, 32, &in), EMU_DEC_TOO_LONG);
	/* An immediate that pushes it past 15 bytes. */
	memset(b, 0x66, 11);
	b[11] = 0xc7; /* mov [disp32], imm32 */
	b[12] = 0x05;               /* disp32 */
	memset(b + 13, 0, 7);
	assert_int_equal(emu_decode_bytes(b, 20, 32, &in), EMU_DEC_TOO_LONG);
	/* Truncated: mov eax, imm32 with only 3 bytes */
	static const uint8_t t[] = {0xb8, 0x01, 0x02};
	assert_int_equal(emu_decode_bytes(t, 3, 32, &in), EMU_DEC_MORE);
	assert_int_equal(emu_decode_bytes(t, 0, 32, &in), EMU_DEC_MORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_byte),
		cmocka_unit_test(test_rex_w_sib_rsp),
		cmocka_unit_test(test_rip_relative),
		cmocka_unit_test(test_16bit_addressing),
		cmocka_unit_test(test_sib_and_immediates),
		cmocka_unit_test(test_moffs_and_rel),
		cmocka_unit_test(test_rex_rules),
		cmocka_unit_test(test_segments_and_maps),
		cmocka_unit_test(test_length_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
