/* A caller-provided buffer for a one-line error message.
 * Functions that can fail on user input take `struct errbuf *` and fill it
 * with a message that names the input and, where possible, the fix. */
#ifndef VSLICE_ERRBUF_H
#define VSLICE_ERRBUF_H

#include <stddef.h>

struct errbuf {
	char msg[512];
};

/* Formats into eb (if eb != NULL) and returns -1, so callers can write
 * `return errbuf_set(eb, "...")`. */
int errbuf_set(struct errbuf *eb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
