/* A KVM virtual machine: KVM_CREATE_VM, the memory slots for guest RAM,
 * and the in-kernel platform devices: interrupt controllers (PIC, IOAPIC,
 * LAPICs, routed in kvm_irq.c) and the PIT. The PIT is created with a
 * dummy speaker, so ports 0x40-0x43 and 0x61 are handled in the kernel and
 * never reach the core. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_internal.h"
#include "vslice/log.h"

#define PAGE_MASK_4K 0xfffULL

/* One memory slot per guest_mem region; slot i is region i. */
static int map_guest_mem(struct accel_vm *vm, struct errbuf *eb)
{
	const struct guest_mem *gm = vm->mem;
	int max_slots = kvm_check_cap(vm->vm_fd, KVM_CAP_NR_MEMSLOTS);
	if (max_slots > 0 && gm->nregions > (unsigned)max_slots)
		return errbuf_set(eb, "guest memory has %u regions but KVM allows %d slots",
				  gm->nregions, max_slots);
	for (unsigned i = 0; i < gm->nregions && i < GM_MAX_REGIONS; i++) {
		const struct gm_region *r = &gm->region[i];
		if (r->size == 0 || (r->gpa & PAGE_MASK_4K) || (r->size & PAGE_MASK_4K) ||
		    ((uintptr_t)r->host & PAGE_MASK_4K))
			return errbuf_set(eb,
					  "guest memory region %u (gpa 0x%llx, %llu bytes): KVM "
					  "needs non-empty 4 KiB-aligned RAM",
					  i, (unsigned long long)r->gpa,
					  (unsigned long long)r->size);
		struct kvm_userspace_memory_region slot = {
		    .slot = i,
		    .flags = 0,
		    .guest_phys_addr = r->gpa,
		    .memory_size = r->size,
		    .userspace_addr = (uintptr_t)r->host,
		};
		if (KVM_IOCTL_PTR(eb, vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return -1;
	}
	return 0;
}

/* What KVM needs before the first vCPU exists: the VT-x real-mode helper
 * pages (harmless elsewhere), the interrupt controllers and the PIT. */
static int setup_platform(struct accel_vm *vm, struct errbuf *eb)
{
	if (kvm_check_cap(vm->vm_fd, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t addr = KVM_ACCEL_IDENTITY_MAP_ADDR;
		if (KVM_IOCTL_PTR(eb, vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0)
			return -1;
	}
	if (kvm_check_cap(vm->vm_fd, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    KVM_IOCTL_VAL(eb, vm->vm_fd, KVM_SET_TSS_ADDR, KVM_ACCEL_TSS_ADDR) < 0)
		return -1;
	if (KVM_IOCTL_VAL(eb, vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0 || kvm_irq_setup(vm, eb) < 0)
		return -1;
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	if (KVM_IOCTL_PTR(eb, vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return -1;
	return 0;
}

int kvm_vm_create(const struct accel_vm_config *cfg, struct accel_vm **out, struct errbuf *eb)
{
	*out = NULL;
	if (!cfg->mem || cfg->mem->nregions == 0)
		return errbuf_set(eb, "kvm: the VM has no guest memory");
	struct accel_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return errbuf_set(eb, "kvm: out of memory for the VM");
	vm->kvm_fd = vm->vm_fd = -1;
	vm->ncpus = cfg->ncpus;
	vm->mem = cfg->mem;
	vm->io = cfg->io;
	atomic_init(&vm->nvcpus, 0);

	vm->kvm_fd = kvm_open_checked(eb);
	if (vm->kvm_fd < 0)
		goto fail;
	unsigned max = kvm_max_vcpus_of(vm->kvm_fd);
	if (cfg->ncpus == 0 || cfg->ncpus > max) {
		errbuf_set(eb, "--cpus %u: KVM on this host runs 1 to %u vCPUs", cfg->ncpus, max);
		goto fail;
	}
	vm->vm_fd = KVM_IOCTL_VAL(eb, vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		goto fail;
	int run_size = KVM_IOCTL_VAL(eb, vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < 0)
		goto fail;
	if ((size_t)run_size < sizeof(struct kvm_run)) {
		errbuf_set(eb, "KVM_GET_VCPU_MMAP_SIZE: %d bytes, smaller than struct kvm_run",
			   run_size);
		goto fail;
	}
	vm->run_size = (size_t)run_size;
	if (setup_platform(vm, eb) < 0 || map_guest_mem(vm, eb) < 0)
		goto fail;
	if (kvm_cpuid_fetch(vm, eb) < 0 || kvm_msr_fetch(vm, eb) < 0)
		goto fail;
	*out = vm;
	return 0;
fail:
	kvm_vm_destroy(vm);
	return -1;
}

void kvm_vm_destroy(struct accel_vm *vm)
{
	if (!vm)
		return;
	unsigned live = atomic_load(&vm->nvcpus);
	if (live)
		log_warn("kvm: VM destroyed with %u vCPUs still alive: their fds keep it in memory",
			 live);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->supported_cpuid);
	free(vm->msr_list);
	free(vm);
}
