/* Initial x86 CPU state: the boot GDT, identity page tables for 64-bit
 * entry, the register state boot protocols expect at the kernel's first
 * instruction (Linux boot.rst 32/64-bit protocol, Multiboot, PVH), and the
 * architectural reset state (SDM vol. 3, "Processor state after reset").
 *
 * Boot GDT at BOOT_GDT_ADDR:
 *   0x00 null
 *   0x08 the other code flavour (32-bit in LONG64, 64-bit in PROT32)
 *   0x10 __BOOT_CS: 64-bit code in LONG64, 32-bit flat code in PROT32
 *   0x18 __BOOT_DS: flat 32-bit read/write data
 *   0x20 busy TSS, base 0, limit 0x67 (16-byte system descriptor)
 * boot.rst requires CS = 0x10 and DS/ES/SS = 0x18 for both its 32-bit and
 * 64-bit protocols; Multiboot and PVH leave the selector values open. */
#include <string.h>

#include "vslice/x86_boot.h"

#define SEL_CODE_OTHER 0x08
#define SEL_BOOT_CS 0x10
#define SEL_BOOT_DS 0x18
#define SEL_TSS 0x20
#define GDT_BYTES 0x30 /* 4 descriptors + one 16-byte TSS descriptor */

/* Descriptor type nibbles (SDM vol. 3, 3.4.5.1 and 3.5). */
#define SEG_TYPE_DATA_RW_ACCESSED 0x3
#define SEG_TYPE_CODE_XR_ACCESSED 0xb
#define SEG_TYPE_LDT 0x2
#define SEG_TYPE_TSS_BUSY 0xb

#define TSS_LIMIT 0x67 /* 104-byte TSS, as the PVH ABI specifies */

/* Page-table entry bits. */
#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define PT_ENTRIES 512
#define PAGE_SIZE_4K 0x1000ULL
#define PAGE_SIZE_2M 0x200000ULL
#define IDENTITY_PDS 4 /* 4 x 1 GiB */
#define BOOT_PDPT_ADDR (BOOT_PML4_ADDR + PAGE_SIZE_4K)
#define BOOT_PD_ADDR (BOOT_PDPT_ADDR + PAGE_SIZE_4K)
#define BOOT_PT_END (BOOT_PD_ADDR + IDENTITY_PDS * PAGE_SIZE_4K)
#define IDENTITY_LIMIT 0x100000000ULL

#define APIC_BASE_DEFAULT 0xfee00000ULL
#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_ENABLE (1ULL << 11)

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The 8-byte descriptor for a segment as described in struct x86_seg. */
static uint64_t seg_descriptor(const struct x86_seg *s)
{
	uint32_t limit = s->g ? s->limit >> 12 : s->limit;
	uint64_t d = 0;
	d |= (uint64_t)(limit & 0xffff);
	d |= (uint64_t)(s->base & 0xffffff) << 16;
	d |= (uint64_t)(s->type & 0xf) << 40;
	d |= (uint64_t)(s->s & 1) << 44;
	d |= (uint64_t)(s->dpl & 3) << 45;
	d |= (uint64_t)(s->present & 1) << 47;
	d |= (uint64_t)((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)(s->avl & 1) << 52;
	d |= (uint64_t)(s->l & 1) << 53;
	d |= (uint64_t)(s->db & 1) << 54;
	d |= (uint64_t)(s->g & 1) << 55;
	d |= (uint64_t)((s->base >> 24) & 0xff) << 56;
	return d;
}

static struct x86_seg flat_seg(uint16_t selector, uint8_t type, bool code64)
{
	struct x86_seg s = {
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = selector,
	    .type = type,
	    .present = 1,
	    .dpl = 0,
	    .s = 1,
	    .g = 1,
	    .l = code64,
	    .db = !code64, /* L=1 requires D=0 */
	};
	return s;
}

static int write_gdt(struct guest_mem *gm, const struct x86_seg *boot_cs,
		     const struct x86_seg *other_cs, const struct x86_seg *ds,
		     const struct x86_seg *tr, struct errbuf *eb)
{
	uint8_t *g = gm_ptr(gm, BOOT_GDT_ADDR, GDT_BYTES);
	if (!g)
		return errbuf_set(
		    eb, "boot GDT at 0x%llx: not in guest RAM; give the guest more --memory",
		    (unsigned long long)BOOT_GDT_ADDR);
	memset(g, 0, GDT_BYTES);
	put64(g + SEL_CODE_OTHER, seg_descriptor(other_cs));
	put64(g + SEL_BOOT_CS, seg_descriptor(boot_cs));
	put64(g + SEL_BOOT_DS, seg_descriptor(ds));
	/* 16-byte system descriptor: upper half holds base[63:32], zero. */
	put64(g + SEL_TSS, seg_descriptor(tr));
	return 0;
}

/* PML4[0] -> PDPT, PDPT[0..3] -> 4 PDs of 2 MiB pages: [0, 4 GiB) maps to
 * itself, read/write, supervisor. */
static int write_identity_tables(struct guest_mem *gm, struct errbuf *eb)
{
	uint8_t *pt = gm_ptr(gm, BOOT_PML4_ADDR, BOOT_PT_END - BOOT_PML4_ADDR);
	if (!pt)
		return errbuf_set(eb,
				  "boot page tables at 0x%llx-0x%llx: not in guest RAM; "
				  "give the guest more --memory",
				  (unsigned long long)BOOT_PML4_ADDR,
				  (unsigned long long)BOOT_PT_END);
	memset(pt, 0, BOOT_PT_END - BOOT_PML4_ADDR);

	uint8_t *pml4 = pt;
	uint8_t *pdpt = pt + (BOOT_PDPT_ADDR - BOOT_PML4_ADDR);
	put64(pml4, BOOT_PDPT_ADDR | PTE_P | PTE_RW);
	for (unsigned i = 0; i < IDENTITY_PDS; i++) {
		uint64_t pd_gpa = BOOT_PD_ADDR + i * PAGE_SIZE_4K;
		uint8_t *pd = pt + (pd_gpa - BOOT_PML4_ADDR);
		put64(pdpt + 8 * i, pd_gpa | PTE_P | PTE_RW);
		for (unsigned j = 0; j < PT_ENTRIES; j++) {
			uint64_t addr = ((uint64_t)i * PT_ENTRIES + j) * PAGE_SIZE_2M;
			put64(pd + 8 * j, addr | PTE_P | PTE_RW | PTE_PS);
		}
	}
	return 0;
}

int x86_boot_cpu_state(struct guest_mem *gm, const struct boot_state *bs, struct x86_regs *r,
		       struct x86_sregs *s, struct errbuf *eb)
{
	bool long64;
	switch (bs->mode) {
	case BOOT_MODE_PROT32:
		long64 = false;
		break;
	case BOOT_MODE_LONG64:
		long64 = true;
		break;
	default:
		return errbuf_set(eb, "boot state: unknown CPU mode %d", (int)bs->mode);
	}
	const char *fmt = bs->format ? bs->format : "kernel";
	if (bs->entry >= IDENTITY_LIMIT)
		return errbuf_set(eb, "%s entry point 0x%llx: must lie below 4 GiB (%s)", fmt,
				  (unsigned long long)bs->entry,
				  long64 ? "only the first 4 GiB are identity-mapped"
					 : "32-bit entry");

	struct x86_seg boot_cs = flat_seg(SEL_BOOT_CS, SEG_TYPE_CODE_XR_ACCESSED, long64);
	struct x86_seg other_cs = flat_seg(SEL_CODE_OTHER, SEG_TYPE_CODE_XR_ACCESSED, !long64);
	struct x86_seg ds = flat_seg(SEL_BOOT_DS, SEG_TYPE_DATA_RW_ACCESSED, false);
	struct x86_seg tr = {
	    .selector = SEL_TSS,
	    .base = 0,
	    .limit = TSS_LIMIT,
	    .type = SEG_TYPE_TSS_BUSY,
	    .present = 1,
	};

	if (write_gdt(gm, &boot_cs, &other_cs, &ds, &tr, eb))
		return -1;
	if (long64 && write_identity_tables(gm, eb))
		return -1;

	memset(r, 0, sizeof(*r));
	r->rax = bs->rax;
	r->rbx = bs->rbx;
	r->rsi = bs->rsi;
	r->rsp = bs->rsp;
	r->rip = bs->entry;
	r->rflags = X86_RFLAGS_RESERVED1;
	if (!long64) {
		/* Only the low 32 bits exist in 32-bit mode. */
		r->rax &= 0xffffffff;
		r->rbx &= 0xffffffff;
		r->rsi &= 0xffffffff;
		r->rsp &= 0xffffffff;
	}

	memset(s, 0, sizeof(*s));
	s->cs = boot_cs;
	s->ds = ds;
	s->es = ds;
	s->fs = ds;
	s->gs = ds;
	s->ss = ds;
	s->tr = tr;
	s->ldt = (struct x86_seg){.type = SEG_TYPE_LDT, .unusable = true};
	s->gdt.base = BOOT_GDT_ADDR;
	s->gdt.limit = GDT_BYTES - 1;
	s->idt.base = 0;
	s->idt.limit = 0;
	s->apic_base = APIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_ENABLE;
	if (long64) {
		s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
		s->cr3 = BOOT_PML4_ADDR;
		s->cr4 = X86_CR4_PAE;
		s->efer = X86_EFER_LME | X86_EFER_LMA;
	} else {
		/* PVH: PE set, all other writable bits clear (ET is fixed). */
		s->cr0 = X86_CR0_PE | X86_CR0_ET;
	}
	return 0;
}

/* A real-mode data segment as reset leaves it: base 0, limit 0xffff,
 * present, read/write, accessed. */
static struct x86_seg reset_data_seg(void)
{
	struct x86_seg seg = {
	    .limit = 0xffff,
	    .type = SEG_TYPE_DATA_RW_ACCESSED,
	    .present = 1,
	    .s = 1,
	};
	return seg;
}

void x86_reset_cpu_state(struct x86_regs *r, struct x86_sregs *s)
{
	memset(r, 0, sizeof(*r));
	r->rip = 0xfff0;
	r->rflags = X86_RFLAGS_RESERVED1;
	/* EDX holds the processor signature (family 6); a back-end may put
	 * its CPUID leaf 1 EAX here instead. EAX 0: BIST passed. */
	r->rdx = 0x600;

	memset(s, 0, sizeof(*s));
	s->cs = reset_data_seg();
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	s->cs.type = SEG_TYPE_CODE_XR_ACCESSED;
	s->ds = reset_data_seg();
	s->es = reset_data_seg();
	s->fs = reset_data_seg();
	s->gs = reset_data_seg();
	s->ss = reset_data_seg();
	/* LDTR and TR: selector 0, base 0, limit 0xffff, present. TR is a
	 * busy 32-bit TSS, the type VT-x accepts outside long mode. */
	s->ldt = (struct x86_seg){.limit = 0xffff, .type = SEG_TYPE_LDT, .present = 1};
	s->tr = (struct x86_seg){.limit = 0xffff, .type = SEG_TYPE_TSS_BUSY, .present = 1};
	s->gdt.limit = 0xffff;
	s->idt.limit = 0xffff;
	s->cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET; /* 0x60000010 */
	/* The BSP's APIC: enabled at the default base. An AP clears bit 8. */
	s->apic_base = APIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_ENABLE;
}
