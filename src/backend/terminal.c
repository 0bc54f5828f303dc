/* Raw mode for the controlling terminal, restored on every exit path:
 * normal exit (atexit), fatal signals (handler restores, then re-raises)
 * and explicit calls. The saved state is process-wide by nature: there is
 * one terminal. */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "terminal.h"

static struct termios saved_termios;
static volatile sig_atomic_t raw_active;
static int raw_fd = -1;

void terminal_restore(void)
{
	if (raw_active) {
		tcsetattr(raw_fd, TCSAFLUSH, &saved_termios);
		raw_active = 0;
	}
}

static void restore_and_reraise(int sig)
{
	terminal_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

int terminal_make_raw(int fd)
{
	static bool hooks_installed;
	if (!isatty(fd) || tcgetattr(fd, &saved_termios) < 0)
		return -1;
	raw_fd = fd;
	if (!hooks_installed) {
		atexit(terminal_restore);
		static const int sigs[] = { SIGTERM, SIGHUP, SIGQUIT, SIGINT, SIGABRT,
					    SIGSEGV, SIGBUS, SIGILL, SIGFPE };
		for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			struct sigaction sa;
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = restore_and_reraise;
			sigemptyset(&sa.sa_mask);
			sigaction(sigs[i], &sa, NULL);
		}
		hooks_installed = true;
	}
	struct termios raw = saved_termios;
	cfmakeraw(&raw);
	/* Keep output processing so guest "\n" lines stay readable. */
	raw.c_oflag |= OPOST | ONLCR;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSAFLUSH, &raw) < 0)
		return -1;
	raw_active = 1;
	return 0;
}
