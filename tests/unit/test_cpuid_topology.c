/* CPUID topology patching: leaf 1 APIC ID/count/HTT, leaf 4 core and cache
 * sharing counts, leaves 0xb/0x1f levels and x2APIC IDs. */
#include <stdbool.h>

#include "unit.h"
#include "vslice/x86_cpuid.h"

struct regs {
	uint32_t eax, ebx, ecx, edx;
};

static struct regs patch(uint32_t leaf, uint32_t sub, struct regs in, unsigned index,
			 unsigned ncpus)
{
	x86_cpuid_set_topology(leaf, sub, &in.eax, &in.ebx, &in.ecx, &in.edx, index, ncpus);
	return in;
}

static void test_leaf1(void **state)
{
	/* Host values: APIC ID 0x17, 0x20 logical, CLFLUSH 8 (EBX[15:8]),
	 * brand 0x01; EDX has FPU and HTT. */
	struct regs host = {0x000906ea, 0x17200801, 0x7ffafbff, 0xbfebfbff};
	struct regs r = patch(1, 0, host, 3, 4);
	assert_int_equal(r.eax, host.eax);
	assert_int_equal(r.ecx, host.ecx);
	assert_int_equal(r.ebx, 0x03040801);
	assert_int_equal(r.edx, host.edx); /* HTT stays set */

	r = patch(1, 0, host, 0, 1);
	assert_int_equal(r.ebx, 0x00010801);
	assert_int_equal(r.edx, host.edx & ~(1u << 28)); /* HTT cleared */

	struct regs no_htt = {0, 0, 0, 0x1};
	r = patch(1, 0, no_htt, 200, 254);
	assert_int_equal(r.ebx, 0xc8fe0000);
	assert_int_equal(r.edx, 0x1 | 1u << 28);
}

static void test_leaf4(void **state)
{
	/* L1d: type 1, level 1, self-init; host: 2 threads share it, 8 cores. */
	struct regs l1 = {0x1c004121, 0x01c0003f, 0x3f, 0};
	struct regs r = patch(4, 0, l1, 2, 16);
	assert_int_equal(r.eax, (0x1c004121 & 0x3fff) | 15u << 26);
	assert_int_equal(r.ebx, l1.ebx);
	assert_int_equal(r.ecx, l1.ecx);
	/* L2: level 2 -> one thread per cache. */
	struct regs l2 = {0x1c004143, 0, 0, 0};
	r = patch(4, 2, l2, 0, 16);
	assert_int_equal((r.eax >> 14) & 0xfff, 0);
	assert_int_equal(r.eax >> 26, 15);
	assert_int_equal(r.eax & 0x3fff, 0x0143);
	/* L3: level 3 -> shared by all 16. */
	struct regs l3 = {0x1c03c163, 0, 0, 0};
	r = patch(4, 3, l3, 0, 16);
	assert_int_equal((r.eax >> 14) & 0xfff, 15);
	assert_int_equal(r.eax & 0x3fff, 0x0163);
	/* Core count saturates at 64 (6-bit field). */
	r = patch(4, 3, l3, 0, 200);
	assert_int_equal(r.eax >> 26, 63);
	assert_int_equal((r.eax >> 14) & 0xfff, 199);
	/* The terminating null subleaf stays null. */
	struct regs null = {0, 0, 0, 0};
	r = patch(4, 4, null, 1, 16);
	assert_int_equal(r.eax, 0);
	/* One CPU: no other cores. */
	r = patch(4, 0, l1, 0, 1);
	assert_int_equal(r.eax >> 26, 0);
	assert_int_equal((r.eax >> 14) & 0xfff, 0);
}

static void check_ext_topology(uint32_t leaf)
{
	struct regs junk = {0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef};
	/* SMT level. */
	struct regs r = patch(leaf, 0, junk, 5, 6);
	assert_int_equal(r.eax, 0);
	assert_int_equal(r.ebx, 1);
	assert_int_equal(r.ecx, 0x100);
	assert_int_equal(r.edx, 5);
	/* Core level: 6 CPUs need 3 bits of APIC ID. */
	r = patch(leaf, 1, junk, 5, 6);
	assert_int_equal(r.eax, 3);
	assert_int_equal(r.ebx, 6);
	assert_int_equal(r.ecx, 0x201);
	assert_int_equal(r.edx, 5);
	/* Invalid level ends the enumeration; ECX[7:0] echoes the subleaf. */
	r = patch(leaf, 2, junk, 5, 6);
	assert_int_equal(r.eax, 0);
	assert_int_equal(r.ebx, 0);
	assert_int_equal(r.ecx, 2);
	assert_int_equal(r.edx, 5);
	r = patch(leaf, 7, junk, 5, 6);
	assert_int_equal(r.ecx, 7);
	/* Shift widths: ceil(log2(n)). */
	static const unsigned n[] = {1, 2, 3, 4, 5, 8, 9, 64, 65, 254};
	static const unsigned shift[] = {0, 1, 2, 2, 3, 3, 4, 6, 7, 8};
	for (unsigned i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		r = patch(leaf, 1, junk, 0, n[i]);
		assert_int_equal(r.eax, shift[i]);
		assert_int_equal(r.ebx, n[i]);
		/* Package ID = x2APIC ID >> shift is 0 for every vCPU. */
		assert_int_equal((n[i] - 1) >> r.eax, 0);
	}
}

static void test_leaf_0xb(void **state)
{
	check_ext_topology(0xb);
}

static void test_leaf_0x1f(void **state)
{
	check_ext_topology(0x1f);
}

static void test_other_leaves_untouched(void **state)
{
	struct regs v = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
	static const uint32_t leaves[] = {0,   2,   3,		5,	    6,		7,
					  0xa, 0xd, 0x40000000, 0x80000001, 0x80000008, 0x8000001e};
	for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		struct regs r = patch(leaves[i], 0, v, 3, 8);
		assert_memory_equal(&r, &v, sizeof(v));
		assert_false(x86_cpuid_is_topology_leaf(leaves[i]));
	}
	assert_true(x86_cpuid_is_topology_leaf(1));
	assert_true(x86_cpuid_is_topology_leaf(4));
	assert_true(x86_cpuid_is_topology_leaf(0xb));
	assert_true(x86_cpuid_is_topology_leaf(0x1f));
}

static void test_zero_cpus_is_one(void **state)
{
	struct regs z = {0};
	struct regs r = patch(0xb, 1, z, 0, 0);
	assert_int_equal(r.ebx, 1);
	assert_int_equal(r.eax, 0);
	r = patch(1, 0, z, 0, 0);
	assert_int_equal(r.ebx, 0x00010000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leaf1),
	    cmocka_unit_test(test_leaf4),
	    cmocka_unit_test(test_leaf_0xb),
	    cmocka_unit_test(test_leaf_0x1f),
	    cmocka_unit_test(test_other_leaves_untouched),
	    cmocka_unit_test(test_zero_cpus_is_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
