#!/usr/bin/env python3
"""Start-up benchmark: vslice vs QEMU with the same small Multiboot guest.

For each run: time from process start to the guest's first byte of serial
output, time to process exit, and peak resident memory (VmHWM, read by an
LD_PRELOAD destructor as the process exits: bench/hwm_preload.c). Runs
are interleaved (vslice, qemu, vslice, ...) so both see the same machine
state. Prints medians and ratios as a Markdown table.
"""
import argparse
import os
import resource
import select
import statistics
import subprocess
import sys
import time


HWM_SO = os.path.abspath("build/bench/hwm_preload.so")


def run_once(argv):
    hwm_file = "/tmp/bench-hwm.%d" % os.getpid()
    if os.path.exists(hwm_file):
        os.unlink(hwm_file)
    env = dict(os.environ, LD_PRELOAD=HWM_SO, BENCH_HWM_FILE=hwm_file)
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=env)
    first = None
    out = b""
    fd = p.stdout.fileno()
    while True:
        r, _, _ = select.select([fd], [], [], 30)
        if not r:
            p.kill()
            raise RuntimeError("timeout: %s" % " ".join(argv))
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        if first is None:
            first = time.monotonic() - t0
        out += chunk
    _, status, _ = os.wait4(p.pid, 0)
    total = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    with open(hwm_file) as f:
        hwm = max(int(x) for x in f.read().split())
    os.unlink(hwm_file)
    return first, total, hwm, code, out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--guest", default="build/guests/hello.elf")
    ap.add_argument("--vslice", default="build/vslice")
    ap.add_argument("--memory", default="256")
    args = ap.parse_args()

    cmds = {
        "vslice (kvm)": [args.vslice, "run", "--accel", "kvm", "--kernel", args.guest,
                         "--memory", args.memory + "M"],
        "QEMU (kvm)": ["qemu-system-x86_64", "-accel", "kvm", "-kernel", args.guest,
                       "-m", args.memory, "-nographic", "-serial", "stdio",
                       "-monitor", "none", "-no-reboot",
                       "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
    }
    res = {k: {"first": [], "total": [], "rss": []} for k in cmds}
    for i in range(args.runs):
        for name, argv in cmds.items():
            first, total, rss, code, out = run_once(argv)
            if first is None:
                sys.exit("%s printed nothing (exit %d)" % (name, code))
            res[name]["first"].append(first)
            res[name]["total"].append(total)
            res[name]["rss"].append(rss)
    med = {k: {m: statistics.median(v) for m, v in d.items()} for k, d in res.items()}
    v, q = med["vslice (kvm)"], med["QEMU (kvm)"]
    print("| metric (median of %d) | vslice | QEMU | vslice / QEMU |" % args.runs)
    print("|---|---|---|---|")
    print("| start to first output | %.1f ms | %.1f ms | %.3f |" % (
        v["first"] * 1e3, q["first"] * 1e3, v["first"] / q["first"]))
    print("| start to exit | %.1f ms | %.1f ms | %.3f |" % (
        v["total"] * 1e3, q["total"] * 1e3, v["total"] / q["total"]))
    print("| peak RSS (VmHWM) | %.0f KiB | %.0f KiB | %.3f |" % (v["rss"], q["rss"], v["rss"] / q["rss"]))


if __name__ == "__main__":
    main()
