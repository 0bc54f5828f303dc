/* Shared body of the boot-loader fuzz harnesses: the input is the kernel
 * image, loaded into a small guest RAM (odd-sized inputs also get an
 * initrd). A failure must say why; a success must name its format and pass
 * the harness's own check. */
#ifndef VSLICE_FUZZ_LOADER_H
#define VSLICE_FUZZ_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "vslice/boot.h"

#define FUZZ_RAM_SIZE (4ULL << 20)

typedef int (*fuzz_load_fn)(struct guest_mem *gm, const struct boot_images *in,
			    struct boot_state *out, struct errbuf *eb);
/* Returns false if a successful load left an impossible boot state. */
typedef bool (*fuzz_check_fn)(const struct boot_state *bs);

static inline void fuzz_loader(const uint8_t *data, size_t size, fuzz_load_fn load,
			       fuzz_check_fn check)
{
	static const uint8_t initrd[] = "070701 fuzz initrd";
	uint8_t *ram = calloc(1, FUZZ_RAM_SIZE);
	if (!ram)
		return;
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
	if (load(&gm, &in, &bs, &eb) == 0) {
		if (!bs.format || (check && !check(&bs)))
			abort();
	} else if (eb.msg[0] == 0) {
		abort(); /* every failure must say why */
	}
	free(ram);
}

#endif
