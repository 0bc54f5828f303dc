#!/bin/bash
# Port I/O and MMIO dispatch: the mmio guest checks the test device with 1-,
# 2- and 4-byte accesses, unclaimed MMIO (all-ones) and ports (0xff), and
# exits via debug-exit 0x10 (status 33) if every check passed.
. "$(dirname "$0")/lib.sh"

vm --kernel "$(guest mmio)"
no_line "^FAIL" "mmio checks"
expect_line "mmio: all passed" "mmio summary"
expect_status 33 "mmio pass status"
[ "$(count_lines 'PASS .*')" -eq 19 ] ||
	fail "expected 19 PASS lines, got $(count_lines 'PASS .*')"$'\n'"$(last_output)"
echo "mmio: 19 checks passed"
