/* 8259A programmable interrupt controller pair: initialization (ICW1-4),
 * operation commands (OCW1 mask, OCW2 EOI/rotate, OCW3 read select, poll,
 * special mask), fully nested priority with rotation, auto-EOI, edge or
 * level inputs per ELCR, the cascade on master IR2 and spurious IR7.
 * Facts from the Intel 8259A datasheet and the PIIX ELCR description. */
#include <string.h>

#include "vslice/dev/i8259.h"

#define ICW1 0x10
#define ICW1_IC4 0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define OCW3_SEL 0x08
#define OCW3_POLL 0x04
#define OCW3_RR 0x02
#define OCW3_RIS 0x01
#define OCW3_ESMM 0x40
#define OCW3_SMM 0x20
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10

/* IRQ 0-2 of the master and 8 and 13 of the slave are always edge. */
#define ELCR_MASK_MASTER 0xF8
#define ELCR_MASK_SLAVE 0xDE

static uint8_t level_bits(const struct i8259_chip *c)
{
	return c->ltim ? 0xFF : c->elcr;
}

/* Priority rank (0 highest) of the best bit in mask, 8 if none. */
static unsigned best_rank(const struct i8259_chip *c, uint8_t mask)
{
	for (unsigned r = 0; r < 8; r++)
		if (mask & (1u << ((r + c->priority_add) & 7)))
			return r;
	return 8;
}

/* The IR this chip would interrupt with now, or -1. */
static int chip_pending(const struct i8259_chip *c)
{
	unsigned req = best_rank(c, c->irr & ~c->imr);
	if (req == 8)
		return -1;
	uint8_t in_service = c->isr;
	if (c->special_mask)
		in_service &= ~c->imr;
	if (c->is_master && c->sfnm)
		in_service &= ~(1u << I8259_CASCADE_IRQ);
	if (req >= best_rank(c, in_service))
		return -1;
	return (int)((req + c->priority_add) & 7);
}

/* Propagates the slave's output to master IR2 and the master's to INTR. */
static void update(struct i8259 *pic)
{
	struct i8259_chip *m = &pic->chip[0], *s = &pic->chip[1];
	uint8_t cascade = 1u << I8259_CASCADE_IRQ;
	if (!m->single) {
		if (chip_pending(s) >= 0)
			m->irr |= cascade;
		else
			m->irr &= ~cascade;
	}
	bool out = chip_pending(m) >= 0;
	if (out != pic->intr_level) {
		pic->intr_level = out;
		if (pic->intr)
			pic->intr(pic->intr_opaque, out);
	}
}

static void chip_reset(struct i8259_chip *c, bool master)
{
	uint8_t lines = c->lines;
	memset(c, 0, sizeof(*c));
	c->lines = lines;
	c->is_master = master;
	c->elcr_mask = master ? ELCR_MASK_MASTER : ELCR_MASK_SLAVE;
	c->imr = 0xFF;
	c->base = master ? 0x08 : 0x70;
	c->icw3 = master ? 1u << I8259_CASCADE_IRQ : I8259_CASCADE_IRQ;
}

void i8259_reset(struct i8259 *pic)
{
	chip_reset(&pic->chip[0], true);
	chip_reset(&pic->chip[1], false);
	update(pic);
}

void i8259_init(struct i8259 *pic, void (*intr)(void *opaque, bool level), void *opaque)
{
	memset(pic, 0, sizeof(*pic));
	pic->intr = intr;
	pic->intr_opaque = opaque;
	i8259_reset(pic);
}

void i8259_set_irq(struct i8259 *pic, unsigned irq, int level)
{
	if (irq >= 16 || irq == I8259_CASCADE_IRQ)
		return;
	struct i8259_chip *c = &pic->chip[irq >> 3];
	uint8_t bit = 1u << (irq & 7);
	if (level_bits(c) & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit; /* rising edge */
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
	update(pic);
}

bool i8259_has_interrupt(const struct i8259 *pic)
{
	return pic->intr_level;
}

/* INTA for IR irq of chip c. */
static void chip_ack(struct i8259_chip *c, int irq)
{
	uint8_t bit = 1u << irq;
	bool cascade = c->is_master && !c->single && irq == I8259_CASCADE_IRQ;
	if (!(level_bits(c) & bit) && !cascade)
		c->irr &= ~bit;
	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->priority_add = (uint8_t)((irq + 1) & 7);
	} else {
		c->isr |= bit;
	}
}

int i8259_ack(struct i8259 *pic)
{
	struct i8259_chip *m = &pic->chip[0], *s = &pic->chip[1];
	int irq = chip_pending(m);
	int vector;
	if (irq < 0) {
		vector = m->base + 7; /* spurious IRQ 7 */
	} else {
		chip_ack(m, irq);
		if (irq == I8259_CASCADE_IRQ && !m->single) {
			int sirq = chip_pending(s);
			if (sirq < 0) {
				vector = s->base + 7; /* spurious IRQ 15 */
			} else {
				chip_ack(s, sirq);
				vector = s->base + sirq;
			}
		} else {
			vector = m->base + irq;
		}
	}
	update(pic);
	return vector & 0xFF;
}

static void write_icw1(struct i8259_chip *c, uint8_t val)
{
	c->icw4_needed = val & ICW1_IC4;
	c->single = val & ICW1_SNGL;
	c->ltim = val & ICW1_LTIM;
	c->imr = 0;
	c->isr = 0;
	/* The edge-sense circuit is reset: edge inputs need a new rising
	 * edge; level inputs keep requesting. */
	c->irr = c->lines & level_bits(c);
	c->priority_add = 0;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->auto_eoi = false;
	c->rotate_on_aeoi = false;
	c->sfnm = false;
	c->init_step = 1;
}

static void write_ocw2(struct i8259_chip *c, uint8_t val)
{
	unsigned level = val & 7;
	switch (val >> 5) {
	case 0: /* clear rotate in auto-EOI mode */
		c->rotate_on_aeoi = false;
		break;
	case 4: /* set rotate in auto-EOI mode */
		c->rotate_on_aeoi = true;
		break;
	case 1:   /* non-specific EOI */
	case 5: { /* rotate on non-specific EOI */
		uint8_t in_service = c->isr;
		if (c->special_mask)
			in_service &= ~c->imr;
		unsigned r = best_rank(c, in_service);
		if (r == 8)
			break;
		unsigned irq = (r + c->priority_add) & 7;
		c->isr &= ~(1u << irq);
		if ((val >> 5) == 5)
			c->priority_add = (uint8_t)((irq + 1) & 7);
		break;
	}
	case 3: /* specific EOI */
		c->isr &= ~(1u << level);
		break;
	case 7: /* rotate on specific EOI */
		c->isr &= ~(1u << level);
		c->priority_add = (uint8_t)((level + 1) & 7);
		break;
	case 6: /* set priority: level becomes the lowest */
		c->priority_add = (uint8_t)((level + 1) & 7);
		break;
	default: /* 2: no operation */
		break;
	}
}

void i8259_write(struct i8259 *pic, unsigned chip, unsigned port, uint8_t val)
{
	struct i8259_chip *c = &pic->chip[chip & 1];
	if ((port & 1) == 0) {
		if (val & ICW1) {
			write_icw1(c, val);
		} else if (val & OCW3_SEL) {
			if (val & OCW3_POLL)
				c->poll = true;
			if (val & OCW3_RR)
				c->read_isr = val & OCW3_RIS;
			if (val & OCW3_ESMM)
				c->special_mask = val & OCW3_SMM;
		} else {
			write_ocw2(c, val);
		}
	} else {
		switch (c->init_step) {
		case 1: /* ICW2 */
			c->base = val & 0xF8;
			c->init_step = c->single ? (c->icw4_needed ? 3 : 0) : 2;
			break;
		case 2: /* ICW3 */
			c->icw3 = val;
			c->init_step = c->icw4_needed ? 3 : 0;
			break;
		case 3: /* ICW4 */
			c->auto_eoi = val & ICW4_AEOI;
			c->sfnm = val & ICW4_SFNM;
			c->init_step = 0;
			break;
		default: /* OCW1 */
			c->imr = val;
			break;
		}
	}
	update(pic);
}

uint8_t i8259_read(struct i8259 *pic, unsigned chip, unsigned port)
{
	struct i8259_chip *c = &pic->chip[chip & 1];
	if (c->poll) {
		/* Poll command: this read is the acknowledge. */
		c->poll = false;
		int irq = chip_pending(c);
		if (irq < 0)
			return 0;
		chip_ack(c, irq);
		update(pic);
		return (uint8_t)(0x80 | irq);
	}
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static void pair_io(struct i8259 *pic, unsigned chip, uint64_t offset, void *data, unsigned len,
		    bool is_write)
{
	uint8_t *p = data;
	if (is_write) {
		i8259_write(pic, chip, (unsigned)offset & 1, p[0]);
		return;
	}
	memset(data, 0, len);
	p[0] = i8259_read(pic, chip, (unsigned)offset & 1);
}

void i8259_master_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	pair_io(opaque, 0, offset, data, len, is_write);
}

void i8259_slave_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	pair_io(opaque, 1, offset, data, len, is_write);
}

void i8259_elcr_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct i8259 *pic = opaque;
	uint8_t *p = data;
	for (unsigned i = 0; i < len; i++) {
		if (offset + i > 1) {
			if (!is_write)
				p[i] = 0xFF;
			continue;
		}
		struct i8259_chip *c = &pic->chip[offset + i];
		if (!is_write) {
			p[i] = c->elcr;
			continue;
		}
		c->elcr = p[i] & c->elcr_mask;
		/* inputs now level-triggered request while they are high */
		c->irr = (uint8_t)((c->irr & ~level_bits(c)) | (c->lines & level_bits(c)));
	}
	if (is_write)
		update(pic);
}
