/* The software CPU as an accelerator (struct accel_ops "emu"): VM and
 * vCPU objects, the run loop (emu_run in batches, a kick flag checked
 * after each decoded block and each I/O access), the user-space interrupt controller given by
 * the core (accel_vm_config.irqchip: interrupt acknowledge, the local APIC
 * page intercepted per vCPU at its APIC base, timers checked between
 * batches), HLT that sleeps until an interrupt or the next timer deadline,
 * INIT/SIPI for application processors, NMI injection, and the
 * register-state conversion with the neutral x86_regs/x86_sregs.
 *
 * VSLICE_EMU_TRACE=N in the environment logs every vCPU's rip every N
 * instructions (to stderr), for finding where a guest goes wrong. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu_icache.h"
#include "emu_sys.h"
#include "emu_vm.h"

/* Steps per batch (emu_run also stops for a kick: see emu_cpu.h). */
#define EMU_BATCH 4096

struct accel_vm {
	struct emu_vm e;
};

struct accel_vcpu {
	struct emu_vcpu v;
	uint64_t trace_every; /* VSLICE_EMU_TRACE, 0: off */
	uint64_t trace_next;  /* icount of the next trace line */
};

static bool emu_available(struct errbuf *eb)
{
	return true;
}

static unsigned emu_max_cpus(void)
{
	return EMU_MAX_CPUS;
}

static void emu_vm_destroy(struct accel_vm *avm);

static int emu_vm_create(const struct accel_vm_config *cfg, struct accel_vm **out,
			 struct errbuf *eb)
{
	if (cfg->ncpus == 0 || cfg->ncpus > EMU_MAX_CPUS)
		return errbuf_set(eb, "--cpus %u: the software CPU runs 1 to %u vCPUs", cfg->ncpus,
				  EMU_MAX_CPUS);
	if (!cfg->mem)
		return errbuf_set(eb, "emu: no guest memory given to vm_create");
	struct accel_vm *avm = calloc(1, sizeof(*avm));
	if (!avm)
		return errbuf_set(eb, "emu: out of memory creating the VM");
	struct emu_vm *vm = &avm->e;
	vm->cfg = *cfg;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* HLT sleeps until timer deadlines */
	pthread_cond_init(&vm->cond, &ca);
	pthread_condattr_destroy(&ca);
	vm->tsc_base_ns = emu_host_ns();
	if (kvmclock_init(&vm->kvmclock, cfg->mem, cfg->ncpus, EMU_TSC_HZ, true, eb) < 0) {
		emu_vm_destroy(avm);
		return -1;
	}
	if (cfg->irqchip)
		emu_vm_attach_intc(vm, cfg->irqchip, cfg->irqchip->opaque);
	*out = avm;
	return 0;
}

static void emu_vm_destroy(struct accel_vm *avm)
{
	if (!avm)
		return;
	pthread_cond_destroy(&avm->e.cond);
	pthread_mutex_destroy(&avm->e.lock);
	free(avm);
}

static void wake_all(struct emu_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

/* With an interrupt controller, every vCPU sees its own local APIC page at
 * the base in its IA32_APIC_BASE (xAPIC mode); everything else goes to the
 * VM's buses. */
static bool vcpu_mmio(void *opaque, uint64_t addr, void *data, unsigned len, bool is_write)
{
	struct emu_vcpu *v = opaque;
	struct emu_vm *vm = v->vm;
	uint64_t base = v->cpu.apic_base;
	if ((base & (1ULL << 11)) && !(base & (1ULL << 10))) {
		base &= 0x000ffffffffff000ULL;
		if (addr >= base && addr - base < 0x1000 && addr - base + len <= 0x1000) {
			vm->intc->lapic_mmio(vm->intc_opaque, v->cpu.index, addr - base, data, len,
					     is_write);
			return true;
		}
	}
	return vm->cfg.io.mmio && vm->cfg.io.mmio(vm->cfg.io.opaque, addr, data, len, is_write);
}

static bool vcpu_pio(void *opaque, uint16_t port, void *data, unsigned len, bool is_write)
{
	struct emu_vcpu *v = opaque;
	const struct accel_io *io = &v->vm->cfg.io;
	return io->pio && io->pio(io->opaque, port, data, len, is_write);
}

static int emu_vcpu_create(struct accel_vm *avm, unsigned index, struct accel_vcpu **out,
			   struct errbuf *eb)
{
	struct emu_vm *vm = &avm->e;
	if (index >= vm->cfg.ncpus)
		return errbuf_set(eb, "emu: vCPU index %u out of range (%u vCPUs)", index,
				  vm->cfg.ncpus);
	if (vm->vcpu[index])
		return errbuf_set(eb, "emu: vCPU %u created twice", index);
	struct accel_vcpu *av = calloc(1, sizeof(*av));
	if (!av)
		return errbuf_set(eb, "emu: out of memory creating vCPU %u", index);
	struct emu_vcpu *v = &av->v;
	struct emu_cpu *c = &v->cpu;
	c->icache = emu_icache_new();
	if (!c->icache) {
		free(av);
		return errbuf_set(eb, "emu: out of memory creating vCPU %u", index);
	}
	/* The block translator, unless VSLICE_EMU_JIT=0 (or the host has
	 * none: then every block is interpreted). A block is translated
	 * after 16 interpreted runs: boot code that runs a few times is not
	 * worth translating (the Debian guest boots 12 % faster than
	 * translating on the second run; 16 and more give the same). */
	const char *jit = getenv("VSLICE_EMU_JIT");
	if (!jit || strcmp(jit, "0") != 0) {
		c->icache->jit = emu_jit_new(EMU_JIT_BUFFER_BYTES);
		c->icache->jit_after = 16;
	}
	v->vm = vm;
	c->mem = vm->cfg.mem;
	c->io = vm->cfg.io;
	if (vm->intc && vm->intc->lapic_mmio)
		c->io = (struct accel_io){ .opaque = v, .pio = vcpu_pio, .mmio = vcpu_mmio };
	c->vm = vm;
	c->index = index;
	emu_cpu_reset(c);
	c->tsc_offset = -(int64_t)vm->tsc_base_ns;
	atomic_init(&v->kick, false);
	atomic_init(&v->irq_hint, false);
	atomic_init(&v->event_hint, false);
	atomic_init(&v->wait_sipi, index > 0);
	atomic_init(&v->init_pending, false);
	atomic_init(&v->sipi_vector, -1);
	const char *trace = getenv("VSLICE_EMU_TRACE");
	if (trace && *trace) {
		av->trace_every = strtoull(trace, NULL, 0);
		av->trace_next = av->trace_every;
	}
	pthread_mutex_lock(&vm->lock);
	vm->vcpu[index] = v;
	pthread_mutex_unlock(&vm->lock);
	*out = av;
	return 0;
}

/* VSLICE_EMU_STATS: what the decoded-block cache and the translator did,
 * on stderr when the vCPU goes. */
static void print_stats(const struct emu_cpu *c)
{
	const struct emu_icache *ic = c->icache;

	if (!ic)
		return;
	fprintf(stderr,
		"emu stats: cpu %u: %" PRIu64 " instructions; blocks: %" PRIu64 " hits (%" PRIu64
		" by jump cache), %" PRIu64 " decoded (%" PRIu64 " changed), %" PRIu64
		" uncached lookups\n",
		c->index, c->icount, ic->stats.hits, ic->stats.jumps, ic->stats.builds,
		ic->stats.stale, ic->stats.uncached);
	if (ic->jit) {
		const struct emu_jit_stats *js = emu_jit_stats(ic->jit);

		fprintf(stderr,
			"emu stats: cpu %u: translated %" PRIu64 " blocks: %" PRIu64
			" instructions native, %" PRIu64 " calls; buffer emptied %" PRIu64 " times\n",
			c->index, js->blocks, js->native, js->called, js->flushes);
	}
}

static void emu_vcpu_destroy(struct accel_vcpu *av)
{
	if (!av)
		return;
	struct emu_vm *vm = av->v.vm;
	pthread_mutex_lock(&vm->lock);
	vm->vcpu[av->v.cpu.index] = NULL;
	pthread_mutex_unlock(&vm->lock);
	if (getenv("VSLICE_EMU_STATS"))
		print_stats(&av->v.cpu);
	emu_icache_free(av->v.cpu.icache);
	free(av);
}

static void emu_vcpu_kick(struct accel_vcpu *av)
{
	atomic_store(&av->v.kick, true);
	wake_all(av->v.vm);
}

/* ---- interrupts ---- */

int emu_pending_interrupt(struct emu_cpu *c)
{
	struct emu_vm *vm = c->vm;
	if (!vm || !vm->intc)
		return -1;
	struct emu_vcpu *v = emu_vcpu_of(c);
	if (!atomic_load_explicit(&v->irq_hint, memory_order_relaxed))
		return -1;
	atomic_store(&v->irq_hint, false);
	int vec = vm->intc->ack(vm->intc_opaque, c->index);
	if (vec >= 0)
		atomic_store(&v->irq_hint, true); /* there may be more */
	return vec > 255 ? -1 : vec;
}

void emu_vm_attach_intc(struct emu_vm *vm, const struct accel_irqchip *ops, void *opaque)
{
	vm->intc_opaque = opaque;
	vm->intc = ops;
}

static struct emu_vcpu *vcpu_at(struct emu_vm *vm, unsigned cpu)
{
	return cpu < EMU_MAX_CPUS ? vm->vcpu[cpu] : NULL;
}

void emu_vm_notify(struct emu_vm *vm, unsigned cpu)
{
	struct emu_vcpu *v = vcpu_at(vm, cpu);
	if (!v)
		return;
	atomic_store(&v->irq_hint, true);
	atomic_store(&v->event_hint, true);
	wake_all(vm);
}

void emu_vm_send_nmi(struct emu_vm *vm, unsigned cpu)
{
	struct emu_vcpu *v = vcpu_at(vm, cpu);
	if (!v)
		return;
	/* Read by the vCPU's own thread between batches only. */
	__atomic_store_n(&v->cpu.nmi_pending, true, __ATOMIC_RELEASE);
	wake_all(vm);
}

void emu_vm_send_init(struct emu_vm *vm, unsigned cpu)
{
	struct emu_vcpu *v = vcpu_at(vm, cpu);
	if (!v)
		return;
	atomic_store(&v->init_pending, true);
	wake_all(vm);
}

void emu_vm_send_sipi(struct emu_vm *vm, unsigned cpu, uint8_t vector)
{
	struct emu_vcpu *v = vcpu_at(vm, cpu);
	if (!v)
		return;
	atomic_store(&v->sipi_vector, vector);
	wake_all(vm);
}

static int emu_irq_line(struct accel_vm *avm, unsigned gsi, int level)
{
	struct emu_vm *vm = &avm->e;
	if (gsi >= EMU_MAX_GSI)
		return -1;
	atomic_store(&vm->gsi_level[gsi], level ? 1 : 0);
	if (vm->intc && vm->intc->set_gsi)
		vm->intc->set_gsi(vm->intc_opaque, gsi, level);
	return 0;
}

static void emu_irqchip_notify(struct accel_vm *avm, unsigned cpu)
{
	emu_vm_notify(&avm->e, cpu);
}

static int emu_signal_msi(struct accel_vm *avm, uint64_t addr, uint32_t data)
{
	struct emu_vm *vm = &avm->e;
	if (!vm->intc || !vm->intc->msi)
		return -1;
	return vm->intc->msi(vm->intc_opaque, addr, data);
}

/* ---- the run loop ---- */

/* Events the interrupt controller holds (NMI, INIT, SIPI), and its
 * timers when they are due. */
static void handle_init_sipi(struct emu_vcpu *v);

static void poll_intc(struct emu_vcpu *v)
{
	struct emu_vm *vm = v->vm;
	const struct accel_irqchip *intc = vm->intc;
	unsigned cpu = v->cpu.index;
	if (!intc)
		return;
	if (intc->next_deadline_ns && intc->update) {
		uint64_t now = emu_host_ns();
		if (intc->next_deadline_ns(vm->intc_opaque, cpu) <= now)
			intc->update(vm->intc_opaque, cpu, now);
	}
	if (intc->take_events && atomic_exchange(&v->event_hint, false)) {
		uint8_t vec = 0;
		unsigned ev = intc->take_events(vm->intc_opaque, cpu, &vec);
		if (ev & EMU_EV_NMI)
			__atomic_store_n(&v->cpu.nmi_pending, true, __ATOMIC_RELEASE);
		if (ev & EMU_EV_INIT) {
			/* Before a startup IPI taken at the same time (Linux
			 * sends INIT and SIPI back to back on a hypervisor). */
			atomic_store(&v->init_pending, true);
			handle_init_sipi(v);
		}
		if (ev & EMU_EV_SIPI)
			atomic_store(&v->sipi_vector, vec);
	}
}

/* INIT and startup IPIs, handled on the vCPU's own thread. */
static void handle_init_sipi(struct emu_vcpu *v)
{
	struct emu_cpu *c = &v->cpu;
	if (atomic_exchange(&v->init_pending, false)) {
		int64_t tsc = c->tsc_offset;
		uint64_t apic = c->apic_base;
		emu_cpu_reset(c);
		c->tsc_offset = tsc; /* INIT does not reset the TSC */
		c->apic_base = apic; /* nor the APIC base */
		atomic_store(&v->sipi_vector, -1);
		atomic_store(&v->wait_sipi, true);
	}
	if (atomic_load(&v->wait_sipi)) {
		int vec = atomic_exchange(&v->sipi_vector, -1);
		if (vec >= 0) {
			/* Real mode at vector << 12 (SDM vol. 3, 9.4.4). */
			c->seg[S_CS].sel = (uint16_t)(vec << 8);
			c->seg[S_CS].base = (uint64_t)vec << 12;
			c->rip = 0;
			c->halted = false;
			atomic_store(&v->wait_sipi, false);
		}
	}
}

static bool nmi_deliverable(struct emu_cpu *c)
{
	return __atomic_load_n(&c->nmi_pending, __ATOMIC_ACQUIRE) && !c->nmi_blocked;
}

/* Whether a halted vCPU has something to wake for right now. */
static bool halt_wakeup(struct emu_vcpu *v)
{
	struct emu_cpu *c = &v->cpu;
	if (nmi_deliverable(c) || atomic_load(&v->init_pending) || atomic_load(&v->event_hint))
		return true;
	return (c->rflags & FL_IF) && atomic_load(&v->irq_hint);
}

/* Sleeps until kicked, until `ready` says there is work, or until the
 * interrupt controller's next timer deadline. */
static void sleep_until(struct emu_vcpu *v, bool (*ready)(struct emu_vcpu *))
{
	struct emu_vm *vm = v->vm;
	const struct accel_irqchip *intc = vm->intc;
	uint64_t deadline = UINT64_MAX;
	if (intc && intc->next_deadline_ns && intc->update)
		deadline = intc->next_deadline_ns(vm->intc_opaque, v->cpu.index);
	pthread_mutex_lock(&vm->lock);
	while (!atomic_load(&v->kick) && !ready(v)) {
		if (deadline == UINT64_MAX) {
			pthread_cond_wait(&vm->cond, &vm->lock);
			continue;
		}
		if (emu_host_ns() >= deadline)
			break;
		struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
				      .tv_nsec = (long)(deadline % 1000000000u)};
		pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
	}
	pthread_mutex_unlock(&vm->lock);
}

static bool sipi_ready(struct emu_vcpu *v)
{
	return atomic_load(&v->sipi_vector) >= 0 || atomic_load(&v->init_pending) ||
	       atomic_load(&v->event_hint);
}

static int internal_error_exit(struct emu_cpu *c, struct vcpu_exit *exit, const char *why)
{
	uint8_t code[8];
	char hex[3 * sizeof(code) + 1] = "";
	unsigned n = emu_peek_code(c, code, sizeof(code));
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", code[i]);
	exit->kind = VCPU_EXIT_INTERNAL_ERROR;
	snprintf(exit->error.msg, sizeof(exit->error.msg),
		 "emu: %s at %04x:%#" PRIx64 " (code: %s%s)", why, c->seg[S_CS].sel, c->rip,
		 n ? hex : "unreadable", n ? "..." : "");
	return -1;
}

/* Looks at the outcome of a step; returns 1 if the run loop must exit. */
static int check_stop(struct emu_cpu *c, struct vcpu_exit *exit, int *rc)
{
	if (c->internal_error) {
		const char *why = c->internal_error;
		c->internal_error = NULL;
		*rc = internal_error_exit(c, exit, why);
		return 1;
	}
	if (c->triple_fault) {
		c->triple_fault = false;
		exit->kind = VCPU_EXIT_RESET;
		return 1;
	}
	if (c->shutdown_request) {
		c->shutdown_request = false;
		exit->kind = VCPU_EXIT_SHUTDOWN;
		return 1;
	}
	return 0;
}

static void trace_rip(struct accel_vcpu *av)
{
	const struct emu_cpu *c = &av->v.cpu;
	fprintf(stderr, "emu trace: cpu %u icount %" PRIu64 " rip %04x:%#" PRIx64 " cr3 %#" PRIx64
		" rsp %#" PRIx64 " rflags %#" PRIx64 "%s\n",
		c->index, c->icount, c->seg[S_CS].sel, c->rip, c->cr3, c->gpr[R_SP], c->rflags,
		c->halted ? " (halted)" : "");
	av->trace_next = c->icount + av->trace_every;
}

static int emu_vcpu_run(struct accel_vcpu *av, struct vcpu_exit *exit)
{
	struct emu_vcpu *v = &av->v;
	struct emu_cpu *c = &v->cpu;
	int rc = 0;

	exit->kind = VCPU_EXIT_NONE;
	for (;;) {
		if (atomic_exchange(&v->kick, false))
			return 0;
		if (av->trace_every && c->icount >= av->trace_next)
			trace_rip(av);
		poll_intc(v);
		handle_init_sipi(v);
		if (atomic_load(&v->wait_sipi)) {
			sleep_until(v, sipi_ready);
			continue;
		}
		if (c->halted) {
			if (!halt_wakeup(v)) {
				/* Nothing but an interrupt controller could wake us:
				 * without one, this vCPU is stopped for good. */
				if (!v->vm->intc)
					return exit->kind = VCPU_EXIT_HLT, 0;
				if ((c->rflags & FL_IF) && v->vm->intc->pending &&
				    v->vm->intc->pending(v->vm->intc_opaque, c->index))
					atomic_store(&v->irq_hint, true);
				else
					sleep_until(v, halt_wakeup);
				continue;
			}
			if (nmi_deliverable(c) || atomic_load(&v->init_pending))
				c->halted = false;
			/* An interrupt: emu_run delivers it and clears halted. */
		}
		if (nmi_deliverable(c)) {
			__atomic_store_n(&c->nmi_pending, false, __ATOMIC_RELEASE);
			c->halted = false;
			c->insn_rip = c->rip;
			emu_deliver(c, EXC_NMI, false, 0, false, c->rip);
			if (check_stop(c, exit, &rc))
				return rc;
		}
		/* emu_run also returns right after an instruction during
		 * which a device stopped the VM (debug exit, reset): kick. */
		emu_run(c, EMU_BATCH, &v->kick);
		if (check_stop(c, exit, &rc))
			return rc;
	}
}

/* ---- register state ---- */

static int emu_get_regs(struct accel_vcpu *av, struct x86_regs *r)
{
	const struct emu_cpu *c = &av->v.cpu;
	r->rax = c->gpr[R_AX];
	r->rcx = c->gpr[R_CX];
	r->rdx = c->gpr[R_DX];
	r->rbx = c->gpr[R_BX];
	r->rsp = c->gpr[R_SP];
	r->rbp = c->gpr[R_BP];
	r->rsi = c->gpr[R_SI];
	r->rdi = c->gpr[R_DI];
	r->r8 = c->gpr[R_R8];
	r->r9 = c->gpr[R_R9];
	r->r10 = c->gpr[R_R10];
	r->r11 = c->gpr[R_R11];
	r->r12 = c->gpr[R_R12];
	r->r13 = c->gpr[R_R13];
	r->r14 = c->gpr[R_R14];
	r->r15 = c->gpr[R_R15];
	r->rip = c->rip;
	r->rflags = c->rflags;
	return 0;
}

static int emu_set_regs(struct accel_vcpu *av, const struct x86_regs *r)
{
	struct emu_cpu *c = &av->v.cpu;
	c->gpr[R_AX] = r->rax;
	c->gpr[R_CX] = r->rcx;
	c->gpr[R_DX] = r->rdx;
	c->gpr[R_BX] = r->rbx;
	c->gpr[R_SP] = r->rsp;
	c->gpr[R_BP] = r->rbp;
	c->gpr[R_SI] = r->rsi;
	c->gpr[R_DI] = r->rdi;
	c->gpr[R_R8] = r->r8;
	c->gpr[R_R9] = r->r9;
	c->gpr[R_R10] = r->r10;
	c->gpr[R_R11] = r->r11;
	c->gpr[R_R12] = r->r12;
	c->gpr[R_R13] = r->r13;
	c->gpr[R_R14] = r->r14;
	c->gpr[R_R15] = r->r15;
	c->rip = r->rip;
	c->rflags = (r->rflags & 0x3f7fd7) | 2;
	emu_update_mode(c);
	return 0;
}

static void seg_out(const struct emu_seg *s, struct x86_seg *x)
{
	unsigned a = s->attr;
	x->base = s->base;
	x->limit = s->limit;
	x->selector = s->sel;
	x->type = SEG_ATTR_TYPE(a);
	x->s = SEG_ATTR_S(a);
	x->dpl = SEG_ATTR_DPL(a);
	x->present = SEG_ATTR_P(a);
	x->avl = (a >> 8) & 1;
	x->l = SEG_ATTR_L(a);
	x->db = SEG_ATTR_DB(a);
	x->g = SEG_ATTR_G(a);
	x->unusable = !SEG_ATTR_P(a);
}

static void seg_in(const struct x86_seg *x, struct emu_seg *s)
{
	s->base = x->base;
	s->limit = x->limit;
	s->sel = x->selector;
	s->attr = (uint16_t)((x->type & 0xf) | (x->s ? 1 << 4 : 0) | ((x->dpl & 3) << 5) |
			     (x->present && !x->unusable ? 1 << 7 : 0) | (x->avl ? 1 << 8 : 0) |
			     (x->l ? 1 << 9 : 0) | (x->db ? 1 << 10 : 0) | (x->g ? 1 << 11 : 0));
}

static int emu_get_sregs(struct accel_vcpu *av, struct x86_sregs *s)
{
	const struct emu_cpu *c = &av->v.cpu;
	seg_out(&c->seg[S_CS], &s->cs);
	seg_out(&c->seg[S_DS], &s->ds);
	seg_out(&c->seg[S_ES], &s->es);
	seg_out(&c->seg[S_FS], &s->fs);
	seg_out(&c->seg[S_GS], &s->gs);
	seg_out(&c->seg[S_SS], &s->ss);
	seg_out(&c->tr, &s->tr);
	seg_out(&c->ldtr, &s->ldt);
	s->gdt.base = c->gdtr.base;
	s->gdt.limit = c->gdtr.limit;
	s->idt.base = c->idtr.base;
	s->idt.limit = c->idtr.limit;
	s->cr0 = c->cr0;
	s->cr2 = c->cr2;
	s->cr3 = c->cr3;
	s->cr4 = c->cr4;
	s->cr8 = c->cr8;
	s->efer = c->efer;
	s->apic_base = c->apic_base;
	return 0;
}

static int emu_set_sregs(struct accel_vcpu *av, const struct x86_sregs *s)
{
	struct emu_cpu *c = &av->v.cpu;
	seg_in(&s->cs, &c->seg[S_CS]);
	seg_in(&s->ds, &c->seg[S_DS]);
	seg_in(&s->es, &c->seg[S_ES]);
	seg_in(&s->fs, &c->seg[S_FS]);
	seg_in(&s->gs, &c->seg[S_GS]);
	seg_in(&s->ss, &c->seg[S_SS]);
	seg_in(&s->tr, &c->tr);
	seg_in(&s->ldt, &c->ldtr);
	c->gdtr.base = s->gdt.base;
	c->gdtr.limit = s->gdt.limit;
	c->idtr.base = s->idt.base;
	c->idtr.limit = s->idt.limit;
	c->cr0 = s->cr0 | X86_CR0_ET;
	c->cr2 = s->cr2;
	c->cr3 = s->cr3;
	c->cr4 = s->cr4;
	c->cr8 = s->cr8 & 0xf;
	c->efer = s->efer;
	if (s->apic_base)
		c->apic_base = s->apic_base;
	emu_tlb_flush(c, true);
	emu_update_mode(c);
	return 0;
}

const struct accel_ops accel_emu_ops = {
    .name = "emu",
    .needs_user_irqchip = true,
    .available = emu_available,
    .max_cpus = emu_max_cpus,
    .vm_create = emu_vm_create,
    .vm_destroy = emu_vm_destroy,
    .vcpu_create = emu_vcpu_create,
    .vcpu_destroy = emu_vcpu_destroy,
    .vcpu_run = emu_vcpu_run,
    .vcpu_kick = emu_vcpu_kick,
    .get_regs = emu_get_regs,
    .set_regs = emu_set_regs,
    .get_sregs = emu_get_sregs,
    .set_sregs = emu_set_sregs,
    .irq_line = emu_irq_line,
    .signal_msi = emu_signal_msi,
    .ioeventfd = NULL,
    .irqfd = NULL,
    .irqchip_notify = emu_irqchip_notify,
};
