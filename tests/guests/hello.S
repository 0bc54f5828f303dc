/* hello: prints a banner and the Multiboot command line, then powers off
 * through ACPI (PM1a_CNT with \_S5's SLP_TYP). System test: test_hello. */
#include "guest.inc"

guest_main:
	PRINT "Hello from the vslice hello guest\n"
	PRINT "cmdline: "
	call put_cmdline
	PRINT "\n"
	PRINT "powering off\n"
	ret
