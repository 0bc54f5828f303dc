/* Software CPU: linear-to-physical translation. Page walks for 32-bit
 * (with PSE 4 MiB pages), PAE and 4-level paging with U/S, R/W (CR0.WP),
 * NX (EFER.NXE), global pages (CR4.PGE), reserved-bit checks, atomic
 * accessed/dirty updates, and a direct-mapped TLB in front of them. */
#include "emu_icache.h"
#include "emu_sys.h"
#include "vslice/x86_regs.h"

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_U (1ULL << 2)
#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)
#define PTE_G (1ULL << 8)
#define PTE_XD (1ULL << 63)
#define ADDR_4K 0x000ffffffffff000ULL

/* One paging-structure entry as read during a walk. */
struct walk_entry {
	uint64_t val;
	void *host;    /* NULL if the entry is not in RAM (no A/D update) */
	unsigned size; /* 4 or 8 */
	uint64_t gpa;
};

static void read_entry(struct emu_cpu *c, uint64_t gpa, unsigned size, struct walk_entry *e)
{
	e->size = size;
	e->gpa = gpa;
	e->host = gm_ptr(c->mem, gpa, size);
	if (e->host) {
		if (size == 4)
			e->val = __atomic_load_n((uint32_t *)e->host, __ATOMIC_ACQUIRE);
		else
			e->val = __atomic_load_n((uint64_t *)e->host, __ATOMIC_ACQUIRE);
	} else {
		e->val = 0;
		emu_phys_read(c, gpa, &e->val, size);
	}
}

static void set_bits(struct emu_cpu *c, struct walk_entry *e, uint64_t bits)
{
	if (!e->host || (e->val & bits) == bits)
		return;
	emu_code_write_check(c, e->gpa); /* page tables among running code */
	if (e->size == 4)
		__atomic_fetch_or((uint32_t *)e->host, (uint32_t)bits, __ATOMIC_ACQ_REL);
	else
		__atomic_fetch_or((uint64_t *)e->host, bits, __ATOMIC_ACQ_REL);
	e->val |= bits;
}

static void tlb_fill(struct emu_cpu *c, uint64_t vpage, uint64_t ppage, unsigned size_shift,
		     bool user, bool writable, bool nx, bool dirty, bool global)
{
	struct emu_tlb_entry *e = &c->tlb[vpage & (EMU_TLB_SIZE - 1)];
	e->vpage = vpage;
	e->ppage = ppage;
	e->host = gm_ptr(c->mem, ppage << 12, 4096);
	e->user = user;
	e->writable = writable;
	e->nx = nx;
	e->dirty = dirty;
	e->global = global;
	e->size_shift = (uint8_t)size_shift;
	emu_fast_tlb_set(c, (unsigned)(vpage & (EMU_TLB_SIZE - 1)));
}

void emu_tlb_flush(struct emu_cpu *c, bool include_global)
{
	for (unsigned i = 0; i < EMU_TLB_SIZE; i++) {
		/* (An empty entry's fast-TLB entries are empty already.) */
		if (c->tlb[i].vpage == ~0ULL || (!include_global && c->tlb[i].global))
			continue;
		c->tlb[i].vpage = ~0ULL;
		emu_fast_tlb_set(c, i);
	}
}

void emu_tlb_flush_page(struct emu_cpu *c, uint64_t lin)
{
	uint64_t vpage = lin >> 12;
	struct emu_tlb_entry *e = &c->tlb[vpage & (EMU_TLB_SIZE - 1)];
	if (e->vpage == vpage) {
		e->vpage = ~0ULL;
		emu_fast_tlb_set(c, (unsigned)(vpage & (EMU_TLB_SIZE - 1)));
	}
	/* A large page is cached as 4 KiB pieces: drop all of them. */
	for (unsigned i = 0; i < EMU_TLB_SIZE; i++) {
		e = &c->tlb[i];
		if (e->size_shift && e->vpage != ~0ULL &&
		    (e->vpage >> e->size_shift) == (vpage >> e->size_shift)) {
			e->vpage = ~0ULL;
			emu_fast_tlb_set(c, i);
		}
	}
}

/* The walk proper: fills the TLB and returns 0, or returns -1 with *pfec. */
static int walk(struct emu_cpu *c, uint64_t lin, enum emu_access acc, bool user, uint32_t *pfec)
{
	bool pae = c->cr4 & X86_CR4_PAE;
	bool lma = c->efer & X86_EFER_LMA;
	bool nxe = pae && (c->efer & X86_EFER_NXE);
	bool wp = c->cr0 & X86_CR0_WP;
	uint32_t base_err = (acc == ACC_WRITE ? PFEC_W : 0) | (user ? PFEC_U : 0) |
			    (acc == ACC_FETCH && nxe ? PFEC_I : 0);
	struct walk_entry ent[4];
	unsigned n = 0, size_shift = 0;
	bool all_user = true, all_write = true, any_nx = false;
	uint64_t page; /* physical address of the 4 KiB frame holding lin */

	if (!pae) {
		/* 32-bit paging. */
		uint32_t l = (uint32_t)lin;
		struct walk_entry *pde = &ent[n++];
		read_entry(c, (c->cr3 & 0xfffff000u) + ((l >> 22) & 0x3ff) * 4, 4, pde);
		if (!(pde->val & PTE_P))
			goto not_present;
		all_user &= !!(pde->val & PTE_U);
		all_write &= !!(pde->val & PTE_W);
		if ((pde->val & PTE_PS) && (c->cr4 & X86_CR4_PSE)) {
			/* 4 MiB page: bits 20:13 are physical bits 39:32, bit 21 reserved. */
			if (pde->val & (1u << 21))
				goto reserved;
			uint64_t big = (pde->val & 0xffc00000u) | (((pde->val >> 13) & 0xff) << 32);
			page = big | (l & 0x3ff000u);
			size_shift = 10;
		} else {
			struct walk_entry *pte = &ent[n++];
			read_entry(c, (pde->val & 0xfffff000u) + ((l >> 12) & 0x3ff) * 4, 4, pte);
			if (!(pte->val & PTE_P))
				goto not_present;
			all_user &= !!(pte->val & PTE_U);
			all_write &= !!(pte->val & PTE_W);
			page = pte->val & 0xfffff000u;
		}
	} else {
		/* PAE or 4-level: 8-byte entries. */
		uint64_t rsvd = lma ? (ADDR_4K & ~EMU_PHYS_MASK)
				    : (0x7ff0000000000000ULL | (ADDR_4K & ~EMU_PHYS_MASK));
		if (!(c->efer & X86_EFER_NXE))
			rsvd |= PTE_XD;
		uint64_t table;
		int level;
		if (lma) {
			table = c->cr3 & ADDR_4K & EMU_PHYS_MASK;
			level = 4;
		} else {
			struct walk_entry *pdpte = &ent[n++];
			read_entry(c, (c->cr3 & 0xffffffe0u) + ((lin >> 30) & 3) * 8, 8, pdpte);
			if (!(pdpte->val & PTE_P))
				goto not_present;
			if (pdpte->val &
			    (0xfff0000000000000ULL | (ADDR_4K & ~EMU_PHYS_MASK) | 0x1e6))
				goto reserved;
			table = pdpte->val & ADDR_4K;
			level = 2;
		}
		for (;; level--) {
			unsigned shift = 12 + 9 * (level - 1);
			struct walk_entry *e = &ent[n++];
			read_entry(c, table + ((lin >> shift) & 0x1ff) * 8, 8, e);
			if (!(e->val & PTE_P))
				goto not_present;
			if (e->val & rsvd)
				goto reserved;
			all_user &= !!(e->val & PTE_U);
			all_write &= !!(e->val & PTE_W);
			any_nx |= !!(e->val & PTE_XD);
			if (level == 1) {
				page = e->val & ADDR_4K;
				break;
			}
			if (e->val & PTE_PS) {
				if (level == 4)
					goto reserved; /* PS is reserved in a PML4E */
				/* 1 GiB (level 3) or 2 MiB (level 2) page: the
				 * low address bits above bit 12 (PAT) are reserved. */
				uint64_t low_rsvd = ((1ULL << shift) - 1) & ~0x1fffULL;
				if (e->val & low_rsvd)
					goto reserved;
				uint64_t big = e->val & ADDR_4K & ~((1ULL << shift) - 1);
				page = big | (lin & ((1ULL << shift) - 1) & ~0xfffULL);
				size_shift = shift - 12;
				break;
			}
			table = e->val & ADDR_4K;
		}
	}

	/* Access rights, from all levels together. */
	if (user && !all_user)
		goto protection;
	if (acc == ACC_WRITE && !all_write && (user || wp))
		goto protection;
	if (acc == ACC_FETCH && nxe && any_nx)
		goto protection;

	/* Accessed on every level, dirty on the last one for writes. A PAE
	 * PDPTE has no accessed bit (bit 5 is reserved there). */
	for (unsigned i = (pae && !lma) ? 1 : 0; i < n; i++)
		set_bits(c, &ent[i], PTE_A);
	struct walk_entry *last = &ent[n - 1];
	if (acc == ACC_WRITE)
		set_bits(c, last, PTE_D);
	/* Without RAM behind the entry, we cannot record dirtiness: treat
	 * the page as dirty so writes do not walk again and again. */
	bool dirty = !last->host || (last->val & PTE_D);
	bool global = (c->cr4 & X86_CR4_PGE) && (last->val & PTE_G);
	tlb_fill(c, lin >> 12, page >> 12, size_shift, all_user, all_write, nxe && any_nx, dirty,
		 global);
	return 0;

not_present:
	*pfec = base_err;
	return -1;
reserved:
	*pfec = base_err | PFEC_P | PFEC_RSVD;
	return -1;
protection:
	*pfec = base_err | PFEC_P;
	return -1;
}

int emu_translate(struct emu_cpu *c, uint64_t lin, enum emu_access acc, bool user,
		  struct emu_xlate *out, uint32_t *pfec)
{
	uint64_t vpage = lin >> 12;
	struct emu_tlb_entry *e = emu_tlb_hit(c, lin, acc, user);

	if (!e) {
		if (!(c->cr0 & X86_CR0_PG)) {
			/* No paging: identity, everything allowed. */
			tlb_fill(c, vpage, vpage & (EMU_PHYS_MASK >> 12), 0, true, true, false,
				 true, false);
		} else if (walk(c, lin, acc, user, pfec) < 0) {
			return -1;
		}
		e = &c->tlb[vpage & (EMU_TLB_SIZE - 1)];
	}
	uint64_t off = lin & 0xfff;
	out->gpa = (e->ppage << 12) | off;
	out->host = e->host ? e->host + off : NULL;
	return 0;
}

void emu_translate_or_fault(struct emu_cpu *c, uint64_t lin, enum emu_access acc, bool user,
			    struct emu_xlate *out)
{
	uint32_t pfec;
	if (emu_translate(c, lin, acc, user, out, &pfec) < 0) {
		c->cr2 = lin;
		emu_raise(c, EXC_PF, pfec);
	}
}
