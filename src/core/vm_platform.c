/* The PC platform of a vslice VM: which device sits at which port or MMIO
 * address and which interrupt line it drives. The interrupt controllers,
 * when the accelerator needs them in user space, are in vm_irqchip.c. */
#include <string.h>
#include <time.h>

#include "vslice/dev/acpi_pm.h"
#include "vslice/log.h"
#include "vslice/vm.h"

static void vm_irq(void *opaque, unsigned gsi, int level)
{
	struct vm *vm = opaque;
	if (vm->avm && vm->accel->irq_line)
		vm->accel->irq_line(vm->avm, gsi, level);
}

static struct irq_line line(struct vm *vm, unsigned gsi)
{
	return (struct irq_line){ .set = vm_irq, .opaque = vm, .gsi = gsi };
}

static void serial_tx(void *opaque, uint8_t byte)
{
	struct vm *vm = opaque;
	chardev_write(&vm->serial, &byte, 1);
}

static void request_reset(void *opaque)
{
	vm_request_stop(opaque, VM_STOP_RESET, 0);
}

static void request_poweroff(void *opaque)
{
	vm_request_stop(opaque, VM_STOP_POWEROFF, VM_EXIT_POWEROFF);
}

static void request_debug_exit(void *opaque, int status)
{
	vm_request_stop(opaque, VM_STOP_DEBUG_EXIT, status);
}

/* Wall-clock time for the RTC, in nanoseconds since the epoch (UTC). */
static uint64_t host_realtime_ns(void *opaque)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool vm_pio(void *opaque, uint16_t port, void *data, unsigned len, bool is_write)
{
	struct vm *vm = opaque;
	pthread_mutex_lock(&vm->dev_lock);
	bool handled = bus_access(&vm->pio, port, data, len, is_write);
	pthread_mutex_unlock(&vm->dev_lock);
	return handled;
}

bool vm_mmio(void *opaque, uint64_t addr, void *data, unsigned len, bool is_write)
{
	struct vm *vm = opaque;
	pthread_mutex_lock(&vm->dev_lock);
	bool handled = bus_access(&vm->mmio, addr, data, len, is_write);
	pthread_mutex_unlock(&vm->dev_lock);
	return handled;
}

/* Devices' power-on state. The CMOS keeps its NVRAM and clock across a
 * reset, as on a PC; everything else starts over. */
static void init_devices(struct vm *vm)
{
	struct vm_devices *d = &vm->dev;
	uart16550_init(&d->uart, line(vm, UART_COM1_IRQ), serial_tx, vm);
	i8042_init(&d->kbd, request_reset, vm, line(vm, 1), line(vm, 12));
	debug_exit_init(&d->dbg, request_debug_exit, vm);
	acpi_pm_init(&d->pm, line(vm, ACPI_SCI_IRQ), request_poweroff, request_reset, vm);
	port_sink_init(&d->post, false);
	port_sink_init(&d->io_delay, false);
	port_sink_init(&d->a20, true);
	d->a20.last = 0x02; /* A20 is always enabled */
	testdev_init(&d->testdev);
}

struct pio_map {
	uint16_t base, len;
	bus_io_fn fn;
	size_t dev_offset; /* offsetof the device in struct vm_devices */
	const char *name;
};

#define DEV(field) offsetof(struct vm_devices, field)

static const struct pio_map pio_devices[] = {
	{ UART_COM1_BASE, 8, uart16550_io, DEV(uart), "uart16550 COM1" },
	{ CMOS_BASE, 2, cmos_rtc_io, DEV(rtc), "cmos-rtc" },
	{ I8042_DATA_PORT, 1, i8042_io, DEV(kbd), "i8042 data" },
	{ DEBUG_EXIT_PORT, 1, debug_exit_io, DEV(dbg), "debug-exit" },
	{ ACPI_PM_BASE, ACPI_PM_LEN, acpi_pm_io, DEV(pm), "acpi-pm" },
	{ ACPI_RESET_PORT, 1, acpi_pm_reset_io, DEV(pm), "acpi-reset" },
	{ 0x80, 1, port_sink_io, DEV(post), "post" },
	{ 0xed, 1, port_sink_io, DEV(io_delay), "io-delay" },
	{ 0x92, 1, port_sink_io, DEV(a20), "a20-gate" },
};

/* i8042's command port sits 4 above its data port; the handler takes the
 * offset from 0x60, so the second range is shifted. */
static void i8042_cmd_io(void *opaque, uint64_t offset, void *data, unsigned len,
			 bool is_write)
{
	i8042_io(opaque, offset + (I8042_CMD_PORT - I8042_DATA_PORT), data, len, is_write);
}

/* QEMU's fw_cfg (ports 0x510-0x511, DMA register 0x514-0x51b): RAM size,
 * CPU count, the e820 map and the vslice version, as test suites read them. */
static int fwcfg_init(struct vm *vm, struct errbuf *eb)
{
	static const char version[] = "vslice 0.1\n";
	struct fw_cfg *fc = &vm->dev.fwcfg;
	struct e820_entry map[E820_MAX];
	unsigned n = gm_e820(&vm->mem, map, E820_MAX);
	if (fw_cfg_init(fc, &vm->mem, vm->mem.ram_size, vm->cfg.ncpus, eb) < 0 ||
	    fw_cfg_add_file(fc, "etc/e820", map, n * sizeof(map[0]), eb) < 0 ||
	    fw_cfg_add_file(fc, "opt/vslice/version", version, sizeof(version) - 1, eb) < 0)
		return -1;
	if (bus_register(&vm->pio, FW_CFG_IO_BASE, FW_CFG_IO_LEN, fw_cfg_io, fc, "fw_cfg") < 0 ||
	    bus_register(&vm->pio, FW_CFG_DMA_BASE, FW_CFG_DMA_LEN, fw_cfg_dma_io, fc,
			 "fw_cfg dma") < 0)
		return errbuf_set(eb, "internal: fw_cfg port ranges overlap");
	return 0;
}

int vm_platform_init(struct vm *vm, struct errbuf *eb)
{
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	cmos_rtc_init(&vm->dev.rtc, line(vm, CMOS_IRQ));
	vm->dev.rtc.now_ns = host_realtime_ns;
	cmos_rtc_set_ram_size(&vm->dev.rtc, vm->mem.ram_size);
	init_devices(vm);
	for (size_t i = 0; i < sizeof(pio_devices) / sizeof(pio_devices[0]); i++) {
		const struct pio_map *m = &pio_devices[i];
		void *dev = (char *)&vm->dev + m->dev_offset;
		if (bus_register(&vm->pio, m->base, m->len, m->fn, dev, m->name) < 0)
			return errbuf_set(eb, "internal: port range 0x%x of %s overlaps", m->base, m->name);
	}
	if (vm->accel && vm->accel->needs_user_irqchip && vm_irqchip_init(vm, eb) < 0)
		return -1;
	if (fwcfg_init(vm, eb) < 0)
		return -1;
	if (bus_register(&vm->pio, I8042_CMD_PORT, 1, i8042_cmd_io, &vm->dev.kbd, "i8042 cmd") < 0 ||
	    bus_register(&vm->mmio, TESTDEV_MMIO_BASE, TESTDEV_MMIO_LEN, testdev_mmio,
			 &vm->dev.testdev, "testdev") < 0)
		return errbuf_set(eb, "internal: platform device ranges overlap");
	return 0;
}

void vm_platform_reset(struct vm *vm)
{
	pthread_mutex_lock(&vm->dev_lock);
	init_devices(vm);
	vm_irqchip_reset(vm);
	fw_cfg_reset(&vm->dev.fwcfg);
	pthread_mutex_unlock(&vm->dev_lock);
}
