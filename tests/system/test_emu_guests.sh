#!/bin/bash
# The software CPU runs the same small guests as KVM, with the same devices
# and loaders: the shell and Python tests are re-run with --accel emu (the
# interrupt-driven ones through the user-space LAPIC/IOAPIC/PIC/PIT), then
# the 64-bit guests (long mode, paging, exceptions, SYSCALL round trip),
# which this host's KVM (PVM) cannot run.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

for t in test_hello.sh test_debug_exit.sh test_mmio.sh test_reboot.sh test_serial_file.sh \
	test_timer.sh test_smp.sh test_serial_echo.py test_demo.py test_rtc.py; do
	case "$t" in
	*.py) run=(python3 "$here/$t") ;;
	*) run=(bash "$here/$t") ;;
	esac
	ACCEL=emu PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "${run[@]}" >"$TMP/sub.log" 2>&1 ||
		fail "$t under --accel emu:"$'\n'"$(tail -n 20 "$TMP/sub.log")"
	echo "emu: $t passed: $(tail -n 1 "$TMP/sub.log")"
done

export ACCEL=emu
GUESTS64=$(realpath -m "$(dirname "$VSLICE")/guests64")
for g in long64 syscall64; do
	[ -f "$GUESTS64/$g.elf" ] || fail "missing $GUESTS64/$g.elf (run make)"
	vm --kernel "$GUESTS64/$g.elf"
	no_line "^FAIL" "$g checks"
	expect_line "all checks passed" "$g summary"
	expect_status 33 "$g pass status"
	echo "emu: $g: $(count_lines 'PASS .*') checks passed"
done
