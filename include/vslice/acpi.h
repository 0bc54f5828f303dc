/* ACPI table builder: RSDP, XSDT, MADT, FADT, DSDT (with \_S5), FACS. */
#ifndef VSLICE_ACPI_H
#define VSLICE_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "vslice/errbuf.h"
#include "vslice/guest_mem.h"

#define ACPI_IOAPIC_ADDR 0xFEC00000ULL
#define ACPI_LAPIC_ADDR 0xFEE00000ULL
/* The I/O APIC's ID follows the CPUs' APIC IDs 0..ncpus-1, so it is ncpus.
 * (Function-like: it used to be a constant 0, which was wrong for MADT.) */
#define ACPI_IOAPIC_ID(ncpus) ((uint8_t)(ncpus))
/* ncpus accepted by acpi_build: APIC ID 255 is broadcast, and the I/O APIC
 * takes the ID after the last CPU. */
#define ACPI_MAX_CPUS 254

struct acpi_config {
	unsigned ncpus; /* APIC IDs 0..ncpus-1 */
};

/* Writes all tables into guest memory at [base, base+size) (base on a
 * 16-byte boundary, below 4 GiB), RSDP first. Returns 0 and the RSDP address
 * in *rsdp_gpa, or -1 (errbuf set) if ncpus is 0 or above ACPI_MAX_CPUS, or
 * the tables do not fit in the window or in guest RAM.
 * Tables: RSDP (rev 2) -> XSDT and RSDT -> FADT (6.4) and MADT; FADT ->
 * FACS and DSDT. The DSDT only names \_S5 (SLP_TYP ACPI_S5_SLP_TYP). The
 * MADT has one enabled local APIC per CPU (UID = APIC ID = index), the I/O
 * APIC at ACPI_IOAPIC_ADDR with GSI base 0, overrides IRQ0->GSI2 and SCI
 * IRQ9->GSI9 level/active-high, and an NMI on LINT1 of all CPUs. */
int acpi_build(struct guest_mem *gm, uint64_t base, uint64_t size,
	       const struct acpi_config *cfg, uint64_t *rsdp_gpa,
	       struct errbuf *eb);

#endif
