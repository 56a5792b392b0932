#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A broken device brought back, for one register layout (first argument; the second is how
# many rounds under traffic, default 3).
#
# The test kernel's fault point (src/kernel_ext/fault.rs, driven by the kernel's
# fail_function) makes rvnet post one malformed descriptor chain: zero-length buffers, which
# QEMU refuses (virtio_error()): the device stops using its queues and, on the modern layout,
# sets DEVICE_NEEDS_RESET and raises a configuration interrupt; a legacy device only stops,
# and the transmit watchdog (5 s after the queue fills) tells rvnet. Either way rvnet resets
# the device and restores the interface on it.
#
# 1. Rounds under traffic (pings both ways every 0.02 s and a 32 MiB TCP transfer): each
#    breaks whichever NIC sends next; exactly one reset follows, and packets flow both ways
#    again within a second of it. The transfer arrives intact across every round.
# 2. Restore: A with another MAC address, MTU 9000, VLAN 5 and a multicast group, not
#    promiscuous; A's device breaks (it is the only one sending); after the reset QEMU's
#    filters (which a reset sets back to the device's own MAC address and an empty table) are
#    as rvnet had set them: frames to a foreign address kept out, to A's new address and its
#    group let in (and frames of VLAN 5: QEMU 10 lets every VLAN through after a reset, so
#    that rvnet tells it of VLAN 5 again is not visible here); with the restore left out,
#    frames to A's new address are kept out and this fails; the MTU,
#    the rings and the carrier as they were; device_resets in procfs and in ethtool -S; one
#    log line per reset.
# 3. ethtool -G through the same reset: smaller rings, traffic intact, sizes refused that are
#    not powers of two or too small for the largest packet, then back. Under a pktgen flood
#    from A to B, A's rings resized twice: what A counts as sent, B counts as received or
#    dropped, exactly (the chains a reset finds unsent count in A's tx_dropped). Then again
#    with every
#    fourth receive buffer allocation failing (the fault point fails it): a smaller ring keeps
#    its buffers, a larger one is left in part empty; neither reset fails, each failure counts
#    in rx_alloc_fails (procfs and the netdev qstats rx-alloc-fail), A still receives (a packet
#    the pool has no buffer for is dropped, TCP sends it again), and once allocations succeed
#    again TCP crosses both ways intact.
# 4. A reset that fails (the fault point fails it): the device is left FAILED, the interface
#    down and refused up, the log says why; unbinding and binding the device brings it back.
# Then rmmod, and the checkers (KASAN, lockdep, DMA-API debug, kmemleak) are clean.
. /rvnet/lib.sh

ROUNDS=${2:-3}
FF=/sys/kernel/debug/fail_function
NEW_MAC=52:54:00:12:34:11
FOREIGN_MAC=02:00:00:00:00:99
GROUP_MAC=01:00:5e:01:01:01
VID=5

# arm FUNC RETVAL: the kernel's fail_function makes FUNC return RETVAL, once.
arm() {
	echo 0 >$FF/verbose && echo 1 >$FF/interval && echo 1 >$FF/times &&
		echo 100 >$FF/probability && echo "$1" >$FF/inject && echo "$2" >$FF/"$1"/retval
}
disarm() { echo "!$1" >$FF/inject 2>/dev/null; true; }

# A's MAC address changes in part 2: procfs sections are found by it.
MA=$MAC_A
resets() { echo $(($(stat_of $MA device_resets) + $(stat_of $MAC_B device_resets))); }
rx_of() { stat_of "$1" rx_packets; }
resets_logged() { dmesg | grep -c 'rvnet .*: device reset (.*), rings [0-9]*/[0-9]*: interface restored$'; }

# Seconds since boot, to the hundredth (/proc/uptime): busybox's date has no fractions.
now() { cut -d' ' -f1 /proc/uptime; }
# The time from $1 to now, in milliseconds.
ms_since() { awk -v t0="$1" -v t1="$(now)" 'BEGIN { printf "%d", (t1 - t0) * 1000 }'; }

# wait_reset BEFORE SECS: until the resets of both NICs pass BEFORE, at most SECS seconds.
wait_reset() {
	local t0
	t0=$(now)
	while [ "$(resets)" -le "$1" ]; do
		[ "$(ms_since "$t0")" -ge $(($2 * 1000)) ] && { echo "no reset within $2 s" >&2; return 1; }
		usleep 100000
	done
}
# samplers: "UPTIME RX_PACKETS" every 0.05 s, for A into /tmp/samples-a and for B (from its
# namespace's /proc/net/dev, in a loop of its own there) into /tmp/samples-b, while
# /tmp/sampling exists.
samplers() {
	rm -f /tmp/samples-a /tmp/samples-b
	touch /tmp/sampling
	while [ -e /tmp/sampling ]; do
		echo "$(now) $(cat /sys/class/net/"$A"/statistics/rx_packets)"
		usleep 50000
	done >>/tmp/samples-a &
	in_ns sh -c 'while [ -e /tmp/sampling ]; do
		echo "$(cut -d" " -f1 /proc/uptime) $(awk -v dev="$1:" "\$1 == dev { print \$3 }" /proc/net/dev)"
		usleep 50000
	done' - "$B" >>/tmp/samples-b &
}
# When the last reset was logged, in seconds since boot (the kernel log's clock).
last_reset_at() {
	dmesg | grep 'rvnet .*: device reset (' | tail -n1 | sed 's/^\[ *\([0-9.]*\)\].*/\1/'
}
# resumed_ms T FILE: milliseconds from T (seconds since boot) to the first sample of FILE
# whose count passed the last one before T.
resumed_ms() {
	awk -v t="$1" '$1 <= t { n = $2; next }
		n != "" && $2 > n { printf "%d", ($1 - t) * 1000; found = 1; exit }
		END { exit !found }' "$2"
}
# The legacy device says nothing: the queue fills, then the watchdog waits 5 s.
case $RVNET_LAYOUT in legacy) RESET_WAIT=60 ;; *) RESET_WAIT=20 ;; esac

# One round: the next chain sent is malformed. Two CPUs sending at once may both take the
# fault (fail_function's count of failures is not exact under a race): then both devices
# break. Each device that broke is reset once, and packets flow both ways within a second.
round() {
	local a0 b0 da db at back_a back_b
	a0=$(stat_of $MA device_resets) b0=$(stat_of $MAC_B device_resets)
	arm rvnet_fault_bad_desc 1 || return 1
	wait_reset $((a0 + b0)) $RESET_WAIT
	st=$?
	disarm rvnet_fault_bad_desc
	[ $st = 0 ] || return 1
	at=$(last_reset_at)
	sleep 2
	da=$(($(stat_of $MA device_resets) - a0)) db=$(($(stat_of $MAC_B device_resets) - b0))
	back_a=$(resumed_ms "$at" /tmp/samples-a) || back_a=never
	back_b=$(resumed_ms "$at" /tmp/samples-b) || back_b=never
	echo "resets A $da, B $db, the last at ${at} s; packets again at A after $back_a ms, at B after $back_b ms"
	[ $da -le 1 ] && [ $db -le 1 ] && [ "$back_a" != never ] && [ "$back_a" -le 1000 ] &&
		[ "$back_b" != never ] && [ "$back_b" -le 1000 ]
}

kmemleak_baseline
check "insmod rvnet" insmod /lib/modules/rvnet.ko
DEV_A=$(platform_dev $MAC_A)
check "interfaces up, B in its namespace" setup_pair
check "fail_function offers rvnet's fault points" \
	grep -q "^rvnet_fault_bad_desc" $FF/injectable

# 1. Rounds under traffic, with the neighbour entries pinned: in a legacy device's outage
# (5 s before the watchdog) they fail, and ARP, which asks again once a second, would decide
# when packets flow after the reset (up to 1.2 s later); pinned, the figure is rvnet's.
# (busybox's ip has no "neigh replace": its arp sets a permanent entry, and deletes it.)
pin_neighbours() {
	arp -i "$A" -s $IP_B $MAC_B && in_ns arp -i "$B" -s $IP_A $MAC_A
}
check "under traffic: neighbour entries pinned" pin_neighbours
ping -q -i 0.02 $IP_B >/dev/null 2>&1 &
ping_ab=$!
in_ns ping -q -i 0.02 $IP_A >/dev/null 2>&1 &
ping_ba=$!
rx_before=$(rx_of $MAC_B)
tcp_copy ab 32 >/tmp/reset-tcp.out 2>&1 &
tcp_pid=$!
(sleep 600; echo "watchdog: the transfer stalled"; kill $(pidof nc) 2>/dev/null) >>/tmp/reset-tcp.out 2>&1 &
watchdog=$!
flowing() {
	local t=0
	while [ "$(rx_of $MAC_B)" -lt $((rx_before + 300)) ]; do
		[ $t -ge 1200 ] && { echo "no traffic reached B"; return 1; }
		usleep 100000
		t=$((t + 1))
	done
}
check "under traffic: the transfer is under way" flowing
samplers
i=1
while [ $i -le "$ROUNDS" ]; do
	check "under traffic: round $i: one reset per broken device, packets both ways within 1 s" round
	i=$((i + 1))
done
wait $tcp_pid
tcp_status=$?
kill $watchdog 2>/dev/null
rm -f /tmp/sampling
# (in_ns runs its command in a subshell: the pings are found by name.)
kill $(pidof ping) 2>/dev/null
sleep 1
cat /tmp/reset-tcp.out
check "under traffic: 32 MiB A -> B intact across the resets" \
	sh -c "[ $tcp_status = 0 ] && awk '/^tcp ab: 32 MiB, md5 / { ok = \$6 == \$9 } END { exit !ok }' /tmp/reset-tcp.out"
check "under traffic: each reset logged once" test "$(resets_logged)" = "$(resets)"
arp -i "$A" -d $IP_B
in_ns arp -i "$B" -d $IP_A

# 2. Restore: what the interface asked of the device survives the reset.
set_state() {
	ip link set "$A" address $NEW_MAC && ip link set "$A" mtu 9000 && in_ns ip link set "$B" mtu 9000 &&
		ip link add link "$A" name "$A.$VID" type vlan id $VID && ip link set "$A.$VID" up &&
		mcaddr add "$A" $GROUP_MAC &&
		in_ns ip neigh flush dev "$B"
}
check "restore: A gets a new MAC, MTU 9000, VLAN $VID and a multicast group" set_state
MA=$NEW_MAC
rings_before=$(offload "$A" rings)
sleep 1
# B sends 20 frames to MAC [on VLAN VID] from a packet socket (qemu/tools/ethsend.c); A's
# rx_packets tells how many arrived.
rx_a() { cat /sys/class/net/"$A"/statistics/rx_packets; }
arrived() { # arrived MAC [VID]
	local before
	before=$(rx_a)
	in_ns ethsend "$B" "$1" 20 $2 || return 1
	sleep 1
	echo $(($(rx_a) - before))
}
kept_out() { local n; n=$(arrived "$1" $2) || return 1; echo "A received $n frames"; [ "$n" -le 3 ]; }
let_in() { local n; n=$(arrived "$1" $2) || return 1; echo "A received $n frames"; [ "$n" -ge 20 ]; }
filters() {
	kept_out $FOREIGN_MAC && let_in $NEW_MAC && let_in $NEW_MAC $VID && let_in $GROUP_MAC
}
check "restore: before: QEMU's filters as rvnet set them" filters
# A's device breaks: nothing else sends (pings and the transfer ended), and A sends frames
# of its own until it is reset (on legacy, until its ring fills and the watchdog fires).
break_a() {
	local before a_before
	before=$(resets) a_before=$(stat_of $MA device_resets)
	arm rvnet_fault_bad_desc 1 || return 1
	ethsend "$A" $MAC_B 300 >/dev/null 2>&1
	wait_reset "$before" $RESET_WAIT
	st=$?
	disarm rvnet_fault_bad_desc
	[ $st = 0 ] && [ "$(stat_of $MA device_resets)" = $((a_before + 1)) ]
}
check "restore: A's device breaks and is reset" break_a
check "restore: after: QEMU's filters as before the reset" filters
jumbo() {
	[ "$(cat /sys/class/net/"$A"/mtu)" = 9000 ] && ping -c 2 -W 5 -s 8972 $IP_B &&
		in_ns ping -c 2 -W 5 -s 8972 $IP_A
}
check "restore: MTU 9000 kept, 9000-byte pings both ways" jumbo
check "restore: rings as before ($rings_before)" test "$(offload "$A" rings)" = "$rings_before"
carrier_up() { [ "$(cat /sys/class/net/"$A"/carrier)" = 1 ] && [ "$(stat_of $MA link)" = up ]; }
check "restore: carrier up" carrier_up
ethtool_resets() { ethstats "$A" | awk '$1 == "device_resets" { print $2 }'; }
check "restore: device_resets in ethtool -S = procfs" test "$(ethtool_resets)" = "$(stat_of $MA device_resets)"
check "restore: each reset logged once" test "$(resets_logged)" = "$(resets)"
ip link del "$A.$VID"
ip link set "$A" mtu 1500
in_ns ip link set "$B" mtu 1500

# 3. ethtool -G: the same reset with other ring sizes.
resize() { # resize RX TX: A's rings become RX and TX, and data crosses intact both ways
	local before
	before=$(stat_of $MA device_resets)
	offload "$A" rings "$1" "$2" && [ "$(offload "$A" rings)" = "rx=$1 tx=$2" ] &&
		[ "$(stat_of $MA device_resets)" = $((before + 1)) ] &&
		tcp_copy ab 8 && tcp_copy ba 8
}
refused() { ! offload "$A" rings "$1" "$2" 2>/dev/null && [ "$(offload "$A" rings)" = "$rings_before" ]; }
check "ethtool -G: 100 entries refused (not a power of two)" refused 100 256
check "ethtool -G: 16 transmit entries refused (the largest packet needs more)" refused 256 16
check "ethtool -G: 512 entries refused (more than the device allows)" refused 512 256
check "ethtool -G: rx 64 tx 128, TCP 8 MiB both ways intact" resize 64 128
set -- $(echo "$rings_before" | tr '=' ' ')
check "ethtool -G: back to $rings_before, TCP 8 MiB both ways intact" resize "$2" "$4"
# Resets with packets in flight. pktgen on A floods B with small UDP frames to an address B
# does not have (B's stack answers none). B, slower under TCG, holds A's device back (the hub
# takes a frame from A only when B can take it), so A's ring is full of chains its device has
# not sent when A's rings are resized. Those were never sent: they count in A's tx_dropped,
# not in tx_packets, and the counters add up exactly, B promiscuous (A's IPv6 multicast
# reaches its driver). (Not so across a device that breaks, as in the rounds above: there,
# in one run, one frame sent to the NIC whose device broke went missing per break, counted
# by neither NIC: QEMU's device, once broken, takes no more buffers from its queues.)
PG=/proc/net/pktgen
b_took() { # B's frames from A: received, dropped, refused
	echo $(($(stat_of $MAC_B rx_packets) + $(stat_of $MAC_B rx_dropped) + $(stat_of $MAC_B rx_errors)))
}
in_flight_resets() { # in_flight_resets rx RX tx TX: the sizes to come back to
	local a0 b0 d0 r0 sent took lost pid st=0
	load_module pktgen && in_ns ip link set "$B" promisc on || return 1
	echo rem_device_all >$PG/kpktgend_0 && echo "add_device $A" >$PG/kpktgend_0 &&
		echo "count 0" >$PG/"$A" && echo "pkt_size 64" >$PG/"$A" && echo "delay 0" >$PG/"$A" &&
		echo "dst 10.0.0.99" >$PG/"$A" && echo "dst_mac $MAC_B" >$PG/"$A" || return 1
	sleep 1
	a0=$(stat_of $MA tx_packets) b0=$(b_took) d0=$(stat_of $MA tx_dropped)
	r0=$(stat_of $MA device_resets)
	echo start >$PG/pgctrl &
	pid=$!
	sleep 1
	offload "$A" rings 128 128 && sleep 1 && offload "$A" rings "$2" "$4" || st=1
	sleep 1
	echo stop >$PG/pgctrl
	wait $pid
	echo rem_device_all >$PG/kpktgend_0
	# The last completions are reaped one to two ticks after the last packet.
	sleep 2
	sent=$(($(stat_of $MA tx_packets) - a0)) took=$(($(b_took) - b0))
	lost=$(($(stat_of $MA tx_dropped) - d0))
	in_ns ip link set "$B" promisc off
	echo "status $st, device_resets +$(($(stat_of $MA device_resets) - r0)): A sent $sent," \
		"B received or dropped $took; A dropped $lost unsent at the resets"
	[ $st = 0 ] && [ "$sent" -gt 0 ] && [ "$sent" = "$took" ]
}
check "ethtool -G under a pktgen flood: A sent = B received + B dropped, exactly" in_flight_resets "$@"
# arm_every N FUNC RETVAL: FUNC returns RETVAL at every N-th call until disarmed.
arm_every() {
	echo 0 >$FF/verbose && echo "$1" >$FF/interval && echo -1 >$FF/times &&
		echo 100 >$FF/probability && echo "$2" >$FF/inject && echo "$3" >$FF/"$2"/retval
}
qstat_alloc_fail() {
	qstat "$A" | awk '{ for (i = 1; i < NF; i += 2) if ($i == "rx-alloc-fail") print $(i + 1) }' | grep .
}
alloc_fails() {
	local before f0 q0 st=0 f q
	before=$(stat_of $MA device_resets) f0=$(stat_of $MA rx_alloc_fails)
	q0=$(qstat_alloc_fail) || { echo "no rx-alloc-fail in the netdev qstats"; return 1; }
	arm_every 4 rvnet_fault_rx_alloc 1 || return 1
	offload "$A" rings 64 "$4" && offload "$A" rings "$2" "$4" || st=1
	[ $st = 1 ] || tcp_copy ba 4 || st=2
	disarm rvnet_fault_rx_alloc
	f=$(($(stat_of $MA rx_alloc_fails) - f0)) q=$(($(qstat_alloc_fail) - q0))
	echo "status $st, device_resets +$(($(stat_of $MA device_resets) - before)), rx_alloc_fails +$f, qstats rx-alloc-fail +$q, rings $(offload "$A" rings)"
	[ $st = 0 ] && [ "$(stat_of $MA device_resets)" = $((before + 2)) ] && [ $f -gt 0 ] &&
		[ $q = $f ] && [ "$(offload "$A" rings)" = "$rings_before" ] &&
		tcp_copy ab 8 && tcp_copy ba 8
}
check "ethtool -G: rx 64 and back with every 4th buffer allocation failing, then TCP intact" alloc_fails "$@"
check "ethtool -G: each reset logged once" test "$(resets_logged)" = "$(resets)"

# 4. A reset that fails: the device is given up on, FAILED, and the interface stays down.
FAILED_LOG='device reset \(new ring sizes\): resetting the device failed: (EIO|-5); the device is left FAILED and the interface down'
give_up() {
	# -EIO, as fail_function's retval file takes it (an unsigned hexadecimal number).
	arm rvnet_fault_reset 0xfffffffffffffffb || return 1
	! offload "$A" rings 128 128 2>/dev/null
	st=$?
	disarm rvnet_fault_reset
	[ $st = 0 ] && dmesg | grep -Eq "$FAILED_LOG"
}
check "failed reset: ethtool -G fails, the log says why" give_up
is_down() { ! ip link show "$A" | grep -q '[<,]UP[,>]'; }
check "failed reset: the interface is down" is_down
refused_up() { ! ip link set "$A" up 2>/dev/null && is_down; }
check "failed reset: ip link set up is refused" refused_up
rebind() {
	unbind_device "$DEV_A" && bind_device "$DEV_A" rvnet || return 1
	A=$(nic_by_mac $MAC_A) && ip addr add $IP_A/24 dev "$A" && ip link set "$A" up &&
		ping -c 3 -W 5 $IP_B
}
check "failed reset: unbind and bind bring the device back" rebind
MA=$MAC_A

check "rmmod rvnet" rmmod rvnet
check_dmesg_clean "no kernel warnings, lockdep or DMA-API reports"
kmemleak_scan "no kmemleak reports after the resets"
finish
