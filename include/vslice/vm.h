/* One virtual machine: memory, buses, platform devices, vCPUs and their
 * accelerator, and the lifecycle of a PC (boot, reset, power-off). */
#ifndef VSLICE_VM_H
#define VSLICE_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vslice/accel.h"
#include "vslice/bus.h"
#include "vslice/chardev.h"
#include "vslice/config.h"
#include "vslice/dev/acpi_pm.h"
#include "vslice/dev/apic_bus.h"
#include "vslice/dev/cmos_rtc.h"
#include "vslice/dev/debug_exit.h"
#include "vslice/dev/fw_cfg.h"
#include "vslice/dev/i8042.h"
#include "vslice/dev/i8254.h"
#include "vslice/dev/i8259.h"
#include "vslice/dev/ioapic.h"
#include "vslice/dev/port_sink.h"
#include "vslice/dev/testdev.h"
#include "vslice/dev/uart16550.h"
#include "vslice/errbuf.h"
#include "vslice/guest_mem.h"

/* Process exit statuses. Debug-exit gives (V << 1) | 1. */
enum {
	VM_EXIT_POWEROFF = 0,
	VM_EXIT_FAILURE = 1,
	VM_EXIT_USAGE = 2,
};

enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_POWEROFF,   /* guest powered off */
	VM_STOP_RESET,      /* guest reset: boot again or exit */
	VM_STOP_DEBUG_EXIT, /* guest wrote the debug-exit port */
	VM_STOP_QUIT,       /* user typed Ctrl-A x */
	VM_STOP_SIGNAL,     /* SIGTERM/SIGINT/SIGHUP to vslice */
	VM_STOP_ERROR,      /* VMM or accelerator failure */
};

struct file_image {
	const uint8_t *data;
	size_t size;
	const char *name;
};

struct vm_devices {
	struct uart16550 uart;
	struct cmos_rtc rtc;
	struct i8042 kbd;
	struct debug_exit dbg;
	struct acpi_pm pm;
	struct port_sink post, io_delay, a20;
	struct testdev testdev;
	struct fw_cfg fwcfg;
};

/* The PC's interrupt controllers and PIT as user-space models, for an
 * accelerator without in-kernel ones (accel_ops.needs_user_irqchip): one
 * local APIC per vCPU on the APIC bus, the IOAPIC, the 8259 pair, the 8254.
 * vCPU 0 drives the PIT (its timer deadlines include the PIT's). */
struct vm_irqchip {
	bool enabled;
	struct apic_bus bus;
	struct ioapic ioapic;
	struct i8259 pic;
	struct i8254 pit;
	_Atomic uint64_t pit_deadline; /* copy of i8254_next_event_ns() */
	struct accel_irqchip ops;      /* what the accelerator calls */
};

/* Paths of the default guest when no --kernel is given (vm.c). */
struct default_guest {
	char kernel[4096];
	char initrd[4096];
	char cmdline[1024];
};

struct vm;
struct vcpu_ctx {
	struct vm *vm;
	unsigned index;
};

struct vm {
	struct vm_config cfg;
	const struct accel_ops *accel;
	struct accel_vm *avm;
	struct accel_vcpu *vcpu[VM_MAX_CPUS];
	pthread_t thread[VM_MAX_CPUS];
	struct vcpu_ctx vcpu_ctx[VM_MAX_CPUS];
	unsigned nthreads;

	struct guest_mem mem;
	struct bus pio, mmio;
	/* Serialises device models: every bus dispatch and host-side input. */
	pthread_mutex_t dev_lock;
	struct vm_devices dev;
	struct vm_irqchip irqchip;
	struct chardev serial;
	bool serial_open;
	struct file_image kernel, initrd;
	struct default_guest default_guest;

	/* Stop requests: the first one wins. */
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	atomic_bool stopping;
	enum vm_stop_reason stop_reason;
	int exit_status;
	int event_fd; /* wakes the main loop */
	uint64_t boots;
};

/* Builds a VM from cfg: reads images, maps memory, wires devices, opens the
 * serial back-end. On failure returns -1 with eb set and *status the exit
 * status to use (usage or host failure); nothing is left behind. */
int vm_create(struct vm *vm, const struct vm_config *cfg, int *status, struct errbuf *eb);
/* Boots and runs the VM until it powers off, fails, or is quit; handles
 * resets. Returns the process exit status. */
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Called from any thread: ask the VM to stop. */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status);

/* Platform wiring (vm_platform.c). */
int vm_platform_init(struct vm *vm, struct errbuf *eb);
void vm_platform_reset(struct vm *vm);
/* The user-space interrupt controllers (vm_irqchip.c), created by
 * vm_platform_init when the accelerator needs them. */
int vm_irqchip_init(struct vm *vm, struct errbuf *eb);
/* Power-on state; called with the device lock held. */
void vm_irqchip_reset(struct vm *vm);
/* For accel_vm_config.irqchip: NULL when the accelerator has its own. */
const struct accel_irqchip *vm_irqchip_ops(struct vm *vm);
/* Dispatch used by vCPU threads and by back-ends' accel_io callbacks. */
bool vm_pio(void *opaque, uint16_t port, void *data, unsigned len, bool is_write);
bool vm_mmio(void *opaque, uint64_t addr, void *data, unsigned len, bool is_write);

/* vCPU threads (vcpu_thread.c). */
int vm_start_vcpus(struct vm *vm, struct errbuf *eb);
void vm_join_vcpus(struct vm *vm);

#endif
