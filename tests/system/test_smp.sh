#!/bin/bash
# SMP bring-up: with --cpus N the smp guest finds N CPUs in the MADT, starts
# the APs with INIT-SIPI-SIPI, and every APIC ID 0..N-1 reports exactly once.
. "$(dirname "$0")/lib.sh"

for n in 1 2 4 8; do
	vm --kernel "$(guest smp)" --cpus "$n"
	expect_status 0 "smp --cpus $n"
	expect_line "MADT: $n cpus" "MADT CPU count with --cpus $n"
	expect_line "all $n cpus up" "all CPUs up with --cpus $n"
	no_line "FAIL" "smp --cpus $n"
	[ "$(count_lines 'cpu [0-9]+ apic [0-9]+ up')" -eq "$n" ] ||
		fail "--cpus $n: expected $n 'cpu K apic ID up' lines"$'\n'"$(last_output)"
	for ((id = 0; id < n; id++)); do
		c=$(count_lines "cpu [0-9]+ apic $id up")
		[ "$c" -eq 1 ] || fail "--cpus $n: APIC ID $id reported $c times"$'\n'"$(last_output)"
	done
	echo "smp --cpus $n: APIC IDs 0..$((n - 1)) up once each"
done
