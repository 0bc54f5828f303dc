/* Initial x86 CPU state: from a loader's neutral boot_state to registers,
 * writing the boot GDT (and, for 64-bit entry, identity page tables) into
 * guest memory at the fixed addresses in boot.h. */
#ifndef VSLICE_X86_BOOT_H
#define VSLICE_X86_BOOT_H

#include "vslice/boot.h"
#include "vslice/errbuf.h"
#include "vslice/guest_mem.h"
#include "vslice/x86_regs.h"

/* BSP state for a boot_state. Returns 0, or -1 if the boot structures do
 * not fit in guest RAM. */
int x86_boot_cpu_state(struct guest_mem *gm, const struct boot_state *bs,
		       struct x86_regs *r, struct x86_sregs *s,
		       struct errbuf *eb);

/* The architectural power-on/INIT state (SDM vol. 3, 9.1.1): real mode,
 * CS.selector 0xf000 base 0xffff0000, IP 0xfff0, CR0 0x60000010. */
void x86_reset_cpu_state(struct x86_regs *r, struct x86_sregs *s);

#endif
