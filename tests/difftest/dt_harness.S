/* Native side of the differential tester: loads a struct dt_regs kept
 * at DT_STATE_ADDR into the CPU, jumps to the code page (the instruction
 * under test followed by an indirect jump to dt_exit), then stores the
 * registers back. Absolute addresses keep every register free for the
 * test. The MMX registers (dt_regs.mm) are loaded too, then EMMS empties
 * the x87 tags (the values stay in the registers, where MMX instructions
 * read them; x87 code sees an empty stack with TOP 0); at the exit they
 * are stored and EMMS runs again. Linux x86-64, AT&T syntax. */
	.text
	.globl dt_enter
	.type dt_enter, @function
dt_enter:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, 0x20000200
	ldmxcsr 0x20000190
	movdqu 0x20000090, %xmm0
	movdqu 0x200000a0, %xmm1
	movdqu 0x200000b0, %xmm2
	movdqu 0x200000c0, %xmm3
	movdqu 0x200000d0, %xmm4
	movdqu 0x200000e0, %xmm5
	movdqu 0x200000f0, %xmm6
	movdqu 0x20000100, %xmm7
	movdqu 0x20000110, %xmm8
	movdqu 0x20000120, %xmm9
	movdqu 0x20000130, %xmm10
	movdqu 0x20000140, %xmm11
	movdqu 0x20000150, %xmm12
	movdqu 0x20000160, %xmm13
	movdqu 0x20000170, %xmm14
	movdqu 0x20000180, %xmm15
	movq 0x20000198, %mm0
	movq 0x200001a0, %mm1
	movq 0x200001a8, %mm2
	movq 0x200001b0, %mm3
	movq 0x200001b8, %mm4
	movq 0x200001c0, %mm5
	movq 0x200001c8, %mm6
	movq 0x200001d0, %mm7
	emms
	pushq 0x20000080
	popfq
	mov 0x20000000, %rax
	mov 0x20000008, %rcx
	mov 0x20000010, %rdx
	mov 0x20000018, %rbx
	mov 0x20000028, %rbp
	mov 0x20000030, %rsi
	mov 0x20000038, %rdi
	mov 0x20000040, %r8
	mov 0x20000048, %r9
	mov 0x20000050, %r10
	mov 0x20000058, %r11
	mov 0x20000060, %r12
	mov 0x20000068, %r13
	mov 0x20000070, %r14
	mov 0x20000078, %r15
	mov 0x20000020, %rsp
	jmp *0x20000208
	.size dt_enter, .-dt_enter

	.globl dt_exit
	.type dt_exit, @function
dt_exit:
	mov %rax, 0x20000000
	mov %rcx, 0x20000008
	mov %rdx, 0x20000010
	mov %rbx, 0x20000018
	mov %rsp, 0x20000020
	mov %rbp, 0x20000028
	mov %rsi, 0x20000030
	mov %rdi, 0x20000038
	mov %r8, 0x20000040
	mov %r9, 0x20000048
	mov %r10, 0x20000050
	mov %r11, 0x20000058
	mov %r12, 0x20000060
	mov %r13, 0x20000068
	mov %r14, 0x20000070
	mov %r15, 0x20000078
	mov 0x20000200, %rsp
	pushfq
	popq 0x20000080
	cld
	movdqu %xmm0, 0x20000090
	movdqu %xmm1, 0x200000a0
	movdqu %xmm2, 0x200000b0
	movdqu %xmm3, 0x200000c0
	movdqu %xmm4, 0x200000d0
	movdqu %xmm5, 0x200000e0
	movdqu %xmm6, 0x200000f0
	movdqu %xmm7, 0x20000100
	movdqu %xmm8, 0x20000110
	movdqu %xmm9, 0x20000120
	movdqu %xmm10, 0x20000130
	movdqu %xmm11, 0x20000140
	movdqu %xmm12, 0x20000150
	movdqu %xmm13, 0x20000160
	movdqu %xmm14, 0x20000170
	movdqu %xmm15, 0x20000180
	stmxcsr 0x20000190
	fnstenv 0x200001d8
	fninit
	movq %mm0, 0x20000198
	movq %mm1, 0x200001a0
	movq %mm2, 0x200001a8
	movq %mm3, 0x200001b0
	movq %mm4, 0x200001b8
	movq %mm5, 0x200001c0
	movq %mm6, 0x200001c8
	movq %mm7, 0x200001d0
	emms
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size dt_exit, .-dt_exit
	.section .note.GNU-stack,"",@progbits
