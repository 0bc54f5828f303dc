#!/bin/bash
# Debug-exit: a guest write of V to port 0xf4 ends vslice with (V << 1) | 1.
. "$(dirname "$0")/lib.sh"

for v in 0 1 33 0x7f; do
	want=$(( (v << 1) | 1 ))
	vm --kernel "$(guest debug_exit)" --cmdline "code=$v"
	expect_line "writing $((v)) to port 0xf4" "debug_exit code=$v"
	expect_status "$want" "debug_exit code=$v"
	echo "code=$v -> exit status $STATUS"
done
