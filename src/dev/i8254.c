/* 8254 PIT model: control word, latch and read-back commands, LSB/MSB
 * access with its flip-flops, BCD, modes 0-5 and gates, computed from
 * elapsed time at 1.193182 MHz; port 0x61 (channel 2 gate, OUT2, refresh
 * toggle). Facts from the Intel 8254 datasheet and the PC/AT port B
 * description.
 *
 * Simplification: a new count written without a control word takes effect
 * immediately in every mode (the 8254 waits for the end of the period in
 * modes 2 and 3).
 */
#include <string.h>
#include <time.h>

#include "vslice/dev/i8254.h"

#define NS_PER_SEC 1000000000ULL
#define REFRESH_NS 15085 /* port B bit 4 toggles at this interval */

#define CW_SC_SHIFT 6
#define CW_RW_SHIFT 4
#define RB_NO_COUNT 0x20
#define RB_NO_STATUS 0x10

#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_WRITABLE 0x0F
#define PORT_B_REFRESH 0x10
#define PORT_B_OUT2 0x20

static uint64_t ticks_between(uint64_t from_ns, uint64_t to_ns)
{
	if (to_ns <= from_ns)
		return 0;
	return (uint64_t)((unsigned __int128)(to_ns - from_ns) * I8254_HZ / NS_PER_SEC);
}

/* Nanoseconds until tick t (rounded up), saturating. */
static uint64_t ticks_to_ns(uint64_t t)
{
	unsigned __int128 ns = ((unsigned __int128)t * NS_PER_SEC + I8254_HZ - 1) / I8254_HZ;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static uint32_t modulus(const struct i8254_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

static bool gated_start(const struct i8254_channel *c)
{
	return c->mode == 1 || c->mode == 5;
}

/* Counting has started (a count is loaded, and triggered if it must be). */
static bool active(const struct i8254_channel *c)
{
	return c->armed && (!gated_start(c) || c->triggered);
}

/* Ticks counted since the count was loaded. */
static uint64_t elapsed(const struct i8254_channel *c, uint64_t now_ns)
{
	if (!active(c))
		return 0;
	if (c->suspended)
		return c->offset;
	return c->offset + ticks_between(c->load_ns, now_ns);
}

static bool out_at(const struct i8254_channel *c, uint64_t d)
{
	uint32_t n = c->count;
	switch (c->mode) {
	case 0:
		return c->armed && d >= n;
	case 1:
		return !c->triggered || !c->armed || d >= n;
	case 2:
		return !c->gate || !c->armed || d % n != n - 1;
	case 3:
		return !c->gate || !c->armed || d % n < (n + 1) / 2;
	default: /* 4, 5: a one-tick low strobe at terminal count */
		return !active(c) || d != n;
	}
}

static uint32_t count_at(const struct i8254_channel *c, uint64_t d)
{
	uint32_t n = c->count, m = modulus(c);
	if (!c->armed)
		return 0;
	switch (c->mode) {
	case 2:
		return n - (uint32_t)(d % n);
	case 3: {
		/* decrements by two; high half first */
		uint32_t p = (uint32_t)(d % n), h = (n + 1) / 2;
		uint32_t v = p < h ? n - 2 * p : n - 2 * (p - h);
		return v ? v : n;
	}
	default:
		return (uint32_t)((n + m - d % m) % m);
	}
}

bool i8254_out(const struct i8254 *pit, unsigned ch, uint64_t now_ns)
{
	if (ch > 2)
		return false;
	const struct i8254_channel *c = &pit->ch[ch];
	return out_at(c, elapsed(c, now_ns));
}

uint32_t i8254_count(const struct i8254 *pit, unsigned ch, uint64_t now_ns)
{
	if (ch > 2)
		return 0;
	const struct i8254_channel *c = &pit->ch[ch];
	return count_at(c, elapsed(c, now_ns));
}

/* Rising edges of OUT with tick count in (a, b]. */
static uint64_t rising_edges(const struct i8254_channel *c, uint64_t a, uint64_t b)
{
	uint64_t n = c->count;
	if (!active(c) || b <= a)
		return 0;
	switch (c->mode) {
	case 0:
	case 1:
		return a < n && b >= n;
	case 2:
	case 3:
		return c->gate ? b / n - a / n : 0;
	default:
		return a < n + 1 && b >= n + 1;
	}
}

/* First tick after a at which OUT rises, or UINT64_MAX. */
static uint64_t next_rising_tick(const struct i8254_channel *c, uint64_t a)
{
	uint64_t n = c->count;
	if (!active(c) || c->suspended)
		return UINT64_MAX;
	switch (c->mode) {
	case 0:
	case 1:
		return a < n ? n : UINT64_MAX;
	case 2:
	case 3:
		return c->gate ? (a / n + 1) * n : UINT64_MAX;
	default:
		return a < n + 1 ? n + 1 : UINT64_MAX;
	}
}

static void set_irq(struct i8254 *pit, int level)
{
	if (pit->irq_level == level)
		return;
	pit->irq_level = level;
	irq_set(&pit->irq0, level);
}

/* Channel 0 was reprogrammed: the line follows OUT0 from here on. */
static void sync_irq(struct i8254 *pit, uint64_t now_ns)
{
	struct i8254_channel *c = &pit->ch[0];
	c->last_ticks = elapsed(c, now_ns);
	set_irq(pit, out_at(c, c->last_ticks));
}

void i8254_update(struct i8254 *pit, uint64_t now_ns)
{
	struct i8254_channel *c = &pit->ch[0];
	uint64_t d = elapsed(c, now_ns);
	uint64_t edges = rising_edges(c, c->last_ticks, d);
	bool out = out_at(c, d);
	c->last_ticks = d;
	if (edges) {
		set_irq(pit, 0);
		set_irq(pit, 1);
	}
	set_irq(pit, out);
}

uint64_t i8254_next_event_ns(const struct i8254 *pit)
{
	const struct i8254_channel *c = &pit->ch[0];
	uint64_t t = next_rising_tick(c, c->last_ticks);
	if (t == UINT64_MAX)
		return UINT64_MAX;
	if (t < c->offset)
		return c->load_ns;
	uint64_t ns = ticks_to_ns(t - c->offset);
	return c->load_ns + ns < c->load_ns ? UINT64_MAX : c->load_ns + ns;
}

/* ---- programming ---- */

static uint32_t from_bcd(uint32_t v)
{
	return ((v >> 12) & 0xF) * 1000 + ((v >> 8) & 0xF) * 100 + ((v >> 4) & 0xF) * 10 + (v & 0xF);
}

static uint16_t to_bcd(uint32_t v)
{
	v %= 10000;
	return (uint16_t)(((v / 1000) << 12) | (((v / 100) % 10) << 8) | (((v / 10) % 10) << 4) |
			  (v % 10));
}

static void restart(struct i8254_channel *c, uint64_t now_ns)
{
	c->load_ns = now_ns;
	c->offset = 0;
	c->last_ticks = 0;
	/* A low gate holds modes 0 and 4 and stops modes 2 and 3. */
	c->suspended = !c->gate && !gated_start(c);
}

static void load_count(struct i8254 *pit, unsigned ch, uint32_t raw, uint64_t now_ns)
{
	struct i8254_channel *c = &pit->ch[ch];
	uint32_t n = c->bcd ? from_bcd(raw) : raw;
	c->count = n ? n : modulus(c);
	if (c->bcd && c->count > 10000)
		c->count = 10000;
	c->armed = true;
	c->triggered = false;
	restart(c, now_ns);
	if (ch == 0)
		sync_irq(pit, now_ns);
}

static void write_counter(struct i8254 *pit, unsigned ch, uint8_t val, uint64_t now_ns)
{
	struct i8254_channel *c = &pit->ch[ch];
	switch (c->rw) {
	case 1:
		load_count(pit, ch, val, now_ns);
		break;
	case 2:
		load_count(pit, ch, (uint32_t)val << 8, now_ns);
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = val;
			c->write_msb_next = true;
			if (c->mode == 0) { /* the first byte stops mode 0, OUT low */
				c->armed = false;
				if (ch == 0)
					sync_irq(pit, now_ns);
			}
		} else {
			c->write_msb_next = false;
			load_count(pit, ch, c->write_lsb | ((uint32_t)val << 8), now_ns);
		}
		break;
	}
}

static uint16_t reported_count(const struct i8254_channel *c, uint64_t now_ns)
{
	uint32_t v = count_at(c, elapsed(c, now_ns));
	return c->bcd ? to_bcd(v) : (uint16_t)v;
}

static void latch_count(struct i8254_channel *c, uint64_t now_ns)
{
	if (c->count_latched)
		return; /* a second latch before the read is ignored */
	c->count_latched = true;
	c->latch_msb_next = c->rw == 2;
	c->latch_value = reported_count(c, now_ns);
}

static void latch_status(struct i8254_channel *c, uint64_t now_ns)
{
	if (c->status_latched)
		return;
	uint64_t d = elapsed(c, now_ns);
	bool null_count = !c->armed || (active(c) && !c->suspended && d == 0);
	c->status = (uint8_t)((out_at(c, d) ? 0x80 : 0) | (null_count ? 0x40 : 0) | (c->rw << 4) |
			      (c->mode_raw << 1) | (c->bcd ? 1 : 0));
	c->status_latched = true;
}

static void write_control(struct i8254 *pit, uint8_t val, uint64_t now_ns)
{
	unsigned sc = val >> CW_SC_SHIFT;
	if (sc == 3) { /* read-back */
		for (unsigned ch = 0; ch < 3; ch++) {
			if (!(val & (2u << ch)))
				continue;
			if (!(val & RB_NO_STATUS))
				latch_status(&pit->ch[ch], now_ns);
			if (!(val & RB_NO_COUNT))
				latch_count(&pit->ch[ch], now_ns);
		}
		return;
	}
	struct i8254_channel *c = &pit->ch[sc];
	unsigned rw = (val >> CW_RW_SHIFT) & 3;
	if (rw == 0) { /* counter latch command */
		latch_count(c, now_ns);
		return;
	}
	c->rw = (uint8_t)rw;
	c->mode_raw = (val >> 1) & 7;
	c->mode = c->mode_raw > 5 ? c->mode_raw - 4 : c->mode_raw;
	c->bcd = val & 1;
	c->armed = false;
	c->triggered = false;
	c->suspended = false;
	c->write_msb_next = c->read_msb_next = false;
	c->count_latched = c->status_latched = false;
	if (sc == 0)
		sync_irq(pit, now_ns);
}

static void set_gate(struct i8254 *pit, unsigned ch, bool level, uint64_t now_ns)
{
	struct i8254_channel *c = &pit->ch[ch];
	if (c->gate == level)
		return;
	if (!level) {
		if (active(c) && !c->suspended && !gated_start(c)) {
			c->offset = elapsed(c, now_ns);
			c->suspended = true;
		}
		c->gate = false;
		return;
	}
	c->gate = true;
	if (!c->armed)
		return;
	switch (c->mode) {
	case 0:
	case 4: /* resume where it stopped */
		if (c->suspended) {
			c->load_ns = now_ns;
			c->suspended = false;
		}
		break;
	case 1:
	case 5: /* a rising gate (re)triggers */
		restart(c, now_ns);
		c->triggered = true;
		break;
	default: /* 2, 3: a rising gate reloads */
		restart(c, now_ns);
		break;
	}
}

void i8254_write(struct i8254 *pit, uint16_t port, uint8_t val, uint64_t now_ns)
{
	if (port == I8254_PORT_B) {
		pit->port_b = val & PORT_B_WRITABLE;
		set_gate(pit, 2, val & PORT_B_GATE2, now_ns);
		return;
	}
	if (port < I8254_BASE || port > I8254_BASE + 3)
		return;
	unsigned idx = port - I8254_BASE;
	if (idx == 3)
		write_control(pit, val, now_ns);
	else
		write_counter(pit, idx, val, now_ns);
}

uint8_t i8254_read(struct i8254 *pit, uint16_t port, uint64_t now_ns)
{
	if (port == I8254_PORT_B) {
		uint8_t v = pit->port_b & PORT_B_WRITABLE;
		if ((now_ns / REFRESH_NS) & 1)
			v |= PORT_B_REFRESH;
		if (i8254_out(pit, 2, now_ns))
			v |= PORT_B_OUT2;
		return v;
	}
	if (port < I8254_BASE || port > I8254_BASE + 2)
		return 0xFF; /* the control word register cannot be read */
	struct i8254_channel *c = &pit->ch[port - I8254_BASE];
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	uint16_t v;
	bool msb;
	if (c->count_latched) {
		v = c->latch_value;
		msb = c->latch_msb_next;
		if (c->rw == 3 && !msb)
			c->latch_msb_next = true;
		else
			c->count_latched = false;
	} else {
		v = reported_count(c, now_ns);
		msb = c->rw == 2 || (c->rw == 3 && c->read_msb_next);
		if (c->rw == 3)
			c->read_msb_next = !c->read_msb_next;
	}
	return msb ? (uint8_t)(v >> 8) : (uint8_t)v;
}

/* ---- wiring ---- */

static uint64_t clock_now(const struct i8254 *pit)
{
	if (pit->now_ns)
		return pit->now_ns(pit->now_opaque);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void port_io(struct i8254 *pit, uint16_t port, void *data, unsigned len, bool is_write)
{
	uint8_t *p = data;
	uint64_t now = clock_now(pit);
	if (is_write) {
		i8254_write(pit, port, p[0], now);
		return;
	}
	memset(data, 0, len);
	p[0] = i8254_read(pit, port, now);
}

void i8254_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	port_io(opaque, (uint16_t)(I8254_BASE + (offset & 3)), data, len, is_write);
}

void i8254_port_b_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	port_io(opaque, I8254_PORT_B, data, len, is_write);
}

void i8254_reset(struct i8254 *pit)
{
	memset(pit->ch, 0, sizeof(pit->ch));
	for (unsigned i = 0; i < 3; i++) {
		struct i8254_channel *c = &pit->ch[i];
		c->rw = 3;
		c->count = 65536;
		c->gate = i != 2; /* channel 2's gate is port B bit 0 */
	}
	pit->port_b = 0;
	set_irq(pit, 0);
}

void i8254_init(struct i8254 *pit, struct irq_line irq0, uint64_t (*now_ns)(void *opaque),
		void *now_opaque)
{
	memset(pit, 0, sizeof(*pit));
	pit->irq0 = irq0;
	pit->now_ns = now_ns;
	pit->now_opaque = now_opaque;
	i8254_reset(pit);
}
