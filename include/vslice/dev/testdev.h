/* vslice test device: a small MMIO window the project's own test guests use
 * to check MMIO dispatch (a PC has no simple MMIO device of its own that
 * works without the in-kernel interrupt controllers).
 * Registers (32-bit, little-endian; other widths act on the low bytes):
 *   0x00 ID       read-only, "VSTD" (0x44545356)
 *   0x04 SCRATCH  read/write
 *   0x08 COUNTER  read-only, number of accesses to the window so far,
 *                 this read included
 *   0x0c INVERT   read returns ~SCRATCH
 */
#ifndef VSLICE_DEV_TESTDEV_H
#define VSLICE_DEV_TESTDEV_H

#include <stdbool.h>
#include <stdint.h>

#define TESTDEV_MMIO_BASE 0xFEBFF000ULL
#define TESTDEV_MMIO_LEN 0x1000
#define TESTDEV_ID 0x44545356u

struct testdev {
	uint32_t scratch;
	uint32_t counter;
};

void testdev_init(struct testdev *t);
void testdev_mmio(void *opaque, uint64_t offset, void *data, unsigned len,
		  bool is_write);

#endif
