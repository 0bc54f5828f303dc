/* 16550A UART model (8 registers, 16-byte FIFOs, interrupt-driven). */
#ifndef VSLICE_DEV_UART16550_H
#define VSLICE_DEV_UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vslice/irq.h"

#define UART_FIFO_SIZE 16
#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ 4

struct uart16550 {
	/* wiring */
	struct irq_line irq;
	/* Called with each byte the guest transmits. */
	void (*tx)(void *opaque, uint8_t byte);
	void *tx_opaque;
	/* registers */
	uint8_t ier, iir_pending, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	/* receive FIFO */
	uint8_t rx[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;
	bool thr_empty_pending; /* THRE interrupt pending until IIR read / THR write */
	int irq_level;
};

void uart16550_init(struct uart16550 *u, struct irq_line irq,
		    void (*tx)(void *opaque, uint8_t byte), void *tx_opaque);
/* Back to power-on state, keeping the wiring. */
void uart16550_reset(struct uart16550 *u);
/* Bus handler for the 8-port range; offset 0..7. */
void uart16550_io(void *opaque, uint64_t offset, void *data, unsigned len,
		  bool is_write);
/* Free room in the receive FIFO (0 when the guest must drain it first). */
size_t uart16550_rx_room(const struct uart16550 *u);
/* Queues up to len received bytes; returns how many were taken. */
size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf, size_t len);

#endif
