/* ACPI fixed hardware: PM1a event block (status, enable), PM1a control
 * (sleep to S5 = power off), the 24-bit PM timer, and the reset register.
 * ACPI mode is always on (no SMI_CMD), so SCI_EN always reads 1.
 *
 * Not implemented: TMR_STS is never set (no timer-carry interrupt, which
 * guests do not rely on); sleep states other than S5 are ignored.
 */
#include <string.h>
#include <time.h>

#include "vslice/dev/acpi_pm.h"

/* Offsets inside the PM block. */
enum {
	PM1_STS = 0,
	PM1_EN = 2,
	PM1_CNT = 4,
	PM_TMR = 8,
};

#define STS_TMR 0x0001
#define STS_BM 0x0010
#define STS_GBL 0x0020
#define STS_PWRBTN 0x0100
#define STS_SLPBTN 0x0200
#define STS_RTC 0x0400
#define STS_WAK 0x8000
#define STS_MASK (STS_TMR | STS_BM | STS_GBL | STS_PWRBTN | STS_SLPBTN | STS_RTC | STS_WAK)

#define EN_MASK 0x0721 /* TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN */

#define CNT_SCI_EN 0x0001
#define CNT_BM_RLD 0x0002
#define CNT_GBL_RLS 0x0004 /* write-only */
#define CNT_SLP_TYP_SHIFT 10
#define CNT_SLP_TYP_MASK (7u << CNT_SLP_TYP_SHIFT)
#define CNT_SLP_EN 0x2000 /* write-only */
#define CNT_STORED (CNT_BM_RLD | CNT_SLP_TYP_MASK)

#define PM_TIMER_HZ 3579545ULL
#define PM_TIMER_MASK 0xffffffu
#define NS_PER_SEC 1000000000ULL

#define RESET_CPU 0x04	  /* RST_CPU: writing it resets */
#define RESET_STORED 0x0b /* SYS_RST, FULL_RST and bit 0 read back */

static void update_sci(struct acpi_pm *pm)
{
	int level = (pm->pm1_sts & pm->pm1_en) != 0;
	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_set(&pm->sci, level);
	}
}

static uint64_t now_ns(const struct acpi_pm *pm)
{
	if (pm->now_ns)
		return pm->now_ns(pm->opaque);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Ticks of the 3.579545 MHz clock, split so no product overflows 64 bits
 * however long the clock has run. */
static uint32_t timer_value(const struct acpi_pm *pm)
{
	uint64_t ns = now_ns(pm);
	uint64_t ticks =
	    (ns / NS_PER_SEC) * PM_TIMER_HZ + (ns % NS_PER_SEC) * PM_TIMER_HZ / NS_PER_SEC;
	return (uint32_t)ticks & PM_TIMER_MASK;
}

void acpi_pm_init(struct acpi_pm *pm, struct irq_line sci, void (*poweroff)(void *opaque),
		  void (*reset)(void *opaque), void *opaque)
{
	memset(pm, 0, sizeof(*pm));
	pm->sci = sci;
	pm->poweroff = poweroff;
	pm->reset = reset;
	pm->opaque = opaque;
	pm->pm1_cnt = CNT_SCI_EN;
}

/* The block as the guest sees it, byte by byte (little-endian). */
static void read_block(struct acpi_pm *pm, uint8_t image[ACPI_PM_LEN])
{
	uint16_t cnt = (pm->pm1_cnt & CNT_STORED) | CNT_SCI_EN;
	uint32_t tmr = timer_value(pm);
	memset(image, 0, ACPI_PM_LEN);
	image[PM1_STS] = (uint8_t)pm->pm1_sts;
	image[PM1_STS + 1] = (uint8_t)(pm->pm1_sts >> 8);
	image[PM1_EN] = (uint8_t)pm->pm1_en;
	image[PM1_EN + 1] = (uint8_t)(pm->pm1_en >> 8);
	image[PM1_CNT] = (uint8_t)cnt;
	image[PM1_CNT + 1] = (uint8_t)(cnt >> 8);
	for (unsigned i = 0; i < 4; i++)
		image[PM_TMR + i] = (uint8_t)(tmr >> (8 * i));
}

static void sleep_request(struct acpi_pm *pm, uint16_t cnt)
{
	unsigned typ = (cnt & CNT_SLP_TYP_MASK) >> CNT_SLP_TYP_SHIFT;
	if (typ == ACPI_S5_SLP_TYP && pm->poweroff)
		pm->poweroff(pm->opaque);
	/* Other sleep types (S1-S4) are not supported: ignored. */
}

static void write_byte(struct acpi_pm *pm, unsigned off, uint8_t v, uint16_t *cnt_written)
{
	unsigned shift = 8 * (off & 1);
	uint16_t bits = (uint16_t)(v << shift);
	uint16_t mask = (uint16_t)(0xff << shift);
	switch (off & ~1u) {
	case PM1_STS:
		pm->pm1_sts &= ~(bits & STS_MASK); /* write 1 to clear */
		break;
	case PM1_EN:
		pm->pm1_en = (uint16_t)((pm->pm1_en & ~mask) | (bits & EN_MASK & mask));
		break;
	case PM1_CNT:
		*cnt_written = (uint16_t)((*cnt_written & ~mask) | bits);
		break;
	default:
		break; /* PM_TMR is read-only; 6-7 reserved */
	}
}

void acpi_pm_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct acpi_pm *pm = opaque;
	uint8_t *bytes = data;
	if (!is_write) {
		uint8_t image[ACPI_PM_LEN];
		read_block(pm, image);
		for (unsigned i = 0; i < len; i++) {
			uint64_t off = offset + i;
			bytes[i] = off < ACPI_PM_LEN && off >= offset ? image[off] : 0xff;
		}
		return;
	}
	/* PM1_CNT bytes a wide write does not touch keep their value. */
	uint16_t cnt = pm->pm1_cnt;
	bool cnt_touched = false;
	for (unsigned i = 0; i < len; i++) {
		uint64_t off = offset + i;
		if (off >= ACPI_PM_LEN || off < offset)
			continue;
		if ((off & ~1ull) == PM1_CNT)
			cnt_touched = true;
		write_byte(pm, (unsigned)off, bytes[i], &cnt);
	}
	if (cnt_touched) {
		pm->pm1_cnt = (uint16_t)((cnt & CNT_STORED) | CNT_SCI_EN);
		if (cnt & CNT_SLP_EN)
			sleep_request(pm, cnt);
	}
	update_sci(pm);
}

void acpi_pm_reset_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct acpi_pm *pm = opaque;
	uint8_t *bytes = data;
	if (!is_write) {
		memset(data, 0xff, len);
		if (offset == 0 && len > 0)
			bytes[0] = pm->reset_reg;
		return;
	}
	if (offset != 0 || len == 0)
		return;
	pm->reset_reg = bytes[0] & RESET_STORED;
	if ((bytes[0] & RESET_CPU) && pm->reset)
		pm->reset(pm->opaque);
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pm->pm1_sts |= STS_PWRBTN;
	update_sci(pm);
}
