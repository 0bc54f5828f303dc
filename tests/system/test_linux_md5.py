#!/usr/bin/env python3
# timeout: 300
"""Compute jobs in the Linux guest on the software CPU (1 vCPU) give the
host's results: busybox md5sum over 64 MiB of zeros from dd through a pipe,
and md5sum, sha1sum and sha256sum of `seq 1 100000` (a non-trivial
pattern, 588895 bytes), also after a gzip/gunzip round trip."""
import hashlib
import re

from vsltest import LINUX_MARKER, Vm, fail, linux_cmd, linux_run64

SCRIPT = """set -e
seq 1 100000 >/tmp/seq
echo "SEQ-SIZE $(wc -c </tmp/seq)"
echo "SEQ-MD5 $(md5sum </tmp/seq)"
echo "SEQ-SHA1 $(sha1sum </tmp/seq)"
echo "SEQ-SHA256 $(sha256sum </tmp/seq)"
echo "SEQ-GZIP-MD5 $(gzip -c /tmp/seq | gunzip | md5sum)"
echo "ZERO-MD5 $(dd if=/dev/zero bs=1M count=64 2>/dev/null | md5sum)"
"""

seq = "".join(f"{i}\n" for i in range(1, 100001)).encode()
expected = {
    "SEQ-SIZE": str(len(seq)),
    "SEQ-MD5": hashlib.md5(seq).hexdigest(),
    "SEQ-SHA1": hashlib.sha1(seq).hexdigest(),
    "SEQ-SHA256": hashlib.sha256(seq).hexdigest(),
    "SEQ-GZIP-MD5": hashlib.md5(seq).hexdigest(),
    "ZERO-MD5": hashlib.md5(bytes(64 << 20)).hexdigest(),
}

vm = Vm(linux_cmd(cmdline=linux_run64(SCRIPT)))
marker = vm.expect(LINUX_MARKER, timeout=120)
t_marker = vm.elapsed()
times = {}
for key in expected:
    m = vm.expect(rf"^{key} (\S+)", timeout=120, start=marker.end())
    times[key] = vm.elapsed()
end = vm.expect(r"^VSLICE-RUN-EXIT=(\d+)\n", timeout=60, start=marker.end())
text = vm.out.text()[marker.end():end.start()]
for key, want in expected.items():
    got = re.search(rf"^{key} (\S+)", text, re.M).group(1)
    if got != want:
        fail(f"{key}: guest {got}, host {want}")
if end.group(1) != "0":
    fail(f"the guest's script exited with {end.group(1)}:\n{text}")
status = vm.wait(60, "after the compute jobs")
if status != 0:
    fail(f"vslice exit status {status} after the guest powered off, expected 0")
print(f"md5: marker at {t_marker:.1f} s; seq digests (md5, sha1, sha256, gzip round trip) match "
      f"at {times['SEQ-GZIP-MD5']:.1f} s; 64 MiB zeros md5 {expected['ZERO-MD5']} matches "
      f"({times['ZERO-MD5'] - times['SEQ-GZIP-MD5']:.1f} s); exit 0 at {vm.elapsed():.1f} s")
