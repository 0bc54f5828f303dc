/* Ports a PC has that Linux pokes and that need no behaviour: the POST
 * port 0x80 and I/O delay port 0xed (writes dropped, reads 0xff), the
 * fast A20 gate at 0x92 (remembers its value). */
#ifndef VSLICE_DEV_PORT_SINK_H
#define VSLICE_DEV_PORT_SINK_H

#include <stdbool.h>
#include <stdint.h>

struct port_sink {
	uint8_t last; /* last byte written, read back where a PC would */
	bool readback;
};

void port_sink_init(struct port_sink *p, bool readback);
void port_sink_io(void *opaque, uint64_t offset, void *data, unsigned len,
		  bool is_write);

#endif
