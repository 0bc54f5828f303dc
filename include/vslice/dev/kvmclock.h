/* The KVM paravirtual clock ("kvm-clock", Linux
 * Documentation/virt/kvm/x86/msr.rst): per-vCPU pvclock_vcpu_time_info
 * records and the wall-clock record, written into guest memory when the
 * guest writes MSR_KVM_SYSTEM_TIME(_NEW) / MSR_KVM_WALL_CLOCK(_NEW). A guest
 * that finds them (CPUID 0x40000001 bits KVM_FEATURE_CLOCKSOURCE2 and
 * KVM_FEATURE_CLOCKSOURCE_STABLE_BIT) reads the TSC frequency from them and
 * needs no timer calibration.
 *
 * For a back-end that provides the clock itself (the software CPU; KVM has
 * its own). Not locked: vCPU cpu's MSRs are only touched from its own
 * thread, and the wall-clock MSR writes are independent records. Time comes
 * from the caller (struct kvmclock_now): the model reads no clock.
 */
#ifndef VSLICE_DEV_KVMCLOCK_H
#define VSLICE_DEV_KVMCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "vslice/errbuf.h"
#include "vslice/guest_mem.h"

#define MSR_KVM_WALL_CLOCK 0x11
#define MSR_KVM_SYSTEM_TIME 0x12
#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01

/* CPUID leaves of a KVM-compatible hypervisor. */
#define KVM_CPUID_SIGNATURE 0x40000000u
#define KVM_CPUID_FEATURES 0x40000001u
#define KVM_SIGNATURE "KVMKVMKVM\0\0\0" /* EBX, ECX, EDX of leaf 0x40000000 */
#define KVM_FEATURE_CLOCKSOURCE 0
#define KVM_FEATURE_CLOCKSOURCE2 3
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24

/* pvclock_vcpu_time_info (32 bytes) and pvclock_wall_clock (12 bytes). */
#define PVCLOCK_TIME_INFO_SIZE 32
#define PVCLOCK_OFF_VERSION 0
#define PVCLOCK_OFF_TSC_TIMESTAMP 8
#define PVCLOCK_OFF_SYSTEM_TIME 16
#define PVCLOCK_OFF_MUL 24
#define PVCLOCK_OFF_SHIFT 28
#define PVCLOCK_OFF_FLAGS 29
#define PVCLOCK_WALL_CLOCK_SIZE 12
#define PVCLOCK_TSC_STABLE_BIT (1u << 0)
#define KVM_SYSTEM_TIME_ENABLE 1ULL

#define KVMCLOCK_MAX_CPUS 64

struct kvmclock_now {
	uint64_t system_ns; /* the guest's clock: ns since the VM started */
	uint64_t tsc;       /* the vCPU's TSC at that moment */
	uint64_t wall_ns;   /* CLOCK_REALTIME at that moment, ns since the epoch */
};

struct kvmclock_cpu {
	uint64_t msr;     /* last value written to MSR_KVM_SYSTEM_TIME(_NEW) */
	uint32_t version; /* last even version written to the record */
};

struct kvmclock {
	struct guest_mem *mem;
	unsigned ncpus;
	uint64_t tsc_hz;
	uint32_t mul; /* tsc_to_system_mul */
	int8_t shift; /* tsc_shift */
	bool stable;  /* PVCLOCK_TSC_STABLE_BIT in the records */
	uint64_t wall_msr;
	uint32_t wall_version;
	uint64_t records; /* records written (statistics, tests) */
	struct kvmclock_cpu cpu[KVMCLOCK_MAX_CPUS];
};

/* tsc_hz: the guest TSC rate (the same on every vCPU). stable: the TSC
 * is synchronised across vCPUs and never stops. -1 for 0 CPUs, too many,
 * or a TSC rate outside 1 MHz .. 100 GHz. */
int kvmclock_init(struct kvmclock *kc, struct guest_mem *mem, unsigned ncpus, uint64_t tsc_hz,
		  bool stable, struct errbuf *eb);
/* Power-on state: both MSRs 0 (nothing written to the guest any more). */
void kvmclock_reset(struct kvmclock *kc);
/* The tsc_to_system_mul and tsc_shift for a TSC rate: ns = ((tsc shifted
 * left by shift, or right by -shift) * mul) >> 32. */
void kvmclock_scale(uint64_t tsc_hz, uint32_t *mul, int8_t *shift);

/* Whether msr is one of the four kvm-clock MSRs. */
bool kvmclock_is_msr(uint32_t msr);
/* RDMSR/WRMSR by vCPU cpu: 1 handled, 0 not a kvm-clock MSR, -1 #GP. A
 * record that is not wholly in guest RAM (or would cross a page) is not
 * written; the MSR keeps the value, as a later write may fix it. */
int kvmclock_rdmsr(struct kvmclock *kc, unsigned cpu, uint32_t msr, uint64_t *val);
int kvmclock_wrmsr(struct kvmclock *kc, unsigned cpu, uint32_t msr, uint64_t val,
		   const struct kvmclock_now *now);
/* Rewrites vCPU cpu's record (if enabled) for now: after the guest TSC was
 * changed (WRMSR TSC) or the VM was paused. */
void kvmclock_update(struct kvmclock *kc, unsigned cpu, const struct kvmclock_now *now);

#endif
