/* Guest RAM: anonymous mappings laid out around the 32-bit MMIO hole, and
 * bounds-checked guest-physical accessors. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vslice/guest_mem.h"

static void add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size,
		       uint8_t *host)
{
	struct gm_region *r = &gm->region[gm->nregions++];
	r->gpa = gpa;
	r->size = size;
	r->host = host;
}

int guest_mem_init(struct guest_mem *gm, uint64_t ram_size, struct errbuf *eb)
{
	memset(gm, 0, sizeof(*gm));
	uint64_t low = ram_size < GM_LOW_RAM_END ? ram_size : GM_LOW_RAM_END;
	uint64_t high = ram_size - low;
	/* One reservation, so low and high RAM are a single host range. */
	void *p = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return errbuf_set(eb, "--memory %llu bytes: mmap failed (%s); choose less memory",
				  (unsigned long long)ram_size, strerror(errno));
	madvise(p, ram_size, MADV_MERGEABLE);
	add_region(gm, 0, low, p);
	if (high)
		add_region(gm, GM_HIGH_RAM_START, high, (uint8_t *)p + low);
	gm->ram_size = ram_size;
	gm->owned = true;
	return 0;
}

void guest_mem_init_buffer(struct guest_mem *gm, void *buf, uint64_t size)
{
	memset(gm, 0, sizeof(*gm));
	add_region(gm, 0, size, buf);
	gm->ram_size = size;
}

void guest_mem_free(struct guest_mem *gm)
{
	if (gm->owned && gm->nregions)
		munmap(gm->region[0].host, gm->ram_size);
	memset(gm, 0, sizeof(*gm));
}

void guest_mem_clear(struct guest_mem *gm)
{
	if (gm->owned) {
		/* Gives the pages back to the host; they read as zero again. */
		madvise(gm->region[0].host, gm->ram_size, MADV_DONTNEED);
		return;
	}
	for (unsigned i = 0; i < gm->nregions; i++)
		memset(gm->region[i].host, 0, gm->region[i].size);
}

void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		len = 1;
	for (unsigned i = 0; i < gm->nregions; i++) {
		const struct gm_region *r = &gm->region[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off >= r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return NULL;
}

int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len)
{
	if (len == 0)
		return 0;
	void *p = gm_ptr(gm, gpa, len);
	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}

int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len)
{
	if (len == 0)
		return 0;
	void *p = gm_ptr(gm, gpa, len);
	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}

uint64_t gm_low_ram_end(const struct guest_mem *gm)
{
	uint64_t end = 0;
	for (unsigned i = 0; i < gm->nregions; i++) {
		const struct gm_region *r = &gm->region[i];
		if (r->gpa < GM_HIGH_RAM_START && r->gpa + r->size > end)
			end = r->gpa + r->size;
	}
	return end;
}

uint64_t gm_resident_bytes(const struct guest_mem *gm)
{
	if (!gm->owned || !gm->nregions)
		return 0;
	long psz = sysconf(_SC_PAGESIZE);
	size_t pages = (gm->ram_size + (uint64_t)psz - 1) / (uint64_t)psz;
	uint64_t resident = 0;
	unsigned char vec[4096];
	for (size_t done = 0; done < pages; done += sizeof(vec)) {
		size_t n = pages - done < sizeof(vec) ? pages - done : sizeof(vec);
		if (mincore(gm->region[0].host + done * (size_t)psz, n * (size_t)psz, vec) < 0)
			return 0;
		for (size_t i = 0; i < n; i++)
			resident += vec[i] & 1;
	}
	return resident * (uint64_t)psz;
}
