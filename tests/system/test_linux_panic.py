#!/usr/bin/env python3
# timeout: 300
"""A Linux guest panic with panic=1 (in the default command line) reboots:
at the shell prompt (1 vCPU, console on pipes) `echo c >
/proc/sysrq-trigger` panics the kernel, which resets the machine a second
later; the kernel boots again in the same vslice process up to a second
prompt, where `poweroff -f` makes vslice exit 0."""
import re

from vsltest import LINUX_BANNER, LINUX_PROMPT, Vm, fail, linux_cmd

LINUX_VERSION = r"^\[ *[\d.]+\] Linux version "

argv = linux_cmd()
cmdline = argv[argv.index("--cmdline") + 1]
if "panic=1" not in cmdline.split():
    fail(f"the guest's default command line has no panic=1: {cmdline}")
vm = Vm(argv)
b1 = vm.expect(LINUX_BANNER, timeout=120)
vm.expect(LINUX_PROMPT, timeout=60, start=b1.end())
t1 = vm.elapsed()

start = vm.mark()
vm.send(b"echo c > /proc/sysrq-trigger\n")
vm.expect(r"Kernel panic - not syncing: sysrq triggered crash", timeout=30, start=start)
t_panic = vm.elapsed()
vm.expect(r"Rebooting in 1 seconds", timeout=30, start=start)
vm.expect(LINUX_VERSION, timeout=60, start=start,
          hint="the kernel panicked but the machine did not restart")
t_reset = vm.elapsed()
b2 = vm.expect(LINUX_BANNER, timeout=120, start=start)
vm.expect(LINUX_PROMPT, timeout=60, start=b2.end())
t2 = vm.elapsed()
if vm.proc.poll() is not None:
    fail(f"vslice exited with status {vm.proc.returncode} during the second boot")
n = len(re.findall(LINUX_VERSION, vm.out.text(), re.M))
if n != 2:
    fail(f"{n} kernel boot logs in the output, expected 2")
if b1.group(0) != b2.group(0):
    fail(f"the second banner differs: '{b1.group(0)}' then '{b2.group(0)}'")

vm.send(b"poweroff -f\n")
status = vm.wait(60, "after poweroff -f")
if status != 0:
    fail(f"vslice exit status {status} after poweroff -f, expected 0")
print(f"panic: prompt at {t1:.1f} s, panic at {t_panic:.1f} s, reset at {t_reset:.1f} s, "
      f"second prompt at {t2:.1f} s (same process), poweroff -f: exit 0 at {vm.elapsed():.1f} s")
