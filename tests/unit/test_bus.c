/* Unit tests for bus dispatch: registration rules, offsets, open-bus reads,
 * accesses straddling a range end. */
#include "unit.h"

#include "vslice/bus.h"

struct recorder {
	int calls;
	uint64_t offset;
	unsigned len;
	bool is_write;
	uint8_t written[8];
	uint8_t fill;
};

static void record(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct recorder *r = opaque;
	r->calls++;
	r->offset = offset;
	r->len = len;
	r->is_write = is_write;
	if (is_write)
		memcpy(r->written, data, len < 8 ? len : 8);
	else
		memset(data, r->fill, len);
}

static void test_register_rules(void **state)
{
	struct bus b;
	struct recorder r = {0};
	bus_init(&b, "pio");
	assert_int_equal(bus_register(&b, 0x3f8, 8, record, &r, "uart"), 0);
	assert_int_equal(bus_register(&b, 0x3f8, 8, record, &r, "dup"), -1);
	assert_int_equal(bus_register(&b, 0x3f0, 9, record, &r, "tail"), -1); /* ends at 0x3f8 */
	assert_int_equal(bus_register(&b, 0x3ff, 1, record, &r, "last"), -1); /* last port */
	assert_int_equal(bus_register(&b, 0x3fa, 2, record, &r, "inside"), -1);
	assert_int_equal(bus_register(&b, 0x300, 0x200, record, &r, "cover"), -1);
	assert_int_equal(bus_register(&b, 0x3f0, 8, record, &r, "below"), 0); /* adjacent */
	assert_int_equal(bus_register(&b, 0x400, 1, record, &r, "above"), 0);
	assert_int_equal(bus_register(&b, 0x500, 0, record, &r, "empty"), -1);
	assert_int_equal(bus_register(&b, 0x600, 1, NULL, &r, "nofn"), -1);
	/* Wrap-around refused; the very top byte is fine. */
	assert_int_equal(bus_register(&b, UINT64_MAX - 3, 8, record, &r, "wrap"), -1);
	assert_int_equal(bus_register(&b, UINT64_MAX, 2, record, &r, "wrap2"), -1);
	assert_int_equal(bus_register(&b, UINT64_MAX, 1, record, &r, "top"), 0);
	assert_int_equal(b.n, 4);
	/* Sorted by base. */
	for (unsigned i = 1; i < b.n; i++)
		assert_true(b.ranges[i - 1].base < b.ranges[i].base);
	assert_ptr_equal(bus_find(&b, 0x3ff)->name, "uart");
	assert_ptr_equal(bus_find(&b, 0x3f0)->name, "below");
	assert_null(bus_find(&b, 0x401));
	assert_null(bus_find(&b, 0));
	bus_free(&b);
}

static void test_many_registrations(void **state)
{
	struct bus b;
	struct recorder r = {0};
	bus_init(&b, "mmio");
	/* Out of order, more than the initial capacity. */
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(
		    bus_register(&b, (uint64_t)((i * 17) % 40) * 0x1000, 0x1000, record, &r, "r"),
		    0);
	assert_int_equal(b.n, 40);
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(b.ranges[i].base, (uint64_t)i * 0x1000);
	bus_free(&b);
}

static void test_dispatch_offsets(void **state)
{
	struct bus b;
	struct recorder uart = {.fill = 0x11}, other = {.fill = 0x22};
	bus_init(&b, "pio");
	bus_register(&b, 0x3f8, 8, record, &uart, "uart");
	bus_register(&b, 0x70, 2, record, &other, "cmos");
	uint8_t v = 0x41;
	assert_true(bus_access(&b, 0x3fd, &v, 1, true));
	assert_int_equal(uart.calls, 1);
	assert_int_equal(uart.offset, 5);
	assert_int_equal(uart.written[0], 0x41);
	assert_true(uart.is_write);
	uint8_t w[4];
	assert_true(bus_access(&b, 0x3fc, w, 4, false)); /* ends at the last port */
	assert_int_equal(uart.offset, 4);
	assert_int_equal(uart.len, 4);
	assert_int_equal(w[3], 0x11);
	assert_true(bus_access(&b, 0x71, &v, 1, false));
	assert_int_equal(other.offset, 1);
	assert_int_equal(v, 0x22);
	assert_int_equal(b.unhandled, 0);
	bus_free(&b);
}

static void test_unhandled(void **state)
{
	struct bus b;
	struct recorder r = {.fill = 0x00};
	bus_init(&b, "pio");
	bus_register(&b, 0x3f8, 8, record, &r, "uart");
	uint8_t buf[4] = {0};
	assert_false(bus_access(&b, 0x80, buf, 4, false));
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(buf[i], 0xff);
	uint8_t v = 0x12;
	assert_false(bus_access(&b, 0x3f7, &v, 1, true));
	assert_int_equal(v, 0x12); /* writes left alone */
	assert_int_equal(b.unhandled, 2);
	assert_int_equal(r.calls, 0);
	/* Empty bus. */
	struct bus e;
	bus_init(&e, "mmio");
	assert_false(bus_access(&e, 0, buf, 2, false));
	assert_int_equal(buf[1], 0xff);
	bus_free(&e);
	bus_free(&b);
}

static void test_straddling_not_dispatched(void **state)
{
	struct bus b;
	struct recorder lo = {.fill = 0}, hi = {.fill = 0};
	bus_init(&b, "pio");
	bus_register(&b, 0x3f8, 8, record, &lo, "uart");
	bus_register(&b, 0x400, 8, record, &hi, "next");
	uint8_t buf[4] = {0};
	assert_false(bus_access(&b, 0x3fe, buf, 4, false)); /* crosses into next */
	assert_int_equal(buf[0], 0xff);
	assert_false(bus_access(&b, 0x3ff, buf, 2, true));
	assert_false(bus_access(&b, 0x406, buf, 4, false)); /* past the end */
	assert_int_equal(lo.calls + hi.calls, 0);
	assert_int_equal(b.unhandled, 3);
	/* Top of the address space: no wrap in the length check. */
	bus_register(&b, UINT64_MAX - 1, 2, record, &hi, "top");
	assert_false(bus_access(&b, UINT64_MAX, buf, 4, false));
	assert_true(bus_access(&b, UINT64_MAX - 1, buf, 2, false));
	assert_int_equal(hi.offset, 0);
	bus_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_rules),
	    cmocka_unit_test(test_many_registrations),
	    cmocka_unit_test(test_dispatch_offsets),
	    cmocka_unit_test(test_unhandled),
	    cmocka_unit_test(test_straddling_not_dispatched),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
