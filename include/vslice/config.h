/* The configuration of one VM, filled from the command line. */
#ifndef VSLICE_CONFIG_H
#define VSLICE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "vslice/errbuf.h"

#define VM_MIN_MEMORY (16ULL << 20)
#define VM_MAX_CPUS 64
#define VM_DEFAULT_MEMORY (256ULL << 20)

enum serial_kind { SERIAL_STDIO, SERIAL_FILE, SERIAL_PTY, SERIAL_SOCKET };
enum on_reboot { ON_REBOOT_RESTART, ON_REBOOT_EXIT };

struct vm_config {
	const char *accel;   /* "kvm", "emu" or "auto" */
	const char *kernel;  /* NULL: the default guest */
	const char *initrd;  /* NULL: none */
	const char *cmdline; /* never NULL after parsing */
	unsigned ncpus;
	uint64_t mem_size;
	enum serial_kind serial;
	const char *serial_path; /* file:/socket: path */
	enum on_reboot on_reboot;
};

void vm_config_defaults(struct vm_config *cfg);

/* Value parsers for options; each names the option in its message. */
int parse_size(const char *opt, const char *s, uint64_t *out, struct errbuf *eb);
int parse_uint(const char *opt, const char *s, unsigned min, unsigned max,
	       unsigned *out, struct errbuf *eb);
int parse_serial(const char *s, struct vm_config *cfg, struct errbuf *eb);
int parse_on_reboot(const char *s, struct vm_config *cfg, struct errbuf *eb);
int parse_accel(const char *s, struct vm_config *cfg, struct errbuf *eb);
/* Checks the memory size against our minimum and what the host has. */
int check_memory(uint64_t size, uint64_t host_ram, struct errbuf *eb);

#endif
