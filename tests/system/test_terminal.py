#!/usr/bin/env python3
"""Terminal handling with --serial stdio on a tty (a pty whose slave is
vslice's controlling terminal): while the guest runs the tty is raw, Ctrl-C
(0x03) goes to the guest (the demo guest prints ^C) instead of killing
vslice, Ctrl-A x quits promptly with status 0, and the terminal modes are
exactly restored afterwards."""
import fcntl
import os
import subprocess
import termios
import time

from vsltest import Stream, fail, guest, vslice_cmd

master, slave = os.openpty()
before = termios.tcgetattr(slave)
if not before[3] & termios.ICANON:
    fail("the new pty is not in canonical mode to begin with")


def make_controlling_tty():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


p = subprocess.Popen(vslice_cmd("--kernel", guest("demo"), "--serial", "stdio"),
                     stdin=slave, stdout=slave, stderr=slave,
                     preexec_fn=make_controlling_tty)
out = Stream(master, "tty")
out.expect(r"vslice demo guest \(not Linux\)")
out.expect(r"vslice> ")

during = termios.tcgetattr(slave)
if during[3] & (termios.ICANON | termios.ECHO | termios.ISIG):
    fail("the tty is not in raw mode while the guest runs (ICANON, ECHO or ISIG still set)")

start = len(out.text())
os.write(master, b"abc\x03")
out.expect(r"abc\^C", start=start)
time.sleep(0.3)
if p.poll() is not None:
    fail(f"Ctrl-C ended vslice (status {p.returncode}) instead of going to the guest")

start = len(out.text())
os.write(master, b"help\r")
out.expect(r"^commands:", start=start)

t0 = time.monotonic()
os.write(master, b"\x01x")
try:
    status = p.wait(timeout=5)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    fail("vslice did not exit within 5 s of Ctrl-A x")
took = time.monotonic() - t0
if status != 0:
    fail(f"Ctrl-A x: exit status {status}, expected 0")

after = termios.tcgetattr(slave)
if after != before:
    names = ["iflag", "oflag", "cflag", "lflag", "ispeed", "ospeed", "cc"]
    diff = [n for n, a, b in zip(names, before, after) if a != b]
    fail(f"terminal modes not restored after exit: {', '.join(diff)} differ")
os.close(slave)
os.close(master)
print(f"terminal: raw while running, ^C reached the guest, Ctrl-A x exited in {took:.2f} s, termios restored")
