/* String instructions of the software CPU: MOVS, CMPS, STOS, LODS, SCAS,
 * INS, OUTS, with REP/REPE/REPNE, the address size choosing rSI/rDI/rCX
 * and DF the direction. A long REP runs in slices: after
 * EMU_REP_SLICE iterations the instruction restarts (rip unchanged) so
 * interrupts are taken between slices, as on hardware. Registers are
 * updated after each iteration, so a fault leaves them consistent. */
#include <string.h>

#include "emu_exec.h"

#define EMU_REP_SLICE 4096

/* Updates an index/count register at the address size. */
static void set_areg(struct emu_cpu *c, unsigned r, unsigned as, uint64_t v)
{
	if (as == 2)
		c->gpr[r] = (c->gpr[r] & ~0xffffULL) | (v & 0xffff);
	else
		c->gpr[r] = v & addr_mask(as);
}

/* REP MOVS / REP STOS forward in 64-bit code with flat segments, the
 * kernel's memcpy/memset/clear_page: whole runs within a page of RAM at a
 * time instead of an element at a time. Each run is checked and
 * translated once (exactly what its first element's access would raise,
 * as the run shares that element's page and a flat segment has no
 * limit), copied, and the registers advanced past it. Stops (leaving the
 * rest to the element loop) at a page-crossing element, MMIO, an overlap
 * where element order matters (destination just above the source), or
 * after EMU_REP_SLICE elements in all. Returns the elements done. */
static unsigned rep_bulk(struct emu_cpu *c, const struct emu_insn *in, unsigned size,
			 uint64_t *count)
{
	bool movs = in->op <= 0xa5;
	unsigned done = 0;

	if (c->mode != MODE_LONG64 || in->addrsize != 8 || (c->rflags & FL_DF) ||
	    (movs && (in->seg == S_FS || in->seg == S_GS)))
		return 0;
	while (*count && done < EMU_REP_SLICE) {
		uint64_t si = c->gpr[R_SI], di = c->gpr[R_DI];
		uint64_t room = 4096 - (di & 0xfff), n;

		if (movs && 4096 - (si & 0xfff) < room)
			room = 4096 - (si & 0xfff);
		n = room / size;
		if (n > *count)
			n = *count;
		if (n > EMU_REP_SLICE - done)
			n = EMU_REP_SLICE - done;
		if (n == 0)
			break;
		unsigned len = (unsigned)(n * size);
		const uint8_t *src = NULL;
		if (movs) {
			src = emu_read_ptr(c, in->seg, si, len);
			if (!src)
				break;
		}
		uint8_t *dst = emu_rmw_ptr(c, S_ES, di, len);
		if (!dst)
			break;
		if (movs) {
			if (dst > src && dst < src + len)
				break; /* each element reads what the previous wrote */
			memmove(dst, src, len);
			c->gpr[R_SI] = si + len;
		} else if (size == 1 || (c->gpr[R_AX] & size_mask(size)) ==
					     (0x0101010101010101ULL & size_mask(size)) * (c->gpr[R_AX] & 0xff)) {
			/* one byte repeated (clear_page's zeroes): a memset */
			memset(dst, (int)(c->gpr[R_AX] & 0xff), len);
		} else {
			for (unsigned i = 0; i < len; i += size)
				memcpy(dst + i, &c->gpr[R_AX], size);
		}
		c->gpr[R_DI] = di + len;
		*count -= n;
		c->gpr[R_CX] = *count;
		done += (unsigned)n;
	}
	return done;
}

bool emu_exec_string(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned op = in->op;
	unsigned size = (op & 1) ? in->opsize : 1;
	unsigned as = in->addrsize;
	uint64_t am = addr_mask(as);
	int64_t delta = (c->rflags & FL_DF) ? -(int64_t)size : (int64_t)size;
	bool rep = in->rep != 0;
	bool cmp = (op >= 0xa6 && op <= 0xa7) || op >= 0xae;
	uint64_t count = c->gpr[R_CX] & am;
	unsigned done = 0;
	uint16_t port = (uint16_t)c->gpr[R_DX];

	if (op >= 0x6c && op <= 0x6f) {
		size = (op & 1) ? (in->opsize == 2 ? 2 : 4) : 1;
		delta = (c->rflags & FL_DF) ? -(int64_t)size : (int64_t)size;
		emu_io_check(c, port, size);
	}
	if (rep && count == 0)
		return true;
	if (rep && (op == 0xa4 || op == 0xa5 || op == 0xaa || op == 0xab)) {
		done = rep_bulk(c, in, size, &count);
		if (count == 0)
			return true;
		if (done >= EMU_REP_SLICE) {
			c->rip = c->insn_rip; /* continue in the next step */
			return true;
		}
	}

	for (;;) {
		uint64_t si = c->gpr[R_SI] & am, di = c->gpr[R_DI] & am;
		uint64_t v, fl;

		switch (op) {
		case 0x6c: case 0x6d: /* INS */
			v = emu_port_in(c, port, size);
			emu_write(c, S_ES, di, size, v);
			set_areg(c, R_DI, as, di + delta);
			break;
		case 0x6e: case 0x6f: /* OUTS */
			v = emu_read(c, in->seg, si, size);
			emu_port_out(c, port, size, (uint32_t)v);
			set_areg(c, R_SI, as, si + delta);
			break;
		case 0xa4: case 0xa5: /* MOVS */
			v = emu_read(c, in->seg, si, size);
			emu_write(c, S_ES, di, size, v);
			set_areg(c, R_SI, as, si + delta);
			set_areg(c, R_DI, as, di + delta);
			break;
		case 0xa6: case 0xa7: /* CMPS: [rSI] - [rDI] */
			v = emu_read(c, in->seg, si, size);
			fl = c->rflags;
			alu_binop(7, size, v, emu_read(c, S_ES, di, size), &fl);
			c->rflags = fl;
			set_areg(c, R_SI, as, si + delta);
			set_areg(c, R_DI, as, di + delta);
			break;
		case 0xaa: case 0xab: /* STOS */
			emu_write(c, S_ES, di, size, c->gpr[R_AX]);
			set_areg(c, R_DI, as, di + delta);
			break;
		case 0xac: case 0xad: /* LODS */
			v = emu_read(c, in->seg, si, size);
			reg_set(c, in, R_AX, size, v);
			set_areg(c, R_SI, as, si + delta);
			break;
		default: /* SCAS: rAX - [rDI] */
			fl = c->rflags;
			alu_binop(7, size, c->gpr[R_AX], emu_read(c, S_ES, di, size), &fl);
			c->rflags = fl;
			set_areg(c, R_DI, as, di + delta);
			break;
		}
		if (!rep)
			return true;
		count = (count - 1) & am;
		set_areg(c, R_CX, as, count);
		if (count == 0)
			return true;
		if (cmp) {
			bool zf = c->rflags & FL_ZF;

			if (in->rep == 0xf3 ? !zf : zf)
				return true;
		}
		if (++done >= EMU_REP_SLICE) {
			c->rip = c->insn_rip; /* continue in the next step */
			return true;
		}
	}
}
