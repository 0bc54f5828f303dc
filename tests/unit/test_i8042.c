/* Unit tests for the i8042 controller: self-tests, command byte, output
 * port and reset, loop-back commands, interrupts, absent devices. */
#include <stdlib.h>

#include "unit.h"

#include "vslice/dev/i8042.h"

struct fake_irq {
	int calls, level;
};

struct fixture {
	struct i8042 k;
	struct fake_irq kbd, aux;
	int resets;
};

static void fake_irq_set(void *opaque, unsigned gsi, int level)
{
	struct fake_irq *f = opaque;
	f->calls++;
	f->level = level;
}

static void fake_reset(void *opaque)
{
	struct fixture *f = opaque;
	f->resets++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	i8042_init(&f->k, fake_reset, f, (struct irq_line){fake_irq_set, &f->kbd, 1},
		   (struct irq_line){fake_irq_set, &f->aux, 12});
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint8_t status(struct fixture *f)
{
	uint8_t v;
	i8042_io(&f->k, 4, &v, 1, false);
	return v;
}

static uint8_t data(struct fixture *f)
{
	uint8_t v;
	i8042_io(&f->k, 0, &v, 1, false);
	return v;
}

static void cmd(struct fixture *f, uint8_t c)
{
	i8042_io(&f->k, 4, &c, 1, true);
}

static void put(struct fixture *f, uint8_t d)
{
	i8042_io(&f->k, 0, &d, 1, true);
}

static void test_initial_status(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(status(f), 0x14); /* SYS, not inhibited, empty */
	assert_int_equal(f->kbd.calls + f->aux.calls, 0);
}

static void test_self_tests(void **state)
{
	struct fixture *f = *state;
	cmd(f, 0xaa);
	assert_int_equal(status(f), 0x1d); /* OBF | SYS | CMD | unlocked */
	assert_int_equal(data(f), 0x55);
	assert_int_equal(status(f) & 0x01, 0);
	cmd(f, 0xab);
	assert_int_equal(data(f), 0x00);
	cmd(f, 0xa9);
	assert_int_equal(data(f), 0x00);
	assert_int_equal(status(f) & 0x02, 0); /* IBF never stuck */
}

static void test_command_byte(void **state)
{
	struct fixture *f = *state;
	cmd(f, 0x20);
	assert_int_equal(data(f), 0x45);
	cmd(f, 0x60);
	assert_int_equal(status(f) & 0x08, 0x08); /* last write: command */
	put(f, 0x47);
	assert_int_equal(status(f) & 0x08, 0x00);
	cmd(f, 0x20);
	assert_int_equal(data(f), 0x47);
	cmd(f, 0xa7);
	cmd(f, 0x20);
	assert_int_equal(data(f), 0x67);
	cmd(f, 0xa8);
	cmd(f, 0xad);
	cmd(f, 0x20);
	assert_int_equal(data(f), 0x57);
	cmd(f, 0xae);
	cmd(f, 0x20);
	assert_int_equal(data(f), 0x47);
	/* SYS flag follows command byte bit 2. */
	cmd(f, 0x60);
	put(f, 0x41);
	assert_int_equal(status(f) & 0x04, 0);
	cmd(f, 0xaa);
	assert_int_equal(status(f) & 0x04, 0x04);
}

static void test_reset_paths(void **state)
{
	struct fixture *f = *state;
	cmd(f, 0xd0);
	assert_int_equal(data(f), 0x03);
	cmd(f, 0xd1);
	put(f, 0x03);
	assert_int_equal(f->resets, 0);
	cmd(f, 0xd1);
	put(f, 0x02); /* bit 0 clear: reset */
	assert_int_equal(f->resets, 1);
	cmd(f, 0xfe);
	assert_int_equal(f->resets, 2);
	cmd(f, 0xff);
	cmd(f, 0xf0);
	assert_int_equal(f->resets, 2);
	assert_int_equal(status(f) & 0x01, 0);
}

static void test_kbd_loopback_irq(void **state)
{
	struct fixture *f = *state;
	cmd(f, 0xd2);
	put(f, 0x1c);
	assert_int_equal(status(f) & 0x21, 0x01); /* OBF, not aux */
	assert_int_equal(f->kbd.level, 1);
	assert_int_equal(f->aux.calls, 0);
	assert_int_equal(data(f), 0x1c);
	assert_int_equal(f->kbd.level, 0);
	assert_int_equal(f->kbd.calls, 2);
	/* Interrupt disabled in the command byte: no line. */
	cmd(f, 0x60);
	put(f, 0x44);
	cmd(f, 0xd2);
	put(f, 0x1c);
	assert_int_equal(f->kbd.calls, 2);
	/* Enabling it with the byte waiting raises the line. */
	cmd(f, 0x60);
	put(f, 0x45);
	assert_int_equal(f->kbd.level, 1);
}

static void test_aux_loopback_irq(void **state)
{
	struct fixture *f = *state;
	cmd(f, 0xd3);
	put(f, 0x5a);
	assert_int_equal(status(f) & 0x21, 0x21); /* OBF | AUXB */
	assert_int_equal(f->aux.calls, 0);	  /* aux interrupt off */
	assert_int_equal(data(f), 0x5a);
	cmd(f, 0x60);
	put(f, 0x47);
	cmd(f, 0xd3);
	put(f, 0xa5);
	assert_int_equal(f->aux.level, 1);
	assert_int_equal(f->kbd.level, 0);
	assert_int_equal(data(f), 0xa5);
	assert_int_equal(f->aux.level, 0);
}

static void test_absent_devices(void **state)
{
	struct fixture *f = *state;
	put(f, 0xf2);				  /* keyboard GET ID */
	assert_int_equal(status(f) & 0x61, 0x41); /* OBF | TIMEOUT */
	assert_int_equal(data(f), 0xfe);
	assert_int_equal(status(f) & 0x61, 0x00);
	cmd(f, 0xd4);
	put(f, 0xff); /* mouse reset */
	assert_int_equal(status(f) & 0x61, 0x61);
	assert_int_equal(data(f), 0xfe);
}

static void test_queue_and_stale_read(void **state)
{
	struct fixture *f = *state;
	for (unsigned i = 0; i < 9; i++) {
		cmd(f, 0xd2);
		put(f, (uint8_t)(0x10 + i));
	}
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(data(f), 0x10 + i);
	assert_int_equal(status(f) & 0x01, 0);
	assert_int_equal(data(f), 0x17); /* stale byte, no underflow */
	assert_int_equal(f->k.out_count, 0);
}

static void test_other_ports(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[4] = {0};
	cmd(f, 0xaa);
	i8042_io(&f->k, 1, buf, 3, false);
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(buf[2], 0xff);
	assert_int_equal(f->k.out_count, 1);
	i8042_io(&f->k, 1, buf, 4, false); /* port 0x61..0x64: status last */
	assert_int_equal(buf[3] & 0x01, 0x01);
	uint8_t w[3] = {1, 2, 3};
	i8042_io(&f->k, 1, w, 3, true);
	assert_int_equal(f->resets, 0);
	assert_int_equal(data(f), 0x55);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_initial_status), T(test_self_tests),		  T(test_command_byte),
	    T(test_reset_paths),    T(test_kbd_loopback_irq),	  T(test_aux_loopback_irq),
	    T(test_absent_devices), T(test_queue_and_stale_read), T(test_other_ports),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
