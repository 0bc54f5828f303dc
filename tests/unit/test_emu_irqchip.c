/* Unit tests for the software CPU's side of the user-space interrupt
 * controller (emu_accel.c, emu_msr.c, emu_system.c, emu_cpuid.c) with a
 * fake struct accel_irqchip: the local APIC page intercepted per vCPU at
 * its APIC base, APIC MSRs and CR8 routed to the controller, interrupt
 * acknowledge, INIT and SIPI taken together, the kvm-clock MSRs and the
 * KVM CPUID leaves. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#include "../../src/accel/emu/emu_sys.h"
#include "../../src/accel/emu/emu_vm.h"
#include "vslice/dev/kvmclock.h"

#define MEM_SIZE (1u << 20)

struct fake {
	struct accel_irqchip chip;
	/* what the fake saw */
	unsigned mmio_calls, mmio_cpu;
	uint64_t mmio_offset;
	unsigned bus_mmio_calls;
	uint64_t bus_mmio_addr;
	uint64_t apic_base[2];
	uint64_t x2apic_reg;
	unsigned tpr;
	int gsi, gsi_level;
	int ack_vector;
	unsigned events; /* returned once by take_events */
	uint8_t sipi_vector;
	uint64_t tsc_at_wrmsr;
};

struct fixture {
	struct fake fake;
	uint8_t *ram;
	struct guest_mem gm;
	struct accel_vm *avm;
	struct accel_vcpu *vcpu[2];
};

static void fake_lapic_mmio(void *opaque, unsigned cpu, uint64_t offset, void *data, unsigned len,
			    bool is_write)
{
	struct fake *f = opaque;
	f->mmio_calls++;
	f->mmio_cpu = cpu;
	f->mmio_offset = offset;
	if (!is_write)
		memset(data, 0x5a, len);
}

static int fake_rdmsr(void *opaque, unsigned cpu, uint32_t msr, uint64_t *val)
{
	struct fake *f = opaque;
	switch (msr) {
	case 0x1b:
		*val = f->apic_base[cpu];
		return 1;
	case 0x802:
		*val = f->x2apic_reg;
		return 1;
	case 0x803:
		return -1; /* a register the APIC rejects */
	default:
		return 0;
	}
}

static int fake_wrmsr(void *opaque, unsigned cpu, uint32_t msr, uint64_t val, uint64_t tsc)
{
	struct fake *f = opaque;
	f->tsc_at_wrmsr = tsc;
	switch (msr) {
	case 0x1b:
		f->apic_base[cpu] = val;
		return 1;
	case 0x6e0:
	case 0x808:
		f->x2apic_reg = val;
		return 1;
	default:
		return msr >= 0x800 && msr <= 0x8ff ? -1 : 0;
	}
}

static void fake_set_tpr(void *opaque, unsigned cpu, unsigned tpr)
{
	((struct fake *)opaque)->tpr = tpr;
}

static unsigned fake_get_tpr(void *opaque, unsigned cpu)
{
	return ((struct fake *)opaque)->tpr + 1; /* tells the two paths apart */
}

static void fake_set_gsi(void *opaque, unsigned gsi, int level)
{
	struct fake *f = opaque;
	f->gsi = (int)gsi;
	f->gsi_level = level;
}

static int fake_ack(void *opaque, unsigned cpu)
{
	struct fake *f = opaque;
	int v = f->ack_vector;
	f->ack_vector = -1;
	return v;
}

static bool fake_pending(void *opaque, unsigned cpu)
{
	return ((struct fake *)opaque)->ack_vector >= 0;
}

static unsigned fake_take_events(void *opaque, unsigned cpu, uint8_t *vec)
{
	struct fake *f = opaque;
	unsigned ev = cpu == 1 ? __atomic_exchange_n(&f->events, 0, __ATOMIC_ACQ_REL) : 0;
	*vec = f->sipi_vector;
	return ev;
}

static bool bus_mmio(void *opaque, uint64_t addr, void *data, unsigned len, bool is_write)
{
	struct fake *f = opaque;
	f->bus_mmio_calls++;
	f->bus_mmio_addr = addr;
	if (!is_write)
		memset(data, 0x11, len);
	return true;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct fake *f = &fx->fake;
	struct errbuf eb;
	fx->ram = calloc(1, MEM_SIZE);
	guest_mem_init_buffer(&fx->gm, fx->ram, MEM_SIZE);
	f->chip = (struct accel_irqchip){
		.opaque = f,
		.ack = fake_ack,
		.pending = fake_pending,
		.set_gsi = fake_set_gsi,
		.rdmsr = fake_rdmsr,
		.wrmsr = fake_wrmsr,
		.set_tpr = fake_set_tpr,
		.get_tpr = fake_get_tpr,
		.lapic_mmio = fake_lapic_mmio,
		.take_events = fake_take_events,
		.tsc_deadline = true,
		.x2apic = true,
	};
	f->apic_base[0] = 0xfee00900;
	f->apic_base[1] = 0xfee00800;
	f->ack_vector = -1;
	struct accel_vm_config cfg = {
		.ncpus = 2,
		.mem = &fx->gm,
		.io = { .opaque = f, .mmio = bus_mmio },
		.irqchip = &f->chip,
	};
	assert_true(accel_emu_ops.needs_user_irqchip);
	assert_int_equal(accel_emu_ops.vm_create(&cfg, &fx->avm, &eb), 0);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(accel_emu_ops.vcpu_create(fx->avm, i, &fx->vcpu[i], &eb), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	for (unsigned i = 0; i < 2; i++)
		accel_emu_ops.vcpu_destroy(fx->vcpu[i]);
	accel_emu_ops.vm_destroy(fx->avm);
	free(fx->ram);
	free(fx);
	return 0;
}

/* struct accel_vcpu starts with struct emu_vcpu, which starts with the CPU. */
static struct emu_cpu *cpu_of(struct fixture *fx, unsigned i)
{
	return (struct emu_cpu *)fx->vcpu[i];
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

static void lapic_page_per_vcpu(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = &fx->fake;
	struct emu_cpu *c1 = cpu_of(fx, 1);
	uint32_t v = 0;
	c1->io.mmio(c1->io.opaque, 0xfee00030, &v, 4, false);
	assert_int_equal(f->mmio_calls, 1);
	assert_int_equal(f->mmio_cpu, 1);
	assert_int_equal(f->mmio_offset, 0x30);
	assert_int_equal(v, 0x5a5a5a5a);
	assert_int_equal(f->bus_mmio_calls, 0);
	/* Elsewhere: the VM's bus. */
	c1->io.mmio(c1->io.opaque, 0xfec00000, &v, 4, false);
	assert_int_equal(f->bus_mmio_calls, 1);
	assert_int_equal(f->bus_mmio_addr, 0xfec00000);
	assert_int_equal(v, 0x11111111);

	/* Move vCPU 1's APIC: the old page is plain MMIO, the new one its APIC. */
	assert_int_equal(try_wrmsr(c1, 0x1b, 0xfed00800), -1);
	assert_int_equal(c1->apic_base, 0xfed00800);
	c1->io.mmio(c1->io.opaque, 0xfee00030, &v, 4, true);
	assert_int_equal(f->bus_mmio_calls, 2);
	c1->io.mmio(c1->io.opaque, 0xfed00ff0, &v, 4, true);
	assert_int_equal(f->mmio_calls, 2);
	assert_int_equal(f->mmio_offset, 0xff0);
	/* vCPU 0 still has its page at the default base. */
	struct emu_cpu *c0 = cpu_of(fx, 0);
	c0->io.mmio(c0->io.opaque, 0xfee00080, &v, 4, false);
	assert_int_equal(f->mmio_calls, 3);
	assert_int_equal(f->mmio_cpu, 0);
	assert_int_equal(f->mmio_offset, 0x80);

	/* x2APIC mode or a disabled APIC: no MMIO page. */
	assert_int_equal(try_wrmsr(c1, 0x1b, 0xfed00c00), -1);
	c1->io.mmio(c1->io.opaque, 0xfed00030, &v, 4, false);
	assert_int_equal(f->bus_mmio_calls, 3);
	assert_int_equal(try_wrmsr(c0, 0x1b, 0xfee00100), -1);
	c0->io.mmio(c0->io.opaque, 0xfee00030, &v, 4, false);
	assert_int_equal(f->bus_mmio_calls, 4);
	assert_int_equal(f->mmio_calls, 3);
}

static void apic_msrs_and_cr8(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = &fx->fake;
	struct emu_cpu *c = cpu_of(fx, 0);
	uint64_t v = 0;
	f->x2apic_reg = 0x1234;
	assert_int_equal(try_rdmsr(c, 0x802, &v), -1);
	assert_int_equal(v, 0x1234);
	assert_int_equal(try_rdmsr(c, 0x803, &v), EXC_GP);
	assert_int_equal(try_wrmsr(c, 0x808, 0x20), -1);
	assert_int_equal(f->x2apic_reg, 0x20);
	assert_int_equal(try_wrmsr(c, 0x809, 0x20), EXC_GP);
	/* TSC deadline goes to the controller with the vCPU's TSC. */
	uint64_t before = emu_tsc_now(c);
	assert_int_equal(try_wrmsr(c, 0x6e0, 0xabcdef), -1);
	assert_int_equal(f->x2apic_reg, 0xabcdef);
	assert_true(f->tsc_at_wrmsr >= before && f->tsc_at_wrmsr <= emu_tsc_now(c));
	assert_int_equal(try_rdmsr(c, 0x1b, &v), -1);
	assert_int_equal(v, 0xfee00900);

	emu_write_cr(c, 8, 7);
	assert_int_equal(f->tpr, 7);
	assert_int_equal(emu_read_cr(c, 8), 8); /* from get_tpr, not the cached cr8 */
}

static void interrupts(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = &fx->fake;
	struct emu_cpu *c = cpu_of(fx, 0);
	assert_int_equal(accel_emu_ops.irq_line(fx->avm, 4, 1), 0);
	assert_int_equal(f->gsi, 4);
	assert_int_equal(f->gsi_level, 1);
	assert_int_equal(accel_emu_ops.irq_line(fx->avm, 256, 1), -1);
	/* No notify yet: the controller is not asked. */
	f->ack_vector = 0x41;
	assert_int_equal(emu_pending_interrupt(c), -1);
	accel_emu_ops.irqchip_notify(fx->avm, 0);
	assert_int_equal(emu_pending_interrupt(c), 0x41);
	assert_int_equal(emu_pending_interrupt(c), -1);
	accel_emu_ops.irqchip_notify(fx->avm, 64); /* out of range: ignored */
}

struct runner {
	struct fixture *fx;
	struct vcpu_exit exit;
	int rc;
};

static void *run_ap(void *arg)
{
	struct runner *r = arg;
	r->rc = accel_emu_ops.vcpu_run(r->fx->vcpu[1], &r->exit);
	return NULL;
}

/* INIT and SIPI taken in one poll (Linux sends them back to back): the AP
 * starts at the SIPI vector instead of losing it to the INIT. */
static void init_and_sipi_together(void **state)
{
	struct fixture *fx = *state;
	struct fake *f = &fx->fake;
	fx->ram[0x9a000] = 0xf4; /* hlt */
	f->sipi_vector = 0x9a;
	__atomic_store_n(&f->events, EMU_EV_INIT | EMU_EV_SIPI, __ATOMIC_RELEASE);
	accel_emu_ops.irqchip_notify(fx->avm, 1);
	struct runner r = { .fx = fx };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, run_ap, &r), 0);
	struct x86_sregs s;
	struct x86_regs regs;
	for (int i = 0; i < 500; i++) {
		accel_emu_ops.get_regs(fx->vcpu[1], &regs);
		if (regs.rip == 1)
			break;
		usleep(2000);
	}
	accel_emu_ops.vcpu_kick(fx->vcpu[1]);
	pthread_join(t, NULL);
	assert_int_equal(r.rc, 0);
	accel_emu_ops.get_sregs(fx->vcpu[1], &s);
	accel_emu_ops.get_regs(fx->vcpu[1], &regs);
	assert_int_equal(s.cs.base, 0x9a000);
	assert_int_equal(s.cs.selector, 0x9a00);
	assert_int_equal(regs.rip, 1); /* halted after the HLT */
}

static void kvm_cpuid_and_kvmclock(void **state)
{
	struct fixture *fx = *state;
	struct emu_cpu *c = cpu_of(fx, 1);
	uint32_t r[4];
	emu_cpuid(c, 0x40000000, 0, r);
	assert_int_equal(r[0], 0x40000001);
	assert_memory_equal(&r[1], "KVMK", 4);
	assert_memory_equal(&r[2], "VMKV", 4);
	assert_memory_equal(&r[3], "M\0\0\0", 4);
	emu_cpuid(c, 0x40000001, 0, r);
	assert_int_equal(r[0], (1u << 3) | (1u << 24));
	assert_int_equal(r[1] | r[2] | r[3], 0);
	emu_cpuid(c, 1, 0, r);
	assert_true(r[2] & (1u << 21)); /* x2APIC */
	assert_true(r[2] & (1u << 24)); /* TSC deadline */
	assert_true(r[3] & (1u << 9));  /* APIC */

	struct emu_vm *vm = c->vm;
	assert_int_equal(try_wrmsr(c, MSR_KVM_SYSTEM_TIME_NEW, 0x3001), -1);
	uint32_t version, mul;
	uint64_t tsc, sys;
	memcpy(&version, fx->ram + 0x3000, 4);
	memcpy(&tsc, fx->ram + 0x3008, 8);
	memcpy(&sys, fx->ram + 0x3010, 8);
	memcpy(&mul, fx->ram + 0x3018, 4);
	assert_int_equal(version, 2);
	assert_int_equal(mul, 0x80000000u);
	assert_int_equal((int8_t)fx->ram[0x301c], 1);
	assert_int_equal(fx->ram[0x301d], PVCLOCK_TSC_STABLE_BIT);
	/* The guest TSC counts from VM creation: system time == TSC here. */
	assert_int_equal(tsc, sys);
	assert_true(sys <= emu_host_ns() - vm->tsc_base_ns);
	uint64_t v;
	assert_int_equal(try_rdmsr(c, MSR_KVM_SYSTEM_TIME_NEW, &v), -1);
	assert_int_equal(v, 0x3001);
	/* A TSC write keeps the record consistent with the new TSC. */
	assert_int_equal(try_wrmsr(c, 0x10, 1000), -1);
	memcpy(&version, fx->ram + 0x3000, 4);
	memcpy(&tsc, fx->ram + 0x3008, 8);
	assert_int_equal(version, 4);
	assert_true(tsc >= 1000 && tsc < 1000 + 1000000000ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lapic_page_per_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(apic_msrs_and_cr8, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(init_and_sipi_together, setup, teardown),
		cmocka_unit_test_setup_teardown(kvm_cpuid_and_kvmclock, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
