/* demo: the guest a user boots without --kernel. Prints
 * "vslice demo guest (not Linux): N CPUs, M MiB RAM, RTC <time>" (CPUs from
 * the MADT, RAM from the Multiboot memory map), then runs a tiny shell on
 * the serial port: echoes what is typed, handles backspace (BS or DEL) and
 * Ctrl-C (prints ^C, drops the line), and understands help, time, cpus,
 * reboot and poweroff. Input is read by polling the UART, woken from HLT by
 * the UART's receive interrupt or a 100 Hz PIT tick (so it works even if one
 * of the two is not routed). */
#include "guest.inc"

#define TIMER_VECTOR 0x30
#define UART_VECTOR 0x34
#define PIT_DIVISOR 11932 /* 100 Hz */
#define LINE_MAX 72
#define MMAP_MAX_ENTRIES 128

guest_main:
	call irq_setup
	jc 1f
	mov $TIMER_VECTOR, %eax
	mov $demo_isr, %edx
	call isr_set
	mov $UART_VECTOR, %eax
	call isr_set
	xor %eax, %eax
	mov $TIMER_VECTOR, %edx
	call ioapic_route_isa
	mov $4, %eax
	mov $UART_VECTOR, %edx
	call ioapic_route_isa
	OUTB_IMM 0x43, 0x34
	OUTB_IMM 0x40, PIT_DIVISOR & 0xff
	OUTB_IMM 0x40, PIT_DIVISOR >> 8
	OUTB_IMM COM1 + UART_IER, 0x01
1:	PRINT "vslice demo guest (not Linux): "
	call ncpus
	call put_dec
	PRINT " CPUs, "
	call ram_mib
	call put_dec
	PRINT " MiB RAM, RTC "
	call rtc_read_time
	call rtc_print
	PRINT "\nType help for commands.\n"
	call prompt

read_loop:
	call serial_poll
	jz 2f
	call handle_char
	jmp read_loop
2:	sti
	hlt
	cli
	jmp read_loop

demo_isr:
	jmp lapic_eoi

prompt:
	PRINT "vslice> "
	ret

/* AL = a received byte. */
handle_char:
	pusha
	mov last_char, %bl
	mov %al, last_char
	cmp $'\r', %al
	je 5f
	cmp $'\n', %al
	jne 1f
	cmp $'\r', %bl /* LF after CR: already done */
	je 9f
	jmp 5f
1:	cmp $0x03, %al /* Ctrl-C */
	jne 2f
	PRINT "^C\n"
	movl $0, line_len
	call prompt
	jmp 9f
2:	cmp $0x08, %al
	je 3f
	cmp $0x7f, %al
	jne 4f
3:	cmpl $0, line_len /* backspace */
	je 9f
	decl line_len
	PRINT "\b \b"
	jmp 9f
4:	cmp $0x20, %al /* printable: keep and echo */
	jb 9f
	cmp $0x7e, %al
	ja 9f
	mov line_len, %ecx
	cmp $LINE_MAX, %ecx
	jae 9f
	mov %al, line(%ecx)
	incl line_len
	call put_char
	jmp 9f
5:	PRINT "\n" /* end of line */
	mov line_len, %ecx
	movb $0, line(%ecx)
	movl $0, line_len
	call run_command
	call prompt
9:	popa
	ret

/* Runs the command in line (NUL-terminated). */
run_command:
	pusha
	mov $line, %esi
1:	cmpb $' ', (%esi) /* skip leading blanks */
	jne 2f
	inc %esi
	jmp 1b
2:	mov %esi, %edi /* strip trailing blanks */
3:	cmpb $0, (%edi)
	je 4f
	inc %edi
	jmp 3b
4:	cmp %esi, %edi
	je 9f /* empty */
	cmpb $' ', -1(%edi)
	jne 5f
	dec %edi
	movb $0, (%edi)
	jmp 4b
5:	mov $cmd_table, %ebx
6:	mov (%ebx), %edi
	test %edi, %edi
	jz 8f
	call str_eq
	je 7f
	add $8, %ebx
	jmp 6b
7:	call *4(%ebx)
	jmp 9f
8:	PRINT "unknown command: "
	call put_str
	PRINT " (try help)\n"
9:	popa
	ret

/* ZF set if the strings at ESI and EDI are equal. */
str_eq:
	push %eax
	push %esi
	push %edi
1:	mov (%esi), %al
	cmp (%edi), %al
	jne 2f
	inc %esi
	inc %edi
	test %al, %al
	jnz 1b
2:	pop %edi
	pop %esi
	pop %eax
	ret

cmd_help:
	PRINT "commands:\n"
	PRINT "  help      this list\n"
	PRINT "  time      the RTC date and time (UTC)\n"
	PRINT "  cpus      the CPUs the ACPI MADT lists\n"
	PRINT "  reboot    reset the machine (ACPI reset register)\n"
	PRINT "  poweroff  power off (ACPI S5)\n"
	ret

cmd_time:
	call rtc_read_time
	PRINT "RTC "
	call rtc_print
	PRINT " UTC\n"
	ret

cmd_cpus:
	call ncpus
	call put_dec
	PRINT " CPUs, APIC IDs:"
	xor %ecx, %ecx
1:	cmp madt_ncpus, %ecx
	jae 2f
	PRINT " "
	movzbl madt_apic_ids(%ecx), %eax
	call put_dec
	inc %ecx
	jmp 1b
2:	PRINT "\n"
	ret

cmd_reboot:
	PRINT "rebooting\n"
	call acpi_reset
	PRINT "trying the i8042\n"
	OUTB_IMM 0x64, 0xfe
	mov $100000, %ecx
1:	loop 1b
	PRINT "reboot failed\n"
	ret

cmd_poweroff:
	PRINT "powering off\n"
	call acpi_poweroff
	ret

/* Returns in EAX the number of CPUs (1 without a MADT). */
ncpus:
	mov madt_ncpus, %eax
	test %eax, %eax
	jnz 1f
	inc %eax
1:	ret

/* Returns in EAX the usable RAM in MiB (rounded) from the Multiboot memory
 * map, or from mem_lower/mem_upper without one; 0 if neither is there.
 * The map is untrusted: entries are bounded by its length and a count. */
ram_mib:
	push %ebx
	push %ecx
	push %edx
	push %esi
	push %edi
	xor %ebx, %ebx /* KiB */
	call mb_flags
	test $MB_INFO_MMAP, %eax
	jz 5f
	mov mb_info, %esi
	mov 44(%esi), %ecx /* mmap_length */
	mov 48(%esi), %esi /* mmap_addr */
	lea (%esi,%ecx), %edi /* end */
	mov $MMAP_MAX_ENTRIES, %ecx
1:	lea 24(%esi), %eax
	cmp %edi, %eax
	ja 4f
	cmpl $1, 20(%esi) /* type: RAM */
	jne 2f
	mov 12(%esi), %eax /* length, in KiB: (hi << 22) | (lo >> 10) */
	mov 16(%esi), %edx
	shrd $10, %edx, %eax
	add %eax, %ebx
2:	mov (%esi), %eax /* size of the entry after this field */
	cmp $20, %eax
	jb 4f
	lea 4(%esi,%eax), %esi
	loop 1b
4:	jmp 7f
5:	test $MB_INFO_MEM, %eax
	jz 7f
	mov mb_info, %esi
	mov 4(%esi), %ebx
	add 8(%esi), %ebx
7:	lea 512(%ebx), %eax
	shr $10, %eax
	pop %edi
	pop %esi
	pop %edx
	pop %ecx
	pop %ebx
	ret

	.section .rodata
	.align 4
cmd_table:
	.long str_help, cmd_help
	.long str_time, cmd_time
	.long str_cpus, cmd_cpus
	.long str_reboot, cmd_reboot
	.long str_poweroff, cmd_poweroff
	.long 0, 0
str_help: .asciz "help"
str_time: .asciz "time"
str_cpus: .asciz "cpus"
str_reboot: .asciz "reboot"
str_poweroff: .asciz "poweroff"

	.bss
	.align 4
line_len: .long 0
last_char: .long 0
line: .skip LINE_MAX + 1
	.text
