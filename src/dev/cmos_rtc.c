/* MC146818-compatible CMOS RTC and NVRAM behind the index/data ports
 * 0x70/0x71. The time registers are computed from the host clock plus a
 * guest-set offset on every read, in BCD or binary and 12- or 24-hour form as
 * register B asks; setting the clock (SET bit, or a direct write) only moves
 * the offset.
 *
 * Not implemented: periodic, alarm and update-ended interrupts on IRQ 8 (the
 * model has no timer to raise them; the line stays low). Register C reports
 * the update-ended flag lazily (set when the seconds changed since C was last
 * read) so polling guests see updates; PF and AF are never set. The alarm
 * registers are plain storage.
 */
#include <string.h>
#include <time.h>

#include "vslice/dev/cmos_rtc.h"
#include "vslice/guest_mem.h"

enum {
	RTC_SECONDS = 0x00,
	RTC_SECONDS_ALARM = 0x01,
	RTC_MINUTES = 0x02,
	RTC_MINUTES_ALARM = 0x03,
	RTC_HOURS = 0x04,
	RTC_HOURS_ALARM = 0x05,
	RTC_DAY_OF_WEEK = 0x06,
	RTC_DAY_OF_MONTH = 0x07,
	RTC_MONTH = 0x08,
	RTC_YEAR = 0x09,
	RTC_REG_A = 0x0a,
	RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c,
	RTC_REG_D = 0x0d,
	RTC_CENTURY = 0x32,
};

#define REG_A_UIP 0x80
#define REG_A_DV_MASK 0x70
#define REG_A_DV_NORMAL 0x20 /* 32.768 kHz time base, clock running */
#define REG_A_DEFAULT 0x26   /* normal time base, 1024 Hz periodic rate */

#define REG_B_SET 0x80
#define REG_B_PIE 0x40
#define REG_B_AIE 0x20
#define REG_B_UIE 0x10
#define REG_B_DM_BINARY 0x04
#define REG_B_24H 0x02
#define REG_B_DEFAULT REG_B_24H

#define REG_C_IRQF 0x80
#define REG_C_PF 0x40
#define REG_C_AF 0x20
#define REG_C_UF 0x10

#define REG_D_VRT 0x80

#define HOUR_PM 0x80

#define NS_PER_SEC 1000000000ULL
/* UIP rises this long before each update (the datasheet's 244 us). */
#define UIP_WINDOW_NS 244000ULL

/* Host wall-clock time: whole seconds and the fraction in nanoseconds. */
static int64_t host_time(const struct cmos_rtc *r, uint64_t *frac_ns)
{
	*frac_ns = 0;
	if (r->now_ns) {
		uint64_t ns = r->now_ns(r->now_opaque);
		*frac_ns = ns % NS_PER_SEC;
		return (int64_t)(ns / NS_PER_SEC);
	}
	if (r->now)
		return (int64_t)r->now(r->now_opaque);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	*frac_ns = (uint64_t)ts.tv_nsec;
	return (int64_t)ts.tv_sec;
}

static int64_t guest_time(const struct cmos_rtc *r, uint64_t *frac_ns)
{
	return host_time(r, frac_ns) + r->offset;
}

static bool binary_mode(const struct cmos_rtc *r)
{
	return r->nvram[RTC_REG_B] & REG_B_DM_BINARY;
}

static bool mode_24h(const struct cmos_rtc *r)
{
	return r->nvram[RTC_REG_B] & REG_B_24H;
}

static bool is_time_reg(unsigned idx)
{
	switch (idx) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return true;
	}
	return false;
}

static uint8_t encode(const struct cmos_rtc *r, unsigned v)
{
	v %= 100;
	return binary_mode(r) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* Guest-written values may be anything (e.g. BCD 0xff): the result is a
 * small number that timegm() normalises. */
static int decode(const struct cmos_rtc *r, uint8_t v)
{
	return binary_mode(r) ? v : (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t encode_hour(const struct cmos_rtc *r, int hour)
{
	if (mode_24h(r))
		return encode(r, (unsigned)hour);
	unsigned h12 = hour % 12 == 0 ? 12 : (unsigned)(hour % 12);
	return encode(r, h12) | (hour >= 12 ? HOUR_PM : 0);
}

static int decode_hour(const struct cmos_rtc *r, uint8_t v)
{
	if (mode_24h(r))
		return decode(r, v);
	int h = decode(r, v & ~HOUR_PM);
	return h % 12 + ((v & HOUR_PM) ? 12 : 0);
}

/* Value of time register idx for guest time t. */
static uint8_t time_reg_value(const struct cmos_rtc *r, unsigned idx, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		return 0;
	int year = tm.tm_year + 1900;
	switch (idx) {
	case RTC_SECONDS:
		return encode(r, (unsigned)tm.tm_sec);
	case RTC_MINUTES:
		return encode(r, (unsigned)tm.tm_min);
	case RTC_HOURS:
		return encode_hour(r, tm.tm_hour);
	case RTC_DAY_OF_WEEK:
		return encode(r, (unsigned)tm.tm_wday + 1); /* Sunday is 1 */
	case RTC_DAY_OF_MONTH:
		return encode(r, (unsigned)tm.tm_mday);
	case RTC_MONTH:
		return encode(r, (unsigned)tm.tm_mon + 1);
	case RTC_YEAR:
		return encode(r, year < 0 ? 0 : (unsigned)year % 100);
	case RTC_CENTURY:
		return encode(r, year < 0 ? 0 : (unsigned)(year / 100) % 100);
	}
	return 0;
}

/* Copies the running clock into the stored time registers. */
static void snapshot_time(struct cmos_rtc *r)
{
	static const uint8_t regs[] = {RTC_SECONDS,	 RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_WEEK,
				       RTC_DAY_OF_MONTH, RTC_MONTH,   RTC_YEAR,	 RTC_CENTURY};
	uint64_t frac;
	int64_t t = guest_time(r, &frac);
	for (unsigned i = 0; i < sizeof(regs); i++)
		r->nvram[regs[i]] = time_reg_value(r, regs[i], t);
}

/* Makes the clock run on from the stored time registers. */
static void commit_time(struct cmos_rtc *r)
{
	const uint8_t *n = r->nvram;
	struct tm tm = {
	    .tm_sec = decode(r, n[RTC_SECONDS]),
	    .tm_min = decode(r, n[RTC_MINUTES]),
	    .tm_hour = decode_hour(r, n[RTC_HOURS]),
	    .tm_mday = decode(r, n[RTC_DAY_OF_MONTH]),
	    .tm_mon = decode(r, n[RTC_MONTH]) - 1,
	    .tm_year = decode(r, n[RTC_CENTURY]) * 100 + decode(r, n[RTC_YEAR]) - 1900,
	};
	time_t t = timegm(&tm);
	uint64_t frac;
	r->offset = (int64_t)t - host_time(r, &frac);
}

static bool clock_running(const struct cmos_rtc *r)
{
	return !(r->nvram[RTC_REG_B] & REG_B_SET) &&
	       (r->nvram[RTC_REG_A] & REG_A_DV_MASK) == REG_A_DV_NORMAL;
}

static uint8_t read_reg_c(struct cmos_rtc *r)
{
	uint8_t flags = r->nvram[RTC_REG_C] & (REG_C_PF | REG_C_AF | REG_C_UF);
	if (!(r->nvram[RTC_REG_B] & REG_B_SET)) {
		uint64_t frac;
		int64_t t = guest_time(r, &frac);
		if (t != r->last_c_read)
			flags |= REG_C_UF;
		r->last_c_read = t;
	}
	uint8_t enabled = r->nvram[RTC_REG_B] & (REG_B_PIE | REG_B_AIE | REG_B_UIE);
	if (flags & enabled) /* flag bits line up with their enable bits */
		flags |= REG_C_IRQF;
	r->nvram[RTC_REG_C] = 0; /* read clears */
	return flags;
}

static uint8_t data_read(struct cmos_rtc *r)
{
	unsigned idx = r->index;
	uint64_t frac;
	if (is_time_reg(idx)) {
		if (r->nvram[RTC_REG_B] & REG_B_SET)
			return r->nvram[idx];
		return time_reg_value(r, idx, guest_time(r, &frac));
	}
	switch (idx) {
	case RTC_REG_A: {
		uint8_t a = r->nvram[RTC_REG_A] & ~REG_A_UIP;
		if (clock_running(r)) {
			guest_time(r, &frac);
			if (frac >= NS_PER_SEC - UIP_WINDOW_NS)
				a |= REG_A_UIP;
		}
		return a;
	}
	case RTC_REG_C:
		return read_reg_c(r);
	case RTC_REG_D:
		return REG_D_VRT;
	}
	return r->nvram[idx];
}

static void data_write(struct cmos_rtc *r, uint8_t val)
{
	unsigned idx = r->index;
	if (is_time_reg(idx)) {
		if (r->nvram[RTC_REG_B] & REG_B_SET) {
			r->nvram[idx] = val; /* takes effect when SET clears */
		} else {
			snapshot_time(r);
			r->nvram[idx] = val;
			commit_time(r);
		}
		return;
	}
	switch (idx) {
	case RTC_REG_A:
		r->nvram[RTC_REG_A] = val & ~REG_A_UIP;
		return;
	case RTC_REG_B: {
		/* The stored time registers are in the format in force while
		 * SET is on: freeze with the new format, run on with the old. */
		uint8_t old = r->nvram[RTC_REG_B];
		if (!(val & REG_B_SET) && (old & REG_B_SET))
			commit_time(r);
		r->nvram[RTC_REG_B] = val;
		if ((val & REG_B_SET) && !(old & REG_B_SET))
			snapshot_time(r); /* freeze at the current time */
		return;
	}
	case RTC_REG_C:
	case RTC_REG_D:
		return; /* read-only */
	}
	r->nvram[idx] = val;
}

void cmos_rtc_init(struct cmos_rtc *r, struct irq_line irq)
{
	memset(r, 0, sizeof(*r));
	r->irq = irq;
	r->nvram[RTC_REG_A] = REG_A_DEFAULT;
	r->nvram[RTC_REG_B] = REG_B_DEFAULT;
	r->nvram[RTC_REG_D] = REG_D_VRT;
	r->last_c_read = INT64_MIN;
}

static void put16(struct cmos_rtc *r, unsigned lo, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	r->nvram[lo] = (uint8_t)v;
	r->nvram[lo + 1] = (uint8_t)(v >> 8);
}

void cmos_rtc_set_ram_size(struct cmos_rtc *r, uint64_t ram_size)
{
	const uint64_t kib = 1024, mib = 1024 * kib, chunk = 64 * kib;
	/* Guest RAM above GM_LOW_RAM_END is placed above 4 GiB. */
	uint64_t low = ram_size < GM_LOW_RAM_END ? ram_size : GM_LOW_RAM_END;
	uint64_t high = ram_size - low;

	put16(r, 0x15, 640); /* base memory, KiB */
	uint64_t ext = 0;    /* KiB between 1 MiB and 64 MiB */
	if (low > mib)
		ext = ((low < 64 * mib ? low : 64 * mib) - mib) / kib;
	put16(r, 0x17, ext);
	put16(r, 0x30, ext);
	uint64_t above16 = low > 16 * mib ? (low - 16 * mib) / chunk : 0;
	put16(r, 0x34, above16);
	uint64_t above4g = high / chunk;
	if (above4g > 0xffffff)
		above4g = 0xffffff;
	r->nvram[0x5b] = (uint8_t)above4g;
	r->nvram[0x5c] = (uint8_t)(above4g >> 8);
	r->nvram[0x5d] = (uint8_t)(above4g >> 16);
}

void cmos_rtc_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct cmos_rtc *r = opaque;
	uint8_t *bytes = data;
	/* Wider accesses act as byte accesses to consecutive ports. */
	for (unsigned i = 0; i < len; i++) {
		uint64_t port = offset + i;
		if (port == 0 && is_write) {
			r->index = bytes[i] & 0x7f;
			r->nmi_disabled = bytes[i] & 0x80;
		} else if (port == 1 && is_write) {
			data_write(r, bytes[i]);
		} else if (port == 1) {
			bytes[i] = data_read(r);
		} else if (!is_write) {
			bytes[i] = 0xff; /* index port is write-only */
		}
	}
}
