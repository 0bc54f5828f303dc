#!/usr/bin/env python3
"""The demo guest: banner with CPUs, RAM and RTC, then the help, time,
cpus, reboot and poweroff commands over --serial stdio. (Without --kernel,
vslice boots the Debian guest when build/guest exists, else this one; the
choice itself is checked in test_default_guest.sh.)"""
import re
import subprocess

from vsltest import Stream, fail, guest, vslice_cmd, wait_exit

p = subprocess.Popen(vslice_cmd("--kernel", guest("demo"), "--cpus", "2", "--memory", "256M"), stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
out = Stream(p.stdout.fileno(), "demo")


def send(b):
    p.stdin.write(b)
    p.stdin.flush()


banner = r"^vslice demo guest \(not Linux\): (\d+) CPUs, (\d+) MiB RAM, RTC \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"
m = out.expect(banner)
if m.group(1) != "2":
    fail(f"banner says {m.group(1)} CPUs with --cpus 2")
if not 254 <= int(m.group(2)) <= 256:
    fail(f"banner says {m.group(2)} MiB with --memory 256M")
out.expect(r"vslice> ")

start = len(out.text())
send(b"help\r")
for cmd in ("help", "time", "cpus", "reboot", "poweroff"):
    out.expect(r"^  " + cmd + r" ", start=start)
send(b"cpus\r")
out.expect(r"^2 CPUs, APIC IDs: 0 1$", start=start)
send(b"time\r")
out.expect(r"^RTC \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", start=start)
send(b"frobnicate\r")
out.expect(r"^unknown command: frobnicate \(try help\)$", start=start)
send(b"timx\x7fe\r")  # DEL erases the x
out.expect(r"timx\x08 \x08e", start=start)
start = len(out.text())
send(b"reboot\r")
out.expect(r"^rebooting$", start=start)
out.expect(banner, start=start)  # booted again in the same process
out.expect(r"vslice> ", start=start)
send(b"poweroff\r")
out.expect(r"^powering off$", start=start)
status = wait_exit(p, 10, "demo poweroff")
if status != 0:
    fail(f"demo poweroff: exit status {status}, expected 0")
print(f"demo: banner ({m.group(1)} CPUs, {m.group(2)} MiB), commands, reboot and poweroff OK")
