/* libFuzzer harness for the bzImage loader (setup header, zero page, initrd placement, and the
 * fast path: host decompression of the gzip/xz/lzma/zstd/lz4 payload and loading of the ELF64
 * vmlinux inside it): the input is the kernel image, loaded into a small guest RAM; odd-sized
 * inputs also get an initrd. Seeds under seeds/bzimage carry small compressed vmlinux payloads
 * linked at 1 MiB so that the fast path is reached. */
#include "fuzz_loader.h"
#include "vslice/log.h"

#define COMPRESSED_ENTRY 0x100200 /* 1 MiB + 0x200: the kernel decompresses itself */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR); /* fall-back warnings on every input are noise here */
	return 0;
}

/* 64-bit entry with the zero page in rsi; a vmlinux entry lies inside a
 * segment that was loaded into RAM. */
static bool check_bzimage(const struct boot_state *bs)
{
	if (bs->mode != BOOT_MODE_LONG64 || bs->rsi != BOOT_INFO_ADDR)
		return false;
	return bs->entry == COMPRESSED_ENTRY || bs->entry < FUZZ_RAM_SIZE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_loader(data, size, bzimage_load, check_bzimage);
	return 0;
}
