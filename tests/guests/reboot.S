/* reboot: counts its boots in CMOS NVRAM (0x40 = magic, 0x41 = resets so
 * far; NVRAM survives a reset, as on a PC), prints "boot N" (N = 0 on the
 * first boot), and until N reaches "reboots=R" from the command line
 * (default 3) resets itself, using in turn the i8042 (0xFE to port 0x64),
 * the ACPI reset register from the FADT (0xcf9 <- 0x06 with a warning if
 * the FADT has none, as QEMU's "pc" machine), and a triple fault (empty IDT,
 * then ud2: PVM's instruction emulator cannot deliver int3). Then it clears the counter and powers off through ACPI: R + 1
 * "boot" lines in all. If a reset method does nothing, it prints FAIL and
 * exits through debug-exit with EXIT_FAIL. System test: test_reboot. */
#include "guest.inc"

#define NVRAM_MAGIC_REG 0x40
#define NVRAM_COUNT_REG 0x41
#define NVRAM_MAGIC 0x5a
#define DEFAULT_REBOOTS 3
#define I8042_STATUS 0x64
#define I8042_INPUT_FULL 0x02

guest_main:
	mov $NVRAM_MAGIC_REG, %al
	call cmos_read
	cmp $NVRAM_MAGIC, %al
	je 1f
	mov $(NVRAM_MAGIC << 8) | NVRAM_MAGIC_REG, %ax
	call cmos_write
	mov $NVRAM_COUNT_REG, %ax /* count = 0 */
	call cmos_write
1:	mov $NVRAM_COUNT_REG, %al
	call cmos_read
	movzbl %al, %ebx
	PRINT "boot "
	mov %ebx, %eax
	call put_dec
	PRINT "\n"

	mov $key_reboots, %esi
	call cmdline_uint
	jnc 2f
	mov $DEFAULT_REBOOTS, %eax
2:	cmp $250, %eax
	jbe 3f
	mov $250, %eax
3:	cmp %eax, %ebx
	jb 4f
	PRINT "reboot: done after "
	mov %ebx, %eax
	call put_dec
	PRINT " resets, powering off\n"
	mov $NVRAM_MAGIC_REG, %ax /* magic = 0: next run starts over */
	call cmos_write
	ret

4:	lea 1(%ebx), %eax
	shl $8, %eax
	mov $NVRAM_COUNT_REG, %al
	call cmos_write
	mov %ebx, %eax
	xor %edx, %edx
	mov $3, %ecx
	div %ecx
	cmp $1, %edx
	je reset_acpi
	cmp $2, %edx
	je reset_triple_fault

reset_i8042:
	PRINT "resetting through the i8042 (0xfe to port 0x64)\n"
	mov $I8042_STATUS, %dx
	mov $100000, %ecx
1:	inb %dx, %al
	test $I8042_INPUT_FULL, %al
	jz 2f
	loop 1b
2:	mov $0xfe, %al
	outb %al, %dx
	mov $100000, %ecx
3:	loop 3b
	PRINT "FAIL: still running after the i8042 reset command\n"
	jmp reset_failed

reset_acpi:
	cmpl $0, acpi_reset_port
	jne 1f
	PRINT "warning: the FADT has no reset register, using 0xcf9 <- 0x06\n"
	movl $0xcf9, acpi_reset_port
	movl $0x06, acpi_reset_value
	jmp 2f
1:	PRINT "(reset register from the FADT)\n"
2:	PRINT "resetting through the ACPI reset register ("
	mov acpi_reset_port, %eax
	call put_hex32
	PRINT " <- "
	mov acpi_reset_value, %eax
	call put_hex8
	PRINT ")\n"
	call acpi_reset
	PRINT "FAIL: still running after the ACPI reset\n"
	jmp reset_failed

reset_triple_fault:
	PRINT "resetting through a triple fault (empty IDT, ud2)\n"
	lidt null_idt_desc
	ud2
	PRINT "FAIL: still running after the triple fault\n"

reset_failed:
	mov $EXIT_FAIL, %eax
	call debug_exit
	jmp halt_forever

	.section .rodata
key_reboots:
	.asciz "reboots="
	.align 4
	.word 0
null_idt_desc:
	.word 0
	.long 0
	.text
