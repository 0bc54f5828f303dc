#!/usr/bin/env python3
# timeout: 300
"""Reboot and power-off from the Linux guest's shell, as a user types them
(console on pipes, 2 vCPUs): at the first prompt `reboot` boots the kernel
a second time in the same vslice process (its log, banner and prompt
appear again, the process never exited), and at the second prompt
`poweroff` makes vslice exit 0."""
import re

from vsltest import LINUX_BANNER, LINUX_PROMPT, Vm, fail, linux_cmd

LINUX_VERSION = r"^\[ *[\d.]+\] Linux version "
INIT_HINT = ("/init (pid 1) is a shell script: busybox reboot and poweroff without -f only signal "
             "pid 1 (SIGTERM, SIGUSR2), which it must trap and act on")

vm = Vm(linux_cmd("--cpus", "2"))
b1 = vm.expect(LINUX_BANNER, timeout=120)
vm.expect(LINUX_PROMPT, timeout=60, start=b1.end())
t1 = vm.elapsed()
got = vm.shell("echo $((6 * 7))").strip()
if got != "42":
    fail(f"first boot: the shell answered {got!r} to echo $((6 * 7)), expected '42'")

start = vm.mark()
vm.send(b"reboot\n")
vm.expect(LINUX_VERSION, timeout=30, start=start,
          hint="`reboot` at the shell prompt did not restart the kernel; " + INIT_HINT)
t_reset = vm.elapsed()
b2 = vm.expect(LINUX_BANNER, timeout=120, start=start)
vm.expect(LINUX_PROMPT, timeout=60, start=b2.end())
t2 = vm.elapsed()
if vm.proc.poll() is not None:
    fail(f"vslice exited with status {vm.proc.returncode} during the second boot")
text = vm.out.text()
for what, rx, n in (("kernel boot logs", LINUX_VERSION, 2), ("banners", LINUX_BANNER, 2),
                    ("SMP bring-ups", r"smpboot: Total of 2 processors activated", 2)):
    got = len(re.findall(rx, text, re.M))
    if got != n:
        fail(f"{got} {what} in the output, expected {n}:\n{text[-1500:]}")
if b1.group(0) != b2.group(0):
    fail(f"the second banner differs: '{b1.group(0)}' then '{b2.group(0)}'")
got = vm.shell("echo $((6 * 7))").strip()
if got != "42":
    fail(f"second boot: the shell answered {got!r} to echo $((6 * 7)), expected '42'")

vm.send(b"poweroff\n")
vm.expect(r"reboot: Power down", timeout=60, start=b2.end(),
          hint="`poweroff` at the shell prompt did not power off; " + INIT_HINT)
status = vm.wait(30, "after poweroff")
if status != 0:
    fail(f"vslice exit status {status} after poweroff, expected 0")
print(f"reboot: prompt at {t1:.1f} s, reset at {t_reset:.1f} s, second prompt at {t2:.1f} s "
      f"(same process, 2 boot logs), poweroff: exit 0 at {vm.elapsed():.1f} s")
