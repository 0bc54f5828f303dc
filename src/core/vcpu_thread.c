/* One host thread per vCPU: run the accelerator, dispatch the exits it
 * leaves to the core, stop when the VM is stopping. Fails closed: an exit
 * the core does not understand stops the VM with a message. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "vslice/log.h"
#include "vslice/vm.h"

static void dispatch_pio(struct vm *vm, const struct vcpu_exit *e)
{
	for (uint32_t i = 0; i < e->pio.count; i++)
		vm_pio(vm, e->pio.port, e->pio.data + (size_t)i * e->pio.size, e->pio.size,
		       e->pio.is_write);
}

/* Waits until the VM stops: a halted vCPU that no interrupt can wake. */
static void wait_for_stop(struct vm *vm)
{
	pthread_mutex_lock(&vm->stop_lock);
	while (!atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->stop_cond, &vm->stop_lock);
	pthread_mutex_unlock(&vm->stop_lock);
}

static void *vcpu_main(void *arg)
{
	const struct vcpu_ctx *ctx = arg;
	struct vm *vm = ctx->vm;
	unsigned index = ctx->index;
	struct accel_vcpu *vcpu = vm->vcpu[index];
	struct vcpu_exit e;

	while (!atomic_load(&vm->stopping)) {
		memset(&e, 0, sizeof(e.kind));
		if (vm->accel->vcpu_run(vcpu, &e) < 0) {
			log_err("vCPU %u: %s", index, e.error.msg);
			vm_request_stop(vm, VM_STOP_ERROR, VM_EXIT_FAILURE);
			break;
		}
		switch (e.kind) {
		case VCPU_EXIT_NONE:
			break;
		case VCPU_EXIT_PIO:
			dispatch_pio(vm, &e);
			break;
		case VCPU_EXIT_MMIO:
			vm_mmio(vm, e.mmio.addr, e.mmio.data, e.mmio.len, e.mmio.is_write);
			break;
		case VCPU_EXIT_HLT:
			/* The back-end found nothing that can wake this vCPU. */
			log_info("vCPU %u halted for good", index);
			wait_for_stop(vm);
			break;
		case VCPU_EXIT_SHUTDOWN:
			vm_request_stop(vm, VM_STOP_POWEROFF, VM_EXIT_POWEROFF);
			break;
		case VCPU_EXIT_RESET:
			vm_request_stop(vm, VM_STOP_RESET, 0);
			break;
		case VCPU_EXIT_INTERNAL_ERROR:
			log_err("vCPU %u: %s", index, e.error.msg);
			vm_request_stop(vm, VM_STOP_ERROR, VM_EXIT_FAILURE);
			break;
		default:
			log_err("vCPU %u: unknown exit kind %d from accelerator %s", index,
				(int)e.kind, vm->accel->name);
			vm_request_stop(vm, VM_STOP_ERROR, VM_EXIT_FAILURE);
			break;
		}
	}
	return NULL;
}

int vm_start_vcpus(struct vm *vm, struct errbuf *eb)
{
	for (unsigned i = 0; i < vm->cfg.ncpus; i++) {
		vm->vcpu_ctx[i] = (struct vcpu_ctx){ .vm = vm, .index = i };
		int err = pthread_create(&vm->thread[i], NULL, vcpu_main, &vm->vcpu_ctx[i]);
		if (err) {
			vm_request_stop(vm, VM_STOP_ERROR, VM_EXIT_FAILURE);
			vm_join_vcpus(vm);
			return errbuf_set(eb, "pthread_create for vCPU %u: %s", i, strerror(err));
		}
		vm->nthreads = i + 1;
	}
	return 0;
}

void vm_join_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nthreads; i++) {
		/* Kick until the thread has left the accelerator. */
		for (;;) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 20 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_timedjoin_np(vm->thread[i], NULL, &ts) == 0)
				break;
			vm->accel->vcpu_kick(vm->vcpu[i]);
		}
	}
	vm->nthreads = 0;
}
