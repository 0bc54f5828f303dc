/* mmio: port I/O and MMIO dispatch checks. Talks to the vslice test device
 * at 0xFEBFF000 (ID, SCRATCH, COUNTER, INVERT; see include/vslice/dev/
 * testdev.h) with 1-, 2- and 4-byte accesses, reads an unclaimed MMIO
 * address (all-ones expected) and an unclaimed port (0xff...), and checks
 * port dispatch with the CMOS NVRAM and the UART scratch register. Prints
 * "PASS name" / "FAIL name: got X, expected Y" per check, then "mmio: all
 * passed" or "mmio: N failed", and exits via debug-exit: EXIT_PASS (status
 * 33) or EXIT_FAIL (status 35). Narrow accesses are taken to act on the low
 * bytes of a register and, for writes, to leave its other bytes alone. */
#include "guest.inc"

#define TESTDEV 0xfebff000
#define TD_ID 0x0
#define TD_SCRATCH 0x4
#define TD_COUNTER 0x8
#define TD_INVERT 0xc
#define UNCLAIMED_MMIO 0xfebfe000 /* the page below the test device */
#define UNCLAIMED_PORT 0x2e0

/* CHECK "name", expected: compares EAX with expected and reports. */
.macro CHECK name, expected
	.pushsection .rodata
.Lcheck_name\@:
	.asciz "\name"
	.popsection
	push %edx
	push %esi
	mov $\expected, %edx
	mov $.Lcheck_name\@, %esi
	call check_eq
	pop %esi
	pop %edx
.endm

guest_main:
	/* MMIO: the test device */
	mov TESTDEV + TD_ID, %eax
	CHECK "testdev ID (32-bit read)", 0x44545356
	movzbl TESTDEV + TD_ID, %eax
	CHECK "testdev ID (8-bit read)", 0x56
	movzwl TESTDEV + TD_ID, %eax
	CHECK "testdev ID (16-bit read)", 0x5356
	movl $0x12345678, TESTDEV + TD_SCRATCH
	mov TESTDEV + TD_SCRATCH, %eax
	CHECK "scratch 32-bit write/read", 0x12345678
	mov TESTDEV + TD_INVERT, %eax
	CHECK "invert 32-bit read", 0xedcba987
	movb $0xab, TESTDEV + TD_SCRATCH
	mov TESTDEV + TD_SCRATCH, %eax
	CHECK "scratch 8-bit write", 0x123456ab
	movw $0xbeef, TESTDEV + TD_SCRATCH
	mov TESTDEV + TD_SCRATCH, %eax
	CHECK "scratch 16-bit write", 0x1234beef
	movzbl TESTDEV + TD_SCRATCH, %eax
	CHECK "scratch 8-bit read", 0xef
	movzwl TESTDEV + TD_INVERT, %eax
	CHECK "invert 16-bit read", 0x4110
	movzbl TESTDEV + TD_INVERT, %eax
	CHECK "invert 8-bit read", 0x10
	mov TESTDEV + TD_COUNTER, %ebx
	mov TESTDEV + TD_ID, %eax
	mov TESTDEV + TD_COUNTER, %eax
	sub %ebx, %eax
	CHECK "counter counts accesses", 2

	/* MMIO: nothing there */
	mov UNCLAIMED_MMIO, %eax
	CHECK "unclaimed MMIO 32-bit read", 0xffffffff
	movzbl UNCLAIMED_MMIO + 0x10, %eax
	CHECK "unclaimed MMIO 8-bit read", 0xff
	movl $0x12345678, UNCLAIMED_MMIO /* dropped */
	mov UNCLAIMED_MMIO, %eax
	CHECK "unclaimed MMIO write dropped", 0xffffffff

	/* port I/O: nothing there */
	mov $UNCLAIMED_PORT, %dx
	xor %eax, %eax
	inb %dx, %al
	CHECK "unclaimed port 8-bit read", 0xff
	xor %eax, %eax
	inw %dx, %ax
	CHECK "unclaimed port 16-bit read", 0xffff
	inl %dx, %eax
	CHECK "unclaimed port 32-bit read", 0xffffffff

	/* port I/O: real devices */
	mov $0x5a42, %ax /* CMOS NVRAM register 0x42 <- 0x5a */
	call cmos_write
	mov $0x42, %al
	call cmos_read
	movzbl %al, %eax
	CHECK "CMOS NVRAM write/read", 0x5a
	mov $COM1 + UART_SCR, %dx
	mov $0xa5, %al
	outb %al, %dx
	xor %eax, %eax
	inb %dx, %al
	CHECK "UART scratch write/read", 0xa5

	cmpl $0, check_failures
	jne 1f
	PRINT "mmio: all passed\n"
	mov $EXIT_PASS, %eax
	call debug_exit
	ret
1:	PRINT "mmio: "
	mov check_failures, %eax
	call put_dec
	PRINT " failed\n"
	mov $EXIT_FAIL, %eax
	call debug_exit
	ret

/* EAX = value read, EDX = expected, ESI = check name. */
check_eq:
	cmp %edx, %eax
	jne 1f
	PRINT "PASS "
	call put_str
	PRINT "\n"
	ret
1:	incl check_failures
	PRINT "FAIL "
	call put_str
	PRINT ": got "
	call put_hex32
	PRINT ", expected "
	push %eax
	mov %edx, %eax
	call put_hex32
	pop %eax
	PRINT "\n"
	ret

	.bss
	.align 4
check_failures:
	.long 0
	.text
