/* Host side of the serial console: stdio (with a raw terminal and the
 * Ctrl-A escape), a file, a pseudo-terminal, or a Unix socket. */
#ifndef VSLICE_CHARDEV_H
#define VSLICE_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vslice/config.h"
#include "vslice/errbuf.h"

struct chardev {
	enum serial_kind kind;
	int in_fd;     /* where guest input comes from, -1 if none */
	int out_fd;    /* where guest output goes, -1 if nowhere right now */
	int listen_fd; /* socket: the listening socket */
	char *socket_path; /* unlinked on close */
	bool escape;   /* Ctrl-A escape active (stdin is a terminal) */
	bool escape_pending;
	bool in_eof;
};

int chardev_open(struct chardev *c, const struct vm_config *cfg, struct errbuf *eb);
void chardev_close(struct chardev *c);
/* Writes guest output; drops it if there is no reader (socket without a
 * client). Never blocks forever on a full pty. */
void chardev_write(struct chardev *c, const uint8_t *buf, size_t len);
/* The descriptor to poll for input, or -1. */
int chardev_poll_fd(const struct chardev *c);
/* Called when chardev_poll_fd() is readable. Returns the number of bytes
 * for the guest in buf (0 is fine), and sets *quit when the user typed the
 * quit escape (Ctrl-A x). */
size_t chardev_read(struct chardev *c, uint8_t *buf, size_t len, bool *quit);

#endif
