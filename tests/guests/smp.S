/* smp: the BSP learns the CPUs from the MADT and starts each AP with
 * INIT-SIPI-SIPI into a real-mode trampoline copied to 0x10000 (below it
 * are the VMM's boot structures). Each AP loads the guest's GDT, enters
 * protected mode, takes a stack, prints "cpu N apic ID up" under the
 * console lock (N = its index in the MADT) and counts itself in. The BSP
 * waits for all of them (10 s timeout on the PM timer: then it prints FAIL
 * and exits through debug-exit with EXIT_FAIL) and prints "all N cpus up",
 * then powers off. System test: test_smp. */
#include "guest.inc"

#define TRAMPOLINE_ADDR 0x10000 /* page-aligned, below 1 MiB */
#define SIPI_VECTOR (TRAMPOLINE_ADDR >> 12)
#define ICR_INIT 0x00004500 /* INIT, level assert */
#define ICR_SIPI 0x00004600 /* start-up, level assert */
#define AP_STACK_SIZE 2048
#define AP_TIMEOUT_MS 10000

guest_main:
	call madt_parse
	jnc 1f
	PRINT "FAIL: no ACPI MADT\n"
	jmp fail
1:	call lapic_enable
	PRINT "MADT: "
	mov madt_ncpus, %eax
	call put_dec
	PRINT " cpus\n"
	/* copy the trampoline */
	mov $ap_trampoline, %esi
	mov $TRAMPOLINE_ADDR, %edi
	mov $ap_trampoline_end - ap_trampoline, %ecx
	rep movsb
	call lapic_id
	mov %eax, bsp_apic_id
	call print_cpu_up
	lock incl cpus_up

	/* start every other CPU the MADT lists */
	xor %ebx, %ebx
2:	cmp madt_ncpus, %ebx
	jae 4f
	movzbl madt_apic_ids(%ebx), %eax
	cmp bsp_apic_id, %eax
	je 3f
	shl $24, %eax
	mov $ICR_INIT, %edx
	call lapic_send_ipi
	push %eax
	mov $10000, %eax /* 10 ms */
	call delay_us
	pop %eax
	mov $ICR_SIPI | SIPI_VECTOR, %edx
	call lapic_send_ipi
	push %eax
	mov $200, %eax
	call delay_us
	pop %eax
	call lapic_send_ipi
	push %eax
	mov $200, %eax
	call delay_us
	pop %eax
3:	inc %ebx
	jmp 2b

	/* wait for them */
4:	xor %ebx, %ebx /* milliseconds waited */
5:	mov cpus_up, %eax
	cmp madt_ncpus, %eax
	jae 6f
	cmp $AP_TIMEOUT_MS, %ebx
	jae 7f
	mov $1000, %eax
	call delay_us
	inc %ebx
	jmp 5b
6:	call print_lock
	PRINT "all "
	mov cpus_up, %eax
	call put_dec
	PRINT " cpus up\n"
	call print_unlock
	ret
7:	call print_lock
	PRINT "FAIL: only "
	mov cpus_up, %eax
	call put_dec
	PRINT " of "
	mov madt_ncpus, %eax
	call put_dec
	PRINT " cpus came up\n"
	call print_unlock
fail:
	mov $EXIT_FAIL, %eax
	call debug_exit
	ret

/* Prints "cpu N apic ID up" for this CPU, under the console lock. */
print_cpu_up:
	pusha
	call lapic_id
	mov %eax, %edx
	xor %ecx, %ecx /* MADT index of this APIC ID */
1:	cmp madt_ncpus, %ecx
	jae 2f
	movzbl madt_apic_ids(%ecx), %eax
	cmp %edx, %eax
	je 2f
	inc %ecx
	jmp 1b
2:	call print_lock
	PRINT "cpu "
	mov %ecx, %eax
	call put_dec
	PRINT " apic "
	mov %edx, %eax
	call put_dec
	PRINT " up\n"
	call print_unlock
	popa
	ret

/* 32-bit AP entry from the trampoline, on the guest's GDT. */
ap_entry32:
	mov $KERNEL_DS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $1, %eax
	lock xadd %eax, ap_next_stack
	cmp $MAX_CPUS, %eax
	jae halt_forever
	inc %eax
	imul $AP_STACK_SIZE, %eax
	add $ap_stacks, %eax
	mov %eax, %esp
	call idt_load
	call print_cpu_up
	lock incl cpus_up
	jmp halt_forever

/* Real-mode AP start-up code, copied to TRAMPOLINE_ADDR: the SIPI starts it
 * with CS = TRAMPOLINE_ADDR >> 4, IP = 0. */
	.code16
ap_trampoline:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	lgdtl ap_gdt_desc - ap_trampoline
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $KERNEL_CS, $ap_entry32
	.align 4
	.word 0
ap_gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
ap_trampoline_end:
	.code32

	.bss
	.align 4
bsp_apic_id: .long 0
cpus_up: .long 0
ap_next_stack: .long 0
	.align 16
ap_stacks:
	.skip AP_STACK_SIZE * MAX_CPUS
	.text
