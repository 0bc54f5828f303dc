/* Initial x86 CPU state: boot GDT, identity page tables, the registers of
 * 64-bit and 32-bit entry, and the architectural reset state. */
#include <stdbool.h>
#include <stdlib.h>

#include "unit.h"
#include "vslice/x86_boot.h"

#define BUF_SIZE 0x100000

struct fixture {
	uint8_t *buf;
	struct guest_mem gm;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->buf = malloc(BUF_SIZE);
	memset(f->buf, 0xcc, BUF_SIZE); /* stale bytes the builder must clear */
	guest_mem_init_buffer(&f->gm, f->buf, BUF_SIZE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->buf);
	free(f);
	return 0;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Decodes the GDT descriptor a selector names and checks it against the
 * segment register state the CPU is given. */
static void check_descriptor(const struct fixture *f, const struct x86_sregs *s,
			     const struct x86_seg *seg)
{
	assert_int_equal(seg->selector & 7, 0); /* GDT, RPL 0 */
	assert_true(seg->selector + 8u <= s->gdt.limit + 1u);
	uint64_t d = rd64(f->buf + s->gdt.base + seg->selector);
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 48) & 0xf) << 16);
	uint64_t base = ((d >> 16) & 0xffffff) | ((d >> 56) & 0xff) << 24;
	unsigned g = (d >> 55) & 1;
	if (g)
		limit = limit << 12 | 0xfff;
	assert_int_equal(base, seg->base);
	assert_int_equal(limit, seg->limit);
	assert_int_equal((d >> 40) & 0xf, seg->type);
	assert_int_equal((d >> 44) & 1, seg->s);
	assert_int_equal((d >> 45) & 3, seg->dpl);
	assert_int_equal((d >> 47) & 1, seg->present);
	assert_int_equal((d >> 52) & 1, seg->avl);
	assert_int_equal((d >> 53) & 1, seg->l);
	assert_int_equal((d >> 54) & 1, seg->db);
	assert_int_equal(g, seg->g);
}

static void check_flat(const struct x86_seg *s, uint16_t sel, uint8_t type)
{
	assert_int_equal(s->selector, sel);
	assert_int_equal(s->base, 0);
	assert_int_equal(s->limit, 0xffffffff);
	assert_int_equal(s->type, type);
	assert_int_equal(s->s, 1);
	assert_int_equal(s->present, 1);
	assert_int_equal(s->dpl, 0);
	assert_int_equal(s->g, 1);
	assert_false(s->unusable);
}

static void check_common(const struct fixture *f, const struct x86_regs *r,
			 const struct x86_sregs *s)
{
	assert_int_equal(r->rflags, 0x2);
	assert_int_equal(s->gdt.base, BOOT_GDT_ADDR);
	/* Linux boot protocol (32- and 64-bit): CS 0x10, DS/ES/SS 0x18. */
	check_flat(&s->ds, 0x18, 0x3);
	check_flat(&s->es, 0x18, 0x3);
	check_flat(&s->ss, 0x18, 0x3);
	check_flat(&s->fs, 0x18, 0x3);
	check_flat(&s->gs, 0x18, 0x3);
	assert_int_equal(s->ds.db, 1);
	assert_int_equal(s->cs.selector, 0x10);
	check_descriptor(f, s, &s->cs);
	check_descriptor(f, s, &s->ds);
	check_descriptor(f, s, &s->ss);
	/* TR: busy TSS (type 11), usable, base 0 limit 0x67, its GDT
	 * descriptor a 16-byte system descriptor whose upper half is 0. */
	assert_int_equal(s->tr.type, 11);
	assert_int_equal(s->tr.s, 0);
	assert_int_equal(s->tr.present, 1);
	assert_false(s->tr.unusable);
	assert_int_equal(s->tr.base, 0);
	assert_int_equal(s->tr.limit, 0x67);
	assert_int_not_equal(s->tr.selector, 0);
	check_descriptor(f, s, &s->tr);
	assert_true(s->tr.selector + 16u <= s->gdt.limit + 1u);
	assert_int_equal(rd64(f->buf + s->gdt.base + s->tr.selector + 8), 0);
	assert_true(s->ldt.unusable);
	/* Null descriptor. */
	assert_int_equal(rd64(f->buf + BOOT_GDT_ADDR), 0);
	assert_int_equal(s->apic_base, 0xfee00900);
}

static void test_long64(void **state)
{
	struct fixture *f = *state;
	struct boot_state bs = {
	    .mode = BOOT_MODE_LONG64,
	    .entry = 0x1000200,
	    .rax = 0x11,
	    .rbx = 0x22,
	    .rsi = BOOT_INFO_ADDR,
	    .rsp = 0x8ff0,
	    .format = "bzImage",
	};
	struct x86_regs r;
	struct x86_sregs s;
	struct errbuf eb = {{0}};
	memset(&r, 0xee, sizeof(r));
	assert_int_equal(x86_boot_cpu_state(&f->gm, &bs, &r, &s, &eb), 0);

	assert_int_equal(r.rip, 0x1000200);
	assert_int_equal(r.rax, 0x11);
	assert_int_equal(r.rbx, 0x22);
	assert_int_equal(r.rsi, BOOT_INFO_ADDR);
	assert_int_equal(r.rsp, 0x8ff0);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdi, 0);
	assert_int_equal(r.rbp, 0);
	assert_int_equal(r.r15, 0);
	check_common(f, &r, &s);

	check_flat(&s.cs, 0x10, 0xb);
	assert_int_equal(s.cs.l, 1);
	assert_int_equal(s.cs.db, 0);
	assert_int_equal(s.cr0, 0x80000031); /* PG | NE | ET | PE */
	assert_int_equal(s.cr4, 0x20);	     /* PAE */
	assert_int_equal(s.efer, 0x500);     /* LMA | LME */
	assert_int_equal(s.cr3, BOOT_PML4_ADDR);
	/* The other code selector is a 32-bit flat code segment. */
	uint64_t other = rd64(f->buf + BOOT_GDT_ADDR + 0x08);
	assert_int_equal(other, 0x00cf9b000000ffffULL);
	assert_int_equal(rd64(f->buf + BOOT_GDT_ADDR + 0x10), 0x00af9b000000ffffULL);
	assert_int_equal(rd64(f->buf + BOOT_GDT_ADDR + 0x18), 0x00cf93000000ffffULL);
}

/* Walks the 4-level page tables like the MMU, for a 2 MiB-page mapping. */
static uint64_t translate(const struct fixture *f, uint64_t cr3, uint64_t va, bool *ok)
{
	*ok = false;
	uint64_t pml4e = rd64(f->buf + cr3 + 8 * ((va >> 39) & 511));
	if ((pml4e & 3) != 3)
		return 0;
	uint64_t pdpte = rd64(f->buf + (pml4e & ~0xfffULL) + 8 * ((va >> 30) & 511));
	if ((pdpte & 3) != 3 || (pdpte & 0x80))
		return 0;
	uint64_t pde = rd64(f->buf + (pdpte & ~0xfffULL) + 8 * ((va >> 21) & 511));
	if ((pde & 0x83) != 0x83)
		return 0;
	*ok = true;
	return (pde & ~0x1fffffULL) | (va & 0x1fffff);
}

static void test_identity_map(void **state)
{
	struct fixture *f = *state;
	struct boot_state bs = {.mode = BOOT_MODE_LONG64, .entry = 0x100000};
	struct x86_regs r;
	struct x86_sregs s;
	assert_int_equal(x86_boot_cpu_state(&f->gm, &bs, &r, &s, NULL), 0);

	/* Every 2 MiB page of [0, 4 GiB) maps to itself. */
	for (uint64_t va = 0; va < 0x100000000ULL; va += 0x200000) {
		bool ok;
		uint64_t pa = translate(f, s.cr3, va + 0x1234, &ok);
		assert_true(ok);
		assert_int_equal(pa, va + 0x1234);
	}
	bool ok;
	translate(f, s.cr3, 0x100000000ULL, &ok);
	assert_false(ok);
	translate(f, s.cr3, 0xffffffff81000000ULL, &ok);
	assert_false(ok);

	/* Exact entries: PML4[0] -> PDPT, PDPT[i] -> PD i, no user/NX bits. */
	assert_int_equal(rd64(f->buf + 0x1000), 0x2003);
	for (int i = 1; i < 512; i++)
		assert_int_equal(rd64(f->buf + 0x1000 + 8 * i), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rd64(f->buf + 0x2000 + 8 * i), 0x3003 + 0x1000 * i);
	for (int i = 4; i < 512; i++)
		assert_int_equal(rd64(f->buf + 0x2000 + 8 * i), 0);
	assert_int_equal(rd64(f->buf + 0x3000), 0x83);
	assert_int_equal(rd64(f->buf + 0x3008), 0x200083);
	assert_int_equal(rd64(f->buf + 0x6ff8), 0xffe00083);
	/* Nothing written past the last PD (BOOT_INFO_ADDR untouched). */
	assert_int_equal(f->buf[BOOT_INFO_ADDR], 0xcc);
}

static void test_prot32(void **state)
{
	struct fixture *f = *state;
	struct boot_state bs = {
	    .mode = BOOT_MODE_PROT32,
	    .entry = 0x100000,
	    .rax = 0x2badb002,
	    .rbx = 0x7000,
	    .rsi = 0xffffffff00000123ULL,
	    .rsp = 0,
	    .format = "Multiboot",
	};
	struct x86_regs r;
	struct x86_sregs s;
	assert_int_equal(x86_boot_cpu_state(&f->gm, &bs, &r, &s, NULL), 0);
	assert_int_equal(r.rip, 0x100000);
	assert_int_equal(r.rax, 0x2badb002);
	assert_int_equal(r.rbx, 0x7000);
	assert_int_equal(r.rsi, 0x123); /* 32-bit mode has only the low half */
	check_common(f, &r, &s);

	check_flat(&s.cs, 0x10, 0xb);
	assert_int_equal(s.cs.l, 0);
	assert_int_equal(s.cs.db, 1);
	assert_int_equal(s.cr0, 0x11); /* PE | ET, paging off */
	assert_int_equal(s.cr4, 0);
	assert_int_equal(s.efer, 0);
	assert_int_equal(s.cr3, 0);
	assert_int_equal(rd64(f->buf + BOOT_GDT_ADDR + 0x10), 0x00cf9b000000ffffULL);
	assert_int_equal(rd64(f->buf + BOOT_GDT_ADDR + 0x08), 0x00af9b000000ffffULL);
	/* No page tables written. */
	assert_int_equal(f->buf[BOOT_PML4_ADDR], 0xcc);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	struct x86_regs r;
	struct x86_sregs s;
	struct errbuf eb = {{0}};

	struct boot_state bs = {
	    .mode = BOOT_MODE_LONG64, .entry = 0xffffffff81000000ULL, .format = "ELF64"};
	assert_int_equal(x86_boot_cpu_state(&f->gm, &bs, &r, &s, &eb), -1);
	assert_non_null(strstr(eb.msg, "ELF64 entry point 0xffffffff81000000"));
	bs.mode = BOOT_MODE_PROT32;
	bs.entry = 0x100000000ULL;
	assert_int_equal(x86_boot_cpu_state(&f->gm, &bs, &r, &s, &eb), -1);
	bs.mode = (enum boot_cpu_mode)7;
	bs.entry = 0x100000;
	assert_int_equal(x86_boot_cpu_state(&f->gm, &bs, &r, &s, &eb), -1);

	/* Guest RAM too small for the page tables (GDT fits). */
	struct guest_mem tiny;
	guest_mem_init_buffer(&tiny, f->buf, 0x3000);
	bs.mode = BOOT_MODE_LONG64;
	eb.msg[0] = 0;
	assert_int_equal(x86_boot_cpu_state(&tiny, &bs, &r, &s, &eb), -1);
	assert_non_null(strstr(eb.msg, "page tables"));
	/* ... but enough for a 32-bit entry. */
	bs.mode = BOOT_MODE_PROT32;
	assert_int_equal(x86_boot_cpu_state(&tiny, &bs, &r, &s, &eb), 0);
	/* Not even the GDT. */
	guest_mem_init_buffer(&tiny, f->buf, 0x400);
	assert_int_equal(x86_boot_cpu_state(&tiny, &bs, &r, &s, &eb), -1);
	assert_non_null(strstr(eb.msg, "GDT"));
}

static void check_reset_data_seg(const struct x86_seg *s)
{
	assert_int_equal(s->selector, 0);
	assert_int_equal(s->base, 0);
	assert_int_equal(s->limit, 0xffff);
	assert_int_equal(s->type, 0x3);
	assert_int_equal(s->present, 1);
	assert_int_equal(s->s, 1);
	assert_int_equal(s->db, 0);
	assert_int_equal(s->g, 0);
	assert_int_equal(s->l, 0);
	assert_false(s->unusable);
}

static void test_reset_state(void **state)
{
	struct x86_regs r;
	struct x86_sregs s;
	memset(&r, 0xee, sizeof(r));
	memset(&s, 0xee, sizeof(s));
	x86_reset_cpu_state(&r, &s);

	assert_int_equal(r.rip, 0xfff0);
	assert_int_equal(r.rflags, 0x2);
	assert_int_equal(r.rax, 0);
	assert_int_equal(r.rdx & 0xff00, 0x0600); /* family 6 signature */
	assert_int_equal(r.rsp, 0);
	assert_int_equal(r.r8, 0);
	assert_int_equal(s.cs.selector, 0xf000);
	assert_int_equal(s.cs.base, 0xffff0000);
	assert_int_equal(s.cs.limit, 0xffff);
	assert_int_equal(s.cs.type, 0xb);
	assert_int_equal(s.cs.present, 1);
	assert_int_equal(s.cs.s, 1);
	assert_int_equal(s.cs.db, 0);
	/* First instruction fetched from 0xfffffff0. */
	assert_int_equal(s.cs.base + r.rip, 0xfffffff0);
	check_reset_data_seg(&s.ds);
	check_reset_data_seg(&s.es);
	check_reset_data_seg(&s.fs);
	check_reset_data_seg(&s.gs);
	check_reset_data_seg(&s.ss);
	assert_int_equal(s.gdt.base, 0);
	assert_int_equal(s.gdt.limit, 0xffff);
	assert_int_equal(s.idt.base, 0);
	assert_int_equal(s.idt.limit, 0xffff);
	assert_int_equal(s.ldt.limit, 0xffff);
	assert_int_equal(s.ldt.type, 2);
	assert_int_equal(s.ldt.present, 1);
	assert_int_equal(s.tr.limit, 0xffff);
	assert_int_equal(s.tr.type, 11);
	assert_int_equal(s.tr.present, 1);
	assert_int_equal(s.cr0, 0x60000010);
	assert_int_equal(s.cr2, 0);
	assert_int_equal(s.cr3, 0);
	assert_int_equal(s.cr4, 0);
	assert_int_equal(s.cr8, 0);
	assert_int_equal(s.efer, 0);
	assert_int_equal(s.apic_base, 0xfee00900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_long64, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_identity_map, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prot32, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test(test_reset_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
