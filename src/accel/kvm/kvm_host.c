/* The host side of KVM: opening /dev/kvm, the API version and capability
 * checks, the ioctl wrapper that names failures, and max_cpus(). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_internal.h"

int kvm_ioctl_named(int fd, unsigned long req, const char *name, unsigned long arg,
		    struct errbuf *eb)
{
	int r;
	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		int e = errno;
		errbuf_set(eb, "%s: %s", name, strerror(e));
		errno = e;
	}
	return r;
}

int kvm_check_cap(int fd, long cap)
{
	int r = KVM_IOCTL_VAL(NULL, fd, KVM_CHECK_EXTENSION, cap);
	return r < 0 ? 0 : r;
}

/* Capabilities the back-end cannot work without. */
static const struct {
	long cap;
	const char *name;
} required_caps[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},	{KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
    {KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING"},	{KVM_CAP_PIT2, "KVM_CAP_PIT2"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},		{KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"}, {KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI"},
};

int kvm_open_checked(struct errbuf *eb)
{
	int fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(eb,
				  "%s: %s: load kvm_intel/kvm_amd, or add yourself to group kvm, "
				  "or use --accel emu",
				  KVM_DEV_PATH, strerror(errno));
	int version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version < 0) {
		errbuf_set(eb, "%s: not a KVM device (KVM_GET_API_VERSION: %s): load kvm_intel/kvm_amd, or use --accel emu",
			   KVM_DEV_PATH, strerror(errno));
		goto fail;
	}
	if (version != KVM_API_VERSION_EXPECTED) {
		errbuf_set(eb, "%s: KVM API version %d, vslice needs %d: use --accel emu",
			   KVM_DEV_PATH, version, KVM_API_VERSION_EXPECTED);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (kvm_check_cap(fd, required_caps[i].cap) <= 0) {
			errbuf_set(
			    eb, "%s: this kernel's KVM lacks %s: use a newer kernel or --accel emu",
			    KVM_DEV_PATH, required_caps[i].name);
			goto fail;
		}
	}
	return fd;
fail:
	close(fd);
	return -1;
}

bool kvm_available(struct errbuf *eb)
{
	int fd = kvm_open_checked(eb);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

unsigned kvm_max_vcpus_of(int fd)
{
	int n = kvm_check_cap(fd, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = kvm_check_cap(fd, KVM_CAP_NR_VCPUS);
	if (n <= 0)
		n = 4; /* api.rst: assume 4 if KVM_CAP_NR_VCPUS is absent */
	return n > KVM_ACCEL_MAX_CPUS ? KVM_ACCEL_MAX_CPUS : (unsigned)n;
}

unsigned kvm_max_cpus(void)
{
	int fd = kvm_open_checked(NULL);
	if (fd < 0)
		return 0;
	unsigned n = kvm_max_vcpus_of(fd);
	close(fd);
	return n;
}
