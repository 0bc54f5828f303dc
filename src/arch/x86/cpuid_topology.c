/* CPUID topology leaves (SDM vol. 2A, CPUID): initial APIC ID, logical
 * processor and core counts, and the extended topology enumeration leaves
 * 0xb/0x1f, for vCPU `index` of `ncpus` (one package, one thread per core). */
#include "vslice/x86_cpuid.h"

#define LEAF1_EBX_APIC_ID_SHIFT 24
#define LEAF1_EBX_LOGICAL_SHIFT 16
#define LEAF1_EDX_HTT (1u << 28)

#define LEAF4_CACHE_TYPE_MASK 0x1fu
#define LEAF4_CACHE_LEVEL(eax) (((eax) >> 5) & 0x7)
#define LEAF4_SHARING_SHIFT 14
#define LEAF4_SHARING_MASK (0xfffu << LEAF4_SHARING_SHIFT)
#define LEAF4_CORES_SHIFT 26
#define LEAF4_CORES_MASK (0x3fu << LEAF4_CORES_SHIFT)

#define TOPO_LEVEL_INVALID 0
#define TOPO_LEVEL_SMT 1
#define TOPO_LEVEL_CORE 2
#define TOPO_LEVEL_TYPE_SHIFT 8

bool x86_cpuid_is_topology_leaf(uint32_t leaf)
{
	return leaf == X86_CPUID_LEAF_FEATURES || leaf == X86_CPUID_LEAF_CACHE_PARAMS ||
	       leaf == X86_CPUID_LEAF_EXT_TOPOLOGY || leaf == X86_CPUID_LEAF_V2_EXT_TOPOLOGY;
}

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* Bits needed to hold IDs 0..n-1: ceil(log2(n)), 0 for n <= 1. */
static uint32_t id_bits(unsigned n)
{
	uint32_t bits = 0;
	while (bits < 32 && (1ull << bits) < n)
		bits++;
	return bits;
}

static void set_leaf1(uint32_t *ebx, uint32_t *edx, unsigned index, unsigned ncpus)
{
	*ebx &= ~(0xffu << LEAF1_EBX_APIC_ID_SHIFT | 0xffu << LEAF1_EBX_LOGICAL_SHIFT);
	*ebx |= (uint32_t)(index & 0xff) << LEAF1_EBX_APIC_ID_SHIFT;
	*ebx |= (uint32_t)min_u(ncpus, 0xff) << LEAF1_EBX_LOGICAL_SHIFT;
	if (ncpus > 1)
		*edx |= LEAF1_EDX_HTT;
	else
		*edx &= ~LEAF1_EDX_HTT;
}

static void set_leaf4(uint32_t *eax, unsigned ncpus)
{
	if ((*eax & LEAF4_CACHE_TYPE_MASK) == 0)
		return; /* no more caches: leave the null subleaf as it is */
	unsigned sharing = LEAF4_CACHE_LEVEL(*eax) <= 2 ? 1 : ncpus;
	*eax &= ~(LEAF4_SHARING_MASK | LEAF4_CORES_MASK);
	*eax |= (uint32_t)(min_u(sharing, 0x1000) - 1) << LEAF4_SHARING_SHIFT;
	*eax |= (uint32_t)(min_u(ncpus, 64) - 1) << LEAF4_CORES_SHIFT;
}

static void set_ext_topology(uint32_t subleaf, uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
			     uint32_t *edx, unsigned index, unsigned ncpus)
{
	switch (subleaf) {
	case 0: /* SMT: one thread per core */
		*eax = 0;
		*ebx = 1;
		*ecx = TOPO_LEVEL_SMT << TOPO_LEVEL_TYPE_SHIFT | subleaf;
		break;
	case 1: /* core: all vCPUs in one package */
		*eax = id_bits(ncpus);
		*ebx = min_u(ncpus, 0xffff);
		*ecx = TOPO_LEVEL_CORE << TOPO_LEVEL_TYPE_SHIFT | subleaf;
		break;
	default:
		*eax = 0;
		*ebx = 0;
		*ecx = TOPO_LEVEL_INVALID << TOPO_LEVEL_TYPE_SHIFT | (subleaf & 0xff);
		break;
	}
	*edx = index;
}

void x86_cpuid_set_topology(uint32_t leaf, uint32_t subleaf, uint32_t *eax, uint32_t *ebx,
			    uint32_t *ecx, uint32_t *edx, unsigned index, unsigned ncpus)
{
	if (ncpus == 0)
		ncpus = 1;
	switch (leaf) {
	case X86_CPUID_LEAF_FEATURES:
		set_leaf1(ebx, edx, index, ncpus);
		break;
	case X86_CPUID_LEAF_CACHE_PARAMS:
		set_leaf4(eax, ncpus);
		break;
	case X86_CPUID_LEAF_EXT_TOPOLOGY:
	case X86_CPUID_LEAF_V2_EXT_TOPOLOGY:
		set_ext_topology(subleaf, eax, ebx, ecx, edx, index, ncpus);
		break;
	default:
		break;
	}
}
