/* Per-vCPU CPUID topology, independent of any accelerator: a back-end takes
 * the CPUID values it starts from (host or supported leaves) and lets this
 * patch in the topology of vCPU `index` of `ncpus`.
 *
 * The topology vslice presents: one package, ncpus cores, one thread per
 * core; vCPU i has (x2)APIC ID i, matching the MADT (see acpi.h). */
#ifndef VSLICE_X86_CPUID_H
#define VSLICE_X86_CPUID_H

#include <stdbool.h>
#include <stdint.h>

/* Leaves whose values depend on the vCPU index or count. */
#define X86_CPUID_LEAF_FEATURES 0x1
#define X86_CPUID_LEAF_CACHE_PARAMS 0x4
#define X86_CPUID_LEAF_EXT_TOPOLOGY 0xb
#define X86_CPUID_LEAF_V2_EXT_TOPOLOGY 0x1f

/* True for the leaves x86_cpuid_set_topology() changes. */
bool x86_cpuid_is_topology_leaf(uint32_t leaf);

/* Patches the registers of CPUID(leaf, subleaf) for vCPU index of ncpus
 * (ncpus 0 is taken as 1). Other leaves are left untouched.
 *  - leaf 0x1: EBX[31:24] initial APIC ID = index, EBX[23:16] logical
 *    processor count = ncpus (max 255), EDX.HTT (bit 28) set iff ncpus > 1.
 *  - leaf 0x4 (valid cache subleaves only): EAX[31:26] cores per package - 1
 *    (max 63); EAX[25:14] threads sharing the cache - 1: 0 for L1/L2 (one
 *    thread per core), ncpus - 1 for L3 and beyond (shared by the package).
 *  - leaves 0xb and 0x1f: subleaf 0 is the SMT level (1 thread, shift 0),
 *    subleaf 1 the core level (ncpus logical processors, shift =
 *    ceil(log2(ncpus))), higher subleaves invalid (level type 0); EDX is the
 *    x2APIC ID = index at every subleaf.
 * AMD's leaf 0x8000001e / 0x80000008 ECX are not handled. */
void x86_cpuid_set_topology(uint32_t leaf, uint32_t subleaf, uint32_t *eax, uint32_t *ebx,
			    uint32_t *ecx, uint32_t *edx, unsigned index, unsigned ncpus);

#endif
