/* Software CPU: the memory accessors of emu_cpu.h. Segmentation (null
 * segments, type and limit checks with expand-down, canonical checks in
 * 64-bit mode, FS/GS bases), then paging (emu_paging.c), then RAM through
 * guest_mem or MMIO through the VM's bus. Accesses that cross a page are
 * checked on both pages before any byte is written. */
#include <string.h>

#include "emu_icache.h"
#include "emu_sys.h"
#include "vslice/x86_regs.h"

/* The usual instruction fetch: a whole maximum-length instruction. */
#define EMU_FETCH_FAST 15

/* ---- guest-physical ---- */

static void mmio_access(struct emu_cpu *c, uint64_t gpa, void *data, unsigned len, bool write)
{
	/* The bus takes 1, 2, 4 or 8 bytes: split anything else. */
	uint8_t *p = data;
	c->block_break = true; /* a device access ends the decoded block (emu_icache.h) */
	while (len) {
		unsigned n = len >= 8 ? 8 : len >= 4 ? 4 : len >= 2 ? 2 : 1;
		if (c->io.mmio)
			c->io.mmio(c->io.opaque, gpa, p, n, write);
		else if (!write)
			memset(p, 0xff, n);
		gpa += n;
		p += n;
		len -= n;
	}
}

void emu_phys_read(struct emu_cpu *c, uint64_t gpa, void *dst, unsigned len)
{
	void *p = gm_ptr(c->mem, gpa, len);
	if (p)
		memcpy(dst, p, len);
	else
		mmio_access(c, gpa, dst, len, false);
}

void emu_phys_write(struct emu_cpu *c, uint64_t gpa, const void *src, unsigned len)
{
	void *p = gm_ptr(c->mem, gpa, len);
	emu_code_write_check(c, gpa);
	if (p)
		memcpy(p, src, len);
	else
		mmio_access(c, gpa, (void *)src, len, true);
}

/* Naturally aligned 2/4/8-byte accesses are single-copy atomic on x86:
 * keep them so for SMP guests. */
static uint64_t host_load(const uint8_t *p, unsigned size)
{
	if (((uintptr_t)p & (size - 1)) == 0) {
		switch (size) {
		case 1:
			return *p;
		case 2:
			return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
		case 4:
			return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
		case 8:
			return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
		}
	}
	return emu_le_load(p, size);
}

static void host_store(uint8_t *p, unsigned size, uint64_t v)
{
	if (((uintptr_t)p & (size - 1)) == 0) {
		switch (size) {
		case 1:
			*p = (uint8_t)v;
			return;
		case 2:
			__atomic_store_n((uint16_t *)p, (uint16_t)v, __ATOMIC_RELAXED);
			return;
		case 4:
			__atomic_store_n((uint32_t *)p, (uint32_t)v, __ATOMIC_RELAXED);
			return;
		case 8:
			__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
			return;
		}
	}
	memcpy(p, &v, size);
}

/* ---- segmentation ---- */

static _Noreturn void seg_fault(struct emu_cpu *c, int seg)
{
	emu_raise(c, seg == S_SS ? EXC_SS : EXC_GP, 0);
}

static bool legacy_protected(const struct emu_cpu *c)
{
	return (c->cr0 & X86_CR0_PE) && !(c->rflags & FL_VM);
}

/* Linear address of seg:off for an access of size bytes (size >= 1). */
static uint64_t seg_linear(struct emu_cpu *c, int seg, uint64_t off, uint64_t size,
			   enum emu_access acc)
{
	const struct emu_seg *s = &c->seg[seg];

	if (c->mode == MODE_LONG64) {
		uint64_t lin = off;
		if (seg == S_FS || seg == S_GS)
			lin += s->base;
		if (!emu_is_canonical(lin) || !emu_is_canonical(lin + size - 1))
			seg_fault(c, seg);
		return lin;
	}

	unsigned a = s->attr;
	bool expand_down = false;
	if (legacy_protected(c)) {
		if (!SEG_ATTR_P(a))
			seg_fault(c, seg); /* null or unusable segment */
		unsigned type = SEG_ATTR_TYPE(a);
		if (type & 8) { /* code */
			if (acc == ACC_WRITE || (acc == ACC_READ && !(type & 2)))
				seg_fault(c, seg);
		} else { /* data */
			if (acc == ACC_WRITE && !(type & 2))
				seg_fault(c, seg);
			expand_down = type & 4;
		}
	}
	uint64_t last = off + size - 1;
	if (expand_down) {
		uint64_t upper = SEG_ATTR_DB(a) ? 0xffffffffULL : 0xffffULL;
		if (off <= s->limit || last > upper)
			seg_fault(c, seg);
	} else if (last > s->limit) {
		seg_fault(c, seg);
	}
	return (s->base + off) & 0xffffffffULL;
}

static uint64_t next_page_lin(const struct emu_cpu *c, uint64_t lin)
{
	uint64_t n = (lin | 0xfff) + 1;
	return (c->efer & X86_EFER_LMA) ? n : n & 0xffffffffULL;
}

static bool user_access(const struct emu_cpu *c, int cpl)
{
	return cpl == 3;
}

/* ---- linear ---- */

static uint64_t read_lin(struct emu_cpu *c, uint64_t lin, unsigned size, bool user)
{
	struct emu_xlate x;
	unsigned first = 4096 - (lin & 0xfff);

	if (size <= first) {
		struct emu_tlb_entry *e = emu_tlb_hit(c, lin, ACC_READ, user);
		if (e && e->host)
			return host_load(e->host + (lin & 0xfff), size);
		emu_translate_or_fault(c, lin, ACC_READ, user, &x);
		if (x.host)
			return host_load(x.host, size);
		uint64_t v = 0;
		mmio_access(c, x.gpa, &v, size, false);
		return v;
	}
	struct emu_xlate x2;
	emu_translate_or_fault(c, lin, ACC_READ, user, &x);
	emu_translate_or_fault(c, next_page_lin(c, lin), ACC_READ, user, &x2);
	uint8_t buf[8] = {0};
	emu_phys_read(c, x.gpa, buf, first);
	emu_phys_read(c, x2.gpa, buf + first, size - first);
	return emu_le_load(buf, size);
}

static void write_lin(struct emu_cpu *c, uint64_t lin, unsigned size, uint64_t val, bool user)
{
	struct emu_xlate x;
	unsigned first = 4096 - (lin & 0xfff);

	if (size <= first) {
		struct emu_tlb_entry *e = emu_tlb_hit(c, lin, ACC_WRITE, user);
		if (e && e->host) {
			host_store(e->host + (lin & 0xfff), size, val);
			emu_code_write_check(c, e->ppage << 12);
			return;
		}
		emu_translate_or_fault(c, lin, ACC_WRITE, user, &x);
		emu_code_write_check(c, x.gpa);
		if (x.host)
			host_store(x.host, size, val);
		else
			mmio_access(c, x.gpa, &val, size, true);
		return;
	}
	struct emu_xlate x2;
	emu_translate_or_fault(c, lin, ACC_WRITE, user, &x);
	emu_translate_or_fault(c, next_page_lin(c, lin), ACC_WRITE, user, &x2);
	uint8_t buf[8];
	memcpy(buf, &val, sizeof(buf));
	emu_phys_write(c, x.gpa, buf, first);
	emu_phys_write(c, x2.gpa, buf + first, size - first);
}

/* Byte ranges of any length: translate every page first (so a fault
 * leaves memory untouched), then copy. */
static void copy_lin(struct emu_cpu *c, uint64_t lin, uint8_t *buf, unsigned len, bool user,
		     bool write)
{
	enum emu_access acc = write ? ACC_WRITE : ACC_READ;
	struct emu_xlate x;
	uint64_t l = lin;
	unsigned left = len;

	while (left) {
		unsigned n = 4096 - (l & 0xfff);
		if (n > left)
			n = left;
		emu_translate_or_fault(c, l, acc, user, &x);
		left -= n;
		l = next_page_lin(c, l);
	}
	l = lin;
	left = len;
	while (left) {
		unsigned n = 4096 - (l & 0xfff);
		if (n > left)
			n = left;
		emu_translate_or_fault(c, l, acc, user, &x);
		if (write)
			emu_phys_write(c, x.gpa, buf, n);
		else
			emu_phys_read(c, x.gpa, buf, n);
		buf += n;
		left -= n;
		l = next_page_lin(c, l);
	}
}

static uint64_t mask_linear(const struct emu_cpu *c, uint64_t lin)
{
	return (c->efer & X86_EFER_LMA) ? lin : lin & 0xffffffffULL;
}

uint64_t emu_read_linear(struct emu_cpu *c, uint64_t lin, unsigned size, int cpl)
{
	lin = mask_linear(c, lin);
	if ((c->efer & X86_EFER_LMA) &&
	    (!emu_is_canonical(lin) || !emu_is_canonical(lin + size - 1)))
		emu_raise(c, EXC_GP, 0);
	return read_lin(c, lin, size, user_access(c, cpl));
}

void emu_write_linear(struct emu_cpu *c, uint64_t lin, unsigned size, uint64_t val, int cpl)
{
	lin = mask_linear(c, lin);
	if ((c->efer & X86_EFER_LMA) &&
	    (!emu_is_canonical(lin) || !emu_is_canonical(lin + size - 1)))
		emu_raise(c, EXC_GP, 0);
	write_lin(c, lin, size, val, user_access(c, cpl));
}

/* ---- segment-relative (the instruction accessors) ---- */

/* The common case, checked inline before the general path: 64-bit code,
 * a segment without a base (not FS/GS), an access within one page whose
 * TLB entry allows it. Within one page, a canonical first byte means a
 * canonical last byte (the canonical boundaries are page boundaries), so
 * this is exactly what seg_linear() + read_lin()/write_lin() decide. */
static inline struct emu_tlb_entry *flat_hit(struct emu_cpu *c, int seg, uint64_t off,
					     unsigned size, enum emu_access acc)
{
	if (c->mode != MODE_LONG64 || seg == S_FS || seg == S_GS ||
	    (off & 0xfff) + size > 4096 ||
	    (uint64_t)((int64_t)(off << 16) >> 16) != off)
		return NULL;
	struct emu_tlb_entry *e = emu_tlb_hit(c, off, acc, c->cpl == 3);
	return e && e->host ? e : NULL;
}

uint64_t emu_read(struct emu_cpu *c, int seg, uint64_t off, unsigned size)
{
	struct emu_tlb_entry *e = flat_hit(c, seg, off, size, ACC_READ);

	if (e)
		return host_load(e->host + (off & 0xfff), size);
	uint64_t lin = seg_linear(c, seg, off, size, ACC_READ);
	return read_lin(c, lin, size, user_access(c, c->cpl));
}

void emu_write(struct emu_cpu *c, int seg, uint64_t off, unsigned size, uint64_t val)
{
	struct emu_tlb_entry *e = flat_hit(c, seg, off, size, ACC_WRITE);

	if (e) {
		host_store(e->host + (off & 0xfff), size, val);
		emu_code_write_check(c, e->ppage << 12);
		return;
	}
	uint64_t lin = seg_linear(c, seg, off, size, ACC_WRITE);
	write_lin(c, lin, size, val, user_access(c, c->cpl));
}

void emu_read_bytes(struct emu_cpu *c, int seg, uint64_t off, void *dst, unsigned len)
{
	if (!len)
		return;
	uint64_t lin = seg_linear(c, seg, off, len, ACC_READ);
	copy_lin(c, lin, dst, len, user_access(c, c->cpl), false);
}

void emu_write_bytes(struct emu_cpu *c, int seg, uint64_t off, const void *src, unsigned len)
{
	if (!len)
		return;
	uint64_t lin = seg_linear(c, seg, off, len, ACC_WRITE);
	copy_lin(c, lin, (uint8_t *)src, len, user_access(c, c->cpl), true);
}

/* Linear address of the code byte at CS:off, with the fetch checks. */
static uint64_t fetch_linear(struct emu_cpu *c, uint64_t off)
{
	if (c->mode == MODE_LONG64) {
		if (!emu_is_canonical(off))
			emu_raise(c, EXC_GP, 0);
		return off;
	}
	if (off > c->seg[S_CS].limit)
		emu_raise(c, EXC_GP, 0);
	return (c->seg[S_CS].base + off) & 0xffffffffULL;
}

uint8_t emu_fetch8(struct emu_cpu *c, uint64_t off)
{
	struct emu_xlate x;
	uint64_t lin = fetch_linear(c, off);
	emu_translate_or_fault(c, lin, ACC_FETCH, user_access(c, c->cpl), &x);
	if (x.host)
		return *x.host;
	uint8_t b = 0xff;
	mmio_access(c, x.gpa, &b, 1, false);
	return b;
}

/* Translates the code byte at CS:off for execution (faulting like a fetch)
 * and returns how many bytes from there stay in the same page and within
 * the CS limit. */
static unsigned fetch_xlate(struct emu_cpu *c, uint64_t off, struct emu_xlate *x)
{
	uint64_t lin = fetch_linear(c, off);
	struct emu_tlb_entry *e = emu_tlb_hit(c, lin, ACC_FETCH, c->cpl == 3);
	if (e && e->host) {
		x->host = e->host + (lin & 0xfff);
		x->gpa = (e->ppage << 12) | (lin & 0xfff);
	} else {
		emu_translate_or_fault(c, lin, ACC_FETCH, user_access(c, c->cpl), x);
	}
	unsigned n = 4096 - (lin & 0xfff);
	if (c->mode != MODE_LONG64) {
		uint64_t room = (uint64_t)c->seg[S_CS].limit - off + 1;
		if (n > room)
			n = (unsigned)room;
	}
	return n;
}

unsigned emu_fetch_bytes(struct emu_cpu *c, uint64_t off, uint8_t *dst, unsigned len, uint64_t *gpa)
{
	struct emu_xlate x;
	if (!len)
		return 0;
	unsigned n = fetch_xlate(c, off, &x);
	if (n > len)
		n = len;
	if (x.host && n == EMU_FETCH_FAST)
		memcpy(dst, x.host, EMU_FETCH_FAST); /* fixed size: a few moves */
	else if (x.host)
		memcpy(dst, x.host, n);
	else
		mmio_access(c, x.gpa, dst, n, false);
	if (gpa)
		*gpa = x.gpa;
	return n;
}

void *emu_rmw_ptr(struct emu_cpu *c, int seg, uint64_t off, unsigned size)
{
	struct emu_xlate x;
	uint64_t lin = seg_linear(c, seg, off, size, ACC_WRITE);
	if ((lin & 0xfff) + size > 4096)
		return NULL; /* split lock: the caller falls back to read + write */
	emu_translate_or_fault(c, lin, ACC_WRITE, user_access(c, c->cpl), &x);
	if (x.host)
		emu_code_write_check(c, x.gpa);
	return x.host;
}

const void *emu_read_ptr(struct emu_cpu *c, int seg, uint64_t off, unsigned size)
{
	struct emu_xlate x;
	uint64_t lin = seg_linear(c, seg, off, size, ACC_READ);
	if ((lin & 0xfff) + size > 4096)
		return NULL;
	emu_translate_or_fault(c, lin, ACC_READ, user_access(c, c->cpl), &x);
	return x.host;
}

const uint8_t *emu_fetch_ptr(struct emu_cpu *c, uint64_t off, uint64_t *gpa, unsigned *avail)
{
	struct emu_xlate x;
	*avail = fetch_xlate(c, off, &x);
	*gpa = x.gpa;
	return x.host;
}

unsigned emu_peek_code(struct emu_cpu *c, uint8_t *dst, unsigned len)
{
	unsigned got = 0;
	uint64_t rip = c->rip;
	while (got < len) {
		uint64_t lin;
		if (c->mode == MODE_LONG64)
			lin = rip + got;
		else
			lin = (c->seg[S_CS].base + ((rip + got) & 0xffffffffULL)) & 0xffffffffULL;
		if ((c->efer & X86_EFER_LMA) && !emu_is_canonical(lin))
			break;
		struct emu_xlate x;
		uint32_t pfec;
		if (emu_translate(c, lin, ACC_READ, false, &x, &pfec) < 0 || !x.host)
			break;
		dst[got++] = *x.host;
	}
	return got;
}
