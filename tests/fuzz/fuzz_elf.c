/* libFuzzer harness for the ELF/PVH loader (ELF32/64 headers, program headers, notes, start_info):
 * the input is the kernel image, loaded into a small guest RAM; odd-sized inputs also get an
 * initrd. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vslice/boot.h"

#define FUZZ_RAM_SIZE (4ULL << 20)

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
	if (elf_load(&gm, &in, &bs, &eb) == 0) {
		if (!bs.format)
			abort();
	} else if (eb.msg[0] == 0) {
		abort(); /* every failure must say why */
	}
	free(ram);
	return 0;
}
