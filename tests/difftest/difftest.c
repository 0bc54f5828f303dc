/* Differential tester driver: generates random cases from seeds (or reads
 * saved ones), runs them natively and in the interpreter, compares GPRs,
 * RFLAGS (minus the bits the SDM leaves undefined for the instruction),
 * XMM registers, MXCSR and the scratch memory, and saves mismatches as
 * regression cases.
 *   difftest [--seed N] [--count N] [--save DIR] [--quiet] [--sse|--x87]
 *            (--sse: only SSE2/MMX cases; --x87: only x87 sequences)
 *   difftest --replay DIR     (CI: every case file in DIR must match) */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt.h"

#define BATCH 2000
#define CMP_FLAGS ((uint64_t)0xcd5) /* CF PF AF ZF SF OF DF */

static const char *exc_name(enum dt_exc e)
{
	static const char *n[] = {"none", "#UD", "#DE/#XM", "#GP/#PF", "#BP", "other"};

	return n[e];
}

/* Describes how a and b differ into buf; returns true if they match. */
static bool compare(const struct dt_case *k, const struct dt_result *nat,
		    const struct dt_result *emu, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	if (nat->exc != emu->exc) {
		snprintf(buf, len, "exception: native %s, emu %s", exc_name(nat->exc),
			 exc_name(emu->exc));
		return false;
	}
	if (nat->exc != DT_OK)
		return true;
	for (unsigned i = 0; i < 16; i++)
		if (nat->out.gpr[i] != emu->out.gpr[i])
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
					      " r%u: native %016" PRIx64 " emu %016" PRIx64, i,
					      nat->out.gpr[i], emu->out.gpr[i]);
	uint64_t fm = CMP_FLAGS & ~(getenv("DT_STRICT") ? 0 : k->flags_undef);

	if ((nat->out.rflags ^ emu->out.rflags) & fm)
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
				      " rflags: native %04" PRIx64 " emu %04" PRIx64 " (diff %03" PRIx64
				      ")",
				      nat->out.rflags & CMP_FLAGS, emu->out.rflags & CMP_FLAGS,
				      (nat->out.rflags ^ emu->out.rflags) & fm);
	for (unsigned i = 0; i < 16; i++)
		if (memcmp(nat->out.xmm[i], emu->out.xmm[i], 16))
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0, " xmm%u differs", i);
	for (unsigned i = 0; i < 8; i++)
		if (nat->out.mm[i] != emu->out.mm[i])
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
					      " mm%u: native %016" PRIx64 " emu %016" PRIx64, i,
					      nat->out.mm[i], emu->out.mm[i]);
	/* x87 TOP and which registers are empty (MMX instructions set TOP 0
	 * and every tag non-empty, EMMS empties them). FNSTENV recomputes the
	 * non-empty tags from the contents, so only "empty" is compared. */
	uint16_t nsw, ntw, esw, etw, nused = 0, eused = 0;

	memcpy(&nsw, nat->out.fenv + 4, 2);
	memcpy(&ntw, nat->out.fenv + 8, 2);
	memcpy(&esw, emu->out.fenv + 4, 2);
	memcpy(&etw, emu->out.fenv + 8, 2);
	for (unsigned i = 0; i < 8; i++) {
		nused |= (uint16_t)((((ntw >> (2 * i)) & 3) != 3) << i);
		eused |= (uint16_t)((((etw >> (2 * i)) & 3) != 3) << i);
	}
	if (((nsw ^ esw) & 0x3800) || nused != eused)
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
				      " x87 top/used: native %u/%02x emu %u/%02x", (nsw >> 11) & 7,
				      nused, (esw >> 11) & 7, eused);
	if (nat->out.mxcsr != emu->out.mxcsr)
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, " mxcsr: native %x emu %x",
				      nat->out.mxcsr, emu->out.mxcsr);
	for (unsigned i = 0; i < DT_SCRATCH_SIZE; i++)
		if (nat->mem[i] != emu->mem[i]) {
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
					      " mem[+%#x]: native %02x emu %02x", i, nat->mem[i],
					      emu->mem[i]);
			break;
		}
	return o == 0;
}

static void print_code(FILE *f, const struct dt_case *k)
{
	for (unsigned i = 0; i < k->len; i++)
		fprintf(f, "%s%02x", i ? " " : "", k->code[i]);
}

static int save_case(const char *dir, const struct dt_case *k, const char *why)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-%016" PRIx64 ".case", dir, k->family, k->mem_seed);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "difftest: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# %s\nfamily: %s\ncode: ", why, k->family);
	print_code(f, k);
	fprintf(f, "\ngpr:");
	for (unsigned i = 0; i < 16; i++)
		fprintf(f, " %" PRIx64, k->in.gpr[i]);
	fprintf(f, "\nrflags: %" PRIx64 "\nxmm:", k->in.rflags);
	for (unsigned i = 0; i < 16; i++) {
		fputc(' ', f);
		for (unsigned j = 0; j < 16; j++)
			fprintf(f, "%02x", k->in.xmm[i][j]);
	}
	fprintf(f, "\nmm:");
	for (unsigned i = 0; i < 8; i++)
		fprintf(f, " %" PRIx64, k->in.mm[i]);
	fprintf(f, "\nmxcsr: %x\nmem_seed: %" PRIx64 "\nundef: %" PRIx64 "\n", k->in.mxcsr,
		k->mem_seed, k->flags_undef);
	fclose(f);
	return 0;
}

static int load_case(const char *path, struct dt_case *k, char *family, size_t flen)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	memset(k, 0, sizeof(*k));
	snprintf(family, flen, "?");
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (!strncmp(line, "family: ", 8)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(family, flen, "%.60s", line + 8);
			family[strcspn(family, "\n")] = 0;
		} else if (!strncmp(line, "code:", 5)) {
			p = line + 5;
			while (k->len < 15) {
				char *end;
				unsigned long b = strtoul(p, &end, 16);

				if (end == p)
					break;
				k->code[k->len++] = (uint8_t)b;
				p = end;
			}
		} else if (!strncmp(line, "gpr:", 4)) {
			p = line + 4;
			for (unsigned i = 0; i < 16; i++)
				k->in.gpr[i] = strtoull(p, &p, 16);
		} else if (!strncmp(line, "rflags:", 7)) {
			k->in.rflags = strtoull(line + 7, NULL, 16);
		} else if (!strncmp(line, "xmm:", 4)) {
			p = line + 4;
			for (unsigned i = 0; i < 16; i++) {
				while (*p == ' ')
					p++;
				for (unsigned j = 0; j < 16 && p[0] && p[1]; j++, p += 2) {
					char hex[3] = {p[0], p[1], 0};

					k->in.xmm[i][j] = (uint8_t)strtoul(hex, NULL, 16);
				}
			}
		} else if (!strncmp(line, "mm:", 3)) {
			p = line + 3;
			for (unsigned i = 0; i < 8; i++)
				k->in.mm[i] = strtoull(p, &p, 16);
		} else if (!strncmp(line, "mxcsr:", 6)) {
			k->in.mxcsr = (uint32_t)strtoul(line + 6, NULL, 16);
		} else if (!strncmp(line, "mem_seed:", 9)) {
			k->mem_seed = strtoull(line + 9, NULL, 16);
		} else if (!strncmp(line, "undef:", 6)) {
			k->flags_undef = strtoull(line + 6, NULL, 16);
		}
	}
	fclose(f);
	return k->len ? 0 : -1;
}

/* Runs n cases; counts and reports mismatches (saving them to dir). */
static unsigned run_batch(struct dt_case *cases, unsigned n, const char *dir, bool quiet,
			  unsigned *exceptions)
{
	struct dt_result *nat = calloc(n, sizeof(*nat));
	struct dt_result emu;
	unsigned bad = 0;
	char why[2048];

	if (!nat || dt_native_run(cases, nat, n) < 0) {
		fprintf(stderr, "difftest: native run failed\n");
		exit(2);
	}
	for (unsigned i = 0; i < n; i++) {
		dt_emu_run(&cases[i], &emu);
		if (nat[i].exc != DT_OK)
			(*exceptions)++;
		if (compare(&cases[i], &nat[i], &emu, why, sizeof(why)))
			continue;
		bad++;
		if (!quiet) {
			printf("MISMATCH %-7s ", cases[i].family);
			print_code(stdout, &cases[i]);
			printf(" :%s\n", why);
		}
		if (dir)
			save_case(dir, &cases[i], why);
	}
	free(nat);
	return bad;
}

static int replay(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned total = 0, bad = 0, exc = 0;

	if (!d) {
		fprintf(stderr, "difftest: --replay %s: %s\n", dir, strerror(errno));
		return 2;
	}
	while ((de = readdir(d))) {
		char path[1024], family[64];
		struct dt_case k;
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".case"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (load_case(path, &k, family, sizeof(family)) < 0) {
			fprintf(stderr, "difftest: %s: unreadable case file\n", path);
			bad++;
			continue;
		}
		k.family = family;
		total++;
		if (run_batch(&k, 1, NULL, false, &exc)) {
			printf("  (from %s)\n", path);
			bad++;
		}
	}
	closedir(d);
	printf("difftest replay: %u cases, %u mismatches\n", total, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, count = 100000;
	const char *save = NULL;
	bool quiet = false, sse_only = false, x87_only = false;

	if (dt_native_reserve() < 0)
		return 2;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--save") && i + 1 < argc)
			save = argv[++i];
		else if (!strcmp(argv[i], "--quiet"))
			quiet = true;
		else if (!strcmp(argv[i], "--sse"))
			sse_only = true;
		else if (!strcmp(argv[i], "--x87"))
			x87_only = true;
		else if (!strcmp(argv[i], "--replay") && i + 1 < argc)
			return replay(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--seed N] [--count N] [--save DIR] [--quiet] [--sse|--x87] | "
					"--replay DIR\n", argv[0]);
			return 2;
		}
	}

	struct dt_rng rng = {seed * 0x9e3779b97f4a7c15ULL + 1};
	struct dt_case *cases = calloc(BATCH, sizeof(*cases));
	uint64_t done = 0, bad = 0;
	unsigned exceptions = 0;

	if (!cases)
		return 2;
	while (done < count) {
		unsigned n = count - done < BATCH ? (unsigned)(count - done) : BATCH;

		for (unsigned i = 0; i < n; i++) {
			if (sse_only)
				dt_gen_sse_case(&rng, &cases[i]);
			else if (x87_only)
				dt_gen_x87_case(&rng, &cases[i]);
			else
				dt_gen(&rng, &cases[i]);
		}
		bad += run_batch(cases, n, save, quiet, &exceptions);
		done += n;
	}
	printf("difftest: seed %" PRIu64 ": %" PRIu64 " cases, %" PRIu64
	       " mismatches, %u raised exceptions natively\n",
	       seed, done, bad, exceptions);
	free(cases);
	return bad ? 1 : 0;
}
