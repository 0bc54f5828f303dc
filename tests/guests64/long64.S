/* long64: a Multiboot guest that switches to long mode itself (long.inc)
 * and checks 4-level paging (aliases, accessed/dirty bits, not-present,
 * read-only and no-execute pages with their error codes and CR2),
 * exceptions through the 64-bit IDT (#DE, #BP, #UD, #GP, INT n), stack
 * alignment of the frame, #DF on its IST stack, SWAPGS, CR8 and RDTSC.
 * Prints PASS/FAIL per check; exits through debug-exit with 0x10 (VMM
 * status 33) if all passed, 0x11 (status 35) otherwise. */
#include "guest.inc"
#include "long.inc"

	.code32
guest_main:
	PRINT "long64 guest\n"
	jmp long_mode_run

	.code64
/* Address of the 4 KiB PTE for the page holding EAX (first 2 MiB). */
pte_of:
	shr $12, %eax
	lea lm_pt(,%rax,8), %rax
	ret

main64:
	PRINT64 "in 64-bit mode\n"
	mov $0x80000001, %eax
	cpuid
	bt $29, %edx
	CHECK64 c, "CPUID long mode bit"
	mov $MSR_EFER, %ecx
	rdmsr
	bt $10, %eax
	CHECK64 c, "EFER.LMA set"

	/* The same memory through the high alias. */
	movq $0x1122334455667788, %rax
	mov %rax, alias_var
	mov $alias_var, %ebx
	movabs $HIGH_BASE, %rcx
	add %rcx, %rbx
	mov (%rbx), %rdx
	cmp %rax, %rdx
	CHECK64 e, "high-half alias reads the same memory"

	/* Accessed and dirty bits. */
	mov $ad_page, %eax
	call pte_of
	mov %rax, %rbx
	andq $~(PTE_A | PTE_D), (%rbx)
	invlpg ad_page
	mov ad_page, %rax
	mov (%rbx), %rax
	and $(PTE_A | PTE_D), %eax
	cmp $PTE_A, %eax
	CHECK64 e, "read sets A only"
	movq $1, ad_page
	mov (%rbx), %rax
	and $(PTE_A | PTE_D), %eax
	cmp $(PTE_A | PTE_D), %eax
	CHECK64 e, "write sets D"

	/* Not present: #PF, error 0 for a read, 2 for a write, CR2. */
	mov $pf_page, %eax
	call pte_of
	mov %rax, %rbx
	andq $~PTE_P, (%rbx)
	invlpg pf_page
	EXPECT_EXC 1f
	mov pf_page + 0x10, %rax
1:	cmpq $14, exc_vector
	CHECK64 e, "#PF on a not-present page"
	cmpq $0, exc_error
	CHECK64 e, "#PF error code 0 for a supervisor read"
	cmpq $(pf_page + 0x10), exc_cr2
	CHECK64 e, "CR2 holds the faulting address"
	EXPECT_EXC 1f
	movq $5, pf_page + 0x18
1:	cmpq $2, exc_error
	CHECK64 e, "#PF error code 2 for a write"
	orq $PTE_P, (%rbx)
	invlpg pf_page

	/* Read-only with CR0.WP: error 3. */
	andq $~PTE_W, (%rbx)
	invlpg pf_page
	EXPECT_EXC 1f
	movq $5, pf_page
1:	cmpl $1, exc_count
	CHECK64 e, "write to a read-only page faults (WP=1)"
	cmpq $3, exc_error
	CHECK64 e, "#PF error code 3 (present, write)"
	orq $PTE_W, (%rbx)
	invlpg pf_page

	/* No-execute: a RET placed in a data page. */
	movb $0xc3, nx_page
	mov $nx_page, %eax
	call pte_of
	mov %rax, %rbx
	mov $1, %rax
	shl $63, %rax
	or %rax, (%rbx)
	invlpg nx_page
	mov %rsp, %r12
	EXPECT_EXC 1f
	mov $nx_page, %eax
	call *%rax
1:	mov %r12, %rsp
	cmpq $0x11, exc_error
	CHECK64 e, "fetch from an NX page: #PF error 0x11"
	cmpq $nx_page, exc_rip
	CHECK64 e, "NX fault RIP is the target"
	btrq $63, (%rbx)
	invlpg nx_page
	mov $nx_page, %eax
	call *%rax
	PRINT64 "PASS the page runs once NX is cleared\n"

	/* Exceptions. */
	EXPECT_EXC 1f
	xor %edx, %edx
	xor %ecx, %ecx
	mov $1, %eax
	div %ecx
1:	cmpq $0, exc_vector
	CHECK64 e, "#DE on divide by zero"
	EXPECT_EXC 2f
1:	ud2
2:	cmpq $6, exc_vector
	CHECK64 e, "#UD on UD2"
	cmpq $1b, exc_rip
	CHECK64 e, "#UD RIP is the UD2"
	EXPECT_EXC 2f
	int3
1:	nop
2:	cmpq $3, exc_vector
	CHECK64 e, "#BP on INT3"
	cmpq $1b, exc_rip
	CHECK64 e, "#BP RIP is after the INT3"
	EXPECT_EXC 1f
	movabs $0x0000800000000000, %rax
	mov (%rax), %rax
1:	cmpq $13, exc_vector
	CHECK64 e, "#GP on a non-canonical address"
	cmpq $0, exc_error
	CHECK64 e, "#GP error code 0"
	EXPECT_EXC 2f
	int $0x80
1:	nop
2:	cmpq $0x80, exc_vector
	CHECK64 e, "INT 0x80 reaches vector 0x80"
	cmpq $1b, exc_rip
	CHECK64 e, "INT n pushes the next RIP"

	/* The frame is 16-byte aligned whatever RSP was. */
	EXPECT_EXC 1f
	ud2
1:	testq $15, exc_handler_rsp
	CHECK64 z, "frame aligned (RSP aligned)"
	sub $8, %rsp
	EXPECT_EXC 1f
	ud2
1:	add $8, %rsp
	testq $15, exc_handler_rsp
	CHECK64 z, "frame aligned (RSP misaligned by 8)"
	mov %rsp, %rax
	sub $8, %rax
	cmp %rax, exc_rsp
	jne 2f
	PRINT64 "PASS saved RSP is the unaligned one\n"
	jmp 3f
2:	PRINT64 "FAIL saved RSP is the unaligned one\n"
	incl lm_failures
3:
	/* #PF whose gate is not present: #NP on top of #PF is a #DF,
	 * delivered on IST1. */
	mov $8, %ecx
	mov $0x0100, %edx /* DPL 0, IST 1 */
	call idt64_gate_attr
	andb $0x7f, lm_idt + 14 * 16 + 5 /* #PF gate: P = 0 */
	mov $pf_page, %eax
	call pte_of
	mov %rax, %rbx
	andq $~PTE_P, (%rbx)
	invlpg pf_page
	EXPECT_EXC 1f
	mov pf_page, %rax
1:	orb $0x80, lm_idt + 14 * 16 + 5
	orq $PTE_P, (%rbx)
	invlpg pf_page
	cmpq $8, exc_vector
	CHECK64 e, "#PF + #NP escalates to #DF"
	mov exc_handler_rsp, %rax
	cmp $lm_ist1_top, %rax
	setb %cl
	cmp $lm_rsp0_top, %rax
	seta %dl
	and %dl, %cl
	cmp $1, %cl
	CHECK64 e, "#DF handler runs on the IST1 stack"

	/* SWAPGS exchanges GS.base and KERNEL_GS_BASE. */
	mov $MSR_GS_BASE, %ecx
	mov $0x1000, %eax
	xor %edx, %edx
	wrmsr
	mov $MSR_KERNEL_GS_BASE, %ecx
	mov $0x2000, %eax
	wrmsr
	swapgs
	mov $MSR_GS_BASE, %ecx
	rdmsr
	cmp $0x2000, %eax
	CHECK64 e, "SWAPGS"
	swapgs

	/* CR8 and RDTSC. */
	mov $9, %eax
	mov %rax, %cr8
	mov %cr8, %rbx
	cmp $9, %rbx
	CHECK64 e, "CR8 holds the task priority"
	xor %eax, %eax
	mov %rax, %cr8
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	mov %rdx, %rbx
	mov $1000, %ecx
1:	dec %ecx
	jnz 1b
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	cmp %rbx, %rdx
	CHECK64 a, "RDTSC advances"

	xor %eax, %eax
	ret

	.data
	.align 8
alias_var: .quad 0
	.bss
	.align 4096
ad_page: .skip 4096
pf_page: .skip 4096
nx_page: .skip 4096
	.text
	.code32
