/* Serial console back-ends: stdio, file:PATH, pty, socket:PATH. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "terminal.h"
#include "vslice/chardev.h"
#include "vslice/log.h"

#define ESCAPE_CHAR 0x01 /* Ctrl-A */

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int open_socket(struct chardev *c, const char *path, struct errbuf *eb)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return errbuf_set(eb, "--serial socket:%s: path longer than %zu bytes",
				  path, sizeof(sa.sun_path) - 1);
	struct stat st;
	if (lstat(path, &st) == 0)
		return errbuf_set(eb, "--serial socket:%s: already exists; remove it or choose another path",
				  path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errbuf_set(eb, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		int e = errno;
		close(fd);
		return errbuf_set(eb, "--serial socket:%s: %s", path, strerror(e));
	}
	set_nonblock(fd);
	c->listen_fd = fd;
	c->socket_path = strdup(path);
	return 0;
}

int chardev_open(struct chardev *c, const struct vm_config *cfg, struct errbuf *eb)
{
	memset(c, 0, sizeof(*c));
	c->kind = cfg->serial;
	c->in_fd = c->out_fd = c->listen_fd = -1;
	switch (cfg->serial) {
	case SERIAL_STDIO:
		c->in_fd = STDIN_FILENO;
		c->out_fd = STDOUT_FILENO;
		if (terminal_make_raw(STDIN_FILENO) == 0)
			c->escape = true;
		return 0;
	case SERIAL_FILE:
		c->out_fd = open(cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->out_fd < 0)
			return errbuf_set(eb, "--serial file:%s: %s", cfg->serial_path, strerror(errno));
		return 0;
	case SERIAL_PTY: {
		int master, slave;
		char name[256];
		if (openpty(&master, &slave, name, NULL, NULL) < 0)
			return errbuf_set(eb, "--serial pty: openpty: %s", strerror(errno));
		/* Keep the slave open so output is not lost before a client
		 * attaches, and so reads do not see EOF/EIO meanwhile. */
		struct termios t;
		if (tcgetattr(slave, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(slave, TCSANOW, &t);
		}
		fcntl(master, F_SETFD, FD_CLOEXEC);
		fcntl(slave, F_SETFD, FD_CLOEXEC);
		set_nonblock(master);
		c->in_fd = c->out_fd = master;
		c->listen_fd = slave; /* held open only */
		fprintf(stderr, "vslice: serial console on %s\n", name);
		return 0;
	}
	case SERIAL_SOCKET:
		return open_socket(c, cfg->serial_path, eb);
	}
	return errbuf_set(eb, "--serial: unknown kind");
}

/* Gives a pty client a moment to read the last output: the slave end we
 * hold open reports how many bytes are still unread (FIONREAD), and they
 * would be lost when the master closes. Bounded, as nobody may be reading. */
static void drain_pty(struct chardev *c)
{
	for (int waited_ms = 0; waited_ms < 300; waited_ms += 10) {
		int unread = 0;
		if (ioctl(c->listen_fd, FIONREAD, &unread) < 0 || unread <= 0)
			return;
		usleep(10 * 1000);
	}
}

void chardev_close(struct chardev *c)
{
	if (c->kind == SERIAL_STDIO) {
		terminal_restore();
		return;
	}
	if (c->kind == SERIAL_PTY && c->listen_fd >= 0)
		drain_pty(c);
	if (c->in_fd >= 0 && c->in_fd != c->out_fd)
		close(c->in_fd);
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->socket_path) {
		unlink(c->socket_path);
		free(c->socket_path);
	}
	c->in_fd = c->out_fd = c->listen_fd = -1;
	c->socket_path = NULL;
}

static void drop_client(struct chardev *c)
{
	if (c->kind == SERIAL_SOCKET && c->in_fd >= 0) {
		close(c->in_fd);
		c->in_fd = c->out_fd = -1;
	}
}

void chardev_write(struct chardev *c, const uint8_t *buf, size_t len)
{
	while (len && c->out_fd >= 0) {
		ssize_t n = write(c->out_fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			/* Wait a little for the reader, then drop (a pty with
			 * nobody reading must not stall the guest). */
			struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };
			if (poll(&p, 1, 10) <= 0)
				return;
		} else {
			drop_client(c);
			return;
		}
	}
}

int chardev_poll_fd(const struct chardev *c)
{
	if (c->kind == SERIAL_SOCKET && c->in_fd < 0)
		return c->listen_fd;
	return c->in_eof ? -1 : c->in_fd;
}

/* Filters input through the Ctrl-A escape: Ctrl-A x quits, Ctrl-A Ctrl-A
 * sends one Ctrl-A, Ctrl-A h prints help; other bytes pass. */
static size_t filter_escape(struct chardev *c, uint8_t *buf, size_t n, bool *quit)
{
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = buf[i];
		if (c->escape_pending) {
			c->escape_pending = false;
			if (ch == 'x' || ch == 'X') {
				*quit = true;
				return out;
			}
			if (ch == 'h' || ch == 'H' || ch == '?') {
				static const char help[] =
				    "\r\nvslice: Ctrl-A x  quit\r\n"
				    "vslice: Ctrl-A Ctrl-A  send Ctrl-A to the guest\r\n";
				chardev_write(c, (const uint8_t *)help, sizeof(help) - 1);
				continue;
			}
			if (ch != ESCAPE_CHAR)
				continue;
			buf[out++] = ch;
			continue;
		}
		if (ch == ESCAPE_CHAR) {
			c->escape_pending = true;
			continue;
		}
		buf[out++] = ch;
	}
	return out;
}

size_t chardev_read(struct chardev *c, uint8_t *buf, size_t len, bool *quit)
{
	*quit = false;
	if (c->kind == SERIAL_SOCKET && c->in_fd < 0) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			c->in_fd = c->out_fd = fd;
		return 0;
	}
	if (c->in_fd < 0)
		return 0;
	ssize_t n = read(c->in_fd, buf, len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		if (c->kind == SERIAL_SOCKET)
			drop_client(c);
		else if (c->kind == SERIAL_STDIO)
			c->in_eof = true; /* guest keeps running; no more input */
		return 0;
	}
	if (n < 0)
		return 0;
	if (c->escape)
		return filter_escape(c, buf, (size_t)n, quit);
	return (size_t)n;
}
