/* VM lifecycle: create (images, memory, devices, console), boot (ACPI,
 * loader, CPU state, accelerator, vCPU threads), the main loop (console
 * input, signals, stop requests) and reset like a PC: tear the accelerator
 * VM down and boot the same kernel again in the same process. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vslice/acpi.h"
#include "vslice/boot.h"
#include "vslice/log.h"
#include "vslice/vm.h"
#include "vslice/x86_boot.h"

static int map_file(struct file_image *img, const char *opt, const char *path,
		    struct errbuf *eb)
{
	img->name = path;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(eb, "%s %s: %s", opt, path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errbuf_set(eb, "%s %s: not a regular file", opt, path);
	}
	if (st.st_size == 0) {
		close(fd);
		return errbuf_set(eb, "%s %s: file is empty", opt, path);
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int e = errno;
	close(fd);
	if (p == MAP_FAILED)
		return errbuf_set(eb, "%s %s: mmap: %s", opt, path, strerror(e));
	img->data = p;
	img->size = (size_t)st.st_size;
	return 0;
}

static void unmap_file(struct file_image *img)
{
	if (img->data)
		munmap((void *)img->data, img->size);
	img->data = NULL;
}

static uint64_t host_ram_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	return pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
}

/* Reads a small text file (the default guest's command line) into buf,
 * without its trailing newline. */
static bool read_line_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

/* The default guest lives next to the binary: the Debian guest that
 * scripts/build-guest makes (guest/vmlinuz, guest/initramfs.cpio.gz,
 * guest/cmdline) when it is there, else the demo guest (guests/demo.elf).
 * --initrd and --cmdline still override. Returns false if neither exists. */
static bool pick_default_guest(struct vm *vm)
{
	struct default_guest *d = &vm->default_guest;
	char dir[sizeof(d->kernel) - 64];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return false;
	dir[n] = 0;
	char *slash = strrchr(dir, '/');
	if (!slash)
		return false;
	*slash = 0;
	snprintf(d->kernel, sizeof(d->kernel), "%s/guest/vmlinuz", dir);
	snprintf(d->initrd, sizeof(d->initrd), "%s/guest/initramfs.cpio.gz", dir);
	char cmdline_path[sizeof(d->kernel)];
	snprintf(cmdline_path, sizeof(cmdline_path), "%s/guest/cmdline", dir);
	if (access(d->kernel, R_OK) == 0 && access(d->initrd, R_OK) == 0 &&
	    read_line_file(cmdline_path, d->cmdline, sizeof(d->cmdline))) {
		vm->cfg.kernel = d->kernel;
		if (!vm->cfg.initrd)
			vm->cfg.initrd = d->initrd;
		if (!vm->cfg.cmdline[0])
			vm->cfg.cmdline = d->cmdline;
		log_info("no --kernel: booting the Debian guest %s", d->kernel);
		return true;
	}
	snprintf(d->kernel, sizeof(d->kernel), "%s/guests/demo.elf", dir);
	if (access(d->kernel, R_OK) != 0)
		return false;
	vm->cfg.kernel = d->kernel;
	log_info("no --kernel: booting the demo guest %s (scripts/build-guest makes the Debian guest)",
		 d->kernel);
	return true;
}

static int select_accel(struct vm *vm, int *status, struct errbuf *eb)
{
	struct errbuf why;
	const char *name = vm->cfg.accel;
	if (strcmp(name, "auto") == 0) {
		bool kvm_ok = accel_kvm_ops.available(&why);
		if (kvm_ok && accel_host_has_hw_virt()) {
			vm->accel = &accel_kvm_ops;
			log_info("--accel auto: using kvm (/dev/kvm is usable and the CPU has VT-x/AMD-V)");
		} else if (accel_emu_ops.available(NULL)) {
			vm->accel = &accel_emu_ops;
			fprintf(stderr, "vslice: --accel auto: using the software CPU (emu): %s\n",
				kvm_ok ? "/dev/kvm works but this CPU has no VT-x/AMD-V (no vmx/svm in /proc/cpuinfo), "
					 "so KVM cannot run unmodified guests here"
				       : why.msg);
		} else {
			*status = VM_EXIT_FAILURE;
			return errbuf_set(eb, "%s", why.msg);
		}
	} else {
		vm->accel = accel_find(name);
		if (!vm->accel->available(&why)) {
			*status = strcmp(name, "emu") == 0 ? VM_EXIT_USAGE : VM_EXIT_FAILURE;
			return errbuf_set(eb, "%s", why.msg);
		}
	}
	unsigned max = vm->accel->max_cpus();
	if (max > VM_MAX_CPUS)
		max = VM_MAX_CPUS;
	if (vm->cfg.ncpus > max) {
		*status = VM_EXIT_USAGE;
		return errbuf_set(eb, "--cpus %u: the %s accelerator supports at most %u here",
				  vm->cfg.ncpus, vm->accel->name, max);
	}
	return 0;
}

int vm_create(struct vm *vm, const struct vm_config *cfg, int *status, struct errbuf *eb)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->event_fd = -1;
	pthread_mutex_init(&vm->dev_lock, NULL);
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_cond_init(&vm->stop_cond, NULL);
	*status = VM_EXIT_USAGE;

	if (check_memory(cfg->mem_size, host_ram_bytes(), eb) < 0)
		goto fail;
	if (!vm->cfg.kernel) {
		if (!pick_default_guest(vm)) {
			errbuf_set(eb, "no --kernel given and no default guest next to the binary "
				       "(guest/vmlinuz or guests/demo.elf); run `make` or pass --kernel PATH");
			goto fail;
		}
	}
	if (map_file(&vm->kernel, "--kernel", vm->cfg.kernel, eb) < 0)
		goto fail;
	if (vm->cfg.initrd && map_file(&vm->initrd, "--initrd", vm->cfg.initrd, eb) < 0)
		goto fail;
	if (!bzimage_probe(vm->kernel.data, vm->kernel.size) &&
	    !multiboot_probe(vm->kernel.data, vm->kernel.size) &&
	    !elf_probe(vm->kernel.data, vm->kernel.size)) {
		errbuf_set(eb, "--kernel %s: not a bzImage, Multiboot or ELF kernel", vm->cfg.kernel);
		goto fail;
	}
	if (select_accel(vm, status, eb) < 0)
		goto fail;
	*status = VM_EXIT_FAILURE;
	if (guest_mem_init(&vm->mem, cfg->mem_size, eb) < 0)
		goto fail;
	if (vm_platform_init(vm, eb) < 0)
		goto fail;
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0) {
		errbuf_set(eb, "eventfd: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	vm_destroy(vm);
	return -1;
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop_reason == VM_RUNNING) {
		vm->stop_reason = reason;
		vm->exit_status = status;
	}
	atomic_store(&vm->stopping, true);
	pthread_cond_broadcast(&vm->stop_cond);
	pthread_mutex_unlock(&vm->stop_lock);
	for (unsigned i = 0; i < vm->cfg.ncpus; i++)
		if (vm->vcpu[i] && vm->accel->vcpu_kick)
			vm->accel->vcpu_kick(vm->vcpu[i]);
	uint64_t one = 1;
	if (write(vm->event_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow in practice; nothing to do. */
	}
}

/* Loads the guest and creates the accelerator VM and its vCPUs. */
static int vm_boot(struct vm *vm, int *status, struct errbuf *eb)
{
	/* Errors up to the loader are about the user's images. */
	*status = VM_EXIT_USAGE;
	uint64_t rsdp = 0;
	struct acpi_config acfg = { .ncpus = vm->cfg.ncpus };
	if (acpi_build(&vm->mem, BOOT_ACPI_ADDR, BOOT_ACPI_SIZE, &acfg, &rsdp, eb) < 0)
		return -1;
	struct boot_images in = {
		.kernel = vm->kernel.data,
		.kernel_size = vm->kernel.size,
		.kernel_name = vm->kernel.name,
		.initrd = vm->initrd.data,
		.initrd_size = vm->initrd.size,
		.initrd_name = vm->initrd.name,
		.cmdline = vm->cfg.cmdline,
		.acpi_rsdp = rsdp,
		.ncpus = vm->cfg.ncpus,
	};
	struct boot_state bs;
	if (boot_load(&vm->mem, &in, &bs, eb) < 0)
		return -1;
	struct x86_regs regs;
	struct x86_sregs sregs;
	if (x86_boot_cpu_state(&vm->mem, &bs, &regs, &sregs, eb) < 0)
		return -1;
	log_info("booting %s kernel %s, entry 0x%llx", bs.format, vm->kernel.name,
		 (unsigned long long)bs.entry);
	*status = VM_EXIT_FAILURE;

	struct accel_vm_config acfg2 = {
		.ncpus = vm->cfg.ncpus,
		.mem = &vm->mem,
		.io = { .opaque = vm, .pio = vm_pio, .mmio = vm_mmio },
		.irqchip = vm_irqchip_ops(vm),
	};
	if (vm->accel->vm_create(&acfg2, &vm->avm, eb) < 0)
		return -1;
	for (unsigned i = 0; i < vm->cfg.ncpus; i++)
		if (vm->accel->vcpu_create(vm->avm, i, &vm->vcpu[i], eb) < 0)
			return -1;
	/* The BSP starts at the loader's entry; APs wait for INIT/SIPI. */
	struct accel_vcpu *bsp = vm->vcpu[0];
	struct x86_sregs cur;
	if (vm->accel->get_sregs(bsp, &cur) < 0)
		return errbuf_set(eb, "reading the boot vCPU's registers failed");
	sregs.apic_base = cur.apic_base;
	if (vm->accel->set_sregs(bsp, &sregs) < 0 || vm->accel->set_regs(bsp, &regs) < 0)
		return errbuf_set(eb, "setting the boot vCPU's registers failed");
	/* The console opens once the first boot is known to be possible, so
	 * a bad image leaves no serial file or socket behind. */
	if (!vm->serial_open) {
		*status = VM_EXIT_USAGE;
		if (chardev_open(&vm->serial, &vm->cfg, eb) < 0)
			return -1;
		vm->serial_open = true;
	}
	vm->boots++;
	return 0;
}

/* Destroys the accelerator VM; memory and devices stay. */
static void vm_unboot(struct vm *vm)
{
	for (unsigned i = 0; i < VM_MAX_CPUS; i++) {
		if (vm->vcpu[i])
			vm->accel->vcpu_destroy(vm->vcpu[i]);
		vm->vcpu[i] = NULL;
	}
	if (vm->avm) {
		pthread_mutex_lock(&vm->dev_lock);
		vm->accel->vm_destroy(vm->avm);
		vm->avm = NULL;
		pthread_mutex_unlock(&vm->dev_lock);
	}
}

enum { INPUT_MAX = 4096 };

struct input_queue {
	uint8_t buf[INPUT_MAX];
	size_t len;
};

/* Moves queued console input into the UART as room allows. */
static void feed_uart(struct vm *vm, struct input_queue *q)
{
	if (!q->len)
		return;
	pthread_mutex_lock(&vm->dev_lock);
	size_t n = uart16550_receive(&vm->dev.uart, q->buf, q->len);
	pthread_mutex_unlock(&vm->dev_lock);
	memmove(q->buf, q->buf + n, q->len - n);
	q->len -= n;
}

static int make_signalfd(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	/* Blocked before any vCPU thread exists, so all threads inherit it. */
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Runs one boot of the guest until a stop request. */
static void main_loop(struct vm *vm, int sfd)
{
	struct input_queue q = { .len = 0 };
	while (!atomic_load(&vm->stopping)) {
		struct pollfd p[3];
		int n = 0;
		p[n++] = (struct pollfd){ .fd = vm->event_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		int in_fd = q.len < INPUT_MAX ? chardev_poll_fd(&vm->serial) : -1;
		if (in_fd >= 0)
			p[n++] = (struct pollfd){ .fd = in_fd, .events = POLLIN };
		/* While input waits for FIFO room, look again soon. */
		int r = poll(p, (nfds_t)n, q.len ? 5 : -1);
		if (r < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			vm_request_stop(vm, VM_STOP_ERROR, VM_EXIT_FAILURE);
			break;
		}
		if (n > 1 && (p[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				log_warn("stopped by signal %s", strsignal((int)si.ssi_signo));
				vm_request_stop(vm, VM_STOP_SIGNAL, 128 + (int)si.ssi_signo);
			}
		}
		if (n > 2 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			bool quit = false;
			size_t got = chardev_read(&vm->serial, q.buf + q.len, INPUT_MAX - q.len, &quit);
			q.len += got;
			if (quit) {
				vm_request_stop(vm, VM_STOP_QUIT, 0);
				break;
			}
		}
		feed_uart(vm, &q);
	}
}

int vm_run(struct vm *vm)
{
	struct errbuf eb;
	sigset_t set;
	int sfd = make_signalfd(&set);
	if (sfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return VM_EXIT_FAILURE;
	}
	for (;;) {
		int status = VM_EXIT_FAILURE;
		if (vm_boot(vm, &status, &eb) < 0 || vm_start_vcpus(vm, &eb) < 0) {
			log_err("%s", eb.msg);
			vm_unboot(vm);
			close(sfd);
			return status;
		}
		main_loop(vm, sfd);
		vm_join_vcpus(vm);
		vm_unboot(vm);
		if (vm->stop_reason != VM_STOP_RESET)
			break;
		if (vm->cfg.on_reboot == ON_REBOOT_EXIT) {
			log_info("guest rebooted; exiting (--on-reboot exit)");
			vm->exit_status = 0;
			break;
		}
		log_info("guest reset; booting again");
		guest_mem_clear(&vm->mem);
		vm_platform_reset(vm);
		pthread_mutex_lock(&vm->stop_lock);
		vm->stop_reason = VM_RUNNING;
		atomic_store(&vm->stopping, false);
		pthread_mutex_unlock(&vm->stop_lock);
		uint64_t v;
		if (read(vm->event_fd, &v, sizeof(v)) < 0) {
			/* Already drained. */
		}
	}
	close(sfd);
	return vm->exit_status;
}

/* Peak resident set (VmHWM) of this process in KiB, 0 if unknown. */
static unsigned long self_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kib = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

void vm_destroy(struct vm *vm)
{
	if (vm->mem.owned)
		log_info("memory: peak RSS %lu KiB; guest RAM resident now %llu KiB",
			 self_rss_kib(), (unsigned long long)(gm_resident_bytes(&vm->mem) >> 10));
	vm_unboot(vm);
	if (vm->serial_open)
		chardev_close(&vm->serial);
	vm->serial_open = false;
	bus_free(&vm->pio);
	bus_free(&vm->mmio);
	fw_cfg_free(&vm->dev.fwcfg);
	guest_mem_free(&vm->mem);
	unmap_file(&vm->kernel);
	unmap_file(&vm->initrd);
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	vm->event_fd = -1;
}
