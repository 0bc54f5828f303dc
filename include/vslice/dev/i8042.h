/* i8042 keyboard controller: enough for Linux to probe quickly (no
 * keyboard/aux device answers) and to reset the machine with 0xFE. */
#ifndef VSLICE_DEV_I8042_H
#define VSLICE_DEV_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "vslice/irq.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64

struct i8042 {
	void (*reset)(void *opaque); /* CPU reset line (command 0xFE) */
	void *reset_opaque;
	struct irq_line kbd_irq; /* IRQ 1 */
	struct irq_line aux_irq; /* IRQ 12 */
	uint8_t status, cmd_byte, pending_cmd, out_port;
	uint8_t outbuf[8];
	unsigned out_head, out_count;
	/* Per queued byte: status bits it brings along (AUXB, TIMEOUT). */
	uint8_t outflags[8];
	int kbd_level, aux_level; /* last levels driven on the irq lines */
};

void i8042_init(struct i8042 *k, void (*reset)(void *opaque), void *opaque,
		struct irq_line kbd_irq, struct irq_line aux_irq);
/* offset is the port number relative to 0x60: 0 (data) or 4 (command). */
void i8042_io(void *opaque, uint64_t offset, void *data, unsigned len,
	      bool is_write);

#endif
