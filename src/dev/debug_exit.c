/* ISA debug-exit device: a guest write of V ends the run with status
 * (V << 1) | 1, so test guests can report pass/fail through the exit code
 * (an odd status can never be confused with a clean 0 exit). */
#include <string.h>

#include "vslice/dev/debug_exit.h"

void debug_exit_init(struct debug_exit *d, void (*exit)(void *opaque, int status), void *opaque)
{
	d->exit = exit;
	d->opaque = opaque;
}

void debug_exit_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct debug_exit *d = opaque;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	/* The whole written value at the access width, little-endian. */
	const uint8_t *bytes = data;
	uint64_t v = 0;
	for (unsigned i = 0; i < len && i < sizeof(v); i++)
		v |= (uint64_t)bytes[i] << (8 * i);
	/* Computed unsigned and truncated to int like a process exit code
	 * would be; no signed overflow for any V. */
	int status = (int)(uint32_t)((v << 1) | 1);
	if (d->exit)
		d->exit(d->opaque, status);
}
