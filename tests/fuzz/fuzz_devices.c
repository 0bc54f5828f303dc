/* libFuzzer harness for the platform device models: the input is a list of
 * operations (guest port/MMIO accesses through a real bus, host-side events
 * such as serial input and clock steps) applied to one instance of each
 * device. After every operation the models' invariants are checked: FIFO
 * and queue bounds, interrupt levels that match the state, no redundant or
 * missed irq_line calls.
 *
 * Operation encoding, 8 bytes each:
 *   [0] kind: low 3 bits select the target (0-6 a device range, 7 a host
 *       event), bit 3 write, bits 4-5 access width (1, 2, 4, 8)
 *   [1] offset inside the target's range (may run past its end: the bus
 *       must then refuse it)
 *   [2..7] value bytes for writes / host-event arguments
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vslice/bus.h"
#include "vslice/dev/acpi_pm.h"
#include "vslice/dev/cmos_rtc.h"
#include "vslice/dev/debug_exit.h"
#include "vslice/dev/i8042.h"
#include "vslice/dev/port_sink.h"
#include "vslice/dev/testdev.h"
#include "vslice/dev/uart16550.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct fake_line {
	int level;
	unsigned calls;
};

struct world {
	struct bus pio, mmio;
	struct uart16550 uart;
	struct cmos_rtc rtc;
	struct i8042 kbc;
	struct acpi_pm pm;
	struct debug_exit dbg;
	struct port_sink post, a20;
	struct testdev td;
	struct fake_line lines[16]; /* by gsi */
	uint64_t clock_ns;
	unsigned tx_bytes, resets, poweroffs, exits;
};

static void line_set(void *opaque, unsigned gsi, int level)
{
	struct world *w = opaque;
	CHECK(gsi < 16);
	CHECK(level == 0 || level == 1);
	/* The models only call on a change of level. */
	CHECK(level != w->lines[gsi].level);
	w->lines[gsi].level = level;
	w->lines[gsi].calls++;
}

static struct irq_line line(struct world *w, unsigned gsi)
{
	return (struct irq_line){line_set, w, gsi};
}

static void on_tx(void *opaque, uint8_t byte)
{
	((struct world *)opaque)->tx_bytes++;
}

static void on_reset(void *opaque)
{
	((struct world *)opaque)->resets++;
}

static void on_poweroff(void *opaque)
{
	((struct world *)opaque)->poweroffs++;
}

static void on_debug_exit(void *opaque, int status)
{
	CHECK(status & 1);
	((struct world *)opaque)->exits++;
}

static uint64_t mono_ns(void *opaque)
{
	return ((struct world *)opaque)->clock_ns;
}

static uint64_t wall_ns(void *opaque)
{
	/* 2024-01-01 plus the fake monotonic clock. */
	return 1704067200ULL * 1000000000ULL + ((struct world *)opaque)->clock_ns;
}

struct target {
	struct bus *bus;
	uint64_t base, len;
};

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	bus_init(&w->pio, "pio");
	bus_init(&w->mmio, "mmio");
	uart16550_init(&w->uart, line(w, UART_COM1_IRQ), on_tx, w);
	cmos_rtc_init(&w->rtc, line(w, CMOS_IRQ));
	w->rtc.now_ns = wall_ns;
	w->rtc.now_opaque = w;
	cmos_rtc_set_ram_size(&w->rtc, 256ULL << 20);
	i8042_init(&w->kbc, on_reset, w, line(w, 1), line(w, 12));
	acpi_pm_init(&w->pm, line(w, ACPI_SCI_IRQ), on_poweroff, on_reset, w);
	w->pm.now_ns = mono_ns;
	debug_exit_init(&w->dbg, on_debug_exit, w);
	port_sink_init(&w->post, false);
	port_sink_init(&w->a20, true);
	testdev_init(&w->td);

	int rc = 0;
	rc |= bus_register(&w->pio, UART_COM1_BASE, 8, uart16550_io, &w->uart, "uart");
	rc |= bus_register(&w->pio, CMOS_BASE, 2, cmos_rtc_io, &w->rtc, "cmos");
	rc |= bus_register(&w->pio, I8042_DATA_PORT, 5, i8042_io, &w->kbc, "i8042");
	rc |= bus_register(&w->pio, ACPI_PM_BASE, ACPI_PM_LEN, acpi_pm_io, &w->pm, "pm");
	rc |= bus_register(&w->pio, ACPI_RESET_PORT, 1, acpi_pm_reset_io, &w->pm, "reset");
	rc |= bus_register(&w->pio, DEBUG_EXIT_PORT, 1, debug_exit_io, &w->dbg, "dbg");
	rc |= bus_register(&w->pio, 0x80, 1, port_sink_io, &w->post, "post");
	rc |= bus_register(&w->pio, 0x92, 1, port_sink_io, &w->a20, "a20");
	rc |= bus_register(&w->mmio, TESTDEV_MMIO_BASE, TESTDEV_MMIO_LEN, testdev_mmio, &w->td,
			   "testdev");
	CHECK(rc == 0);
}

static void check_invariants(struct world *w)
{
	const struct uart16550 *u = &w->uart;
	CHECK(u->rx_count <= UART_FIFO_SIZE);
	CHECK(u->rx_head < UART_FIFO_SIZE);
	if (!(u->fcr & 1))
		CHECK(u->rx_count <= 1);
	CHECK(u->ier <= 0x0f);
	CHECK(u->irq_level == w->lines[UART_COM1_IRQ].level);
	CHECK(u->irq_level == (u->iir_pending != 0x01));
	CHECK(((u->lsr & 0x01) != 0) == (u->rx_count > 0));
	CHECK(uart16550_rx_room(u) <= UART_FIFO_SIZE - u->rx_count);

	const struct i8042 *k = &w->kbc;
	CHECK(k->out_count <= sizeof(k->outbuf));
	CHECK(k->out_head < sizeof(k->outbuf));
	CHECK(k->kbd_level == w->lines[1].level);
	CHECK(k->aux_level == w->lines[12].level);
	CHECK(!(k->kbd_level && k->aux_level)); /* one byte at the head */

	CHECK(w->rtc.index < 128);
	CHECK(w->rtc.nvram[0x0d] == 0x80);
	CHECK(w->lines[CMOS_IRQ].calls == 0); /* IRQ 8 not modelled */

	CHECK(w->pm.pm1_cnt & 1);
	CHECK(w->pm.sci_level == ((w->pm.pm1_sts & w->pm.pm1_en) != 0));
	CHECK(w->pm.sci_level == w->lines[ACPI_SCI_IRQ].level);
	CHECK(!(w->pm.pm1_en & ~0x0721));
}

static void host_event(struct world *w, const uint8_t *arg)
{
	switch (arg[0] % 4) {
	case 0: {
		size_t room = uart16550_rx_room(&w->uart);
		size_t n = arg[1] % 24;
		size_t took = uart16550_receive(&w->uart, arg + 2, n < 4 ? n : 4);
		CHECK(took <= room);
		if (n > 4) { /* more than the argument bytes: repeat them */
			uint8_t buf[24];
			memset(buf, arg[2], sizeof(buf));
			took = uart16550_receive(&w->uart, buf, n);
			CHECK(took <= UART_FIFO_SIZE);
		}
		break;
	}
	case 1:
		/* Clock steps from nanoseconds to about an hour. */
		w->clock_ns += ((uint64_t)arg[1] << (arg[2] % 40)) | arg[3];
		break;
	case 2:
		acpi_pm_power_button(&w->pm);
		break;
	case 3:
		uart16550_reset(&w->uart);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		int mmio;
		uint64_t base, len;
	} targets[7] = {
	    {0, UART_COM1_BASE, 8},	    {0, CMOS_BASE, 2},	     {0, I8042_DATA_PORT, 5},
	    {0, ACPI_PM_BASE, ACPI_PM_LEN}, {0, ACPI_RESET_PORT, 1}, {0, DEBUG_EXIT_PORT, 1},
	    {1, TESTDEV_MMIO_BASE, 0x20},
	};
	struct world *w = malloc(sizeof(*w));
	if (!w)
		return 0;
	world_init(w);

	uint32_t prev_tmr = 0;
	uint64_t tmr_clock = 0;
	bool have_tmr = false;
	for (size_t pos = 0; pos + 8 <= size && pos < 8 * 4096; pos += 8) {
		const uint8_t *op = data + pos;
		unsigned sel = op[0] & 7;
		if (sel == 7) {
			host_event(w, op + 2);
			check_invariants(w);
			continue;
		}
		bool is_write = op[0] & 8;
		unsigned len = 1u << ((op[0] >> 4) & 3);
		struct bus *bus = targets[sel].mmio ? &w->mmio : &w->pio;
		uint64_t addr = targets[sel].base + op[1] % (targets[sel].len + 2);
		uint8_t buf[8];
		memcpy(buf, op + 2, 6);
		buf[6] = op[2] ^ 0x5a;
		buf[7] = op[3] ^ 0xa5;
		bool handled = bus_access(bus, addr, buf, len, is_write);
		const struct bus_range *r = bus_find(bus, addr);
		CHECK(handled == (r && addr - r->base + len <= r->len));
		if (!handled && !is_write)
			for (unsigned i = 0; i < len; i++)
				CHECK(buf[i] == 0xff);
		check_invariants(w);

		/* The PM timer is 24 bits wide and a pure function of the
		 * clock: unchanged clock, unchanged count. */
		uint8_t t[4];
		bus_access(&w->pio, ACPI_PM_TMR, t, 4, false);
		uint32_t tmr = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
			       (uint32_t)t[3] << 24;
		CHECK(tmr <= 0xffffff);
		if (have_tmr && tmr_clock == w->clock_ns)
			CHECK(tmr == prev_tmr);
		have_tmr = true;
		tmr_clock = w->clock_ns;
		prev_tmr = tmr;
	}
	bus_free(&w->pio);
	bus_free(&w->mmio);
	free(w);
	return 0;
}
