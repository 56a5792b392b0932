#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Probe, interface, procfs and unload tests of rvnet (issue: foundation), for one register
# layout, named by the first argument (legacy or modern). Run by scripts/test.sh through
# scripts/boot.sh.
. /rvnet/lib.sh

layout=${1:-legacy}
case "$layout" in
legacy) want_version=1 ;;
modern) want_version=2 ;;
*) fail "layout argument" "unknown layout '$layout'"; finish; exit 1 ;;
esac
DRV=/sys/bus/platform/drivers/rvnet

kmemleak_baseline   # only leaks from here on count

driven_by_rvnet() { readlink "/sys/class/net/$(nic_by_mac "$1")/device/driver" | grep -q '/rvnet$'; }

check "insmod rvnet" insmod /lib/modules/rvnet.ko
check "two devices bound to rvnet" test "$(bound_count)" = 2

for mac in $MAC_A $MAC_B; do
	ifc=$(nic_by_mac "$mac")
	if [ -z "$ifc" ]; then
		fail "interface with MAC $mac" "none"
		continue
	fi
	pass "interface with MAC $mac ($ifc)"
	check "$ifc is driven by rvnet" driven_by_rvnet "$mac"
	check "$ifc in procfs with the same name" test "$(stat_of "$mac" name)" = "$ifc"
	check "$ifc procfs version is $want_version" test "$(stat_of "$mac" version)" = "$want_version"
	dev=$(stat_of "$mac" device)
	check "$ifc's interrupt is named $dev in /proc/interrupts" \
		sh -c "grep -q ' $dev\$' /proc/interrupts"
	check "$ifc negotiated MAC" sh -c "grep -A4 'mac: $mac' $STATS | grep -q 'features: .* MAC'"
	[ "$layout" = modern ] &&
		check "$ifc negotiated VERSION_1" \
			sh -c "grep -A4 'mac: $mac' $STATS | grep -q 'features: .* VERSION_1'"
done

# The third virtio-mmio device is an entropy source: rvnet must leave it alone.
other=""
for d in /sys/bus/platform/devices/LNRO0005:*; do
	[ -e "$d/driver" ] || other=${d##*/}
done
check "the non-net device is not bound" test -n "$other"
check "the non-net device was reported and left alone" \
	sh -c "dmesg | grep -q '$other: virtio device Entropy is not a network card'"
check "procfs header" sh -c "head -n1 $STATS | grep -qx '# rvnet network statistics, format 3'"
check "procfs lists exactly two devices" test "$(grep -c '^device: ' "$STATS")" = 2

A=$(nic_by_mac "$MAC_A")
check "ip link set $A up" ip link set "$A" up
# carrier_becomes VALUE: the carrier of A reads VALUE (1 or 0) within 10 s.
carrier_becomes() { file_becomes "/sys/class/net/$A/carrier" "$1"; }
# set_link on|off: QEMU's monitor sets NIC A's link (scripts/boot.sh relays the line); the
# device answers with a configuration-change interrupt, and rvnet must follow with the carrier.
# The line is said again if the carrier has not followed (a kernel message may cut into it).
set_link() {
	local want=0 try
	[ "$1" = on ] && want=1
	for try in 1 2 3; do
		echo "RVNET-HOST set_link n0 $1"
		carrier_becomes $want && return 0
	done
	return 1
}
check "$A carrier follows the link (up)" carrier_becomes 1
check "procfs link: up" test "$(stat_of "$MAC_A" link)" = up
irq0=$(stat_of "$MAC_A" interrupts)
check "$A carrier goes down when the device's link does (set_link off)" set_link off
check "procfs link: down" test "$(stat_of "$MAC_A" link)" = down
# linkwatch updates the operational state a moment after the carrier.
operstate_becomes() { file_becomes "/sys/class/net/$A/operstate" "$1"; }
check "$A operstate down without carrier" operstate_becomes down
check "the link change came as an interrupt" test "$(stat_of "$MAC_A" interrupts)" -gt "$irq0"
check "$A carrier comes back with the link (set_link on)" set_link on
check "procfs link: up again" test "$(stat_of "$MAC_A" link)" = up
check "$A operstate up again" operstate_becomes up
# Nobody answers (B is down), but A's ARP requests go out and are counted once sent.
ip addr add 10.0.0.1/24 dev "$A"
ping -c 2 -W 1 10.0.0.2 >/dev/null 2>&1
check "transmitted packets are counted" test "$(stat_of "$MAC_A" tx_packets)" -gt 0
check "procfs tx_packets = ip -s link tx_packets" \
	test "$(stat_of "$MAC_A" tx_packets)" = "$(cat /sys/class/net/$A/statistics/tx_packets)"
check "ip link set $A down" ip link set "$A" down
check "$A operstate down" sh -c "cat /sys/class/net/$A/operstate | grep -qx down"

check "rmmod rvnet" rmmod rvnet
ifaces_gone() { [ -z "$(nic_by_mac "$MAC_A")" ] && [ -z "$(nic_by_mac "$MAC_B")" ]; }
check "interfaces gone" ifaces_gone
check "procfs file gone" test ! -e "$STATS"
check "insmod rvnet again" insmod /lib/modules/rvnet.ko
check "two devices bound again" test "$(bound_count)" = 2
check "rmmod rvnet again" rmmod rvnet

# The in-tree driver takes all three devices, the entropy source included: rvnet left it usable.
load_c_driver
check "virtio_mmio binds the entropy device" \
	sh -c "grep -qx 0x0004 /sys/bus/virtio/devices/*/device"
check "insmod rvnet while virtio_mmio owns the devices" insmod /lib/modules/rvnet.ko
check "rvnet bound nothing" test "$(bound_count)" = 0
devB=$(basename "$(readlink -f "/sys/class/net/$(nic_by_mac "$MAC_B")/device/..")")
# Binding a device virtio_mmio owns fails cleanly with EBUSY.
bind_busy() {
	! echo "$devB" 2>/dev/null >"$DRV/bind" &&
		echo "$devB" 2>&1 >"$DRV/bind" | grep -qi 'busy'
}
check "binding $devB to rvnet while virtio_mmio owns it: EBUSY" bind_busy
check "the C driver still drives $MAC_B" \
	sh -c "readlink /sys/class/net/$(nic_by_mac "$MAC_B")/device/driver | grep -q '/virtio_net\$'"
# Hand NIC B over from virtio_mmio to rvnet, as the README shows.
handover() { unbind_device "$devB" && bind_device "$devB" rvnet; }
check "hand $devB over to rvnet" handover
check "rvnet drives $MAC_B after the hand-over" driven_by_rvnet "$MAC_B"
check "rmmod rvnet after the hand-over" rmmod rvnet

check_dmesg_clean "no kernel warnings, lockdep or DMA-API reports"
kmemleak_scan "no kmemleak reports"
finish
