/* The accelerator boundary: everything vslice needs from KVM or from its
 * own software CPU, and nothing more. Only src/accel/kvm/ includes
 * <linux/kvm.h>; the VM core sees neutral types only. */
#ifndef VSLICE_ACCEL_H
#define VSLICE_ACCEL_H

#include <stdbool.h>
#include <stdint.h>

#include "vslice/errbuf.h"
#include "vslice/guest_mem.h"
#include "vslice/x86_regs.h"

struct accel_vm;   /* back-end private */
struct accel_vcpu; /* back-end private */

enum vcpu_exit_kind {
	VCPU_EXIT_NONE = 0,      /* nothing for the core (e.g. kicked): loop again */
	VCPU_EXIT_PIO,           /* port I/O the back-end left to the core */
	VCPU_EXIT_MMIO,          /* MMIO the back-end left to the core */
	VCPU_EXIT_HLT,           /* HLT with no interrupt controller to wait in */
	VCPU_EXIT_SHUTDOWN,      /* guest asked to power off */
	VCPU_EXIT_RESET,         /* triple fault or reset request */
	VCPU_EXIT_INTERNAL_ERROR /* the back-end cannot go on; see .error */
};

struct vcpu_exit {
	enum vcpu_exit_kind kind;
	union {
		struct {
			uint16_t port;
			uint8_t size;   /* 1, 2 or 4 */
			bool is_write;
			uint32_t count; /* > 1 for string I/O */
			uint8_t *data;  /* count * size bytes, back-end owned */
		} pio;
		struct {
			uint64_t addr;
			uint8_t len;    /* 1..8 */
			bool is_write;
			uint8_t *data;  /* len bytes, back-end owned */
		} mmio;
		struct {
			char msg[160]; /* names the exit or failure */
		} error;
	};
};

/* Callbacks the core gives a back-end. A back-end that executes guest code
 * itself (the software CPU) calls these directly for port I/O and MMIO;
 * KVM returns VCPU_EXIT_PIO/MMIO instead and the core calls the same
 * dispatch. Both return false when no device claimed the access. */
struct accel_io {
	void *opaque;
	bool (*pio)(void *opaque, uint16_t port, void *data, unsigned len,
		    bool is_write);
	bool (*mmio)(void *opaque, uint64_t addr, void *data, unsigned len,
		     bool is_write);
};

/* A user-space interrupt controller (local APICs, IOAPIC, 8259, PIT: the
 * core's device models) for a back-end that has none of its own
 * (accel_ops.needs_user_irqchip). Callbacks take the vCPU index and may run
 * on any vCPU thread, concurrently; none is called with a back-end lock
 * held. Added by linuxboot. */
struct accel_irqchip {
	void *opaque;
	/* Acknowledges and returns the highest-priority external interrupt
	 * vector deliverable to vCPU cpu now, or -1. Called only when the
	 * vCPU can take it (RFLAGS.IF = 1, no interrupt shadow). */
	int (*ack)(void *opaque, unsigned cpu);
	/* Whether vCPU cpu has an interrupt pending (no acknowledge). */
	bool (*pending)(void *opaque, unsigned cpu);
	/* An interrupt line (GSI) changed level (called under the core's
	 * device lock, from accel_ops.irq_line). */
	void (*set_gsi)(void *opaque, unsigned gsi, int level);
	/* A message-signalled interrupt; 0, or -1 if addr is no MSI address. */
	int (*msi)(void *opaque, uint64_t addr, uint32_t data);
	/* MSRs of the local APIC (IA32_APIC_BASE, IA32_TSC_DEADLINE, x2APIC
	 * 0x800-0x8ff): 1 handled, 0 not an APIC MSR, -1 #GP. tsc: the
	 * vCPU's TSC now. */
	int (*rdmsr)(void *opaque, unsigned cpu, uint32_t msr, uint64_t *val);
	int (*wrmsr)(void *opaque, unsigned cpu, uint32_t msr, uint64_t val, uint64_t tsc);
	/* CR8 (task priority, 0-15). */
	void (*set_tpr)(void *opaque, unsigned cpu, unsigned tpr);
	unsigned (*get_tpr)(void *opaque, unsigned cpu);
	/* xAPIC MMIO by vCPU cpu at offset (0..0xfff) into its APIC page (the
	 * back-end intercepts accesses to the base in IA32_APIC_BASE). */
	void (*lapic_mmio)(void *opaque, unsigned cpu, uint64_t offset, void *data, unsigned len,
			   bool is_write);
	/* Timers: the CLOCK_MONOTONIC time (ns) at which update() must run
	 * for vCPU cpu (UINT64_MAX: never). The back-end calls update() when
	 * it is due, between instruction batches and when a HLT sleep ends. */
	uint64_t (*next_deadline_ns)(void *opaque, unsigned cpu);
	void (*update)(void *opaque, unsigned cpu, uint64_t now_ns);
	/* NMI, INIT and startup IPIs held for cpu (ACCEL_EV_* bits;
	 * *sipi_vector with ACCEL_EV_SIPI); polled after irqchip_notify(). */
	unsigned (*take_events)(void *opaque, unsigned cpu, uint8_t *sipi_vector);
	bool tsc_deadline; /* the TSC-deadline timer exists (CPUID.1:ECX[24]) */
	bool x2apic;       /* x2APIC mode exists (CPUID.1:ECX[21]) */
};

#define ACCEL_EV_NMI 1u
#define ACCEL_EV_INIT 2u
#define ACCEL_EV_SIPI 4u

struct accel_vm_config {
	unsigned ncpus;
	struct guest_mem *mem; /* RAM is mapped by the back-end at create time */
	struct accel_io io;
	/* The core's interrupt controller when the back-end needs one
	 * (needs_user_irqchip), else NULL. Added by linuxboot. */
	const struct accel_irqchip *irqchip;
};

struct accel_ops {
	const char *name; /* "kvm", "emu" */
	/* The back-end has no interrupt controllers of its own: the core
	 * creates its LAPIC/IOAPIC/PIC/PIT models and passes them in
	 * accel_vm_config.irqchip (KVM keeps its in-kernel ones). */
	bool needs_user_irqchip;
	/* Whether this back-end can run on this host; fills eb with why not. */
	bool (*available)(struct errbuf *eb);
	/* Most vCPUs the back-end supports on this host. */
	unsigned (*max_cpus)(void);
	int (*vm_create)(const struct accel_vm_config *cfg, struct accel_vm **out,
			 struct errbuf *eb);
	void (*vm_destroy)(struct accel_vm *vm);
	/* vCPU index i has APIC ID i; index 0 is the bootstrap processor. */
	int (*vcpu_create)(struct accel_vm *vm, unsigned index,
			   struct accel_vcpu **out, struct errbuf *eb);
	void (*vcpu_destroy)(struct accel_vcpu *vcpu);
	/* Runs until an exit the core must see. Called from the vCPU's own
	 * thread only. Returns 0, or -1 with exit->kind ==
	 * VCPU_EXIT_INTERNAL_ERROR and a message. */
	int (*vcpu_run)(struct accel_vcpu *vcpu, struct vcpu_exit *exit);
	/* Makes a running vcpu_run return soon (VCPU_EXIT_NONE). Any thread. */
	void (*vcpu_kick)(struct accel_vcpu *vcpu);
	int (*get_regs)(struct accel_vcpu *vcpu, struct x86_regs *r);
	int (*set_regs)(struct accel_vcpu *vcpu, const struct x86_regs *r);
	int (*get_sregs)(struct accel_vcpu *vcpu, struct x86_sregs *s);
	int (*set_sregs)(struct accel_vcpu *vcpu, const struct x86_sregs *s);
	/* Level of an interrupt line (GSI) into the PIC/IOAPIC. */
	int (*irq_line)(struct accel_vm *vm, unsigned gsi, int level);
	/* Message-signalled interrupt. May be NULL until a back-end has it. */
	int (*signal_msi)(struct accel_vm *vm, uint64_t addr, uint32_t data);
	/* Optional fast paths: a write to (addr, len) on the pio/mmio bus
	 * signals efd without an exit; efd raises gsi. NULL if unsupported. */
	int (*ioeventfd)(struct accel_vm *vm, uint64_t addr, unsigned len,
			 bool is_pio, int efd);
	int (*irqfd)(struct accel_vm *vm, unsigned gsi, int efd);
	/* needs_user_irqchip back-ends: the irqchip has something new for
	 * vCPU cpu (an interrupt became deliverable, an NMI/INIT/SIPI, or its
	 * timer deadline moved): wake it if it sleeps in HLT. Any thread. */
	void (*irqchip_notify)(struct accel_vm *vm, unsigned cpu);
};

extern const struct accel_ops accel_kvm_ops;
extern const struct accel_ops accel_emu_ops;

/* Looks an accelerator up by name ("kvm", "emu"); NULL if unknown. */
const struct accel_ops *accel_find(const char *name);
/* Whether the host CPU has hardware virtualisation (VT-x or AMD-V), which
 * KVM needs to run unmodified guests in every mode. */
bool accel_host_has_hw_virt(void);

#endif
