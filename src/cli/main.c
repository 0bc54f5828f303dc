/* vslice command line: `vslice run [options]`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vslice/config.h"
#include "vslice/log.h"
#include "vslice/vm.h"

static const char usage_text[] =
    "Usage: vslice run [options]\n"
    "       vslice --help | --version\n"
    "\n"
    "Runs one virtual machine in this process until the guest powers off.\n"
    "\n"
    "Options:\n"
    "  --accel kvm|emu|auto   accelerator (default auto: KVM when /dev/kvm is usable and\n"
    "                         the CPU has VT-x/AMD-V, else the software CPU)\n"
    "  --kernel PATH          kernel: Linux bzImage, ELF (64-bit or PVH) or Multiboot\n"
    "                         (default: the demo guest next to the binary, guests/demo.elf)\n"
    "  --initrd PATH          initial ramdisk (bzImage: initrd; Multiboot/PVH: module)\n"
    "  --cmdline STR          kernel command line\n"
    "  --cpus N               number of vCPUs, 1 to 64 (default 1)\n"
    "  --memory SIZE          guest RAM; K, M or G suffix, plain numbers are MiB\n"
    "                         (default 256M, at least 16M)\n"
    "  --serial stdio|file:PATH|pty|socket:PATH\n"
    "                         where COM1 goes (default stdio)\n"
    "  --on-reboot restart|exit\n"
    "                         on guest reboot, boot again (default) or exit 0\n"
    "  -v, --verbose          more messages on stderr (repeat for debug)\n"
    "\n"
    "On a terminal (--serial stdio), Ctrl-A x quits and Ctrl-A Ctrl-A sends Ctrl-A;\n"
    "every other key, Ctrl-C included, goes to the guest.\n"
    "\n"
    "Exit status: 0 guest powered off (or Ctrl-A x), 1 VMM or host failure,\n"
    "2 bad usage or input, (V << 1) | 1 when the guest writes V to the\n"
    "debug-exit port 0xf4, 128+N when stopped by signal N.\n";

enum { OPT_ACCEL = 256, OPT_KERNEL, OPT_INITRD, OPT_CMDLINE, OPT_CPUS, OPT_MEMORY,
       OPT_SERIAL, OPT_ON_REBOOT, OPT_HELP, OPT_VERSION };

static const struct option run_options[] = {
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "on-reboot", required_argument, NULL, OPT_ON_REBOOT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int usage_error(const char *msg)
{
	fprintf(stderr, "vslice: %s\n", msg);
	fprintf(stderr, "Try 'vslice --help'.\n");
	return VM_EXIT_USAGE;
}

static int parse_run(int argc, char **argv, struct vm_config *cfg)
{
	struct errbuf eb;
	int verbose = 0, opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":v", run_options, NULL)) != -1) {
		int r = 0;
		switch (opt) {
		case OPT_ACCEL: r = parse_accel(optarg, cfg, &eb); break;
		case OPT_KERNEL: cfg->kernel = optarg; break;
		case OPT_INITRD: cfg->initrd = optarg; break;
		case OPT_CMDLINE: cfg->cmdline = optarg; break;
		case OPT_CPUS: r = parse_uint("--cpus", optarg, 1, VM_MAX_CPUS, &cfg->ncpus, &eb); break;
		case OPT_MEMORY: r = parse_size("--memory", optarg, &cfg->mem_size, &eb); break;
		case OPT_SERIAL: r = parse_serial(optarg, cfg, &eb); break;
		case OPT_ON_REBOOT: r = parse_on_reboot(optarg, cfg, &eb); break;
		case 'v': verbose++; break;
		case OPT_HELP: fputs(usage_text, stdout); return -1;
		case ':':
			snprintf(eb.msg, sizeof(eb.msg), "%s: needs a value", argv[optind - 1]);
			return usage_error(eb.msg);
		default:
			snprintf(eb.msg, sizeof(eb.msg), "unknown option %s", argv[optind - 1]);
			return usage_error(eb.msg);
		}
		if (r < 0)
			return usage_error(eb.msg);
	}
	if (optind < argc) {
		snprintf(eb.msg, sizeof(eb.msg), "unexpected argument '%s'", argv[optind]);
		return usage_error(eb.msg);
	}
	log_set_level(verbose >= 2 ? LOG_DEBUG : verbose == 1 ? LOG_INFO : LOG_WARN);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("missing command; use `vslice run [options]`");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("vslice 0.1");
		return 0;
	}
	if (strcmp(argv[1], "run") != 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "unknown command '%s'; use `vslice run [options]`", argv[1]);
		return usage_error(msg);
	}
	struct vm_config cfg;
	vm_config_defaults(&cfg);
	int r = parse_run(argc - 1, argv + 1, &cfg);
	if (r != 0)
		return r < 0 ? 0 : r;

	static struct vm vm;
	struct errbuf eb;
	int status;
	if (vm_create(&vm, &cfg, &status, &eb) < 0) {
		fprintf(stderr, "vslice: %s\n", eb.msg);
		return status;
	}
	status = vm_run(&vm);
	vm_destroy(&vm);
	return status;
}
