/* Address dispatch for port I/O and MMIO. A device registers a range with
 * one handler; the handler gets the offset within its range. Listing
 * devices is not the bus's job; it only dispatches addresses. */
#ifndef VSLICE_BUS_H
#define VSLICE_BUS_H

#include <stdbool.h>
#include <stdint.h>

/* data points to len bytes (1, 2, 4 or 8): filled by the handler on reads,
 * holding the value (little-endian) on writes. */
typedef void (*bus_io_fn)(void *opaque, uint64_t offset, void *data,
			  unsigned len, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_io_fn fn;
	void *opaque;
	const char *name;
};

struct bus {
	const char *kind; /* "pio" or "mmio", for messages */
	struct bus_range *ranges; /* sorted by base, non-overlapping */
	unsigned n, cap;
	uint64_t unhandled; /* count of accesses nobody claimed */
};

void bus_init(struct bus *bus, const char *kind);
void bus_free(struct bus *bus);
/* -1 (and nothing registered) if len is 0, the range wraps, or overlaps an
 * existing range. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_io_fn fn,
		 void *opaque, const char *name);
/* Dispatches one access. An access must lie wholly inside one range to be
 * handled. Unclaimed reads return all-ones (as an open bus on a PC does),
 * unclaimed writes are dropped; both return false. */
bool bus_access(struct bus *bus, uint64_t addr, void *data, unsigned len,
		bool is_write);
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr);

#endif
