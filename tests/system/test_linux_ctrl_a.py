#!/usr/bin/env python3
# timeout: 240
"""The Linux guest's shell on a terminal (a pseudo-terminal whose slave is
vslice's controlling terminal, default options): the tty is raw while the
guest runs, a typed command runs, Ctrl-C interrupts a guest command (job
control on the guest's console) instead of killing vslice, and Ctrl-A x
quits within 5 s with status 0 and exactly the terminal modes from
before."""
import termios
import time

from vsltest import LINUX_BANNER, LINUX_PROMPT, Vm, fail, linux_cmd

vm = Vm(linux_cmd(), tty=True)
if not vm.termios_before[3] & termios.ICANON:
    fail("the new pty is not in canonical mode to begin with")
banner = vm.expect(LINUX_BANNER, timeout=120)
vm.expect(LINUX_PROMPT, timeout=60, start=banner.end())
t_prompt = vm.elapsed()

during = termios.tcgetattr(vm.slave)
if during[3] & (termios.ICANON | termios.ECHO | termios.ISIG):
    fail("the tty is not in raw mode while the guest runs (ICANON, ECHO or ISIG still set)")

got = vm.shell("echo $((6 * 7))").strip()
if got != "42":
    fail(f"the shell answered {got!r} to echo $((6 * 7)), expected '42'")

# Ctrl-C (0x03) goes to the guest: its tty echoes ^C and sends SIGINT to
# the foreground job, which ends sleep with status 130 (128 + SIGINT);
# vslice keeps running. A guest that ignores SIGINT fails the test, but
# only after the Ctrl-A x checks.
ctrl_c_problem = None
start = vm.mark()
vm.send(b"sleep 100\n")
vm.expect(r"sleep 100\n", timeout=10, start=start)
time.sleep(1)
vm.send(b"\x03")
vm.expect(r"\^C", timeout=10, start=start)
if not vm.wait_for(LINUX_PROMPT, timeout=10, start=start):
    ctrl_c_problem = ("Ctrl-C reached the guest (^C echoed) but did not interrupt `sleep 100` "
                      "within 10 s: is SIGINT ignored in the guest's console shell and its "
                      "children? (SigIgn in /proc/$$/status)")
if vm.proc.poll() is not None:
    fail(f"Ctrl-C ended vslice (status {vm.proc.returncode}) instead of going to the guest")
if not ctrl_c_problem:
    got = vm.shell("echo $?").strip()
    if got != "130":
        ctrl_c_problem = f"after Ctrl-C, sleep's status is {got!r}, expected '130' (killed by SIGINT)"

t0 = time.monotonic()
vm.send(b"\x01x")
try:
    status = vm.proc.wait(timeout=5)
except Exception:
    fail("vslice did not exit within 5 s of Ctrl-A x")
took = time.monotonic() - t0
if status != 0:
    fail(f"Ctrl-A x: exit status {status}, expected 0")

after = termios.tcgetattr(vm.slave)
if after != vm.termios_before:
    names = ["iflag", "oflag", "cflag", "lflag", "ispeed", "ospeed", "cc"]
    diff = [n for n, a, b in zip(names, vm.termios_before, after) if a != b]
    fail(f"terminal modes not restored after exit: {', '.join(diff)} differ")
if ctrl_c_problem:
    fail(ctrl_c_problem + f" (Ctrl-A x itself: exit 0 in {took:.2f} s, termios restored)")
print(f"ctrl-a: prompt at {t_prompt:.1f} s, tty raw, command and Ctrl-C reached the guest, "
      f"Ctrl-A x exited 0 in {took:.2f} s, termios restored")
