/* An interrupt line as a device sees it: a callback, never an accelerator.
 * gsi is the line's global system interrupt number (ISA IRQ n == GSI n). */
#ifndef VSLICE_IRQ_H
#define VSLICE_IRQ_H

struct irq_line {
	void (*set)(void *opaque, unsigned gsi, int level);
	void *opaque;
	unsigned gsi;
};

static inline void irq_set(const struct irq_line *l, int level)
{
	if (l && l->set)
		l->set(l->opaque, l->gsi, level);
}

#endif
