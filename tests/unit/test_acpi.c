/* ACPI tables: build them into a 1 MiB guest buffer and read them back the
 * way an OS does (RSDP scan, XSDT walk, checksums, MADT/FADT/DSDT decode). */
#include <stdbool.h>
#include <stdlib.h>

#include "unit.h"
#include "vslice/acpi.h"
#include "vslice/boot.h"
#include "vslice/dev/acpi_pm.h"

#define BUF_SIZE 0x100000
#define BIOS_AREA_START 0xE0000
#define BIOS_AREA_END 0x100000

struct fixture {
	uint8_t *buf;
	struct guest_mem gm;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->buf = calloc(1, BUF_SIZE);
	guest_mem_init_buffer(&f->gm, f->buf, BUF_SIZE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->buf);
	free(f);
	return 0;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s += p[i];
	return s;
}

/* Locates the RSDP as an OS does: 16-byte steps over the BIOS area. */
static const uint8_t *find_rsdp(const struct fixture *f, uint64_t *gpa)
{
	for (uint64_t a = BIOS_AREA_START; a < BIOS_AREA_END; a += 16) {
		const uint8_t *p = f->buf + a;
		if (memcmp(p, "RSD PTR ", 8) == 0 && sum(p, 20) == 0) {
			*gpa = a;
			return p;
		}
	}
	return NULL;
}

/* A table at gpa: checks the header and checksum, returns the table. */
static const uint8_t *table_at(const struct fixture *f, uint64_t gpa, const char *sig)
{
	assert_true(gpa >= BOOT_ACPI_ADDR);
	assert_true(gpa + 36 <= BOOT_ACPI_ADDR + BOOT_ACPI_SIZE);
	const uint8_t *t = gm_ptr(&f->gm, gpa, 36);
	assert_non_null(t);
	uint32_t len = r32(t + 4);
	assert_true(len >= 36);
	assert_true(gpa + len <= BOOT_ACPI_ADDR + BOOT_ACPI_SIZE);
	if (sig)
		assert_memory_equal(t, sig, 4);
	assert_int_equal(sum(t, len), 0);
	assert_memory_equal(t + 10, "VSLICE", 6);
	assert_memory_equal(t + 16, "VSLICEVM", 8);
	assert_memory_equal(t + 28, "VSLC", 4);
	return t;
}

static void check_gas_io(const uint8_t *g, uint8_t bits, uint64_t port)
{
	assert_int_equal(g[0], 1); /* system I/O */
	assert_int_equal(g[1], bits);
	assert_int_equal(g[2], 0);
	assert_int_equal(r64(g + 4), port);
}

static void check_facs(const struct fixture *f, uint64_t gpa)
{
	assert_int_equal(gpa % 64, 0);
	const uint8_t *facs = gm_ptr(&f->gm, gpa, 64);
	assert_non_null(facs);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(r32(facs + 4), 64);
	assert_int_equal(facs[32], 2); /* version */
}

/* Decodes an AML PkgLength; returns its value and sets *nbytes. */
static uint32_t aml_pkglength(const uint8_t *p, unsigned *nbytes)
{
	unsigned extra = p[0] >> 6;
	if (extra == 0) {
		*nbytes = 1;
		return p[0] & 0x3f;
	}
	uint32_t v = p[0] & 0x0f;
	for (unsigned i = 0; i < extra; i++)
		v |= (uint32_t)p[1 + i] << (4 + 8 * i);
	*nbytes = 1 + extra;
	return v;
}

/* Decodes one AML integer term; returns its byte length, 0 if not one. */
static unsigned aml_integer(const uint8_t *p, uint64_t *v)
{
	switch (p[0]) {
	case 0x00:
		*v = 0;
		return 1;
	case 0x01:
		*v = 1;
		return 1;
	case 0xff:
		*v = ~0ULL;
		return 1;
	case 0x0a:
		*v = p[1];
		return 2;
	case 0x0b:
		*v = r16(p + 1);
		return 3;
	case 0x0c:
		*v = r32(p + 1);
		return 5;
	case 0x0e:
		*v = r64(p + 1);
		return 9;
	}
	return 0;
}

static void check_dsdt(const struct fixture *f, uint64_t gpa)
{
	const uint8_t *d = table_at(f, gpa, "DSDT");
	uint32_t len = r32(d + 4);
	assert_int_equal(d[8], 2); /* 64-bit AML integers */
	const uint8_t *aml = d + 36, *end = d + len;
	static const uint8_t name_s5[] = {0x08, '_', 'S', '5', '_', 0x12};
	const uint8_t *p = NULL;
	for (const uint8_t *q = aml; q + sizeof(name_s5) <= end; q++)
		if (memcmp(q, name_s5, sizeof(name_s5)) == 0)
			p = q;
	assert_non_null(p);
	p += sizeof(name_s5);
	unsigned nb;
	uint32_t pkglen = aml_pkglength(p, &nb);
	assert_true(p + pkglen <= end);
	const uint8_t *pkg_end = p + pkglen;
	p += nb;
	unsigned nelem = *p++;
	assert_int_equal(nelem, 4);
	uint64_t vals[4];
	for (unsigned i = 0; i < nelem; i++) {
		unsigned n = aml_integer(p, &vals[i]);
		assert_int_not_equal(n, 0);
		p += n;
	}
	assert_ptr_equal(p, pkg_end);
	assert_int_equal(vals[0], ACPI_S5_SLP_TYP);
	assert_int_equal(vals[1], ACPI_S5_SLP_TYP);
	assert_int_equal(vals[2], 0);
	assert_int_equal(vals[3], 0);
	/* Exact encoding: Name(_S5_, Package(){5, 5, 0, 0}). */
	static const uint8_t expect[] = {0x08, '_',
					 'S',  '5',
					 '_',  0x12,
					 0x08, 0x04,
					 0x0a, ACPI_S5_SLP_TYP,
					 0x0a, ACPI_S5_SLP_TYP,
					 0x00, 0x00};
	assert_int_equal(len, 36 + sizeof(expect));
	assert_memory_equal(aml, expect, sizeof(expect));
}

static void check_fadt(const struct fixture *f, const uint8_t *t)
{
	assert_int_equal(r32(t + 4), 276);
	assert_int_equal(t[8], 6);   /* major revision */
	assert_int_equal(t[131], 4); /* minor revision: ACPI 6.4 */
	assert_int_equal(r16(t + 46), ACPI_SCI_IRQ);
	assert_int_equal(r32(t + 48), 0); /* SMI_CMD */
	assert_int_equal(r32(t + 56), ACPI_PM1A_EVT);
	assert_int_equal(r32(t + 60), 0); /* no PM1b */
	assert_int_equal(r32(t + 64), ACPI_PM1A_CNT);
	assert_int_equal(r32(t + 76), ACPI_PM_TMR);
	assert_int_equal(r32(t + 80), 0); /* no GPE0 */
	assert_int_equal(t[88], 4);
	assert_int_equal(t[89], 2);
	assert_int_equal(t[91], 4);
	/* IAPC_BOOT_ARCH: legacy devices, 8042, no VGA; CMOS RTC present. */
	uint16_t boot_arch = r16(t + 109);
	assert_int_equal(boot_arch, 0x0007);
	assert_int_equal(boot_arch & (1 << 5), 0);
	uint32_t flags = r32(t + 112);
	assert_true(flags & (1u << 0));	  /* WBINVD */
	assert_true(flags & (1u << 2));	  /* PROC_C1 */
	assert_true(flags & (1u << 5));	  /* no sleep button */
	assert_true(flags & (1u << 10));  /* RESET_REG_SUP */
	assert_false(flags & (1u << 20)); /* not hardware-reduced */
	check_gas_io(t + 116, 8, ACPI_RESET_PORT);
	assert_int_equal(t[128], ACPI_RESET_VALUE);
	check_gas_io(t + 148, 32, ACPI_PM1A_EVT);
	check_gas_io(t + 172, 16, ACPI_PM1A_CNT);
	check_gas_io(t + 208, 32, ACPI_PM_TMR);
	/* FACS only through X_FIRMWARE_CTRL (the spec forbids both). */
	assert_int_equal(r32(t + 36), 0);
	uint64_t facs = r64(t + 132);
	assert_int_not_equal(facs, 0);
	check_facs(f, facs);
	uint64_t dsdt = r64(t + 140);
	assert_int_equal(r32(t + 40), dsdt);
	check_dsdt(f, dsdt);
}

static void check_madt(const uint8_t *t, unsigned ncpus)
{
	uint32_t len = r32(t + 4);
	assert_int_equal(len, 44 + 8 * ncpus + 12 + 2 * 10 + 6);
	assert_int_equal(r32(t + 36), ACPI_LAPIC_ADDR);
	assert_int_equal(r32(t + 40), 1); /* PCAT_COMPAT */
	bool seen[256] = {false};
	unsigned nlapic = 0, nioapic = 0, niso = 0, nnmi = 0;
	bool iso0 = false, iso9 = false;
	const uint8_t *p = t + 44, *end = t + len;
	while (p < end) {
		assert_true(p + 2 <= end);
		uint8_t type = p[0], elen = p[1];
		assert_true(elen >= 2 && p + elen <= end);
		switch (type) {
		case 0:
			assert_int_equal(elen, 8);
			assert_int_equal(p[2], p[3]); /* UID = APIC ID */
			assert_true(p[3] < ncpus);
			assert_false(seen[p[3]]);
			seen[p[3]] = true;
			assert_int_equal(r32(p + 4), 1); /* enabled */
			nlapic++;
			break;
		case 1:
			assert_int_equal(elen, 12);
			assert_int_equal(p[2], ncpus);
			assert_int_equal(p[2], ACPI_IOAPIC_ID(ncpus));
			assert_int_equal(r32(p + 4), ACPI_IOAPIC_ADDR);
			assert_int_equal(r32(p + 8), 0);
			nioapic++;
			break;
		case 2:
			assert_int_equal(elen, 10);
			assert_int_equal(p[2], 0); /* ISA */
			if (p[3] == 0) {
				assert_int_equal(r32(p + 4), 2);
				assert_int_equal(r16(p + 8), 0);
				iso0 = true;
			} else if (p[3] == ACPI_SCI_IRQ) {
				assert_int_equal(r32(p + 4), ACPI_SCI_IRQ);
				assert_int_equal(r16(p + 8), 0x000d); /* level, high */
				iso9 = true;
			}
			niso++;
			break;
		case 4:
			assert_int_equal(elen, 6);
			assert_int_equal(p[2], 0xff);
			assert_int_equal(p[5], 1); /* LINT1 */
			nnmi++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", type);
		}
		p += elen;
	}
	assert_ptr_equal(p, end);
	assert_int_equal(nlapic, ncpus);
	for (unsigned i = 0; i < ncpus; i++)
		assert_true(seen[i]);
	assert_int_equal(nioapic, 1);
	assert_int_equal(niso, 2);
	assert_true(iso0 && iso9);
	assert_int_equal(nnmi, 1);
}

static void build_and_parse(void **state, unsigned ncpus)
{
	struct fixture *f = *state;
	memset(f->buf, 0, BUF_SIZE);
	struct acpi_config cfg = {.ncpus = ncpus};
	struct errbuf eb = {{0}};
	uint64_t rsdp_gpa = 0;
	assert_int_equal(acpi_build(&f->gm, BOOT_ACPI_ADDR, BOOT_ACPI_SIZE, &cfg, &rsdp_gpa, &eb),
			 0);

	uint64_t found;
	const uint8_t *rsdp = find_rsdp(f, &found);
	assert_non_null(rsdp);
	assert_int_equal(found, rsdp_gpa);
	assert_int_equal(sum(rsdp, 20), 0);
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(r32(rsdp + 20), 36);
	assert_int_equal(sum(rsdp, 36), 0);
	assert_memory_equal(rsdp + 9, "VSLICE", 6);

	const uint8_t *xsdt = table_at(f, r64(rsdp + 24), "XSDT");
	const uint8_t *rsdt = table_at(f, r32(rsdp + 16), "RSDT");
	unsigned n = (r32(xsdt + 4) - 36) / 8;
	assert_int_equal(r32(xsdt + 4), 36 + 8 * n);
	assert_int_equal(r32(rsdt + 4), 36 + 4 * n);
	bool have_fadt = false, have_madt = false;
	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = r64(xsdt + 36 + 8 * i);
		assert_int_equal(r32(rsdt + 36 + 4 * i), gpa);
		const uint8_t *t = table_at(f, gpa, NULL);
		if (memcmp(t, "FACP", 4) == 0) {
			check_fadt(f, t);
			have_fadt = true;
		} else if (memcmp(t, "APIC", 4) == 0) {
			check_madt(t, ncpus);
			have_madt = true;
		} else {
			fail_msg("unexpected table %.4s", (const char *)t);
		}
	}
	assert_true(have_fadt);
	assert_true(have_madt);
}

static void test_one_cpu(void **state)
{
	build_and_parse(state, 1);
}

static void test_four_cpus(void **state)
{
	build_and_parse(state, 4);
}

static void test_64_cpus(void **state)
{
	build_and_parse(state, 64);
}

static void test_max_cpus(void **state)
{
	build_and_parse(state, ACPI_MAX_CPUS);
}

static void test_bad_configs(void **state)
{
	struct fixture *f = *state;
	struct errbuf eb = {{0}};
	uint64_t rsdp = 0x1234;
	struct acpi_config cfg = {.ncpus = 0};

	assert_int_equal(acpi_build(&f->gm, BOOT_ACPI_ADDR, BOOT_ACPI_SIZE, &cfg, &rsdp, &eb), -1);
	assert_non_null(strstr(eb.msg, "--cpus 0"));
	cfg.ncpus = 255;
	eb.msg[0] = 0;
	assert_int_equal(acpi_build(&f->gm, BOOT_ACPI_ADDR, BOOT_ACPI_SIZE, &cfg, &rsdp, &eb), -1);
	assert_non_null(strstr(eb.msg, "--cpus 255"));
	cfg.ncpus = 100000;
	assert_int_equal(acpi_build(&f->gm, BOOT_ACPI_ADDR, BOOT_ACPI_SIZE, &cfg, &rsdp, &eb), -1);

	/* Window too small: nothing may be written. */
	cfg.ncpus = 4;
	memset(f->buf, 0, BUF_SIZE);
	eb.msg[0] = 0;
	assert_int_equal(acpi_build(&f->gm, BOOT_ACPI_ADDR, 256, &cfg, &rsdp, &eb), -1);
	assert_int_not_equal(eb.msg[0], 0);
	uint64_t dummy;
	assert_null(find_rsdp(f, &dummy));
	/* 254 CPUs need more than 2 KiB. */
	cfg.ncpus = ACPI_MAX_CPUS;
	assert_int_equal(acpi_build(&f->gm, BOOT_ACPI_ADDR, 2048, &cfg, &rsdp, &eb), -1);

	/* Misaligned base. */
	cfg.ncpus = 1;
	assert_int_equal(acpi_build(&f->gm, BOOT_ACPI_ADDR + 8, BOOT_ACPI_SIZE, &cfg, &rsdp, &eb),
			 -1);
	/* Window running past the end of RAM (1 MiB buffer). */
	eb.msg[0] = 0;
	assert_int_equal(acpi_build(&f->gm, BUF_SIZE - 0x100, BOOT_ACPI_SIZE, &cfg, &rsdp, &eb),
			 -1);
	assert_non_null(strstr(eb.msg, "not guest RAM"));
	/* Window above 4 GiB. */
	assert_int_equal(acpi_build(&f->gm, 0x100000000ULL, BOOT_ACPI_SIZE, &cfg, &rsdp, &eb), -1);
	assert_int_equal(acpi_build(&f->gm, ~0ULL & ~15ULL, BOOT_ACPI_SIZE, &cfg, &rsdp, &eb), -1);
	assert_int_equal(rsdp, 0x1234);
	assert_null(find_rsdp(f, &dummy));
}

/* Building twice in the same window gives identical bytes (no state). */
static void test_deterministic(void **state)
{
	struct fixture *f = *state;
	struct acpi_config cfg = {.ncpus = 8};
	uint64_t rsdp;
	assert_int_equal(acpi_build(&f->gm, BOOT_ACPI_ADDR, BOOT_ACPI_SIZE, &cfg, &rsdp, NULL), 0);
	uint8_t *copy = malloc(BOOT_ACPI_SIZE);
	memcpy(copy, f->buf + BOOT_ACPI_ADDR, BOOT_ACPI_SIZE);
	memset(f->buf + BOOT_ACPI_ADDR, 0xaa, BOOT_ACPI_SIZE);
	assert_int_equal(acpi_build(&f->gm, BOOT_ACPI_ADDR, BOOT_ACPI_SIZE, &cfg, &rsdp, NULL), 0);
	uint64_t used = 0;
	/* Everything up to the end of the MADT matches. */
	const uint8_t *xsdt = f->buf + r64(f->buf + rsdp + 24);
	uint64_t madt = r64(xsdt + 36 + 8);
	used = madt + r32(f->buf + madt + 4) - BOOT_ACPI_ADDR;
	assert_memory_equal(copy, f->buf + BOOT_ACPI_ADDR, used);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_one_cpu, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_four_cpus, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_64_cpus, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_cpus, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_configs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
