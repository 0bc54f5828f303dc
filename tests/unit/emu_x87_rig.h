/* The test rig of the x87 unit tests (test_emu_x87.c, test_emu_x87_state.c):
 * one software CPU with 1 MiB of RAM in real mode (or flat 32-bit
 * protected mode), code placed at CS:IP and run one instruction at a
 * time through emu_step(), #NM and #MF vectored to known handlers, and
 * accessors for the x87 registers and guest memory. */
#ifndef VSLICE_TESTS_UNIT_EMU_X87_RIG_H
#define VSLICE_TESTS_UNIT_EMU_X87_RIG_H

#include <stdlib.h>

#include "unit.h"

#include "../../src/accel/emu/emu_x87.h"
#include "vslice/x86_regs.h"

#define RAM (1u << 20)
#define CODE 0x1000u
#define DATA 0x2000u
#define ENV 0x3000u
#define NM_HANDLER 0x0500u
#define MF_HANDLER 0x0600u

struct rig {
	struct emu_cpu *c;
	uint8_t *ram;
	struct guest_mem gm;
};

static inline int rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->c = calloc(1, sizeof(*r->c));
	r->ram = calloc(1, RAM);
	assert_non_null(r->c);
	assert_non_null(r->ram);
	guest_mem_init_buffer(&r->gm, r->ram, RAM);
	r->c->mem = &r->gm;
	emu_cpu_reset(r->c);
	/* Real mode, CS = 0, IP = CODE, SS:SP = 0:8000h; IVT 7 and 16 point
	 * at 0:NM_HANDLER and 0:MF_HANDLER. */
	r->c->seg[S_CS].sel = 0;
	r->c->seg[S_CS].base = 0;
	r->c->rip = CODE;
	r->c->gpr[R_SP] = 0x8000;
	r->c->cr0 &= ~(X86_CR0_CD | X86_CR0_NW);
	emu_update_mode(r->c);
	memcpy(r->ram + 4 * EXC_NM, &(uint16_t){NM_HANDLER}, 2);
	memcpy(r->ram + 4 * EXC_MF, &(uint16_t){MF_HANDLER}, 2);
	*state = r;
	return 0;
}

static inline int rig_teardown(void **state)
{
	struct rig *r = *state;

	free(r->ram);
	free(r->c);
	free(r);
	return 0;
}

/* Flat 32-bit protected mode (no descriptor tables needed: the hidden
 * parts are set directly). CS = 08h, data segments = 10h. */
static inline void prot32(struct rig *r)
{
	struct emu_cpu *c = r->c;

	c->cr0 |= X86_CR0_PE;
	for (int s = 0; s < S_COUNT; s++) {
		c->seg[s].sel = s == S_CS ? 0x08 : 0x10;
		c->seg[s].base = 0;
		c->seg[s].limit = 0xffffffffu;
		c->seg[s].attr = s == S_CS ? 0xc9b : 0xc93;
	}
	emu_update_mode(c);
	assert_int_equal(c->mode, MODE_PROT32);
}

/* Puts code at CS:IP and executes one instruction. */
static inline void run1(struct rig *r, const uint8_t *code, unsigned n)
{
	memcpy(r->ram + r->c->seg[S_CS].base + r->c->rip, code, n);
	assert_int_equal(emu_step(r->c), 0);
}
#define RUN(r, ...)                                                                                \
	do {                                                                                       \
		static const uint8_t c_[] = {__VA_ARGS__};                                         \
		run1(r, c_, sizeof(c_));                                                           \
	} while (0)
/* Real-mode memory operand [disp16]: opcode, ModRM(mod 0, rm 6), disp16. */
#define RUNM16(r, op, reg, addr) RUN(r, op, (uint8_t)((reg) << 3 | 6), (addr)&0xff, (addr) >> 8)
/* 32-bit memory operand [disp32]. */
#define RUNM32(r, op, reg, addr)                                                                   \
	RUN(r, op, (uint8_t)((reg) << 3 | 5), (addr)&0xff, ((addr) >> 8) & 0xff,                   \
	    ((addr) >> 16) & 0xff, (addr) >> 24)

#define FNINIT(r) RUN(r, 0xdb, 0xe3)

static inline void put_ld(struct rig *r, uint32_t a, long double v)
{
	memcpy(r->ram + a, &v, 10);
}

static inline void put_f64(struct rig *r, uint32_t a, double v)
{
	memcpy(r->ram + a, &v, 8);
}

static inline long double st(const struct emu_cpu *c, unsigned i)
{
	return x87_get(c, i);
}

static inline uint16_t get16(struct rig *r, uint32_t a)
{
	uint16_t v;

	memcpy(&v, r->ram + a, 2);
	return v;
}

static inline uint32_t get32(struct rig *r, uint32_t a)
{
	uint32_t v;

	memcpy(&v, r->ram + a, 4);
	return v;
}

static inline uint64_t mant(const struct emu_cpu *c, unsigned i)
{
	uint64_t m;

	memcpy(&m, c->fpu.st[x87_phys(c, i)], 8);
	return m;
}

static inline unsigned sexp(const struct emu_cpu *c, unsigned i)
{
	const uint8_t *v = c->fpu.st[x87_phys(c, i)];

	return (unsigned)(v[8] | v[9] << 8);
}

#endif
