/* Port-I/O and MMIO dispatch over a sorted array of ranges. Registration is
 * rare (set-up time); lookup is a binary search on every exit. */
#include <stdlib.h>
#include <string.h>

#include "vslice/bus.h"

void bus_init(struct bus *bus, const char *kind)
{
	memset(bus, 0, sizeof(*bus));
	bus->kind = kind;
}

void bus_free(struct bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->n = bus->cap = 0;
}

/* Index of the first range whose base is greater than addr. */
static unsigned upper_bound(const struct bus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_io_fn fn,
		 void *opaque, const char *name)
{
	if (len == 0 || base + len - 1 < base || !fn)
		return -1;
	unsigned pos = upper_bound(bus, base);
	if (pos > 0) {
		const struct bus_range *prev = &bus->ranges[pos - 1];
		if (prev->base + prev->len - 1 >= base)
			return -1;
	}
	if (pos < bus->n && bus->ranges[pos].base <= base + len - 1)
		return -1;
	if (bus->n == bus->cap) {
		unsigned cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *r = realloc(bus->ranges, cap * sizeof(*r));
		if (!r)
			return -1;
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos],
		(bus->n - pos) * sizeof(bus->ranges[0]));
	bus->ranges[pos] = (struct bus_range){ base, len, fn, opaque, name };
	bus->n++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr)
{
	unsigned pos = upper_bound(bus, addr);
	if (pos == 0)
		return NULL;
	const struct bus_range *r = &bus->ranges[pos - 1];
	return addr - r->base < r->len ? r : NULL;
}

bool bus_access(struct bus *bus, uint64_t addr, void *data, unsigned len,
		bool is_write)
{
	const struct bus_range *r = bus_find(bus, addr);
	uint64_t off = r ? addr - r->base : 0;
	if (!r || len == 0 || len > r->len - off) {
		if (!is_write)
			memset(data, 0xff, len);
		bus->unhandled++;
		return false;
	}
	r->fn(r->opaque, off, data, len, is_write);
	return true;
}
