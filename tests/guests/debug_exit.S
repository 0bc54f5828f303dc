/* debug_exit: writes the value given as "code=N" on the command line
 * (decimal or 0x hex, 0..255) to the debug-exit port 0xf4, so the VMM exits
 * with status (N << 1) | 1. Without a usable code it says so and powers off
 * (exit status 0, which the test treats as a failure). */
#include "guest.inc"

guest_main:
	PRINT "debug_exit guest\n"
	mov $key_code, %esi
	call cmdline_uint
	jc 8f
	cmp $0xff, %eax
	ja 8f
	PRINT "writing "
	call put_dec
	PRINT " to port 0xf4\n"
	call debug_exit
	PRINT "FAIL: still running after the debug-exit write\n"
	ret
8:	PRINT "FAIL: need code=N (0..255) on the command line, got: "
	call put_cmdline
	PRINT "\n"
	ret

	.section .rodata
key_code:
	.asciz "code="
	.text
