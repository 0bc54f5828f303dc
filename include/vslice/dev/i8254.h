/* 8254 programmable interval timer (ports 0x40-0x43) at 1.193182 MHz, and
 * system control port B (0x61: channel 2 gate, speaker enable, refresh
 * toggle, OUT2). Channel 0 drives ISA IRQ 0.
 *
 * Time comes only from now_ns arguments (the bus handlers ask the now_ns
 * callback, CLOCK_MONOTONIC if NULL). Counters are computed from the time
 * they were loaded, so reads are exact at any moment; only IRQ 0 needs
 * the owner to call i8254_update() when i8254_next_event_ns() arrives.
 * IRQ 0 sees a rising edge per period (a low-high pulse when the line
 * was already high), coalesced if several periods passed between updates.
 *
 * Not locked: the caller serializes every call (the VM's device lock).
 */
#ifndef VSLICE_DEV_I8254_H
#define VSLICE_DEV_I8254_H

#include <stdbool.h>
#include <stdint.h>

#include "vslice/irq.h"

#define I8254_BASE 0x40
#define I8254_PORT_B 0x61
#define I8254_HZ 1193182ULL
#define I8254_IRQ 0

struct i8254_channel {
	uint32_t count;     /* reload value N, 1..65536 (10000 in BCD) */
	uint8_t mode;       /* 0-5 (6, 7 alias 2, 3) */
	uint8_t mode_raw;   /* as written, for the status byte */
	uint8_t rw;         /* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	bool gate;
	bool armed;         /* a count was written since the control word */
	bool triggered;     /* modes 1 and 5: a gate edge started the count */
	bool suspended;     /* gate low holds the count */
	uint64_t load_ns;   /* counting (re)started at this time... */
	uint64_t offset;    /* ...with this many ticks already counted */
	uint64_t last_ticks; /* channel 0: ticks at the last update */
	/* read/write state */
	bool write_msb_next, read_msb_next;
	uint8_t write_lsb;
	bool count_latched, latch_msb_next, status_latched;
	uint16_t latch_value;
	uint8_t status;
};

struct i8254 {
	struct i8254_channel ch[3];
	struct irq_line irq0;
	int irq_level;
	uint8_t port_b; /* bits 0-3 as written */
	uint64_t (*now_ns)(void *opaque);
	void *now_opaque;
};

/* now_ns: the clock for the bus handlers (NULL: CLOCK_MONOTONIC). */
void i8254_init(struct i8254 *pit, struct irq_line irq0, uint64_t (*now_ns)(void *opaque),
		void *now_opaque);
void i8254_reset(struct i8254 *pit);

/* Port access at an explicit time: port is 0x40-0x43 or 0x61. */
uint8_t i8254_read(struct i8254 *pit, uint16_t port, uint64_t now_ns);
void i8254_write(struct i8254 *pit, uint16_t port, uint8_t val, uint64_t now_ns);
/* Bus handlers: 0x40-0x43 (offset 0-3) and 0x61 (offset 0). */
void i8254_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write);
void i8254_port_b_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write);

/* IRQ 0: when the next rising edge of OUT0 is due (UINT64_MAX: none), and
 * the update that raises it. */
uint64_t i8254_next_event_ns(const struct i8254 *pit);
void i8254_update(struct i8254 *pit, uint64_t now_ns);

/* The OUT pin and counter value of channel ch at now_ns (tests, port B). */
bool i8254_out(const struct i8254 *pit, unsigned ch, uint64_t now_ns);
uint32_t i8254_count(const struct i8254 *pit, unsigned ch, uint64_t now_ns);

#endif
