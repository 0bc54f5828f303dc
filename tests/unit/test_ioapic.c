/* Unit tests for the I/O APIC: ID/version/arbitration registers, the
 * redirection table's writable bits, edge delivery, a masked edge kept
 * until unmask, level delivery with remote IRR and re-delivery at EOI (via
 * a LAPIC EOI and via the EOI register), and routing through the APIC bus. */
#include <stdlib.h>

#include "unit.h"

#include "vslice/dev/ioapic.h"

struct fixture {
	struct apic_bus b;
	struct ioapic io;
};

static void eoi_to_ioapic(void *opaque, uint8_t vector)
{
	struct fixture *f = opaque;
	ioapic_eoi(&f->io, vector);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct apic_bus_ops ops = { .eoi = eoi_to_ioapic, .opaque = f };
	assert_int_equal(apic_bus_init(&f->b, 2, NULL, &ops, NULL), 0);
	for (unsigned i = 0; i < 2; i++) {
		uint32_t svr = 0x1FF;
		apic_bus_mmio(&f->b, i, 0xF0, &svr, 4, true, 0);
	}
	ioapic_init(&f->io, &f->b, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	apic_bus_destroy(&f->b);
	free(f);
	return 0;
}

static uint32_t rd(struct fixture *f, uint32_t reg)
{
	uint32_t v = 0xdeadbeef;
	ioapic_mmio(&f->io, IOAPIC_IOREGSEL, &reg, 4, true);
	ioapic_mmio(&f->io, IOAPIC_IOWIN, &v, 4, false);
	return v;
}

static void wr(struct fixture *f, uint32_t reg, uint32_t v)
{
	ioapic_mmio(&f->io, IOAPIC_IOREGSEL, &reg, 4, true);
	ioapic_mmio(&f->io, IOAPIC_IOWIN, &v, 4, true);
}

static void lapic_eoi(struct fixture *f, unsigned cpu)
{
	uint32_t z = 0;
	apic_bus_mmio(&f->b, cpu, 0xB0, &z, 4, true, 0);
}

static void test_id_version(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(rd(f, 0), 0x02000000);
	assert_int_equal(rd(f, 1), 0x00170011);
	assert_int_equal(rd(f, 2), 0x02000000);
	wr(f, 0, 0xFFFFFFFF);
	assert_int_equal(rd(f, 0), 0x0F000000);
	wr(f, 1, 0);
	assert_int_equal(rd(f, 1), 0x00170011);
	uint32_t sel = 0;
	ioapic_mmio(&f->io, IOAPIC_IOREGSEL, &sel, 4, false);
	assert_int_equal(sel, 1);
	assert_int_equal(rd(f, 0x40), 0); /* past the table */
}

static void test_redirection_bits(void **state)
{
	struct fixture *f = *state;
	for (unsigned pin = 0; pin < 24; pin++) {
		assert_int_equal(rd(f, 0x10 + 2 * pin), 0x10000);
		assert_int_equal(rd(f, 0x11 + 2 * pin), 0);
	}
	wr(f, 0x10 + 2 * 23, 0xFFFFFFFF);
	assert_int_equal(rd(f, 0x10 + 2 * 23), 0x1AFFF); /* delivs, remote IRR read-only */
	wr(f, 0x11 + 2 * 23, 0xFFFFFFFF);
	assert_int_equal(rd(f, 0x11 + 2 * 23), 0xFF000000);
}

static void test_edge(void **state)
{
	struct fixture *f = *state;
	wr(f, 0x11 + 2 * 4, 0x01000000); /* dest APIC 1 */
	wr(f, 0x10 + 2 * 4, 0x34);       /* edge, fixed, unmasked */
	ioapic_set_irq(&f->io, 4, 1);
	assert_int_equal(f->io.delivered, 1);
	ioapic_set_irq(&f->io, 4, 1); /* no new edge */
	assert_int_equal(f->io.delivered, 1);
	assert_int_equal(apic_bus_get_interrupt(&f->b, 1), 0x34);
	assert_int_equal(apic_bus_get_interrupt(&f->b, 0), -1);
	ioapic_set_irq(&f->io, 4, 0);
	ioapic_set_irq(&f->io, 4, 1);
	assert_int_equal(f->io.delivered, 2);
	/* masked: the edge waits for the unmask */
	wr(f, 0x10 + 2 * 4, 0x10034);
	ioapic_set_irq(&f->io, 4, 0);
	ioapic_set_irq(&f->io, 4, 1);
	assert_int_equal(f->io.delivered, 2);
	wr(f, 0x10 + 2 * 4, 0x34);
	assert_int_equal(f->io.delivered, 3);
	/* pins out of range are ignored */
	ioapic_set_irq(&f->io, 24, 1);
	ioapic_set_irq(&f->io, 1000, 1);
	assert_int_equal(f->io.delivered, 3);
}

static void test_level_redelivery(void **state)
{
	struct fixture *f = *state;
	wr(f, 0x10 + 2 * 9, 0x8039); /* level, vector 0x39, to APIC 0 */
	ioapic_set_irq(&f->io, 9, 1);
	assert_int_equal(f->io.delivered, 1);
	assert_int_equal(rd(f, 0x10 + 2 * 9), 0xC039); /* remote IRR set */
	assert_int_equal(apic_bus_get_interrupt(&f->b, 0), 0x39);
	ioapic_set_irq(&f->io, 9, 1); /* still in service: nothing new */
	assert_int_equal(f->io.delivered, 1);
	lapic_eoi(f, 0); /* still asserted: delivered again */
	assert_int_equal(f->io.delivered, 2);
	assert_int_equal(rd(f, 0x10 + 2 * 9), 0xC039);
	assert_int_equal(apic_bus_get_interrupt(&f->b, 0), 0x39);
	ioapic_set_irq(&f->io, 9, 0);
	lapic_eoi(f, 0);
	assert_int_equal(f->io.delivered, 2);
	assert_int_equal(rd(f, 0x10 + 2 * 9), 0x8039);
	/* the EOI register at 0x40 does the same */
	ioapic_set_irq(&f->io, 9, 1);
	assert_int_equal(f->io.delivered, 3);
	uint32_t v = 0x39;
	ioapic_mmio(&f->io, IOAPIC_EOI, &v, 4, true);
	assert_int_equal(f->io.delivered, 4);
	/* an EOI for another vector does nothing */
	v = 0x3A;
	ioapic_mmio(&f->io, IOAPIC_EOI, &v, 4, true);
	assert_int_equal(f->io.delivered, 4);
	/* switching to edge clears a stuck remote IRR */
	wr(f, 0x10 + 2 * 9, 0x10039);
	assert_int_equal(rd(f, 0x10 + 2 * 9), 0x10039);
}

static void test_logical_broadcast(void **state)
{
	struct fixture *f = *state;
	uint32_t ldr = 0x01000000;
	apic_bus_mmio(&f->b, 0, 0xD0, &ldr, 4, true, 0);
	ldr = 0x02000000;
	apic_bus_mmio(&f->b, 1, 0xD0, &ldr, 4, true, 0);
	wr(f, 0x11 + 2 * 1, 0x03000000);
	wr(f, 0x10 + 2 * 1, 0x0800 | 0x51); /* logical 0x03: both */
	ioapic_set_irq(&f->io, 1, 1);
	assert_int_equal(apic_bus_get_interrupt(&f->b, 0), 0x51);
	assert_int_equal(apic_bus_get_interrupt(&f->b, 1), 0x51);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_id_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirection_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_redelivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logical_broadcast, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
