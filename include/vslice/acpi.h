/* ACPI table builder: RSDP, XSDT, MADT, FADT, DSDT (with \_S5), FACS. */
#ifndef VSLICE_ACPI_H
#define VSLICE_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "vslice/errbuf.h"
#include "vslice/guest_mem.h"

#define ACPI_IOAPIC_ADDR 0xFEC00000ULL
#define ACPI_LAPIC_ADDR 0xFEE00000ULL
#define ACPI_IOAPIC_ID 0 /* placed after the CPUs' APIC IDs: see acpi.c */

struct acpi_config {
	unsigned ncpus; /* APIC IDs 0..ncpus-1 */
};

/* Writes all tables into guest memory at [base, base+size) (base on a
 * 16-byte boundary), RSDP first. Returns 0 and the RSDP address in
 * *rsdp_gpa, or -1. */
int acpi_build(struct guest_mem *gm, uint64_t base, uint64_t size,
	       const struct acpi_config *cfg, uint64_t *rsdp_gpa,
	       struct errbuf *eb);

#endif
