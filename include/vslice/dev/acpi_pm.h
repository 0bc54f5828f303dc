/* ACPI fixed-hardware power management block (PM1a event and control, PM
 * timer) and the reset register. The FADT points at these ports. */
#ifndef VSLICE_DEV_ACPI_PM_H
#define VSLICE_DEV_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "vslice/irq.h"

#define ACPI_PM_BASE 0x600
#define ACPI_PM1A_EVT (ACPI_PM_BASE + 0) /* 4 bytes: status, enable */
#define ACPI_PM1A_CNT (ACPI_PM_BASE + 4) /* 2 bytes */
#define ACPI_PM_TMR (ACPI_PM_BASE + 8)   /* 4 bytes, 3.579545 MHz */
#define ACPI_PM_LEN 12
#define ACPI_RESET_PORT 0xcf9 /* reset register; 0x06 resets */
#define ACPI_RESET_VALUE 0x06
#define ACPI_SCI_IRQ 9
/* The SLP_TYP value \_S5 in our DSDT names for soft-off. */
#define ACPI_S5_SLP_TYP 5

struct acpi_pm {
	struct irq_line sci;
	void (*poweroff)(void *opaque);
	void (*reset)(void *opaque);
	void *opaque;
	/* Monotonic clock in nanoseconds; clock_gettime if NULL (tests set it). */
	uint64_t (*now_ns)(void *opaque);
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint8_t reset_reg; /* last value written to the reset register */
	int sci_level;     /* last level driven on the SCI line */
};

void acpi_pm_init(struct acpi_pm *pm, struct irq_line sci,
		  void (*poweroff)(void *opaque), void (*reset)(void *opaque),
		  void *opaque);
/* PM block: offset 0..ACPI_PM_LEN-1 from ACPI_PM_BASE. */
void acpi_pm_io(void *opaque, uint64_t offset, void *data, unsigned len,
		bool is_write);
/* Reset register at ACPI_RESET_PORT (1 byte). */
void acpi_pm_reset_io(void *opaque, uint64_t offset, void *data, unsigned len,
		      bool is_write);
/* The host presses the power button: sets PWRBTN_STS, raising the SCI if the
 * guest enabled it (an ACPI guest then shuts down cleanly). */
void acpi_pm_power_button(struct acpi_pm *pm);

#endif
