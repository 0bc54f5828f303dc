/* LD_PRELOAD helper for bench/startup.py: when the measured program exits,
 * appends its peak resident set (VmHWM, KiB) to $BENCH_HWM_FILE. The same
 * measurement for vslice and QEMU; unlike ru_maxrss from the parent it
 * does not include the forking parent's memory before exec. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((destructor)) static void report_hwm(void)
{
	const char *out = getenv("BENCH_HWM_FILE");
	if (!out)
		return;
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kib = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dprintf(fd, "%lu\n", kib);
		close(fd);
	}
}
