/* timer: PIT channel 0 at 100 Hz, ISA IRQ 0 routed through the IOAPIC (to
 * the GSI the MADT override names, GSI 2 on a PC) to the local APIC. Waits
 * with HLT for the first tick, then for 20 more, and prints "ticks 20" with
 * the time they took on the ACPI PM timer (expected: 200 ms), then powers
 * off. System test: test_timer. */
#include "guest.inc"

#define TIMER_VECTOR 0x30
#define PIT_HZ 1193182
#define PIT_DIVISOR 11932 /* 1193182 / 100, rounded */
#define TICKS 20

guest_main:
	call irq_setup
	jc fail
	mov $TIMER_VECTOR, %eax
	mov $timer_isr, %edx
	call isr_set
	xor %eax, %eax
	call isa_irq_to_gsi
	PRINT "PIT IRQ 0 is GSI "
	call put_dec
	PRINT "\n"
	xor %eax, %eax
	mov $TIMER_VECTOR, %edx
	call ioapic_route_isa
	jc fail
	OUTB_IMM 0x43, 0x34 /* channel 0, lobyte/hibyte, mode 2, binary */
	OUTB_IMM 0x40, PIT_DIVISOR & 0xff
	OUTB_IMM 0x40, PIT_DIVISOR >> 8
	sti
1:	hlt
	cmpl $1, timer_ticks
	jb 1b
	call pm_timer_read
	mov %eax, %ebx
2:	hlt
	cmpl $TICKS + 1, timer_ticks
	jb 2b
	mov %ebx, %eax
	call pm_timer_since
	cli
	mov %eax, %ebx
	PRINT "ticks "
	mov timer_ticks, %eax
	dec %eax
	call put_dec
	PRINT "\n"
	PRINT "pm timer delta "
	mov %ebx, %eax
	call put_dec
	PRINT " ticks = "
	call pm_ticks_to_us
	xor %edx, %edx
	mov $1000, %ecx
	div %ecx
	call put_dec
	PRINT " ms (expected 200)\n"
	ret
fail:
	mov $EXIT_FAIL, %eax
	call debug_exit
	ret

timer_isr:
	incl timer_ticks
	jmp lapic_eoi

	.bss
	.align 4
timer_ticks:
	.long 0
	.text
