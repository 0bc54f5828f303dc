/* Unit tests for the software CPU's memory side (emu_mmu.c, emu_paging.c):
 * segment checks, page walks with every permission bit in 32-bit, PAE and
 * 4-level paging, page-fault error codes and CR2, accessed/dirty updates,
 * TLB flushes, page-crossing accesses and MMIO. Guest memory is a plain
 * buffer; the expected values come from the Intel SDM vol. 3, chapter 4. */
#include <stdlib.h>

#include "unit.h"

#include "../../src/accel/emu/emu_sys.h"
#include "vslice/x86_regs.h"

#define MEM_SIZE (16u << 20)

struct fixture {
	struct emu_cpu *c;
	uint8_t *ram;
	struct guest_mem gm;
	unsigned mmio_reads, mmio_writes;
	uint64_t mmio_last_addr, mmio_last_val;
};

static bool test_mmio(void *opaque, uint64_t addr, void *data, unsigned len, bool is_write)
{
	struct fixture *f = opaque;
	f->mmio_last_addr = addr;
	if (is_write) {
		f->mmio_writes++;
		f->mmio_last_val = 0;
		memcpy(&f->mmio_last_val, data, len);
	} else {
		f->mmio_reads++;
		memset(data, 0xab, len);
	}
	return true;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->c = calloc(1, sizeof(*f->c));
	f->ram = calloc(1, MEM_SIZE);
	guest_mem_init_buffer(&f->gm, f->ram, MEM_SIZE);
	f->c->mem = &f->gm;
	f->c->io.opaque = f;
	f->c->io.mmio = test_mmio;
	emu_cpu_reset(f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->ram);
	free(f->c);
	free(f);
	return 0;
}

static void put32(struct fixture *f, uint64_t gpa, uint32_t v)
{
	memcpy(f->ram + gpa, &v, 4);
}

static void put64(struct fixture *f, uint64_t gpa, uint64_t v)
{
	memcpy(f->ram + gpa, &v, 8);
}

static uint32_t get32(struct fixture *f, uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, f->ram + gpa, 4);
	return v;
}

static uint64_t get64(struct fixture *f, uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, f->ram + gpa, 8);
	return v;
}

/* Flat 4 GiB segments at the given CPL, protected mode. */
static void flat32(struct emu_cpu *c, int cpl)
{
	for (int i = 0; i < S_COUNT; i++)
		emu_seg_flat_data(&c->seg[i], (uint16_t)(0x10 | cpl), cpl);
	emu_seg_flat_code(&c->seg[S_CS], (uint16_t)(0x08 | cpl), cpl, false);
	c->cr0 |= X86_CR0_PE | X86_CR0_ET;
	emu_update_mode(c);
}

/* Outcome of an access: -1 if it completed, else the exception vector. */
static int try_read(struct emu_cpu *c, int seg, uint64_t off, unsigned size, uint64_t *v)
{
	if (setjmp(c->fault_jmp))
		return c->pending_exc;
	*v = emu_read(c, seg, off, size);
	return -1;
}

static int try_write(struct emu_cpu *c, int seg, uint64_t off, unsigned size, uint64_t v)
{
	if (setjmp(c->fault_jmp))
		return c->pending_exc;
	emu_write(c, seg, off, size, v);
	return -1;
}

static int try_fetch(struct emu_cpu *c, uint64_t off, uint8_t *b)
{
	if (setjmp(c->fault_jmp))
		return c->pending_exc;
	*b = emu_fetch8(c, off);
	return -1;
}

static int try_cr(struct emu_cpu *c, int cr, uint64_t v)
{
	if (setjmp(c->fault_jmp))
		return c->pending_exc;
	emu_write_cr(c, cr, v);
	return -1;
}

#define P 1u
#define W 2u
#define U 4u
#define A 0x20u
#define D 0x40u
#define PS 0x80u
#define G 0x100u
#define XD (1ULL << 63)

/* ---- 32-bit paging ---- */

/* PD at 0x10000, PT at 0x11000 for linear 0x00400000-0x007fffff. */
static void paging32(struct fixture *f, bool wp)
{
	struct emu_cpu *c = f->c;
	flat32(c, 0);
	put32(f, 0x10000 + 1 * 4, 0x11000 | P | W | U);
	c->cr3 = 0x10000;
	c->cr0 |= X86_CR0_PG | (wp ? X86_CR0_WP : 0);
	emu_tlb_flush(c, true);
	emu_update_mode(c);
}

static void test_paging32_translate_and_ad(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging32(f, false);
	put32(f, 0x11000 + 5 * 4, 0x200000 | P | W | U); /* 0x405000 -> 0x200000 */
	put32(f, 0x200010, 0xdeadbeef);
	uint64_t v;
	assert_int_equal(try_read(c, S_DS, 0x405010, 4, &v), -1);
	assert_int_equal(v, 0xdeadbeef);
	/* Accessed set on both levels, dirty not set by a read. */
	assert_int_equal(get32(f, 0x10004) & (A | D), A);
	assert_int_equal(get32(f, 0x11014) & (A | D), A);
	assert_int_equal(try_write(c, S_DS, 0x405020, 2, 0x1234), -1);
	assert_int_equal(get32(f, 0x11014) & (A | D), A | D);
	assert_int_equal(f->ram[0x200020], 0x34);
	assert_int_equal(f->ram[0x200021], 0x12);
	/* The page directory entry never gets D (it maps a table). */
	assert_int_equal(get32(f, 0x10004) & D, 0);
}

static void test_paging32_not_present(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging32(f, false);
	uint64_t v;
	/* PDE not present (linear 0x00800000: PDE 2). */
	assert_int_equal(try_read(c, S_DS, 0x00812345, 4, &v), EXC_PF);
	assert_int_equal(c->pending_err, 0);
	assert_int_equal(c->cr2, 0x00812345);
	/* PTE not present, write: W/R set. */
	assert_int_equal(try_write(c, S_DS, 0x00406ffc, 4, 1), EXC_PF);
	assert_int_equal(c->pending_err, W);
	assert_int_equal(c->cr2, 0x00406ffc);
	/* User mode: U/S set. */
	flat32(c, 3);
	assert_int_equal(try_read(c, S_DS, 0x00406000, 1, &v), EXC_PF);
	assert_int_equal(c->pending_err, U);
}

static void test_paging32_rw_wp(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging32(f, false);
	put32(f, 0x11000 + 7 * 4, 0x300000 | P | U); /* read-only user page */
	/* Supervisor write to a read-only page: allowed with WP = 0. */
	assert_int_equal(try_write(c, S_DS, 0x407000, 4, 0x11111111), -1);
	assert_int_equal(get32(f, 0x300000), 0x11111111);
	/* With WP = 1: #PF P|W. */
	assert_int_equal(try_cr(c, 0, c->cr0 | X86_CR0_WP), -1);
	assert_int_equal(try_write(c, S_DS, 0x407004, 4, 0x22222222), EXC_PF);
	assert_int_equal(c->pending_err, P | W);
	assert_int_equal(get32(f, 0x300004), 0);
	/* User write to the read-only page: P|W|U whatever WP says. */
	assert_int_equal(try_cr(c, 0, c->cr0 & ~X86_CR0_WP), -1);
	flat32(c, 3);
	c->cr0 |= X86_CR0_PG;
	emu_update_mode(c);
	assert_int_equal(try_write(c, S_DS, 0x407008, 4, 1), EXC_PF);
	assert_int_equal(c->pending_err, P | W | U);
	assert_int_equal(c->cr2, 0x407008);
	/* R/W clear in the PDE only also makes the page read-only. */
	put32(f, 0x10000 + 1 * 4, 0x11000 | P | U);
	put32(f, 0x11000 + 8 * 4, 0x301000 | P | W | U);
	emu_tlb_flush(c, true);
	assert_int_equal(try_write(c, S_DS, 0x408000, 4, 1), EXC_PF);
	assert_int_equal(c->pending_err, P | W | U);
}

static void test_paging32_user_supervisor(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging32(f, false);
	put32(f, 0x11000 + 9 * 4, 0x302000 | P | W); /* supervisor page */
	uint64_t v;
	assert_int_equal(try_read(c, S_DS, 0x409000, 4, &v), -1);
	flat32(c, 3);
	c->cr0 |= X86_CR0_PG;
	emu_update_mode(c);
	assert_int_equal(try_read(c, S_DS, 0x409000, 4, &v), EXC_PF);
	assert_int_equal(c->pending_err, P | U);
	uint8_t b;
	assert_int_equal(try_fetch(c, 0x409000, &b), EXC_PF);
	/* 32-bit paging: no I/D bit (no NX, no SMEP). */
	assert_int_equal(c->pending_err, P | U);
	/* Implicit supervisor accesses (descriptor tables) are allowed. */
	if (setjmp(c->fault_jmp) == 0)
		v = emu_read_linear(c, 0x409000, 4, 0);
	else
		fail_msg("supervisor linear read faulted");
}

static void test_paging32_pse(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging32(f, false);
	/* PDE 3 (0x00c00000) as a 4 MiB page at physical 0x00800000. */
	put32(f, 0x10000 + 3 * 4, 0x00800000 | P | W | PS);
	put32(f, 0x800000 + 0x1234, 0xcafef00d);
	uint64_t v;
	/* Without CR4.PSE the PS bit is ignored: 0x00800000 is then a page
	 * table (all zero: not present). */
	assert_int_equal(try_read(c, S_DS, 0x00c01234, 4, &v), EXC_PF);
	assert_int_equal(c->pending_err, 0);
	assert_int_equal(try_cr(c, 4, X86_CR4_PSE), -1);
	assert_int_equal(try_read(c, S_DS, 0x00c01234, 4, &v), -1);
	assert_int_equal(v, 0xcafef00d);
	assert_int_equal(try_write(c, S_DS, 0x00c01238, 4, 5), -1);
	assert_int_equal(get32(f, 0x10000 + 3 * 4) & (A | D), A | D);
	/* Bit 21 of a 4 MiB PDE is reserved (MAXPHYADDR 40). */
	put32(f, 0x10000 + 3 * 4, 0x00800000 | P | W | PS | (1u << 21));
	emu_tlb_flush(c, true);
	assert_int_equal(try_read(c, S_DS, 0x00c01234, 4, &v), EXC_PF);
	assert_int_equal(c->pending_err, P | 8);
	/* Bits 20:13 are physical address bits 39:32: beyond RAM -> MMIO. */
	put32(f, 0x10000 + 3 * 4, 0x00800000 | P | W | PS | (1u << 13));
	emu_tlb_flush(c, true);
	f->mmio_reads = 0;
	assert_int_equal(try_read(c, S_DS, 0x00c01234, 4, &v), -1);
	assert_int_equal(f->mmio_reads, 1);
	assert_int_equal(f->mmio_last_addr, 0x100801234ULL);
}

/* ---- PAE ---- */

/* PDPT at 0x20000, PD at 0x21000 (for 0-1 GiB), PT at 0x22000 (0-2 MiB). */
static void paging_pae(struct fixture *f, bool nxe)
{
	struct emu_cpu *c = f->c;
	flat32(c, 0);
	put64(f, 0x20000, 0x21000 | P);
	put64(f, 0x21000, 0x22000 | P | W | U);
	c->cr3 = 0x20000;
	c->cr4 = X86_CR4_PAE;
	c->efer = nxe ? X86_EFER_NXE : 0;
	c->cr0 |= X86_CR0_PG;
	emu_tlb_flush(c, true);
	emu_update_mode(c);
}

static void test_pae_nx(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging_pae(f, true);
	put64(f, 0x22000 + 0x10 * 8, 0x400000 | P | W | XD); /* 0x10000: data only */
	put64(f, 0x22000 + 0x11 * 8, 0x401000 | P | W);	     /* 0x11000: code */
	f->ram[0x401000] = 0x90;
	uint8_t b;
	uint64_t v;
	assert_int_equal(try_fetch(c, 0x11000, &b), -1);
	assert_int_equal(b, 0x90);
	assert_int_equal(try_read(c, S_DS, 0x10000, 4, &v), -1);
	/* The PDPTE is left alone (no accessed bit in PAE PDPTEs). */
	assert_int_equal(get64(f, 0x20000), 0x21000 | P);
	assert_int_equal(try_fetch(c, 0x10000, &b), EXC_PF);
	assert_int_equal(c->pending_err, P | 0x10); /* I/D */
	assert_int_equal(c->cr2, 0x10000);
	/* Not-present fetch with NXE: I/D too. */
	assert_int_equal(try_fetch(c, 0x12000, &b), EXC_PF);
	assert_int_equal(c->pending_err, 0x10);
	/* XD in a non-leaf entry forbids execution of the whole range. */
	put64(f, 0x21000, 0x22000 | P | W | U | XD);
	emu_tlb_flush(c, true);
	assert_int_equal(try_fetch(c, 0x11000, &b), EXC_PF);
	assert_int_equal(c->pending_err, P | 0x10);
}

static void test_pae_reserved_bits(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging_pae(f, false);
	put64(f, 0x22000 + 0x10 * 8, 0x400000 | P | W | XD);
	uint64_t v;
	uint8_t b;
	/* XD with EFER.NXE = 0 is a reserved bit. */
	assert_int_equal(try_read(c, S_DS, 0x10000, 4, &v), EXC_PF);
	assert_int_equal(c->pending_err, P | 8);
	/* A fetch fault without NXE has no I/D bit. */
	assert_int_equal(try_fetch(c, 0x10000, &b), EXC_PF);
	assert_int_equal(c->pending_err, P | 8);
	/* Physical address bits above MAXPHYADDR (40). */
	put64(f, 0x22000 + 0x10 * 8, (1ULL << 40) | 0x400000 | P | W);
	emu_tlb_flush(c, true);
	assert_int_equal(try_write(c, S_DS, 0x10000, 4, 1), EXC_PF);
	assert_int_equal(c->pending_err, P | W | 8);
	/* PDPTE bits 2:1 are reserved in PAE mode. */
	put64(f, 0x20000, 0x21000 | P | W);
	emu_tlb_flush(c, true);
	assert_int_equal(try_read(c, S_DS, 0x11000, 4, &v), EXC_PF);
	assert_int_equal(c->pending_err, P | 8);
	/* 2 MiB page: bits 20:13 reserved. */
	put64(f, 0x20000, 0x21000 | P);
	put64(f, 0x21000 + 8, 0x600000 | P | W | PS | (1u << 13));
	emu_tlb_flush(c, true);
	assert_int_equal(try_read(c, S_DS, 0x200000, 4, &v), EXC_PF);
	assert_int_equal(c->pending_err, P | 8);
}

static void test_pae_2m_page(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging_pae(f, false);
	/* PDE 1 (0x200000-0x3fffff) -> 2 MiB page at 0x800000. PAT bit
	 * (12) may be set in a large-page PDE. */
	put64(f, 0x21000 + 8, 0x800000 | P | W | PS | (1u << 12));
	put32(f, 0x800000 + 0x12344, 0x600d600d);
	uint64_t v;
	assert_int_equal(try_read(c, S_DS, 0x212344, 4, &v), -1);
	assert_int_equal(v, 0x600d600d);
	assert_int_equal(try_write(c, S_DS, 0x3ffff0, 4, 7), -1);
	assert_int_equal(get32(f, 0x9ffff0), 7);
	assert_int_equal(get64(f, 0x21008) & (A | D), A | D);
}

/* ---- 4-level paging ---- */

/* PML4 0x30000, PDPT 0x31000, PD 0x32000, PT 0x33000 for 0-2 MiB. */
static void paging64(struct fixture *f, int cpl)
{
	struct emu_cpu *c = f->c;
	for (int i = 0; i < S_COUNT; i++)
		emu_seg_flat_data(&c->seg[i], (uint16_t)(0x10 | cpl), cpl);
	emu_seg_flat_code(&c->seg[S_CS], (uint16_t)(0x08 | cpl), cpl, true);
	put64(f, 0x30000, 0x31000 | P | W | U);
	put64(f, 0x31000, 0x32000 | P | W | U);
	put64(f, 0x32000, 0x33000 | P | W | U);
	c->cr3 = 0x30000;
	c->cr4 = X86_CR4_PAE;
	c->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	c->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP | X86_CR0_ET;
	emu_tlb_flush(c, true);
	emu_update_mode(c);
}

static void test_long_4k_and_permissions(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging64(f, 0);
	assert_int_equal(c->mode, MODE_LONG64);
	put64(f, 0x33000 + 5 * 8, 0x500000 | P | W | U);
	put64(f, 0x500008, 0x0123456789abcdefULL);
	uint64_t v;
	assert_int_equal(try_read(c, S_DS, 0x5008, 8, &v), -1);
	assert_int_equal(v, 0x0123456789abcdefULL);
	for (uint64_t t = 0x30000; t <= 0x33000; t += 0x1000)
		assert_int_equal(get64(f, t + (t == 0x33000 ? 5 * 8 : 0)) & A, A);
	/* U/S clear at the PML4 level: user accesses fault. */
	put64(f, 0x30000, 0x31000 | P | W);
	emu_tlb_flush(c, true);
	c->seg[S_SS].attr |= 3 << 5; /* CPL 3 */
	emu_update_mode(c);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(try_read(c, S_DS, 0x5008, 8, &v), EXC_PF);
	assert_int_equal(c->pending_err, P | U);
	/* PS in a PML4E is reserved. */
	paging64(f, 0);
	put64(f, 0x30000, 0x31000 | P | W | U | PS);
	emu_tlb_flush(c, true);
	assert_int_equal(try_read(c, S_DS, 0x5008, 8, &v), EXC_PF);
	assert_int_equal(c->pending_err, P | 8);
	/* Bits 51:40 are reserved (MAXPHYADDR 40); bits 62:52 are not. */
	put64(f, 0x30000, 0x31000 | P | W | U | (1ULL << 45));
	emu_tlb_flush(c, true);
	assert_int_equal(try_read(c, S_DS, 0x5008, 8, &v), EXC_PF);
	assert_int_equal(c->pending_err, P | 8);
	put64(f, 0x30000, 0x31000 | P | W | U | (1ULL << 55));
	emu_tlb_flush(c, true);
	assert_int_equal(try_read(c, S_DS, 0x5008, 8, &v), -1);
}

static void test_long_large_pages(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging64(f, 0);
	/* 1 GiB page: PDPTE 1 (0x40000000) -> physical 0 (bits 29:13 clear). */
	put64(f, 0x31000 + 8, 0 | P | W | PS);
	put32(f, 0x123450, 0x1badb002);
	uint64_t v;
	assert_int_equal(try_read(c, S_DS, 0x40123450, 4, &v), -1);
	assert_int_equal(v, 0x1badb002);
	put64(f, 0x31000 + 8, 0 | P | W | PS | (1u << 20));
	emu_tlb_flush(c, true);
	assert_int_equal(try_read(c, S_DS, 0x40123450, 4, &v), EXC_PF);
	assert_int_equal(c->pending_err, P | 8);
	/* 2 MiB page: PDE 2 (0x400000) -> 0xa00000. */
	put64(f, 0x32000 + 2 * 8, 0xa00000 | P | W | PS);
	put32(f, 0xa00000 + 0x1fffc, 0x77777777);
	assert_int_equal(try_read(c, S_DS, 0x41fffc, 4, &v), -1);
	assert_int_equal(v, 0x77777777);
}

static void test_long_canonical(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging64(f, 0);
	uint64_t v;
	assert_int_equal(try_read(c, S_DS, 0x0000800000000000ULL, 1, &v), EXC_GP);
	assert_int_equal(c->pending_err, 0);
	assert_int_equal(try_read(c, S_SS, 0x0000800000000000ULL, 1, &v), EXC_SS);
	assert_int_equal(c->pending_err, 0);
	/* The last byte counts too. */
	assert_int_equal(try_read(c, S_DS, 0x00007ffffffffffcULL, 8, &v), EXC_GP);
	/* FS base is added before the check. */
	c->seg[S_FS].base = 0x00007ffffffff000ULL;
	assert_int_equal(try_read(c, S_FS, 0x1000, 1, &v), EXC_GP);
	/* No limit checks in 64-bit mode: DS limit 0 is ignored. */
	put64(f, 0x33000 + 6 * 8, 0x506000 | P | W);
	c->seg[S_DS].limit = 0;
	assert_int_equal(try_read(c, S_DS, 0x6000, 4, &v), -1);
	/* FS base applies, DS base does not. */
	c->seg[S_DS].base = 0x1000;
	c->seg[S_FS].base = 0x1000;
	put32(f, 0x506000, 1);
	put32(f, 0x506000 + 0x10, 2);
	assert_int_equal(try_read(c, S_DS, 0x6000, 4, &v), -1);
	assert_int_equal(v, 1);
	assert_int_equal(try_read(c, S_FS, 0x5010, 4, &v), -1);
	assert_int_equal(v, 2);
}

/* ---- TLB ---- */

static void test_tlb_flushes(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging32(f, false);
	put32(f, 0x11000 + 0x10 * 4, 0x210000 | P | W);	    /* 0x410000 */
	put32(f, 0x11000 + 0x11 * 4, 0x211000 | P | W | G); /* 0x411000, global */
	put32(f, 0x210000, 1);
	put32(f, 0x211000, 2);
	put32(f, 0x220000, 3);
	assert_int_equal(try_cr(c, 4, X86_CR4_PGE), -1);
	uint64_t v;
	assert_int_equal(try_read(c, S_DS, 0x410000, 4, &v), -1);
	assert_int_equal(v, 1);
	assert_int_equal(try_read(c, S_DS, 0x411000, 4, &v), -1);
	assert_int_equal(v, 2);
	/* Remap both in memory: the TLB still has the old translations. */
	put32(f, 0x11000 + 0x10 * 4, 0x220000 | P | W);
	put32(f, 0x11000 + 0x11 * 4, 0x220000 | P | W | G);
	assert_int_equal(try_read(c, S_DS, 0x410000, 4, &v), -1);
	assert_int_equal(v, 1);
	/* MOV CR3 drops non-global entries only. */
	assert_int_equal(try_cr(c, 3, 0x10000), -1);
	assert_int_equal(try_read(c, S_DS, 0x410000, 4, &v), -1);
	assert_int_equal(v, 3);
	assert_int_equal(try_read(c, S_DS, 0x411000, 4, &v), -1);
	assert_int_equal(v, 2);
	/* INVLPG drops the global one. */
	emu_tlb_flush_page(c, 0x411abc);
	assert_int_equal(try_read(c, S_DS, 0x411000, 4, &v), -1);
	assert_int_equal(v, 3);
	/* With PGE off, MOV CR3 drops everything (the G bit is ignored). */
	put32(f, 0x11000 + 0x11 * 4, 0x211000 | P | W | G);
	assert_int_equal(try_cr(c, 4, 0), -1);
	assert_int_equal(try_read(c, S_DS, 0x411000, 4, &v), -1);
	put32(f, 0x11000 + 0x11 * 4, 0x220000 | P | W | G);
	assert_int_equal(try_cr(c, 3, 0x10000), -1);
	assert_int_equal(try_read(c, S_DS, 0x411000, 4, &v), -1);
	assert_int_equal(v, 3);
}

/* The TLB as translated code reads it (c->ftlb, struct emu_fast_tlb_entry)
 * agrees with the TLB in every entry: checked against the TLB's own
 * fields. A page a privilege may read is tagged with its linear address
 * (low 12 bits set) and maps to the TLB's host page; a write also needs
 * it writable and dirty; CPL 3 only user pages; MMIO and empty entries
 * nothing. */
static void assert_fast_tlb_matches(const struct emu_cpu *c)
{
	for (unsigned i = 0; i < EMU_TLB_SIZE; i++) {
		const struct emu_tlb_entry *e = &c->tlb[i];
		bool ram = e->vpage != ~0ULL && e->host;
		uint64_t lin = e->vpage << 12;

		for (int user = 0; user < 2; user++) {
			const struct emu_fast_tlb_entry *ft = &c->ftlb[user][i];
			bool rd = ram && (!user || e->user);
			bool wr = rd && e->writable && e->dirty;

			assert_int_equal(ft->read, rd ? (lin | 0xfff) : 0);
			assert_int_equal(ft->write, wr ? (lin | 0xfff) : 0);
			if (rd)
				assert_ptr_equal((uint8_t *)(uintptr_t)(lin + ft->addend), e->host);
		}
	}
}

/* The TLB index of a linear address. */
#define TI(lin) (((lin) >> 12) & (EMU_TLB_SIZE - 1))

static void test_fast_tlb_follows_tlb(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	uint64_t v;

	paging32(f, true);
	assert_int_equal(try_cr(c, 4, X86_CR4_PGE), -1);
	put32(f, 0x11000 + 0x30 * 4, 0x240000 | P | W | U);     /* user, writable */
	put32(f, 0x11000 + 0x31 * 4, 0x241000 | P | U);         /* user, read-only */
	put32(f, 0x11000 + 0x32 * 4, 0x242000 | P | W);         /* supervisor */
	put32(f, 0x11000 + 0x33 * 4, 0x243000 | P | W | G);     /* global */
	put32(f, 0x11000 + 0x34 * 4, 0xfee00000 | P | W);       /* no RAM: MMIO */
	put32(f, 0x11000 + 0x35 * 4, 0x245000 | P | W | U | D); /* dirty already */
	assert_fast_tlb_matches(c);
	for (unsigned p = 0x30; p <= 0x35; p++)
		assert_int_equal(try_read(c, S_DS, 0x400000 + p * 0x1000, 4, &v), -1);
	assert_fast_tlb_matches(c);
	/* Read only so far: clean pages give no write tag, the dirty one
	 * does. */
	assert_int_equal(c->ftlb[0][TI(0x430000)].write, 0);
	assert_int_equal(c->ftlb[0][TI(0x435000)].write, 0x435fff);
	assert_int_equal(c->ftlb[1][TI(0x432000)].read, 0); /* supervisor page */
	assert_int_equal(c->ftlb[0][TI(0x434000)].read, 0); /* MMIO */
	/* Writes set D: now writable for both (user page) or supervisor. */
	assert_int_equal(try_write(c, S_DS, 0x430000, 4, 1), -1);
	assert_int_equal(try_write(c, S_DS, 0x432000, 4, 1), -1);
	assert_int_equal(try_write(c, S_DS, 0x433000, 4, 1), -1);
	assert_int_equal(try_write(c, S_DS, 0x431000, 4, 1), EXC_PF); /* WP, read-only */
	assert_fast_tlb_matches(c);
	assert_int_equal(c->ftlb[1][TI(0x430000)].write, 0x430fff);
	assert_int_equal(c->ftlb[0][TI(0x432000)].write, 0x432fff);
	/* INVLPG, MOV CR3 (globals stay) and a full flush empty the
	 * entries they drop. */
	emu_tlb_flush_page(c, 0x430abc);
	assert_int_equal(c->ftlb[0][TI(0x430000)].read, 0);
	assert_fast_tlb_matches(c);
	assert_int_equal(try_cr(c, 3, 0x10000), -1);
	assert_fast_tlb_matches(c);
	assert_int_equal(c->ftlb[0][TI(0x433000)].read, 0x433fff);
	assert_int_equal(c->ftlb[0][TI(0x432000)].read, 0);
	emu_tlb_flush(c, true);
	assert_fast_tlb_matches(c);
	assert_int_equal(c->ftlb[0][TI(0x433000)].read, 0);
}

static void test_tlb_invlpg_large_page(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging32(f, false);
	assert_int_equal(try_cr(c, 4, X86_CR4_PSE), -1);
	put32(f, 0x10000 + 3 * 4, 0x00800000 | P | W | PS);
	uint64_t v;
	put32(f, 0x800000 + 0x5000, 11);
	put32(f, 0x400000 + 0x5000, 22);
	assert_int_equal(try_read(c, S_DS, 0xc05000, 4, &v), -1);
	assert_int_equal(v, 11);
	put32(f, 0x10000 + 3 * 4, 0x00400000 | P | W | PS);
	/* INVLPG on another address of the same 4 MiB page drops it. */
	emu_tlb_flush_page(c, 0xc00000);
	assert_int_equal(try_read(c, S_DS, 0xc05000, 4, &v), -1);
	assert_int_equal(v, 22);
}

static void test_dirty_after_read_in_tlb(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging32(f, false);
	put32(f, 0x11000 + 0x20 * 4, 0x230000 | P | W);
	uint64_t v;
	assert_int_equal(try_read(c, S_DS, 0x420000, 4, &v), -1);
	assert_int_equal(get32(f, 0x11000 + 0x20 * 4) & D, 0);
	/* A write through the cached (clean) translation still sets D. */
	assert_int_equal(try_write(c, S_DS, 0x420000, 4, 9), -1);
	assert_int_equal(get32(f, 0x11000 + 0x20 * 4) & D, D);
	/* A protection change is seen after INVLPG. */
	put32(f, 0x11000 + 0x20 * 4, 0x230000 | P | A | D);
	assert_int_equal(try_cr(c, 0, c->cr0 | X86_CR0_WP), -1); /* flushes too */
	assert_int_equal(try_write(c, S_DS, 0x420000, 4, 9), EXC_PF);
	assert_int_equal(c->pending_err, P | W);
}

/* ---- page crossing, MMIO, RMW ---- */

static void test_page_crossing(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	paging32(f, false);
	put32(f, 0x11000 + 0x30 * 4, 0x240000 | P | W); /* 0x430000 */
	put32(f, 0x11000 + 0x31 * 4, 0x250000 | P | W); /* 0x431000, not contiguous */
	assert_int_equal(try_write(c, S_DS, 0x430ffe, 4, 0xa1b2c3d4), -1);
	assert_int_equal(f->ram[0x240ffe], 0xd4);
	assert_int_equal(f->ram[0x240fff], 0xc3);
	assert_int_equal(f->ram[0x250000], 0xb2);
	assert_int_equal(f->ram[0x250001], 0xa1);
	uint64_t v;
	assert_int_equal(try_read(c, S_DS, 0x430ffd, 8, &v), -1);
	assert_int_equal(v & 0xffffffff00ULL, 0xa1b2c3d400ULL);
	/* Second page read-only with WP: nothing is written, CR2 = the
	 * first byte of the second page. */
	put32(f, 0x11000 + 0x31 * 4, 0x250000 | P);
	assert_int_equal(try_cr(c, 0, c->cr0 | X86_CR0_WP), -1);
	assert_int_equal(try_write(c, S_DS, 0x430ffe, 4, 0x11223344), EXC_PF);
	assert_int_equal(c->pending_err, P | W);
	assert_int_equal(c->cr2, 0x431000);
	assert_int_equal(f->ram[0x240ffe], 0xd4);
	/* Byte ranges (SSE/FXSAVE) too. */
	uint8_t buf[16];
	memset(buf, 0x5a, sizeof(buf));
	if (setjmp(c->fault_jmp) == 0) {
		emu_write_bytes(c, S_DS, 0x430ff8, buf, 16);
		fail_msg("write_bytes across a read-only page did not fault");
	}
	assert_int_equal(c->pending_exc, EXC_PF);
	assert_int_equal(f->ram[0x240ff8], 0);
}

static void test_mmio_and_rmw(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	flat32(c, 0); /* no paging */
	uint64_t v;
	assert_int_equal(try_read(c, S_DS, 0xfee00030, 4, &v), -1);
	assert_int_equal(v, 0xabababab);
	assert_int_equal(f->mmio_reads, 1);
	assert_int_equal(f->mmio_last_addr, 0xfee00030);
	assert_int_equal(try_write(c, S_DS, 0xfee000b0, 4, 0), -1);
	assert_int_equal(f->mmio_writes, 1);
	/* Without a handler, unclaimed reads are all-ones. */
	c->io.mmio = NULL;
	assert_int_equal(try_read(c, S_DS, 0xfec00000, 2, &v), -1);
	assert_int_equal(v, 0xffff);
	/* RMW pointer: RAM gives a host pointer, MMIO NULL. */
	void *p = NULL;
	if (setjmp(c->fault_jmp) == 0)
		p = emu_rmw_ptr(c, S_DS, 0x1000, 4);
	assert_ptr_equal(p, f->ram + 0x1000);
	if (setjmp(c->fault_jmp) == 0)
		p = emu_rmw_ptr(c, S_DS, 0xfee00000, 4);
	assert_null(p);
	/* Split: NULL (the caller falls back to read + write). */
	if (setjmp(c->fault_jmp) == 0)
		p = emu_rmw_ptr(c, S_DS, 0x1ffe, 4);
	assert_null(p);
}

/* ---- segmentation ---- */

static void test_segment_limits_and_types(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	flat32(c, 0);
	uint64_t v;
	c->seg[S_DS].limit = 0xfff;
	assert_int_equal(try_read(c, S_DS, 0xffc, 4, &v), -1);
	assert_int_equal(try_read(c, S_DS, 0xffd, 4, &v), EXC_GP);
	assert_int_equal(c->pending_err, 0);
	c->seg[S_SS].limit = 0xfff;
	assert_int_equal(try_write(c, S_SS, 0x1000, 2, 0), EXC_SS);
	/* Base is added. */
	c->seg[S_ES].base = 0x3000;
	f->ram[0x3010] = 0x42;
	assert_int_equal(try_read(c, S_ES, 0x10, 1, &v), -1);
	assert_int_equal(v, 0x42);
	/* Read-only data: no writes. */
	c->seg[S_ES].attr = (c->seg[S_ES].attr & ~0xf) | 0x1;
	assert_int_equal(try_write(c, S_ES, 0x10, 1, 0), EXC_GP);
	/* Execute-only code: no reads; readable code: reads but no writes. */
	c->seg[S_ES].attr = (c->seg[S_ES].attr & ~0xf) | 0x9;
	assert_int_equal(try_read(c, S_ES, 0x10, 1, &v), EXC_GP);
	c->seg[S_ES].attr = (c->seg[S_ES].attr & ~0xf) | 0xb;
	assert_int_equal(try_read(c, S_ES, 0x10, 1, &v), -1);
	assert_int_equal(try_write(c, S_ES, 0x10, 1, 0), EXC_GP);
	/* Null (unusable) segment. */
	c->seg[S_FS].attr = 0;
	c->seg[S_FS].sel = 0;
	assert_int_equal(try_read(c, S_FS, 0, 1, &v), EXC_GP);
	/* Expand-down, 16-bit (B = 0): valid offsets limit+1 .. 0xffff. */
	c->seg[S_GS].attr = 0x97; /* P, S, data r/w expand-down accessed */
	c->seg[S_GS].limit = 0x0fff;
	c->seg[S_GS].base = 0;
	assert_int_equal(try_read(c, S_GS, 0x0fff, 1, &v), EXC_GP);
	assert_int_equal(try_read(c, S_GS, 0x1000, 1, &v), -1);
	assert_int_equal(try_read(c, S_GS, 0xfffe, 2, &v), -1);
	assert_int_equal(try_read(c, S_GS, 0xffff, 2, &v), EXC_GP);
	/* Expand-down with B = 1: up to 4 GiB - 1. */
	c->seg[S_GS].attr |= 1 << 10;
	assert_int_equal(try_read(c, S_GS, 0x10000, 2, &v), -1);
	/* Fetch beyond the CS limit. */
	uint8_t b;
	c->seg[S_CS].limit = 0x1fff;
	assert_int_equal(try_fetch(c, 0x2000, &b), EXC_GP);
	assert_int_equal(try_fetch(c, 0x1fff, &b), -1);
}

static void test_real_mode_segments(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c; /* reset: real mode */
	assert_int_equal(c->mode, MODE_REAL);
	if (setjmp(c->fault_jmp) == 0)
		emu_load_seg(c, S_DS, 0x1234);
	assert_int_equal(c->seg[S_DS].base, 0x12340);
	f->ram[0x12340 + 0xffff] = 0x99;
	uint64_t v;
	assert_int_equal(try_read(c, S_DS, 0xffff, 1, &v), -1);
	assert_int_equal(v, 0x99);
	/* A word at offset 0xffff runs past the 64 KiB segment: #GP (#SS on SS). */
	assert_int_equal(try_read(c, S_DS, 0xffff, 2, &v), EXC_GP);
	if (setjmp(c->fault_jmp) == 0)
		emu_load_seg(c, S_SS, 0x2000);
	assert_int_equal(try_write(c, S_SS, 0xffff, 2, 0), EXC_SS);
	/* No type checks in real mode: writes to CS work (reset CS base
	 * 0xffff0000 is outside RAM here, so it reaches the MMIO handler). */
	assert_int_equal(try_write(c, S_CS, 0x10, 1, 0x77), -1);
	assert_int_equal(f->mmio_writes, 1);
	assert_int_equal(f->mmio_last_addr, 0xffff0010ULL);
	assert_int_equal(f->mmio_last_val, 0x77);
}

/* ---- control registers ---- */

static void test_control_register_checks(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	/* PG without PE. */
	assert_int_equal(try_cr(c, 0, X86_CR0_PG | X86_CR0_ET), EXC_GP);
	/* NW without CD. */
	assert_int_equal(try_cr(c, 0, X86_CR0_NW | X86_CR0_PE), EXC_GP);
	/* Upper half of CR0 reserved. */
	assert_int_equal(try_cr(c, 0, (1ULL << 32) | X86_CR0_PE), EXC_GP);
	/* CR4: an unimplemented bit (SMEP, 20) is reserved. */
	assert_int_equal(try_cr(c, 4, 1ULL << 20), EXC_GP);
	/* Long mode: PG with LME but without PAE -> #GP. */
	flat32(c, 0);
	c->efer = X86_EFER_LME;
	assert_int_equal(try_cr(c, 0, c->cr0 | X86_CR0_PG), EXC_GP);
	assert_int_equal(try_cr(c, 4, X86_CR4_PAE), -1);
	c->cr3 = 0x30000;
	assert_int_equal(try_cr(c, 0, c->cr0 | X86_CR0_PG), -1);
	assert_true(c->efer & X86_EFER_LMA);
	assert_int_equal(c->mode, MODE_COMPAT32);
	/* PAE cannot be cleared in long mode; CR3 bits above MAXPHYADDR. */
	assert_int_equal(try_cr(c, 4, 0), EXC_GP);
	assert_int_equal(try_cr(c, 3, 1ULL << 40), EXC_GP);
	/* Unknown control registers: #UD. */
	assert_int_equal(try_cr(c, 5, 0), EXC_UD);
	/* CR8: 4 bits. */
	assert_int_equal(try_cr(c, 8, 0x10), EXC_GP);
	assert_int_equal(try_cr(c, 8, 0xf), -1);
	/* CPL 3: writes #GP; reads are left to the caller (SMSW works at
	 * any CPL). */
	c->seg[S_SS].attr |= 3 << 5;
	emu_update_mode(c);
	assert_int_equal(try_cr(c, 2, 0), EXC_GP);
	uint64_t cr0 = 0;
	if (setjmp(c->fault_jmp) == 0)
		cr0 = emu_read_cr(c, 0);
	assert_int_equal(cr0, c->cr0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_paging32_translate_and_ad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paging32_not_present, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paging32_rw_wp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paging32_user_supervisor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paging32_pse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pae_nx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pae_reserved_bits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pae_2m_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_4k_and_permissions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_large_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_canonical, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tlb_flushes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tlb_invlpg_large_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fast_tlb_follows_tlb, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dirty_after_read_in_tlb, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page_crossing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mmio_and_rmw, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_segment_limits_and_types, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_real_mode_segments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_control_register_checks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
