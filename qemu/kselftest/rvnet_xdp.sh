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
#   rvnet_xdp.drop       XDP_DROP, XDP_ABORTED, XDP_REDIRECT without a target: no test
#                        frame reaches the stack, xdp_drops counts every one, IP traffic flows
#   rvnet_xdp.redirect   XDP_REDIRECT to the device the frame came in on (bpf_redirect(), its
#                        ndo_xdp_xmit): every test frame B sends comes back, addresses
#                        swapped; xdp_redirects and xdp_tx_xmit count them
#   rvnet_xdp.mtu        with a program, the MTU stops at the XDP limit (3438); a program is
#                        refused at MTU 9000 with the driver's message, a multi-buffer one
#                        (xdp.frags) is not
#   rvnet_xdp.frags      multi-buffer XDP at MTU 9000: 8100-byte test frames come back intact
#                        from XDP_TX and from XDP_REDIRECT (ndo_xdp_xmit of a frame in
#                        fragments); XDP_PASS after an edit that cuts 5000 bytes (releasing
#                        fragment pages) gives the stack the edit; 8000-byte pings pass
#   rvnet_xdp.detach     xdpdrv off removes it: test frames reach the stack again
#   rvnet_xdp.offloads   a device with receive offloads (GUEST_CSUM: the tap backend) gets one
#                        GUEST_OFFLOADS_SET when the program comes (all off) and one when it
#                        goes (back on), and rx-gro-hw cannot change meanwhile (EBUSY) but
#                        can after; a device without them gets no command; traffic flows
#                        after
#   rvnet_xdp.devmap     redirects through a devmap (bpftool fills it, across the namespaces):
#                        A's program sends test frames out of B (B's ndo_xdp_xmit; with
#                        virtio_net on B a pass program there first, which it needs), and
#                        B's out of A (A's ndo_xdp_xmit, no program on A); they arrive
#                        intact on the other side
#   rvnet_xdp.veth       redirects between rvnet and a veth pair: A's program sends B's frames
#                        into the veth (its peer receives them intact); the veth's program
#                        sends frames into A's ndo_xdp_xmit (frames of another driver's
#                        memory), and B receives them intact
#   rvnet_xdp.xmit_load  ndo_xdp_xmit beside the stack's transmit on the same queue: TCP from
#                        A while B's test frames are redirected back out of A; every frame
#                        redirected is sent or counted refused (xdp_tx_xmit_drops), the
#                        frames come back intact, TCP completes
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
# past KEY BASE N: how far A's counter KEY is past BASE once it is N past it, or after 1 s. A
# frame sent counts in tx_packets when its completion is reaped: by the next poll, or one to
# two ticks later when nothing else comes.
past() {
	local i d
	for i in 1 2 3 4 5 6 7 8 9 10; do
		d=$(($(counter "$1") - $2))
		[ "$d" -ge "$3" ] && break
		sleep 0.1
	done
	echo "$d"
}
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

# Programs loaded with bpftool, and their maps, are pinned here (not under /sys: `ip -n` and
# `ip netns exec` mount a sysfs of their own).
PIN=/run/rvnet-bpf
mkdir -p $PIN && mount -t bpf bpf $PIN
# le32 N: N as the four bytes of a little-endian u32, for bpftool.
le32() { echo $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
# b_driver: the driver of NIC B (in its namespace).
b_driver() { ip netns exec "$NS" sh -c "basename \$(readlink -f /sys/class/net/$B/device/driver)"; }

echo "TAP version 13"
echo "1..13"

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
d_tx=$(($(counter xdp_tx) - tx0)) d_p=$(past tx_packets "$p0" 20)
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
for prog in drop aborted redirect_none; do
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

# redirect
why=
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_redirect.bpf.o" sec xdp 2>&1) ||
	fail "attach: $out"
r0=$(counter xdp_redirects) x0=$(counter xdp_tx_xmit) p0=$(counter tx_packets)
out=$(from_b echo "$MAC_A" 88b5 20 100 5)
echo "B sent 20 frames, got back: $out" | ktap_diag
[ "$out" = "count 20" ] || fail "$out frames came back, not 20"
d_r=$(($(counter xdp_redirects) - r0)) d_x=$(($(counter xdp_tx_xmit) - x0))
d_p=$(past tx_packets "$p0" 20)
echo "xdp_redirects +$d_r, xdp_tx_xmit +$d_x, tx_packets +$d_p" | ktap_diag
[ $d_r = 20 ] || fail "xdp_redirects +$d_r, not 20"
[ $d_x = 20 ] || fail "xdp_tx_xmit +$d_x, not 20"
[ $d_p -ge 20 ] || fail "tx_packets +$d_p, under 20"
ping -c 2 -i 0.2 -W 5 $REMOTE_V4 >/dev/null 2>&1 || fail "ping failed with the program attached"
detach
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? redirect

# mtu
why=
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_drop.bpf.o" sec xdp 2>&1) || fail "attach: $out"
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
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_redirect_frags.bpf.o" sec xdp.frags 2>&1) ||
	fail "attach redirect_frags: $out"
x0=$(counter xdp_tx_xmit)
out=$(from_b echo "$MAC_A" 88b5 5 8100 8)
echo "B sent 5 frames of 8114 bytes, redirected back intact: $out; xdp_tx_xmit +$(($(counter xdp_tx_xmit) - x0))" |
	ktap_diag
[ "$out" = "count 5" ] || fail "$out came back intact through a redirect, not 5"
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

# devmap
why=
drv_b=$(b_driver)
# A's program, its devmap holding B (filled from B's namespace).
bpftool prog load "${OBJ}_redirect_map.bpf.o" $PIN/a type xdp pinmaps $PIN/a_maps ||
	fail "bpftool could not load the devmap program"
idx_b=$(ip netns exec "$NS" cat "/sys/class/net/$B/ifindex")
ip netns exec "$NS" bpftool map update pinned $PIN/a_maps/rvnet_ports key 0 0 0 0 \
	value $(le32 "$idx_b") || fail "devmap entry for B"
# virtio_net sends redirected frames only with a program of its own attached.
[ "$drv_b" = virtio_net ] && { ip -n "$NS" link set dev "$B" xdpdrv \
	obj /ksrc/tools/testing/selftests/net/lib/xdp_dummy.bpf.o sec xdp || fail "pass program on B"; }
ip link set dev "$A" xdpdrv pinned $PIN/a || fail "attach the devmap program to A"
r0=$(counter xdp_redirects)
b_to_a_done() { # frames B sends A come out of B as 0x88b7, back to A's stack
	$RAW recv "$A" 88b7 10 >/tmp/rvnet_xdp_recv &
	local rpid=$!
	sleep 4
	from_b send "$MAC_A" 88b5 20 100
	wait $rpid
}
b_to_a_done
got=$(tail -n1 /tmp/rvnet_xdp_recv)
good=$(awk -v src="$MAC_B_NOW" '$1 == src && $3 == 114 && $4 == "a"' /tmp/rvnet_xdp_recv | wc -l)
echo "A -> B ($drv_b): A's stack saw $got, $good intact; xdp_redirects +$(($(counter xdp_redirects) - r0))" |
	ktap_diag
[ "$good" = 20 ] || fail "A -> B: $good of 20 frames came back through B"
detach
ip -n "$NS" link set dev "$B" xdpdrv off
# B's program, its devmap holding A; no program on A.
bpftool prog load "${OBJ}_redirect_map.bpf.o" $PIN/b type xdp pinmaps $PIN/b_maps ||
	fail "bpftool could not load the devmap program for B"
bpftool map update pinned $PIN/b_maps/rvnet_ports key 0 0 0 0 \
	value $(le32 "$(cat /sys/class/net/$A/ifindex)") || fail "devmap entry for A"
ip -n "$NS" link set dev "$B" xdpdrv pinned $PIN/b || fail "attach the devmap program to B"
x0=$(counter xdp_tx_xmit)
ip netns exec "$NS" $RAW recv "$B" 88b7 10 >/tmp/rvnet_xdp_recv_b &
rpid=$!
sleep 4
$RAW send "$A" "$MAC_B_NOW" 88b5 20 100
wait $rpid
got=$(tail -n1 /tmp/rvnet_xdp_recv_b)
good=$(awk -v src="$MAC_A" '$1 == src && $3 == 114 && $4 == "a"' /tmp/rvnet_xdp_recv_b | wc -l)
d_x=$(($(counter xdp_tx_xmit) - x0))
echo "B -> A: B's stack saw $got, $good intact; A's xdp_tx_xmit +$d_x" | ktap_diag
[ "$good" = 20 ] || fail "B -> A: $good of 20 frames came back through A"
[ "$d_x" = 20 ] || fail "A's xdp_tx_xmit +$d_x, not 20"
ip -n "$NS" link set dev "$B" xdpdrv off
rm -rf $PIN/a $PIN/b $PIN/a_maps $PIN/b_maps
ping -c 2 -i 0.2 -W 5 $REMOTE_V4 >/dev/null 2>&1 || fail "ping failed after the redirects"
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? devmap

# veth
why=
ip link add rvnet-v0 type veth peer name rvnet-v1 && ip link set rvnet-v0 up &&
	ip link set rvnet-v1 up || fail "no veth pair"
# A veth takes redirected frames only with NAPI on its peer: GRO on gives it.
ethtool -K rvnet-v1 gro on >/dev/null
bpftool prog load "${OBJ}_redirect_map.bpf.o" $PIN/a type xdp pinmaps $PIN/a_maps ||
	fail "bpftool could not load the devmap program"
bpftool map update pinned $PIN/a_maps/rvnet_ports key 0 0 0 0 \
	value $(le32 "$(cat /sys/class/net/rvnet-v0/ifindex)") || fail "devmap entry for the veth"
ip link set dev "$A" xdpdrv pinned $PIN/a || fail "attach the devmap program to A"
$RAW recv rvnet-v1 88b7 10 >/tmp/rvnet_xdp_recv &
rpid=$!
sleep 4
from_b send "$MAC_A" 88b5 20 100
wait $rpid
good=$(awk -v src="$MAC_B_NOW" '$1 == src && $3 == 114 && $4 == "a"' /tmp/rvnet_xdp_recv | wc -l)
echo "A -> veth: the peer received $(tail -n1 /tmp/rvnet_xdp_recv), $good intact" | ktap_diag
[ "$good" = 20 ] || fail "A -> veth: $good of 20 frames arrived"
detach
# The other way: frames sent into rvnet-v1 arrive at rvnet-v0, whose program sends them out
# of A to B.
bpftool prog load "${OBJ}_redirect_map.bpf.o" $PIN/v type xdp pinmaps $PIN/v_maps ||
	fail "bpftool could not load the devmap program for the veth"
bpftool map update pinned $PIN/v_maps/rvnet_ports key 0 0 0 0 \
	value $(le32 "$(cat /sys/class/net/$A/ifindex)") || fail "devmap entry for A"
ip link set dev rvnet-v0 xdpdrv pinned $PIN/v || fail "attach the devmap program to the veth"
x0=$(counter xdp_tx_xmit)
ip netns exec "$NS" $RAW recv "$B" 88b7 10 >/tmp/rvnet_xdp_recv_b &
rpid=$!
sleep 4
$RAW send rvnet-v1 "$MAC_B_NOW" 88b5 20 100
wait $rpid
good=$(awk -v dst="$MAC_B_NOW" '$2 == dst && $3 == 114 && $4 == "a"' /tmp/rvnet_xdp_recv_b | wc -l)
d_x=$(($(counter xdp_tx_xmit) - x0))
echo "veth -> A: B received $(tail -n1 /tmp/rvnet_xdp_recv_b), $good intact; xdp_tx_xmit +$d_x" |
	ktap_diag
[ "$good" = 20 ] || fail "veth -> A: $good of 20 frames reached B"
[ "$d_x" = 20 ] || fail "A's xdp_tx_xmit +$d_x, not 20"
ip link del rvnet-v0
rm -rf $PIN/a $PIN/a_maps $PIN/v $PIN/v_maps
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? veth

# xmit_load
why=
out=$(ip -force link set dev "$A" xdpdrv obj "${OBJ}_redirect.bpf.o" sec xdp 2>&1) ||
	fail "attach: $out"
ip netns exec "$NS" iperf3 -s -1 -D -I /tmp/rvnet_iperf3.pid >/dev/null 2>&1
sleep 1
iperf3 -c $REMOTE_V4 -t 8 -J >/tmp/rvnet_iperf3.json 2>&1 &
ipid=$!
sleep 1
r0=$(counter xdp_redirects) x0=$(counter xdp_tx_xmit) d0=$(counter xdp_tx_xmit_drops)
back=0
for round in 1 2 3 4 5; do
	out=$(from_b echo "$MAC_A" 88b5 200 100 2)
	back=$((back + ${out#count }))
done
wait $ipid
ist=$?
d_r=$(($(counter xdp_redirects) - r0)) d_x=$(($(counter xdp_tx_xmit) - x0))
d_d=$(($(counter xdp_tx_xmit_drops) - d0))
bits=$(python3 -c 'import json; print(int(json.load(open("/tmp/rvnet_iperf3.json"))["end"]["sum_received"]["bits_per_second"]))' 2>/dev/null)
echo "1000 frames under TCP ($bits bit/s): xdp_redirects +$d_r, xdp_tx_xmit +$d_x, xdp_tx_xmit_drops +$d_d, $back came back intact" |
	ktap_diag
[ $ist = 0 ] && [ -n "$bits" ] || fail "the TCP transfer failed"
[ $d_r -ge 990 ] || fail "xdp_redirects +$d_r, under 990 of 1000"
[ $((d_x + d_d)) = $d_r ] || fail "redirected $d_r, sent $d_x + refused $d_d"
[ $back -ge 900 ] || fail "$back of 1000 frames came back"
detach
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? xmit_load

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
