/* syscall64: a Multiboot guest that switches to long mode (long.inc),
 * drops to CPL 3 with IRETQ and checks the user/kernel round trips:
 * SYSCALL/SYSRETQ (RCX, R11, SFMASK, selectors from STAR), exceptions
 * taken from CPL 3 (stack switch to TSS.RSP0, user page protection with
 * the U/S error bit, #GP for a privileged instruction) and INT 0x80
 * through a DPL 3 gate back to the kernel. Prints PASS/FAIL per check;
 * exits through debug-exit with 0x10 (VMM status 33) if all passed. */
#include "guest.inc"
#include "long.inc"

#define SYSCALL_MAGIC 0x5ca11ab1e

	.code32
guest_main:
	PRINT "syscall64 guest\n"
	jmp long_mode_run

	.code64
main64:
	/* SYSCALL: kernel CS 0x18 / SS 0x20; SYSRET: base 0x28 -> SS 0x33,
	 * CS 0x3b. SFMASK clears IF, TF, DF and AC. */
	mov $MSR_STAR, %ecx
	xor %eax, %eax
	mov $((LM_CS32_USER << 16) | LM_CS64), %edx
	wrmsr
	mov $MSR_LSTAR, %ecx
	mov $syscall_entry, %eax
	xor %edx, %edx
	wrmsr
	mov $MSR_SFMASK, %ecx
	mov $0x40700, %eax /* AC, DF, IF, TF */
	wrmsr
	/* INT 0x80 from user mode comes back to the kernel. */
	mov $0x80, %ecx
	mov $0x0003, %edx /* DPL 3, no IST */
	call idt64_gate_attr
	mov $int80_entry, %eax
	mov %ax, lm_idt + 0x80 * 16
	shr $16, %eax
	mov %ax, lm_idt + 0x80 * 16 + 6
	/* A supervisor-only page for the user-mode check. */
	mov $kernel_page, %eax
	shr $12, %eax
	andq $~PTE_U, lm_pt(,%rax,8)
	invlpg kernel_page

	/* To CPL 3: SS, RSP, RFLAGS, CS, RIP for IRETQ. */
	mov %rsp, kernel_rsp
	push $LM_DS_USER
	push $user_stack_top
	push $0x202
	push $LM_CS64_USER
	push $user_main
	iretq

/* Back from user mode through INT 0x80: the frame is on RSP0. */
int80_entry:
	mov %rsp, int80_rsp
	mov $LM_DS64, %eax /* SS is null after the privilege change */
	mov %eax, %ss
	mov 8(%rsp), %rax
	mov %rax, int80_cs
	mov kernel_rsp, %rsp
	mov int80_cs, %rax
	cmp $LM_CS64_USER, %rax
	CHECK64 e, "INT 0x80 frame holds the user CS"
	mov int80_rsp, %rax
	cmp $lm_rsp0_top - 40, %rax
	CHECK64 e, "INT 0x80 from CPL 3 switched to TSS.RSP0"
	mov %cs, %ax
	and $3, %eax
	CHECK64 z, "back at CPL 0"
	xor %eax, %eax
	ret

/* SYSCALL lands here at CPL 0 on the user stack. */
syscall_entry:
	mov %rcx, sc_rcx
	mov %r11, sc_r11
	pushfq
	pop %rax
	mov %rax, sc_rflags
	mov %cs, %eax
	mov %rax, sc_cs
	mov %ss, %eax
	mov %rax, sc_ss
	movabs $SYSCALL_MAGIC, %rdx
	sysretq

	.code64
user_main:
	mov %cs, %ax
	and $3, %eax
	cmp $3, %eax
	CHECK64 e, "IRETQ to CPL 3"
	/* SYSCALL round trip with DF and IF set. */
	std
	xor %edx, %edx
	syscall
1:	cld
	movabs $SYSCALL_MAGIC, %rax
	cmp %rax, %rdx
	CHECK64 e, "SYSCALL/SYSRETQ round trip"
	cmpq $1b, sc_rcx
	CHECK64 e, "SYSCALL saves the return RIP in RCX"
	mov sc_r11, %rax
	and $0x600, %eax
	cmp $0x600, %eax
	CHECK64 e, "SYSCALL saves RFLAGS (IF, DF) in R11"
	mov sc_rflags, %rax
	and $0x40700, %eax
	CHECK64 z, "SFMASK cleared IF, TF, DF, AC in the kernel"
	cmpq $LM_CS64, sc_cs
	CHECK64 e, "kernel CS from STAR[47:32]"
	cmpq $LM_CS64 + 8, sc_ss
	CHECK64 e, "kernel SS = STAR[47:32] + 8"
	mov %cs, %ax
	cmp $LM_CS64_USER, %ax
	CHECK64 e, "SYSRETQ CS = STAR[63:48] + 16 | 3"
	mov %ss, %ax
	cmp $LM_DS_USER, %ax
	CHECK64 e, "SYSRETQ SS = STAR[63:48] + 8 | 3"
	pushfq
	pop %rax
	test $0x200, %eax
	CHECK64 nz, "SYSRETQ restored IF from R11"

	/* User access to a supervisor page: #PF with U/S, P set. */
	EXPECT_EXC 1f
	mov kernel_page, %rax
1:	cmpq $14, exc_vector
	CHECK64 e, "user read of a supervisor page faults"
	cmpq $5, exc_error
	CHECK64 e, "#PF error code 5 (present, user)"
	mov exc_cs, %rax
	cmp $LM_CS64_USER, %rax
	CHECK64 e, "the fault frame holds the user CS"
	/* Privileged instruction at CPL 3: #GP(0). */
	EXPECT_EXC 1f
	cli
1:	cmpq $13, exc_vector
	CHECK64 e, "CLI at CPL 3 with IOPL 0 is #GP"
	EXPECT_EXC 1f
	mov %cr3, %rax
1:	cmpq $13, exc_vector
	CHECK64 e, "MOV from CR3 at CPL 3 is #GP"
	EXPECT_EXC 1f
	swapgs
1:	cmpq $13, exc_vector
	CHECK64 e, "SWAPGS at CPL 3 is #GP"
	/* Back to the kernel. */
	int $0x80
	PRINT64 "FAIL INT 0x80 returned to user mode\n"
	incl lm_failures
2:	jmp 2b

	.data
	.align 8
kernel_rsp: .quad 0
int80_rsp: .quad 0
int80_cs: .quad 0
sc_rcx: .quad 0
sc_r11: .quad 0
sc_rflags: .quad 0
sc_cs: .quad 0
sc_ss: .quad 0
	.bss
	.align 4096
kernel_page: .skip 4096
	.align 16
	.skip 8192
user_stack_top:
	.text
	.code32
