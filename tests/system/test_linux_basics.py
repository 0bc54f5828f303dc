#!/usr/bin/env python3
# timeout: 420
"""The default Linux guest on the software CPU, one boot per --cpus value
(1, 2, 4): init prints its banner and the marker and runs a command;
`nproc` equals --cpus; the kernel saw all of --memory as RAM; with --cpus 1
also MemTotal is within 8% of --memory (1G there: the kernel keeps ~48 MiB
for itself whatever the size, 15% of the default 256M) and the guest's
clock (adjtimex, and `date +%s`) is within 2 s of the host's when the line
arrives; the kernel finds the CPU not affected by Meltdown (IA32_ARCH_
CAPABILITIES.RDCL_NO under --accel emu: no page-table isolation); then the
guest powers off and vslice exits 0."""
import re
import time

from vsltest import LINUX_BANNER, LINUX_MARKER, Vm, fail, linux_cmd, linux_run64

SCRIPT = r"""adjtimex | awk '/tv_sec/ {s = $2} /tv_usec/ {u = $2} END {printf "CLOCK=%d.%06d\n", s, u}'
echo "DATE=$(date +%s)"
echo "NPROC=$(nproc)"
echo "UNAME=$(uname -r)"
sed -n 's/^MemTotal: *\([0-9]*\) kB$/MEMTOTAL=\1/p' /proc/meminfo
echo "MELTDOWN=$(tr ' ' _ < /sys/devices/system/cpu/vulnerabilities/meltdown)"
"""
MIB = 1024 * 1024


def boot(cpus, memory_mib, check_clock):
    what = f"--cpus {cpus} --memory {memory_mib}M"
    vm = Vm(linux_cmd("--cpus", str(cpus), "--memory", f"{memory_mib}M",
                      cmdline=linux_run64(SCRIPT)))
    # The kernel's view of RAM (from the E820 map), before it reserves any.
    m = vm.expect(r"\] Memory: \d+K/(\d+)K available", timeout=120)
    seen = int(m.group(1)) * 1024
    if not 0.99 * memory_mib * MIB <= seen <= memory_mib * MIB:
        fail(f"{what}: the kernel saw {seen // 1024} KiB of RAM, expected about {memory_mib * 1024}")
    banner = vm.expect(LINUX_BANNER, timeout=120)
    vm.expect(LINUX_MARKER, timeout=30, start=banner.end())
    t_ready = vm.elapsed()
    clock = vm.expect(r"^CLOCK=(\d+)\.(\d{6})\n", timeout=60, start=banner.end())
    host = time.time()
    out = vm.expect(r"^VSLICE-RUN-EXIT=(\d+)\n", timeout=60, start=banner.end())
    if out.group(1) != "0":
        fail(f"{what}: the command exited with {out.group(1)}:\n{vm.out.text()[banner.start():]}")
    status = vm.wait(60, f"{what}: after the command")
    if status != 0:
        fail(f"{what}: vslice exit status {status} after the guest powered off, expected 0")
    text = vm.out.text()[banner.end():out.start()]
    vals = dict(re.findall(r"^([A-Z]+)=(\S+)$", text, re.M))
    for key in ("DATE", "NPROC", "UNAME", "MEMTOTAL", "MELTDOWN"):
        if key not in vals:
            fail(f"{what}: no {key}= line in the command's output:\n{text}")

    if int(vals["NPROC"]) != cpus:
        fail(f"{what}: nproc says {vals['NPROC']}")
    if vals["MELTDOWN"] != "Not_affected":
        fail(f"{what}: the kernel's Meltdown status is '{vals['MELTDOWN']}', expected 'Not affected'")
    release, _, bcpus, bmib = banner.groups()
    memtotal = int(vals["MEMTOTAL"]) * 1024
    if release != vals["UNAME"] or int(bcpus) != cpus or int(bmib) != memtotal // MIB:
        fail(f"{what}: banner '{banner.group(0)}' disagrees with uname -r {vals['UNAME']}, "
             f"{cpus} CPUs, MemTotal {memtotal // MIB} MiB")
    if not re.search(rf"^\[ *[\d.]+\] Linux version {re.escape(release)} ", vm.out.text(), re.M):
        fail(f"{what}: no 'Linux version {release}' line in the kernel log")
    summary = f"{what}: marker at {t_ready:.1f} s, nproc {cpus}, RAM seen {seen // 1024} KiB"

    if check_clock:
        if not 0.92 * memory_mib * MIB <= memtotal <= memory_mib * MIB:
            fail(f"{what}: MemTotal {memtotal // 1024} KiB is not within 8% of {memory_mib} MiB")
        guest = int(clock.group(1)) + int(clock.group(2)) / 1e6
        if abs(guest - host) > 2:
            fail(f"{what}: guest clock {guest:.3f} vs host {host:.3f}: off by {guest - host:+.3f} s")
        # date +%s truncates: the guest's time was in [date, date + 1).
        date = int(vals["DATE"])
        off = 0 if date <= host < date + 1 else (date - host if host < date else date + 1 - host)
        if abs(off) > 2:
            fail(f"{what}: guest date +%s {date} vs host {host:.3f}: off by {off:+.3f} s")
        summary += (f", MemTotal {memtotal // 1024} KiB ({100 * memtotal / (memory_mib * MIB):.1f}%)"
                    f", clock {guest - host:+.3f} s, date +%s {off:+.3f} s")
    print(f"{summary}, exit 0 after {vm.elapsed():.1f} s")


boot(1, 1024, True)
boot(2, 256, False)
boot(4, 256, False)
