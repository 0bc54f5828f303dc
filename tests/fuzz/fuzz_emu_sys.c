/* libFuzzer harness for the system half of the software CPU: arbitrary
 * guest memory (descriptor tables, TSS, page tables) and CPU state, then a
 * sequence of system operations (exception delivery, IRET, segment loads,
 * far transfers, LLDT/LTR, control registers, MSRs, SYSCALL/SYSENTER and
 * their returns, memory accesses, port I/O). Guest-controlled values must
 * only ever lead to exceptions, a triple fault or an internal error, never
 * to a crash or an out-of-bounds access. */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/accel/emu/emu_sys.h"

#define RAM_SIZE (256u << 10)

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

static bool io_any(void *opaque, uint16_t port, void *data, unsigned len, bool is_write)
{
	if (!is_write)
		memset(data, 0x5a, len);
	return true;
}

static bool mmio_any(void *opaque, uint64_t addr, void *data, unsigned len, bool is_write)
{
	if (!is_write)
		memset(data, 0xa5, len);
	return true;
}

static void set_seg(struct emu_seg *s, struct input *in)
{
	s->sel = (uint16_t)take(in, 2);
	s->base = take(in, 1) << 12;
	s->limit = (uint32_t)take(in, 4);
	s->attr = (uint16_t)take(in, 2) & 0xfff;
}

static const uint32_t msrs[] = {
    0x10,	0x1b,	    0x3a,	0x8b,	    0xfe,	0x174,	    0x175,	0x176,
    0x1a0,	0x1d9,	    0x277,	0x2ff,	    0x6e0,	0x800,	    0xc0000080, 0xc0000081,
    0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0x12345};

static void one_op(struct emu_cpu *c, struct input *in)
{
	unsigned op = (unsigned)take(in, 1) % 20;
	uint64_t a = take(in, 8);
	uint16_t sel = (uint16_t)take(in, 2);
	unsigned opsize = 2u << (take(in, 1) % 3);
	uint8_t buf[64];

	switch (op) {
	case 0:
		emu_deliver(c, (int)(a & 0xff), (a >> 8) & 1, (uint32_t)(a >> 16), (a >> 9) & 1,
			    c->rip);
		break;
	case 1:
		emu_iret(c, opsize);
		break;
	case 2:
		emu_load_seg(c, (int)(a % S_COUNT) == S_CS ? S_DS : (int)(a % S_COUNT), sel);
		break;
	case 3:
		emu_far_jmp(c, sel, a >> 8, opsize);
		break;
	case 4:
		emu_far_call(c, sel, a >> 8, opsize, c->rip);
		break;
	case 5:
		emu_far_ret(c, opsize, (uint16_t)a);
		break;
	case 6:
		emu_lldt(c, sel);
		break;
	case 7:
		emu_ltr(c, sel);
		break;
	case 8:
		emu_write_cr(c, (int)(sel % 9), a);
		break;
	case 9:
		emu_wrmsr(c, msrs[sel % (sizeof(msrs) / sizeof(msrs[0]))], a);
		break;
	case 10:
		(void)emu_rdmsr(c, msrs[sel % (sizeof(msrs) / sizeof(msrs[0]))]);
		break;
	case 11:
		if (sel & 1)
			emu_syscall(c, c->rip);
		else
			emu_sysret(c, opsize);
		break;
	case 12:
		if (sel & 1)
			emu_sysenter(c);
		else
			emu_sysexit(c, opsize);
		break;
	case 13:
		(void)emu_read(c, (int)(sel % S_COUNT), a, 1u << (sel >> 8 & 3));
		break;
	case 14:
		emu_write(c, (int)(sel % S_COUNT), a, 1u << (sel >> 8 & 3), a);
		break;
	case 15:
		emu_read_bytes(c, (int)(sel % S_COUNT), a, buf, 1 + (sel >> 8) % sizeof(buf));
		emu_write_bytes(c, (int)(sel % S_COUNT), a, buf, 1 + (sel >> 8) % sizeof(buf));
		break;
	case 16:
		(void)emu_port_in(c, sel, 1u << (a % 3));
		emu_port_out(c, sel, 1u << (a % 3), (uint32_t)a);
		break;
	case 17:
		(void)emu_fetch_bytes(c, a, buf, 15, NULL);
		(void)emu_rmw_ptr(c, (int)(sel % S_COUNT), a, 1u << (sel >> 8 & 3));
		break;
	case 18:
		emu_tlb_flush_page(c, a);
		emu_swapgs(c);
		break;
	default: {
		uint32_t out[4];
		emu_cpuid(c, (uint32_t)a, (uint32_t)(a >> 32), out);
		emu_lgdt_lidt(c, sel & 1, a >> 16, (uint16_t)a);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct emu_cpu *c = calloc(1, sizeof(*c));
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct guest_mem gm;
	if (!c || !ram)
		abort();
	guest_mem_init_buffer(&gm, ram, RAM_SIZE);
	c->mem = &gm;
	c->io.pio = io_any;
	c->io.mmio = mmio_any;
	emu_cpu_reset(c);

	/* CPU state from the first bytes. */
	c->cr0 = take(&in, 4) | X86_CR0_ET;
	c->cr3 = take(&in, 3) & 0x3f000;
	c->cr4 = take(&in, 1) & 0xb0;
	c->efer = take(&in, 2) & 0xd01;
	for (int i = 0; i < S_COUNT; i++)
		set_seg(&c->seg[i], &in);
	set_seg(&c->tr, &in);
	set_seg(&c->ldtr, &in);
	c->gdtr.base = take(&in, 3) & 0x3ffff;
	c->gdtr.limit = (uint16_t)take(&in, 2);
	c->idtr.base = take(&in, 3) & 0x3ffff;
	c->idtr.limit = (uint16_t)take(&in, 2);
	c->gpr[R_SP] = take(&in, 4);
	c->rip = take(&in, 4);
	c->rflags = (take(&in, 4) & 0x3f7fd7) | 2;
	c->star = take(&in, 8);
	c->sysenter_cs = take(&in, 2);
	emu_update_mode(c);

	/* Guest memory: the next 64 KiB of input, repeated over RAM. */
	size_t mem_bytes = in.n < 65536 ? in.n : 65536;
	if (mem_bytes)
		for (size_t off = 0; off < RAM_SIZE; off += mem_bytes)
			memcpy(ram + off, in.p,
			       off + mem_bytes > RAM_SIZE ? RAM_SIZE - off : mem_bytes);
	in.p += mem_bytes / 2; /* reuse half of it as operations */
	in.n -= mem_bytes / 2;

	for (unsigned steps = 0; steps < 64 && in.n; steps++) {
		c->insn_rip = c->rip;
		c->insn_rsp = c->gpr[R_SP];
		if (setjmp(c->fault_jmp) == 0) {
			one_op(c, &in);
		} else if (c->pending_exc >= 0 && !c->internal_error) {
			/* What emu_step does with a fault. */
			c->rip = c->insn_rip;
			c->gpr[R_SP] = c->insn_rsp;
			emu_deliver(c, c->pending_exc, c->pending_has_err, c->pending_err, false,
				    c->insn_rip);
		}
		c->internal_error = NULL;
		if (c->triple_fault) {
			emu_cpu_reset(c);
			c->triple_fault = false;
		}
	}
	free(ram);
	free(c);
	return 0;
}
