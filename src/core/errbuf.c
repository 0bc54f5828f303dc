/* One-line error messages handed back to the caller. */
#include <stdarg.h>
#include <stdio.h>

#include "vslice/errbuf.h"

int errbuf_set(struct errbuf *eb, const char *fmt, ...)
{
	if (eb) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}
