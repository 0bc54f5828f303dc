"""Helpers for the Python system tests (imported by test_*.py; not a test).

The runner exports ROOT, VSLICE and GUESTS; the defaults let a test run
alone from the repository."""
import atexit
import base64
import fcntl
import os
import re
import select
import signal
import subprocess
import sys
import termios
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


# The accelerator, as for the shell tests (lib.sh): ACCEL=emu runs the
# software CPU.
ACCEL = os.environ.get("ACCEL") or "kvm"


def vslice_cmd(*args):
    return [VSLICE, "run", "--accel", ACCEL, *args]


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


# The default Linux guest (`make guest`: build/guest/ next to the binary, or
# LINUX_GUEST), booted on the software CPU unless LINUX_ACCEL says otherwise.
LINUX_GUEST = os.environ.get("LINUX_GUEST") or os.path.join(os.path.dirname(VSLICE), "guest")
LINUX_ACCEL = os.environ.get("LINUX_ACCEL") or "emu"
LINUX_PROMPT = r"vslice:~# "
LINUX_BANNER = r"^vslice guest: Debian (\S+) \((\S+)\), (\d+) CPUs?, (\d+) MiB$"
LINUX_MARKER = r"^VSLICE-GUEST-READY$"


def linux_cmd(*args, cmdline=""):
    """The vslice command line booting the default Linux guest with its
    default kernel command line plus cmdline, then args. Fails (never
    skips) when the guest has not been built."""
    files = [os.path.join(LINUX_GUEST, f) for f in ("vmlinuz", "initramfs.cpio.gz", "cmdline")]
    for f in files:
        if not os.access(f, os.R_OK):
            fail(f"{f} missing: run make guest (or set LINUX_GUEST to its directory)")
    with open(files[2]) as f:
        full = (f.read().strip() + " " + cmdline).strip()
    return [VSLICE, "run", "--accel", LINUX_ACCEL, "--kernel", files[0],
            "--initrd", files[1], "--cmdline", full, *args]


def linux_run64(script):
    """The kernel parameter that makes the guest's init run script (any
    shell script) instead of the shell, then power off."""
    return "vslice.run64=" + base64.b64encode(script.encode()).decode()


class Vm:
    """One vslice process whose console (--serial stdio) is either a pair of
    pipes (stderr merged into stdout) or, with tty=True, a pseudo-terminal
    whose slave is its controlling terminal. The process is killed when the
    test exits, failed or not."""

    def __init__(self, argv, tty=False):
        self.t0 = time.monotonic()
        self.tty = tty
        if tty:
            self.master, self.slave = os.openpty()
            self.termios_before = termios.tcgetattr(self.slave)

            def make_controlling_tty():
                os.setsid()
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            self.proc = subprocess.Popen(argv, stdin=self.slave, stdout=self.slave,
                                         stderr=self.slave, preexec_fn=make_controlling_tty)
            self.out = Stream(self.master, "tty")
        else:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT)
            self.out = Stream(self.proc.stdout.fileno(), "console")
        atexit.register(self.kill)
        # The runner's timeout sends SIGTERM: exit through atexit, so that
        # the VM (in its own session with tty=True) does not outlive us.
        signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))

    def elapsed(self):
        return time.monotonic() - self.t0

    def mark(self):
        """Offset in the output from which later expect()s search."""
        return len(self.out.text())

    def expect(self, pattern, timeout=15, start=0, hint=None):
        """As Stream.expect; hint, if given, is printed when it fails."""
        try:
            return self.out.expect(pattern, timeout=timeout, start=start)
        except SystemExit:
            if hint:
                print("hint: " + hint, file=sys.stderr)
            raise

    def wait_for(self, pattern, timeout, start=0):
        """As expect, but returns None instead of failing the test when
        the pattern does not come within timeout or the output ends."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.out.text(), start)
            left = deadline - time.monotonic()
            if m or left <= 0 or self.out.read_some(left) is None:
                return m or rx.search(self.out.text(), start)

    def send(self, data):
        """Types data on the console, all at once (vslice paces it into the
        guest's UART)."""
        if self.tty:
            os.write(self.master, data)
        else:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def shell(self, command, timeout=30):
        """Types command at the guest's shell prompt (call it once the
        prompt is there), then waits for the next prompt; returns what the
        command printed, CRs removed, without the echo of the command and
        without kernel messages that came in between. Keep command short
        (the guest's line editor wraps its echo at 80 columns)."""
        if len(command) > 60:
            raise ValueError(f"shell(): command too long to strip its echo: {command!r}")
        start = self.mark()
        self.send(command.encode() + b"\n")
        m = self.expect(LINUX_PROMPT, timeout=timeout, start=start + len(command))
        lines = self.out.text()[start:m.start()].split("\n")[1:]
        return "\n".join(l for l in lines if not re.match(r"\[ *\d+\.\d+\] ", l))

    def wait(self, timeout, what):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            fail(f"{what}: vslice still running {timeout} s later; output:\n{self.out.text()[-1500:]}")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
