#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# An unusual but valid device: scripts/test.sh boots it with
# --nic-opts status=off,event_idx=off,host_mtu=9000,mrg_rxbuf=off, and takes the control queue
# away (modern: ctrl_vq=off) or its MAC command (legacy: ctrl_mac_addr=off), so that a MAC
# address change takes the paths without it (ctrl.sh tests the command). Without STATUS the link is
# assumed up; without EVENT_IDX the flag-based notification and interrupt suppression is used;
# without mergeable receive buffers a packet must fit one buffer, so the 9000-byte device MTU
# is capped at what rvnet's 2 KiB buffers hold: 2048 - header (12, or 10 on a legacy device)
# - Ethernet header - VLAN tag. Traffic must still flow intact. The MAC address changes while
# the interface runs, on both layouts (a legacy device is told, a version 1 device is not).
# test.sh also gives this run a virtio-blk device (boot.sh --devices rng,blk): rvnet must
# report it, leave it alone, and the in-tree virtio_mmio must then be able to take it.
. /rvnet/lib.sh

case "${1:-legacy}" in
modern) MAX=2018 ;;
*) MAX=2020 ;;
esac

feature() { grep -A5 "mac: $MAC_A" $STATS | grep '^features:' | grep -qw "$1"; }
mtu_is() { [ "$(cat /sys/class/net/"$A"/mtu)" = "$1" ]; }

kmemleak_baseline
check "insmod rvnet" insmod /lib/modules/rvnet.ko
check "STATUS not negotiated" sh -c "! grep -A5 'mac: $MAC_A' $STATS | grep -qw STATUS"
check "EVENT_IDX not negotiated" sh -c "! grep -A5 'mac: $MAC_A' $STATS | grep -qw EVENT_IDX"
check "MRG_RXBUF not negotiated" sh -c "! grep -A5 'mac: $MAC_A' $STATS | grep -qw MRG_RXBUF"
check "MTU negotiated" feature MTU
check "link assumed up without STATUS" test "$(stat_of $MAC_A link)" = up
check "interfaces up (promiscuous), B in its namespace" setup_pair promisc
check "MTU $((MAX + 1)) refused" sh -c "! ip link set $A mtu $((MAX + 1)) 2>/dev/null"
check "max MTU $MAX accepted (2 KiB buffers)" ip link set "$A" mtu $MAX
check "MTU $MAX applied" mtu_is $MAX
in_ns ip link set "$B" mtu $MAX
check "$MAX-byte packets cross (ping -s $((MAX - 28)))" ping -c 2 -W 5 -s $((MAX - 28)) $IP_B
ip link set "$A" mtu 1500
in_ns ip link set "$B" mtu 1500
check "ping A -> B" ping -c 3 -W 5 $IP_B
check "ping B -> A" in_ns ping -c 3 -W 5 $IP_A
check "TCP 16 MiB A -> B without EVENT_IDX" tcp_copy ab 16
check "TCP 16 MiB B -> A without EVENT_IDX" tcp_copy ba 16
check "counters: A sent = B received + B dropped, and back" counters_consistent

# A new MAC address while the interface runs (IFF_LIVE_ADDR_CHANGE). A legacy device without
# CTRL_MAC_ADDR is told through its configuration space and rvnet reads it back (it refuses the
# change if the device keeps its own); QEMU's receive filter (CTRL_RX is still on) then follows
# the new address. A version 1 device without the control queue cannot be told, and the
# interface changes alone, as on virtio_net. B learns the new address by ARP, and traffic
# flows both ways; then the old address comes back the same way.
NEW_MAC=02:00:00:00:00:0a
# Out of promiscuous mode (setup_pair's, for the counters): the legacy device's filter must let
# frames to the new address through.
ip link set "$A" promisc off
addr_is() { # addr_is MAC: the interface and procfs both show it
	[ "$(cat /sys/class/net/"$A"/address)" = "$1" ] &&
		grep -qx "mac: $1" $STATS ||
		{ echo "sysfs: $(cat /sys/class/net/"$A"/address); procfs: $(grep "^mac:" $STATS)"; return 1; }
}
set_addr() { ip link set "$A" address "$1" && addr_is "$1" && in_ns ip neigh flush dev "$B"; }
b_reaches_a_at() { in_ns ping -c 2 -W 5 $IP_A && in_ns ip neigh show $IP_A | grep -qi "lladdr $1"; }
check "MAC address change while up: $NEW_MAC taken" set_addr $NEW_MAC
check "new MAC: B reaches A at $NEW_MAC" b_reaches_a_at $NEW_MAC
check "new MAC: ping A -> B" ping -c 2 -W 5 $IP_B
check "a multicast MAC address refused" sh -c "! ip link set $A address 03:00:00:00:00:01 2>/dev/null"
check "the refusal changed nothing" addr_is $NEW_MAC
check "MAC address back to $MAC_A" set_addr $MAC_A
check "old MAC: B reaches A at $MAC_A" b_reaches_a_at $MAC_A
check "rmmod rvnet" rmmod rvnet

# The block device: reported as such, never bound, and still usable by virtio_mmio.
blk_reported() { dmesg | grep -q 'rvnet LNRO0005:[0-9]*: virtio device Block is not a network card'; }
check "the virtio-blk device was reported and left alone" blk_reported
load_c_driver
check "virtio_mmio binds the block device after rvnet" \
	sh -c "grep -qx 0x0002 /sys/bus/virtio/devices/*/device"
rmmod virtio_net
rmmod virtio_mmio
check_dmesg_clean "no kernel warnings, lockdep or DMA-API reports"
kmemleak_scan "no kmemleak reports"
finish
