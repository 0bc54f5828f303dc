#!/bin/bash
# Without --kernel, vslice boots the default guest next to its binary: the
# Debian guest (guest/vmlinuz + initramfs + cmdline, made by
# scripts/build-guest) when it exists, else the demo guest; -v says which.
# Checked with a copy of the binary in a scratch directory, so both cases
# are exercised whatever the build tree holds.
. "$(dirname "$0")/lib.sh"

dir="$TMP/bin"
mkdir -p "$dir/guests"
cp "$VSLICE" "$dir/vslice"
cp "$GUESTS/demo.elf" "$dir/guests/demo.elf"

# 1. Only the demo guest: it boots, says it is not Linux, and powers off.
# Type "poweroff" only once the prompt is there: the guest resets the
# UART FIFOs at start, as a PC's firmware would, dropping earlier input.
mkfifo "$TMP/in"
STATUS=0
timeout -k 5 60 "$dir/vslice" run -v --accel "${ACCEL:-kvm}" <"$TMP/in" \
	>"$TMP/out" 2>"$TMP/err" &
pid=$!
exec 3>"$TMP/in"
for _ in $(seq 300); do
	grep -q "vslice> " "$TMP/out" 2>/dev/null && break
	sleep 0.1
done
printf 'poweroff\r' >&3
exec 3>&-
wait "$pid" || STATUS=$?
tr -d '\r' <"$TMP/out" >"$TMP/out.txt"
expect_status 0 "demo guest as default"
grep -q "no --kernel: booting the demo guest" "$TMP/err" ||
	fail "vslice -v did not say it booted the demo guest"$'\n'"$(last_output)"
expect_line "vslice demo guest \(not Linux\): .*" "demo banner"

# 2. No default guest at all: a clear error and status 2.
rm "$dir/guests/demo.elf"
STATUS=0
"$dir/vslice" run </dev/null >"$TMP/out" 2>"$TMP/err" || STATUS=$?
expect_status 2 "no default guest"
grep -q "no --kernel given and no default guest" "$TMP/err" ||
	fail "missing default guest: unclear message: $(cat "$TMP/err")"
[ -e "$dir/guest" ] && fail "stray files left behind"
echo "default guest: demo chosen when alone, clear error when none"
