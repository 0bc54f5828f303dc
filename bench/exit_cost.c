/* exit_cost: what one port-I/O exit costs, (a) in a bare KVM_RUN loop
 * written straight against <linux/kvm.h>, and (b) through vslice's KVM
 * back-end (accel_kvm_ops.vcpu_run) plus bus dispatch to a no-op device
 * under a device lock, the way the VM core handles an exit. The same
 * real-mode guest runs in both: `out dx, al` to one port N times, then
 * `out 0xf4, al` to end the round, then starts over. Rounds alternate
 * between (a) and (b); the medians are printed with their ratio.
 *
 * Usage: exit_cost [exits-per-round [rounds]]   (needs /dev/kvm)
 * Build: make -C bench [BUILD=build]  ->  $(BUILD)/bench/exit_cost */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vslice/accel.h"
#include "vslice/bus.h"
#include "vslice/guest_mem.h"

#define BENCH_PORT 0x7f0 /* nothing claims it */
#define END_PORT 0xf4
#define GUEST_RAM (2u << 20)
#define GUEST_CODE 0x1000
#define MAX_ROUNDS 101

/* mov ecx, N / mov dx, BENCH_PORT / 1: out dx, al / dec ecx / jnz 1b /
 * out 0xf4, al / jmp start. N is patched in at offset 2. */
static const uint8_t guest_code[] = {
    0x66,
    0xb9,
    0,
    0,
    0,
    0, /* mov ecx, N */
    0xba,
    BENCH_PORT & 0xff,
    BENCH_PORT >> 8, /* mov dx, port */
    0xee,	     /* out dx, al */
    0x66,
    0x49, /* dec ecx */
    0x75,
    0xfb, /* jnz out */
    0xe6,
    END_PORT, /* out 0xf4, al */
    0xeb,
    0xee, /* jmp start */
};

static void write_guest(uint8_t *ram, uint32_t exits)
{
	memcpy(ram + GUEST_CODE, guest_code, sizeof(guest_code));
	memcpy(ram + GUEST_CODE + 2, &exits, sizeof(exits));
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "exit_cost: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- (a) bare KVM ---- */

struct raw_vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	uint8_t *ram;
};

static void raw_setup(struct raw_vm *r, uint32_t exits)
{
	r->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (r->kvm < 0)
		die("/dev/kvm");
	r->vm = ioctl(r->kvm, KVM_CREATE_VM, 0);
	if (r->vm < 0)
		die("KVM_CREATE_VM");
	if (ioctl(r->vm, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_IRQCHIP");
	r->ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->ram == MAP_FAILED)
		die("mmap");
	struct kvm_userspace_memory_region slot = {
	    .memory_size = GUEST_RAM,
	    .userspace_addr = (uintptr_t)r->ram,
	};
	if (ioctl(r->vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	r->vcpu = ioctl(r->vm, KVM_CREATE_VCPU, 0);
	if (r->vcpu < 0)
		die("KVM_CREATE_VCPU");
	int size = ioctl(r->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	r->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->vcpu, 0);
	if (r->run == MAP_FAILED)
		die("mmap kvm_run");
	struct kvm_sregs s;
	if (ioctl(r->vcpu, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_SREGS");
	s.cs.base = s.ds.base = s.es.base = s.ss.base = 0;
	s.cs.selector = s.ds.selector = s.es.selector = s.ss.selector = 0;
	if (ioctl(r->vcpu, KVM_SET_SREGS, &s) < 0)
		die("KVM_SET_SREGS");
	struct kvm_regs regs = {.rip = GUEST_CODE, .rflags = 2};
	if (ioctl(r->vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");
	write_guest(r->ram, exits);
}

/* Runs one round; returns ns per exit. */
static double raw_round(struct raw_vm *r, uint32_t exits)
{
	uint32_t seen = 0;
	double t0 = now_ns();
	for (;;) {
		if (ioctl(r->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN");
		}
		if (r->run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "exit_cost: bare KVM: unexpected exit %u\n",
				r->run->exit_reason);
			exit(1);
		}
		seen++;
		if (r->run->io.port == END_PORT)
			break;
	}
	double t = now_ns() - t0;
	if (seen != exits + 1) {
		fprintf(stderr, "exit_cost: bare KVM: %u exits, expected %u\n", seen, exits + 1);
		exit(1);
	}
	return t / seen;
}

/* ---- (b) vslice back-end + bus dispatch ---- */

struct noop_dev {
	uint64_t writes;
};

static void noop_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct noop_dev *d = opaque;
	if (is_write)
		d->writes++;
	else
		memset(data, 0xff, len);
}

struct vslice_vm {
	struct guest_mem mem;
	struct accel_vm *vm;
	struct accel_vcpu *vcpu;
	struct bus pio;
	pthread_mutex_t dev_lock;
	struct noop_dev dev;
};

static void vslice_setup(struct vslice_vm *v, uint32_t exits)
{
	struct errbuf eb;
	if (guest_mem_init(&v->mem, GUEST_RAM, &eb) < 0) {
		fprintf(stderr, "exit_cost: %s\n", eb.msg);
		exit(1);
	}
	struct accel_vm_config cfg = {.ncpus = 1, .mem = &v->mem};
	if (accel_kvm_ops.vm_create(&cfg, &v->vm, &eb) < 0 ||
	    accel_kvm_ops.vcpu_create(v->vm, 0, &v->vcpu, &eb) < 0) {
		fprintf(stderr, "exit_cost: %s\n", eb.msg);
		exit(1);
	}
	struct x86_sregs s;
	if (accel_kvm_ops.get_sregs(v->vcpu, &s) < 0)
		exit(1);
	s.cs.base = s.ds.base = s.es.base = s.ss.base = 0;
	s.cs.selector = s.ds.selector = s.es.selector = s.ss.selector = 0;
	struct x86_regs regs = {.rip = GUEST_CODE, .rflags = 2};
	if (accel_kvm_ops.set_sregs(v->vcpu, &s) < 0 || accel_kvm_ops.set_regs(v->vcpu, &regs) < 0)
		exit(1);
	bus_init(&v->pio, "pio");
	pthread_mutex_init(&v->dev_lock, NULL);
	if (bus_register(&v->pio, BENCH_PORT, 1, noop_io, &v->dev, "noop") < 0 ||
	    bus_register(&v->pio, END_PORT, 1, noop_io, &v->dev, "end") < 0) {
		fprintf(stderr, "exit_cost: bus_register failed\n");
		exit(1);
	}
	uint8_t *ram = gm_ptr(&v->mem, 0, GUEST_RAM);
	write_guest(ram, exits);
}

static double vslice_round(struct vslice_vm *v, uint32_t exits)
{
	uint32_t seen = 0;
	struct vcpu_exit e;
	double t0 = now_ns();
	for (;;) {
		if (accel_kvm_ops.vcpu_run(v->vcpu, &e) < 0) {
			fprintf(stderr, "exit_cost: %s\n", e.error.msg);
			exit(1);
		}
		if (e.kind == VCPU_EXIT_NONE)
			continue;
		if (e.kind != VCPU_EXIT_PIO) {
			fprintf(stderr, "exit_cost: vslice: unexpected exit kind %d\n", e.kind);
			exit(1);
		}
		for (uint32_t i = 0; i < e.pio.count; i++) {
			pthread_mutex_lock(&v->dev_lock);
			bus_access(&v->pio, e.pio.port, e.pio.data + (size_t)i * e.pio.size,
				   e.pio.size, e.pio.is_write);
			pthread_mutex_unlock(&v->dev_lock);
		}
		seen++;
		if (e.pio.port == END_PORT)
			break;
	}
	double t = now_ns() - t0;
	if (seen != exits + 1) {
		fprintf(stderr, "exit_cost: vslice: %u exits, expected %u\n", seen, exits + 1);
		exit(1);
	}
	return t / seen;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	unsigned long exits = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	unsigned long rounds = argc > 2 ? strtoul(argv[2], NULL, 0) : 9;
	if (exits == 0 || exits > 100000000 || rounds == 0 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: exit_cost [exits-per-round 1..100000000 [rounds 1..%d]]\n",
			MAX_ROUNDS);
		return 2;
	}
	struct errbuf eb;
	if (!accel_kvm_ops.available(&eb)) {
		fprintf(stderr, "exit_cost: %s\n", eb.msg);
		return 1;
	}
	struct raw_vm raw;
	struct vslice_vm vs;
	memset(&vs, 0, sizeof(vs));
	raw_setup(&raw, (uint32_t)exits);
	vslice_setup(&vs, (uint32_t)exits);
	/* One warm-up round each, not counted. */
	raw_round(&raw, (uint32_t)exits);
	vslice_round(&vs, (uint32_t)exits);

	double a[MAX_ROUNDS], b[MAX_ROUNDS];
	for (unsigned i = 0; i < rounds; i++) {
		a[i] = raw_round(&raw, (uint32_t)exits);
		b[i] = vslice_round(&vs, (uint32_t)exits);
		printf("round %2u: bare KVM %8.1f ns/exit   vslice %8.1f ns/exit\n", i, a[i], b[i]);
	}
	double ma = median(a, rounds), mb = median(b, rounds);
	printf("median over %lu rounds of %lu exits:\n", rounds, exits + 1);
	printf("  (a) bare KVM_RUN loop:              %8.1f ns/exit\n", ma);
	printf("  (b) accel_kvm_ops + bus dispatch:   %8.1f ns/exit\n", mb);
	printf("  ratio b/a: %.3f  (overhead %+.1f ns/exit)\n", mb / ma, mb - ma);

	accel_kvm_ops.vcpu_destroy(vs.vcpu);
	accel_kvm_ops.vm_destroy(vs.vm);
	bus_free(&vs.pio);
	guest_mem_free(&vs.mem);
	return 0;
}
