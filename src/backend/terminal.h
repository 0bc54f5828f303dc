/* Raw terminal mode with guaranteed restoration. */
#ifndef VSLICE_BACKEND_TERMINAL_H
#define VSLICE_BACKEND_TERMINAL_H

/* Puts the terminal on fd into raw mode; -1 if fd is not a terminal. */
int terminal_make_raw(int fd);
/* Restores the terminal if it was made raw; safe to call many times. */
void terminal_restore(void);

#endif
