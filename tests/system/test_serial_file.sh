#!/bin/bash
# --serial file:PATH: the guest's serial output goes to the file, not stdout.
. "$(dirname "$0")/lib.sh"

f="$TMP/console.log"
vm --kernel "$(guest hello)" --cmdline "to-a-file" --serial "file:$f"
expect_status 0 "hello with --serial file"
[ -f "$f" ] || fail "--serial file:$f did not create the file"
grep -q "Hello from the vslice hello guest" "$f" ||
	fail "banner not in $f: $(head -c 300 "$f")"
grep -q "cmdline: .*to-a-file" "$f" || fail "cmdline not in $f"
! grep -q "Hello from" "$TMP/out.txt" || fail "serial output also went to stdout"

# An existing file is truncated, not appended to.
vm --kernel "$(guest hello)" --cmdline "second-run" --serial "file:$f"
expect_status 0 "second run with --serial file"
! grep -q "to-a-file" "$f" || fail "$f was appended to, not rewritten"
grep -q "second-run" "$f" || fail "second run's output not in $f"
echo "serial file: output in $f ($(wc -c <"$f") bytes)"
