/* Helpers shared by the system half of the software CPU (emu_mmu.c,
 * emu_paging.c, emu_segment.c, emu_except.c, emu_system.c, emu_msr.c,
 * emu_cpuid.c): not part of the contract with the core (emu_cpu.h). */
#ifndef VSLICE_EMU_SYS_H
#define VSLICE_EMU_SYS_H

#include "emu_cpu.h"

/* Kinds of memory access, for paging and segment checks. */
enum emu_access { ACC_READ = 0, ACC_WRITE = 1, ACC_FETCH = 2 };

/* Physical address width advertised in CPUID 0x80000008 and used for the
 * reserved-bit checks of page-table entries and CR3. */
#define EMU_MAXPHYADDR 40
#define EMU_PHYS_MASK ((1ULL << EMU_MAXPHYADDR) - 1)

/* Page-fault error code bits. */
#define PFEC_P 0x01u
#define PFEC_W 0x02u
#define PFEC_U 0x04u
#define PFEC_RSVD 0x08u
#define PFEC_I 0x10u

/* Architectural TSC frequency: one tick per nanosecond of CLOCK_MONOTONIC. */
#define EMU_TSC_HZ 1000000000ULL

/* ---- emu_paging.c ---- */
/* The TLB entry for lin if it allows this access (the fast path of
 * emu_translate), else NULL. */
static inline struct emu_tlb_entry *emu_tlb_hit(struct emu_cpu *c, uint64_t lin,
						enum emu_access acc, bool user)
{
	struct emu_tlb_entry *e = &c->tlb[(lin >> 12) & (EMU_TLB_SIZE - 1)];
	if (e->vpage != lin >> 12 || (user && !e->user))
		return NULL;
	if (acc == ACC_WRITE &&
	    (!e->dirty || (!e->writable && (user || (c->cr0 & (1ULL << 16) /* WP */)))))
		return NULL;
	if (acc == ACC_FETCH && e->nx)
		return NULL;
	return e;
}

/* A successful translation. host points at the byte for lin (RAM), or is
 * NULL (MMIO or no memory at all). */
struct emu_xlate {
	uint64_t gpa;
	uint8_t *host;
};
/* Translates a linear address (paging, TLB). user is true for an access by
 * CPL 3 that is not an implicit supervisor access. Returns 0, or -1 with
 * *pfec set (nothing is raised, CR2 untouched). */
int emu_translate(struct emu_cpu *c, uint64_t lin, enum emu_access acc, bool user,
		  struct emu_xlate *out, uint32_t *pfec);
/* As emu_translate, but raises #PF (with CR2) on failure. */
void emu_translate_or_fault(struct emu_cpu *c, uint64_t lin, enum emu_access acc, bool user,
			    struct emu_xlate *out);

/* ---- emu_mmu.c ---- */
/* Guest-physical accesses (RAM, else MMIO through c->io). len 1..8. */
void emu_phys_read(struct emu_cpu *c, uint64_t gpa, void *dst, unsigned len);
void emu_phys_write(struct emu_cpu *c, uint64_t gpa, const void *src, unsigned len);
/* Copies up to len code bytes at CS:rip without faulting (for error
 * messages); returns how many could be read. */
unsigned emu_peek_code(struct emu_cpu *c, uint8_t *dst, unsigned len);

/* ---- emu_segment.c ---- */
/* A raw 8-byte descriptor and where it lives (linear address). */
struct emu_desc {
	uint64_t lo;
	uint64_t hi; /* upper 8 bytes of 16-byte system descriptors in long mode */
	uint64_t addr;
};
/* Reads the descriptor for sel from the GDT or LDT. Raises exc(err) with
 * err = sel & ~3 (| ext) if the selector is outside the table. */
void emu_desc_fetch(struct emu_cpu *c, uint16_t sel, struct emu_desc *d, int exc, uint32_t ext);
/* Fills seg from a descriptor (base, expanded limit, attr), with selector sel. */
void emu_desc_to_seg(const struct emu_desc *d, uint16_t sel, struct emu_seg *seg);
/* Sets the accessed bit of a code/data descriptor in memory (atomically). */
void emu_desc_set_accessed(struct emu_cpu *c, struct emu_desc *d);
/* The SS check of an inter-privilege far RET or IRET (emu_segment.c). */
void emu_check_return_ss(struct emu_cpu *c, uint16_t ss_sel, int rpl, struct emu_seg *ss,
			 struct emu_desc *sd);
/* The flat segments SYSCALL/SYSENTER load. */
void emu_seg_flat_code(struct emu_seg *s, uint16_t sel, int dpl, bool long_mode);
void emu_seg_flat_data(struct emu_seg *s, uint16_t sel, int dpl);
/* Real-mode / virtual-8086 style segment load: base = sel << 4. */
void emu_seg_load_real(struct emu_cpu *c, int seg, uint16_t sel);
/* After a return to an outer privilege level: data segment registers that
 * the new CPL may not use become null. */
void emu_seg_null_inaccessible(struct emu_cpu *c);
/* Stack helpers for far transfers (stack-size aware, through SS checks). */
void sys_push(struct emu_cpu *c, uint64_t *sp, unsigned size, uint64_t val);
uint64_t sys_pop(struct emu_cpu *c, uint64_t *sp, unsigned size);
/* Stack pointer width in bytes given SS and the mode (2, 4 or 8). */
unsigned sys_stack_width(const struct emu_cpu *c);
/* Writes sp back to RSP respecting the stack width. */
void sys_set_sp(struct emu_cpu *c, uint64_t sp);

/* ---- emu_msr.c ---- */
/* The guest TSC now, before CR4.TSD checks. */
uint64_t emu_tsc_now(struct emu_cpu *c);
/* Host time behind the TSC (ns of CLOCK_MONOTONIC). */
uint64_t emu_host_ns(void);

/* Little-endian loads/stores on host memory. */
static inline uint64_t emu_le_load(const void *p, unsigned len)
{
	uint64_t v = 0;
	__builtin_memcpy(&v, p, len);
	return v;
}

#endif
