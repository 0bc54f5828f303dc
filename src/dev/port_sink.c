/* Ports that need no behaviour (POST code 0x80, I/O delay 0xed, fast A20
 * gate 0x92): writes are dropped or remembered, reads return all-ones or
 * the remembered byte. */
#include <string.h>

#include "vslice/dev/port_sink.h"

void port_sink_init(struct port_sink *p, bool readback)
{
	p->last = 0;
	p->readback = readback;
}

void port_sink_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct port_sink *p = opaque;
	uint8_t *bytes = data;
	if (is_write) {
		/* Only the byte at the range's first port is remembered. */
		if (offset == 0 && len > 0)
			p->last = bytes[0];
		return;
	}
	memset(data, 0xff, len);
	if (p->readback && offset == 0 && len > 0)
		bytes[0] = p->last;
}
