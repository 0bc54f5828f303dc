/* fwcfg: reads QEMU's firmware configuration interface (selector port
 * 0x510, data port 0x511, DMA register 0x514) and prints what it finds:
 * signature, feature bits, RAM size, CPU counts, the file directory and the
 * contents of opt/vslice/version. With the DMA feature it also reads items
 * by DMA and checks that a transfer to a non-RAM address reports the error
 * bit. The CPU count is checked against the ACPI MADT. Exits through
 * debug-exit with 0x10 (VMM status 33) if every check passed, 0x11 (status
 * 35) otherwise. Runs under QEMU too (-device isa-debug-exit). System test:
 * test_fwcfg. */
#include "guest.inc"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA_HI 0x514
#define FW_CFG_PORT_DMA_LO 0x518
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_VERSION_DMA 0x02
#define DMA_CTL_ERROR 0x01
#define DMA_CTL_READ 0x02
#define DMA_CTL_SELECT 0x08
#define MAX_LISTED_FILES 64 /* the directory is untrusted: bound the walk */
#define SIG_QEMU 0x554d4551 /* "QEMU" read as a little-endian dword */
#define SIG_CFG 0x47464320  /* " CFG" */

/* CHECK_FAIL "text": prints FAIL: text and counts a failure. */
.macro CHECK_FAIL str
	PRINT "FAIL: \str\n"
	incl fails
.endm

guest_main:
	PRINT "fwcfg guest\n"
	mov $FW_CFG_SIGNATURE, %eax
	call fw_select
	call fw_read32
	PRINT "fw_cfg signature "
	call put_sig
	PRINT "\n"
	cmp $SIG_QEMU, %eax
	je 1f
	CHECK_FAIL "no fw_cfg signature at port 0x510"
	jmp finish

1:	mov $FW_CFG_ID, %eax
	call fw_select
	call fw_read32
	mov %eax, fw_id
	PRINT "fw_cfg id "
	call put_hex32
	PRINT "\n"
	test $1, %eax
	jnz 2f
	CHECK_FAIL "FW_CFG_ID bit 0 (traditional interface) clear"

2:	mov $FW_CFG_RAM_SIZE, %eax
	call fw_select
	call fw_read32
	mov %eax, %ebx /* low */
	call fw_read32
	mov %eax, %edx /* high */
	PRINT "fw_cfg ram_size "
	call put_hex32
	mov %ebx, %eax
	mov $4, %ecx
1:	rol $8, %eax
	call put_hex8
	dec %ecx
	jnz 1b
	/* MiB = (high << 12) | (low >> 20), exact below 4 PiB */
	mov %edx, %eax
	shl $12, %eax
	shr $20, %ebx
	or %ebx, %eax
	PRINT " ("
	call put_dec
	PRINT " MiB)\n"
	test %eax, %eax
	jnz 3f
	CHECK_FAIL "RAM size below 1 MiB"

3:	mov $FW_CFG_NB_CPUS, %eax
	call fw_select
	call fw_read16
	mov %eax, fw_nb_cpus
	PRINT "fw_cfg nb_cpus "
	call put_dec
	PRINT "\n"
	mov $FW_CFG_MAX_CPUS, %eax
	call fw_select
	call fw_read16
	PRINT "fw_cfg max_cpus "
	call put_dec
	PRINT "\n"
	cmp fw_nb_cpus, %eax
	jae 4f
	CHECK_FAIL "max_cpus below nb_cpus"
4:	call madt_parse
	jc 5f
	mov madt_ncpus, %eax
	cmp fw_nb_cpus, %eax
	je 5f
	CHECK_FAIL "nb_cpus differs from the MADT's CPU count"

5:	call list_files
	call show_version
	testl $FW_CFG_VERSION_DMA, fw_id
	jz finish
	call dma_checks

finish:
	cmpl $0, fails
	jne 9f
	PRINT "all checks passed\n"
	mov $EXIT_PASS, %eax
	call debug_exit
	ret
9:	PRINT "checks failed: "
	mov fails, %eax
	call put_dec
	PRINT "\n"
	mov $EXIT_FAIL, %eax
	call debug_exit
	ret

/* Walks FW_CFG_FILE_DIR: "fw_cfg files N", then one line per entry
 * "fw_cfg file 0xSSSS size N NAME"; remembers opt/vslice/version. */
list_files:
	pusha
	mov $FW_CFG_FILE_DIR, %eax
	call fw_select
	call fw_read32
	bswap %eax
	mov %eax, %ecx
	PRINT "fw_cfg files "
	call put_dec
	PRINT "\n"
	cmp $MAX_LISTED_FILES, %ecx
	jbe 1f
	CHECK_FAIL "implausible file count"
	mov $MAX_LISTED_FILES, %ecx
1:	test %ecx, %ecx
	jz 9f
2:	call fw_read32
	bswap %eax
	mov %eax, %ebx /* size */
	call fw_read16
	xchg %al, %ah /* big-endian select */
	mov %eax, %edx
	call fw_read16 /* reserved */
	mov $file_name, %edi
	push %ecx
	mov $56, %ecx
	call fw_read_bytes
	pop %ecx
	movb $0, file_name + 55
	PRINT "fw_cfg file 0x"
	mov %edx, %eax
	xchg %al, %ah
	call put_hex8
	xchg %al, %ah
	call put_hex8
	PRINT " size "
	mov %ebx, %eax
	call put_dec
	PRINT " "
	mov $file_name, %esi
	call put_str
	PRINT "\n"
	/* opt/vslice/version? */
	push %ecx
	mov $file_name, %esi
	mov $version_name, %edi
	mov $version_name_len, %ecx
	repe cmpsb
	pop %ecx
	jne 3f
	mov %edx, version_select
	mov %ebx, version_size
3:	dec %ecx
	jnz 2b
9:	popa
	ret

/* Prints "fw_cfg opt/vslice/version: TEXT" (up to 63 bytes, up to the
 * first newline) if the directory listed it. The directory walk left the
 * data offset in the directory, so selecting again is required. */
show_version:
	pusha
	mov version_select, %eax
	test %eax, %eax
	jz 9f
	call fw_select
	mov version_size, %ecx
	cmp $63, %ecx
	jbe 1f
	mov $63, %ecx
1:	mov $file_name, %edi
	call fw_read_bytes
	movb $0, (%edi,%ecx)
	mov $file_name, %esi
2:	lodsb /* cut at the first newline */
	test %al, %al
	jz 3f
	cmp $'\n', %al
	jne 2b
	movb $0, -1(%esi)
3:	PRINT "fw_cfg opt/vslice/version: "
	mov $file_name, %esi
	call put_str
	PRINT "\n"
9:	popa
	ret

/* DMA: the register reads "QEMU CFG"; a select+read of the signature and
 * of FW_CFG_NB_CPUS by DMA give the same as the ports; a read to an
 * address that is not RAM sets the error bit. */
dma_checks:
	pusha
	mov $FW_CFG_PORT_DMA_HI, %dx
	inl %dx, %eax
	mov %eax, %ebx
	mov $FW_CFG_PORT_DMA_LO, %dx
	inl %dx, %eax
	PRINT "fw_cfg dma register "
	xchg %eax, %ebx
	call put_sig
	xchg %eax, %ebx
	call put_sig
	PRINT "\n"
	cmp $SIG_CFG, %eax
	jne 1f
	cmp $SIG_QEMU, %ebx
	je 2f
1:	CHECK_FAIL "DMA register does not read QEMU CFG"

2:	movl $0xaaaaaaaa, dma_buf
	mov $(FW_CFG_SIGNATURE << 16 | DMA_CTL_SELECT | DMA_CTL_READ), %eax
	mov $4, %ecx
	xor %edx, %edx /* address high */
	mov $dma_buf, %ebx
	call dma_transfer
	PRINT "fw_cfg dma signature "
	mov dma_buf, %eax
	call put_sig
	PRINT ", control "
	mov dma_desc, %eax
	bswap %eax
	call put_hex32
	PRINT "\n"
	test %eax, %eax
	jnz 3f
	cmpl $SIG_QEMU, dma_buf
	je 4f
3:	CHECK_FAIL "DMA read of the signature"

4:	movl $0xaaaaaaaa, dma_buf
	mov $(FW_CFG_NB_CPUS << 16 | DMA_CTL_SELECT | DMA_CTL_READ), %eax
	mov $4, %ecx /* 2 bytes of item, then 2 zero bytes past its end */
	xor %edx, %edx
	mov $dma_buf, %ebx
	call dma_transfer
	PRINT "fw_cfg dma nb_cpus "
	mov dma_buf, %eax
	call put_dec
	PRINT "\n"
	cmp fw_nb_cpus, %eax
	je 5f
	CHECK_FAIL "DMA read of nb_cpus differs from the port read"

	/* 8 bytes to 0x8000_0000_0000_0000: no RAM there on any PC. */
5:	mov $(FW_CFG_SIGNATURE << 16 | DMA_CTL_SELECT | DMA_CTL_READ), %eax
	mov $8, %ecx
	mov $0x80000000, %edx
	xor %ebx, %ebx
	call dma_transfer
	mov dma_desc, %eax
	bswap %eax
	PRINT "fw_cfg dma to a bad address: control "
	call put_hex32
	PRINT "\n"
	test $DMA_CTL_ERROR, %eax
	jnz 9f
	CHECK_FAIL "DMA to a non-RAM address did not set the error bit"
9:	popa
	ret

/* EAX = control, ECX = length, EDX:EBX = destination. Fills dma_desc
 * (big-endian fields) and starts it with a 32-bit write of its address to
 * the low half of the DMA register (the high half is 0 after every
 * operation). The transfer is synchronous. */
dma_transfer:
	push %eax
	push %edx
	bswap %eax
	mov %eax, dma_desc
	bswap %ecx
	mov %ecx, dma_desc + 4
	bswap %ecx
	bswap %edx
	mov %edx, dma_desc + 8
	bswap %ebx
	mov %ebx, dma_desc + 12
	bswap %ebx
	mov $dma_desc, %eax
	bswap %eax
	mov $FW_CFG_PORT_DMA_LO, %dx
	outl %eax, %dx
	pop %edx
	pop %eax
	ret

/* EAX = key: selects the item (data offset back to 0). */
fw_select:
	push %edx
	mov $FW_CFG_PORT_SEL, %dx
	outw %ax, %dx
	pop %edx
	ret

/* Reads ECX bytes from the data port to EDI. */
fw_read_bytes:
	push %eax
	push %ecx
	push %edx
	push %edi
	mov $FW_CFG_PORT_DATA, %dx
	test %ecx, %ecx
	jz 2f
1:	inb %dx, %al
	stosb
	loop 1b
2:	pop %edi
	pop %edx
	pop %ecx
	pop %eax
	ret

/* Returns in EAX the next 4 (fw_read32) or 2 (fw_read16, zero-extended)
 * data bytes as a little-endian number. */
fw_read32:
	push %ecx
	push %edi
	mov $4, %ecx
	jmp 1f
fw_read16:
	push %ecx
	push %edi
	movl $0, fw_scratch
	mov $2, %ecx
1:	mov $fw_scratch, %edi
	call fw_read_bytes
	mov fw_scratch, %eax
	pop %edi
	pop %ecx
	ret

	.section .rodata
version_name:
	.asciz "opt/vslice/version"
	.set version_name_len, . - version_name

	.bss
	.align 16
dma_desc: .skip 16
dma_buf: .long 0
fw_scratch: .long 0
fw_id: .long 0
fw_nb_cpus: .long 0
fails: .long 0
version_select: .long 0
version_size: .long 0
file_name: .skip 64
	.text
