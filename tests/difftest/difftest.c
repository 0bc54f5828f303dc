/* Differential tester driver: generates random cases from seeds (or reads
 * saved ones), runs them natively and in the interpreter, compares GPRs,
 * RFLAGS (minus the bits the SDM leaves undefined for the instruction),
 * XMM registers, MXCSR and the scratch memory, and saves mismatches as
 * regression cases.
 *   difftest [--seed N] [--count N] [--save DIR] [--quiet] [--sse|--x87]
 *            (--sse: only SSE2/MMX cases; --x87: only x87 sequences)
 *   difftest --block [--seed N] [--count N] [--save DIR] [--quiet]
 *            block mode: straight-line sequences of 2..12 (now and then
 *            up to 20) integer instructions (dt_gen_seq(): flag readers
 *            after flag writers, Jcc/JMP with displacement 0, RIP-relative
 *            and 32-bit addresses, self-modifying stores, faults midway),
 *            run in the interpreter through emu_run() with the decoded-
 *            block cache and the block translator (emu_jit.c) when the
 *            host has one (dt_emu.c); at a fault, rip, GPRs, flags and
 *            memory are compared with the native signal's state too
 *            --inputs N (default 4): each sequence runs N times, with
 *            new inputs each time (from the third, half the time one
 *            byte of an immediate changed too); the decoded-block cache
 *            and the translator persist from case to case (within a run,
 *            not in --replay), so a block's translation reruns on other
 *            inputs, the second run links translated blocks, and changed
 *            code at the same address must be found stale, by the lookup
 *            and by a linked jump's check
 *   difftest --via-block [...]  the single-instruction families (and
 *            --sse/--x87) through that same block path
 *   --no-jit    block path without the translator (interpreted blocks)
 *   --jit-size BYTES  the translator's code buffer (default 1 MiB; a small
 *               one makes it empty itself and translate again)
 *   --jit-after N  a block is interpreted N times before it is translated
 *               (default 0; vslice uses 16)
 *   --step      every case through emu_step(), even saved block cases
 *   --icount    on the block path, c->icount must also be the number of
 *               instructions completed (else a wrong count is only
 *               reported, as it is not guest-visible)
 *   --print     only prints the generated cases' code (instructions split
 *               by " | " in sequences), runs nothing
 *   difftest --replay DIR [--via-block|--step|--no-jit|--icount]
 *            (CI: every case file in DIR must match; a case saved from
 *            block mode says "block: 1" and replays through the block path)
 * A mismatch on the block path is run again through the interpreted block
 * path and the step path, to tell a translator bug from an interpreter
 * one, and a sequence is cut down to the instructions it needs to fail
 * (printed, and saved as FAMILY-min-*.case with --save). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt.h"
#include "emu_decode.h"

#define BATCH 2000
#define CMP_FLAGS ((uint64_t)0xcd5) /* CF PF AF ZF SF OF DF */

static bool via_block;
/* Native outcomes by class (none, #UD, ...), for the summary. */
static uint64_t exc_by_class[DT_EXC_OTHER + 1];
/* --icount: a wrong c->icount on the block path is a mismatch (else it
 * is only counted and reported apart). */
static bool icount_strict;
static uint64_t icount_bad;

static const char *exc_name(enum dt_exc e)
{
	static const char *n[] = {"none", "#UD", "#DE/#XM", "#GP/#PF", "#BP", "other"};

	return n[e];
}

/* Instructions of k's code before offset end (split by the decoder). */
static uint64_t insns_before(const struct dt_case *k, uint64_t end)
{
	uint64_t n = 0;
	unsigned pos = 0;

	while (pos < end && pos < k->len) {
		struct emu_insn in;

		if (emu_decode_bytes(k->code + pos, k->len - pos, 64, &in) != EMU_DEC_OK)
			break;
		pos += in.len;
		n++;
	}
	return n;
}

/* Block mode: the instructions the interpreter counted (c->icount) up to
 * the end or the fault; translated code must count as the interpreter. */
static size_t check_icount(const struct dt_case *k, const struct dt_result *emu, char *buf,
			   size_t len)
{
	uint64_t stop = emu->exc == DT_OK ? k->len : emu->fault_rip - DT_CODE_ADDR;
	uint64_t want = insns_before(k, stop);

	if (!k->block || emu->icount == want || stop > k->len || emu->exc == DT_EXC_OTHER)
		return 0; /* (a fault outside the code, after a jump away; a loop) */
	return (size_t)snprintf(buf, len, " icount: %" PRIu64 " instructions done, emu counted %" PRIu64,
				want, emu->icount);
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
	if (nat->exc != DT_OK) {
		/* Block mode: the state at the faulting instruction, when the
		 * native side has it (the signal came from the case's code). */
		if (!k->block || !nat->fault_state || !emu->fault_state || nat->exc == DT_EXC_OTHER)
			return true;
		if (nat->fault_rip != emu->fault_rip)
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
					      " fault rip: native +%#" PRIx64 " emu +%#" PRIx64,
					      (uint64_t)(nat->fault_rip - DT_CODE_ADDR),
					      (uint64_t)(emu->fault_rip - DT_CODE_ADDR));
		for (unsigned i = 0; i < 16; i++)
			if (nat->out.gpr[i] != emu->out.gpr[i])
				o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
						      " r%u at fault: native %016" PRIx64 " emu %016" PRIx64,
						      i, nat->out.gpr[i], emu->out.gpr[i]);
		uint64_t fu = k->flags_undef_fault, at = insns_before(k, nat->fault_rip - DT_CODE_ADDR);

		if (k->has_undef_at && at < DT_SEQ_MAX)
			fu = k->undef_at[at];
		uint64_t ffm = CMP_FLAGS & ~(getenv("DT_STRICT") ? 0 : fu);

		if ((nat->out.rflags ^ emu->out.rflags) & ffm)
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
					      " rflags at fault: native %04" PRIx64 " emu %04" PRIx64,
					      nat->out.rflags & CMP_FLAGS, emu->out.rflags & CMP_FLAGS);
		for (unsigned i = 0; i < DT_SCRATCH_SIZE; i++)
			if (nat->mem[i] != emu->mem[i]) {
				o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
						      " mem[+%#x] at fault: native %02x emu %02x", i,
						      nat->mem[i], emu->mem[i]);
				break;
			}
		if (o)
			snprintf(buf + o, o < len ? len - o : 0, " (exception %s)", exc_name(nat->exc));
		return o == 0;
	}
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

/* The code with " | " between instructions (split by the core's decoder)
 * and each one's offset, for reports on sequences. */
static void print_insns(FILE *f, const struct dt_case *k)
{
	unsigned pos = 0;

	if (!k->block || k->ninsn <= 1) {
		print_code(f, k);
		return;
	}
	while (pos < k->len) {
		struct emu_insn in;
		unsigned n = k->len - pos;

		if (emu_decode_bytes(k->code + pos, n, 64, &in) == EMU_DEC_OK && in.len <= n)
			n = in.len;
		fprintf(f, "%s+%u:", pos ? " | " : "", pos);
		for (unsigned i = 0; i < n; i++)
			fprintf(f, " %02x", k->code[pos + i]);
		pos += n;
	}
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
	if (k->block)
		fprintf(f, "block: 1\nninsn: %u\nundef_fault: %" PRIx64 "\n", k->ninsn,
			k->flags_undef_fault);
	if (k->has_undef_at) {
		fprintf(f, "undef_at:");
		for (unsigned i = 0; i < k->ninsn && i < DT_SEQ_MAX; i++)
			fprintf(f, " %x", k->undef_at[i]);
		fprintf(f, "\n");
	}
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
			while (k->len < sizeof(k->code)) {
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
		} else if (!strncmp(line, "undef_fault:", 12)) {
			k->flags_undef_fault = strtoull(line + 12, NULL, 16);
		} else if (!strncmp(line, "undef_at:", 9)) {
			p = line + 9;
			k->has_undef_at = true;
			for (unsigned i = 0; i < DT_SEQ_MAX; i++) {
				char *end;
				unsigned long v = strtoul(p, &end, 16);

				if (end == p)
					break;
				k->undef_at[i] = (uint16_t)v;
				p = end;
			}
		} else if (!strncmp(line, "block:", 6)) {
			k->block = strtoul(line + 6, NULL, 0) != 0;
		} else if (!strncmp(line, "ninsn:", 6)) {
			k->ninsn = (unsigned)strtoul(line + 6, NULL, 0);
		}
	}
	fclose(f);
	return k->len ? 0 : -1;
}

/* Whether k still fails as the mismatch being minimized did: on the
 * path that failed (the current one) it differs from the host, and the
 * step path matches the host (a translator bug), or the step path
 * differs too (an interpreter bug: step_bad). */
static bool still_fails(const struct dt_case *k, bool step_bad)
{
	static struct dt_result nat, emu;
	char why[2048];
	enum dt_path path = dt_emu_path;
	bool bad;

	if (dt_native_run(k, &nat, 1) < 0)
		return false;
	dt_emu_path = DT_PATH_STEP;
	dt_emu_run(k, &emu);
	dt_emu_path = path;
	bad = !compare(k, &nat, &emu, why, sizeof(why));
	if (bad != step_bad)
		return false;
	if (step_bad)
		return true;
	dt_emu_run(k, &emu);
	return !compare(k, &nat, &emu, why, sizeof(why));
}

/* Drops instructions from a failing sequence while it still fails (the
 * inputs stay; the undefined-flag masks too, so a drop that exposes an
 * undefined flag makes the step path differ and is not kept). */
static void minimize(struct dt_case *k, bool step_bad)
{
	bool changed = true;

	while (changed && k->ninsn > 1) {
		unsigned pos = 0;

		changed = false;
		while (pos < k->len && k->ninsn > 1) {
			struct emu_insn in;
			struct dt_case t = *k;

			if (emu_decode_bytes(k->code + pos, k->len - pos, 64, &in) != EMU_DEC_OK)
				return;
			unsigned idx = (unsigned)insns_before(k, pos);

			memmove(t.code + pos, t.code + pos + in.len, t.len - pos - in.len);
			t.len -= in.len;
			t.ninsn--;
			if (idx + 1 < DT_SEQ_MAX)
				memmove(t.undef_at + idx, t.undef_at + idx + 1,
					(DT_SEQ_MAX - idx - 1) * sizeof(t.undef_at[0]));
			if (still_fails(&t, step_bad)) {
				*k = t;
				changed = true;
			} else {
				pos += in.len;
			}
		}
	}
}

/* A block-path mismatch: runs the case again through the interpreted
 * block path and the step path and says which of them match natively;
 * a sequence is then cut down to the instructions it needs to fail. */
static void triage(const struct dt_case *k, const struct dt_result *nat, const char *dir)
{
	static struct dt_result emu;
	char why[2048];
	enum dt_path path = dt_emu_path;
	bool no_jit = dt_emu_no_jit, step_bad;

	if (dt_emu_last_reused) {
		/* it ran with the blocks and translations of the cases before */
		dt_emu_reuse = false;
		dt_emu_path = DT_PATH_BLOCK;
		dt_emu_run(k, &emu);
		printf("  fresh block cache:  %s\n",
		       compare(k, nat, &emu, why, sizeof(why))
			       ? "match (it depends on the cases before: rerun the same --seed/--count)"
			       : why);
		dt_emu_reuse = true;
	}
	if (dt_jit_totals.available && !no_jit) {
		dt_emu_no_jit = true;
		dt_emu_path = DT_PATH_BLOCK;
		dt_emu_run(k, &emu);
		printf("  interpreted blocks: %s\n",
		       compare(k, nat, &emu, why, sizeof(why)) ? "match" : why);
		dt_emu_no_jit = no_jit;
	}
	dt_emu_path = DT_PATH_STEP;
	dt_emu_run(k, &emu);
	step_bad = !compare(k, nat, &emu, why, sizeof(why));
	printf("  emu_step():         %s\n", step_bad ? why : "match");
	dt_emu_path = path;
	if (k->ninsn > 1 && dt_emu_path != DT_PATH_STEP) {
		struct dt_case m = *k;
		static struct dt_result mnat, memu;
		bool reuse = dt_emu_reuse;

		dt_emu_reuse = false; /* so the cut-down case fails alone too */
		minimize(&m, step_bad);
		if (m.ninsn < k->ninsn && dt_native_run(&m, &mnat, 1) == 0) {
			dt_emu_run(&m, &memu);
			compare(&m, &mnat, &memu, why, sizeof(why));
			printf("  minimized (%u of %u instructions): ", m.ninsn, k->ninsn);
			print_insns(stdout, &m);
			printf(" :%s\n", why);
		}
		dt_emu_reuse = reuse;
		if (m.ninsn < k->ninsn && dir) {
			char fam[80];

			snprintf(fam, sizeof(fam), "%s-min", k->family);
			m.family = fam;
			save_case(dir, &m, why);
		}
	}
}

/* Runs n cases; counts and reports mismatches (saving them to dir). */
static unsigned run_batch(struct dt_case *cases, unsigned n, uint64_t first, const char *dir,
			  bool quiet, unsigned *exceptions)
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
		bool same;
		size_t ic;

		dt_emu_run(&cases[i], &emu);
		if (nat[i].exc != DT_OK)
			(*exceptions)++;
		exc_by_class[nat[i].exc]++;
		same = compare(&cases[i], &nat[i], &emu, why, sizeof(why));
		if (same && cases[i].block && nat[i].exc == emu.exc &&
		    (ic = check_icount(&cases[i], &emu, why, sizeof(why)))) {
			icount_bad++;
			if (icount_strict) {
				same = false;
			} else if (!quiet && icount_bad <= 3) {
				printf("NOTE icount %-7s ", cases[i].family);
				print_insns(stdout, &cases[i]);
				printf(" :%s (exception %s; not counted without --icount)\n", why,
				       exc_name(emu.exc));
			}
		}
		if (same)
			continue;
		bad++;
		if (!quiet) {
			printf("MISMATCH #%" PRIu64 " %-7s ", first + i, cases[i].family);
			print_insns(stdout, &cases[i]);
			printf(" :%s\n", why);
			if (cases[i].block)
				triage(&cases[i], &nat[i], dir);
		}
		if (dir)
			save_case(dir, &cases[i], why);
	}
	free(nat);
	return bad;
}

/* What the block path did: translated or interpreted blocks. */
static void report_jit(void)
{
	const struct dt_jit_totals *t = &dt_jit_totals;

	dt_emu_flush();
	if (icount_bad)
		printf("  block path: c->icount wrong in %" PRIu64 " cases%s\n", icount_bad,
		       icount_strict ? " (counted as mismatches)" : " (--icount counts them as mismatches)");
	if (!t->runs || dt_emu_path == DT_PATH_STEP)
		return;
	if (!t->available)
		printf("  block path: %" PRIu64 " runs, %s\n", t->runs,
		       dt_emu_no_jit ? "translator off (--no-jit): interpreted blocks"
				     : "no translator (emu_jit_new() is NULL): interpreted blocks");
	else
		printf("  block path: %" PRIu64 " runs (%" PRIu64 " with the cache of the runs"
		       " before), translator: %" PRIu64 " blocks, %" PRIu64
		       " instructions as host code, %" PRIu64 " calls to the interpreter, %" PRIu64
		       " buffer flushes\n",
		       t->runs, t->reused, t->blocks, t->native, t->called, t->flushes);
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
		if (via_block)
			k.block = true;
		total++;
		if (run_batch(&k, 1, total - 1, NULL, false, &exc)) {
			printf("  (from %s)\n", path);
			bad++;
		}
	}
	closedir(d);
	printf("difftest replay%s: %u cases, %u mismatches\n",
	       via_block ? " (every case through the block path)" : "", total, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, count = 100000, inputs = 4;
	const char *save = NULL;
	bool quiet = false, sse_only = false, x87_only = false, block = false, print = false;
	const char *replay_dir = NULL;

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
		else if (!strcmp(argv[i], "--block"))
			block = true;
		else if (!strcmp(argv[i], "--print"))
			print = true;
		else if (!strcmp(argv[i], "--via-block"))
			via_block = true;
		else if (!strcmp(argv[i], "--inputs") && i + 1 < argc)
			inputs = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--jit-size") && i + 1 < argc)
			dt_emu_jit_size = (size_t)strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--jit-after") && i + 1 < argc)
			dt_emu_jit_after = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--icount"))
			icount_strict = true;
		else if (!strcmp(argv[i], "--no-jit"))
			dt_emu_no_jit = true;
		else if (!strcmp(argv[i], "--step"))
			dt_emu_path = DT_PATH_STEP;
		else if (!strcmp(argv[i], "--replay") && i + 1 < argc)
			replay_dir = argv[++i];
		else {
			fprintf(stderr,
				"usage: %s [--seed N] [--count N] [--save DIR] [--quiet]\n"
				"          [--sse|--x87|--block [--inputs N]] [--via-block] [--no-jit] [--step]\n"
				"          [--jit-size BYTES] [--jit-after N] [--icount] [--print]\n"
				"       %s --replay DIR [--via-block] [--no-jit] [--step] [--icount]\n",
				argv[0], argv[0]);
			return 2;
		}
	}
	if (inputs < 1 || BATCH % inputs)
		inputs = 1;
	dt_emu_reuse = !replay_dir; /* a replayed case runs alone */
	if (replay_dir) {
		int rc = replay(replay_dir);

		report_jit();
		return rc;
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
			if (block && i % inputs)
				dt_gen_seq_inputs(&rng, &cases[i - 1], &cases[i], i % inputs >= 2);
			else if (block)
				dt_gen_seq(&rng, &cases[i]);
			else if (sse_only)
				dt_gen_sse_case(&rng, &cases[i]);
			else if (x87_only)
				dt_gen_x87_case(&rng, &cases[i]);
			else
				dt_gen(&rng, &cases[i]);
			if (via_block)
				cases[i].block = true;
			if (print) {
				print_insns(stdout, &cases[i]);
				printf("\n");
			}
		}
		if (print) {
			done += n;
			continue;
		}
		bad += run_batch(cases, n, done, save, quiet, &exceptions);
		done += n;
	}
	printf("difftest%s: seed %" PRIu64 ": %" PRIu64 " cases, %" PRIu64
	       " mismatches, %u raised exceptions natively\n",
	       block ? " --block" : via_block ? " --via-block" : "", seed, done, bad, exceptions);
	if (!quiet && exceptions) {
		printf("  natively:");
		for (unsigned c = DT_EXC_UD; c <= DT_EXC_OTHER; c++)
			printf(" %s %" PRIu64, exc_name((enum dt_exc)c), exc_by_class[c]);
		printf("\n");
	}
	report_jit();
	free(cases);
	return bad ? 1 : 0;
}
