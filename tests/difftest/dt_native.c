/* Native side of the differential tester: runs cases on the host CPU in a
 * forked child (so a stray instruction can only kill the child), with the
 * code page, scratch memory and harness state at fixed addresses. Signals
 * (SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP) become exception classes, with
 * the general registers, RFLAGS and rip of the signal context when the
 * signal came from the case's code (the state at the faulting
 * instruction). If the child dies anyway, the case is marked DT_EXC_OTHER
 * and a new child continues with the next case. */
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "dt.h"

void dt_enter(void);
void dt_exit(void);

/* The harness state block at DT_STATE_ADDR (layout shared with dt_harness.S). */
struct dt_state {
	struct dt_regs regs;
	uint8_t pad[512 - sizeof(struct dt_regs)];
	uint64_t host_rsp; /* 512 */
	uint64_t code;     /* 520 */
	uint64_t exit;     /* 528 */
};
_Static_assert(sizeof(struct dt_regs) <= 512, "dt_regs must fit below 512");

/* Signal recovery needs a process-wide jump buffer: this file runs only
 * inside the sandbox child. */
static sigjmp_buf recover;
/* The state at the signal, if it came from the code page. */
static struct {
	bool valid;
	uint64_t gpr[16], rflags, rip;
} fault;

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	const ucontext_t *uc = ucv;
	const greg_t *g = uc->uc_mcontext.gregs;
	static const int map[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
				    REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
				    REG_R12, REG_R13, REG_R14, REG_R15};
	uint64_t rip = (uint64_t)g[REG_RIP];

	fault.valid = rip >= DT_CODE_ADDR && rip < DT_CODE_ADDR + 4096;
	if (fault.valid) {
		for (unsigned i = 0; i < 16; i++)
			fault.gpr[i] = (uint64_t)g[map[i]];
		fault.rflags = (uint64_t)g[REG_EFL];
		fault.rip = rip;
	}
	siglongjmp(recover, sig);
}

/* Runs in the parent before anything is allocated: reserves the fixed
 * addresses (inaccessible), so that the heap, whose start this kernel may
 * randomise above them, can never grow over them. The child then maps
 * over its own copy of the reservation. The reservation from the code
 * page on is DT_GUARD_SIZE, so that what lies past the read-only page
 * (block-mode sequences aim faults there) is never mapped natively. */
int dt_native_reserve(void)
{
	static const struct {
		uint64_t addr;
		size_t len;
	} r[] = {{DT_CODE_ADDR, DT_GUARD_SIZE}, {DT_STATE_ADDR, 4096}};

	_Static_assert(DT_SCRATCH_ADDR == DT_CODE_ADDR + 4096, "code page, then scratch");
	_Static_assert(DT_RO_ADDR == DT_SCRATCH_ADDR + DT_SCRATCH_SIZE, "then the read-only page");
	_Static_assert(DT_CODE_ADDR + DT_GUARD_SIZE <= DT_STATE_ADDR, "the guard ends first");
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		void *p = mmap((void *)r[i].addr, r[i].len, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);

		if (p != (void *)r[i].addr) {
			fprintf(stderr, "difftest: cannot reserve %#llx: %m\n",
				(unsigned long long)r[i].addr);
			return -1;
		}
	}
	return 0;
}

static void *map_fixed(uint64_t addr, size_t len, int prot)
{
	/* MAP_FIXED: replaces the parent's reservation (dt_native_reserve). */
	void *p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p != (void *)addr) {
		fprintf(stderr, "difftest: mmap at %#llx failed: %m\n", (unsigned long long)addr);
		_exit(3);
	}
	return p;
}

static enum dt_exc exc_of_signal(int sig)
{
	switch (sig) {
	case SIGILL: return DT_EXC_UD;
	case SIGFPE: return DT_EXC_DE;
	case SIGSEGV: case SIGBUS: return DT_EXC_GP;
	case SIGTRAP: return DT_EXC_BP;
	default: return DT_EXC_OTHER; /* SIGVTALRM: the case ran too long */
	}
}

static void child(const struct dt_case *cases, struct dt_result *res, unsigned from, unsigned n,
		  volatile unsigned *progress)
{
	static uint8_t altstack[65536];
	uint8_t *code = map_fixed(DT_CODE_ADDR, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
	uint8_t *mem = map_fixed(DT_SCRATCH_ADDR, DT_SCRATCH_SIZE, PROT_READ | PROT_WRITE);
	struct dt_state *st = map_fixed(DT_STATE_ADDR, 4096, PROT_READ | PROT_WRITE);
	uint8_t *ro = map_fixed(DT_RO_ADDR, DT_RO_SIZE, PROT_READ | PROT_WRITE);
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct sigaction sa;
	static const int sigs[] = {SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP, SIGVTALRM};
	/* A case that loops (a sequence's return address gone wrong) is
	 * stopped after 200 ms of its own CPU time (not wall-clock time: a
	 * busy machine must not stop a case that is only waiting). */
	static const struct itimerval limit = {.it_value = {.tv_usec = 200000}};
	static const struct itimerval off;

	dt_fill_ro(ro);
	mprotect(ro, DT_RO_SIZE, PROT_READ);
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);

	for (volatile unsigned i = from; i < n; i++) {
		const struct dt_case *k = &cases[i];
		struct dt_result *r = &res[i];
		int sig;

		memset(code, 0xcc, 4096);
		memcpy(code, k->code, k->len);
		/* jmp qword ptr [DT_STATE_ADDR + 528] */
		static const uint8_t jmp_exit[] = {0xff, 0x24, 0x25, 0x10, 0x02, 0x00, 0x20};
		memcpy(code + k->len, jmp_exit, sizeof(jmp_exit));
		dt_fill_mem(mem, k->mem_seed);
		st->regs = k->in;
		st->code = DT_CODE_ADDR;
		st->exit = (uint64_t)(uintptr_t)dt_exit;
		sig = sigsetjmp(recover, 1);
		if (sig == 0) {
			setitimer(ITIMER_VIRTUAL, &limit, NULL);
			dt_enter();
			setitimer(ITIMER_VIRTUAL, &off, NULL);
			r->exc = DT_OK;
			r->out = st->regs;
			r->fault_state = false;
			r->fault_rip = 0;
			r->icount = ~0ULL;
		} else {
			setitimer(ITIMER_VIRTUAL, &off, NULL);
			r->exc = exc_of_signal(sig);
			memset(&r->out, 0, sizeof(r->out));
			r->icount = ~0ULL;
			r->fault_state = fault.valid;
			if (fault.valid) {
				memcpy(r->out.gpr, fault.gpr, sizeof(fault.gpr));
				r->out.rflags = fault.rflags;
				r->fault_rip = fault.rip;
			}
			fault.valid = false;
		}
		memcpy(r->mem, mem, DT_SCRATCH_SIZE);
		*progress = i + 1;
	}
}

int dt_native_run(const struct dt_case *cases, struct dt_result *results, unsigned n)
{
	size_t bytes = sizeof(*results) * n + 64;
	uint8_t *shared = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	volatile unsigned *progress;
	struct dt_result *res;
	unsigned from = 0;

	if (shared == MAP_FAILED) {
		perror("difftest: mmap");
		return -1;
	}
	progress = (volatile unsigned *)shared;
	res = (struct dt_result *)(shared + 64);
	while (from < n) {
		pid_t pid;
		int status;

		*progress = from;
		pid = fork();
		if (pid < 0) {
			perror("difftest: fork");
			munmap(shared, bytes);
			return -1;
		}
		if (pid == 0) {
			child(cases, res, from, n, progress);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		if (*progress >= n)
			break;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
			munmap(shared, bytes);
			return -1; /* the sandbox could not be set up */
		}
		/* The child died on case *progress. */
		res[*progress].exc = DT_EXC_OTHER;
		from = *progress + 1;
	}
	memcpy(results, res, sizeof(*results) * n);
	munmap(shared, bytes);
	return 0;
}
