/* x87 instructions of the software CPU. Not implemented yet: every x87
 * opcode raises #UD (CPUID does not advertise an FPU), except FWAIT,
 * which has nothing to wait for. */
#include "emu_exec.h"

bool emu_exec_x87(struct emu_cpu *c, const struct emu_insn *in)
{
	if (in->map == MAP_1B && in->op == 0x9b)
		return true; /* FWAIT: no unmasked x87 exception can be pending */
	return false;
}
