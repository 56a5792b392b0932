#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Data path tests of rvnet (issue: data path), for one register layout: NIC A in the root
# network namespace, NIC B in another, joined by the QEMU hub. Ping both ways, a 64 MiB TCP
# transfer with matching checksums, jumbo frames (mergeable receive buffers, chained
# transmit buffers), counters that add up, link flaps and rmmod under traffic, and
# interoperation with the in-tree C driver on the other end. On the tap backend
# (RVNET_BACKEND=tap: bridged host taps, QEMU's default features) also the offloads:
# segmentation both ways, and the transmit offloads toggled under traffic.
# Arguments: the layout, and the device's shape: qemu (QEMU's defaults, or what scripts/test.sh
# gives it), firecracker (scripts/test.sh's FIRECRACKER_OPTS: what Firecracker's virtio-net
# offers, checked first) or iommu (both NICs with iommu_platform=on and the guest booted with
# swiotlb=force, as in a confidential VM: every buffer the device sees is a bounce buffer).
. /rvnet/lib.sh

MIB=64
shape=${2:-qemu}

# A's counters in procfs and in sysfs (what ip -s link shows), read back to back. A packet
# that arrives between the two reads (the tap backend's host side sends its own) makes one
# look differ by one: up to five looks, a second apart, must find them equal once.
procfs_matches_ip_link() {
	local key try snap=/tmp/procfs-a ok p s
	for try in 1 2 3 4 5; do
		ok=0
		for key in rx_packets tx_packets rx_bytes tx_bytes rx_dropped tx_dropped; do
			cat $STATS >$snap
			s=$(cat /sys/class/net/$A/statistics/$key)
			p=$(stat_of $MAC_A $key $snap)
			[ "$p" = "$s" ] || { echo "look $try: $key: procfs $p, ip -s link $s"; ok=1; }
		done
		[ $ok = 1 ] || return 0
		sleep 1
	done
	return 1
}

# jumbo MTU: both ends at MTU, a ping that fills it, and a TCP transfer.
jumbo() {
	ip link set "$A" mtu "$1" && in_ns ip link set "$B" mtu "$1" &&
		ping -c 2 -W 5 -s $(($1 - 28)) $IP_B && in_ns ping -c 2 -W 5 -s $(($1 - 28)) $IP_A
}

no_bad_entries() {
	[ "$(stat_of $MAC_A bad_device_entries)" = 0 ] && [ "$(stat_of $MAC_B bad_device_entries)" = 0 ]
}

# Transmit completions. Byte queue limits count every packet A's stack hands over until the
# device completes it; the completion interrupt's poll frees the last packets of a burst
# without waiting for more traffic. So once A sends nothing, nothing may stay in flight
# (within 2 s), and the limit has adapted to the completions (BQL is in use).
bql() { cat /sys/class/net/"$A"/queues/tx-0/byte_queue_limits/"$1"; }
nothing_in_flight() {
	local i
	for i in $(seq 20); do
		[ "$(bql inflight)" = 0 ] && return 0
		sleep 0.1
	done
	echo "A's byte_queue_limits/inflight is still $(bql inflight) bytes (limit $(bql limit)), 2 s after its last packet"
	return 1
}
# Small (copied) packets that nothing answers: pktgen from A, 10 packets a millisecond apart,
# to an address no interface has, so no reply comes back to make A's poll run, and (after
# the transfers above raised the byte queue limit) too few bytes for the limits to stop the
# queue. Their completions ask for no interrupt, yet they must not stay in flight either.
PG=/proc/net/pktgen
unanswered_burst() {
	load_module pktgen || return
	echo rem_device_all >$PG/kpktgend_0
	echo "add_device $A" >$PG/kpktgend_0
	for cmd in "count 10" "pkt_size 60" "delay 1000000" "dst 10.0.0.99" \
		"dst_mac 02:00:00:00:00:99"; do
		echo "$cmd" >$PG/"$A"
	done
	echo start >$PG/pgctrl
	local result
	result=$(grep '^Result' $PG/"$A")
	echo rem_device_all >$PG/kpktgend_0
	echo "pktgen: $result"
	case $result in "Result: OK"*) ;; *) return 1 ;; esac
	nothing_in_flight
}

kmemleak_baseline
check "insmod rvnet" insmod /lib/modules/rvnet.ko
DEV_A=$(platform_dev $MAC_A)
DEV_B=$(platform_dev $MAC_B)
check "interfaces up (promiscuous), B in its namespace" setup_pair promisc
# Each reader of the procfs file sees the interfaces of its own network namespace, as
# /proc/net/dev shows them: A here, B in B's namespace, and each file begins with the header.
own_namespace_only() {
	local here there
	here=$(grep '^mac: ' $STATS | tr '\n' ' ')
	there=$(in_ns cat $STATS | grep '^mac: ' | tr '\n' ' ')
	echo "procfs here: ${here:-nothing}; in B's namespace: ${there:-nothing}"
	[ "$here" = "mac: $MAC_A " ] && [ "$there" = "mac: $MAC_B " ] &&
		in_ns cat $STATS | head -n1 | grep -q '^# rvnet network statistics, format ' &&
		grep -q "^ *$A:" /proc/net/dev && in_ns grep -q "^ *$B:" /proc/net/dev
}
check "procfs: each network namespace sees its own interfaces only" own_namespace_only
# A device shaped like Firecracker's: CSUM, GUEST_CSUM, TSO4/6 both ways, UFO both ways
# (which rvnet does not negotiate; virtio_net does), MRG_RXBUF, EVENT_IDX, VERSION_1 and MAC;
# no STATUS, so the link is taken as up; no control queue, no indirect descriptors, 256-entry
# queues. rvnet must negotiate exactly its offloads and run the whole data path below on it.
negotiated_exactly() { # negotiated_exactly "NAMES": both NICs' procfs features, in bit order
	local mac got
	for mac in $MAC_A $MAC_B; do
		got=$(stats | grep -A5 "mac: $mac" | sed -n 's/^features: 0x[0-9a-f]* //p')
		[ "$got" = "$1" ] || { echo "$mac: negotiated '$got'"; return 1; }
	done
}
link_up_without_status() {
	[ "$(cat /sys/class/net/"$A"/carrier)" = 1 ] && [ "$(stat_of $MAC_A link)" = up ]
}
if [ "$shape" = firecracker ]; then
	FC_FEATURES="CSUM GUEST_CSUM MAC GUEST_TSO4 GUEST_TSO6 HOST_TSO4 HOST_TSO6 MRG_RXBUF EVENT_IDX VERSION_1"
	check "firecracker: negotiated $FC_FEATURES" negotiated_exactly "$FC_FEATURES"
	check "firecracker: carrier up without STATUS" link_up_without_status
	# All of Firecracker's 256 entries in use (also rvnet's own cap: virtqueue/ring.rs).
	check "firecracker: 256-entry rings (ethtool -g)" test "$(offload "$A" rings)" = "rx=256 tx=256"
fi
# ACCESS_PLATFORM (iommu_platform=on): accepted on both NICs, and with swiotlb=force every
# streaming mapping rvnet makes (the page pool's receive pages, transmitted fragments) is a
# bounce buffer: while the interfaces are up, the pool's pages hold swiotlb slots. Nothing
# else in the guest maps through the DMA API (the entropy device's driver, without the
# feature, passes physical addresses), so after rmmod every slot must be free again.
SWIOTLB=/sys/kernel/debug/swiotlb
swiotlb_used() { cat $SWIOTLB/io_tlb_used; }
bounced() {
	local used
	used=$(swiotlb_used)
	echo "swiotlb slots in use with both NICs up: $used"
	[ "$used" -gt 0 ]
}
if [ "$shape" = iommu ]; then
	accepted_both() { stats | grep '^features: ' | grep -c ' ACCESS_PLATFORM' | grep -qx 2; }
	check "iommu: ACCESS_PLATFORM accepted on both NICs" accepted_both
	check "iommu: the guest bounces every mapping (swiotlb=force)" grep -qw swiotlb=force /proc/cmdline
	check "iommu: rvnet's buffers are swiotlb bounce buffers" bounced
fi
check "ping A -> B" ping -c 3 -W 5 $IP_B
check "ping B -> A" in_ns ping -c 3 -W 5 $IP_A
check "TCP $MIB MiB A -> B, checksums match" tcp_copy ab "$MIB"
check "TCP 8 MiB B -> A, checksums match" tcp_copy ba 8
check "counters: A sent = B received + B dropped, and back" counters_consistent
check "procfs = ip -s link" procfs_matches_ip_link
check "interrupts and NAPI polls counted" \
	test "$(stat_of $MAC_A interrupts)" -gt 0 -a "$(stat_of $MAC_A napi_polls)" -gt 0
check "no bad device entries" no_bad_entries
check "completions: nothing left in flight after the transfers" nothing_in_flight
check "completions: nothing left in flight after 10 unanswered small packets" unanswered_burst
check "completions: byte queue limits in use (limit > 0)" test "$(bql limit)" -gt 0

# AF_XDP (qemu/tools/afxdp: a UMEM and the four rings, no libbpf). An XDP program redirects
# frames of EtherType 0x88b5 through an XSKMAP to the socket on queue 0. In copy mode the
# kernel copies each into the socket's UMEM, and the socket's transmit ring goes out through
# the driver's transmit. In zero-copy mode rvnet binds the socket's buffer pool (a device
# reset): the device writes received frames into the UMEM and reads sent ones from it.
# 2000 frames of 60 to 1514 bytes from a socket on A to one on B, and back, each checked
# intact and received once; on a receiver whose program runs in rvnet, each frame counted
# as redirected: copy to copy, zero-copy to zero-copy, and each mode to the other. Then 10
# sockets bound and unbound on A in turn, in each mode, each with its program attached and
# detached, while 16 MiB cross A -> B over TCP, intact (in zero-copy mode the TCP packets go
# from the pool's buffers to the stack, XDP_PASS).
# Not on Firecracker's shape: its device cannot turn its receive offloads off (no control
# queue), so native XDP is refused there, as virtio_net refuses it; and generic XDP makes the
# kernel warn that it "failed to disable GRO_HW" (the device keeps merging segments), with
# either driver (seen in a run of both).
xsk_transfer() { # xsk_transfer ab|ba [rvnet|-] [SEND_MODE RECV_MODE]: 2000 frames
	local tx=$A rx=$B run_tx= run_rx=in_ns dst=$MAC_B pid st r0 r1
	if [ "$1" = ba ]; then tx=$B rx=$A run_tx=in_ns run_rx= dst=$MAC_A; fi
	r0=$(stat_of "$dst" xdp_redirects)
	$run_rx afxdp recv "$rx" 2000 60 "${4:-copy}" >/tmp/xsk.out 2>&1 &
	pid=$!
	wait_listening /tmp/xsk.out 100
	$run_tx afxdp send "$tx" 2000 "$dst" 64 "${3:-copy}"
	st=$?
	[ $st = 0 ] || kill $pid
	wait $pid || st=1
	r1=$(stat_of "$dst" xdp_redirects)
	echo "receiver: $(tail -n1 /tmp/xsk.out); its xdp_redirects +$((r1 - r0))"
	[ $st = 0 ] || return 1
	[ "${2:-}" != rvnet ] || [ $((r1 - r0)) -ge 2000 ]
}
xsk_bind_under_traffic() { # xsk_bind_under_traffic copy|zc
	local tcp st
	tcp_copy ab 16 >/tmp/xsk-tcp.out 2>&1 &
	tcp=$!
	sleep 1
	afxdp bind "$A" 10 "$1"
	st=$?
	wait $tcp || st=1
	cat /tmp/xsk-tcp.out
	[ $st = 0 ] && awk '/^tcp ab: 16 MiB, md5 / { ok = $6 == $9 } END { exit !ok }' /tmp/xsk-tcp.out
}
if [ "$shape" != firecracker ]; then
	check "af_xdp: 2000 frames from a socket on A to one on B, intact" xsk_transfer ab rvnet
	check "af_xdp: 2000 frames B -> A, intact" xsk_transfer ba rvnet
	check "af_xdp: 10 sockets bound and unbound on A beside 16 MiB of TCP, intact" \
		xsk_bind_under_traffic copy
	check "af_xdp zero-copy: 2000 frames A -> B, intact" xsk_transfer ab rvnet zc zc
	check "af_xdp zero-copy: 2000 frames B -> A, intact" xsk_transfer ba rvnet zc zc
	check "af_xdp: 2000 frames from a zero-copy socket to a copy-mode one" \
		xsk_transfer ab rvnet zc copy
	check "af_xdp: 2000 frames from a copy-mode socket to a zero-copy one" \
		xsk_transfer ab rvnet copy zc
fi

# netconsole (netpoll): the kernel's log over the network. netpoll hands rvnet its packets
# with interrupts off and, when the ring is full, drives rvnet's NAPI poll itself (budget 0)
# to free room. A target on A sends to B, where udpsink prints what arrives: 20 kernel
# messages must all reach B, first with the link idle, then beside a 16 MiB TCP transfer,
# which must arrive intact.
NC_TARGET=/sys/kernel/config/netconsole/rvnet
netconsole_on() {
	grep -q ' /sys/kernel/config ' /proc/mounts || mount -t configfs configfs /sys/kernel/config ||
		return 1
	mkdir -p $NC_TARGET && echo "$A" >$NC_TARGET/dev_name && echo $IP_A >$NC_TARGET/local_ip &&
		echo $IP_B >$NC_TARGET/remote_ip && echo 6666 >$NC_TARGET/remote_port &&
		echo $MAC_B >$NC_TARGET/remote_mac && echo 1 >$NC_TARGET/enabled
}
netconsole_delivers() { # netconsole_delivers TAG: 20 kernel messages from A reach B
	local pid i n
	in_ns udpsink 6666 3000 print >/tmp/netconsole.out 2>&1 &
	pid=$!
	wait_listening /tmp/netconsole.out 50
	for i in $(seq 20); do echo "rvnet-netconsole $1 $i" >/dev/kmsg; done
	wait $pid
	n=$(grep -c "rvnet-netconsole $1 " /tmp/netconsole.out)
	echo "netconsole $1: $n of 20 messages reached B"
	[ "$n" = 20 ]
}
netconsole_under_traffic() {
	local st before t=0 tcp
	before=$(stat_of $MAC_B rx_packets)
	tcp_copy ab 16 >/tmp/netconsole-tcp.out 2>&1 &
	tcp=$!
	# Under way: 300 packets at B.
	while [ "$(stat_of $MAC_B rx_packets)" -lt $((before + 300)) ] && [ $t -lt 600 ]; do
		usleep 100000
		t=$((t + 1))
	done
	netconsole_delivers busy || { wait $tcp; return 1; }
	wait $tcp
	st=$?
	cat /tmp/netconsole-tcp.out
	[ $st = 0 ] && awk '/^tcp ab: 16 MiB, md5 / { ok = $6 == $9 } END { exit !ok }' /tmp/netconsole-tcp.out
}
# With an XDP program on A (native, rvnet's receive), redirecting frames that a socket on B
# sends to a socket on A while netconsole sends: the messages and the 2000 frames all arrive.
netconsole_beside_xdp() {
	local xsk st
	rm -f /tmp/xsk.out
	xsk_transfer ba rvnet >/tmp/xsk-nc.out 2>&1 &
	xsk=$!
	# The program is attached once A's receiver listens; the frames follow.
	wait_listening /tmp/xsk.out 100
	netconsole_delivers xdp
	st=$?
	wait $xsk || st=1
	cat /tmp/xsk-nc.out
	return $st
}
# On the tap backend, to the host side too (below, after the last check that A's and B's
# counters add up, which the host's packets would upset): a second target sends to
# 10.0.0.254:6666, where the host's echo (scripts/tapns.sh) sends each message back to where
# it came from, A's netconsole port 6665; a socket bound there on A counts them.
HOST_IP=10.0.0.254
NC_HOST=/sys/kernel/config/netconsole/rvnet-host
netconsole_to_host() {
	local mac pid i n
	ping -c 1 -W 5 $HOST_IP >/dev/null || return 1
	mac=$(awk -v ip=$HOST_IP '$1 == ip { print $4 }' /proc/net/arp)
	[ -n "$mac" ] || { echo "no neighbour entry for $HOST_IP"; return 1; }
	mkdir -p $NC_HOST && echo "$A" >$NC_HOST/dev_name && echo $IP_A >$NC_HOST/local_ip &&
		echo 6665 >$NC_HOST/local_port && echo $HOST_IP >$NC_HOST/remote_ip &&
		echo 6666 >$NC_HOST/remote_port && echo "$mac" >$NC_HOST/remote_mac &&
		echo 1 >$NC_HOST/enabled || return 1
	udpsink 6665 3000 print >/tmp/netconsole-host.out 2>&1 &
	pid=$!
	wait_listening /tmp/netconsole-host.out 50
	for i in $(seq 20); do echo "rvnet-netconsole host $i" >/dev/kmsg; done
	wait $pid
	echo 0 >$NC_HOST/enabled && rmdir $NC_HOST
	n=$(grep -c "rvnet-netconsole host " /tmp/netconsole-host.out)
	echo "netconsole to the host: $n of 20 messages came back from $HOST_IP"
	[ "$n" = 20 ]
}
# On the hub and on the tap backend (QEMU's device; the other shapes change nothing here).
if [ "$shape" = qemu ]; then
	check "netconsole: a target on A" netconsole_on
	check "netconsole: 20 kernel messages reach B" netconsole_delivers idle
	check "netconsole: 20 more beside a 16 MiB TCP transfer, which arrives intact" \
		netconsole_under_traffic
	check "netconsole: 20 more while A's XDP program takes 2000 frames from B to a socket" \
		netconsole_beside_xdp
	check "netconsole: target removed" sh -c "echo 0 >$NC_TARGET/enabled && rmdir $NC_TARGET"
fi

# Checksums: every one the receiving stacks checked was right (on the hub, all of them: no
# GUEST_CSUM; on the tap backend, those the device did not vouch for).
csum_errors() { # csum_errors: TCP, UDP and ICMP InCsumErrors of both namespaces, added
	# Each protocol has a line of names, then one of values.
	{ cat /proc/net/snmp; in_ns cat /proc/net/snmp; } | awk '
		$1 !~ /^(Tcp|Udp|Icmp):$/ { next }
		!names[$1] { names[$1] = 1; col[$1] = 0
			for (i = 2; i <= NF; i++) if ($i == "InCsumErrors") col[$1] = i; next }
		{ names[$1] = 0; if (col[$1]) s += $col[$1] }
		END { print s + 0 }'
}
check "checksums: no receiver found one wrong (InCsumErrors)" test "$(csum_errors)" = 0

# Jumbo frames: QEMU offers mergeable receive buffers; a frame then spans several 2 KiB
# buffers on receive and a chain of them on transmit.
mrg() { stats | grep -A5 "mac: $1" | grep '^features:' | grep -qw MRG_RXBUF; }
check "MRG_RXBUF negotiated" mrg $MAC_A
check "max MTU 65535 accepted" ip link set "$A" mtu 65535
check "MTU 65536 refused" sh -c "! ip link set $A mtu 65536 2>/dev/null"
check "jumbo: 9000-byte packets cross both ways" jumbo 9000
check "jumbo: TCP 16 MiB A -> B at MTU 9000, checksums match" tcp_copy ab 16
check "jumbo: $PATH_MAX_MTU-byte packets cross both ways" jumbo $PATH_MAX_MTU
# A's last packet was a jumbo echo reply, mapped rather than copied: it must be freed too.
check "jumbo: the last (mapped) packet is not left in flight" nothing_in_flight
ip link set "$A" mtu 1500
in_ns ip link set "$B" mtu 1500
check "jumbo: counters still add up" counters_consistent
check "jumbo: no bad device entries" no_bad_entries
check "jumbo: no receiver found a checksum wrong (InCsumErrors)" test "$(csum_errors)" = 0

# flowing: the transfer has started, B having received 300 packets more than before it (the
# sender first writes 32 MiB of random data, which takes a while under TCG: a flap before the
# connection exists would only fail the connect, and test nothing). At most 120 s.
flowing() {
	local t=0
	while [ "$(stat_of $MAC_B rx_packets)" -lt $((rx_before + 300)) ]; do
		[ $t -ge 1200 ] && { echo "no traffic reached B"; return 1; }
		usleep 100000
		t=$((t + 1))
	done
}

# Offloads, on the tap backend (QEMU's default features; the hub strips them all): both
# NICs negotiated them, the 64 MiB transfer above went out as packets for the device to
# segment and came in as merged segments, no header was refused; then the transmit offloads
# go off and on again (what ethtool -K does) while a transfer runs, and it arrives intact.
offloads_negotiated() {
	local mac f
	for mac in $MAC_A $MAC_B; do
		f=$(stats | grep -A5 "mac: $mac" | grep '^features:')
		for want in CSUM GUEST_CSUM HOST_TSO4 HOST_TSO6 GUEST_TSO4 GUEST_TSO6 MRG_RXBUF; do
			echo "$f" | grep -qw $want || { echo "$mac: no $want in $f"; return 1; }
		done
	done
}
no_bad_headers() {
	[ "$(stat_of $MAC_A rx_bad_headers)" = 0 ] && [ "$(stat_of $MAC_B rx_bad_headers)" = 0 ]
}
toggle_offloads() {
	local o
	offload "$A" || return 1
	for o in tso tx sg; do
		offload "$A" $o off || return 1
		sleep 1
		echo "$o off: $(offload "$A")"
	done
	for o in sg tx tso; do
		offload "$A" $o on || return 1
		sleep 1
	done
	echo "all on again: $(offload "$A")"
	[ "$(offload "$A")" = "sg=1 tx=1 tso=1" ]
}
if [ "$RVNET_BACKEND" = tap ]; then
	check "offloads: checksums, TSO and merged segments negotiated on both NICs" \
		offloads_negotiated
	check "offloads: A handed packets to the device to segment (tx_gso)" \
		test "$(stat_of $MAC_A tx_gso)" -gt 0
	check "offloads: B received merged segments (rx_gso)" test "$(stat_of $MAC_B rx_gso)" -gt 0
	# QEMU offers indirect descriptors (Firecracker does not): a packet to segment, mapped in
	# up to 19 parts, takes one descriptor of A's transmit ring (a table), not a chain of 19.
	indirect_negotiated() {
		local n
		n=$(stats | grep '^features: ' | grep -c ' INDIRECT_DESC')
		echo "A's transmit queue stopped $(stat_of $MAC_A tx_queue_stops) times (full ring or byte limits)"
		[ "$n" = 2 ]
	}
	[ "$shape" = firecracker ] ||
		check "offloads: indirect descriptors negotiated on both NICs" indirect_negotiated
	check "offloads: no header refused" no_bad_headers
	rx_before=$(stat_of $MAC_B rx_packets)
	tcp_copy ab 32 >/tmp/toggle.out 2>&1 &
	toggle_pid=$!
	check "offloads: the transfer is under way" flowing
	check "offloads: sg, tx and tso off and on again under traffic" toggle_offloads
	wait $toggle_pid
	toggle_status=$?
	cat /tmp/toggle.out
	check "offloads: 32 MiB A -> B across the toggles, checksums match" \
		sh -c "[ $toggle_status = 0 ] && awk '/^tcp ab: 32 MiB, md5 / { ok = \$6 == \$9 } END { exit !ok }' /tmp/toggle.out"
	check "offloads: counters still add up" counters_consistent
fi

# Merged segments off and on (ethtool -K rx-gro-hw, which the control queue's
# GUEST_OFFLOADS_SET tells the device): QEMU's device on the tap backend has it, Firecracker's
# has no control queue. With B's off the device merges nothing for B, and a transfer arrives
# intact without a merged segment; back on, it merges again.
gro_hw() { in_ns offload "$B" feature rx-gro-hw "$@"; }
gro_hw_toggle() {
	local before
	gro_hw off && [ "$(gro_hw)" = rx-gro-hw=0 ] || { echo "rx-gro-hw: $(gro_hw)"; return 1; }
	before=$(stat_of $MAC_B rx_gso)
	tcp_copy ab 16 || return 1
	[ "$(stat_of $MAC_B rx_gso)" = "$before" ] ||
		{ echo "B's rx_gso went from $before to $(stat_of $MAC_B rx_gso) with rx-gro-hw off"; return 1; }
	gro_hw on && [ "$(gro_hw)" = rx-gro-hw=1 ] || { echo "rx-gro-hw: $(gro_hw)"; return 1; }
	before=$(stat_of $MAC_B rx_gso)
	tcp_copy ab 16 || return 1
	[ "$(stat_of $MAC_B rx_gso)" -gt "$before" ] || { echo "no merged segment with rx-gro-hw on"; return 1; }
}
if [ "$RVNET_BACKEND" = tap ] && [ "$shape" = qemu ]; then
	check "offloads: rx-gro-hw off on B: 16 MiB arrive intact, unmerged; on again: merged" \
		gro_hw_toggle
	check "offloads: no header refused after the toggles" no_bad_headers
fi

# UDP segmentation (USO): QEMU's device on the tap backend offers HOST_USO and GUEST_USO4/6
# (Firecracker's does not; the iommu shape's run, which would repeat it, is kept short). A sends 200 packets of 10 datagrams of 1400 bytes, each one send()
# with UDP_SEGMENT: with tx-udp-segmentation on, A hands each whole to its device (tx_gso), the
# host's bridge forwards it unsegmented, and B's device delivers it merged (rx_gso), for B's
# stack to cut; off, A's stack cuts them. Either way B must receive all 2000 datagrams, each
# intact and once (udpgso checks their contents).
uso() { offload "$A" feature tx-udp-segmentation "$@"; }
uso_negotiated() {
	local n
	n=$(stats | grep '^features: ' | grep -c ' GUEST_USO4 GUEST_USO6 HOST_USO')
	[ "$n" = 2 ] && [ "$(uso)" = tx-udp-segmentation=1 ]
}
uso_transfer() { # uso_transfer on|off: the datagrams cross; A's device segmented them (on) or not
	local pid tx0 rx0 tx1 rx1 tp0 rp0 tp1 rp1
	uso "$1" || return 1
	tx0=$(stat_of $MAC_A tx_gso) rx0=$(stat_of $MAC_B rx_gso)
	tp0=$(stat_of $MAC_A tx_packets) rp0=$(stat_of $MAC_B rx_packets)
	in_ns udpgso recv 5003 1400 2000 >/tmp/uso.out 2>&1 &
	pid=$!
	wait_listening /tmp/uso.out 50
	udpgso send $IP_B 5003 1400 10 200 || { kill $pid; return 1; }
	wait $pid || { cat /tmp/uso.out; return 1; }
	tx1=$(stat_of $MAC_A tx_gso) rx1=$(stat_of $MAC_B rx_gso)
	tp1=$(stat_of $MAC_A tx_packets) rp1=$(stat_of $MAC_B rx_packets)
	echo "tx-udp-segmentation $1: B: $(tail -n1 /tmp/uso.out); A's tx_gso +$((tx1 - tx0)), tx_packets +$((tp1 - tp0)); B's rx_gso +$((rx1 - rx0)), rx_packets +$((rp1 - rp0))"
	# Packets are counted as frames on the wire, segments one each, as the netdev qstats
	# count them (both ways: A's device segments, B's merges).
	[ $((tp1 - tp0)) -ge 2000 ] && [ $((rp1 - rp0)) -ge 2000 ] || return 1
	if [ "$1" = on ]; then
		[ $((tx1 - tx0)) -ge 200 ] && [ $((rx1 - rx0)) -gt 0 ]
	else
		[ "$tx1" = "$tx0" ]
	fi
}
if [ "$RVNET_BACKEND" = tap ] && [ "$shape" = qemu ]; then
	check "uso: HOST_USO, GUEST_USO4 and GUEST_USO6 negotiated on both NICs, on in A's features" \
		uso_negotiated
	check "uso: 2000 datagrams A -> B in 200 sends, segmented by the devices, intact" \
		uso_transfer on
	check "uso: tx-udp-segmentation off: segmented by A's stack, intact" uso_transfer off
	check "uso: on again" uso_transfer on
	check "uso: no header refused" no_bad_headers
	# The netdev queue statistics report the same counts: tx-hw-gso-packets is tx_gso,
	# rx-hw-gro-packets is rx_gso (a device that merges, GRO_HW).
	qstat_of() { awk -v k="$1" '{ for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1) }'; }
	gso_qstats() {
		local a b
		a=$(qstat "$A" | qstat_of tx-hw-gso-packets)
		b=$(in_ns qstat "$B" | qstat_of rx-hw-gro-packets)
		echo "A: tx-hw-gso-packets ${a:-none}, tx_gso $(stat_of $MAC_A tx_gso);" \
			"B: rx-hw-gro-packets ${b:-none}, rx_gso $(stat_of $MAC_B rx_gso)"
		[ "$a" = "$(stat_of $MAC_A tx_gso)" ] && [ "$b" = "$(stat_of $MAC_B rx_gso)" ] &&
			[ "$a" -gt 0 ] && [ "$b" -gt 0 ]
	}
	check "qstats: tx-hw-gso-packets = tx_gso, rx-hw-gro-packets = rx_gso" gso_qstats
fi

# Receive buffers under memory pressure: one atomic page allocation in two fails
# (fail_page_alloc, any task; allocations that may sleep are left alone), while 16 MiB cross
# from A to B. B's reader starts 5 s late, with a receive buffer of 4 MiB, so that the data
# waiting in its socket holds more pages than the pool keeps, and the pool must go to the page
# allocator for more (pages it recycles never fail). A packet whose buffers the pool cannot
# replace is dropped, and counted; TCP sends it again, the transfer arrives intact, and the
# ring is whole afterwards. Each buffer the pool did not give counts in rx_alloc_fails. The
# pool refills its cache 64 pages at a time, in one bulk allocation that the injection fails
# whole, so a transfer makes only some tens of attempts: at one in five, B dropped 0 to 9
# packets (none in one run of six, and once in CI); at one in two, 13 to 25 (six runs).
FPA=/sys/kernel/debug/fail_page_alloc
pressure() { # pressure on|off
	if [ "$1" = on ]; then
		echo 1 >$FPA/ignore-gfp-wait && echo 1 >$FPA/ignore-gfp-highmem &&
			echo 0 >$FPA/min-order && echo 0 >$FPA/task-filter && echo 0 >$FPA/verbose &&
			echo 1 >$FPA/interval && echo -1 >$FPA/times && echo 50 >$FPA/probability
	else
		echo 0 >$FPA/probability
	fi
}
# dma-debug's own bookkeeping allocates atomically too (a radix tree node per new range of
# mapped cache lines): when one of the injected failures hits it, it reports "cacheline
# tracking ENOMEM" and turns itself off. That line is the injection's doing, not a driver
# report, and is accepted once it appears while the failures are on, never at any other
# time; the rest of this run then goes without dma-debug, as the message says (the other
# runs keep it).
DMA_DEBUG_ENOMEM='DMA-API: cacheline tracking ENOMEM, dma-debug disabled'
dma_debug_enomem() { dmesg | grep -c "$DMA_DEBUG_ENOMEM"; }
under_pressure() {
	local before st rmem e0 f0
	e0=$(dma_debug_enomem)
	before=$(stat_of $MAC_B rx_dropped) f0=$(stat_of $MAC_B rx_alloc_fails)
	rmem=$(in_ns cat /proc/sys/net/ipv4/tcp_rmem)
	in_ns sh -c 'echo "4096 4194304 8388608" >/proc/sys/net/ipv4/tcp_rmem' || return 1
	pressure on || return 1
	tcp_copy ab 16 5
	st=$?
	pressure off
	if [ "$(dma_debug_enomem)" -gt "$e0" ]; then
		echo "memory pressure: an injected failure hit dma-debug, which turned itself off"
		RVNET_DMESG_OK="$RVNET_DMESG_OK|$DMA_DEBUG_ENOMEM"
	fi
	in_ns sh -c "echo '$rmem' >/proc/sys/net/ipv4/tcp_rmem"
	echo "B's rx_dropped during the transfer: $(( $(stat_of $MAC_B rx_dropped) - before )), rx_alloc_fails: $(( $(stat_of $MAC_B rx_alloc_fails) - f0 ))"
	[ $st = 0 ] && [ "$(stat_of $MAC_B rx_dropped)" -gt "$before" ] &&
		[ "$(stat_of $MAC_B rx_alloc_fails)" -gt "$f0" ]
}
if [ -d $FPA ]; then
	check "memory pressure: 16 MiB A -> B intact, B's drops counted" under_pressure
	check "memory pressure: TCP 8 MiB A -> B afterwards, checksums match" tcp_copy ab 8
	check "memory pressure: no bad device entries" no_bad_entries
else
	fail "memory pressure: fail_page_alloc available" "no $FPA"
fi

if [ "$RVNET_BACKEND" = tap ] && [ "$shape" = qemu ]; then
	check "netconsole: 20 messages reach the host side of the tap backend (echoed back)" \
		netconsole_to_host
fi

# Zero-copy binds under traffic, after the last check that A's and B's counters add up: each
# bind and unbind resets A's device, and what QEMU still held for it then is lost on the wire,
# seen by neither driver (what A's device had delivered to its ring is counted in rx_dropped).
if [ "$shape" != firecracker ]; then
	check "af_xdp zero-copy: 10 pools bound and unbound on A beside 16 MiB of TCP, intact" \
		xsk_bind_under_traffic zc
fi

# Link flaps with traffic running: the transfer rides them out (TCP retransmits what the
# down link lost) and arrives intact; a watchdog ends it if it stalls (300 s).
kill_nc() { kill $(pidof nc) 2>/dev/null; true; }
rx_before=$(stat_of $MAC_B rx_packets)
tcp_copy ab 32 >/tmp/flap.out 2>&1 &
flap_pid=$!
(sleep 300; echo "watchdog: the transfer stalled"; kill_nc) >>/tmp/flap.out 2>&1 &
watchdog=$!
check "link down/up under traffic: the transfer is under way" flowing
for i in 1 2 3; do
	sleep 1
	ip link set "$A" down
	sleep 0.3
	ip link set "$A" up
done
wait $flap_pid
flap_status=$?
kill $watchdog 2>/dev/null
cat /tmp/flap.out
check "link down/up under traffic: 32 MiB A -> B complete, checksums match" \
	sh -c "[ $flap_status = 0 ] && awk '/^tcp ab: 32 MiB, md5 / { ok = \$6 == \$9 } END { exit !ok }' /tmp/flap.out"
kill_nc
check "link down/up under traffic: ping works after" ping -c 3 -W 5 $IP_B

# rmmod with traffic running.
in_ns sh -c 'nc -l -p 5002 -e sh -c "cat >/dev/null"' &
sleep 1
(dd if=/dev/zero bs=1M count=200 2>/dev/null | nc $IP_B 5002) &
sleep 2
check "rmmod rvnet under traffic" rmmod rvnet
kill_nc
gone() { [ ! -e $STATS ] && [ ! -e /sys/class/net/"$A" ] && [ -z "$(in_ns ls /sys/class/net | grep -v lo)" ]; }
check "interfaces and procfs gone" gone
if [ "$shape" = iommu ]; then
	check "iommu: every swiotlb slot free after rmmod" test "$(swiotlb_used)" = 0
fi
check_dmesg_clean "no kernel warnings, lockdep or DMA-API reports"
kmemleak_scan "no kmemleak reports after rmmod under traffic"

# Interoperation: A on rvnet, B on the in-tree virtio_mmio + virtio_net.
echo rvnet >/sys/bus/platform/devices/"$DEV_A"/driver_override
echo virtio-mmio >/sys/bus/platform/devices/"$DEV_B"/driver_override
load_c_driver
check "insmod rvnet next to virtio_mmio" insmod /lib/modules/rvnet.ko
c_drives_b() { readlink "/sys/class/net/$(nic_by_mac $MAC_B)/device/driver" | grep -q '/virtio_net$'; }
check "B is driven by the C driver" c_drives_b
check "interop: interfaces up" setup_pair
check "interop: ping A -> B" ping -c 3 -W 5 $IP_B
check "interop: ping B -> A" in_ns ping -c 3 -W 5 $IP_A
check "interop: TCP 16 MiB rvnet -> virtio_net" tcp_copy ab 16
check "interop: TCP 16 MiB virtio_net -> rvnet" tcp_copy ba 16
check "interop: 9000-byte packets cross both ways" jumbo 9000
ip link set "$A" mtu 1500
in_ns ip link set "$B" mtu 1500
if [ "$shape" != firecracker ]; then
	check "interop: af_xdp: 2000 frames rvnet -> virtio_net, socket to socket" xsk_transfer ab
	check "interop: af_xdp: 2000 frames virtio_net -> rvnet" xsk_transfer ba rvnet
	# virtio_net has no zero-copy on virtio-mmio (no VIRTIO_F_RING_RESET): copy mode there.
	check "interop: af_xdp: 2000 frames rvnet zero-copy -> virtio_net copy" \
		xsk_transfer ab - zc copy
	check "interop: af_xdp: 2000 frames virtio_net copy -> rvnet zero-copy" \
		xsk_transfer ba rvnet copy zc
fi
# rmmod with a zero-copy socket bound on A: unregistering the interface unbinds the pool
# (the kernel's AF_XDP notifier), and the socket is told the device went down.
xsk_pid=
if [ "$shape" != firecracker ]; then
	afxdp recv "$A" 2000 600 zc >/tmp/xsk-rmmod.out 2>&1 &
	xsk_pid=$!
	wait_listening /tmp/xsk-rmmod.out 100
fi
check "interop: rmmod rvnet${xsk_pid:+ with a zero-copy AF_XDP socket bound}" rmmod rvnet
if [ -n "$xsk_pid" ]; then
	kill $xsk_pid 2>/dev/null
	wait $xsk_pid
fi
check_dmesg_clean "interop: no kernel warnings"
finish
