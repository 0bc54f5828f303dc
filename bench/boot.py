#!/usr/bin/env python3
"""Boot benchmark: the default Debian guest under vslice emu and QEMU TCG.

The same kernel, initramfs and command line (build/guest/, made by
scripts/build-guest) boot under `vslice run --accel emu` and
`qemu-system-x86_64 -accel tcg` (machine trimmed with -nodefaults to what
vslice offers: no VGA, no NIC), 1 vCPU, 256 MiB. Runs are interleaved
(vslice, QEMU, vslice, ...) so both see the same machine state. Per run:

  boot run     vslice.run=true: time from process start to the marker line
               VSLICE-GUEST-READY printed by the guest's init, and to process
               exit after the guest powers off
  compute run  busybox md5sum over 64 MiB of zeros, timed inside the guest
               (busybox time, 10 ms resolution); the digest must equal the
               host's

Prints medians and ratios as a Markdown table. A VMM that does not reach
the marker (refused to start, crashed, hung past --timeout) is reported as
such and left out of the medians instead of stopping the benchmark.

--stand-in-qemu runs QEMU in the vslice column too: it only tests this
script while vslice cannot boot Linux.
"""
import argparse
import base64
import hashlib
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time

MARKER = b"VSLICE-GUEST-READY"
MD5_SCRIPT = ("time -f 'VSLICE-MD5-SECONDS %e' sh -c "
              "'dd if=/dev/zero bs=1M count=64 2>/dev/null | md5sum'")
MD5_BYTES = 64 << 20


class Outcome:
    """One VMM process: when the marker came, when it exited, its output."""

    def __init__(self):
        self.marker = None      # seconds from start, None if never seen
        self.exit = None        # seconds from start to exit
        self.status = None      # exit status (None if killed on timeout)
        self.timed_out = False
        self.out = b""
        self.err = b""


def run_once(argv, timeout):
    o = Outcome()
    with tempfile.TemporaryFile() as errf:
        t0 = time.monotonic()
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=errf)
        except OSError as e:
            o.err = ("%s: %s" % (argv[0], e.strerror)).encode()
            return o
        fd = p.stdout.fileno()
        while True:
            left = t0 + timeout - time.monotonic()
            r = select.select([fd], [], [], max(0.0, left))[0] if left > 0 else []
            if not r:
                o.timed_out = True
                p.kill()
                p.wait()
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                o.status = p.wait()
                break
            # Search the tail so a marker split across reads is found.
            tail = o.out[-len(MARKER):] + chunk
            o.out += chunk
            if o.marker is None and MARKER in tail:
                o.marker = time.monotonic() - t0
        o.exit = time.monotonic() - t0
        p.stdout.close()
        errf.seek(0)
        o.err = errf.read()
    return o


def last_line(data):
    lines = [l for l in data.decode("utf-8", "replace").splitlines() if l.strip()]
    return lines[-1].strip() if lines else "(nothing)"


def failure(name, o, timeout):
    """None if the run reached the marker and exited 0, else why not."""
    if o.marker is None:
        why = ("timed out after %d s" % timeout if o.timed_out
               else "exit status %s" % o.status)
        return "%s: did not reach marker (%s; last stderr: %s; last output: %s)" % (
            name, why, last_line(o.err), last_line(o.out))
    if o.timed_out:
        return "%s: reached marker but did not exit within %d s" % (name, timeout)
    if o.status != 0:
        return "%s: exit status %d after poweroff (last stderr: %s)" % (
            name, o.status, last_line(o.err))
    return None


def vmm_argv(kind, args, cmdline):
    g = args.guest_dir
    kernel, initrd = os.path.join(g, "vmlinuz"), os.path.join(g, "initramfs.cpio.gz")
    if kind == "vslice":
        return [args.vslice, "run", "--accel", "emu", "--kernel", kernel, "--initrd",
                initrd, "--cmdline", cmdline, "--cpus", "1", "--memory", "%dM" % args.memory]
    return ["qemu-system-x86_64", "-accel", "tcg", "-nodefaults", "-no-reboot",
            "-nographic", "-serial", "stdio", "-kernel", kernel, "-initrd", initrd,
            "-append", cmdline, "-smp", "1", "-m", str(args.memory)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per VMM (default 5)")
    ap.add_argument("--vslice", default="build/vslice", help="vslice binary")
    ap.add_argument("--guest-dir", default="build/guest", help="scripts/build-guest output")
    ap.add_argument("--memory", type=int, default=256, help="guest MiB (default 256)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per run (default 300)")
    ap.add_argument("--no-compute", action="store_true", help="skip the md5sum runs")
    ap.add_argument("--stand-in-qemu", action="store_true",
                    help="run QEMU in the vslice column (tests this script only)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every run")
    args = ap.parse_args()

    for f in ("vmlinuz", "initramfs.cpio.gz", "cmdline"):
        if not os.path.isfile(os.path.join(args.guest_dir, f)):
            sys.exit("boot.py: %s/%s is missing: run scripts/build-guest (or pass "
                     "--guest-dir)" % (args.guest_dir, f))
    if args.runs < 1:
        sys.exit("boot.py: --runs %d: must be at least 1" % args.runs)
    if not args.stand_in_qemu and not os.access(args.vslice, os.X_OK):
        sys.exit("boot.py: --vslice %s: not an executable: run make first" % args.vslice)
    with open(os.path.join(args.guest_dir, "cmdline")) as f:
        base = f.read().strip()
    md5_b64 = base64.b64encode(MD5_SCRIPT.encode()).decode()
    host_digest = hashlib.md5(bytes(MD5_BYTES)).hexdigest()
    kinds = {"vslice": "qemu" if args.stand_in_qemu else "vslice", "qemu": "qemu"}
    label = {"vslice": "vslice emu" + (" (stand-in: QEMU)" if args.stand_in_qemu else ""),
             "qemu": "QEMU TCG"}
    res = {k: {"marker": [], "exit": [], "md5": [], "digest_ok": 0, "fail": []} for k in kinds}

    for i in range(args.runs):
        for name, kind in kinds.items():
            r = res[name]
            o = run_once(vmm_argv(kind, args, base + " vslice.run=true"), args.timeout)
            why = failure(label[name], o, args.timeout)
            if why:
                r["fail"].append("boot run %d: %s" % (i + 1, why))
            else:
                r["marker"].append(o.marker)
                r["exit"].append(o.exit)
            if args.verbose:
                print("%s boot %d: %s" % (label[name], i + 1, why or "marker %.3f s, exit %.3f s"
                                          % (o.marker, o.exit)), file=sys.stderr)
            if args.no_compute or why:
                continue  # a VMM that cannot boot cannot compute either
            o = run_once(vmm_argv(kind, args, base + " vslice.run64=" + md5_b64), args.timeout)
            why = failure(label[name], o, args.timeout)
            text = o.out.decode("utf-8", "replace")
            secs = re.search(r"VSLICE-MD5-SECONDS ([0-9.]+)", text)
            digest = re.search(r"\b([0-9a-f]{32})  -", text)
            if not why and not (secs and digest):
                why = "%s: no md5sum result in the output (last output: %s)" % (
                    label[name], last_line(o.out))
            if why:
                r["fail"].append("compute run %d: %s" % (i + 1, why))
                continue
            r["md5"].append(float(secs.group(1)))
            if digest.group(1) == host_digest:
                r["digest_ok"] += 1
            else:
                r["fail"].append("compute run %d: %s: digest %s, host's is %s" % (
                    i + 1, label[name], digest.group(1), host_digest))
            if args.verbose:
                print("%s md5 %d: %.2f s, %s" % (label[name], i + 1, float(secs.group(1)),
                                                 digest.group(1)), file=sys.stderr)

    def med(name, key):
        v = res[name][key]
        return statistics.median(v) if v else None

    def cell(x, unit):
        if x is None:
            return "n/a"
        return "%.0f ms" % (x * 1e3) if unit == "ms" else "%.2f s" % x

    def ratio(a, b):
        return "%.3f" % (a / b) if a is not None and b else "n/a"

    print("Guest: %s; command line: `%s`; 1 vCPU, %d MiB; %d interleaved runs each." % (
        os.path.basename(os.path.realpath(os.path.join(args.guest_dir, "vmlinuz"))),
        base, args.memory, args.runs))
    print()
    print("| metric (median) | %s | %s | vslice / QEMU |" % (label["vslice"], label["qemu"]))
    print("|---|---|---|---|")
    rows = [("start to marker (VSLICE-GUEST-READY)", "marker", "ms"),
            ("start to exit after poweroff", "exit", "ms")]
    if not args.no_compute:
        rows.append(("in-guest md5sum of 64 MiB", "md5", "s"))
    for title, key, unit in rows:
        v, q = med("vslice", key), med("qemu", key)
        print("| %s | %s | %s | %s |" % (title, cell(v, unit), cell(q, unit), ratio(v, q)))
    if not args.no_compute:
        print("| md5 digest equals host's | %d/%d | %d/%d | |" % (
            res["vslice"]["digest_ok"], len(res["vslice"]["md5"]),
            res["qemu"]["digest_ok"], len(res["qemu"]["md5"])))
    for name in kinds:
        r = res[name]
        ok = len(r["marker"])
        if ok < args.runs:
            print("\n%s: %d of %d boot runs reached the marker." % (label[name], ok, args.runs))
        for f in r["fail"]:
            print("- " + f)
    failed = any(res[n]["fail"] for n in kinds)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
