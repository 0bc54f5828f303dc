"""Helpers for the Python system tests (imported by test_*.py; not a test).

The runner exports ROOT, VSLICE and GUESTS; the defaults let a test run
alone from the repository."""
import os
import re
import select
import subprocess
import sys
import time

ROOT = os.environ.get("ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
VSLICE = os.environ.get("VSLICE") or os.path.join(ROOT, "build", "vslice")
GUESTS = os.environ.get("GUESTS") or os.path.join(os.path.dirname(VSLICE), "guests")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def guest(name):
    path = os.path.join(GUESTS, name + ".elf")
    if not os.access(path, os.R_OK):
        fail(f"guest {path} missing: run make guests")
    return path


def vslice_cmd(*args):
    return [VSLICE, "run", "--accel", "kvm", *args]


def run(*args, timeout=30):
    """Runs vslice to completion; returns (status, stdout, stderr) as text
    with CRs removed."""
    try:
        p = subprocess.run(vslice_cmd(*args), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        fail(f"vslice {' '.join(args)} timed out after {timeout} s; output:\n{out[-2000:]}")
    dec = lambda b: b.decode(errors="replace").replace("\r", "")
    return p.returncode, dec(p.stdout), dec(p.stderr)


class Stream:
    """Accumulates bytes read from a file descriptor and waits for patterns."""

    def __init__(self, fd, what):
        self.fd = fd
        self.what = what
        self.buf = b""

    def read_some(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # pty master after the child closed the slave
            data = b""
        if not data:
            return None
        self.buf += data
        return True

    def text(self):
        return self.buf.decode(errors="replace").replace("\r", "")

    def expect(self, pattern, timeout=15, start=0):
        """Waits until the regex matches the text from offset start; returns
        the match. Fails the test on timeout or end of stream."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        while True:
            m = rx.search(self.text(), start)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"{self.what}: no /{pattern}/ within {timeout} s; got:\n{self.text()[-1500:]}")
            if self.read_some(left) is None:
                m = rx.search(self.text(), start)
                if m:
                    return m
                fail(f"{self.what}: stream ended before /{pattern}/; got:\n{self.text()[-1500:]}")


def wait_exit(proc, timeout, what):
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        fail(f"{what}: vslice still running {timeout} s later")


def ping_until_echoed(send, stream, timeout=20):
    """Sends "ping" lines until the serial_echo guest answers PING: input
    sent before the guest set up its UART may be lost, and output before a
    client connects is dropped, so the test cannot rely on the ready line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        send(b"ping\n")
        t = time.monotonic() + 0.5
        while time.monotonic() < t:
            if "PING" in stream.text():
                return
            if stream.read_some(0.1) is None:
                fail(f"{stream.what}: stream ended; got:\n{stream.text()[-1500:]}")
    fail(f"{stream.what}: the guest never echoed PING in {timeout} s; got:\n{stream.text()[-1500:]}")
