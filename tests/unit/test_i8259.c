/* Unit tests for the 8259A pair: the ICW1-4 init sequence Linux uses,
 * IRR/ISR reads, priority and nesting, non-specific and specific EOI,
 * the cascade (slave IRQs, spurious IRQ 7 and 15), auto-EOI, level inputs
 * through the ELCR, poll mode, rotation, and the INTR output callback. */
#include <stdlib.h>

#include "unit.h"

#include "vslice/dev/i8259.h"

struct fixture {
	struct i8259 pic;
	int intr;
	unsigned intr_calls;
};

static void intr(void *opaque, bool level)
{
	struct fixture *f = opaque;
	f->intr = level;
	f->intr_calls++;
}

static void out(struct fixture *f, uint16_t port, uint8_t v)
{
	switch (port) {
	case 0x20:
	case 0x21:
		i8259_master_io(&f->pic, port - 0x20, &v, 1, true);
		break;
	case 0xa0:
	case 0xa1:
		i8259_slave_io(&f->pic, port - 0xa0, &v, 1, true);
		break;
	default:
		i8259_elcr_io(&f->pic, port - 0x4d0, &v, 1, true);
		break;
	}
}

static uint8_t in(struct fixture *f, uint16_t port)
{
	uint8_t v = 0;
	if (port < 0xa0)
		i8259_master_io(&f->pic, port - 0x20, &v, 1, false);
	else if (port < 0x4d0)
		i8259_slave_io(&f->pic, port - 0xa0, &v, 1, false);
	else
		i8259_elcr_io(&f->pic, port - 0x4d0, &v, 1, false);
	return v;
}

/* Linux's init_8259A: vectors 0x30 and 0x38, cascade on IR2. */
static void linux_init(struct fixture *f, uint8_t icw4)
{
	out(f, 0x21, 0xFF);
	out(f, 0xa1, 0xFF);
	out(f, 0x20, 0x11);
	out(f, 0x21, 0x30);
	out(f, 0x21, 0x04);
	out(f, 0x21, icw4);
	out(f, 0xa0, 0x11);
	out(f, 0xa1, 0x38);
	out(f, 0xa1, 0x02);
	out(f, 0xa1, icw4);
	out(f, 0x21, 0x00);
	out(f, 0xa1, 0x00);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	i8259_init(&f->pic, intr, f);
	linux_init(f, 0x01);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_reset_state(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	i8259_init(&f->pic, intr, f);
	assert_int_equal(in(f, 0x21), 0xFF); /* masked until programmed */
	assert_int_equal(in(f, 0xa1), 0xFF);
	i8259_set_irq(&f->pic, 1, 1);
	assert_false(i8259_has_interrupt(&f->pic));
	assert_int_equal(f->intr_calls, 0);
	free(f);
}

static void test_init_and_eoi(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(in(f, 0x21), 0x00);
	i8259_set_irq(&f->pic, 1, 1);
	assert_int_equal(f->intr, 1);
	assert_int_equal(in(f, 0x20), 0x02); /* IRR */
	assert_int_equal(i8259_ack(&f->pic), 0x31);
	assert_int_equal(f->intr, 0);
	out(f, 0x20, 0x0B); /* OCW3: read ISR */
	assert_int_equal(in(f, 0x20), 0x02);
	out(f, 0x20, 0x0A); /* read IRR: edge cleared by the ack */
	assert_int_equal(in(f, 0x20), 0x00);
	out(f, 0x20, 0x20); /* non-specific EOI */
	out(f, 0x20, 0x0B);
	assert_int_equal(in(f, 0x20), 0x00);
	/* edge: a line that stays high does not interrupt again */
	assert_false(i8259_has_interrupt(&f->pic));
	i8259_set_irq(&f->pic, 1, 0);
	i8259_set_irq(&f->pic, 1, 1);
	assert_true(i8259_has_interrupt(&f->pic));
}

static void test_priority_nesting(void **state)
{
	struct fixture *f = *state;
	i8259_set_irq(&f->pic, 5, 1);
	i8259_set_irq(&f->pic, 3, 1);
	assert_int_equal(i8259_ack(&f->pic), 0x33);
	assert_false(i8259_has_interrupt(&f->pic)); /* 5 is below 3 in service */
	i8259_set_irq(&f->pic, 0, 1);
	assert_true(i8259_has_interrupt(&f->pic)); /* 0 beats 3 */
	assert_int_equal(i8259_ack(&f->pic), 0x30);
	out(f, 0x20, 0x0B);
	assert_int_equal(in(f, 0x20), 0x09);
	out(f, 0x20, 0x20); /* clears 0, the highest */
	assert_int_equal(in(f, 0x20), 0x08);
	out(f, 0x20, 0x63); /* specific EOI for 3 */
	assert_int_equal(in(f, 0x20), 0x00);
	assert_int_equal(i8259_ack(&f->pic), 0x35);
	/* masked lines wait */
	out(f, 0x20, 0x20);
	out(f, 0x21, 0x40);
	i8259_set_irq(&f->pic, 6, 1);
	assert_false(i8259_has_interrupt(&f->pic));
	assert_int_equal(in(f, 0x21), 0x40);
	out(f, 0x21, 0x00);
	assert_int_equal(i8259_ack(&f->pic), 0x36);
}

static void test_cascade_and_spurious(void **state)
{
	struct fixture *f = *state;
	i8259_set_irq(&f->pic, 10, 1);
	assert_int_equal(f->intr, 1);
	assert_int_equal(i8259_ack(&f->pic), 0x3A);
	out(f, 0x20, 0x0B);
	out(f, 0xa0, 0x0B);
	assert_int_equal(in(f, 0x20), 0x04); /* cascade in service */
	assert_int_equal(in(f, 0xa0), 0x04); /* IR2 of the slave */
	out(f, 0xa0, 0x20);
	out(f, 0x20, 0x20);
	assert_int_equal(in(f, 0xa0), 0x00);
	assert_int_equal(in(f, 0x20), 0x00);
	/* nothing pending: spurious IRQ 7, nothing in service */
	assert_int_equal(i8259_ack(&f->pic), 0x37);
	assert_int_equal(in(f, 0x20), 0x00);
	/* slave request withdrawn (level) between INTR and INTA: IRQ 15 */
	out(f, 0x4d1, 0x08); /* IRQ 11 level */
	i8259_set_irq(&f->pic, 11, 1);
	assert_true(i8259_has_interrupt(&f->pic));
	f->pic.chip[1].irr = 0; /* the line dropped inside the INTA cycle */
	assert_int_equal(i8259_ack(&f->pic), 0x3F);
	assert_int_equal(in(f, 0x20), 0x04); /* the master still took it */
	assert_int_equal(in(f, 0xa0), 0x00);
	/* IRQ 2 is the cascade: ignored as an input */
	out(f, 0x20, 0x20);
	i8259_set_irq(&f->pic, 2, 1);
	assert_false(i8259_has_interrupt(&f->pic));
}

static void test_auto_eoi(void **state)
{
	struct fixture *f = *state;
	linux_init(f, 0x03); /* AEOI */
	i8259_set_irq(&f->pic, 4, 1);
	assert_int_equal(i8259_ack(&f->pic), 0x34);
	out(f, 0x20, 0x0B);
	assert_int_equal(in(f, 0x20), 0x00);
}

static void test_elcr_level(void **state)
{
	struct fixture *f = *state;
	out(f, 0x4d0, 0xFF);
	out(f, 0x4d1, 0xFF);
	assert_int_equal(in(f, 0x4d0), 0xF8); /* IRQ 0-2 always edge */
	assert_int_equal(in(f, 0x4d1), 0xDE); /* IRQ 8 and 13 always edge */
	out(f, 0x4d0, 0x00);
	out(f, 0x4d1, 0x02); /* IRQ 9 (the SCI) level */
	i8259_set_irq(&f->pic, 9, 1);
	assert_int_equal(i8259_ack(&f->pic), 0x39);
	out(f, 0xa0, 0x20);
	out(f, 0x20, 0x20);
	assert_true(i8259_has_interrupt(&f->pic)); /* still high: again */
	assert_int_equal(i8259_ack(&f->pic), 0x39);
	out(f, 0xa0, 0x20);
	out(f, 0x20, 0x20);
	i8259_set_irq(&f->pic, 9, 0);
	assert_false(i8259_has_interrupt(&f->pic));
	assert_int_equal(f->intr, 0);
}

static void test_poll_and_rotate(void **state)
{
	struct fixture *f = *state;
	i8259_set_irq(&f->pic, 6, 1);
	out(f, 0x20, 0x0C); /* poll */
	assert_int_equal(in(f, 0x20), 0x86);
	out(f, 0x20, 0x0B);
	assert_int_equal(in(f, 0x20), 0x40);
	out(f, 0x20, 0x20);
	out(f, 0x20, 0x0C);
	assert_int_equal(in(f, 0x20), 0x00); /* nothing: bit 7 clear */
	/* set priority: IR4 lowest, so IR5 is highest */
	out(f, 0x20, 0xC4);
	i8259_set_irq(&f->pic, 3, 1);
	i8259_set_irq(&f->pic, 5, 1);
	assert_int_equal(i8259_ack(&f->pic), 0x35);
	/* rotate on non-specific EOI: 5 becomes lowest, 6 highest */
	out(f, 0x20, 0xA0);
	assert_int_equal(f->pic.chip[0].priority_add, 6);
	assert_int_equal(i8259_ack(&f->pic), 0x33);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test_setup_teardown(test_init_and_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_nesting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cascade_and_spurious, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elcr_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_and_rotate, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
