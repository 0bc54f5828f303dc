#!/bin/bash
# Serial output and ACPI poweroff: the hello guest prints a banner and its
# Multiboot command line, then powers off (exit status 0).
. "$(dirname "$0")/lib.sh"

vm --kernel "$(guest hello)" --cmdline "hello-arg key=value"
expect_status 0 "hello powers off"
expect_line "Hello from the vslice hello guest" "banner"
expect_line "cmdline: (.* )?hello-arg key=value" "command line passed to the guest"
expect_line "powering off" "guest reached poweroff"
no_line "warning|FAIL" "hello guest warnings"
echo "hello: banner, cmdline and poweroff OK"
