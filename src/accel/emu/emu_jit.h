/* The software CPU's block translator (emu_jit.c): turns a decoded block
 * of the instruction cache (emu_icache.h) into x86-64 host code that does
 * what emu_run() would do running the block instruction by instruction.
 *
 * Frequent integer forms (MOV, LEA, the ALU ops, TEST, INC/DEC/NEG/NOT,
 * shifts, MOVZX/MOVSX, SETcc, CMOVcc, Jcc, JMP; PUSH/POP/CALL/RET in
 * 64-bit code) become host instructions working on the guest registers
 * (the block's most used ones kept in host registers), with the guest
 * flags computed by the host's own ALU (the same operation on the same
 * operands sets the same flags) and kept only where a later instruction,
 * a fault or the end of the block can see them. Memory operands take the
 * common case inline through a fast TLB (flat segments, an allowed RAM
 * page, within a page, not the running block's page); anything else runs
 * the whole instruction in the interpreter, so segmentation, paging, MMIO
 * and the self-modifying-code check are exactly the interpreter's. Every
 * other instruction is a call to the interpreter's handler for it.
 *
 * The translated code leaves the block where run_block() in emu_exec.c
 * would: after its last instruction, when an instruction does not fall
 * through (taken branch), stores into the block's own page or touches
 * MMIO (block_break), or sets an interrupt shadow. Faults unwind with
 * longjmp to emu_run() like the interpreter's, with insn_rip/insn_rsp and
 * the guest registers and flags as they were at the start of the faulting
 * instruction.
 *
 * Only on x86-64 hosts; elsewhere emu_jit_new() returns NULL and every
 * block is interpreted. */
#ifndef VSLICE_EMU_JIT_H
#define VSLICE_EMU_JIT_H

#include <stddef.h>
#include <stdint.h>

struct emu_cpu;
struct emu_block;

/* Translated code of one block: runs it on c from c->rip (the block's
 * first instruction; c->insn_rip/insn_rsp already marked for it; page is
 * the host address of the block's guest page), adds the instructions it
 * completed to c->icount and leaves c->rip at the next instruction to run.
 *
 * Links. In 32- and 64-bit code, an exit to an instruction in the block's own
 * page (a branch, or the fall-through) can go straight to that
 * instruction's translation, through a link slot kept with the code:
 * while the slot is empty the exit leaves with c->jit_link_slot pointing
 * at it, and the dispatcher (run_block() in emu_exec.c), finding the
 * translated block at c->rip next, stores emu_jit_chain() of it there. A
 * linked block compares its bytes with guest memory on entry, like a
 * lookup; links are followed only within emu_run()'s step budget. */
typedef void (*emu_jit_entry)(struct emu_cpu *c, const uint8_t *page);

/* The entry for links into the translation whose entry is e, NULL if it
 * cannot be linked to (16-bit code). */
static inline void *emu_jit_chain(emu_jit_entry e)
{
	void *chain;

	__builtin_memcpy(&chain, (const uint8_t *)(void *)e - sizeof(chain), sizeof(chain));
	return chain;
}

/* Code buffer per vCPU (address space; pages are used as code is made). */
#define EMU_JIT_BUFFER_BYTES (32u << 20)

struct emu_jit_stats {
	uint64_t blocks;      /* blocks translated */
	uint64_t native;      /* of their instructions: translated to host code */
	uint64_t called;      /* of their instructions: calls to the interpreter */
	uint64_t flushes;     /* times the code buffer filled and was emptied */
};

/* A code buffer of the given size (bytes) for one vCPU; NULL where the
 * translator is not available (not an x86-64 host, or executable memory
 * refused by the host's policy): the caller then interprets. */
struct emu_jit *emu_jit_new(size_t bytes);
void emu_jit_free(struct emu_jit *j);
/* Translates b (decoded for b->code_bits). Returns its entry, or NULL
 * when the buffer is full: the caller then forgets every translation
 * (all blocks' entries) and calls emu_jit_reset() before trying again.
 * The code points into b (its decoded instructions): it must be dropped
 * when b is decoded again. */
emu_jit_entry emu_jit_translate(struct emu_jit *j, const struct emu_block *b);
/* Runs the translation whose link entry is chain (emu_jit_chain()) from
 * c->rip, as a link would reach it: its bytes are compared with guest
 * memory at page first, and if they differ it returns at once, having run
 * nothing (c->icount unchanged). */
void emu_jit_enter_linked(struct emu_jit *j, struct emu_cpu *c, const uint8_t *page, void *chain);
/* Empties the buffer (every entry handed out so far becomes invalid). */
void emu_jit_reset(struct emu_jit *j);
const struct emu_jit_stats *emu_jit_stats(const struct emu_jit *j);

#endif
