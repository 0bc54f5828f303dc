/* Unit tests for the 16550A UART model: registers, FIFO, interrupts,
 * loopback, as the datasheet specifies them. */
#include <stdlib.h>

#include "unit.h"

#include "vslice/dev/uart16550.h"

struct fake_irq {
	int calls, level;
	int history[64];
};

static void fake_irq_set(void *opaque, unsigned gsi, int level)
{
	struct fake_irq *f = opaque;
	assert_int_equal(gsi, UART_COM1_IRQ);
	if (f->calls < 64)
		f->history[f->calls] = level;
	f->calls++;
	f->level = level;
}

struct fixture {
	struct uart16550 u;
	struct fake_irq irq;
	uint8_t txbuf[64];
	unsigned ntx;
};

static void fake_tx(void *opaque, uint8_t byte)
{
	struct fixture *f = opaque;
	if (f->ntx < sizeof(f->txbuf))
		f->txbuf[f->ntx] = byte;
	f->ntx++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct irq_line line = {fake_irq_set, &f->irq, UART_COM1_IRQ};
	uart16550_init(&f->u, line, fake_tx, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint8_t rd(struct fixture *f, unsigned reg)
{
	uint8_t v = 0;
	uart16550_io(&f->u, reg, &v, 1, false);
	return v;
}

static void wr(struct fixture *f, unsigned reg, uint8_t v)
{
	uart16550_io(&f->u, reg, &v, 1, true);
}

static void test_reset_state(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(rd(f, 5), 0x60); /* LSR: THRE | TEMT */
	assert_int_equal(rd(f, 2), 0x01); /* IIR: no interrupt, FIFOs off */
	assert_int_equal(rd(f, 1), 0x00);
	assert_int_equal(rd(f, 3), 0x00);
	assert_int_equal(rd(f, 4), 0x00);
	assert_int_equal(rd(f, 6), 0xb0); /* DCD, DSR, CTS asserted */
	assert_int_equal(f->irq.calls, 0);
}

static void test_dlab(void **state)
{
	struct fixture *f = *state;
	wr(f, 1, 0x05);
	wr(f, 3, 0x83); /* DLAB, 8N1 */
	wr(f, 0, 0x01);
	wr(f, 1, 0x02);
	assert_int_equal(rd(f, 0), 0x01);
	assert_int_equal(rd(f, 1), 0x02);
	assert_int_equal(f->ntx, 0); /* DLL write is not a transmit */
	wr(f, 3, 0x03);
	assert_int_equal(rd(f, 3), 0x03);
	assert_int_equal(rd(f, 1), 0x05); /* IER untouched by DLM write */
	wr(f, 3, 0x83);
	assert_int_equal(rd(f, 0), 0x01);
	assert_int_equal(rd(f, 1), 0x02);
}

static void test_ier_mask_and_scratch(void **state)
{
	struct fixture *f = *state;
	wr(f, 1, 0xff);
	assert_int_equal(rd(f, 1), 0x0f);
	wr(f, 1, 0);
	wr(f, 7, 0xa5);
	assert_int_equal(rd(f, 7), 0xa5);
	wr(f, 7, 0x5a);
	assert_int_equal(rd(f, 7), 0x5a);
}

static void test_transmit(void **state)
{
	struct fixture *f = *state;
	wr(f, 0, 'h');
	wr(f, 0, 'i');
	assert_int_equal(f->ntx, 2);
	assert_int_equal(f->txbuf[0], 'h');
	assert_int_equal(f->txbuf[1], 'i');
	assert_int_equal(rd(f, 5), 0x60);
	assert_int_equal(f->irq.calls, 0); /* THRE interrupt not enabled */
}

static void test_rx_no_fifo_holds_one_byte(void **state)
{
	struct fixture *f = *state;
	const uint8_t in[3] = {'a', 'b', 'c'};
	assert_int_equal(uart16550_rx_room(&f->u), 1);
	assert_int_equal(uart16550_receive(&f->u, in, 3), 1);
	assert_int_equal(uart16550_rx_room(&f->u), 0);
	assert_int_equal(rd(f, 5), 0x61);
	assert_int_equal(rd(f, 0), 'a');
	assert_int_equal(rd(f, 5), 0x60);
}

static void test_rx_fifo_order_and_room(void **state)
{
	struct fixture *f = *state;
	uint8_t in[20];
	for (unsigned i = 0; i < 20; i++)
		in[i] = (uint8_t)(0x40 + i);
	wr(f, 2, 0x01);
	assert_int_equal(rd(f, 2), 0xc1);
	assert_int_equal(uart16550_rx_room(&f->u), 16);
	assert_int_equal(uart16550_receive(&f->u, in, 20), 16);
	assert_int_equal(uart16550_rx_room(&f->u), 0);
	assert_int_equal(f->u.rx_count, 16);
	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(rd(f, 5) & 0x01, 0x01);
		assert_int_equal(rd(f, 0), 0x40 + i);
	}
	assert_int_equal(rd(f, 5), 0x60);
	assert_int_equal(uart16550_rx_room(&f->u), 16);
	/* Disabling the FIFO clears it. */
	assert_int_equal(uart16550_receive(&f->u, in, 3), 3);
	wr(f, 2, 0x00);
	assert_int_equal(f->u.rx_count, 0);
	assert_int_equal(rd(f, 2), 0x01);
}

static void test_fcr_clear_rx(void **state)
{
	struct fixture *f = *state;
	const uint8_t in[4] = {1, 2, 3, 4};
	wr(f, 2, 0x01);
	uart16550_receive(&f->u, in, 4);
	wr(f, 2, 0x03); /* keep enabled, clear RX */
	assert_int_equal(f->u.rx_count, 0);
	assert_int_equal(rd(f, 5), 0x60);
	assert_int_equal(rd(f, 2), 0xc1);
}

static void test_loopback_data_and_overrun(void **state)
{
	struct fixture *f = *state;
	wr(f, 2, 0x01);
	wr(f, 4, 0x10);
	assert_int_equal(uart16550_rx_room(&f->u), 0);
	for (unsigned i = 0; i < 17; i++)
		wr(f, 0, (uint8_t)i);
	assert_int_equal(f->ntx, 0); /* nothing leaves in loopback */
	assert_int_equal(f->u.rx_count, 16);
	assert_int_equal(rd(f, 5), 0x63); /* DR | OE | THRE | TEMT */
	assert_int_equal(rd(f, 5), 0x61); /* OE cleared by the read */
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(rd(f, 0), i);
	wr(f, 4, 0x00);
	wr(f, 0, 'x');
	assert_int_equal(f->ntx, 1);
	assert_int_equal(f->txbuf[0], 'x');
}

static void test_loopback_msr(void **state)
{
	struct fixture *f = *state;
	wr(f, 4, 0x10);			  /* loop, all outputs off: all inputs drop */
	assert_int_equal(rd(f, 6), 0x0b); /* DCTS, DDSR, DDCD; no TERI */
	assert_int_equal(rd(f, 6), 0x00);
	wr(f, 4, 0x1f);
	assert_int_equal(rd(f, 6), 0xfb); /* all lines, deltas; RI rose */
	wr(f, 4, 0x1b);			  /* OUT1 off: RI trailing edge */
	assert_int_equal(rd(f, 6), 0xb4);
	wr(f, 4, 0x12); /* RTS only */
	assert_int_equal(rd(f, 6), 0x1a);
	assert_int_equal(rd(f, 4), 0x12);
	wr(f, 4, 0xff); /* bits 5-7 are zero on a 16550A */
	assert_int_equal(rd(f, 4), 0x1f);
}

static void test_thre_interrupt(void **state)
{
	struct fixture *f = *state;
	wr(f, 1, 0x02);
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(f->irq.calls, 1);
	assert_int_equal(rd(f, 2), 0x02);
	assert_int_equal(f->irq.level, 0); /* IIR read acknowledged it */
	assert_int_equal(rd(f, 2), 0x01);
	wr(f, 0, 'a'); /* THR write: empties at once, THRE again */
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(f->irq.calls, 3);
	/* A write while THRE is pending drops the line and raises it again,
	 * giving edge-triggered controllers a new edge. */
	wr(f, 0, 'b');
	assert_int_equal(f->irq.calls, 5);
	assert_int_equal(f->irq.history[3], 0);
	assert_int_equal(f->irq.history[4], 1);
	wr(f, 1, 0x00);
	assert_int_equal(f->irq.level, 0);
	/* Re-enabling with THR empty raises it again. */
	wr(f, 1, 0x02);
	assert_int_equal(f->irq.level, 1);
}

static void test_iir_priorities(void **state)
{
	struct fixture *f = *state;
	wr(f, 4, 0x10); /* loopback; modem deltas now pending */
	wr(f, 1, 0x0f);
	wr(f, 0, 'a');
	wr(f, 0, 'b'); /* overruns the one-byte holding register */
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(rd(f, 2), 0x06); /* line status first */
	assert_int_equal(rd(f, 5), 0x63);
	assert_int_equal(rd(f, 2), 0x04); /* then received data */
	assert_int_equal(rd(f, 0), 'a');
	assert_int_equal(rd(f, 2), 0x02); /* then THRE; read acks it */
	assert_int_equal(rd(f, 2), 0x00); /* then modem status */
	assert_int_equal(f->irq.level, 1);
	rd(f, 6);
	assert_int_equal(rd(f, 2), 0x01);
	assert_int_equal(f->irq.level, 0);
}

static void test_fifo_trigger_and_timeout(void **state)
{
	struct fixture *f = *state;
	const uint8_t in[8] = {0};
	wr(f, 2, 0x81); /* FIFO on, trigger level 8 */
	wr(f, 1, 0x01);
	uart16550_receive(&f->u, in, 3);
	assert_int_equal(rd(f, 2), 0xcc); /* below trigger: timeout */
	assert_int_equal(f->irq.level, 1);
	uart16550_receive(&f->u, in, 5);
	assert_int_equal(rd(f, 2), 0xc4);
	for (unsigned i = 0; i < 8; i++)
		rd(f, 0);
	assert_int_equal(rd(f, 2), 0xc1);
	assert_int_equal(f->irq.level, 0);
	/* Trigger 14. */
	wr(f, 2, 0xc1);
	uart16550_receive(&f->u, in, 8);
	uart16550_receive(&f->u, in, 5);
	assert_int_equal(rd(f, 2), 0xcc);
	uart16550_receive(&f->u, in, 1);
	assert_int_equal(rd(f, 2), 0xc4);
}

static void test_rx_interrupt_disabled_keeps_line_low(void **state)
{
	struct fixture *f = *state;
	const uint8_t in = 'z';
	uart16550_receive(&f->u, &in, 1);
	assert_int_equal(f->irq.calls, 0);
	assert_int_equal(rd(f, 2), 0x01);
	wr(f, 1, 0x01); /* enabling with data waiting raises the line */
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(rd(f, 0), 'z');
	assert_int_equal(f->irq.level, 0);
}

static void test_wide_access_does_not_overrun(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[4] = {0};
	wr(f, 7, 0x42);
	uart16550_io(&f->u, 6, buf, 4, false);
	assert_int_equal(buf[0], 0xb0);
	assert_int_equal(buf[1], 0x42);
	assert_int_equal(buf[2], 0xff);
	assert_int_equal(buf[3], 0xff);
	uint8_t w[2] = {0x11, 0x22};
	uart16550_io(&f->u, 7, w, 2, true);
	assert_int_equal(rd(f, 7), 0x11);
	uart16550_io(&f->u, UINT64_MAX, buf, 4, false); /* no wrap to 0 */
	assert_int_equal(buf[1], 0xff);
}

static void test_reset_keeps_wiring(void **state)
{
	struct fixture *f = *state;
	wr(f, 1, 0x02);
	assert_int_equal(f->irq.level, 1);
	wr(f, 7, 0x99);
	uart16550_reset(&f->u);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(rd(f, 7), 0x00);
	wr(f, 0, 'q');
	assert_int_equal(f->ntx, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_reset_state),
	    T(test_dlab),
	    T(test_ier_mask_and_scratch),
	    T(test_transmit),
	    T(test_rx_no_fifo_holds_one_byte),
	    T(test_rx_fifo_order_and_room),
	    T(test_fcr_clear_rx),
	    T(test_loopback_data_and_overrun),
	    T(test_loopback_msr),
	    T(test_thre_interrupt),
	    T(test_iir_priorities),
	    T(test_fifo_trigger_and_timeout),
	    T(test_rx_interrupt_disabled_keeps_line_low),
	    T(test_wide_access_does_not_overrun),
	    T(test_reset_keeps_wiring),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
