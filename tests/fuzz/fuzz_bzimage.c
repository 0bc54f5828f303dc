/* libFuzzer harness for the bzImage loader (setup header, zero page, initrd placement, and the
 * fast path: host decompression of the gzip/xz/lzma/zstd/lz4 payload and loading of the ELF64
 * vmlinux inside it): the input is the kernel image, loaded into a small guest RAM; odd-sized
 * inputs also get an initrd. Seeds under seeds/bzimage carry small compressed vmlinux payloads
 * linked at 1 MiB so that the fast path is reached. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vslice/boot.h"
#include "vslice/log.h"

#define FUZZ_RAM_SIZE (4ULL << 20)
#define COMPRESSED_ENTRY 0x100200 /* 1 MiB + 0x200: the kernel decompresses itself */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR); /* fall-back warnings on every input are noise here */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[] = "070701 fuzz initrd";
	uint8_t *ram = calloc(1, FUZZ_RAM_SIZE);
	if (!ram)
		return 0;
	struct guest_mem gm;
	guest_mem_init_buffer(&gm, ram, FUZZ_RAM_SIZE);
	struct boot_images in = {
	    .kernel = data,
	    .kernel_size = size,
	    .kernel_name = "fuzz",
	    .cmdline = "console=ttyS0",
	    .acpi_rsdp = 0xe0000,
	    .ncpus = 1,
	};
	if (size & 1) {
		in.initrd = initrd;
		in.initrd_size = sizeof(initrd);
		in.initrd_name = "fuzz-initrd";
	}
	struct boot_state bs;
	struct errbuf eb = {{0}};
	if (bzimage_load(&gm, &in, &bs, &eb) == 0) {
		if (!bs.format || bs.mode != BOOT_MODE_LONG64 || bs.rsi != BOOT_INFO_ADDR)
			abort();
		/* A vmlinux entry lies inside a segment that was loaded into RAM. */
		if (bs.entry != COMPRESSED_ENTRY && bs.entry >= FUZZ_RAM_SIZE)
			abort();
	} else if (eb.msg[0] == 0) {
		abort(); /* every failure must say why */
	}
	free(ram);
	return 0;
}
