/* Software CPU: exceptions and interrupts. emu_raise() unwinds to the
 * core's emu_step(); emu_deliver() delivers an event through the real-mode
 * IVT, the protected-mode IDT (interrupt/trap gates, TSS stack switch) or
 * the long-mode IDT (IST, 64-bit frame), combining a fault raised during
 * delivery with the event being delivered into #DF or a triple fault as
 * the SDM's exception classes say. emu_iret() is the return path. */
#include <string.h>

#include "emu_sys.h"
#include "vslice/log.h"
#include "vslice/x86_regs.h"

static bool has_error_code(int vector)
{
	switch (vector) {
	case EXC_DF:
	case EXC_TS:
	case EXC_NP:
	case EXC_SS:
	case EXC_GP:
	case EXC_PF:
	case EXC_AC:
		return true;
	default:
		return false;
	}
}

_Noreturn void emu_raise(struct emu_cpu *c, int vector, uint32_t err)
{
	c->pending_exc = vector;
	c->pending_has_err = has_error_code(vector);
	c->pending_err = c->pending_has_err ? err : 0;
	longjmp(c->fault_jmp, 1);
}

_Noreturn void emu_raise_noerr(struct emu_cpu *c, int vector)
{
	emu_raise(c, vector, 0);
}

_Noreturn void emu_internal_error(struct emu_cpu *c, const char *why)
{
	c->internal_error = why;
	c->pending_exc = EXC_UD;
	c->pending_has_err = false;
	c->pending_err = 0;
	longjmp(c->fault_jmp, 1);
}

/* ---- the event being delivered ---- */

struct event {
	int vector;
	bool has_err;
	uint32_t err;
	bool soft;    /* INT n, INT3, INTO: DPL check, EXT = 0 */
	uint64_t rip; /* return address pushed */
};

enum exc_class { CLASS_BENIGN, CLASS_CONTRIB, CLASS_PF, CLASS_DF };

/* SDM vol. 3, "Interrupt 8 - Double Fault Exception": classes. An event
 * without its architectural error code is an external interrupt that
 * happens to use an exception vector: benign. */
static enum exc_class event_class(const struct event *ev)
{
	if (ev->soft)
		return CLASS_BENIGN;
	switch (ev->vector) {
	case EXC_DE:
		return CLASS_CONTRIB;
	case EXC_TS:
	case EXC_NP:
	case EXC_SS:
	case EXC_GP:
		return ev->has_err ? CLASS_CONTRIB : CLASS_BENIGN;
	case EXC_PF:
		return ev->has_err ? CLASS_PF : CLASS_BENIGN;
	case EXC_DF:
		return ev->has_err ? CLASS_DF : CLASS_BENIGN;
	default:
		return CLASS_BENIGN;
	}
}

/* The state delivery changes, saved so that a fault half-way leaves the
 * CPU as it was. */
struct snapshot {
	uint64_t rsp, rip, rflags;
	struct emu_seg seg[S_COUNT];
	enum emu_mode mode;
	int cpl;
};

static void snap_save(const struct emu_cpu *c, struct snapshot *s)
{
	s->rsp = c->gpr[R_SP];
	s->rip = c->rip;
	s->rflags = c->rflags;
	memcpy(s->seg, c->seg, sizeof(s->seg));
	s->mode = c->mode;
	s->cpl = c->cpl;
}

static void snap_restore(struct emu_cpu *c, const struct snapshot *s)
{
	c->gpr[R_SP] = s->rsp;
	c->rip = s->rip;
	c->rflags = s->rflags;
	memcpy(c->seg, s->seg, sizeof(s->seg));
	c->mode = s->mode;
	c->cpl = s->cpl;
}

/* ---- real mode ---- */

static void deliver_real(struct emu_cpu *c, const struct event *ev)
{
	uint32_t at = (uint32_t)ev->vector * 4;
	if (at + 3 > c->idtr.limit)
		emu_raise(c, EXC_GP, 0);
	uint32_t ent = (uint32_t)emu_read_linear(c, c->idtr.base + at, 4, 0);
	uint64_t sp = c->gpr[R_SP];
	sys_push(c, &sp, 2, c->rflags);
	sys_push(c, &sp, 2, c->seg[S_CS].sel);
	sys_push(c, &sp, 2, ev->rip);
	c->rflags &= ~(uint64_t)(FL_IF | FL_TF | FL_AC | FL_RF);
	emu_seg_load_real(c, S_CS, (uint16_t)(ent >> 16));
	c->rip = ent & 0xffff;
	sys_set_sp(c, sp);
}

/* ---- TSS ---- */

/* Reads size bytes at offset off of the current TSS, #TS if outside it. */
static uint64_t tss_read(struct emu_cpu *c, uint32_t off, unsigned size, uint32_t ext)
{
	if (!SEG_ATTR_P(c->tr.attr) || (uint64_t)off + size - 1 > c->tr.limit)
		emu_raise(c, EXC_TS, (c->tr.sel & 0xfffc) | ext);
	return emu_read_linear(c, c->tr.base + off, size, 0);
}

/* The IDT target code segment, checked (shared by both IDT formats). */
static void gate_target(struct emu_cpu *c, uint16_t sel, uint32_t ext, struct emu_desc *d,
			struct emu_seg *cs)
{
	uint32_t err = (sel & 0xfffc) | ext;
	if ((sel & 0xfffc) == 0)
		emu_raise(c, EXC_GP, ext);
	emu_desc_fetch(c, sel, d, EXC_GP, ext);
	emu_desc_to_seg(d, sel, cs);
	if (!SEG_ATTR_S(cs->attr) || !(SEG_ATTR_TYPE(cs->attr) & 8) ||
	    (int)SEG_ATTR_DPL(cs->attr) > c->cpl)
		emu_raise(c, EXC_GP, err);
	if (!SEG_ATTR_P(cs->attr))
		emu_raise(c, EXC_NP, err);
}

/* ---- protected mode (32-bit IDT) ---- */

static void deliver_prot(struct emu_cpu *c, const struct event *ev)
{
	uint32_t ext = ev->soft ? 0 : 1;
	uint32_t idt_err = (uint32_t)ev->vector * 8 + 2 + ext;
	if ((uint32_t)ev->vector * 8 + 7 > c->idtr.limit)
		emu_raise(c, EXC_GP, idt_err);
	uint64_t gate = emu_read_linear(c, c->idtr.base + (uint32_t)ev->vector * 8, 8, 0);
	unsigned type = (gate >> 40) & 0x1f; /* S and type */
	unsigned gdpl = (gate >> 45) & 3;
	if (type == 5)
		emu_internal_error(c,
				   "interrupt through a task gate (task switch) is not supported");
	if (type != 6 && type != 7 && type != 0xe && type != 0xf)
		emu_raise(c, EXC_GP, idt_err);
	if (ev->soft && (int)gdpl < c->cpl)
		emu_raise(c, EXC_GP, (uint32_t)ev->vector * 8 + 2);
	if (!((gate >> 47) & 1))
		emu_raise(c, EXC_NP, idt_err);
	bool gate32 = type & 8;
	bool trap = type & 1;
	uint16_t sel = (uint16_t)(gate >> 16);
	uint64_t off = (gate & 0xffff) | (gate32 ? ((gate >> 48) & 0xffff) << 16 : 0);
	unsigned w = gate32 ? 4 : 2;

	struct emu_desc d;
	struct emu_seg cs;
	gate_target(c, sel, ext, &d, &cs);
	int dpl = SEG_ATTR_DPL(cs.attr);
	bool conforming = SEG_ATTR_TYPE(cs.attr) & 4;
	bool vm86 = c->rflags & FL_VM;
	uint64_t old_flags = c->rflags;
	uint16_t old_cs = c->seg[S_CS].sel;
	uint64_t sp;

	if (!conforming && dpl < c->cpl) {
		/* Inner privilege: the stack for dpl comes from the TSS. */
		if (vm86 && dpl != 0)
			emu_raise(c, EXC_GP, (sel & 0xfffc) | ext);
		unsigned ttype = SEG_ATTR_TYPE(c->tr.attr);
		uint64_t new_sp;
		uint16_t ss_sel;
		if (!(ttype & 8)) { /* 16-bit TSS (types 1 and 3) */
			new_sp = tss_read(c, 2 + dpl * 4, 2, ext);
			ss_sel = (uint16_t)tss_read(c, 4 + dpl * 4, 2, ext);
		} else {
			new_sp = tss_read(c, 4 + dpl * 8, 4, ext);
			ss_sel = (uint16_t)tss_read(c, 8 + dpl * 8, 2, ext);
		}
		uint32_t serr = (ss_sel & 0xfffc) | ext;
		if ((ss_sel & 0xfffc) == 0)
			emu_raise(c, EXC_TS, ext);
		if ((ss_sel & 3) != dpl)
			emu_raise(c, EXC_TS, serr);
		struct emu_desc sd;
		struct emu_seg ss;
		emu_desc_fetch(c, ss_sel, &sd, EXC_TS, ext);
		emu_desc_to_seg(&sd, ss_sel, &ss);
		unsigned st = SEG_ATTR_TYPE(ss.attr);
		if (!SEG_ATTR_S(ss.attr) || (st & 8) || !(st & 2) ||
		    (int)SEG_ATTR_DPL(ss.attr) != dpl)
			emu_raise(c, EXC_TS, serr);
		if (!SEG_ATTR_P(ss.attr))
			emu_raise(c, EXC_SS, serr);
		struct emu_seg old_ss = c->seg[S_SS];
		uint64_t old_sp = c->gpr[R_SP];
		emu_desc_set_accessed(c, &sd);
		ss.attr |= 1;
		/* Switch to the new stack and level, then push. */
		c->seg[S_SS] = ss;
		c->rflags &= ~(uint64_t)FL_VM;
		c->cpl = dpl;
		c->mode = SEG_ATTR_DB(c->seg[S_CS].attr) ? MODE_PROT32 : MODE_PROT16;
		sp = new_sp;
		if (vm86) {
			sys_push(c, &sp, w, c->seg[S_GS].sel);
			sys_push(c, &sp, w, c->seg[S_FS].sel);
			sys_push(c, &sp, w, c->seg[S_DS].sel);
			sys_push(c, &sp, w, c->seg[S_ES].sel);
		}
		sys_push(c, &sp, w, old_ss.sel);
		sys_push(c, &sp, w, old_sp);
		if (vm86) {
			static const int segs[] = {S_GS, S_FS, S_DS, S_ES};
			for (unsigned i = 0; i < 4; i++)
				memset(&c->seg[segs[i]], 0, sizeof(struct emu_seg));
		}
	} else if (conforming || dpl == c->cpl) {
		if (vm86)
			emu_raise(c, EXC_GP, (sel & 0xfffc) | ext);
		dpl = c->cpl;
		sp = c->gpr[R_SP];
	} else {
		emu_raise(c, EXC_GP, (sel & 0xfffc) | ext);
	}
	sys_push(c, &sp, w, old_flags);
	sys_push(c, &sp, w, old_cs);
	sys_push(c, &sp, w, ev->rip);
	if (ev->has_err)
		sys_push(c, &sp, w, ev->err);
	if (off > cs.limit)
		emu_raise(c, EXC_GP, 0);
	emu_desc_set_accessed(c, &d);
	cs.sel = (uint16_t)((sel & 0xfffc) | dpl);
	cs.attr |= 1;
	c->seg[S_CS] = cs;
	c->rip = off;
	c->rflags &= ~(uint64_t)(FL_TF | FL_VM | FL_RF | FL_NT);
	if (!trap)
		c->rflags &= ~(uint64_t)FL_IF;
	emu_update_mode(c);
	sys_set_sp(c, sp);
}

/* ---- long mode (64-bit IDT) ---- */

static void deliver_long(struct emu_cpu *c, const struct event *ev)
{
	uint32_t ext = ev->soft ? 0 : 1;
	uint32_t at = (uint32_t)ev->vector * 16;
	uint32_t idt_err = at + 2 + ext;
	if (at + 15 > c->idtr.limit)
		emu_raise(c, EXC_GP, idt_err);
	uint64_t lo = emu_read_linear(c, c->idtr.base + at, 8, 0);
	uint64_t hi = emu_read_linear(c, c->idtr.base + at + 8, 8, 0);
	unsigned type = (lo >> 40) & 0x1f;
	unsigned gdpl = (lo >> 45) & 3;
	if (type != 0xe && type != 0xf)
		emu_raise(c, EXC_GP, idt_err);
	if (ev->soft && (int)gdpl < c->cpl)
		emu_raise(c, EXC_GP, at + 2);
	if (!((lo >> 47) & 1))
		emu_raise(c, EXC_NP, idt_err);
	uint16_t sel = (uint16_t)(lo >> 16);
	uint64_t off = (lo & 0xffff) | (((lo >> 48) & 0xffff) << 16) | ((hi & 0xffffffffULL) << 32);
	unsigned ist = (lo >> 32) & 7;

	struct emu_desc d;
	struct emu_seg cs;
	gate_target(c, sel, ext, &d, &cs);
	if (!SEG_ATTR_L(cs.attr) || SEG_ATTR_DB(cs.attr))
		emu_raise(c, EXC_GP, (sel & 0xfffc) | ext);
	int new_cpl = (SEG_ATTR_TYPE(cs.attr) & 4) ? c->cpl : (int)SEG_ATTR_DPL(cs.attr);
	if (!emu_is_canonical(off))
		emu_raise(c, EXC_GP, ext);

	uint64_t rsp;
	if (ist)
		rsp = tss_read(c, 36 + (ist - 1) * 8, 8, ext);
	else if (new_cpl < c->cpl)
		rsp = tss_read(c, 4 + new_cpl * 8, 8, ext);
	else
		rsp = c->gpr[R_SP];
	rsp &= ~0xfULL;
	unsigned frame = ev->has_err ? 48 : 40;
	if (!emu_is_canonical(rsp - 1) || !emu_is_canonical(rsp - frame))
		emu_raise(c, EXC_SS, ext);
	uint64_t vals[6] = {c->seg[S_SS].sel, c->gpr[R_SP], c->rflags,
			    c->seg[S_CS].sel, ev->rip,	    ev->err};
	unsigned n = ev->has_err ? 6 : 5;
	for (unsigned i = 0; i < n; i++) {
		rsp -= 8;
		emu_write_linear(c, rsp, 8, vals[i], new_cpl);
	}
	emu_desc_set_accessed(c, &d);
	if (new_cpl != c->cpl) {
		/* The new SS is null with RPL = the new CPL. */
		struct emu_seg *ss = &c->seg[S_SS];
		ss->sel = (uint16_t)new_cpl;
		ss->base = 0;
		ss->limit = 0;
		ss->attr = (uint16_t)(new_cpl << 5);
	}
	cs.sel = (uint16_t)((sel & 0xfffc) | new_cpl);
	cs.attr |= 1;
	c->seg[S_CS] = cs;
	c->rip = off;
	c->rflags &= ~(uint64_t)(FL_TF | FL_VM | FL_RF | FL_NT);
	if (!(type & 1))
		c->rflags &= ~(uint64_t)FL_IF;
	c->gpr[R_SP] = rsp;
	emu_update_mode(c);
}

static void deliver_one(struct emu_cpu *c, const struct event *ev)
{
	if (!(c->cr0 & X86_CR0_PE))
		deliver_real(c, ev);
	else if (c->efer & X86_EFER_LMA)
		deliver_long(c, ev);
	else
		deliver_prot(c, ev);
}

void emu_deliver(struct emu_cpu *c, int vector, bool has_err, uint32_t err, bool is_soft,
		 uint64_t next_rip)
{
	if (c->internal_error || c->triple_fault)
		return;
	jmp_buf outer;
	memcpy(outer, c->fault_jmp, sizeof(jmp_buf));
	/* volatile: modified between setjmp and longjmp. */
	volatile struct event ev = {vector, has_err, err, is_soft, next_rip};
	struct snapshot snap;
	snap_save(c, &snap);

	for (volatile unsigned round = 0;; round++) {
		if (round > 8) {
			/* Cannot happen with the class rules; never loop forever. */
			c->triple_fault = true;
			break;
		}
		if (setjmp(c->fault_jmp) == 0) {
			struct event cur = ev;
			deliver_one(c, &cur);
			if (cur.vector == EXC_NMI && !cur.soft)
				c->nmi_blocked = true;
			break;
		}
		/* A fault while delivering ev. */
		snap_restore(c, &snap);
		if (c->internal_error)
			break;
		struct event cur = ev;
		struct event second = {c->pending_exc, c->pending_has_err, c->pending_err, false,
				       cur.soft ? c->insn_rip : cur.rip};
		enum exc_class first = event_class(&cur), then = event_class(&second);
		if (first == CLASS_DF && then != CLASS_BENIGN) {
			log_info("vCPU %u: triple fault (vector %d, error %#x, while delivering "
				 "#DF) at %04x:%#llx",
				 c->index, second.vector, second.err, c->seg[S_CS].sel,
				 (unsigned long long)c->rip);
			c->triple_fault = true;
			break;
		}
		log_debug("vCPU %u: vector %d (error %#x) while delivering vector %d at %04x:%#llx",
			  c->index, second.vector, second.err, cur.vector, c->seg[S_CS].sel,
			  (unsigned long long)c->rip);
		if ((first == CLASS_CONTRIB && then == CLASS_CONTRIB) ||
		    (first == CLASS_PF && (then == CLASS_CONTRIB || then == CLASS_PF))) {
			second.vector = EXC_DF;
			second.has_err = true;
			second.err = 0;
		}
		ev = second;
	}
	c->pending_exc = -1;
	memcpy(c->fault_jmp, outer, sizeof(jmp_buf));
}

/* ---- IRET ---- */

static uint64_t opmask(unsigned opsize)
{
	return opsize >= 8 ? ~0ULL : (1ULL << (8 * opsize)) - 1;
}

static void iret_real(struct emu_cpu *c, unsigned opsize)
{
	uint64_t sp = c->gpr[R_SP];
	uint64_t ip = sys_pop(c, &sp, opsize);
	uint16_t sel = (uint16_t)sys_pop(c, &sp, opsize);
	uint64_t fl = sys_pop(c, &sp, opsize);
	ip &= opmask(opsize);
	if (ip > c->seg[S_CS].limit)
		emu_raise(c, EXC_GP, 0);
	uint64_t keep = (c->rflags & FL_VM) ? (FL_VM | FL_IOPL | 0x180000) : (FL_VM | 0x180000);
	uint64_t nf;
	if (opsize == 2)
		nf = (c->rflags & ~0xffffULL) | (fl & 0xffff);
	else
		nf = fl & 0x257fd5;
	if (c->rflags & FL_VM)
		nf = (nf & ~FL_IOPL) | (c->rflags & FL_IOPL);
	nf = (nf & ~keep) | (c->rflags & keep);
	emu_seg_load_real(c, S_CS, sel);
	c->rip = ip;
	c->rflags = nf | 2;
	sys_set_sp(c, sp);
}

void emu_iret(struct emu_cpu *c, unsigned opsize)
{
	if (!(c->cr0 & X86_CR0_PE)) {
		iret_real(c, opsize);
		c->nmi_blocked = false;
		return;
	}
	if (c->rflags & FL_VM) {
		if (((c->rflags & FL_IOPL) >> 12) < 3)
			emu_raise(c, EXC_GP, 0);
		iret_real(c, opsize);
		c->nmi_blocked = false;
		return;
	}
	bool lma = c->efer & X86_EFER_LMA;
	if (c->rflags & FL_NT) {
		if (lma)
			emu_raise(c, EXC_GP, 0);
		emu_internal_error(c, "IRET with NT=1 (task return) is not supported");
	}
	uint64_t sp = c->gpr[R_SP];
	uint64_t rip = sys_pop(c, &sp, opsize);
	uint16_t sel = (uint16_t)sys_pop(c, &sp, opsize);
	uint64_t fl = sys_pop(c, &sp, opsize);

	if (!lma && (fl & FL_VM) && c->cpl == 0 && opsize == 4)
		emu_internal_error(c, "IRET to virtual-8086 mode is not supported");

	uint32_t err = sel & 0xfffc;
	if ((sel & 0xfffc) == 0)
		emu_raise(c, EXC_GP, 0);
	int rpl = sel & 3;
	struct emu_desc d;
	struct emu_seg cs;
	emu_desc_fetch(c, sel, &d, EXC_GP, 0);
	emu_desc_to_seg(&d, sel, &cs);
	unsigned type = SEG_ATTR_TYPE(cs.attr);
	int dpl = SEG_ATTR_DPL(cs.attr);
	if (!SEG_ATTR_S(cs.attr) || !(type & 8) || rpl < c->cpl)
		emu_raise(c, EXC_GP, err);
	if ((type & 4) ? dpl > rpl : dpl != rpl)
		emu_raise(c, EXC_GP, err);
	if (!SEG_ATTR_P(cs.attr))
		emu_raise(c, EXC_NP, err);
	bool to_long = lma && SEG_ATTR_L(cs.attr);
	if (to_long && SEG_ATTR_DB(cs.attr))
		emu_raise(c, EXC_GP, err);

	bool pop_stack = c->mode == MODE_LONG64 || rpl > c->cpl;
	struct emu_seg ss = c->seg[S_SS];
	uint64_t new_sp = 0;
	struct emu_desc sd;
	bool ss_desc = false;
	if (pop_stack) {
		new_sp = sys_pop(c, &sp, opsize);
		uint16_t ss_sel = (uint16_t)sys_pop(c, &sp, opsize);
		if ((ss_sel & 0xfffc) == 0) {
			if (!(to_long && rpl != 3))
				emu_raise(c, EXC_GP, 0);
			ss.sel = ss_sel;
			ss.base = 0;
			ss.limit = 0;
			ss.attr = (uint16_t)(rpl << 5);
		} else {
			emu_check_return_ss(c, ss_sel, rpl, &ss, &sd);
			ss_desc = true;
		}
	}
	if (to_long) {
		if (!emu_is_canonical(rip))
			emu_raise(c, EXC_GP, 0);
	} else {
		rip &= opsize == 2 ? 0xffff : 0xffffffffULL;
		if (rip > cs.limit)
			emu_raise(c, EXC_GP, 0);
	}

	/* Flags: IOPL only at CPL 0, IF only if CPL <= IOPL (the old CPL). */
	uint64_t changeable = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_RF | FL_AC | FL_ID;
	int iopl = (c->rflags & FL_IOPL) >> 12;
	if (c->cpl == 0)
		changeable |= FL_IOPL | 0x180000; /* VIF, VIP */
	if (c->cpl <= iopl)
		changeable |= FL_IF;
	if (opsize == 2)
		changeable &= 0xffff;
	uint64_t nf = (c->rflags & ~changeable) | (fl & changeable) | 2;

	emu_desc_set_accessed(c, &d);
	if (ss_desc)
		emu_desc_set_accessed(c, &sd);
	cs.attr |= 1;
	c->seg[S_CS] = cs;
	c->rip = rip;
	c->rflags = nf;
	bool outer = rpl > c->cpl;
	if (pop_stack) {
		c->seg[S_SS] = ss;
		emu_update_mode(c);
		c->gpr[R_SP] = new_sp & opmask(opsize);
	} else {
		emu_update_mode(c);
		sys_set_sp(c, sp);
	}
	if (outer)
		emu_seg_null_inaccessible(c);
	c->nmi_blocked = false;
}
