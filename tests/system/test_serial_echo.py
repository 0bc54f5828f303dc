#!/usr/bin/env python3
"""Serial input: the serial_echo guest takes UART receive interrupts and
echoes each line upper-cased; "quit" powers off. Driven three ways: a pipe
into --serial stdio, a client on --serial socket:PATH, and --serial pty."""
import os
import re
import socket
import subprocess
import tempfile
import time
import tty

from vsltest import Stream, fail, guest, ping_until_echoed, vslice_cmd, wait_exit

ECHO = guest("serial_echo")


def check_lines(send, stream, what):
    start = len(stream.text())
    send(b"hello world\n")
    stream.expect(r"^HELLO WORLD$", start=start)
    send(b"Mixed Case 123 !?\r\n")
    stream.expect(r"^MIXED CASE 123 !\?$", start=start)
    send(b"quit\n")
    m = stream.expect(r"^quit: powering off \((\d+) bytes received in (\d+) interrupts\)$", start=start)
    if int(m.group(2)) < 1:
        fail(f"{what}: no UART interrupts counted")
    return m


def via_stdio():
    p = subprocess.Popen(vslice_cmd("--kernel", ECHO), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = Stream(p.stdout.fileno(), "stdio")
    out.expect(r"^serial_echo ready")

    def send(b):
        p.stdin.write(b)
        p.stdin.flush()
    m = check_lines(send, out, "stdio")
    status = wait_exit(p, 10, "stdio")
    if status != 0:
        fail(f"stdio: exit status {status} after quit\n{p.stderr.read().decode(errors='replace')}")
    print(f"stdio pipe: lines echoed upper-cased, {m.group(1)} bytes in {m.group(2)} interrupts")


def via_socket():
    d = tempfile.mkdtemp(prefix="vslice-sock.")
    path = os.path.join(d, "console.sock")
    p = subprocess.Popen(vslice_cmd("--kernel", ECHO, "--serial", "socket:" + path),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not os.path.exists(path):
        if time.monotonic() > deadline or p.poll() is not None:
            p.kill()
            fail(f"socket: {path} never appeared\n{p.stderr.read().decode(errors='replace')}")
        time.sleep(0.05)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    out = Stream(s.fileno(), "socket")
    ping_until_echoed(s.sendall, out)
    m = check_lines(s.sendall, out, "socket")
    status = wait_exit(p, 10, "socket")
    s.close()
    if status != 0:
        fail(f"socket: exit status {status} after quit")
    if os.path.exists(path):
        fail(f"socket: {path} left behind after exit")
    os.rmdir(d)
    print(f"socket: lines echoed upper-cased, {m.group(1)} bytes in {m.group(2)} interrupts; socket removed")


def via_pty():
    p = subprocess.Popen(vslice_cmd("--kernel", ECHO, "--serial", "pty"),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = Stream(p.stderr.fileno(), "pty stderr")
    m = err.expect(r"(/dev/pts/\d+)", timeout=10)
    fd = os.open(m.group(1), os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    out = Stream(fd, "pty")
    ping_until_echoed(lambda b: os.write(fd, b), out)
    m = check_lines(lambda b: os.write(fd, b), out, "pty")
    status = wait_exit(p, 10, "pty")
    os.close(fd)
    if status != 0:
        fail(f"pty: exit status {status} after quit")
    print(f"pty: lines echoed upper-cased, {m.group(1)} bytes in {m.group(2)} interrupts")


via_stdio()
via_socket()
via_pty()
