#!/bin/bash
# Guest reboot: the reboot guest resets itself 3 times (i8042 0xFE, the FADT
# reset register, triple fault), counting boots in CMOS NVRAM, then powers
# off: 4 "boot" lines and exit 0. With --on-reboot exit, vslice exits 0 at
# the first reset.
. "$(dirname "$0")/lib.sh"

vm --kernel "$(guest reboot)" --cmdline "reboots=3"
expect_status 0 "reboot guest, 3 resets"
[ "$(count_lines 'boot [0-9]+')" -eq 4 ] ||
	fail "expected exactly 4 boot lines"$'\n'"$(last_output)"
for i in 0 1 2 3; do
	expect_line "boot $i" "boot $i (CMOS NVRAM kept across resets)"
done
expect_line "resetting through the i8042.*" "i8042 reset"
expect_line "\(reset register from the FADT\)" "FADT RESET_REG present"
expect_line "resetting through the ACPI reset register.*" "ACPI reset"
expect_line "resetting through a triple fault.*" "triple fault"
expect_line "reboot: done after 3 resets, powering off" "reboot guest finished"
no_line "FAIL|warning" "reboot guest"
echo "reboot: 3 resets (i8042, ACPI, triple fault), 4 boots, exit 0"

vm --kernel "$(guest reboot)" --cmdline "reboots=3" --on-reboot exit
expect_status 0 "--on-reboot exit"
[ "$(count_lines 'boot [0-9]+')" -eq 1 ] ||
	fail "--on-reboot exit: expected exactly 1 boot line"$'\n'"$(last_output)"
echo "reboot --on-reboot exit: one boot, exit 0"
