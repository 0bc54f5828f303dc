/* Private to the KVM back-end: the VM and vCPU structures, the checked
 * ioctl wrappers every file uses, and the functions the files share. */
#ifndef VSLICE_ACCEL_KVM_INTERNAL_H
#define VSLICE_ACCEL_KVM_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "vslice/accel.h"
#include "vslice/errbuf.h"

#define KVM_DEV_PATH "/dev/kvm"
#define KVM_API_VERSION_EXPECTED 12
/* Most vCPUs we ever ask for: APIC IDs must fit in an xAPIC's 8 bits and
 * 0xff is the broadcast ID. */
#define KVM_ACCEL_MAX_CPUS 255
/* The in-kernel IOAPIC has 24 pins: GSIs 0..23. */
#define KVM_ACCEL_NR_GSIS 24

/* Guest-physical pages KVM needs for itself when running real mode on
 * VT-x: three pages for the real-mode TSS and one for the identity page
 * table. They sit in the MMIO hole below the IOAPIC, clear of RAM, the
 * IOAPIC/LAPIC pages and a firmware image at the top of 4 GiB. */
#define KVM_ACCEL_IDENTITY_MAP_ADDR 0xfeffc000ULL
#define KVM_ACCEL_TSS_ADDR 0xfeffd000ULL

/* The real-time signal that kicks a vCPU thread out of KVM_RUN. */
#define KVM_KICK_SIGNAL (SIGRTMIN + 4)

struct accel_vm {
	int kvm_fd; /* /dev/kvm: system ioctls */
	int vm_fd;
	size_t run_size; /* KVM_GET_VCPU_MMAP_SIZE */
	unsigned ncpus;
	struct guest_mem *mem;
	struct accel_io io;
	struct kvm_cpuid2 *supported_cpuid; /* KVM_GET_SUPPORTED_CPUID, once */
	struct kvm_msr_list *msr_list;	    /* KVM_GET_MSR_INDEX_LIST, once */
	atomic_uint nvcpus;		    /* live vCPUs, to catch leaks at vm_destroy */
};

struct accel_vcpu {
	struct accel_vm *vm;
	unsigned index; /* == vcpu id == APIC ID */
	int fd;
	struct kvm_run *run; /* mmap of vm->run_size bytes */
	pthread_t thread;    /* the thread in vcpu_run, once has_thread */
	atomic_bool has_thread;
	/* The last exit was PIO/MMIO that KVM finishes on the next KVM_RUN. */
	bool io_pending;
};

/* ioctl(fd, req, arg), retried on EINTR. On failure fills eb (if not
 * NULL) with "NAME: strerror(errno)", keeps errno and returns -1. */
int kvm_ioctl_named(int fd, unsigned long req, const char *name, unsigned long arg,
		    struct errbuf *eb);

/* For ioctls that take a pointer: checks at compile time that the
 * argument has the size encoded in the request number. */
#define KVM_IOCTL_PTR(eb, fd, req, ptr)                                                            \
	({                                                                                         \
		_Static_assert(_IOC_SIZE(req) == sizeof(*(ptr)),                                   \
			       #req ": argument has the wrong size");                              \
		kvm_ioctl_named(fd, req, #req, (unsigned long)(ptr), eb);                          \
	})
/* For _IO ioctls that take a plain value (or nothing). */
#define KVM_IOCTL_VAL(eb, fd, req, val)                                                            \
	({                                                                                         \
		_Static_assert(_IOC_SIZE(req) == 0, #req ": takes a pointer");                     \
		kvm_ioctl_named(fd, req, #req, (unsigned long)(val), eb);                          \
	})

/* kvm_host.c: opens /dev/kvm, checks the API version and the
 * capabilities we need. Returns the fd (O_CLOEXEC) or -1. */
int kvm_open_checked(struct errbuf *eb);
/* KVM_CHECK_EXTENSION on fd (system or VM); 0 if absent or on error. */
int kvm_check_cap(int fd, long cap);
/* KVM_CAP_MAX_VCPUS (else KVM_CAP_NR_VCPUS, else 4), capped at 255. */
unsigned kvm_max_vcpus_of(int fd);
bool kvm_available(struct errbuf *eb);
unsigned kvm_max_cpus(void);

/* kvm_vm.c */
int kvm_vm_create(const struct accel_vm_config *cfg, struct accel_vm **out, struct errbuf *eb);
void kvm_vm_destroy(struct accel_vm *vm);

/* kvm_irq.c */
/* After KVM_CREATE_IRQCHIP: GSI routing and the IOAPIC's ID. */
int kvm_irq_setup(struct accel_vm *vm, struct errbuf *eb);
int kvm_irq_line(struct accel_vm *vm, unsigned gsi, int level);
int kvm_signal_msi(struct accel_vm *vm, uint64_t addr, uint32_t data);
int kvm_ioeventfd(struct accel_vm *vm, uint64_t addr, unsigned len, bool is_pio, int efd);
int kvm_irqfd(struct accel_vm *vm, unsigned gsi, int efd);

/* kvm_vcpu.c */
int kvm_vcpu_create(struct accel_vm *vm, unsigned index, struct accel_vcpu **out,
		    struct errbuf *eb);
void kvm_vcpu_destroy(struct accel_vcpu *vcpu);
void kvm_vcpu_kick(struct accel_vcpu *vcpu);

/* kvm_run.c: the run loop and exit translation. */
int kvm_vcpu_run(struct accel_vcpu *vcpu, struct vcpu_exit *exit);
/* Lets KVM finish a PIO/MMIO exit (storing an IN's data, moving rip past
 * the instruction) without running any further guest code, so register
 * state read or written now is consistent (api.rst, "KVM_EXIT_IO"). */
int kvm_vcpu_complete_io(struct accel_vcpu *vcpu, struct errbuf *eb);

/* kvm_regs.c */
int kvm_get_regs(struct accel_vcpu *vcpu, struct x86_regs *r);
int kvm_set_regs(struct accel_vcpu *vcpu, const struct x86_regs *r);
int kvm_get_sregs(struct accel_vcpu *vcpu, struct x86_sregs *s);
int kvm_set_sregs(struct accel_vcpu *vcpu, const struct x86_sregs *s);

/* kvm_cpuid.c: fetches the supported table (once per VM) and installs a
 * per-vCPU CPUID table. */
int kvm_cpuid_fetch(struct accel_vm *vm, struct errbuf *eb);
int kvm_cpuid_setup_vcpu(struct accel_vcpu *vcpu, struct errbuf *eb);

/* kvm_msr.c: fetches the MSR index list (once per VM); sets the initial
 * MSRs and FPU state of a vCPU. */
int kvm_msr_fetch(struct accel_vm *vm, struct errbuf *eb);
int kvm_msr_setup_vcpu(struct accel_vcpu *vcpu, struct errbuf *eb);
int kvm_fpu_setup_vcpu(struct accel_vcpu *vcpu, struct errbuf *eb);

/* kvm_lapic.c: local APIC reset state (virtual-wire LINT0/LINT1 on the
 * BSP) and the AP wait-for-SIPI check. */
int kvm_lapic_setup_vcpu(struct accel_vcpu *vcpu, struct errbuf *eb);
int kvm_mp_state_check(struct accel_vcpu *vcpu, struct errbuf *eb);

#endif
