/* MC146818-style CMOS real-time clock and NVRAM (ports 0x70/0x71). */
#ifndef VSLICE_DEV_CMOS_RTC_H
#define VSLICE_DEV_CMOS_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "vslice/irq.h"

#define CMOS_BASE 0x70
#define CMOS_IRQ 8

struct cmos_rtc {
	struct irq_line irq;
	/* Source of wall-clock time (UTC seconds); time(NULL) if NULL. Tests
	 * set it. */
	time_t (*now)(void *opaque);
	void *now_opaque;
	/* Optional finer clock: UTC nanoseconds since the epoch. When set it
	 * is used instead of now() and also times the UIP bit; tests set it. */
	uint64_t (*now_ns)(void *opaque);
	/* Guest-set offset from host time, seconds (guest writes the clock). */
	int64_t offset;
	uint8_t index;
	bool nmi_disabled;
	uint8_t nvram[128]; /* registers 0x00-0x0d live here too */
	/* Guest time (seconds) at the last read of register C, for its
	 * update-ended flag; INT64_MIN before the first read. */
	int64_t last_c_read;
};

void cmos_rtc_init(struct cmos_rtc *r, struct irq_line irq);
/* Stores the RAM size the way PC firmware expects (0x15-0x18, 0x30-0x35,
 * 0x5b-0x5d) so guests that read CMOS find it. */
void cmos_rtc_set_ram_size(struct cmos_rtc *r, uint64_t ram_size);
void cmos_rtc_io(void *opaque, uint64_t offset, void *data, unsigned len,
		 bool is_write);

#endif
