#!/bin/bash
# fw_cfg: the fwcfg guest reads QEMU's firmware configuration interface
# (ports 0x510/0x511 and the DMA register at 0x514) and prints the
# signature, RAM size, CPU counts and file directory; the values must match
# --memory and --cpus, under KVM and the software CPU (ACCEL=kvm or
# ACCEL=emu runs just that one).
. "$(dirname "$0")/lib.sh"

accels=${ACCEL:-kvm emu}
g=$(guest fwcfg)

# check CPUS MEMORY HEX_RAM_SIZE MIB
check() {
	local cpus=$1 mem=$2 hex=$3 mib=$4 what="fwcfg --accel $ACCEL --cpus $1 --memory $2"
	vm --kernel "$g" --cpus "$cpus" --memory "$mem"
	no_line "^FAIL" "$what"
	expect_line "fw_cfg signature QEMU" "$what: signature"
	expect_line "fw_cfg id 0x00000003" "$what: traditional + DMA feature bits"
	expect_line "fw_cfg ram_size $hex \($mib MiB\)" "$what: RAM size"
	expect_line "fw_cfg nb_cpus $cpus" "$what: CPU count"
	expect_line "fw_cfg max_cpus $cpus" "$what: max CPUs"
	expect_line "fw_cfg files 2" "$what: file count"
	expect_line "fw_cfg file 0x0020 size [0-9]+ etc/e820" "$what: etc/e820 entry"
	expect_line "fw_cfg file 0x0021 size 11 opt/vslice/version" "$what: version entry"
	expect_line "fw_cfg opt/vslice/version: vslice [0-9.]+" "$what: version contents"
	expect_line "fw_cfg dma register QEMU CFG" "$what: DMA register signature"
	expect_line "fw_cfg dma signature QEMU, control 0x00000000" "$what: DMA read"
	expect_line "fw_cfg dma nb_cpus $cpus" "$what: DMA read of the CPU count"
	expect_line "fw_cfg dma to a bad address: control 0x00000001" "$what: DMA error bit"
	expect_line "all checks passed" "$what: guest summary"
	expect_status 33 "$what: pass status"
	# etc/e820 holds whole 20-byte entries
	local size
	size=$(sed -nE 's/^fw_cfg file 0x0020 size ([0-9]+) etc\/e820$/\1/p' "$TMP/out.txt")
	[ $((size % 20)) -eq 0 ] && [ "$size" -gt 0 ] ||
		fail "$what: etc/e820 is $size bytes, not whole 20-byte entries"$'\n'"$(last_output)"
	echo "$what: ram $hex, $cpus cpus, e820 $((size / 20)) entries: ok"
}

for ACCEL in $accels; do
	export ACCEL
	check 2 64M 0x0000000004000000 64
	check 1 1G 0x0000000040000000 1024
	check 4 5G 0x0000000140000000 5120
done
