#!/usr/bin/env python3
"""Software-CPU compute benchmark: vslice --accel emu vs QEMU TCG.

Both VMMs boot the same compute-bound Multiboot guest (tests/guests/
compute.S) with one vCPU and 64 MiB, once with a small and once with a
large iteration count ("iters=N" on the guest command line); runs are
interleaved (vslice small, vslice large, QEMU small, QEMU large, repeat) so
both see the same machine state. Start-up, firmware, table set-up and
power-off cost the same for both counts, so they cancel in the difference:

    guest instructions per second = (N_large - N_small) * K / (t_large - t_small)

QEMU is so much faster that its difference at vslice's large count is a
fraction of a second and noisy, so QEMU also runs a count --qemu-factor
times larger and takes its rate from that one; it still runs vslice's large
count, so the checksums are compared at both of vslice's counts.

K, the instructions per loop iteration, is exact: the loop from the guest's
compute_loop label to compute_loop_end is straight-line code closed by one
conditional jump back, so each iteration executes every instruction in that
range once. The script counts them in the guest ELF with objdump, checks
that the range holds no other control transfer, and checks the count
against COMPUTE_LOOP_INSNS in compute.S. Every run's checksum must equal
the other VMM's for the same N (the checksum depends on every iteration).

Prints a Markdown table: median time per count, the rate from the median
times, the range of per-repetition rates, and the ratio vslice/QEMU.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CHECKSUM_RE = re.compile(rb"compute iters (\d+) checksum (0x[0-9a-f]{8})")


def loop_instructions(elf, source):
    """Instructions per iteration, counted from the guest binary."""
    syms = {}
    out = subprocess.run(["nm", elf], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    try:
        start, end = syms["compute_loop"], syms["compute_loop_end"]
    except KeyError:
        sys.exit("%s: no compute_loop/compute_loop_end symbols (rebuild the guests)" % elf)
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                          "--start-address=%#x" % start, "--stop-address=%#x" % end, elf],
                         check=True, capture_output=True, text=True).stdout
    insns = [l.split("\t", 1)[1].strip() for l in dis.splitlines()
             if re.match(r"^\s+[0-9a-f]+:\t", l)]
    if not insns:
        sys.exit("%s: empty compute loop" % elf)
    last = insns[-1].split()
    if not (last[0] in ("jne", "jnz") and int(last[1], 16) == start):
        sys.exit("compute loop does not end with a jump back to compute_loop: %s" % insns[-1])
    branchy = re.compile(r"^(j[a-z]+|call|ret|loop[a-z]*|rep[a-z]*|int|iret|hlt)\b")
    for insn in insns[:-1]:
        if branchy.match(insn):
            sys.exit("compute loop is not straight-line: %s" % insn)
    with open(source) as f:
        m = re.search(r"#define COMPUTE_LOOP_INSNS (\d+)", f.read())
    if not m or int(m.group(1)) != len(insns):
        sys.exit("objdump counts %d loop instructions, %s says %s"
                 % (len(insns), source, m.group(1) if m else "nothing"))
    return len(insns)


def run_once(argv, iters, timeout):
    t0 = time.monotonic()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    t = time.monotonic() - t0
    m = CHECKSUM_RE.search(p.stdout)
    if p.returncode != 0 or not m or int(m.group(1)) != iters:
        sys.exit("%s: exit %d, output %r, stderr %r"
                 % (" ".join(argv), p.returncode, p.stdout[-300:], p.stderr[-300:]))
    return t, m.group(2).decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="repetitions (default 5)")
    ap.add_argument("--small", type=int, default=2000000, help="small iteration count")
    ap.add_argument("--large", type=int, default=50000000, help="large iteration count")
    ap.add_argument("--qemu-factor", type=int, default=8,
                    help="QEMU's rate comes from iters=large*factor (default 8)")
    ap.add_argument("--vslice", default=os.path.join(ROOT, "build/vslice"))
    ap.add_argument("--guest", default=None, help="compute.elf (default: guests/ next to vslice)")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per run")
    args = ap.parse_args()
    if not 0 < args.small < args.large < 2 ** 32:
        sys.exit("--small/--large: need 0 < small < large < 2^32")
    if args.qemu_factor < 1 or args.large * args.qemu_factor >= 2 ** 32:
        sys.exit("--qemu-factor: need 1 <= factor and large * factor < 2^32")
    if args.runs < 1:
        sys.exit("--runs: need at least 1")
    guest = args.guest or os.path.join(os.path.dirname(os.path.abspath(args.vslice)),
                                       "guests", "compute.elf")
    for path, fix in ((args.vslice, "run make"), (guest, "run make guests")):
        if not os.access(path, os.R_OK):
            sys.exit("%s missing: %s" % (path, fix))
    k = loop_instructions(guest, os.path.join(ROOT, "tests/guests/compute.S"))

    qemu_large = args.large * args.qemu_factor
    vslice = "vslice --accel emu"
    qemu = "QEMU -accel tcg"
    # name -> (command for N, counts to run, the two counts the rate uses)
    vmms = {
        vslice: (lambda n: [args.vslice, "run", "--accel", "emu", "--cpus", "1",
                            "--memory", "64M", "--kernel", guest, "--cmdline", "iters=%d" % n],
                 (args.small, args.large), (args.small, args.large)),
        qemu: (lambda n: [args.qemu, "-accel", "tcg", "-smp", "1", "-m", "64",
                          "-kernel", guest, "-append", "iters=%d" % n,
                          "-display", "none", "-serial", "stdio",
                          "-monitor", "none", "-no-reboot"],
               sorted({args.small, args.large, qemu_large}), (args.small, qemu_large)),
    }
    times = {v: {n: [] for n in spec[1]} for v, spec in vmms.items()}
    sums = {}  # iters -> {checksum: set of VMM names}
    for rep in range(args.runs):
        for name, (argv, counts, _) in vmms.items():
            for n in counts:
                t, csum = run_once(argv(n), n, args.timeout)
                times[name][n].append(t)
                sums.setdefault(n, {}).setdefault(csum, set()).add(name)
        print("run %d/%d done" % (rep + 1, args.runs), file=sys.stderr)
    for n in (args.small, args.large):
        if len(sums[n]) != 1:
            sys.exit("checksums differ for iters=%d: %s" % (n, sums[n]))

    rows, rate = [], {}
    for name, (_, _, (small, large)) in vmms.items():
        insns = (large - small) * k
        ts, tl = times[name][small], times[name][large]
        dt = statistics.median(tl) - statistics.median(ts)
        if dt <= 0:
            sys.exit("%s: large run not slower than small one; raise --large" % name)
        rate[name] = insns / dt
        per_rep = sorted(insns / (b - a) for a, b in zip(ts, tl) if b > a)
        rows.append((name, small, large, statistics.median(ts), statistics.median(tl), dt,
                     insns, rate[name], per_rep[0] if per_rep else 0,
                     per_rep[-1] if per_rep else 0))

    print("Compute-bound guest (tests/guests/compute.S), 1 vCPU, 64 MiB; %d loop "
          "instructions per iteration; %d interleaved runs of each count; medians. "
          "Checksums match: iters=%d %s, iters=%d %s."
          % (k, args.runs, args.small, next(iter(sums[args.small])), args.large,
             next(iter(sums[args.large]))))
    print()
    print("| VMM | iters small / large | t(small) s | t(large) s | Δt s "
          "| Δ guest instructions | guest MIPS | per-run MIPS range |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, small, large, ts, tl, dt, insns, r, lo, hi in rows:
        print("| %s | %d / %d | %.3f | %.3f | %.3f | %d | %.1f | %.1f–%.1f |"
              % (name, small, large, ts, tl, dt, insns, r / 1e6, lo / 1e6, hi / 1e6))
    print("| **ratio vslice/QEMU** | | | | | | **%.3f×** | |" % (rate[vslice] / rate[qemu]))

if __name__ == "__main__":
    main()
