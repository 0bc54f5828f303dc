/* The software CPU's decoded-block cache (emu_icache.c): straight-line runs
 * of decoded instructions, keyed by the guest-physical address of their
 * first byte and the code size, so that emu_run() fetches and decodes an
 * instruction once rather than every time it executes. See emu_icache.c
 * for how the cache stays correct when code is written. */
#ifndef VSLICE_EMU_ICACHE_H
#define VSLICE_EMU_ICACHE_H

#include "emu_exec.h"
#include "emu_jit.h"

/* Instructions per block at most: also the longest run between two
 * checks for pending interrupts. */
#define EMU_BLOCK_MAX_INSN 32
/* Code bytes per block at most (the copy kept to validate the block). */
#define EMU_BLOCK_MAX_BYTES 96
/* Blocks per vCPU (direct-mapped, a power of two). */
#define EMU_ICACHE_BLOCKS 32768

/* The decoded instructions of a block, kept apart from struct emu_block
 * so that the table every lookup reads stays small (one lookup touches
 * two adjacent cache lines of it; a translated block then rarely needs
 * its decoded instructions). */
struct emu_block_code {
	struct emu_insn insn[EMU_BLOCK_MAX_INSN];
	emu_exec_fn exec[EMU_BLOCK_MAX_INSN]; /* emu_exec_family() of each */
};

struct emu_block {
	uint64_t gpa;       /* guest-physical address of the first byte */
	/* Host code from the translator (emu_jit.h), NULL until translated;
	 * runs counts the block's uses until then. Both reset when the block
	 * is decoded again. */
	emu_jit_entry jit;
	struct emu_block_code *code; /* its decoded instructions */
	uint32_t runs;
	uint8_t code_bits;  /* 16, 32 or 64: what the bytes were decoded as; 0: empty */
	uint8_t ninsn;      /* instructions in code->insn[] (>= 1) */
	uint16_t nbytes;    /* bytes[0..nbytes) are the instructions' bytes */
	uint8_t bytes[EMU_BLOCK_MAX_BYTES];
};


struct emu_icache_stats {
	uint64_t hits;    /* lookups answered from the cache */
	uint64_t builds;  /* blocks decoded (misses and stale blocks) */
	uint64_t stale;   /* of which: the block was there but its bytes changed */
	uint64_t uncached; /* lookups that fell back to decoding one instruction */
	uint64_t jumps;    /* of the hits: found through the jump cache */
};

/* Jump cache: translated 64-bit blocks by linear rip, so that a transfer
 * to another page (CALL, RET, indirect jumps, the ends of blocks that
 * cannot link) finds its translation without the block table. An entry
 * holds the guest-physical page it was made for; it is used only if the
 * TLB still maps rip there, and the translation checks its bytes. */
#define EMU_JCACHE_SIZE 4096
struct emu_jcache_entry {
	uint64_t rip;
	uint64_t ppage;
	void *chain; /* emu_jit_chain() of the translation, NULL: empty */
};

struct emu_icache {
	struct emu_icache_stats stats;
	/* The block translator (NULL: every block is interpreted) and the
	 * number of runs of a block before it is translated (0: at once). */
	struct emu_jit *jit;
	uint32_t jit_after;
	struct emu_jcache_entry jcache[EMU_JCACHE_SIZE];
	_Alignas(128) struct emu_block block[EMU_ICACHE_BLOCKS];
	struct emu_block_code code[EMU_ICACHE_BLOCKS]; /* block[i].code is code + i */
};

/* A new, empty cache (NULL if out of memory); free with emu_icache_free. */
struct emu_icache *emu_icache_new(void);
void emu_icache_free(struct emu_icache *ic);
/* Forgets every block. Never needed for correctness (blocks are validated
 * against guest memory on every use); for tests and memory hygiene. */
void emu_icache_flush(struct emu_icache *ic);

/* The block starting at CS:rip of c, decoded for code_bits (the current
 * code size), checked against the current bytes in guest memory and
 * decoded again if they changed. NULL when the instruction there must
 * take the uncached path (code not in RAM, an instruction crossing the
 * page, the CS limit or the 16/32-bit wrap-around, or too long): then
 * emu_decode() fetches it and raises what is due. Raises #GP/#PF (fetch
 * of the first byte) like emu_decode(). */
struct emu_block *emu_icache_lookup(struct emu_cpu *c, struct emu_icache *ic,
					  unsigned code_bits);

/* The translated code of b, translating it now if it has run
 * ic->jit_after times; NULL while b is interpreted (no translator, or not
 * yet). Empties the translator's buffer and forgets every block's code
 * when the buffer is full. */
emu_jit_entry emu_icache_jit(struct emu_icache *ic, struct emu_block *b);

/* Runs the translated block at c->rip through the jump cache if it has
 * one for it (64-bit code, mapped as when it was remembered, bytes
 * unchanged): returns whether it ran anything. */
bool emu_icache_run_cached(struct emu_cpu *c, struct emu_icache *ic);
/* Remembers b's translation for c->rip (called before it runs). */
void emu_icache_remember(struct emu_icache *ic, uint64_t rip, const struct emu_block *b);

/* Called by every store path of the CPU (emu_mmu.c, emu_paging.c) with the
 * guest-physical address written: a store into the page of the block
 * being run ends that block after the current instruction, so the next
 * instruction is looked up (and checked) again. */
static inline void emu_code_write_check(struct emu_cpu *c, uint64_t gpa)
{
	if ((gpa >> 12) == c->code_page)
		c->block_break = true;
}

#endif
