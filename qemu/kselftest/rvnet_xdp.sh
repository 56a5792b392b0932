#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rvnet's native XDP, in the `make kselftest` guest (run by run.sh when NIC A is rvnet), in
# KTAP like rvnet_ethtool.sh. The programs are qemu/kselftest/rvnet_xdp.bpf.c, one object per
# verdict; each acts on frames of a test EtherType only, which B sends as raw frames
# (rvnet_rawpkt.py) and passes everything else.
#
#   rvnet_xdp.native     ip link set xdpdrv attaches in native mode (mode 1), not generic
#   rvnet_xdp.tx         XDP_TX: every test frame B sends comes back, addresses swapped;
#                        xdp_tx counts them, and so does tx_packets
#   rvnet_xdp.pass_edit  XDP_PASS after editing: the stack sees the program's byte and its
#                        shorter tail (bpf_xdp_adjust_tail), and IP traffic still flows
#   rvnet_xdp.drop       XDP_DROP, XDP_ABORTED, XDP_REDIRECT (unsupported): no test frame
#                        reaches the stack, xdp_drops counts every one, IP traffic flows
#   rvnet_xdp.mtu        with a program, the MTU stops at the XDP limit (3438); a program is
#                        refused at MTU 9000 with the driver's message, a multi-buffer one
#                        (xdp.frags) is not
#   rvnet_xdp.frags      multi-buffer XDP at MTU 9000: 8100-byte test frames come back intact
#                        from XDP_TX; XDP_PASS after an edit that cuts 5000 bytes (releasing
#                        fragment pages) gives the stack the edit; 8000-byte pings pass
#   rvnet_xdp.detach     xdpdrv off removes it: test frames reach the stack again
#   rvnet_xdp.offloads   a device with receive offloads (GUEST_CSUM: the tap backend) gets one
#                        GUEST_OFFLOADS_SET when the program comes (all off) and one when it
#                        goes (back on), and rx-gro-hw cannot change meanwhile (EBUSY) but
#                        can after; a device without them gets no command; traffic flows
#                        after
#   rvnet_xdp.unbind     a device unbound with a program attached releases it (the kernel
#                        holds as many BPF programs as before), and binds again without one
#
# Usage: rvnet_xdp.sh IFACE_A IFACE_B NETNS     (B is the peer, in NETNS)
. /rvnet/lib.sh

A=$1 B=$2 NS=$3
OBJ=/kselftest/rvnet_xdp
RAW="python3 /kselftest/rvnet_rawpkt.py"
XDP_MAX_MTU=3438
REMOTE_V4=192.0.2.2
KTAP_SUITE=rvnet_xdp
# fail WHY: record why the current case fails.
fail() { why="${why:+$why; }$*"; }
# counter NAME: A's counter in /proc/driver/network_stats.
counter() {
	awk -v mac="$MAC_A" -v k="$1:" '/^mac: / { mine = ($2 == mac) } mine && $1 == k { print $2; exit }' \
		"$STATS"
}
detach() { ip link set dev "$A" xdpdrv off; }
xdp_mode() {
	ip -j -d link show dev "$A" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0].get("xdp", {}).get("mode", 0))'
}
# from_b CMD ARGS...: rvnet_rawpkt.py CMD on B, in the namespace.
from_b() { ip netns exec "$NS" $RAW "$1" "$B" "${@:2}"; }
MAC_B_NOW=$(ip netns exec "$NS" cat "/sys/class/net/$B/address")
# b_to_a ETHERTYPE COUNT LEN SECONDS: B sends COUNT test frames of LEN payload bytes to A while
# A listens for SECONDS (from before the first one); what A's stack saw is in
# /tmp/rvnet_xdp_recv (rvnet_rawpkt.py recv).
b_to_a() {
	local rpid
	$RAW recv "$A" "$1" "$4" >/tmp/rvnet_xdp_recv &
	rpid=$!
	sleep 4
	from_b send "$MAC_A" "$1" "$2" "$3"
	wait $rpid
}

echo "TAP version 13"
echo "1..9"

# native
why=
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_tx.bpf.o" sec xdp 2>&1) || fail "attach: $out"
mode=$(xdp_mode)
[ "$mode" = 1 ] || fail "XDP mode $mode, not 1 (native)"
ip link show dev "$A" | ktap_diag
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? native

# tx
why=
tx0=$(counter xdp_tx) p0=$(counter tx_packets) x0=$(counter xdp_packets)
out=$(from_b echo "$MAC_A" 88b5 20 100 5)
echo "B sent 20 frames, got back: $out" | ktap_diag
[ "$out" = "count 20" ] || fail "$out frames came back, not 20"
d_tx=$(($(counter xdp_tx) - tx0)) d_p=$(($(counter tx_packets) - p0))
d_x=$(($(counter xdp_packets) - x0))
echo "xdp_tx +$d_tx, tx_packets +$d_p, xdp_packets +$d_x" | ktap_diag
[ $d_tx = 20 ] || fail "xdp_tx +$d_tx, not 20"
[ $d_p -ge 20 ] || fail "tx_packets +$d_p, under 20"
[ $d_x -ge 20 ] || fail "xdp_packets +$d_x, under 20"
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? tx

# pass_edit
why=
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_edit.bpf.o" sec xdp 2>&1) || fail "attach: $out"
b_to_a 88b6 5 100 12
cat /tmp/rvnet_xdp_recv | ktap_diag
# 14 + 100 - 4 bytes, the first payload byte the program's.
good=$(awk -v src="$MAC_B_NOW" '$1 == src && $3 == 110 && $4 == "X"' /tmp/rvnet_xdp_recv | wc -l)
[ "$good" = 5 ] || fail "$good of 5 frames arrived edited"
ping -c 3 -i 0.2 -W 5 $REMOTE_V4 >/dev/null 2>&1 || fail "ping failed with the program attached"
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? pass_edit

# drop: three programs that each leave no test frame for the stack
why=
for prog in drop aborted redirect; do
	out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_$prog.bpf.o" sec xdp 2>&1) ||
		{ fail "attach $prog: $out"; continue; }
	d0=$(counter xdp_drops)
	b_to_a 88b5 10 100 10
	d=$(($(counter xdp_drops) - d0))
	got=$(tail -n1 /tmp/rvnet_xdp_recv)
	echo "$prog: xdp_drops +$d, the stack saw: $got" | ktap_diag
	[ $d = 10 ] || fail "$prog: xdp_drops +$d, not 10"
	[ "$got" = "count 0" ] || fail "$prog: test frames reached the stack ($got)"
	ping -c 2 -i 0.2 -W 5 $REMOTE_V4 >/dev/null 2>&1 || fail "$prog: ping failed"
done
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? drop

# mtu
why=
ip link set dev "$A" mtu $XDP_MAX_MTU 2>&1 | ktap_diag
[ "$(cat /sys/class/net/$A/mtu)" = $XDP_MAX_MTU ] || fail "MTU $XDP_MAX_MTU refused with a program"
out=$(ip link set dev "$A" mtu $((XDP_MAX_MTU + 1)) 2>&1) &&
	fail "MTU $((XDP_MAX_MTU + 1)) accepted with a program"
echo "mtu $((XDP_MAX_MTU + 1)): $out" | ktap_diag
detach
ip link set dev "$A" mtu 9000 || fail "MTU 9000 refused without a program"
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_tx.bpf.o" sec xdp 2>&1) &&
	fail "a program was attached at MTU 9000"
echo "attach at MTU 9000: $out" | ktap_diag
echo "$out" | grep -q "MTU too large for XDP" || fail "no 'MTU too large for XDP' message"
[ "$(xdp_mode)" = 0 ] || fail "a program is attached after the refusal"
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_tx_frags.bpf.o" sec xdp.frags 2>&1) ||
	fail "a multi-buffer program was refused at MTU 9000: $out"
[ "$(xdp_mode)" = 1 ] || fail "no multi-buffer program attached at MTU 9000"
detach
ip link set dev "$A" mtu 1500
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? mtu

# frags
why=
ip link set dev "$A" mtu 9000 && ip -n "$NS" link set dev "$B" mtu 9000 || fail "MTU 9000 refused"
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_tx_frags.bpf.o" sec xdp.frags 2>&1) ||
	fail "attach tx_frags: $out"
tx0=$(counter xdp_tx)
out=$(from_b echo "$MAC_A" 88b5 5 8100 8)
echo "B sent 5 frames of 8114 bytes, got back intact: $out; xdp_tx +$(($(counter xdp_tx) - tx0))" |
	ktap_diag
[ "$out" = "count 5" ] || fail "$out came back intact, not 5"
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_edit_frags.bpf.o" sec xdp.frags 2>&1) ||
	fail "attach edit_frags: $out"
b_to_a 88b6 5 8100 12
cat /tmp/rvnet_xdp_recv | ktap_diag
# 14 + 8100 - 5000 bytes, the first payload byte the program's.
good=$(awk -v src="$MAC_B_NOW" '$1 == src && $3 == 3114 && $4 == "X"' /tmp/rvnet_xdp_recv | wc -l)
[ "$good" = 5 ] || fail "$good of 5 frames arrived edited"
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_tx_frags.bpf.o" sec xdp.frags 2>&1) ||
	fail "attach tx_frags: $out"
ping -c 3 -i 0.2 -s 8000 -W 5 $REMOTE_V4 >/dev/null 2>&1 ||
	fail "8000-byte ping failed with a multi-buffer program"
detach
ip link set dev "$A" mtu 1500
ip -n "$NS" link set dev "$B" mtu 1500
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? frags

# detach
why=
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_drop.bpf.o" sec xdp 2>&1) || fail "attach: $out"
detach || fail "xdpdrv off failed"
[ "$(xdp_mode)" = 0 ] || fail "a program is still attached"
d0=$(counter xdp_packets)
b_to_a 88b5 5 100 10
got=$(tail -n1 /tmp/rvnet_xdp_recv)
echo "after detach the stack saw: $got; xdp_packets +$(($(counter xdp_packets) - d0))" | ktap_diag
[ "$got" = "count 5" ] || fail "the stack saw $got, not 5"
[ "$(counter xdp_packets)" = "$d0" ] || fail "a program still ran"
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? detach

# offloads
why=
feats=$(awk -v mac="$MAC_A" '/^mac: / { mine = ($2 == mac) } mine && $1 == "features:" { print; exit }' \
	"$STATS")
rx_offloads=no
case "$feats " in *" GUEST_CSUM "*) rx_offloads=yes ;; esac
gro_hw=$(ethtool -k "$A" | sed -n 's/^rx-gro-hw: //p')
echo "receive offloads: $rx_offloads; rx-gro-hw: $gro_hw" | ktap_diag
c0=$(counter ctrl_commands)
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_drop.bpf.o" sec xdp 2>&1) || fail "attach: $out"
c1=$(counter ctrl_commands)
# rx-gro-hw as it is not now ("off [fixed]" where the device cannot merge segments).
flip=
case $gro_hw in on) flip=off ;; off) flip=on ;; esac
if [ -n "$flip" ]; then
	out=$(ethtool -K "$A" rx-gro-hw $flip 2>&1) &&
		fail "rx-gro-hw could be turned $flip with a program attached"
	echo "ethtool -K rx-gro-hw $flip with a program attached: ${out:-succeeded}" | ktap_diag
	# The refused request stays the interface's wanted setting: back to what it is, so
	# that the toggle after detaching is a change again.
	ethtool -K "$A" rx-gro-hw "$gro_hw" >/dev/null 2>&1
fi
detach || fail "xdpdrv off failed"
c2=$(counter ctrl_commands)
echo "ctrl_commands: $c0 before, $c1 attached, $c2 detached" | ktap_diag
if [ $rx_offloads = yes ]; then
	[ "$c1" = $((c0 + 1)) ] || fail "attaching sent $((c1 - c0)) commands, not 1"
	[ "$c2" = $((c1 + 1)) ] || fail "detaching sent $((c2 - c1)) commands, not 1"
else
	[ "$c2" = "$c0" ] || fail "$((c2 - c0)) commands to a device without receive offloads"
fi
if [ -n "$flip" ]; then
	ethtool -K "$A" rx-gro-hw $flip && ethtool -K "$A" rx-gro-hw "$gro_hw" ||
		fail "rx-gro-hw cannot be toggled after detaching"
fi
ping -c 3 -W 5 $REMOTE_V4 >/dev/null || fail "no ping to B after detaching"
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? offloads

# unbind (last: A comes back under a new name, without its addresses)
why=
before=$($RAW progs)
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_tx.bpf.o" sec xdp 2>&1) || fail "attach: $out"
during=$($RAW progs)
pdev=$(basename "$(readlink -f "/sys/class/net/$A/device")")
echo "$pdev" >/sys/bus/platform/drivers/rvnet/unbind || fail "unbind $pdev failed"
[ -e "/sys/class/net/$A" ] && fail "$A still there after unbind"
after=$($RAW progs)
echo "BPF programs: $before before, $during attached, $after after unbind" | ktap_diag
[ "$during" = $((before + 1)) ] || fail "attaching did not load one program"
[ "$after" = "$before" ] || fail "the program outlived the device"
echo "$pdev" >/sys/bus/platform/drivers/rvnet/bind || fail "bind $pdev failed"
A=
for i in $(seq 100); do
	for f in /sys/class/net/*/address; do
		[ "$(cat "$f")" = "$MAC_A" ] && { f=${f%/address}; A=${f##*/}; }
	done
	[ -n "$A" ] && break
	sleep 0.1
done
[ -n "$A" ] || fail "no interface after bind"
[ -n "$A" ] && [ "$(xdp_mode)" = 0 ] || fail "a program came back with the device"
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? unbind

ktap_totals
