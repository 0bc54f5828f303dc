/* x87 instructions of the software CPU: the entry point for the escape
 * opcodes D8-DF and FWAIT (9B). It applies the checks every x87
 * instruction shares (SDM vol. 1, 8.6-8.7; vol. 3, 2.5 and 13): #NM when
 * CR0.EM or CR0.TS is set, a pending unmasked exception (FSW.ES) turned
 * into #MF by the next waiting instruction when CR0.NE is set, runs the
 * control instructions itself and the others through the load/store and
 * arithmetic groups, then records FIP/FCS, FOP and FDP/FDS for the
 * non-control instructions. Also the register-stack helpers of
 * emu_x87.h. */
#include "emu_x87.h"
#include "vslice/x86_regs.h"

unsigned x87_classify_tag(const uint8_t v[10])
{
	uint64_t mant;
	unsigned exp = (unsigned)(v[8] | (v[9] << 8)) & 0x7fff;

	memcpy(&mant, v, 8);
	if (exp == 0)
		return mant == 0 ? TAG_ZERO : TAG_SPECIAL;
	if (exp == 0x7fff || !(mant >> 63))
		return TAG_SPECIAL; /* NaN, infinity, unnormal, pseudo-NaN */
	return TAG_VALID;
}

static void set_tag(struct emu_cpu *c, unsigned phys, unsigned tag)
{
	unsigned sh = 2 * (phys & 7);

	c->fpu.ftw = (uint16_t)((c->fpu.ftw & ~(3u << sh)) | (tag << sh));
}

void x87_set(struct emu_cpu *c, unsigned i, long double v)
{
	unsigned p = x87_phys(c, i);

	memcpy(c->fpu.st[p], &v, 10);
	set_tag(c, p, x87_classify_tag(c->fpu.st[p]));
}

void x87_push(struct emu_cpu *c, long double v)
{
	x87_set_top(c, x87_top(c) - 1);
	x87_set(c, 0, v);
}

void x87_pop(struct emu_cpu *c)
{
	set_tag(c, x87_phys(c, 0), TAG_EMPTY);
	x87_set_top(c, x87_top(c) + 1);
}

uint16_t x87_full_tag_word(const struct emu_cpu *c)
{
	uint16_t ftw = 0;

	for (unsigned p = 0; p < 8; p++) {
		unsigned t = x87_tag(c, p);

		if (t != TAG_EMPTY)
			t = x87_classify_tag(c->fpu.st[p]);
		ftw |= (uint16_t)(t << (2 * p));
	}
	return ftw;
}

long double x87_indefinite(void)
{
	/* Sign 1, exponent all ones, significand 1.1000...b. */
	static const uint8_t bytes[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff};
	long double v = 0;

	memcpy(&v, bytes, 10);
	return v;
}

void x87_fninit(struct emu_cpu *c)
{
	c->fpu.fcw = FCW_DEFAULT;
	c->fpu.fsw = 0;
	c->fpu.ftw = 0xffff;
	c->fpu.fop = 0;
	c->fpu.fip = 0;
	c->fpu.fdp = 0;
	c->fpu.fcs = 0;
	c->fpu.fds = 0;
}

/* A waiting instruction: a pending unmasked exception becomes #MF now if
 * CR0.NE is set. With NE clear a PC would signal FERR# to the interrupt
 * controller instead; that legacy path is not modelled: the exception
 * stays pending in FSW and execution continues. */
static void check_pending(struct emu_cpu *c)
{
	if ((c->fpu.fsw & FSW_ES) && (c->cr0 & X86_CR0_NE))
		emu_raise_noerr(c, EXC_MF);
}

static void fldcw(struct emu_cpu *c, uint16_t cw)
{
	c->fpu.fcw = (uint16_t)((cw & FCW_WRITABLE) | FCW_ONE);
	x87_update_es(c);
}

/* The non-waiting control instructions (FNxxx): true if in is one. */
static bool exec_nowait(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned esc = in->op & 7, r = (in->modrm >> 3) & 7;

	if (in->is_mem) {
		if (esc == 1 && r == 6) {
			x87_fnstenv(c, in, false);
		} else if (esc == 1 && r == 7) {
			emu_write(c, in->seg, emu_ea(c, in), 2, c->fpu.fcw);
		} else if (esc == 5 && r == 6) {
			x87_fnstenv(c, in, true);
		} else if (esc == 5 && r == 7) {
			emu_write(c, in->seg, emu_ea(c, in), 2, c->fpu.fsw);
		} else {
			return false;
		}
		return true;
	}
	if (esc == 7 && in->modrm == 0xe0) { /* FNSTSW AX */
		reg_set(c, in, R_AX, 2, c->fpu.fsw);
		return true;
	}
	if (esc != 3)
		return false;
	switch (in->modrm) {
	case 0xe0: /* FNENI, FNDISI (8087), FNSETPM (80287): no-ops since the 387 */
	case 0xe1:
	case 0xe4:
		return true;
	case 0xe2: /* FNCLEX */
		c->fpu.fsw &= (uint16_t) ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
		return true;
	case 0xe3:
		x87_fninit(c);
		return true;
	}
	return false;
}

/* The waiting control instructions: FLDENV, FLDCW, FRSTOR. */
static bool exec_wait_control(struct emu_cpu *c, const struct emu_insn *in)
{
	unsigned esc = in->op & 7, r = (in->modrm >> 3) & 7;

	if (!in->is_mem)
		return false;
	if (esc == 1 && r == 4)
		x87_fldenv(c, in, false);
	else if (esc == 1 && r == 5)
		fldcw(c, (uint16_t)emu_read(c, in->seg, emu_ea(c, in), 2));
	else if (esc == 5 && r == 4)
		x87_fldenv(c, in, true);
	else
		return false;
	return true;
}

/* FIP/FCS, FOP and (memory forms) FDP/FDS of the last non-control
 * instruction (SDM vol. 1, 8.1.8-8.1.9), kept as offset and selector;
 * the real-mode image formats turn them into linear addresses. */
static void record_pointers(struct emu_cpu *c, const struct emu_insn *in)
{
	c->fpu.fip = c->insn_rip;
	c->fpu.fcs = c->seg[S_CS].sel;
	c->fpu.fop = (uint16_t)(((in->op & 7) << 8) | in->modrm);
	if (in->is_mem) {
		c->fpu.fdp = emu_ea(c, in);
		c->fpu.fds = c->seg[in->seg].sel;
	}
}

bool emu_exec_x87(struct emu_cpu *c, const struct emu_insn *in)
{
	bool ok;

	if (in->map != MAP_1B)
		return false;
	if (in->op == 0x9b) { /* FWAIT: #NM only with both MP and TS */
		if ((c->cr0 & (X86_CR0_MP | X86_CR0_TS)) == (X86_CR0_MP | X86_CR0_TS))
			emu_raise_noerr(c, EXC_NM);
		check_pending(c);
		return true;
	}
	if (in->op < 0xd8 || in->op > 0xdf)
		return false;
	/* Every escape opcode, FNxxx included (SDM vol. 3, table 2-2). */
	if (c->cr0 & (X86_CR0_EM | X86_CR0_TS))
		emu_raise_noerr(c, EXC_NM);
	if (exec_nowait(c, in))
		return true;
	check_pending(c);
	if (exec_wait_control(c, in))
		return true;
	if (in->is_mem)
		ok = x87_exec_ldst_mem(c, in) || x87_exec_arith_mem(c, in);
	else
		ok = x87_exec_ldst_reg(c, in) || x87_exec_arith_reg(c, in);
	if (!ok)
		return false;
	record_pointers(c, in);
	return true;
}
