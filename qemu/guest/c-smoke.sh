#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test with the kernel's C drivers (virtio_mmio + virtio_net): both NICs show
# up with their MACs, NIC B goes to a network namespace, ping crosses the QEMU hub both
# ways, 4 MiB sent over TCP from A to B arrive intact, and the kernel's checkers (lockdep,
# dma-debug, kmemleak) stay quiet. The 10.0.0.0/24 addresses exist only on the hub, inside
# the VM.
. /rvnet/lib.sh

A_MAC=52:54:00:12:34:01
B_MAC=52:54:00:12:34:02
A_IP=10.0.0.1
B_IP=10.0.0.2
PORT=5001

kmemleak_baseline
check load-c-driver load_c_driver

A=$(nic_by_mac $A_MAC) && pass nic-A || fail nic-A "no interface has $A_MAC"
B=$(nic_by_mac $B_MAC) && pass nic-B || fail nic-B "no interface has $B_MAC"
if [ -z "$A" ] || [ -z "$B" ]; then
	finish
	exit
fi
echo "NIC A: $A, NIC B: $B"

# The transport is the one boot.sh asked for: virtio_net negotiates VIRTIO_F_VERSION_1
# (bit 32 of the features) with a modern (version 2) device, never with a legacy one. The
# rng has no driver, so no features.
layout_matches() {
	local dev bit
	for dev in /sys/bus/virtio/devices/*; do
		[ "$(cat "$dev/device")" = 0x0001 ] || continue
		bit=$(cut -c33 "$dev/features")
		echo "${dev##*/}: VIRTIO_F_VERSION_1 $bit"
		case $RVNET_LAYOUT$bit in
		legacy0 | modern1) ;;
		*) return 1 ;;
		esac
	done
}
check "layout-$RVNET_LAYOUT" layout_matches

setup_addresses() {
	move_to_ns "$B" &&
	ip addr add $A_IP/24 dev "$A" &&
	ip link set "$A" up &&
	in_ns ip addr add $B_IP/24 dev "$B" &&
	in_ns ip link set "$B" up
}
check setup-addresses setup_addresses

check ping-a-to-b ping -c 3 $B_IP
check ping-b-to-a in_ns ping -c 3 $A_IP

# busybox nc sends and receives everything only when both ends run a program with -e.
dd if=/dev/urandom of=/tmp/sent bs=1M count=4 2>/dev/null
in_ns timeout 60 nc -l -p $PORT -e sh -c 'cat >/tmp/received' &
receiver=$!
for i in $(seq 50); do
	in_ns netstat -ltn | grep -q ":$PORT " && break
	usleep 100000
done
check tcp-send timeout 60 nc $B_IP $PORT -e cat /tmp/sent
check tcp-receive wait $receiver
sent=$(md5sum </tmp/sent)
received=$(md5sum </tmp/received)
if [ "$sent" = "$received" ]; then
	pass tcp-4MiB-intact
else
	fail tcp-4MiB-intact "md5sum ${sent%% *} sent, ${received%% *} received"
fi

check_dmesg_clean dmesg-clean
kmemleak_scan kmemleak
finish
