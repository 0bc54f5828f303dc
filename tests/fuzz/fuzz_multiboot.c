/* libFuzzer harness for the Multiboot loader (header search, address
 * fields, ELF segments, info structure). */
#include "fuzz_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_loader(data, size, multiboot_load, NULL);
	return 0;
}
