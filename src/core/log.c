/* Logging to stderr. */
#include <stdarg.h>
#include <stdio.h>

#include "vslice/log.h"

static enum log_level current_level = LOG_WARN;

void log_set_level(enum log_level level) { current_level = level; }
enum log_level log_get_level(void) { return current_level; }

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > current_level)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines from vCPU threads do not interleave. */
	fprintf(stderr, "vslice: %s\n", line);
}
