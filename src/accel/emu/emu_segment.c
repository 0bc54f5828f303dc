/* Software CPU: segment descriptors. Descriptor fetch from the GDT/LDT,
 * segment register loads with the protection checks of MOV/POP Sreg,
 * LGDT/LIDT/LLDT/LTR, and far JMP/CALL/RET (code segments only: call
 * gates and task switches are not supported). */
#include "emu_sys.h"
#include "vslice/x86_regs.h"

#define DESC_ACCESSED (1ULL << 40)
#define DESC_TSS_BUSY (1ULL << 41)

static bool prot_mode(const struct emu_cpu *c)
{
	return (c->cr0 & X86_CR0_PE) && !(c->rflags & FL_VM);
}

static void desc_read(struct emu_cpu *c, uint16_t sel, struct emu_desc *d, unsigned bytes, int exc,
		      uint32_t ext)
{
	uint64_t base;
	uint32_t limit;
	uint32_t err = (sel & 0xfffc) | ext;

	if (sel & 4) {
		if ((c->ldtr.sel & 0xfffc) == 0 || !SEG_ATTR_P(c->ldtr.attr))
			emu_raise(c, exc, err);
		base = c->ldtr.base;
		limit = c->ldtr.limit;
	} else {
		base = c->gdtr.base;
		limit = c->gdtr.limit;
	}
	uint32_t idx = sel & 0xfff8u;
	if ((uint64_t)idx + bytes - 1 > limit)
		emu_raise(c, exc, err);
	d->addr = base + idx;
	d->lo = emu_read_linear(c, d->addr, 8, 0);
	d->hi = bytes > 8 ? emu_read_linear(c, d->addr + 8, 8, 0) : 0;
}

void emu_desc_fetch(struct emu_cpu *c, uint16_t sel, struct emu_desc *d, int exc, uint32_t ext)
{
	desc_read(c, sel, d, 8, exc, ext);
}

void emu_desc_to_seg(const struct emu_desc *d, uint16_t sel, struct emu_seg *s)
{
	uint64_t lo = d->lo;
	s->sel = sel;
	s->base = ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24);
	uint32_t limit = (uint32_t)((lo & 0xffff) | ((lo >> 32) & 0xf0000));
	if (lo & (1ULL << 55))
		limit = (limit << 12) | 0xfff;
	s->limit = limit;
	s->attr = (uint16_t)(((lo >> 40) & 0xff) | (((lo >> 52) & 0xf) << 8));
}

void emu_desc_set_accessed(struct emu_cpu *c, struct emu_desc *d)
{
	if (d->lo & DESC_ACCESSED)
		return;
	/* The byte holding the type (bit 40 is bit 0 of byte 5). */
	uint64_t lin = d->addr + 5;
	if (!(c->efer & X86_EFER_LMA))
		lin &= 0xffffffffULL;
	struct emu_xlate x;
	emu_translate_or_fault(c, lin, ACC_WRITE, false, &x);
	if (x.host)
		__atomic_fetch_or(x.host, 1, __ATOMIC_ACQ_REL);
	else
		emu_write_linear(c, lin, 1, (uint8_t)(d->lo >> 40) | 1, 0);
	d->lo |= DESC_ACCESSED;
}

void emu_seg_flat_code(struct emu_seg *s, uint16_t sel, int dpl, bool long_mode)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	/* execute/read accessed, S, P, G, and L or D. */
	s->attr = 0xb | 0x10 | (dpl << 5) | 0x80 | (1 << 11) | (long_mode ? 1 << 9 : 1 << 10);
}

void emu_seg_flat_data(struct emu_seg *s, uint16_t sel, int dpl)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->attr = 0x3 | 0x10 | (dpl << 5) | 0x80 | (1 << 10) | (1 << 11);
}

void emu_seg_load_real(struct emu_cpu *c, int seg, uint16_t sel)
{
	struct emu_seg *s = &c->seg[seg];
	s->sel = sel;
	s->base = (uint64_t)sel << 4;
	if (c->rflags & FL_VM) {
		/* Virtual-8086: everything a 64 KiB read/write segment at DPL 3. */
		s->limit = 0xffff;
		s->attr = seg == S_CS ? 0xfb : 0xf3;
	}
	/* Real mode keeps the hidden limit and attributes (big real mode). */
}

void emu_seg_null_inaccessible(struct emu_cpu *c)
{
	static const int segs[] = {S_ES, S_DS, S_FS, S_GS};
	for (unsigned i = 0; i < 4; i++) {
		struct emu_seg *s = &c->seg[segs[i]];
		unsigned type = SEG_ATTR_TYPE(s->attr);
		bool conforming_code = (type & 0xc) == 0xc;
		if (!SEG_ATTR_P(s->attr) || conforming_code)
			continue;
		if ((int)SEG_ATTR_DPL(s->attr) < c->cpl) {
			s->sel = 0;
			s->attr = 0;
			s->base = 0;
			s->limit = 0;
		}
	}
}

void emu_load_seg(struct emu_cpu *c, int seg, uint16_t sel)
{
	struct emu_seg *s = &c->seg[seg];
	if (!prot_mode(c)) {
		emu_seg_load_real(c, seg, sel);
		return;
	}
	int cpl = c->cpl, rpl = sel & 3;
	uint32_t err = sel & 0xfffc;
	if ((sel & 0xfffc) == 0) {
		if (seg == S_SS) {
			/* A null SS is allowed in 64-bit mode below CPL 3. */
			if (c->mode != MODE_LONG64 || cpl == 3 || rpl != cpl)
				emu_raise(c, EXC_GP, 0);
			s->sel = sel;
			s->base = 0;
			s->limit = 0;
			s->attr = (uint16_t)(cpl << 5); /* unusable, DPL keeps the CPL */
			return;
		}
		/* Null data segment: usable only to fault on use (base cleared,
		 * as Intel processors do, FS/GS included). */
		s->sel = sel;
		s->attr = 0;
		s->base = 0;
		s->limit = 0;
		return;
	}
	struct emu_desc d;
	emu_desc_fetch(c, sel, &d, EXC_GP, 0);
	struct emu_seg n;
	emu_desc_to_seg(&d, sel, &n);
	unsigned type = SEG_ATTR_TYPE(n.attr), dpl = SEG_ATTR_DPL(n.attr);
	bool code = type & 8;
	if (seg == S_SS) {
		if (rpl != cpl || (int)dpl != cpl || !SEG_ATTR_S(n.attr) || code || !(type & 2))
			emu_raise(c, EXC_GP, err);
		if (!SEG_ATTR_P(n.attr))
			emu_raise(c, EXC_SS, err);
	} else {
		if (!SEG_ATTR_S(n.attr) || (code && !(type & 2)))
			emu_raise(c, EXC_GP, err);
		bool conforming = code && (type & 4);
		if (!conforming && (rpl > (int)dpl || cpl > (int)dpl))
			emu_raise(c, EXC_GP, err);
		if (!SEG_ATTR_P(n.attr))
			emu_raise(c, EXC_NP, err);
	}
	emu_desc_set_accessed(c, &d);
	n.attr |= 1; /* accessed */
	*s = n;
}

/* ---- descriptor tables ---- */

void emu_lgdt_lidt(struct emu_cpu *c, bool idt, uint64_t base, uint16_t limit)
{
	if (prot_mode(c) && c->cpl != 0)
		emu_raise(c, EXC_GP, 0);
	if (c->mode == MODE_LONG64 && !emu_is_canonical(base))
		emu_raise(c, EXC_GP, 0);
	struct emu_dtable *t = idt ? &c->idtr : &c->gdtr;
	t->base = base;
	t->limit = limit;
}

static unsigned sys_desc_bytes(const struct emu_cpu *c)
{
	return (c->efer & X86_EFER_LMA) ? 16 : 8;
}

void emu_lldt(struct emu_cpu *c, uint16_t sel)
{
	if (!prot_mode(c))
		emu_raise_noerr(c, EXC_UD);
	if (c->cpl != 0)
		emu_raise(c, EXC_GP, 0);
	uint32_t err = sel & 0xfffc;
	if ((sel & 0xfffc) == 0) {
		c->ldtr.sel = sel;
		c->ldtr.attr = 0;
		c->ldtr.base = 0;
		c->ldtr.limit = 0;
		return;
	}
	if (sel & 4)
		emu_raise(c, EXC_GP, err);
	struct emu_desc d;
	desc_read(c, sel, &d, sys_desc_bytes(c), EXC_GP, 0);
	struct emu_seg n;
	emu_desc_to_seg(&d, sel, &n);
	if (SEG_ATTR_S(n.attr) || SEG_ATTR_TYPE(n.attr) != 2)
		emu_raise(c, EXC_GP, err);
	if (!SEG_ATTR_P(n.attr))
		emu_raise(c, EXC_NP, err);
	if (c->efer & X86_EFER_LMA) {
		n.base |= (d.hi & 0xffffffffULL) << 32;
		if (!emu_is_canonical(n.base))
			emu_raise(c, EXC_GP, err);
	}
	c->ldtr = n;
}

void emu_ltr(struct emu_cpu *c, uint16_t sel)
{
	if (!prot_mode(c))
		emu_raise_noerr(c, EXC_UD);
	if (c->cpl != 0)
		emu_raise(c, EXC_GP, 0);
	uint32_t err = sel & 0xfffc;
	if ((sel & 0xfffc) == 0)
		emu_raise(c, EXC_GP, 0);
	if (sel & 4)
		emu_raise(c, EXC_GP, err);
	struct emu_desc d;
	desc_read(c, sel, &d, sys_desc_bytes(c), EXC_GP, 0);
	struct emu_seg n;
	emu_desc_to_seg(&d, sel, &n);
	unsigned type = SEG_ATTR_TYPE(n.attr);
	bool lma = c->efer & X86_EFER_LMA;
	/* An available TSS: 32/64-bit (9), or 16-bit (1) outside long mode. */
	if (SEG_ATTR_S(n.attr) || !(type == 9 || (type == 1 && !lma)))
		emu_raise(c, EXC_GP, err);
	if (!SEG_ATTR_P(n.attr))
		emu_raise(c, EXC_NP, err);
	if (lma) {
		n.base |= (d.hi & 0xffffffffULL) << 32;
		if (!emu_is_canonical(n.base))
			emu_raise(c, EXC_GP, err);
	}
	/* Mark the descriptor busy. */
	uint64_t lin = d.addr + 5;
	if (!lma)
		lin &= 0xffffffffULL;
	struct emu_xlate x;
	emu_translate_or_fault(c, lin, ACC_WRITE, false, &x);
	if (x.host)
		__atomic_fetch_or(x.host, 2, __ATOMIC_ACQ_REL);
	else
		emu_write_linear(c, lin, 1, ((d.lo >> 40) & 0xff) | 2, 0);
	n.attr |= 2;
	c->tr = n;
}

/* ---- stack helpers ---- */

unsigned sys_stack_width(const struct emu_cpu *c)
{
	if (c->mode == MODE_LONG64)
		return 8;
	return SEG_ATTR_DB(c->seg[S_SS].attr) ? 4 : 2;
}

static uint64_t width_mask(unsigned w)
{
	return w >= 8 ? ~0ULL : (1ULL << (8 * w)) - 1;
}

void sys_push(struct emu_cpu *c, uint64_t *sp, unsigned size, uint64_t val)
{
	uint64_t m = width_mask(sys_stack_width(c));
	uint64_t n = (*sp - size) & m;
	emu_write(c, S_SS, n, size, val & width_mask(size));
	*sp = n;
}

uint64_t sys_pop(struct emu_cpu *c, uint64_t *sp, unsigned size)
{
	uint64_t m = width_mask(sys_stack_width(c));
	uint64_t v = emu_read(c, S_SS, *sp & m, size);
	*sp = (*sp + size) & m;
	return v;
}

void sys_set_sp(struct emu_cpu *c, uint64_t sp)
{
	unsigned w = sys_stack_width(c);
	if (w == 2)
		c->gpr[R_SP] = (c->gpr[R_SP] & ~0xffffULL) | (sp & 0xffff);
	else
		c->gpr[R_SP] = sp & width_mask(w);
}

/* ---- far transfers ---- */

/* Checks a far JMP/CALL target code segment; fills n (selector RPL =
 * CPL). Raises for gates and TSSs, which are not supported. */
static void check_far_target(struct emu_cpu *c, uint16_t sel, struct emu_desc *d, struct emu_seg *n)
{
	uint32_t err = sel & 0xfffc;
	if ((sel & 0xfffc) == 0)
		emu_raise(c, EXC_GP, 0);
	emu_desc_fetch(c, sel, d, EXC_GP, 0);
	emu_desc_to_seg(d, sel, n);
	unsigned type = SEG_ATTR_TYPE(n->attr), dpl = SEG_ATTR_DPL(n->attr);
	if (!SEG_ATTR_S(n->attr)) {
		if (type == 5 || type == 9 || type == 1)
			emu_internal_error(
			    c, "far JMP/CALL to a task gate or TSS (task switch) is not supported");
		emu_raise(c, EXC_GP, err); /* call gates: not supported yet */
	}
	if (!(type & 8))
		emu_raise(c, EXC_GP, err);
	if (type & 4) {
		if ((int)dpl > c->cpl)
			emu_raise(c, EXC_GP, err);
	} else if ((sel & 3) > c->cpl || (int)dpl != c->cpl) {
		emu_raise(c, EXC_GP, err);
	}
	if (!SEG_ATTR_P(n->attr))
		emu_raise(c, EXC_NP, err);
	if ((c->efer & X86_EFER_LMA) && SEG_ATTR_L(n->attr) && SEG_ATTR_DB(n->attr))
		emu_raise(c, EXC_GP, err);
	n->sel = (uint16_t)((sel & 0xfffc) | c->cpl);
	n->attr |= 1;
}

/* The new rip for CS n: canonical in 64-bit code, else within the limit. */
static uint64_t check_target_rip(struct emu_cpu *c, const struct emu_seg *n, uint64_t off,
				 unsigned opsize)
{
	if ((c->efer & X86_EFER_LMA) && SEG_ATTR_L(n->attr)) {
		if (!emu_is_canonical(off))
			emu_raise(c, EXC_GP, 0);
		return off;
	}
	off &= width_mask(opsize > 4 ? 4 : opsize);
	if (off > n->limit)
		emu_raise(c, EXC_GP, 0);
	return off;
}

static void real_far_target(struct emu_cpu *c, uint16_t sel, uint64_t off, unsigned opsize)
{
	off &= width_mask(opsize > 4 ? 4 : opsize);
	if (off > c->seg[S_CS].limit)
		emu_raise(c, EXC_GP, 0);
	emu_seg_load_real(c, S_CS, sel);
	c->rip = off;
}

void emu_far_jmp(struct emu_cpu *c, uint16_t sel, uint64_t off, unsigned opsize)
{
	if (!prot_mode(c)) {
		real_far_target(c, sel, off, opsize);
		return;
	}
	struct emu_desc d;
	struct emu_seg n;
	check_far_target(c, sel, &d, &n);
	uint64_t rip = check_target_rip(c, &n, off, opsize);
	emu_desc_set_accessed(c, &d);
	c->seg[S_CS] = n;
	c->rip = rip;
	emu_update_mode(c);
}

void emu_far_call(struct emu_cpu *c, uint16_t sel, uint64_t off, unsigned opsize, uint64_t next_rip)
{
	uint64_t sp = c->gpr[R_SP];
	if (!prot_mode(c)) {
		uint16_t old_cs = c->seg[S_CS].sel;
		sys_push(c, &sp, opsize, old_cs);
		sys_push(c, &sp, opsize, next_rip);
		real_far_target(c, sel, off, opsize);
		sys_set_sp(c, sp);
		return;
	}
	struct emu_desc d;
	struct emu_seg n;
	check_far_target(c, sel, &d, &n);
	uint64_t rip = check_target_rip(c, &n, off, opsize);
	sys_push(c, &sp, opsize, c->seg[S_CS].sel);
	sys_push(c, &sp, opsize, next_rip);
	emu_desc_set_accessed(c, &d);
	c->seg[S_CS] = n;
	c->rip = rip;
	sys_set_sp(c, sp);
	emu_update_mode(c);
}

/* Checks the SS selector an inter-privilege return (far RET, IRET) pops
 * from the old stack: a present, writable data segment whose RPL and DPL
 * equal the return's RPL (#GP, or #SS if not present, on the selector).
 * Fills ss (marked accessed) and sd; the caller sets the descriptor's
 * accessed bit in memory when it commits. */
void emu_check_return_ss(struct emu_cpu *c, uint16_t ss_sel, int rpl, struct emu_seg *ss,
			 struct emu_desc *sd)
{
	uint32_t serr = ss_sel & 0xfffc;
	emu_desc_fetch(c, ss_sel, sd, EXC_GP, 0);
	emu_desc_to_seg(sd, ss_sel, ss);
	unsigned st = SEG_ATTR_TYPE(ss->attr);
	if ((ss_sel & 3) != rpl || !SEG_ATTR_S(ss->attr) || (st & 8) || !(st & 2) ||
	    (int)SEG_ATTR_DPL(ss->attr) != rpl)
		emu_raise(c, EXC_GP, serr);
	if (!SEG_ATTR_P(ss->attr))
		emu_raise(c, EXC_SS, serr);
	ss->attr |= 1;
}

void emu_far_ret(struct emu_cpu *c, unsigned opsize, uint16_t pop_bytes)
{
	uint64_t sp = c->gpr[R_SP];
	uint64_t rip = sys_pop(c, &sp, opsize);
	uint16_t sel = (uint16_t)sys_pop(c, &sp, opsize);
	uint64_t m = width_mask(sys_stack_width(c));

	if (!prot_mode(c)) {
		real_far_target(c, sel, rip, opsize);
		sys_set_sp(c, (sp + pop_bytes) & m);
		return;
	}
	uint32_t err = sel & 0xfffc;
	if ((sel & 0xfffc) == 0)
		emu_raise(c, EXC_GP, 0);
	int rpl = sel & 3;
	if (rpl < c->cpl)
		emu_raise(c, EXC_GP, err);
	struct emu_desc d;
	struct emu_seg n;
	emu_desc_fetch(c, sel, &d, EXC_GP, 0);
	emu_desc_to_seg(&d, sel, &n);
	unsigned type = SEG_ATTR_TYPE(n.attr), dpl = SEG_ATTR_DPL(n.attr);
	if (!SEG_ATTR_S(n.attr) || !(type & 8))
		emu_raise(c, EXC_GP, err);
	if ((type & 4) ? (int)dpl > rpl : (int)dpl != rpl)
		emu_raise(c, EXC_GP, err);
	if (!SEG_ATTR_P(n.attr))
		emu_raise(c, EXC_NP, err);
	n.attr |= 1;
	sp = (sp + pop_bytes) & m;

	if (rpl == c->cpl) {
		uint64_t new_rip = check_target_rip(c, &n, rip, opsize);
		emu_desc_set_accessed(c, &d);
		c->seg[S_CS] = n;
		c->rip = new_rip;
		sys_set_sp(c, sp);
		emu_update_mode(c);
		return;
	}

	/* Return to an outer level: SS:SP follow on the old stack. */
	uint64_t new_sp = sys_pop(c, &sp, opsize);
	uint16_t ss_sel = (uint16_t)sys_pop(c, &sp, opsize);
	bool to_long = (c->efer & X86_EFER_LMA) && SEG_ATTR_L(n.attr);
	struct emu_seg ss;
	if ((ss_sel & 0xfffc) == 0) {
		if (!(c->mode == MODE_LONG64 && to_long && rpl != 3))
			emu_raise(c, EXC_GP, 0);
		ss.sel = ss_sel;
		ss.base = 0;
		ss.limit = 0;
		ss.attr = (uint16_t)(rpl << 5);
	} else {
		struct emu_desc sd;
		emu_check_return_ss(c, ss_sel, rpl, &ss, &sd);
		emu_desc_set_accessed(c, &sd);
	}
	uint64_t new_rip = check_target_rip(c, &n, rip, opsize);
	emu_desc_set_accessed(c, &d);
	c->seg[S_CS] = n;
	c->seg[S_SS] = ss;
	c->rip = new_rip;
	emu_update_mode(c);
	sys_set_sp(c, new_sp + pop_bytes);
	emu_seg_null_inaccessible(c);
}
