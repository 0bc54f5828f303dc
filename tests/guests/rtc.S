/* rtc: reads the CMOS RTC (waiting for update-in-progress to clear, BCD or
 * binary as register B says) and prints "RTC YYYY-MM-DD HH:MM:SS" (the RTC
 * holds UTC), then powers off. System test: test_rtc. */
#include "guest.inc"

guest_main:
	call rtc_read_time
	PRINT "RTC "
	call rtc_print
	PRINT "\n"
	PRINT "RTC register B "
	mov rtc_reg_b, %eax
	call put_hex8
	PRINT "\n"
	ret
