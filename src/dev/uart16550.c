/* 16550A UART model: the eight registers of one serial port, a receive FIFO
 * fed by the host, immediate transmit through a callback, loopback mode, and
 * the datasheet's interrupt priorities on a level-driven irq_line.
 *
 * Simplifications (invisible to drivers that follow the datasheet):
 *  - transmit is instantaneous: THRE and TEMT are set again as soon as a byte
 *    is written, so the THR-empty interrupt re-arms right after each write;
 *  - the character-timeout condition (FIFO mode, data below the trigger
 *    level) is reported at once instead of after four character times;
 *  - the modem inputs are fixed at DCD, DSR and CTS asserted, except in
 *    loopback where they follow MCR as the datasheet says;
 *  - the interrupt output is not gated by MCR.OUT2.
 */
#include <string.h>

#include "vslice/dev/uart16550.h"

/* Register offsets. */
enum {
	UART_RBR_THR = 0, /* DLL when DLAB */
	UART_IER = 1,	  /* DLM when DLAB */
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define IER_RDA 0x01  /* received data available */
#define IER_THRE 0x02 /* transmitter holding register empty */
#define IER_RLS 0x04  /* receiver line status */
#define IER_MS 0x08   /* modem status */
#define IER_MASK 0x0f

#define IIR_NONE 0x01
#define IIR_MSR 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO_ON 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_TRIGGER_SHIFT 6

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_RXERR 0x80
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_DELTAS 0x0f
#define MSR_LINES 0xf0

/* Modem inputs outside loopback: a null-modem cable to a ready peer. */
#define MSR_IDLE_LINES (MSR_DCD | MSR_DSR | MSR_CTS)

static bool fifo_enabled(const struct uart16550 *u)
{
	return u->fcr & FCR_ENABLE;
}

/* How many bytes the receiver holds: the FIFO, or the single holding
 * register of the 16450-compatible mode. */
static unsigned rx_capacity(const struct uart16550 *u)
{
	return fifo_enabled(u) ? UART_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct uart16550 *u)
{
	static const unsigned levels[4] = {1, 4, 8, 14};
	return fifo_enabled(u) ? levels[(u->fcr >> FCR_TRIGGER_SHIFT) & 3] : 1;
}

/* The interrupt the IIR reports now, by datasheet priority. */
static uint8_t pending_source(const struct uart16550 *u)
{
	if ((u->ier & IER_RLS) && (u->lsr & LSR_ERRORS))
		return IIR_RLS;
	if ((u->ier & IER_RDA) && u->rx_count > 0)
		return u->rx_count >= rx_trigger(u) ? IIR_RDA : IIR_TIMEOUT;
	if ((u->ier & IER_THRE) && u->thr_empty_pending)
		return IIR_THRE;
	if ((u->ier & IER_MS) && (u->msr & MSR_DELTAS))
		return IIR_MSR;
	return IIR_NONE;
}

static void update_irq(struct uart16550 *u)
{
	u->iir_pending = pending_source(u);
	int level = u->iir_pending != IIR_NONE;
	if (level != u->irq_level) {
		u->irq_level = level;
		irq_set(&u->irq, level);
	}
}

/* Modem-status input lines as the receiver sees them. */
static uint8_t modem_lines(const struct uart16550 *u)
{
	if (!(u->mcr & MCR_LOOP))
		return MSR_IDLE_LINES;
	uint8_t lines = 0;
	if (u->mcr & MCR_RTS)
		lines |= MSR_CTS;
	if (u->mcr & MCR_DTR)
		lines |= MSR_DSR;
	if (u->mcr & MCR_OUT1)
		lines |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		lines |= MSR_DCD;
	return lines;
}

/* Recomputes the MSR input bits, latching delta bits for changes. */
static void update_msr(struct uart16550 *u)
{
	uint8_t old = u->msr & MSR_LINES, now = modem_lines(u);
	uint8_t changed = old ^ now, deltas = 0;
	if (changed & MSR_CTS)
		deltas |= MSR_DCTS;
	if (changed & MSR_DSR)
		deltas |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI))
		deltas |= MSR_TERI; /* trailing edge only */
	if (changed & MSR_DCD)
		deltas |= MSR_DDCD;
	u->msr = now | (u->msr & MSR_DELTAS) | deltas;
}

static void rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->lsr &= ~(LSR_DR | LSR_RXERR);
}

/* One byte arriving at the receiver; sets OE and drops it if full. */
static void rx_push(struct uart16550 *u, uint8_t byte)
{
	if (u->rx_count >= rx_capacity(u)) {
		u->lsr |= LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
	u->lsr |= LSR_DR;
}

static uint8_t rx_pop(struct uart16550 *u)
{
	if (u->rx_count == 0)
		return 0; /* reading an empty RBR: last value is undefined */
	uint8_t byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	if (u->rx_count == 0)
		u->lsr &= ~LSR_DR;
	return byte;
}

static void transmit(struct uart16550 *u, uint8_t byte)
{
	/* Writing THR clears a pending THRE interrupt... */
	u->thr_empty_pending = false;
	u->lsr &= ~(LSR_THRE | LSR_TEMT);
	update_irq(u);
	if (u->mcr & MCR_LOOP)
		rx_push(u, byte);
	else if (u->tx)
		u->tx(u->tx_opaque, byte);
	/* ...and the byte leaves at once, so THR is empty again. */
	u->lsr |= LSR_THRE | LSR_TEMT;
	u->thr_empty_pending = true;
}

static void write_fcr(struct uart16550 *u, uint8_t val)
{
	/* Toggling the FIFO enable clears both FIFOs. */
	if ((val ^ u->fcr) & FCR_ENABLE)
		rx_clear(u);
	else if (val & FCR_CLEAR_RX)
		rx_clear(u);
	/* TX is immediate: clearing the TX FIFO has nothing to drop. The
	 * clear bits self-clear; keep enable and trigger level. */
	u->fcr = val & ~(FCR_CLEAR_RX | FCR_CLEAR_TX);
	if (!fifo_enabled(u))
		u->fcr = 0;
}

static uint8_t reg_read(struct uart16550 *u, unsigned reg)
{
	uint8_t val = 0;
	switch (reg) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		val = rx_pop(u);
		break;
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR_FCR:
		val = pending_source(u);
		/* Reading IIR acknowledges a THRE interrupt it reports. */
		if (val == IIR_THRE)
			u->thr_empty_pending = false;
		if (fifo_enabled(u))
			val |= IIR_FIFO_ON;
		break;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		val = u->lsr;
		if (u->rx_count > 0)
			val |= LSR_DR;
		/* Reading LSR clears the error bits. */
		u->lsr &= ~(LSR_ERRORS | LSR_RXERR);
		break;
	case UART_MSR:
		val = u->msr;
		u->msr &= ~MSR_DELTAS;
		break;
	case UART_SCR:
		return u->scr;
	}
	update_irq(u);
	return val;
}

static void reg_write(struct uart16550 *u, unsigned reg, uint8_t val)
{
	switch (reg) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = val;
		else
			transmit(u, val);
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = val;
			break;
		}
		/* Enabling the THRE interrupt while THR is empty raises it. */
		if ((val & IER_THRE) && !(u->ier & IER_THRE) && (u->lsr & LSR_THRE))
			u->thr_empty_pending = true;
		u->ier = val & IER_MASK;
		break;
	case UART_IIR_FCR:
		write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & MCR_MASK;
		update_msr(u);
		break;
	case UART_LSR:
		break; /* read-only (factory test register on some parts) */
	case UART_MSR:
		break; /* read-only */
	case UART_SCR:
		u->scr = val;
		break;
	}
	update_irq(u);
}

void uart16550_reset(struct uart16550 *u)
{
	u->ier = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->lsr = LSR_THRE | LSR_TEMT;
	u->msr = MSR_IDLE_LINES;
	u->scr = 0;
	u->dll = 0x0c; /* 9600 baud from the 1.8432 MHz clock */
	u->dlm = 0;
	u->fcr = 0;
	memset(u->rx, 0, sizeof(u->rx));
	u->rx_head = 0;
	u->rx_count = 0;
	u->thr_empty_pending = false;
	update_irq(u);
}

void uart16550_init(struct uart16550 *u, struct irq_line irq,
		    void (*tx)(void *opaque, uint8_t byte), void *tx_opaque)
{
	memset(u, 0, sizeof(*u));
	u->irq = irq;
	u->tx = tx;
	u->tx_opaque = tx_opaque;
	u->irq_level = 0;
	uart16550_reset(u);
}

void uart16550_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct uart16550 *u = opaque;
	uint8_t *bytes = data;
	/* A wider access acts as consecutive byte accesses, as an 8-bit ISA
	 * device sees it; bytes beyond the eight registers are open bus. */
	for (unsigned i = 0; i < len; i++) {
		uint64_t reg = offset + i;
		if (reg > UART_SCR || reg < offset) {
			if (!is_write)
				bytes[i] = 0xff;
			continue;
		}
		if (is_write)
			reg_write(u, (unsigned)reg, bytes[i]);
		else
			bytes[i] = reg_read(u, (unsigned)reg);
	}
}

size_t uart16550_rx_room(const struct uart16550 *u)
{
	/* In loopback the serial input is disconnected: hold host input. */
	if (u->mcr & MCR_LOOP)
		return 0;
	unsigned cap = rx_capacity(u);
	return u->rx_count < cap ? cap - u->rx_count : 0;
}

size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf, size_t len)
{
	size_t room = uart16550_rx_room(u);
	size_t n = len < room ? len : room;
	for (size_t i = 0; i < n; i++)
		rx_push(u, buf[i]);
	if (n)
		update_irq(u);
	return n;
}
