/* KVM vCPUs: creation with their initial CPUID/MSR/FPU/LAPIC state, the
 * shared kvm_run page, destruction, and kicking a vCPU out of KVM_RUN.
 *
 * A kick sets run->immediate_exit and sends KVM_KICK_SIGNAL to the thread
 * that last called vcpu_run. The signal has a no-op handler installed
 * without SA_RESTART, so KVM_RUN returns EINTR if it was inside the guest;
 * if the thread was not yet (or no longer) inside KVM_RUN, immediate_exit
 * makes its next KVM_RUN return EINTR at once, so no kick is lost. Note
 * that the signal also interrupts any other blocking system call the vCPU
 * thread happens to be in (which then sees EINTR). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_internal.h"
#include "vslice/log.h"

static void kick_signal_handler(int sig)
{
	(void)sig; /* only there to make KVM_RUN return EINTR */
}

/* Installs the kick handler if it is not there yet. The handler is
 * process-wide by nature; installing it twice is harmless. */
static int install_kick_handler(struct errbuf *eb)
{
	struct sigaction old;
	if (sigaction(KVM_KICK_SIGNAL, NULL, &old) < 0)
		return errbuf_set(eb, "sigaction(SIGRTMIN+%d): %s", KVM_KICK_SIGNAL - SIGRTMIN,
				  strerror(errno));
	if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == kick_signal_handler)
		return 0;
	if (old.sa_handler != SIG_DFL && !(old.sa_flags & SA_SIGINFO) && old.sa_handler != SIG_IGN)
		log_warn("kvm: replacing an existing handler for signal SIGRTMIN+%d (vCPU kick)",
			 KVM_KICK_SIGNAL - SIGRTMIN);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_signal_handler;
	sa.sa_flags = 0; /* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(KVM_KICK_SIGNAL, &sa, NULL) < 0)
		return errbuf_set(eb, "sigaction(SIGRTMIN+%d): %s", KVM_KICK_SIGNAL - SIGRTMIN,
				  strerror(errno));
	return 0;
}

/* The per-vCPU state KVM does not give us as the architecture wants it.
 * CPUID first: KVM checks MSR writes against the vCPU's CPUID. */
static int setup_initial_state(struct accel_vcpu *vcpu, struct errbuf *eb)
{
	if (kvm_cpuid_setup_vcpu(vcpu, eb) < 0 || kvm_msr_setup_vcpu(vcpu, eb) < 0 ||
	    kvm_fpu_setup_vcpu(vcpu, eb) < 0 || kvm_lapic_setup_vcpu(vcpu, eb) < 0 ||
	    kvm_mp_state_check(vcpu, eb) < 0)
		return -1;
	return 0;
}

int kvm_vcpu_create(struct accel_vm *vm, unsigned index, struct accel_vcpu **out, struct errbuf *eb)
{
	*out = NULL;
	if (index >= vm->ncpus)
		return errbuf_set(eb, "kvm: vCPU %u does not exist: the VM has %u vCPUs", index,
				  vm->ncpus);
	if (install_kick_handler(eb) < 0)
		return -1;
	struct accel_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return errbuf_set(eb, "kvm: out of memory for vCPU %u", index);
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->run = MAP_FAILED;
	atomic_init(&vcpu->has_thread, false);
	vcpu->fd = KVM_IOCTL_VAL(eb, vm->vm_fd, KVM_CREATE_VCPU, index);
	if (vcpu->fd < 0) {
		free(vcpu);
		return -1;
	}
	atomic_fetch_add(&vm->nvcpus, 1);
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		errbuf_set(eb, "mmap of vCPU %u's kvm_run (%zu bytes): %s", index, vm->run_size,
			   strerror(errno));
		goto fail;
	}
	if (setup_initial_state(vcpu, eb) < 0)
		goto fail;
	*out = vcpu;
	return 0;
fail:
	kvm_vcpu_destroy(vcpu);
	return -1;
}

void kvm_vcpu_destroy(struct accel_vcpu *vcpu)
{
	if (!vcpu)
		return;
	if (vcpu->run != MAP_FAILED)
		munmap(vcpu->run, vcpu->vm->run_size);
	if (vcpu->fd >= 0) {
		close(vcpu->fd);
		atomic_fetch_sub(&vcpu->vm->nvcpus, 1);
	}
	free(vcpu);
}

void kvm_vcpu_kick(struct accel_vcpu *vcpu)
{
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (atomic_load_explicit(&vcpu->has_thread, memory_order_acquire))
		pthread_kill(vcpu->thread, KVM_KICK_SIGNAL);
}
