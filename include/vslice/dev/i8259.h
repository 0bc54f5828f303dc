/* The PC's pair of 8259A interrupt controllers: master at ports
 * 0x20/0x21, slave at 0xa0/0xa1 cascaded on master IR2, and the edge/level
 * control registers (ELCR) at 0x4d0/0x4d1. ISA IRQ n is input n & 7 of
 * the master (n < 8) or the slave (n >= 8).
 *
 * Not locked: the caller serializes every call (the VM's device lock).
 * The INTR output goes through the intr callback whenever it changes;
 * wire it to apic_bus_set_extint() (LINT0 in ExtINT mode, or the CPU
 * directly while the local APIC is globally disabled).
 */
#ifndef VSLICE_DEV_I8259_H
#define VSLICE_DEV_I8259_H

#include <stdbool.h>
#include <stdint.h>

#define I8259_MASTER_BASE 0x20
#define I8259_SLAVE_BASE 0xa0
#define I8259_ELCR_BASE 0x4d0
#define I8259_CASCADE_IRQ 2

struct i8259_chip {
	uint8_t irr, isr, imr;
	uint8_t lines;        /* input levels */
	uint8_t elcr, elcr_mask;
	uint8_t base;         /* ICW2: vector of IR0 */
	uint8_t icw3;
	uint8_t priority_add; /* the IR with the highest priority */
	uint8_t init_step;    /* 0 ready, 1 ICW2 next, 2 ICW3 next, 3 ICW4 next */
	bool icw4_needed, single, ltim;
	bool auto_eoi, rotate_on_aeoi, sfnm;
	bool special_mask, read_isr, poll;
	bool is_master;
};

struct i8259 {
	struct i8259_chip chip[2]; /* master, slave */
	void (*intr)(void *opaque, bool level);
	void *intr_opaque;
	bool intr_level;
};

void i8259_init(struct i8259 *pic, void (*intr)(void *opaque, bool level), void *opaque);
/* Power-on state: both chips masked, vectors 0x08 and 0x70 (what firmware
 * leaves), edge-triggered. Keeps the input levels and the wiring. */
void i8259_reset(struct i8259 *pic);
/* ISA IRQ 0-15 input level (2 is the cascade and is ignored). */
void i8259_set_irq(struct i8259 *pic, unsigned irq, int level);
/* Whether INTR is asserted. */
bool i8259_has_interrupt(const struct i8259 *pic);
/* Interrupt acknowledge: the vector; the spurious IR7 (IRQ 7 or 15) vector
 * when the request went away. */
int i8259_ack(struct i8259 *pic);

/* Port access: chip 0 master / 1 slave, port 0 or 1 of the pair. */
uint8_t i8259_read(struct i8259 *pic, unsigned chip, unsigned port);
void i8259_write(struct i8259 *pic, unsigned chip, unsigned port, uint8_t val);
/* Bus handlers: master 0x20-0x21, slave 0xa0-0xa1, ELCR 0x4d0-0x4d1. */
void i8259_master_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write);
void i8259_slave_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write);
void i8259_elcr_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write);

#endif
