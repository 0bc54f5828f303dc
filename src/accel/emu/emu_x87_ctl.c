/* x87 environment and state images of the software CPU: FNSTENV/FLDENV
 * (14- or 28-byte environment) and FNSAVE/FRSTOR (the environment then
 * ST(0)-ST(7), 94 or 108 bytes), in the four layouts of the Intel SDM
 * vol. 1, figures 8-9 to 8-12: protected mode (also long mode) or real
 * mode (also virtual-8086), with a 16- or 32-bit operand size. Reserved
 * halves of the 32-bit layouts are stored as FFFFh, as CPUs do. */
#include "emu_x87.h"

#define ENV32 28u
#define ENV16 14u
#define IMAGE_MAX (ENV32 + 80u)

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (get16(p + 2) << 16);
}

static bool real_format(const struct emu_cpu *c)
{
	return c->mode == MODE_REAL || (c->rflags & FL_VM);
}

/* Real-mode images hold linear addresses: selector * 16 + offset. */
static uint32_t real_linear(uint16_t sel, uint64_t off)
{
	return (uint32_t)(((uint32_t)sel << 4) + (uint32_t)off);
}

static unsigned build_env(const struct emu_cpu *c, bool size16, bool real, uint8_t *img)
{
	const uint16_t tw = x87_full_tag_word(c);
	const uint32_t fop = c->fpu.fop & 0x7ffu;
	const uint32_t ip = real_linear(c->fpu.fcs, c->fpu.fip);
	const uint32_t dp = real_linear(c->fpu.fds, c->fpu.fdp);

	if (size16) {
		put16(img + 0, c->fpu.fcw);
		put16(img + 2, c->fpu.fsw);
		put16(img + 4, tw);
		if (real) {
			put16(img + 6, ip);
			put16(img + 8, ((ip >> 16) & 0xf) << 12 | fop);
			put16(img + 10, dp);
			put16(img + 12, ((dp >> 16) & 0xf) << 12);
		} else {
			put16(img + 6, (uint32_t)c->fpu.fip);
			put16(img + 8, c->fpu.fcs);
			put16(img + 10, (uint32_t)c->fpu.fdp);
			put16(img + 12, c->fpu.fds);
		}
		return ENV16;
	}
	put32(img + 0, 0xffff0000u | c->fpu.fcw);
	put32(img + 4, 0xffff0000u | c->fpu.fsw);
	put32(img + 8, 0xffff0000u | tw);
	if (real) {
		put32(img + 12, 0xffff0000u | (ip & 0xffff));
		put32(img + 16, (ip >> 16) << 12 | fop);
		put32(img + 20, 0xffff0000u | (dp & 0xffff));
		put32(img + 24, (dp >> 16) << 12);
	} else {
		put32(img + 12, (uint32_t)c->fpu.fip);
		put32(img + 16, c->fpu.fcs | fop << 16);
		put32(img + 20, (uint32_t)c->fpu.fdp);
		put32(img + 24, 0xffff0000u | c->fpu.fds);
	}
	return ENV32;
}

void x87_fnstenv(struct emu_cpu *c, const struct emu_insn *in, bool with_regs)
{
	uint8_t img[IMAGE_MAX];
	unsigned n = build_env(c, in->opsize == 2, real_format(c), img);

	if (with_regs) {
		for (unsigned i = 0; i < 8; i++)
			memcpy(img + n + 10 * i, c->fpu.st[x87_phys(c, i)], 10);
		n += 80;
	}
	/* A fault while storing leaves the FPU as it was. */
	emu_write_bytes(c, in->seg, emu_ea(c, in), img, n);
	if (with_regs) {
		x87_fninit(c); /* FNSAVE */
	} else {
		c->fpu.fcw |= FCW_MASKS; /* FNSTENV masks every exception */
		x87_update_es(c);
	}
}

void x87_fldenv(struct emu_cpu *c, const struct emu_insn *in, bool with_regs)
{
	uint8_t img[IMAGE_MAX];
	bool size16 = in->opsize == 2, real = real_format(c);
	unsigned n = size16 ? ENV16 : ENV32;
	uint16_t tw;

	emu_read_bytes(c, in->seg, emu_ea(c, in), img, n + (with_regs ? 80 : 0));
	if (size16) {
		c->fpu.fcw = (uint16_t)get16(img + 0);
		c->fpu.fsw = (uint16_t)get16(img + 2);
		tw = (uint16_t)get16(img + 4);
		if (real) {
			c->fpu.fip = get16(img + 6) | (get16(img + 8) >> 12) << 16;
			c->fpu.fop = (uint16_t)(get16(img + 8) & 0x7ff);
			c->fpu.fdp = get16(img + 10) | (get16(img + 12) >> 12) << 16;
			c->fpu.fcs = c->fpu.fds = 0;
		} else {
			/* The 16-bit protected layout has no opcode field. */
			c->fpu.fip = get16(img + 6);
			c->fpu.fcs = (uint16_t)get16(img + 8);
			c->fpu.fdp = get16(img + 10);
			c->fpu.fds = (uint16_t)get16(img + 12);
		}
	} else {
		c->fpu.fcw = (uint16_t)get32(img + 0);
		c->fpu.fsw = (uint16_t)get32(img + 4);
		tw = (uint16_t)get32(img + 8);
		if (real) {
			c->fpu.fip = (get32(img + 12) & 0xffff) | ((get32(img + 16) >> 12) & 0xffff)
								      << 16;
			c->fpu.fop = (uint16_t)(get32(img + 16) & 0x7ff);
			c->fpu.fdp = (get32(img + 20) & 0xffff) | ((get32(img + 24) >> 12) & 0xffff)
								      << 16;
			c->fpu.fcs = c->fpu.fds = 0;
		} else {
			c->fpu.fip = get32(img + 12);
			c->fpu.fcs = (uint16_t)get32(img + 16);
			c->fpu.fop = (uint16_t)((get32(img + 16) >> 16) & 0x7ff);
			c->fpu.fdp = get32(img + 20);
			c->fpu.fds = (uint16_t)get32(img + 24);
		}
	}
	c->fpu.fcw = (uint16_t)((c->fpu.fcw & FCW_WRITABLE) | FCW_ONE);
	if (with_regs) /* FRSTOR: ST(0)-ST(7) relative to the loaded TOP */
		for (unsigned i = 0; i < 8; i++)
			memcpy(c->fpu.st[x87_phys(c, i)], img + n + 10 * i, 10);
	/* Only "empty" is taken from the image; the other tags follow the
	 * register contents. */
	c->fpu.ftw = 0;
	for (unsigned p = 0; p < 8; p++) {
		unsigned t = (tw >> (2 * p)) & 3;

		if (t != TAG_EMPTY)
			t = x87_classify_tag(c->fpu.st[p]);
		c->fpu.ftw |= (uint16_t)(t << (2 * p));
	}
	x87_update_es(c);
}
