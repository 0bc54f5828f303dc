/* Parsing and checking of VM configuration values given by the user. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vslice/config.h"

void vm_config_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->accel = "auto";
	cfg->cmdline = "";
	cfg->ncpus = 1;
	cfg->mem_size = VM_DEFAULT_MEMORY;
	cfg->serial = SERIAL_STDIO;
	cfg->on_reboot = ON_REBOOT_RESTART;
}

int parse_size(const char *opt, const char *s, uint64_t *out, struct errbuf *eb)
{
	if (!s || !isdigit((unsigned char)s[0]))
		return errbuf_set(eb, "%s %s: not a size; use a number with an optional K, M or G suffix (plain numbers are MiB)",
				  opt, s ? s : "");
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return errbuf_set(eb, "%s %s: number too large", opt, s);
	unsigned shift = 20; /* plain numbers are MiB, as QEMU's -m */
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default:
			return errbuf_set(eb, "%s %s: unknown suffix '%c'; use K, M or G", opt, s, *end);
		}
		end++;
		if (toupper((unsigned char)*end) == 'I')
			end++;
		if (toupper((unsigned char)*end) == 'B')
			end++;
		if (*end)
			return errbuf_set(eb, "%s %s: trailing characters after the size", opt, s);
	}
	if (v > (UINT64_MAX >> shift))
		return errbuf_set(eb, "%s %s: number too large", opt, s);
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_uint(const char *opt, const char *s, unsigned min, unsigned max,
	       unsigned *out, struct errbuf *eb)
{
	if (!s || !isdigit((unsigned char)s[0]))
		return errbuf_set(eb, "%s %s: not a number; use %u to %u", opt, s ? s : "", min, max);
	errno = 0;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || errno == ERANGE || v < min || v > max)
		return errbuf_set(eb, "%s %s: must be a whole number from %u to %u", opt, s, min, max);
	*out = (unsigned)v;
	return 0;
}

int parse_serial(const char *s, struct vm_config *cfg, struct errbuf *eb)
{
	if (strcmp(s, "stdio") == 0) {
		cfg->serial = SERIAL_STDIO;
	} else if (strcmp(s, "pty") == 0) {
		cfg->serial = SERIAL_PTY;
	} else if (strncmp(s, "file:", 5) == 0 && s[5]) {
		cfg->serial = SERIAL_FILE;
		cfg->serial_path = s + 5;
	} else if (strncmp(s, "socket:", 7) == 0 && s[7]) {
		cfg->serial = SERIAL_SOCKET;
		cfg->serial_path = s + 7;
	} else {
		return errbuf_set(eb, "--serial %s: unknown; use stdio, file:PATH, pty or socket:PATH", s);
	}
	return 0;
}

int parse_on_reboot(const char *s, struct vm_config *cfg, struct errbuf *eb)
{
	if (strcmp(s, "restart") == 0)
		cfg->on_reboot = ON_REBOOT_RESTART;
	else if (strcmp(s, "exit") == 0)
		cfg->on_reboot = ON_REBOOT_EXIT;
	else
		return errbuf_set(eb, "--on-reboot %s: unknown; use restart or exit", s);
	return 0;
}

int parse_accel(const char *s, struct vm_config *cfg, struct errbuf *eb)
{
	if (strcmp(s, "kvm") && strcmp(s, "emu") && strcmp(s, "auto"))
		return errbuf_set(eb, "--accel %s: unknown; use kvm, emu or auto", s);
	cfg->accel = s;
	return 0;
}

int check_memory(uint64_t size, uint64_t host_ram, struct errbuf *eb)
{
	if (size < VM_MIN_MEMORY)
		return errbuf_set(eb, "--memory %lluK: must be at least %lluM",
				  (unsigned long long)(size >> 10),
				  (unsigned long long)(VM_MIN_MEMORY >> 20));
	if (size & 0xfff)
		return errbuf_set(eb, "--memory %llu bytes: must be a multiple of 4K",
				  (unsigned long long)size);
	if (host_ram && size > host_ram)
		return errbuf_set(eb, "--memory %lluM: more than this host's %lluM of RAM; choose less",
				  (unsigned long long)(size >> 20),
				  (unsigned long long)(host_ram >> 20));
	return 0;
}
