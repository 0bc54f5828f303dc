/* Unit tests for the software CPU's MSRs, TSC, CPUID and port I/O
 * permission checks (emu_msr.c, emu_cpuid.c, emu_system.c). */
#include <stdlib.h>

#include "unit.h"

#include "../../src/accel/emu/emu_sys.h"
#include "vslice/x86_regs.h"

#define MEM_SIZE (1u << 20)

struct fixture {
	struct emu_cpu *c;
	uint8_t *ram;
	struct guest_mem gm;
	unsigned pio_calls;
	uint16_t last_port;
};

static bool test_pio(void *opaque, uint16_t port, void *data, unsigned len, bool is_write)
{
	struct fixture *f = opaque;
	f->pio_calls++;
	f->last_port = port;
	if (!is_write)
		memset(data, 0x42, len);
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
	f->c->io.pio = test_pio;
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

static int try_wrmsr(struct emu_cpu *c, uint32_t msr, uint64_t v)
{
	if (setjmp(c->fault_jmp))
		return c->pending_exc;
	emu_wrmsr(c, msr, v);
	return -1;
}

static int try_rdmsr(struct emu_cpu *c, uint32_t msr, uint64_t *v)
{
	if (setjmp(c->fault_jmp))
		return c->pending_exc;
	*v = emu_rdmsr(c, msr);
	return -1;
}

static void test_reset_state(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	/* SDM vol. 3, table 9-1. */
	assert_int_equal(c->mode, MODE_REAL);
	assert_int_equal(c->rip, 0xfff0);
	assert_int_equal(c->seg[S_CS].sel, 0xf000);
	assert_int_equal(c->seg[S_CS].base, 0xffff0000);
	assert_int_equal(c->cr0, 0x60000010);
	assert_int_equal(c->rflags, 2);
	assert_int_equal(c->gpr[R_DX] >> 8 & 0xf, 6); /* family 6 */
	assert_int_equal(c->fpu.mxcsr, 0x1f80);
	assert_int_equal(c->apic_base, 0xfee00900ULL); /* BSP, enabled */
	assert_int_equal(c->pat, 0x0007040600070406ULL);
}

static void test_efer_rules(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	uint64_t v;
	assert_int_equal(try_wrmsr(c, 0xc0000080, X86_EFER_SCE | X86_EFER_NXE), -1);
	assert_int_equal(try_rdmsr(c, 0xc0000080, &v), -1);
	assert_int_equal(v, X86_EFER_SCE | X86_EFER_NXE);
	/* Reserved bit. */
	assert_int_equal(try_wrmsr(c, 0xc0000080, 1ULL << 2), EXC_GP);
	/* LMA is read-only: writing it changes nothing. */
	assert_int_equal(try_wrmsr(c, 0xc0000080, X86_EFER_LMA), -1);
	assert_int_equal(c->efer & X86_EFER_LMA, 0);
	/* LME cannot change while paging is on. */
	c->cr0 |= X86_CR0_PE | X86_CR0_PG;
	emu_update_mode(c);
	assert_int_equal(try_wrmsr(c, 0xc0000080, X86_EFER_LME), EXC_GP);
}

static void test_msr_checks(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	uint64_t v;
	/* Unknown MSR: #GP both ways. */
	assert_int_equal(try_rdmsr(c, 0x12345678, &v), EXC_GP);
	assert_int_equal(try_wrmsr(c, 0x12345678, 0), EXC_GP);
	/* PAT: types 2, 3 and > 7 are reserved. */
	assert_int_equal(try_wrmsr(c, 0x277, 0x0000000000000002ULL), EXC_GP);
	assert_int_equal(try_wrmsr(c, 0x277, 0x0101010101010106ULL), -1);
	assert_int_equal(c->pat, 0x0101010101010106ULL);
	/* Canonical checks on addresses. */
	assert_int_equal(try_wrmsr(c, 0xc0000082, 0x0000800000000000ULL), EXC_GP);
	assert_int_equal(try_wrmsr(c, 0xc0000100, 0xffff800000001000ULL), -1);
	assert_int_equal(c->seg[S_FS].base, 0xffff800000001000ULL);
	assert_int_equal(try_rdmsr(c, 0xc0000100, &v), -1);
	assert_int_equal(v, 0xffff800000001000ULL);
	/* TSC_AUX: 32 bits. */
	assert_int_equal(try_wrmsr(c, 0xc0000103, 1ULL << 32), EXC_GP);
	/* TSC deadline without an interrupt controller: not there. */
	assert_int_equal(try_rdmsr(c, 0x6e0, &v), EXC_GP);
	/* CPL 3: #GP. */
	c->cr0 |= X86_CR0_PE;
	c->seg[S_SS].attr |= 3 << 5;
	emu_update_mode(c);
	assert_int_equal(try_rdmsr(c, 0xc0000080, &v), EXC_GP);
}

static void test_tsc(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	uint64_t a, b;
	assert_int_equal(try_wrmsr(c, 0x10, 1000000), -1);
	assert_int_equal(try_rdmsr(c, 0x10, &a), -1);
	/* Just written: close to the value (well within 100 ms at 1 GHz). */
	assert_true(a >= 1000000 && a < 1000000 + 100000000);
	b = emu_rdtsc(c);
	assert_true(b >= a);
	/* CR4.TSD makes RDTSC privileged. */
	c->cr4 |= 1u << 2;
	c->cr0 |= X86_CR0_PE;
	c->seg[S_SS].attr |= 3 << 5;
	emu_update_mode(c);
	if (setjmp(c->fault_jmp) == 0) {
		emu_rdtsc(c);
		fail_msg("RDTSC at CPL 3 with CR4.TSD did not fault");
	}
	assert_int_equal(c->pending_exc, EXC_GP);
}

static void test_cpuid_leaves(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	uint32_t r[4];
	emu_cpuid(c, 0, 0, r);
	assert_true(r[0] >= 0x16);
	assert_memory_equal(&r[1], "Genu", 4);
	assert_memory_equal(&r[3], "ineI", 4);
	assert_memory_equal(&r[2], "ntel", 4);
	emu_cpuid(c, 1, 0, r);
	assert_int_equal(r[0], 0x000306a9);
	assert_int_equal(r[1] >> 24, 0); /* APIC ID of vCPU 0 */
	/* Exactly the core's instruction-set bits plus PSE TSC MSR PAE SEP
	 * MTRR PGE PAT PSE-36; no APIC without an interrupt controller, no
	 * HTT with one vCPU. */
	uint32_t sys = (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 11) | (1u << 12) |
		       (1u << 13) | (1u << 16) | (1u << 17);
	assert_int_equal(r[3], EMU_CPUID1_EDX_ISA | sys);
	assert_int_equal(r[2], EMU_CPUID1_ECX_ISA | (1u << 31)); /* + hypervisor */
	/* Leaf 7: IA32_ARCH_CAPABILITIES, whose MSR says the CPU is not
	 * susceptible to Meltdown, SSB, MDS, iTLB multihit, TAA, MMIO stale
	 * data; read-only. */
	emu_cpuid(c, 7, 0, r);
	assert_int_equal(r[3], 1u << 29);
	uint64_t caps;
	assert_int_equal(try_rdmsr(c, 0x10a, &caps), -1);
	assert_int_equal(caps, 0xe171);
	assert_int_equal(try_wrmsr(c, 0x10a, 0), EXC_GP);
	emu_cpuid(c, 0x80000001, 0, r);
	assert_true(r[3] & (1u << 29)); /* LM */
	assert_true(r[3] & (1u << 20)); /* NX */
	assert_true(r[3] & (1u << 11)); /* SYSCALL */
	emu_cpuid(c, 0x80000008, 0, r);
	assert_int_equal(r[0] & 0xff, 40);
	assert_int_equal((r[0] >> 8) & 0xff, 48);
	emu_cpuid(c, 0x15, 0, r);
	assert_int_equal((uint64_t)r[2] * r[1] / r[0], 1000000000ULL);
	/* Above the maximum: the highest basic leaf (Intel). */
	uint32_t top[4];
	emu_cpuid(c, 0x16, 0, top);
	emu_cpuid(c, 0x20, 0, r);
	assert_memory_equal(r, top, sizeof(r));
}

static void test_io_permission(void **state)
{
	struct fixture *f = *state;
	struct emu_cpu *c = f->c;
	/* Real mode: always allowed. */
	assert_int_equal(emu_port_in(c, 0x3f8, 1), 0x42);
	assert_int_equal(f->pio_calls, 1);
	/* CPL 3, IOPL 0: the TSS bitmap decides. TSS at 0x1000, limit
	 * covering a bitmap at offset 0x68 for ports 0-0x3ff. */
	c->cr0 |= X86_CR0_PE;
	c->seg[S_SS].attr |= 3 << 5;
	emu_update_mode(c);
	c->tr = (struct emu_seg){.sel = 0x28, .base = 0x1000, .limit = 0x68 + 128, .attr = 0x8b};
	f->ram[0x1000 + 0x66] = 0x68;
	memset(f->ram + 0x1000 + 0x68, 0xff, 128);
	f->ram[0x1000 + 0x68 + 0x3f8 / 8] = 0x00; /* 0x3f8-0x3ff allowed */
	f->ram[0x1000 + 0x68 + 128] = 0xff;
	if (setjmp(c->fault_jmp) == 0)
		emu_port_out(c, 0x3f8, 1, 'x');
	else
		fail_msg("allowed port faulted");
	assert_int_equal(f->pio_calls, 2);
	/* A 2-byte access at 0x3ff also needs the bit for 0x400: beyond the
	 * limit here, so #GP. */
	if (setjmp(c->fault_jmp) == 0) {
		emu_port_in(c, 0x3ff, 2);
		fail_msg("access past the bitmap did not fault");
	}
	assert_int_equal(c->pending_exc, EXC_GP);
	if (setjmp(c->fault_jmp) == 0) {
		emu_port_in(c, 0x80, 1);
		fail_msg("denied port did not fault");
	}
	assert_int_equal(c->pending_exc, EXC_GP);
	assert_int_equal(f->pio_calls, 2);
	/* IOPL 3: no bitmap check. */
	c->rflags |= FL_IOPL;
	if (setjmp(c->fault_jmp) == 0)
		emu_port_in(c, 0x80, 1);
	else
		fail_msg("IOPL 3 port access faulted");
	assert_int_equal(f->pio_calls, 3);
	assert_int_equal(f->last_port, 0x80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_efer_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_msr_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tsc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cpuid_leaves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_io_permission, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
