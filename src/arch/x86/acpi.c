/* ACPI table builder: writes RSDP, XSDT, RSDT, FADT, FACS, DSDT (\_S5 only)
 * and MADT into one guest-memory window, following ACPI 6.4 (chapter 5.2
 * for the tables, chapter 20 for the AML encoding). */
#include <string.h>

#include "vslice/acpi.h"
#include "vslice/dev/acpi_pm.h"

#define ACPI_OEM_ID "VSLICE"	     /* 6 bytes */
#define ACPI_OEM_TABLE_ID "VSLICEVM" /* 8 bytes, same in every table */
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "VSLC" /* 4 bytes */
#define ACPI_CREATOR_REVISION 1

/* Standard description header (5.2.6). */
#define HDR_LEN 36
#define HDR_LENGTH_OFF 4
#define HDR_CHECKSUM_OFF 9

/* RSDP (5.2.5.3). */
#define RSDP_LEN 36
#define RSDP_V1_LEN 20

/* FADT (5.2.9), ACPI 6.x layout. */
#define FADT_LEN 276
#define FADT_REVISION 6
#define FADT_MINOR_REVISION 4
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_PM_PROFILE 45
#define FADT_SCI_INT 46
#define FADT_SMI_CMD 48
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM_TMR_BLK 76
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_PM_TMR_LEN 91
#define FADT_P_LVL2_LAT 96
#define FADT_P_LVL3_LAT 98
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VERSION 131
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT 140
#define FADT_X_PM1A_EVT_BLK 148
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM_TMR_BLK 208
#define FADT_HYPERVISOR_ID 268

/* Latencies above these limits say "C2/C3 not supported". */
#define FADT_NO_C2_LATENCY 101
#define FADT_NO_C3_LATENCY 1001

/* IAPC_BOOT_ARCH bits. */
#define IAPC_LEGACY_DEVICES (1u << 0)
#define IAPC_8042 (1u << 1)
#define IAPC_VGA_NOT_PRESENT (1u << 2)

/* FADT fixed feature flags. */
#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PROC_C1 (1u << 2)
#define FADT_F_PWR_BUTTON (1u << 4) /* set: no fixed-feature power button */
#define FADT_F_SLP_BUTTON (1u << 5) /* set: no fixed-feature sleep button */
#define FADT_F_RESET_REG_SUP (1u << 10)

/* Generic Address Structure (5.2.3.2). */
#define GAS_LEN 12
#define GAS_SPACE_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2
#define GAS_ACCESS_DWORD 3

/* FACS (5.2.10). */
#define FACS_LEN 64
#define FACS_ALIGN 64
#define FACS_VERSION 2

/* DSDT. Revision 2: AML integers are 64 bits. */
#define DSDT_REVISION 2

/* MADT (5.2.12). */
#define MADT_REVISION 5
#define MADT_FLAGS_OFF 40
#define MADT_ENTRIES_OFF 44
#define MADT_PCAT_COMPAT 1u
#define MADT_TYPE_LAPIC 0
#define MADT_TYPE_IOAPIC 1
#define MADT_TYPE_ISO 2
#define MADT_TYPE_LAPIC_NMI 4
#define MADT_LAPIC_LEN 8
#define MADT_IOAPIC_LEN 12
#define MADT_ISO_LEN 10
#define MADT_LAPIC_NMI_LEN 6
#define MADT_LAPIC_ENABLED 1u
#define MADT_ALL_PROCESSORS 0xff
/* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2. */
#define MPS_INTI_CONFORMS 0x0
#define MPS_INTI_ACTIVE_HIGH 0x1
#define MPS_INTI_EDGE (0x1 << 2)
#define MPS_INTI_LEVEL (0x3 << 2)
#define ISA_BUS 0
#define ISA_TIMER_IRQ 0
#define ISA_TIMER_GSI 2
#define LAPIC_LINT1 1

/* AML opcodes (20.2). */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_QWORD_PREFIX 0x0e
#define AML_PACKAGE_OP 0x12
#define AML_MAX 64 /* our whole definition block */

#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((uint64_t)(a)-1))

static void put8(uint8_t *p, uint8_t v)
{
	p[0] = v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t checksum_fix(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

/* Fills a description header; the checksum is set by table_finish(). */
static void table_header(uint8_t *t, const char sig[4], uint32_t len, uint8_t revision)
{
	memcpy(t, sig, 4);
	put32(t + HDR_LENGTH_OFF, len);
	put8(t + 8, revision);
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	put32(t + 24, ACPI_OEM_REVISION);
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	put32(t + 32, ACPI_CREATOR_REVISION);
}

static void table_finish(uint8_t *t, uint32_t len)
{
	t[HDR_CHECKSUM_OFF] = 0;
	t[HDR_CHECKSUM_OFF] = checksum_fix(t, len);
}

static void gas_io(uint8_t *p, uint8_t bit_width, uint8_t access, uint64_t port)
{
	put8(p + 0, GAS_SPACE_SYSTEM_IO);
	put8(p + 1, bit_width);
	put8(p + 2, 0); /* bit offset */
	put8(p + 3, access);
	put64(p + 4, port);
}

/* A small AML byte emitter; overflow is sticky and reported at the end. */
struct aml {
	uint8_t buf[AML_MAX];
	size_t len;
	int overflow;
};

static void aml_byte(struct aml *a, uint8_t b)
{
	if (a->len >= sizeof(a->buf)) {
		a->overflow = 1;
		return;
	}
	a->buf[a->len++] = b;
}

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		aml_byte(a, ((const uint8_t *)p)[i]);
}

/* Integer as ZeroOp/OneOp/ByteConst/WordConst/DWordConst/QWordConst. */
static void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t le[8];
	put64(le, v);
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_bytes(a, le, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_bytes(a, le, 2);
	} else if (v <= 0xffffffffu) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_bytes(a, le, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_bytes(a, le, 8);
	}
}

/* PkgLength (20.2.4) for a body of body_len bytes that follows it; the
 * encoded value counts the PkgLength bytes themselves too. */
static void aml_pkglength(struct aml *a, size_t body_len)
{
	if (body_len + 1 <= 0x3f) {
		aml_byte(a, (uint8_t)(body_len + 1));
		return;
	}
	for (unsigned extra = 1; extra <= 3; extra++) {
		size_t total = body_len + 1 + extra;
		if (total >= (size_t)1 << (4 + 8 * extra))
			continue;
		aml_byte(a, (uint8_t)((extra << 6) | (total & 0x0f)));
		for (unsigned i = 0; i < extra; i++)
			aml_byte(a, (uint8_t)(total >> (4 + 8 * i)));
		return;
	}
	a->overflow = 1;
}

/* Name(_S5_, Package() {typ_a, typ_b, 0, 0}) at root scope: the SLP_TYP
 * values OSPM writes to PM1a/PM1b_CNT to enter soft-off. */
static void aml_s5(struct aml *a)
{
	struct aml elems = {0};
	aml_integer(&elems, ACPI_S5_SLP_TYP);
	aml_integer(&elems, ACPI_S5_SLP_TYP);
	aml_integer(&elems, 0);
	aml_integer(&elems, 0);
	if (elems.overflow) {
		a->overflow = 1;
		return;
	}

	aml_byte(a, AML_NAME_OP);
	aml_bytes(a, "_S5_", 4);
	aml_byte(a, AML_PACKAGE_OP);
	aml_pkglength(a, 1 + elems.len); /* NumElements + elements */
	aml_byte(a, 4);			 /* NumElements */
	aml_bytes(a, elems.buf, elems.len);
}

/* Where each structure goes, as offsets from the window base. */
struct acpi_layout {
	uint64_t rsdp, xsdt, rsdt, fadt, facs, dsdt, madt, end;
	uint32_t xsdt_len, rsdt_len, dsdt_len, madt_len;
};

#define XSDT_ENTRIES 2 /* FADT, MADT */

static void layout(struct acpi_layout *l, unsigned ncpus, size_t aml_len)
{
	l->xsdt_len = HDR_LEN + 8 * XSDT_ENTRIES;
	l->rsdt_len = HDR_LEN + 4 * XSDT_ENTRIES;
	l->dsdt_len = (uint32_t)(HDR_LEN + aml_len);
	l->madt_len = MADT_ENTRIES_OFF + MADT_LAPIC_LEN * ncpus + MADT_IOAPIC_LEN +
		      2 * MADT_ISO_LEN + MADT_LAPIC_NMI_LEN;

	l->rsdp = 0;
	l->xsdt = ALIGN_UP(l->rsdp + RSDP_LEN, 16);
	l->rsdt = ALIGN_UP(l->xsdt + l->xsdt_len, 16);
	l->fadt = ALIGN_UP(l->rsdt + l->rsdt_len, 16);
	l->facs = ALIGN_UP(l->fadt + FADT_LEN, FACS_ALIGN);
	l->dsdt = ALIGN_UP(l->facs + FACS_LEN, 16);
	l->madt = ALIGN_UP(l->dsdt + l->dsdt_len, 16);
	l->end = l->madt + l->madt_len;
}

static void build_fadt(uint8_t *t, uint64_t facs_gpa, uint64_t dsdt_gpa)
{
	table_header(t, "FACP", FADT_LEN, FADT_REVISION);
	/* FIRMWARE_CTRL stays 0: the spec allows only one of it and
	 * X_FIRMWARE_CTRL to be non-zero. */
	put32(t + FADT_FIRMWARE_CTRL, 0);
	put32(t + FADT_DSDT, (uint32_t)dsdt_gpa);
	put8(t + FADT_PM_PROFILE, 0); /* unspecified */
	put16(t + FADT_SCI_INT, ACPI_SCI_IRQ);
	put32(t + FADT_SMI_CMD, 0); /* no SMI: ACPI mode is always on */
	put32(t + FADT_PM1A_EVT_BLK, ACPI_PM1A_EVT);
	put32(t + FADT_PM1A_CNT_BLK, ACPI_PM1A_CNT);
	put32(t + FADT_PM_TMR_BLK, ACPI_PM_TMR);
	put8(t + FADT_PM1_EVT_LEN, 4);
	put8(t + FADT_PM1_CNT_LEN, 2);
	put8(t + FADT_PM_TMR_LEN, 4);
	put16(t + FADT_P_LVL2_LAT, FADT_NO_C2_LATENCY);
	put16(t + FADT_P_LVL3_LAT, FADT_NO_C3_LATENCY);
	/* COM1, PIT, RTC are legacy ISA devices; an i8042 is present; there
	 * is no VGA; the CMOS RTC is present (bit 5 stays clear). */
	put16(t + FADT_IAPC_BOOT_ARCH, IAPC_LEGACY_DEVICES | IAPC_8042 | IAPC_VGA_NOT_PRESENT);
	/* Power button: fixed feature (PWRBTN_STS/EN in PM1), so the flag
	 * stays clear; no sleep button. */
	put32(t + FADT_FLAGS,
	      FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP);
	gas_io(t + FADT_RESET_REG, 8, GAS_ACCESS_BYTE, ACPI_RESET_PORT);
	put8(t + FADT_RESET_VALUE, ACPI_RESET_VALUE);
	put8(t + FADT_MINOR_VERSION, FADT_MINOR_REVISION);
	put64(t + FADT_X_FIRMWARE_CTRL, facs_gpa);
	put64(t + FADT_X_DSDT, dsdt_gpa);
	gas_io(t + FADT_X_PM1A_EVT_BLK, 32, GAS_ACCESS_WORD, ACPI_PM1A_EVT);
	gas_io(t + FADT_X_PM1A_CNT_BLK, 16, GAS_ACCESS_WORD, ACPI_PM1A_CNT);
	gas_io(t + FADT_X_PM_TMR_BLK, 32, GAS_ACCESS_DWORD, ACPI_PM_TMR);
	memcpy(t + FADT_HYPERVISOR_ID, ACPI_OEM_TABLE_ID, 8);
	table_finish(t, FADT_LEN);
}

static void build_facs(uint8_t *f)
{
	memcpy(f, "FACS", 4);
	put32(f + 4, FACS_LEN);
	put8(f + 32, FACS_VERSION);
	/* Hardware signature, waking vectors, global lock, flags: all 0. */
}

static uint8_t *madt_entry(uint8_t *p, uint8_t type, uint8_t len)
{
	put8(p, type);
	put8(p + 1, len);
	return p + 2;
}

static void build_madt(uint8_t *t, uint32_t len, unsigned ncpus)
{
	table_header(t, "APIC", len, MADT_REVISION);
	put32(t + HDR_LEN, (uint32_t)ACPI_LAPIC_ADDR);
	put32(t + MADT_FLAGS_OFF, MADT_PCAT_COMPAT);

	uint8_t *p = t + MADT_ENTRIES_OFF;
	for (unsigned i = 0; i < ncpus; i++) {
		uint8_t *e = madt_entry(p, MADT_TYPE_LAPIC, MADT_LAPIC_LEN);
		put8(e, (uint8_t)i);	 /* ACPI processor UID */
		put8(e + 1, (uint8_t)i); /* APIC ID */
		put32(e + 2, MADT_LAPIC_ENABLED);
		p += MADT_LAPIC_LEN;
	}

	uint8_t *e = madt_entry(p, MADT_TYPE_IOAPIC, MADT_IOAPIC_LEN);
	put8(e, ACPI_IOAPIC_ID(ncpus));
	put8(e + 1, 0);
	put32(e + 2, (uint32_t)ACPI_IOAPIC_ADDR);
	put32(e + 6, 0); /* GSI base */
	p += MADT_IOAPIC_LEN;

	/* The PIT's IRQ 0 is wired to I/O APIC pin 2, as on PCs. */
	e = madt_entry(p, MADT_TYPE_ISO, MADT_ISO_LEN);
	put8(e, ISA_BUS);
	put8(e + 1, ISA_TIMER_IRQ);
	put32(e + 2, ISA_TIMER_GSI);
	put16(e + 6, MPS_INTI_CONFORMS);
	p += MADT_ISO_LEN;

	/* The SCI is level-triggered; our PM block drives it active-high. */
	e = madt_entry(p, MADT_TYPE_ISO, MADT_ISO_LEN);
	put8(e, ISA_BUS);
	put8(e + 1, ACPI_SCI_IRQ);
	put32(e + 2, ACPI_SCI_IRQ);
	put16(e + 6, MPS_INTI_ACTIVE_HIGH | MPS_INTI_LEVEL);
	p += MADT_ISO_LEN;

	/* NMI arrives on LINT1 of every local APIC. */
	e = madt_entry(p, MADT_TYPE_LAPIC_NMI, MADT_LAPIC_NMI_LEN);
	put8(e, MADT_ALL_PROCESSORS);
	put16(e + 1, MPS_INTI_ACTIVE_HIGH | MPS_INTI_EDGE);
	put8(e + 3, LAPIC_LINT1);

	table_finish(t, len);
}

static void build_rsdp(uint8_t *r, uint64_t rsdt_gpa, uint64_t xsdt_gpa)
{
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, ACPI_OEM_ID, 6);
	put8(r + 15, 2); /* revision: ACPI 2.0+ */
	put32(r + 16, (uint32_t)rsdt_gpa);
	put32(r + 20, RSDP_LEN);
	put64(r + 24, xsdt_gpa);
	r[8] = checksum_fix(r, RSDP_V1_LEN);
	r[32] = checksum_fix(r, RSDP_LEN);
}

int acpi_build(struct guest_mem *gm, uint64_t base, uint64_t size, const struct acpi_config *cfg,
	       uint64_t *rsdp_gpa, struct errbuf *eb)
{
	if (!gm || !cfg || !rsdp_gpa)
		return errbuf_set(eb, "acpi: internal error: NULL argument");
	if (cfg->ncpus == 0 || cfg->ncpus > ACPI_MAX_CPUS)
		return errbuf_set(
		    eb,
		    "--cpus %u: ACPI tables describe 1 to %u CPUs; choose a count in that range",
		    cfg->ncpus, ACPI_MAX_CPUS);
	if (base & 15)
		return errbuf_set(eb, "acpi: table base 0x%llx is not 16-byte aligned",
				  (unsigned long long)base);

	struct aml aml = {0};
	aml_s5(&aml);
	if (aml.overflow)
		return errbuf_set(eb, "acpi: internal error: DSDT AML does not fit its buffer");

	struct acpi_layout l;
	layout(&l, cfg->ncpus, aml.len);
	if (l.end > size)
		return errbuf_set(eb,
				  "acpi: tables need %llu bytes but the window at 0x%llx has %llu; "
				  "use fewer CPUs",
				  (unsigned long long)l.end, (unsigned long long)base,
				  (unsigned long long)size);
	/* RSDT and FADT.DSDT hold 32-bit addresses. */
	if (base > 0xffffffffull || l.end > 0x100000000ull - base)
		return errbuf_set(eb, "acpi: table window at 0x%llx must lie below 4 GiB",
				  (unsigned long long)base);
	uint8_t *w = gm_ptr(gm, base, l.end);
	if (!w)
		return errbuf_set(eb,
				  "acpi: table window 0x%llx-0x%llx is not guest RAM; "
				  "give the guest more --memory",
				  (unsigned long long)base, (unsigned long long)(base + l.end));
	memset(w, 0, l.end);

	uint8_t *xsdt = w + l.xsdt;
	table_header(xsdt, "XSDT", l.xsdt_len, 1);
	put64(xsdt + HDR_LEN, base + l.fadt);
	put64(xsdt + HDR_LEN + 8, base + l.madt);
	table_finish(xsdt, l.xsdt_len);

	uint8_t *rsdt = w + l.rsdt;
	table_header(rsdt, "RSDT", l.rsdt_len, 1);
	put32(rsdt + HDR_LEN, (uint32_t)(base + l.fadt));
	put32(rsdt + HDR_LEN + 4, (uint32_t)(base + l.madt));
	table_finish(rsdt, l.rsdt_len);

	build_fadt(w + l.fadt, base + l.facs, base + l.dsdt);
	build_facs(w + l.facs);

	uint8_t *dsdt = w + l.dsdt;
	table_header(dsdt, "DSDT", l.dsdt_len, DSDT_REVISION);
	memcpy(dsdt + HDR_LEN, aml.buf, aml.len);
	table_finish(dsdt, l.dsdt_len);

	build_madt(w + l.madt, l.madt_len, cfg->ncpus);
	build_rsdp(w + l.rsdp, base + l.rsdt, base + l.xsdt);

	*rsdp_gpa = base + l.rsdp;
	return 0;
}
