/* The vCPU run loop: one KVM_RUN, and the translation of KVM's exit
 * reasons into the neutral struct vcpu_exit. Anything this file does not
 * understand becomes VCPU_EXIT_INTERNAL_ERROR with a message naming the
 * exit, so the VM stops instead of guessing (fail closed). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm_internal.h"

#define EXIT_NAME(x) [x] = #x
static const char *const exit_names[] = {
    EXIT_NAME(KVM_EXIT_UNKNOWN),
    EXIT_NAME(KVM_EXIT_EXCEPTION),
    EXIT_NAME(KVM_EXIT_IO),
    EXIT_NAME(KVM_EXIT_HYPERCALL),
    EXIT_NAME(KVM_EXIT_DEBUG),
    EXIT_NAME(KVM_EXIT_HLT),
    EXIT_NAME(KVM_EXIT_MMIO),
    EXIT_NAME(KVM_EXIT_IRQ_WINDOW_OPEN),
    EXIT_NAME(KVM_EXIT_SHUTDOWN),
    EXIT_NAME(KVM_EXIT_FAIL_ENTRY),
    EXIT_NAME(KVM_EXIT_INTR),
    EXIT_NAME(KVM_EXIT_SET_TPR),
    EXIT_NAME(KVM_EXIT_TPR_ACCESS),
    EXIT_NAME(KVM_EXIT_S390_SIEIC),
    EXIT_NAME(KVM_EXIT_S390_RESET),
    EXIT_NAME(KVM_EXIT_DCR),
    EXIT_NAME(KVM_EXIT_NMI),
    EXIT_NAME(KVM_EXIT_INTERNAL_ERROR),
    EXIT_NAME(KVM_EXIT_OSI),
    EXIT_NAME(KVM_EXIT_PAPR_HCALL),
    EXIT_NAME(KVM_EXIT_S390_UCONTROL),
    EXIT_NAME(KVM_EXIT_WATCHDOG),
    EXIT_NAME(KVM_EXIT_S390_TSCH),
    EXIT_NAME(KVM_EXIT_EPR),
    EXIT_NAME(KVM_EXIT_SYSTEM_EVENT),
    EXIT_NAME(KVM_EXIT_S390_STSI),
    EXIT_NAME(KVM_EXIT_IOAPIC_EOI),
    EXIT_NAME(KVM_EXIT_HYPERV),
    EXIT_NAME(KVM_EXIT_ARM_NISV),
    EXIT_NAME(KVM_EXIT_X86_RDMSR),
    EXIT_NAME(KVM_EXIT_X86_WRMSR),
    EXIT_NAME(KVM_EXIT_DIRTY_RING_FULL),
    EXIT_NAME(KVM_EXIT_AP_RESET_HOLD),
    EXIT_NAME(KVM_EXIT_X86_BUS_LOCK),
    EXIT_NAME(KVM_EXIT_XEN),
    EXIT_NAME(KVM_EXIT_RISCV_SBI),
    EXIT_NAME(KVM_EXIT_RISCV_CSR),
    EXIT_NAME(KVM_EXIT_NOTIFY),
};

static const char *exit_name(uint32_t reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[reason])
		return exit_names[reason];
	return "unknown to vslice";
}

static const char *internal_error_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failure";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "exit while delivering an event";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected hardware exit";
	default:
		return "unknown suberror";
	}
}

/* Fills exit with an internal error "KVM exit N (NAME<detail>) at rip X"
 * and returns -1. */
static int exit_error(struct accel_vcpu *vcpu, struct vcpu_exit *exit, const char *detail)
{
	uint32_t reason = vcpu->run->exit_reason;
	struct kvm_regs regs;
	char where[48] = "";
	if (KVM_IOCTL_PTR(NULL, vcpu->fd, KVM_GET_REGS, &regs) == 0)
		snprintf(where, sizeof(where), " at rip 0x%llx", (unsigned long long)regs.rip);
	exit->kind = VCPU_EXIT_INTERNAL_ERROR;
	snprintf(exit->error.msg, sizeof(exit->error.msg), "vCPU %u: KVM exit %" PRIu32 " (%s%s)%s",
		 vcpu->index, reason, exit_name(reason), detail, where);
	return -1;
}

static int translate_io(struct accel_vcpu *vcpu, struct vcpu_exit *exit)
{
	const struct kvm_run *run = vcpu->run;
	uint64_t size = run->io.size, count = run->io.count, off = run->io.data_offset;
	size_t run_size = vcpu->vm->run_size;
	if ((size != 1 && size != 2 && size != 4) || count == 0 || off >= run_size ||
	    size * count > run_size - off) {
		char detail[96];
		snprintf(detail, sizeof(detail), ", bad data area: size %u count %u offset %llu",
			 (unsigned)size, (unsigned)count, (unsigned long long)off);
		return exit_error(vcpu, exit, detail);
	}
	exit->kind = VCPU_EXIT_PIO;
	exit->pio.port = run->io.port;
	exit->pio.size = (uint8_t)size;
	exit->pio.is_write = run->io.direction == KVM_EXIT_IO_OUT;
	exit->pio.count = (uint32_t)count;
	exit->pio.data = (uint8_t *)vcpu->run + off;
	vcpu->io_pending = true;
	return 0;
}

static int translate_mmio(struct accel_vcpu *vcpu, struct vcpu_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	if (run->mmio.len < 1 || run->mmio.len > sizeof(run->mmio.data)) {
		char detail[48];
		snprintf(detail, sizeof(detail), ", bad length %u", (unsigned)run->mmio.len);
		return exit_error(vcpu, exit, detail);
	}
	exit->kind = VCPU_EXIT_MMIO;
	exit->mmio.addr = run->mmio.phys_addr;
	exit->mmio.len = (uint8_t)run->mmio.len;
	exit->mmio.is_write = run->mmio.is_write != 0;
	exit->mmio.data = run->mmio.data;
	vcpu->io_pending = true;
	return 0;
}

static int translate_system_event(struct accel_vcpu *vcpu, struct vcpu_exit *exit)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		exit->kind = VCPU_EXIT_SHUTDOWN;
		return 0;
	case KVM_SYSTEM_EVENT_RESET:
		exit->kind = VCPU_EXIT_RESET;
		return 0;
	default: {
		char detail[48];
		snprintf(detail, sizeof(detail), ", event type %u",
			 (unsigned)vcpu->run->system_event.type);
		return exit_error(vcpu, exit, detail);
	}
	}
}

/* For emulation failures KVM may hand over the instruction bytes: they
 * say more than anything else what the guest was doing. */
static int emulation_failure_bytes(const struct kvm_run *run, char *out, size_t size)
{
	const uint32_t max_ndata = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
	if (run->internal.ndata < 2 || run->internal.ndata > max_ndata ||
	    !(run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return 0;
	unsigned len = run->emulation_failure.insn_size;
	if (len > sizeof(run->emulation_failure.insn_bytes))
		len = sizeof(run->emulation_failure.insn_bytes);
	if (len > 8) /* the message has room for 8 */
		len = 8;
	int n = snprintf(out, size, ", insn");
	for (unsigned i = 0; i < len && n > 0 && (size_t)n < size; i++)
		n += snprintf(out + n, size - n, " %02x", run->emulation_failure.insn_bytes[i]);
	return 1;
}

static int translate_internal_error(struct accel_vcpu *vcpu, struct vcpu_exit *exit)
{
	const struct kvm_run *run = vcpu->run;
	char detail[112];
	int n = snprintf(detail, sizeof(detail), ", suberror %u: %s", run->internal.suberror,
			 internal_error_name(run->internal.suberror));
	if (n < 0 || (size_t)n >= sizeof(detail))
		return exit_error(vcpu, exit, detail);
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    emulation_failure_bytes(run, detail + n, sizeof(detail) - n))
		return exit_error(vcpu, exit, detail);
	const uint32_t max_ndata = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
	for (uint32_t i = 0;
	     i < run->internal.ndata && i < max_ndata && i < 2 && (size_t)n < sizeof(detail); i++) {
		int m = snprintf(detail + n, sizeof(detail) - n, "%s0x%llx", i ? " " : ", data ",
				 (unsigned long long)run->internal.data[i]);
		if (m < 0)
			break;
		n += m;
	}
	return exit_error(vcpu, exit, detail);
}

static int translate_exit(struct accel_vcpu *vcpu, struct vcpu_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return translate_io(vcpu, exit);
	case KVM_EXIT_MMIO:
		return translate_mmio(vcpu, exit);
	case KVM_EXIT_HLT:
		exit->kind = VCPU_EXIT_HLT;
		return 0;
	case KVM_EXIT_SHUTDOWN: /* triple fault: a PC resets */
		exit->kind = VCPU_EXIT_RESET;
		return 0;
	case KVM_EXIT_SYSTEM_EVENT:
		return translate_system_event(vcpu, exit);
	case KVM_EXIT_INTR:
		exit->kind = VCPU_EXIT_NONE;
		return 0;
	case KVM_EXIT_INTERNAL_ERROR:
		return translate_internal_error(vcpu, exit);
	case KVM_EXIT_FAIL_ENTRY: {
		char detail[80];
		snprintf(detail, sizeof(detail), ", hardware reason 0x%llx on host cpu %u",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			 run->fail_entry.cpu);
		return exit_error(vcpu, exit, detail);
	}
	default:
		return exit_error(vcpu, exit, "");
	}
}

/* Remembers which thread runs this vCPU, so a kick can signal it, and
 * makes sure that thread can receive the kick signal. */
static void note_thread(struct accel_vcpu *vcpu)
{
	pthread_t self = pthread_self();
	if (atomic_load_explicit(&vcpu->has_thread, memory_order_relaxed) &&
	    pthread_equal(vcpu->thread, self))
		return;
	atomic_store_explicit(&vcpu->has_thread, false, memory_order_release);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, KVM_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	vcpu->thread = self;
	atomic_store_explicit(&vcpu->has_thread, true, memory_order_release);
}

int kvm_vcpu_complete_io(struct accel_vcpu *vcpu, struct errbuf *eb)
{
	if (!vcpu->io_pending)
		return 0;
	vcpu->io_pending = false;
	/* A pending kick stays pending: only undo what we set. */
	bool was_set = __atomic_exchange_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	int r = ioctl(vcpu->fd, KVM_RUN, 0);
	int e = errno;
	if (!was_set)
		__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (r < 0 && e != EINTR && e != EAGAIN)
		return errbuf_set(eb, "KVM_RUN (to complete I/O): %s", strerror(e));
	return 0;
}

int kvm_vcpu_run(struct accel_vcpu *vcpu, struct vcpu_exit *exit)
{
	note_thread(vcpu);
	vcpu->io_pending = false;
	if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			/* Kicked (or any signal): let the core look around. */
			__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
			exit->kind = VCPU_EXIT_NONE;
			return 0;
		}
		exit->kind = VCPU_EXIT_INTERNAL_ERROR;
		snprintf(exit->error.msg, sizeof(exit->error.msg), "vCPU %u: KVM_RUN: %s",
			 vcpu->index, strerror(errno));
		return -1;
	}
	return translate_exit(vcpu, exit);
}
