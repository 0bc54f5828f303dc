/* SSE/SSE2/MMX data movement of the software CPU: MOVUPS/MOVAPS/MOVUPD/
 * MOVAPD/MOVDQA/MOVDQU, MOVSS/MOVSD, MOVLPS/MOVHPS/MOVLPD/MOVHPD/MOVLHPS/
 * MOVHLPS, MOVD/MOVQ in all their forms (MMX, XMM, GPR, MOVQ2DQ/MOVDQ2Q),
 * the non-temporal stores (MOVNTPS/PD/DQ/Q), MASKMOVQ/MASKMOVDQU and
 * MOVMSKPS/PD. Every memory access happens before any register changes. */
#include "emu_exec_sse.h"

static uint8_t *xreg(struct emu_cpu *c, unsigned r)
{
	return c->fpu.xmm[r & 15];
}

/* 0F 10/11: MOVUPS/MOVUPD/MOVSS/MOVSD; 0F 28/29: MOVAPS/MOVAPD. */
static bool mov_ps(struct emu_cpu *c, const struct emu_insn *in, bool store, bool aligned)
{
	union sse_vec v;
	unsigned size = 16;

	if (in->simd_pfx == 0xf3)
		size = 4;
	else if (in->simd_pfx == 0xf2)
		size = 8;
	if (aligned && size != 16)
		return false;
	sse_check_xmm(c);
	if (!store) {
		sse_load_rm(c, in, &v, size, aligned);
		if (in->is_mem || size == 16)
			memcpy(xreg(c, in->reg), v.b, 16); /* MOVSS/MOVSD m: upper zeroed */
		else
			memcpy(xreg(c, in->reg), v.b, size); /* reg-reg scalar: merge */
		return true;
	}
	memcpy(v.b, xreg(c, in->reg), 16);
	if (in->is_mem)
		sse_store_mem(c, in, &v, size, aligned);
	else
		memcpy(xreg(c, in->rm), v.b, size);
	return true;
}

/* 0F 12/13/16/17: the 64-bit halves. */
static bool mov_half(struct emu_cpu *c, const struct emu_insn *in)
{
	bool high = in->op >= 0x16, store = in->op & 1;
	union sse_vec v;
	uint8_t *x = xreg(c, in->reg);

	if (in->simd_pfx != 0 && in->simd_pfx != 0x66)
		return false; /* MOVSLDUP/MOVSHDUP/MOVDDUP: SSE3 */
	if (!in->is_mem && (store || in->simd_pfx == 0x66))
		return false;
	sse_check_xmm(c);
	if (store) {
		memcpy(v.b, x + (high ? 8 : 0), 8);
		sse_store_mem(c, in, &v, 8, false);
		return true;
	}
	if (in->is_mem) {
		sse_load_rm(c, in, &v, 8, false);
	} else {
		/* MOVHLPS takes the source's high half, MOVLHPS its low half. */
		memcpy(v.b, xreg(c, in->rm) + (high ? 0 : 8), 8);
	}
	memcpy(x + (high ? 8 : 0), v.b, 8);
	return true;
}

/* 0F 6E / 7E: MOVD/MOVQ between GPR or memory and MMX/XMM; F3 0F 7E MOVQ xmm, xmm/m64. */
static bool mov_d(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned size = (in->rex & 8) ? 8 : 4;
	union sse_vec v;

	if (in->op == 0x7e && in->simd_pfx == 0xf3) {
		sse_check_xmm(c);
		sse_load_rm(c, in, &v, 8, false);
		memcpy(xreg(c, in->reg), v.b, 16);
		return true;
	}
	if (in->simd_pfx == 0x66) {
		sse_check_xmm(c);
		if (in->op == 0x6e) {
			memset(&v, 0, sizeof(v));
			v.q[0] = rm_get(c, in, size);
			memcpy(xreg(c, in->reg), v.b, 16);
		} else {
			memcpy(v.b, xreg(c, in->reg), 8);
			rm_set(c, in, size, v.q[0] & size_mask(size));
		}
		return true;
	}
	if (in->simd_pfx)
		return false;
	sse_check_mmx(c);
	if (in->op == 0x6e) {
		uint64_t val = rm_get(c, in, size);

		mmx_enter(c);
		mmx_set(c, in->reg, val);
	} else {
		rm_set(c, in, size, mmx_get(c, in->reg) & size_mask(size));
		mmx_enter(c);
	}
	return true;
}

/* 0F 6F / 7F: MOVQ mm, MOVDQA, MOVDQU. */
static bool mov_q_dq(struct emu_cpu *c, const struct emu_insn *in)
{
	bool store = in->op == 0x7f;
	union sse_vec v;

	if (in->simd_pfx == 0) {
		sse_check_mmx(c);
		if (!store) {
			mmx_load_rm(c, in, &v, 8);
			mmx_enter(c);
			mmx_set(c, in->reg, v.q[0]);
		} else if (in->is_mem) {
			v.q[0] = mmx_get(c, in->reg);
			sse_store_mem(c, in, &v, 8, false);
			mmx_enter(c);
		} else {
			mmx_enter(c);
			mmx_set(c, in->rm, mmx_get(c, in->reg));
		}
		return true;
	}
	if (in->simd_pfx == 0xf2)
		return false;
	sse_check_xmm(c);
	bool aligned = in->simd_pfx == 0x66;

	if (!store) {
		sse_load_rm(c, in, &v, 16, aligned);
		memcpy(xreg(c, in->reg), v.b, 16);
	} else {
		memcpy(v.b, xreg(c, in->reg), 16);
		if (in->is_mem)
			sse_store_mem(c, in, &v, 16, aligned);
		else
			memcpy(xreg(c, in->rm), v.b, 16);
	}
	return true;
}

/* 0F D6: 66 MOVQ xmm/m64, xmm; F3 MOVQ2DQ xmm, mm; F2 MOVDQ2Q mm, xmm. */
static bool mov_d6(struct emu_cpu *c, const struct emu_insn *in)
{
	union sse_vec v;

	memset(&v, 0, sizeof(v));
	switch (in->simd_pfx) {
	case 0x66:
		sse_check_xmm(c);
		memcpy(v.b, xreg(c, in->reg), 8);
		if (in->is_mem)
			sse_store_mem(c, in, &v, 8, false);
		else
			memcpy(xreg(c, in->rm), v.b, 16);
		return true;
	case 0xf3:
		if (in->is_mem)
			return false;
		sse_check_xmm(c);
		sse_check_mmx(c);
		v.q[0] = mmx_get(c, in->rm);
		mmx_enter(c);
		memcpy(xreg(c, in->reg), v.b, 16);
		return true;
	case 0xf2:
		if (in->is_mem)
			return false;
		sse_check_xmm(c);
		sse_check_mmx(c);
		memcpy(v.b, xreg(c, in->rm), 8);
		mmx_enter(c);
		mmx_set(c, in->reg, v.q[0]);
		return true;
	}
	return false;
}

/* 0F 2B, 0F E7: non-temporal stores (memory only). */
static bool mov_nt(struct emu_cpu *c, const struct emu_insn *in)
{
	union sse_vec v;

	if (!in->is_mem)
		return false;
	if (in->op == 0xe7 && in->simd_pfx == 0) { /* MOVNTQ m64, mm */
		sse_check_mmx(c);
		v.q[0] = mmx_get(c, in->reg);
		sse_store_mem(c, in, &v, 8, false);
		mmx_enter(c);
		return true;
	}
	if (in->op == 0xe7 ? in->simd_pfx != 0x66 : (in->simd_pfx != 0 && in->simd_pfx != 0x66))
		return false;
	sse_check_xmm(c);
	memcpy(v.b, xreg(c, in->reg), 16);
	sse_store_mem(c, in, &v, 16, true);
	return true;
}

/* 0F F7: MASKMOVQ mm1, mm2 / 66: MASKMOVDQU xmm1, xmm2: the bytes of the
 * first operand whose mask byte (second operand) has bit 7 set go to
 * DS:rDI. Done as one read-merge-write of the span between the first and
 * the last selected byte, so a fault leaves memory unchanged. */
static bool maskmov(struct emu_cpu *c, const struct emu_insn *in)
{
	union sse_vec data, mask, mem;
	unsigned n, first = 16, last = 0;
	uint64_t addr = c->gpr[R_DI] & addr_mask(in->addrsize);

	if (in->is_mem || (in->simd_pfx != 0 && in->simd_pfx != 0x66))
		return false;
	memset(&data, 0, sizeof(data));
	memset(&mask, 0, sizeof(mask));
	if (in->simd_pfx == 0x66) {
		sse_check_xmm(c);
		n = 16;
		memcpy(data.b, xreg(c, in->reg), 16);
		memcpy(mask.b, xreg(c, in->rm), 16);
	} else {
		sse_check_mmx(c);
		n = 8;
		data.q[0] = mmx_get(c, in->reg);
		mask.q[0] = mmx_get(c, in->rm);
	}
	for (unsigned i = 0; i < n; i++)
		if (mask.b[i] & 0x80) {
			if (first == 16)
				first = i;
			last = i;
		}
	if (first < 16) {
		unsigned len = last - first + 1;
		uint64_t at = (addr + first) & addr_mask(in->addrsize);

		emu_read_bytes(c, in->seg, at, mem.b, len);
		for (unsigned i = first; i <= last; i++)
			if (mask.b[i] & 0x80)
				mem.b[i - first] = data.b[i];
		emu_write_bytes(c, in->seg, at, mem.b, len);
	}
	if (n == 8)
		mmx_enter(c);
	return true;
}

/* 0F 50: MOVMSKPS / 66: MOVMSKPD r32, xmm: the sign bits. */
static bool movmsk(struct emu_cpu *c, const struct emu_insn *in)
{
	union sse_vec v;
	uint32_t m = 0;

	if (in->is_mem || (in->simd_pfx != 0 && in->simd_pfx != 0x66))
		return false;
	sse_check_xmm(c);
	memcpy(v.b, xreg(c, in->rm), 16);
	if (in->simd_pfx == 0x66) {
		for (unsigned i = 0; i < 2; i++)
			m |= (uint32_t)(v.q[i] >> 63) << i;
	} else {
		for (unsigned i = 0; i < 4; i++)
			m |= (v.d[i] >> 31) << i;
	}
	reg_set(c, in, in->reg, 4, m);
	return true;
}

bool sse_exec_move(struct emu_cpu *c, const struct emu_insn *in)
{
	switch (in->op) {
	case 0x10: case 0x11:
		return mov_ps(c, in, in->op & 1, false);
	case 0x28: case 0x29:
		if (in->simd_pfx != 0 && in->simd_pfx != 0x66)
			return false;
		return mov_ps(c, in, in->op & 1, true);
	case 0x12: case 0x13: case 0x16: case 0x17:
		return mov_half(c, in);
	case 0x2b: case 0xe7:
		return mov_nt(c, in);
	case 0x50:
		return movmsk(c, in);
	case 0x6e: case 0x7e:
		return mov_d(c, in);
	case 0x6f: case 0x7f:
		return mov_q_dq(c, in);
	case 0xd6:
		return mov_d6(c, in);
	case 0xf7:
		return maskmov(c, in);
	}
	return false;
}
