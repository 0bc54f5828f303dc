/* Kernel format dispatch: tries bzImage, then Multiboot, then ELF. */
#include "boot_common.h"

int boot_load(struct guest_mem *gm, const struct boot_images *in, struct boot_state *out,
	      struct errbuf *eb)
{
	const char *name = boot_kernel_name(in);
	if (!in->kernel || in->kernel_size == 0)
		return errbuf_set(eb, "%s: empty file", name);
	if (bzimage_probe(in->kernel, in->kernel_size))
		return bzimage_load(gm, in, out, eb);
	if (multiboot_probe(in->kernel, in->kernel_size))
		return multiboot_load(gm, in, out, eb);
	if (elf_probe(in->kernel, in->kernel_size))
		return elf_load(gm, in, out, eb);
	return errbuf_set(eb, "%s: not a bzImage, Multiboot or ELF kernel", name);
}
