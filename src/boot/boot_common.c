/* Helpers shared by the boot loaders: messages, command line, initrd and
 * kernel-range placement, all checked against guest RAM. */
#include <string.h>

#include "boot_common.h"

const char *boot_kernel_name(const struct boot_images *in)
{
	return in->kernel_name ? in->kernel_name : "kernel";
}

const char *boot_initrd_name(const struct boot_images *in)
{
	return in->initrd_name ? in->initrd_name : "initrd";
}

unsigned long long boot_mib(uint64_t bytes)
{
	return (unsigned long long)(bytes / (1024 * 1024) + (bytes % (1024 * 1024) != 0));
}

uint8_t *boot_info_area(struct guest_mem *gm, const struct boot_images *in, uint64_t gpa,
			uint64_t len, struct errbuf *eb)
{
	uint8_t *p = gm_ptr(gm, gpa, len);
	if (!p) {
		errbuf_set(eb,
			   "%s: guest RAM (%llu MiB) has no room for the boot data at 0x%llx: use "
			   "more --memory",
			   boot_kernel_name(in), boot_mib(gm->ram_size), (unsigned long long)gpa);
		return NULL;
	}
	memset(p, 0, len);
	return p;
}

int boot_put_cmdline(struct guest_mem *gm, const struct boot_images *in, uint64_t max_len,
		     struct errbuf *eb)
{
	const char *cmdline = in->cmdline ? in->cmdline : "";
	size_t len = strlen(cmdline);
	if (max_len > BOOT_CMDLINE_MAX - 1)
		max_len = BOOT_CMDLINE_MAX - 1;
	if (len > max_len)
		return errbuf_set(eb, "--cmdline is %zu bytes; %s accepts at most %llu: shorten it",
				  len, boot_kernel_name(in), (unsigned long long)max_len);
	uint8_t *p = boot_info_area(gm, in, BOOT_CMDLINE_ADDR, len + 1, eb);
	if (!p)
		return -1;
	memcpy(p, cmdline, len);
	return 0;
}

static int ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* Callers guarantee neither range wraps. */
	return a < b + blen && b < a + alen;
}

int boot_check_kernel_range(const struct guest_mem *gm, const struct boot_images *in,
			    const char *what, uint64_t gpa, uint64_t len, struct errbuf *eb)
{
	const char *name = boot_kernel_name(in);
	if (len == 0)
		return 0;
	if (len > UINT64_MAX - gpa || gpa + len > GM_HIGH_RAM_START || !gm_ptr(gm, gpa, len))
		return errbuf_set(eb, "%s: %s at 0x%llx size 0x%llx outside guest RAM (%llu MiB)",
				  name, what, (unsigned long long)gpa, (unsigned long long)len,
				  boot_mib(gm->ram_size));
	if (ranges_overlap(gpa, len, 0, BOOT_DATA_END))
		return errbuf_set(
		    eb, "%s: %s at 0x%llx size 0x%llx overlaps vslice's boot data [0, 0x%llx)",
		    name, what, (unsigned long long)gpa, (unsigned long long)len, BOOT_DATA_END);
	if (ranges_overlap(gpa, len, BOOT_ACPI_ADDR, BOOT_ACPI_SIZE))
		return errbuf_set(
		    eb, "%s: %s at 0x%llx size 0x%llx overlaps the ACPI tables [0x%llx, 0x%llx)",
		    name, what, (unsigned long long)gpa, (unsigned long long)len, BOOT_ACPI_ADDR,
		    BOOT_ACPI_ADDR + BOOT_ACPI_SIZE);
	return 0;
}

int boot_put_initrd(struct guest_mem *gm, const struct boot_images *in, uint64_t lo, uint64_t hi,
		    int high, uint64_t *gpa, struct errbuf *eb)
{
	const char *name = boot_initrd_name(in);
	uint64_t size = in->initrd_size;
	uint64_t ram_end = gm_low_ram_end(gm);
	if (size == 0)
		return errbuf_set(eb, "initrd %s: empty file", name);
	if (hi > ram_end)
		hi = ram_end;
	if (lo > UINT64_MAX - (BOOT_PAGE_SIZE - 1))
		lo = UINT64_MAX;
	else
		lo = (lo + BOOT_PAGE_SIZE - 1) & ~(BOOT_PAGE_SIZE - 1);
	uint64_t addr;
	if (lo >= hi || size > hi - lo) {
		if (hi < ram_end)
			return errbuf_set(eb,
					  "initrd %s (%llu MiB) does not fit below %s's initrd "
					  "limit 0x%llx: use a smaller initrd",
					  name, boot_mib(size), boot_kernel_name(in),
					  (unsigned long long)hi);
		if (lo >= GM_LOW_RAM_END || size > GM_LOW_RAM_END - lo)
			return errbuf_set(eb,
					  "initrd %s (%llu MiB) does not fit in guest RAM below "
					  "0x%llx: use a smaller initrd",
					  name, boot_mib(size), GM_LOW_RAM_END);
		return errbuf_set(eb,
				  "initrd %s (%llu MiB) does not fit below 0x%llx (kernel ends at "
				  "0x%llx): use more --memory (at least %llu MiB)",
				  name, boot_mib(size), (unsigned long long)hi,
				  (unsigned long long)lo, boot_mib(lo + size));
	}
	if (high)
		addr = (hi - size) & ~(BOOT_PAGE_SIZE - 1);
	else
		addr = lo;
	if (gm_write(gm, addr, in->initrd, size) < 0)
		return errbuf_set(
		    eb,
		    "initrd %s (%llu MiB) does not fit in guest RAM at 0x%llx: use more --memory",
		    name, boot_mib(size), (unsigned long long)addr);
	*gpa = addr;
	return 0;
}
