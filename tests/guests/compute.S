/* compute: a compute-bound guest for the software-CPU benchmark
 * (bench/emu_compute.py). Runs N iterations of an integer loop, N from
 * "iters=N" on the command line (default 1000000), mixing a xorshift32
 * generator, a table-driven CRC-32 step (memory reads) and a scatter into a
 * 16 KiB array (memory read-modify-writes); then prints
 *   compute iters N checksum 0xXXXXXXXX
 * and powers off through ACPI. The checksum depends on every iteration, so
 * two VMMs that print the same one executed the same work.
 *
 * The loop, from compute_loop to compute_loop_end, is straight-line code
 * closed by one jnz: every iteration executes exactly the instructions
 * between those labels (COMPUTE_LOOP_INSNS, below; bench/emu_compute.py
 * checks the number against objdump). */
#include "guest.inc"

#define DEFAULT_ITERS 1000000
#define WORK_WORDS 4096 /* power of two: 16 KiB */
#define CRC32_POLY 0xedb88320 /* reflected CRC-32 */
/* xorshift 9 + crc 4 + scatter 3 + counter 2 */
#define COMPUTE_LOOP_INSNS 18

guest_main:
	mov $key_iters, %esi
	call cmdline_uint
	jnc 1f
	mov $DEFAULT_ITERS, %eax
1:	mov %eax, iters
	call crc_table_init
	mov iters, %ecx
	mov $0x2545f491, %eax /* xorshift state: any non-zero seed */
	mov $0xffffffff, %ebx /* CRC register */
	test %ecx, %ecx
	jz compute_done
	.globl compute_loop, compute_loop_end
compute_loop:
	/* xorshift32: x ^= x << 13; x ^= x >> 17; x ^= x << 5 */
	mov %eax, %edx
	shl $13, %edx
	xor %edx, %eax
	mov %eax, %edx
	shr $17, %edx
	xor %edx, %eax
	mov %eax, %edx
	shl $5, %edx
	xor %edx, %eax
	/* CRC-32 of the low byte of x: crc = (crc >> 8) ^ T[(crc ^ x) & 0xff] */
	movzbl %al, %edx
	xor %bl, %dl
	shr $8, %ebx
	xor crc_table(,%edx,4), %ebx
	/* scatter: work[x % WORK_WORDS] += crc */
	mov %eax, %edx
	and $(WORK_WORDS - 1), %edx
	add %ebx, work(,%edx,4)
	dec %ecx
	jnz compute_loop
compute_loop_end:
compute_done:
	/* checksum = fold(work) ^ x ^ crc (fixed cost, same for every N) */
	mov %eax, %edi
	xor %ebx, %edi
	xor %esi, %esi
2:	rol $5, %edi
	add work(,%esi,4), %edi
	inc %esi
	cmp $WORK_WORDS, %esi
	jb 2b
	PRINT "compute iters "
	mov iters, %eax
	call put_dec
	PRINT " checksum "
	mov %edi, %eax
	call put_hex32
	PRINT "\n"
	ret

/* Fills crc_table with the 256 reflected CRC-32 entries. */
crc_table_init:
	pusha
	xor %esi, %esi
1:	mov %esi, %eax
	mov $8, %ecx
2:	shr $1, %eax
	jnc 3f
	xor $CRC32_POLY, %eax
3:	loop 2b
	mov %eax, crc_table(,%esi,4)
	inc %esi
	cmp $256, %esi
	jb 1b
	popa
	ret

	.section .rodata
key_iters:
	.asciz "iters="

	.bss
	.align 64
crc_table: .skip 256 * 4
work: .skip WORK_WORDS * 4
iters: .long 0
	.text
