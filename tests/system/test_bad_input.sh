#!/bin/bash
# Bad user input: each case must exit 2 with one stderr line naming the bad
# input (a second "Try 'vslice --help'." line is allowed), leave no files
# behind (the run directory stays empty and the --serial file is not
# created), and a host without a usable /dev/kvm must fail clearly.
. "$(dirname "$0")/lib.sh"

hello=$(guest hello)
work="$TMP/work"
mkdir -p "$work"
failures=0

# bad WHAT KEYWORD ARGS...: runs vslice in an empty directory with ARGS.
bad() {
	local what=$1 key=$2
	shift 2
	local log="$TMP/serial.log" status=0
	rm -f "$log"
	(cd "$work" && timeout -k 5 30 "$VSLICE" run --serial "file:$log" "$@" \
		</dev/null >"$TMP/out" 2>"$TMP/err") || status=$?
	local first nlines problem=""
	# --accel auto (the default) says which accelerator it picked before
	# the input is checked; that notice is not part of the error.
	grep -v '^vslice: --accel auto: ' "$TMP/err" >"$TMP/err.f" || true
	mv "$TMP/err.f" "$TMP/err"
	first=$(head -n 1 "$TMP/err")
	nlines=$(wc -l <"$TMP/err")
	if [ "$status" -ne 2 ]; then
		problem="exit status $status, expected 2"
	elif [ "$nlines" -lt 1 ]; then
		problem="nothing on stderr"
	elif ! grep -qF -- "$key" <<<"$first"; then
		problem="first stderr line does not name '$key'"
	elif [ "$nlines" -gt 2 ] ||
		{ [ "$nlines" -eq 2 ] && ! sed -n 2p "$TMP/err" | grep -q -- "--help"; }; then
		problem="$nlines lines on stderr, expected one"
	elif [ -n "$(ls -A "$work")" ]; then
		problem="left files behind: $(ls -A "$work" | tr '\n' ' ')"
		rm -rf "${work:?}"/* "${work:?}"/.[!.]* 2>/dev/null
	elif [ -e "$log" ]; then
		problem="created the --serial file $log"
	fi
	if [ -n "$problem" ]; then
		echo "FAIL $what: $problem"
		sed 's/^/    stderr: /' "$TMP/err" | head -n 5
		failures=$((failures + 1))
	else
		echo "ok   $what: $first"
	fi
}

echo "not a kernel" >"$TMP/notakernel"
cp /etc/hostname "$TMP/hostname" 2>/dev/null || echo host >"$TMP/hostname"
: >"$TMP/empty"
mkdir -p "$TMP/adir"
truncate -s 32M "$TMP/initrd32"
touch "$TMP/existing.sock"

bad "missing kernel" "$TMP/nonexistent.elf" --kernel "$TMP/nonexistent.elf"
bad "unreadable kernel (a directory)" "$TMP/adir" --kernel "$TMP/adir"
if [ "$(id -u)" -ne 0 ]; then
	cp "$hello" "$TMP/noperm.elf" && chmod 000 "$TMP/noperm.elf"
	bad "unreadable kernel (mode 000)" "$TMP/noperm.elf" --kernel "$TMP/noperm.elf"
fi
bad "kernel of no known format" "$TMP/hostname" --kernel "$TMP/hostname"
bad "empty kernel" "$TMP/empty" --kernel "$TMP/empty"
bad "missing initrd" "$TMP/nonexistent.img" --kernel "$hello" --initrd "$TMP/nonexistent.img"
bad "initrd that does not fit" "initrd" --kernel "$hello" --memory 16M --initrd "$TMP/initrd32"
bad "--memory 0" "--memory" --kernel "$hello" --memory 0
bad "--memory 1K" "--memory" --kernel "$hello" --memory 1K
bad "--memory 15M" "--memory" --kernel "$hello" --memory 15M
bad "--memory 1T" "--memory" --kernel "$hello" --memory 1T
bad "--memory 99999999G" "--memory" --kernel "$hello" --memory 99999999G
bad "--memory garbage" "--memory" --kernel "$hello" --memory lots
bad "--memory 12Q" "--memory" --kernel "$hello" --memory 12Q
bad "--memory -5" "--memory" --kernel "$hello" --memory -5
bad "--cpus 0" "--cpus" --kernel "$hello" --cpus 0
bad "--cpus 65" "--cpus" --kernel "$hello" --cpus 65
bad "--cpus abc" "--cpus" --kernel "$hello" --cpus abc
bad "--cpus 2x" "--cpus" --kernel "$hello" --cpus 2x
bad "unknown option" "--bogus" --kernel "$hello" --bogus
bad "option without its value" "--cpus" --kernel "$hello" --cpus
bad "--serial bogus" "--serial" --kernel "$hello" --serial bogus
bad "--serial socket: on an existing file" "$TMP/existing.sock" --kernel "$hello" \
	--serial "socket:$TMP/existing.sock"
bad "--accel bogus" "--accel" --kernel "$hello" --accel bogus
bad "--on-reboot bogus" "--on-reboot" --kernel "$hello" --on-reboot bogus
[ -e "$TMP/existing.sock" ] || { echo "FAIL: vslice removed a file it did not create"; failures=$((failures + 1)); }

# No usable /dev/kvm: hide it behind /dev/null in a private mount namespace.
if ! command -v unshare >/dev/null; then
	echo "FAIL no /dev/kvm: unshare(1) missing, cannot simulate"
	failures=$((failures + 1))
else
	status=0
	timeout -k 5 30 unshare -m bash -c \
		'mount --bind /dev/null /dev/kvm && exec "$0" run --accel kvm --kernel "$1"' \
		"$VSLICE" "$hello" </dev/null >"$TMP/out" 2>"$TMP/err" || status=$?
	if grep -q "^unshare:\|^mount:" "$TMP/err"; then
		echo "FAIL no /dev/kvm: could not simulate: $(head -n 1 "$TMP/err")"
		failures=$((failures + 1))
	elif [ "$status" -eq 0 ] || [ "$status" -ge 124 ] || ! grep -q "/dev/kvm" "$TMP/err"; then
		echo "FAIL no /dev/kvm: exit status $status, stderr must name /dev/kvm"
		sed 's/^/    stderr: /' "$TMP/err" | head -n 5
		failures=$((failures + 1))
	elif grep -q "Hello from" "$TMP/out"; then
		echo "FAIL no /dev/kvm: the guest ran anyway"
		failures=$((failures + 1))
	else
		echo "ok   no /dev/kvm (--accel kvm): status $status: $(head -n 1 "$TMP/err")"
	fi
fi

[ "$failures" -eq 0 ] || fail "$failures bad-input case(s) failed"
echo "bad input: all cases rejected cleanly"
