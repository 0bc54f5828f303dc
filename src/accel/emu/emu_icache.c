/* The software CPU's decoded-block cache.
 *
 * A block is a straight-line run of up to EMU_BLOCK_MAX_INSN decoded
 * instructions inside one 4 KiB guest-physical page, ending at the first
 * unconditional control transfer, system or I/O instruction. It is keyed by the
 * guest-physical address of its first byte and the code size it was
 * decoded for (16/32/64: the only CPU state the decoder reads), so every
 * linear alias of the code shares it. Each vCPU has its own direct-mapped
 * table of blocks, allocated once: lookups take no lock and nothing is
 * allocated while running.
 *
 * Staying correct when code is written. Guest RAM is written by this vCPU,
 * by other vCPUs, and by the host (boot loaders, device models through
 * gm_write() or pointers from gm_ptr(), later DMA): there is no single
 * write path to hook. So a block keeps a copy of the bytes it was decoded
 * from, and every lookup compares that copy with guest memory (a compare of
 * a few dozen bytes against the decode it saves). Whoever wrote, a changed
 * block is decoded again before it runs. Between two lookups a block runs
 * without looking at memory, so two cases are handled on top:
 *  - this vCPU's own stores: every store path calls emu_code_write_check(),
 *    and a store into the page of the running block ends the block after
 *    the storing instruction, so a modified next instruction is looked up
 *    (and compared) before it runs, as the SDM requires of self-modifying
 *    code;
 *  - other writers while a block runs (cross-modifying code): the SDM asks
 *    the executing CPU to serialize before it runs such code; every
 *    serializing instruction ends a block, and a block is at most 32
 *    instructions, so the new bytes are seen at the next block anyway.
 * Fetch permissions (paging, NX, CS limit) are checked on every lookup
 * through emu_fetch_ptr(), exactly as an uncached fetch does. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emu_icache.h"
#include "emu_sys.h"

#define EMU_ICACHE_BITS 15
_Static_assert((1u << EMU_ICACHE_BITS) == EMU_ICACHE_BLOCKS, "EMU_ICACHE_BITS");
_Static_assert(EMU_BLOCK_MAX_BYTES >= EMU_MAX_INSN_LEN, "a block holds any instruction");
_Static_assert(sizeof(struct emu_block) == 128, "a block is two cache lines");

struct emu_icache *emu_icache_new(void)
{
	/* All zero is all empty (code_bits 0 matches no lookup). Mapped
	 * rather than allocated: zero pages, touched only as blocks are
	 * built, and page-aligned, so each 128-byte block is two whole cache
	 * lines. */
	void *p = mmap(NULL, sizeof(struct emu_icache), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void emu_icache_free(struct emu_icache *ic)
{
	if (!ic)
		return;
	emu_jit_free(ic->jit);
	munmap(ic, sizeof(*ic));
}

void emu_icache_flush(struct emu_icache *ic)
{
	for (unsigned i = 0; i < EMU_ICACHE_BLOCKS; i++) {
		ic->block[i].code_bits = 0;
		ic->block[i].jit = NULL;
	}
	memset(ic->jcache, 0, sizeof(ic->jcache));
}

static inline unsigned jcache_index(uint64_t rip)
{
	return (unsigned)((rip * 0x9e3779b97f4a7c15ULL) >> 52) & (EMU_JCACHE_SIZE - 1);
}

void emu_icache_remember(struct emu_icache *ic, uint64_t rip, const struct emu_block *b)
{
	struct emu_jcache_entry *e = &ic->jcache[jcache_index(rip)];
	void *chain = b->jit ? emu_jit_chain(b->jit) : NULL;

	if (b->code_bits != 64 || !chain)
		return;
	e->rip = rip;
	e->ppage = b->gpa >> 12;
	e->chain = chain;
}

bool emu_icache_run_cached(struct emu_cpu *c, struct emu_icache *ic)
{
	uint64_t rip = c->rip, before = c->icount;
	struct emu_jcache_entry *e = &ic->jcache[jcache_index(rip)];

	if (e->rip != rip || !e->chain || !emu_is_canonical(rip))
		return false;
	/* The fetch check of emu_fetch_ptr() in 64-bit code: a TLB entry
	 * allowing execution at this privilege, RAM, the same page. */
	struct emu_tlb_entry *t = emu_tlb_hit(c, rip, ACC_FETCH, c->cpl == 3);
	if (!t || !t->host || t->ppage != e->ppage)
		return false;
	c->code_page = e->ppage;
	c->block_break = false;
	c->jit_link_slot = NULL;
	emu_jit_enter_linked(ic->jit, c, t->host, e->chain);
	c->code_page = ~0ULL;
	if (c->icount == before && c->rip == rip) {
		e->chain = NULL; /* its bytes changed: the block table decides */
		return false;
	}
	ic->stats.hits++;
	ic->stats.jumps++;
	return true;
}

emu_jit_entry emu_icache_jit(struct emu_icache *ic, struct emu_block *b)
{
	if (b->jit || !ic->jit)
		return b->jit;
	if (b->runs++ < ic->jit_after)
		return NULL;
	b->jit = emu_jit_translate(ic->jit, b);
	if (!b->jit) {
		/* The buffer is full: every translation goes, this one is
		 * made again in the empty buffer. */
		for (unsigned i = 0; i < EMU_ICACHE_BLOCKS; i++)
			ic->block[i].jit = NULL;
		memset(ic->jcache, 0, sizeof(ic->jcache));
		emu_jit_reset(ic->jit);
		b->jit = emu_jit_translate(ic->jit, b);
	}
	return b->jit;
}

/* Whether the n (>= 1) bytes at a and b are equal: a few word compares,
 * overlapping at the end, instead of a call to memcmp. */
static inline bool same_bytes(const uint8_t *a, const uint8_t *b, unsigned n)
{
	uint64_t x, y, diff = 0;
	uint32_t u, v;
	unsigned i;

	if (n >= 8) {
		for (i = 0; i + 8 <= n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			diff |= x ^ y;
		}
		if (i < n) {
			memcpy(&x, a + n - 8, 8);
			memcpy(&y, b + n - 8, 8);
			diff |= x ^ y;
		}
		return diff == 0;
	}
	if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		diff = u ^ v;
		memcpy(&u, a + n - 4, 4);
		memcpy(&v, b + n - 4, 4);
		return (diff | (u ^ v)) == 0;
	}
	for (i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

static inline unsigned block_index(uint64_t gpa)
{
	return (unsigned)((gpa * 0x9e3779b97f4a7c15ULL) >> (64 - EMU_ICACHE_BITS));
}

/* Whether a block must end after this instruction: it always transfers
 * control, or it changes state that the following instructions, or the
 * decision to look for interrupts before them, depend on (mode, paging,
 * segments, RFLAGS.IF/TF, interrupt shadow), or it is serializing, or it
 * does port I/O. Conditional branches (Jcc, LOOP, JCXZ) do not end a
 * block: taken, they leave it anyway (emu_run sees rip change), and not
 * taken, the block goes on with the instruction after them. */
static bool ends_block(const struct emu_insn *in)
{
	if (in->map == MAP_1B) {
		switch (in->op) {
		case 0x07: case 0x17: case 0x1f: /* POP ES/SS/DS */
		case 0x62:                       /* BOUND */
		case 0x6c ... 0x6f:              /* INS, OUTS */
		case 0x8e:                       /* MOV Sreg */
		case 0x9a:                       /* CALL far */
		case 0x9d:                       /* POPF */
		case 0xc2: case 0xc3:            /* RET */
		case 0xc4: case 0xc5:            /* LES, LDS */
		case 0xca ... 0xcf:              /* RETF, INT3, INT, INTO, IRET */
		case 0xe4 ... 0xef:              /* IN, OUT, CALL, JMP */
		case 0xf1:                       /* INT1 */
		case 0xf4:                       /* HLT */
		case 0xfa: case 0xfb:            /* CLI, STI */
			return true;
		case 0xff: {                     /* CALL/JMP near and far */
			unsigned r = (in->modrm >> 3) & 7;
			return r >= 2 && r <= 5;
		}
		default:
			return false;
		}
	}
	if (in->map == MAP_0F) {
		switch (in->op) {
		case 0x00 ... 0x0b: /* descriptor tables, LMSW, INVLPG, SWAPGS,
				     * SYSCALL, CLTS, SYSRET, INVD, WBINVD, UD2 */
		case 0x20 ... 0x23: /* MOV CRn/DRn */
		case 0x30 ... 0x37: /* WRMSR, RDTSC, RDMSR, RDPMC, SYSENTER, SYSEXIT */
		case 0xa1: case 0xa9: /* POP FS/GS */
		case 0xa2:          /* CPUID */
		case 0xaa:          /* RSM */
		case 0xb2: case 0xb4: case 0xb5: /* LSS, LFS, LGS */
			return true;
		default:
			return false;
		}
	}
	return false;
}

/* Decodes a new block from the code at p (avail bytes may be fetched). */
static struct emu_block *build(struct emu_icache *ic, struct emu_block *b,
				     const uint8_t *p, uint64_t gpa, unsigned avail,
				     unsigned code_bits)
{
	unsigned n = avail < EMU_BLOCK_MAX_BYTES ? avail : EMU_BLOCK_MAX_BYTES;
	unsigned pos = 0, k = 0;

	ic->stats.builds++;
	/* Decode from the copy, so the block is exactly what the copy that
	 * validates it says, even if another CPU writes meanwhile. */
	memcpy(b->bytes, p, n);
	b->code = &ic->code[b - ic->block];
	while (k < EMU_BLOCK_MAX_INSN && pos < n) {
		struct emu_insn *in = &b->code->insn[k];

		if (emu_decode_bytes(b->bytes + pos, n - pos, code_bits, in) != EMU_DEC_OK)
			break; /* runs past what may be fetched here, or too long */
		b->code->exec[k] = emu_exec_family(in);
		pos += in->len;
		k++;
		if (ends_block(in))
			break;
	}
	if (k == 0) {
		b->code_bits = 0;
		b->jit = NULL;
		ic->stats.uncached++;
		return NULL;
	}
	b->gpa = gpa;
	b->jit = NULL;
	b->runs = 0;
	b->code_bits = (uint8_t)code_bits;
	b->ninsn = (uint8_t)k;
	b->nbytes = (uint16_t)pos;
	return b;
}

struct emu_block *emu_icache_lookup(struct emu_cpu *c, struct emu_icache *ic,
					  unsigned code_bits)
{
	uint64_t wrap = code_bits == 64 ? ~0ULL : code_bits == 16 ? 0xffff : 0xffffffffULL;
	uint64_t ip = c->rip & wrap, gpa;
	unsigned avail;
	const uint8_t *p = emu_fetch_ptr(c, ip, &gpa, &avail);

	if (!p) {
		ic->stats.uncached++;
		return NULL;
	}
	/* IP wraps around at 64 KiB / 4 GiB: a block stops before that. */
	if (code_bits != 64 && avail > wrap - ip + 1)
		avail = (unsigned)(wrap - ip + 1);

	c->code_page_host = p - (gpa & 0xfff);
	struct emu_block *b = &ic->block[block_index(gpa)];
	if (b->gpa == gpa && b->code_bits == code_bits) {
		if (b->nbytes <= avail && same_bytes(b->bytes, p, b->nbytes)) {
			ic->stats.hits++;
			return b;
		}
		ic->stats.stale++;
	}
	return build(ic, b, p, gpa, avail, code_bits);
}
