#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Devices from the command line (issue: microVMs): the guest runs in a QEMU microvm with
# acpi=off (scripts/boot.sh --acpi off), so there are no LNRO0005 devices and QEMU appends a
# virtio_mmio.device= entry per virtio device to the kernel command line, as Firecracker does.
# rvnet gets them as device= parameters: both NICs bind with QEMU's MACs, the entropy device
# is left alone, traffic flows, rmmod removes what insmod made. Then bad entries, each
# refused with a message naming it, with nothing loaded and nothing left behind: malformed,
# overlapping, no virtio device at the address, an interrupt the probe cannot have (after a
# good entry, which must be removed again). (busybox's insmod tries twice, finit_module then
# init_module: each message appears twice in the log.)
. /rvnet/lib.sh

DRV=/sys/bus/platform/drivers/rvnet
kmemleak_baseline

# The entries QEMU appended, in order: NIC A, NIC B, the entropy device.
ENTRIES=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^virtio_mmio\.device=//p')
echo "entries: $(echo $ENTRIES)"
check "QEMU described three devices on the command line" test "$(echo "$ENTRIES" | wc -l)" = 3
check "no ACPI devices (acpi=off)" sh -c "! ls /sys/bus/platform/devices | grep -q LNRO0005"
args() { for e in "$@"; do printf ' device=%s' "$e"; done; }

# nothing_left: no module, no platform device, no interface made by rvnet.
nothing_left() {
	[ ! -d /sys/module/rvnet ] && ! ls /sys/bus/platform/devices | grep -q '^rvnet\.' &&
		[ -z "$(ls /sys/class/net | grep -v '^lo$')" ]
}
# The kernel log since mark_log.
mark_log() { LOG_MARK=$(dmesg | wc -l); }
new_log() { dmesg | sed -n "$((LOG_MARK + 1)),\$p"; }
# said ENTRY PHRASE: a line since mark_log says PHRASE about device=ENTRY.
said() { new_log | grep -F "rvnet: device=$1: " | grep -qF "$2"; }
# refused NAME ENTRY PHRASE ARG...: insmod with the entries ARG... fails, the log says PHRASE
# about ENTRY, and nothing is left.
refused() {
	local name=$1 entry=$2 phrase=$3
	shift 3
	mark_log
	# shellcheck disable=SC2046
	check "$name: insmod fails" sh -c "! insmod /lib/modules/rvnet.ko $(args "$@")"
	new_log | grep rvnet
	check "$name: one message names the entry" said "$entry" "$phrase"
	check "$name: nothing loaded or left behind" nothing_left
}

# The good case: every entry, as a Firecracker guest would pass them.
mark_log
# shellcheck disable=SC2046
check "insmod rvnet with the command line's devices" insmod /lib/modules/rvnet.ko $(args $ENTRIES)
check "two devices bound to rvnet" test "$(ls -d $DRV/rvnet.* 2>/dev/null | wc -l)" = 2
# Entry N became rvnet.N, if it is a NIC (QEMU lists the devices by transport, not in the
# order of its command line): E1 and E2 are the NICs' entries, E3 the other one's.
i=0 E1= E2= E3=
for e in $ENTRIES; do
	if [ -e /sys/bus/platform/devices/rvnet.$i ]; then
		[ -z "$E1" ] && E1=$e || E2=$e
	else
		E3=$e
	fi
	i=$((i + 1))
done
echo "NICs: $E1 $E2; other: $E3"
check "the entropy device left alone, with a message" said "$E3" "left alone"
on_rvnet_dev() { stat_of "$1" device | grep -qx 'rvnet\.[0-2]'; }
check "NIC A (QEMU's MAC) on an rvnet.N device" on_rvnet_dev $MAC_A
check "NIC B (QEMU's MAC) on an rvnet.N device" on_rvnet_dev $MAC_B
check "NIC A and B on different devices" test "$(stat_of $MAC_A device)" != "$(stat_of $MAC_B device)"
check "interfaces up (promiscuous), B in its namespace" setup_pair promisc
check "ping A -> B" ping -c 3 -W 5 $IP_B
check "TCP 8 MiB A -> B, checksums match" tcp_copy ab 8
check "TCP 8 MiB B -> A, checksums match" tcp_copy ba 8
check "counters: A sent = B received + B dropped, and back" counters_consistent
check "rmmod rvnet" rmmod rvnet
check "rmmod removed the devices and interfaces" nothing_left

# Bad entries. The region of entry 1 moved by 0x100 overlaps it.
base1=$(echo "$E1" | sed 's/.*@\(0x[0-9a-f]*\):.*/\1/')
size1=$(echo "$E1" | sed 's/@.*//')
irq1=$(echo "$E1" | sed 's/.*://')
overlapping=$size1@$(printf '0x%x' $((base1 + 0x100))):$irq1
refused "malformed (no interrupt)" "$size1@$base1" "no ':<irq>' after the base address" \
	"$E2" "$size1@$base1"
refused "overlapping" "$overlapping" "overlaps device=$E1" "$E1" "$overlapping"
# Nothing answers at 0xd0000000 (above the guest's 1 GiB of RAM, below the transports).
refused "no virtio device there" "512@0xd0000000:5" "no virtio-mmio device answers there" \
	"512@0xd0000000:5"
# An interrupt number the kernel does not have: the probe cannot request it. Entry 2 was
# made and bound before it, and must be gone again.
badirq=$size1@$base1:4000
refused "an interrupt that cannot be had" "$badirq" "rvnet could not bind" "$E2" "$badirq"

# Not tested here: a region that virtio_mmio holds (this kernel's virtio_mmio is built
# without VIRTIO_MMIO_CMDLINE_DEVICES, so it cannot be given the entries), and the hand-over of
# its virtio-mmio.N devices, which is the LNRO0005 hand-over of probe.sh.

check_dmesg_clean "no kernel warnings, lockdep or DMA-API reports"
kmemleak_scan "no kmemleak reports"
finish
