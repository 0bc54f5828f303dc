/* ISA debug-exit device (port 0xf4): a guest write of V ends the VMM with
 * exit status (V << 1) | 1, as QEMU's isa-debug-exit does. */
#ifndef VSLICE_DEV_DEBUG_EXIT_H
#define VSLICE_DEV_DEBUG_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#define DEBUG_EXIT_PORT 0xf4

struct debug_exit {
	void (*exit)(void *opaque, int status);
	void *opaque;
};

void debug_exit_init(struct debug_exit *d, void (*exit)(void *opaque, int status),
		     void *opaque);
void debug_exit_io(void *opaque, uint64_t offset, void *data, unsigned len,
		   bool is_write);

#endif
