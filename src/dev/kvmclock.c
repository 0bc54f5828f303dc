/* The KVM paravirtual clock: MSR handling and the pvclock records in guest
 * memory (layout and version protocol from Linux's
 * Documentation/virt/kvm/x86/msr.rst). */
#include <string.h>

#include "vslice/dev/kvmclock.h"

#define NS_PER_SEC 1000000000ULL

int kvmclock_init(struct kvmclock *kc, struct guest_mem *mem, unsigned ncpus, uint64_t tsc_hz,
		  bool stable, struct errbuf *eb)
{
	if (ncpus == 0 || ncpus > KVMCLOCK_MAX_CPUS)
		return errbuf_set(eb, "kvmclock: %u vCPUs; it supports 1 to %u", ncpus,
				  KVMCLOCK_MAX_CPUS);
	if (tsc_hz < 1000000ULL || tsc_hz > 100000000000ULL)
		return errbuf_set(eb, "kvmclock: TSC rate %llu Hz outside 1 MHz .. 100 GHz",
				  (unsigned long long)tsc_hz);
	memset(kc, 0, sizeof(*kc));
	kc->mem = mem;
	kc->ncpus = ncpus;
	kc->tsc_hz = tsc_hz;
	kc->stable = stable;
	kvmclock_scale(tsc_hz, &kc->mul, &kc->shift);
	return 0;
}

void kvmclock_reset(struct kvmclock *kc)
{
	kc->wall_msr = 0;
	kc->wall_version = 0;
	for (unsigned i = 0; i < KVMCLOCK_MAX_CPUS; i++)
		kc->cpu[i] = (struct kvmclock_cpu){ 0, 0 };
}

void kvmclock_scale(uint64_t tsc_hz, uint32_t *mul, int8_t *shift)
{
	/* Want mul * 2^(shift - 32) == 1e9 / tsc_hz with mul in [2^31, 2^32). */
	int s = 0;
	unsigned __int128 m = ((unsigned __int128)NS_PER_SEC << 32) / tsc_hz;
	while (m >= (1ULL << 32)) {
		s++;
		m = ((unsigned __int128)NS_PER_SEC << 32 >> s) / tsc_hz;
	}
	while (m < (1ULL << 31) && s > -31) {
		s--;
		m = ((unsigned __int128)NS_PER_SEC << (32 - s)) / tsc_hz;
	}
	*mul = (uint32_t)m;
	*shift = (int8_t)s;
}

bool kvmclock_is_msr(uint32_t msr)
{
	return msr == MSR_KVM_WALL_CLOCK || msr == MSR_KVM_SYSTEM_TIME ||
	       msr == MSR_KVM_WALL_CLOCK_NEW || msr == MSR_KVM_SYSTEM_TIME_NEW;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* The guest record of size len at gpa, if wholly in RAM within one page. */
static uint8_t *record(struct kvmclock *kc, uint64_t gpa, unsigned len)
{
	if ((gpa & 0xfff) + len > 0x1000)
		return NULL;
	return kc->mem ? gm_ptr(kc->mem, gpa, len) : NULL;
}

/* Version odd while the record changes, even after (msr.rst). Another
 * vCPU may read the record concurrently: order the stores. */
static void write_time_info(struct kvmclock *kc, struct kvmclock_cpu *k,
			    const struct kvmclock_now *now)
{
	uint8_t *p = record(kc, k->msr & ~KVM_SYSTEM_TIME_ENABLE, PVCLOCK_TIME_INFO_SIZE);
	if (!p)
		return;
	uint32_t v = (k->version | 1) + 1; /* next even version */
	put32(p + PVCLOCK_OFF_VERSION, v - 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	put32(p + 4, 0);
	put64(p + PVCLOCK_OFF_TSC_TIMESTAMP, now->tsc);
	put64(p + PVCLOCK_OFF_SYSTEM_TIME, now->system_ns);
	put32(p + PVCLOCK_OFF_MUL, kc->mul);
	p[PVCLOCK_OFF_SHIFT] = (uint8_t)kc->shift;
	p[PVCLOCK_OFF_FLAGS] = kc->stable ? PVCLOCK_TSC_STABLE_BIT : 0;
	p[30] = p[31] = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	put32(p + PVCLOCK_OFF_VERSION, v);
	k->version = v;
	kc->records++;
}

/* The wall-clock time at which the guest's system time was 0. */
static void write_wall_clock(struct kvmclock *kc, const struct kvmclock_now *now)
{
	uint8_t *p = record(kc, kc->wall_msr, PVCLOCK_WALL_CLOCK_SIZE);
	if (!p)
		return;
	uint64_t boot = now->wall_ns >= now->system_ns ? now->wall_ns - now->system_ns : 0;
	uint32_t v = (kc->wall_version | 1) + 1;
	put32(p, v - 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	put32(p + 4, (uint32_t)(boot / NS_PER_SEC));
	put32(p + 8, (uint32_t)(boot % NS_PER_SEC));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	put32(p, v);
	kc->wall_version = v;
	kc->records++;
}

int kvmclock_rdmsr(struct kvmclock *kc, unsigned cpu, uint32_t msr, uint64_t *val)
{
	if (!kvmclock_is_msr(msr))
		return 0;
	if (cpu >= kc->ncpus)
		return -1;
	if (msr == MSR_KVM_WALL_CLOCK || msr == MSR_KVM_WALL_CLOCK_NEW)
		*val = kc->wall_msr;
	else
		*val = kc->cpu[cpu].msr;
	return 1;
}

int kvmclock_wrmsr(struct kvmclock *kc, unsigned cpu, uint32_t msr, uint64_t val,
		   const struct kvmclock_now *now)
{
	if (!kvmclock_is_msr(msr))
		return 0;
	if (cpu >= kc->ncpus)
		return -1;
	if (msr == MSR_KVM_WALL_CLOCK || msr == MSR_KVM_WALL_CLOCK_NEW) {
		kc->wall_msr = val;
		write_wall_clock(kc, now);
		return 1;
	}
	struct kvmclock_cpu *k = &kc->cpu[cpu];
	k->msr = val;
	if (val & KVM_SYSTEM_TIME_ENABLE)
		write_time_info(kc, k, now);
	return 1;
}

void kvmclock_update(struct kvmclock *kc, unsigned cpu, const struct kvmclock_now *now)
{
	if (cpu < kc->ncpus && (kc->cpu[cpu].msr & KVM_SYSTEM_TIME_ENABLE))
		write_time_info(kc, &kc->cpu[cpu], now);
}
