/* serial_echo: interrupt-driven UART input. Routes COM1's IRQ 4 through the
 * IOAPIC to the local APIC, enables the receive-data interrupt (IER bit 0,
 * MCR OUT2), and sleeps in HLT; the interrupt handler moves received bytes
 * into a ring buffer. Each line received (ended by CR or LF; empty lines
 * are skipped) is echoed back upper-cased; the line "quit" powers off.
 * Prints "ready" when it is listening. Nothing here polls the UART outside
 * the interrupt handler. System test: test_serial_echo. */
#include "guest.inc"

#define UART_VECTOR 0x34
#define RING_SIZE 256 /* power of two */
#define LINE_MAX 200

guest_main:
	call irq_setup
	jc fail
	mov $UART_VECTOR, %eax
	mov $uart_isr, %edx
	call isr_set
	mov $4, %eax
	mov $UART_VECTOR, %edx
	call ioapic_route_isa
	jc fail
	OUTB_IMM COM1 + UART_MCR, 0x0b /* DTR, RTS, OUT2 (gates the IRQ) */
	OUTB_IMM COM1 + UART_IER, 0x01 /* received data available */
	PRINT "serial_echo ready: lines come back upper-cased; quit powers off\n"
	sti

next_char:
	cli
	mov ring_tail, %eax
	cmp ring_head, %eax
	jne 1f
	sti
	hlt
	jmp next_char
1:	movzbl ring(%eax), %ebx
	inc %eax
	and $RING_SIZE - 1, %eax
	mov %eax, ring_tail
	sti
	cmp $'\r', %bl
	je end_of_line
	cmp $'\n', %bl
	je end_of_line
	mov line_len, %eax
	cmp $LINE_MAX, %eax
	jae next_char /* overlong line: the rest is dropped */
	mov %bl, line(%eax)
	incl line_len
	jmp next_char

end_of_line:
	mov line_len, %ecx
	test %ecx, %ecx
	jz next_char
	movb $0, line(%ecx)
	movl $0, line_len
	/* "quit"? */
	cmp $4, %ecx
	jne 2f
	cmpl $0x74697571, line /* "quit" */
	je quit
2:	mov $line, %esi
3:	lodsb
	test %al, %al
	jz 4f
	cmp $'a', %al
	jb 5f
	cmp $'z', %al
	ja 5f
	sub $'a' - 'A', %al
5:	call put_char
	jmp 3b
4:	PRINT "\n"
	jmp next_char

quit:
	cli
	PRINT "quit: powering off ("
	mov rx_count, %eax
	call put_dec
	PRINT " bytes received in "
	mov irq_count, %eax
	call put_dec
	PRINT " interrupts)\n"
	ret

fail:
	mov $EXIT_FAIL, %eax
	call debug_exit
	ret

/* Drains the receiver into the ring (bounded), then EOI. */
uart_isr:
	incl irq_count
	mov $64, %ecx
1:	mov $COM1 + UART_LSR, %dx
	inb %dx, %al
	test $UART_LSR_DR, %al
	jz 3f
	mov $COM1 + UART_RBR, %dx
	inb %dx, %al
	incl rx_count
	mov ring_head, %edx
	push %edx
	inc %edx
	and $RING_SIZE - 1, %edx
	cmp ring_tail, %edx
	pop %edx
	je 2f /* full: drop */
	mov %al, ring(%edx)
	inc %edx
	and $RING_SIZE - 1, %edx
	mov %edx, ring_head
2:	loop 1b
3:	jmp lapic_eoi

	.bss
	.align 4
ring_head: .long 0
ring_tail: .long 0
line_len: .long 0
rx_count: .long 0
irq_count: .long 0
ring: .skip RING_SIZE
line: .skip LINE_MAX + 1
	.text
