#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The control virtqueue, against QEMU's (whose device offers CTRL_VQ, CTRL_RX, CTRL_VLAN,
# GUEST_ANNOUNCE and CTRL_MAC_ADDR by default), for one register layout. QEMU filters what
# it delivers to A by what rvnet told it; B, in its namespace, sends frames A should and
# should not get, and A's rx_packets tells which arrived:
# - receive mode: frames to a unicast address not A's arrive only in promiscuous mode, frames
#   to a multicast group A has not joined only in all-multicast mode or once A joins it (the
#   MAC table); each mode goes off again;
# - MAC_ADDR_SET: after a MAC change, B reaches A at the new address (QEMU filters on it);
# - VLAN filter: frames of a VLAN A has arrive, of one it no longer has do not;
# - GUEST_ANNOUNCE: QEMU's announce_self (as after a migration) makes rvnet announce itself
#   and acknowledge; every command is answered (ctrl_errors stays 0).
. /rvnet/lib.sh

FOREIGN_MAC=02:00:00:00:00:99
GROUP_MAC=01:00:5e:01:01:01
VLAN_IP_A=10.0.5.1
VLAN_IP_B=10.0.5.2

ctrl_negotiated() {
	local mac f want
	for mac in $MAC_A $MAC_B; do
		f=$(stats | grep -A5 "mac: $mac" | grep '^features:')
		for want in CTRL_VQ CTRL_RX CTRL_VLAN GUEST_ANNOUNCE CTRL_MAC_ADDR; do
			echo "$f" | grep -qw $want || { echo "$mac: no $want in $f"; return 1; }
		done
	done
}

# B sends 20 frames to MAC [on VLAN VID] (qemu/tools/ethsend.c: a packet socket, so no
# ARP or routing decides what goes out), and A's rx_packets tells how many arrived, a second
# later. kept_out: none of them (a few other frames may come: at most 3); let_in: all 20.
rx_a() { cat /sys/class/net/"$A"/statistics/rx_packets; }
arrived() { # arrived MAC [VID]
	local before
	before=$(rx_a)
	in_ns ethsend "$B" "$1" 20 $2 || return 1
	sleep 1
	echo $(($(rx_a) - before))
}
kept_out() {
	local n
	n=$(arrived "$1" $2) || return 1
	echo "A received $n frames"
	[ "$n" -le 3 ]
}
let_in() {
	local n
	n=$(arrived "$1" $2) || return 1
	echo "A received $n frames"
	[ "$n" -ge 20 ]
}
# The work item applies a new receive mode after the flag changes: give it a moment.
settle() { sleep 1; }

kmemleak_baseline
check "insmod rvnet" insmod /lib/modules/rvnet.ko
check "interfaces up, B in its namespace" setup_pair
check "control queue features negotiated on both NICs" ctrl_negotiated
check "ping A -> B" ping -c 3 -W 5 $IP_B
check "ping B -> A" in_ns ping -c 3 -W 5 $IP_A
check "rx mode: frames to A's own address arrive" let_in $MAC_A
check "rx mode: frames to another unicast address are filtered out" kept_out $FOREIGN_MAC
ip link set "$A" promisc on && settle
check "rx mode: promiscuous: they arrive" let_in $FOREIGN_MAC
ip link set "$A" promisc off && settle
check "rx mode: promiscuous off: filtered out again" kept_out $FOREIGN_MAC
check "rx mode: frames to a group A has not joined are filtered out" kept_out $GROUP_MAC
ifconfig "$A" allmulti && settle
check "rx mode: all-multicast: they arrive" let_in $GROUP_MAC
ifconfig "$A" -allmulti && settle
check "rx mode: all-multicast off: filtered out again" kept_out $GROUP_MAC
mcaddr add "$A" $GROUP_MAC && settle
check "rx mode: group in A's multicast list (MAC table): they arrive" let_in $GROUP_MAC
mcaddr del "$A" $GROUP_MAC && settle
check "rx mode: group left: filtered out again" kept_out $GROUP_MAC

# MAC_ADDR_SET: QEMU's filter follows the new address; without the command B's frames to it
# would be dropped by the device.
NEW_MAC=02:00:00:00:00:0a
b_reaches_a_at() { in_ns ping -c 2 -W 5 $IP_A && in_ns ip neigh show $IP_A | grep -qi "lladdr $1"; }
set_addr() { ip link set "$A" address "$1" && in_ns ip neigh flush dev "$B"; }
check "MAC_ADDR_SET: $NEW_MAC taken" set_addr $NEW_MAC
check "MAC_ADDR_SET: B reaches A at $NEW_MAC" b_reaches_a_at $NEW_MAC
check "MAC_ADDR_SET: frames to the old address are filtered out" kept_out $MAC_A
check "MAC_ADDR_SET: frames to the new one arrive" let_in $NEW_MAC
check "MAC_ADDR_SET: back to $MAC_A" set_addr $MAC_A
check "MAC_ADDR_SET: B reaches A at $MAC_A" b_reaches_a_at $MAC_A

# VLAN filter: VLAN 5 on both NICs; B's tagged frames of VLAN 5 arrive, and once A's VLAN 5
# is gone (VLAN_DEL) they do not. (QEMU 10 starts with every VLAN let through, as if each had
# been added, so a VLAN never added is no test of VLAN_ADD: traffic on VLAN 5 after the delete
# and add of the next round is.)
vlans_up() {
	ip link add link "$A" name "$A.5" type vlan id 5 && ip addr add $VLAN_IP_A/24 dev "$A.5" &&
		ip link set "$A.5" up &&
		in_ns ip link add link "$B" name "$B.5" type vlan id 5 &&
		in_ns ip addr add $VLAN_IP_B/24 dev "$B.5" && in_ns ip link set "$B.5" up
}
check "VLAN: interfaces on VLAN 5" vlans_up
check "VLAN: ping A -> B on VLAN 5" ping -c 3 -W 5 $VLAN_IP_B
check "VLAN: ping B -> A on VLAN 5" in_ns ping -c 3 -W 5 $VLAN_IP_A
check "VLAN: frames of VLAN 5 arrive" let_in $MAC_A 5
ip link del "$A.5"
check "VLAN: VLAN 5 removed from A (VLAN_DEL): its frames are filtered out" kept_out $MAC_A 5
ip link add link "$A" name "$A.5" type vlan id 5 && ip addr add $VLAN_IP_A/24 dev "$A.5" &&
	ip link set "$A.5" up
check "VLAN: VLAN 5 back on A (VLAN_ADD): its frames arrive" let_in $MAC_A 5
check "VLAN: ping B -> A on VLAN 5 again" in_ns ping -c 3 -W 5 $VLAN_IP_A
ip link del "$A.5"
in_ns ip link del "$B.5"

# GUEST_ANNOUNCE: QEMU sets VIRTIO_NET_S_ANNOUNCE on both NICs and raises the configuration
# interrupt (several rounds, until acknowledged).
announced() {
	local t
	for t in $(seq 50); do
		[ "$(stat_of $MAC_A announcements)" -gt 0 ] && [ "$(stat_of $MAC_B announcements)" -gt 0 ] &&
			return 0
		usleep 200000
	done
	stats | grep -E '^(mac|announcements|ctrl_)'
	return 1
}
echo "RVNET-HOST announce_self"
check "announce: both NICs announced themselves after announce_self" announced
check "control queue: every command answered (ctrl_errors 0), commands counted" sh -c \
	"[ $(stat_of $MAC_A ctrl_errors) = 0 ] && [ $(stat_of $MAC_B ctrl_errors) = 0 ] && [ $(stat_of $MAC_A ctrl_commands) -gt 10 ]"
stats | grep -E '^(mac|ctrl_|announcements)'
check "rmmod rvnet" rmmod rvnet
check_dmesg_clean "no kernel warnings, lockdep or DMA-API reports"
kmemleak_scan "no kmemleak reports"
finish
