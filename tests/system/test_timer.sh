#!/bin/bash
# PIT at 100 Hz through the IOAPIC (GSI 2 via the MADT override) to the LAPIC:
# 20 ticks must arrive and take about 200 ms on the ACPI PM timer.
. "$(dirname "$0")/lib.sh"

vm --kernel "$(guest timer)"
expect_status 0 "timer guest"
expect_line "PIT IRQ 0 is GSI 2" "MADT override for IRQ 0"
expect_line "ticks 20" "20 timer interrupts"
ms=$(sed -nE 's/^pm timer delta [0-9]+ ticks = ([0-9]+) ms.*/\1/p' "$TMP/out.txt")
[ -n "$ms" ] || fail "no PM timer delta line"$'\n'"$(last_output)"
[ "$ms" -ge 150 ] && [ "$ms" -le 500 ] ||
	fail "20 ticks at 100 Hz took $ms ms on the PM timer, expected 150..500"
echo "timer: 20 ticks in $ms ms"
