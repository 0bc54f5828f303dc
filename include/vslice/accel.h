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

struct accel_vm_config {
	unsigned ncpus;
	struct guest_mem *mem; /* RAM is mapped by the back-end at create time */
	struct accel_io io;
};

struct accel_ops {
	const char *name; /* "kvm", "emu" */
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
};

extern const struct accel_ops accel_kvm_ops;
extern const struct accel_ops accel_emu_ops;

/* Looks an accelerator up by name ("kvm", "emu"); NULL if unknown. */
const struct accel_ops *accel_find(const char *name);
/* Whether the host CPU has hardware virtualisation (VT-x or AMD-V), which
 * KVM needs to run unmodified guests in every mode. */
bool accel_host_has_hw_virt(void);

#endif
