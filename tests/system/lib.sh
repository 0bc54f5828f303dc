# Helpers for the shell system tests (sourced by test_*.sh, not a test).
# The runner exports ROOT, VSLICE and GUESTS; defaults let a test run alone.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VSLICE=$(realpath -m "${VSLICE:-$ROOT/build/vslice}")
GUESTS=$(realpath -m "${GUESTS:-$(dirname "$VSLICE")/guests}")
TMP=$(mktemp -d /tmp/vslice-systest.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Shows what the last vm run printed (for failure messages).
last_output() {
	echo "--- guest output (last 20 lines):"
	tail -n 20 "$TMP/out.txt" 2>/dev/null
	echo "--- vslice stderr (last 10 lines):"
	tail -n 10 "$TMP/err" 2>/dev/null
}

# vm ARGS...: runs `vslice run --accel $ACCEL ARGS` (default kvm) with stdin from /dev/null
# and a timeout; sets STATUS, leaves stdout in $TMP/out (CRs stripped in
# $TMP/out.txt) and stderr in $TMP/err.
vm() {
	STATUS=0
	timeout -k 5 "${VM_TIMEOUT:-30}" "$VSLICE" run --accel "${ACCEL:-kvm}" "$@" \
		</dev/null >"$TMP/out" 2>"$TMP/err" || STATUS=$?
	tr -d '\r' <"$TMP/out" >"$TMP/out.txt"
	if [ "$STATUS" -eq 124 ] || [ "$STATUS" -eq 137 ]; then
		fail "vslice run $* timed out after ${VM_TIMEOUT:-30} s"$'\n'"$(last_output)"
	fi
}

# expect_status N WHAT
expect_status() {
	[ "$STATUS" -eq "$1" ] ||
		fail "$2: exit status $STATUS, expected $1"$'\n'"$(last_output)"
}

# expect_line REGEX WHAT: some whole output line matches the extended regex.
expect_line() {
	grep -qxE -- "$1" "$TMP/out.txt" ||
		fail "$2: no output line matching /$1/"$'\n'"$(last_output)"
}

# no_line REGEX WHAT
no_line() {
	! grep -qE -- "$1" "$TMP/out.txt" ||
		fail "$2: unexpected output line matching /$1/"$'\n'"$(last_output)"
}

# count_lines REGEX: prints how many whole output lines match.
count_lines() {
	grep -cxE -- "$1" "$TMP/out.txt" || true
}

guest() {
	local g="$GUESTS/$1.elf"
	[ -r "$g" ] || fail "guest $g missing: run make guests"
	echo "$g"
}
