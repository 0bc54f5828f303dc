/* libFuzzer harness for the ELF/PVH loader (ELF32/64 headers, program
 * headers, notes, start_info). */
#include "fuzz_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_loader(data, size, elf_load, NULL);
	return 0;
}
