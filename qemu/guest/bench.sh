#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench, in the guest: rvnet and the in-tree C pair (virtio_mmio + virtio_net) on the
# same two NICs, alternately, ROUNDS times (rvnet, C, rvnet, C, ...), both NICs on the same
# driver each time. Per driver and round:
#
#   pps64     pktgen on A, 64-byte frames to B for SECONDS: packets/s sent by A, received by B
#   pps1500   the same with 1514-byte frames (1500-byte IP packets)
#   tcp       TCP bulk A -> B for SECONDS (tcpbench): bytes/s received by B; and the guest
#             CPU time per MB received
#   tcp_ba    the same from B to A
#   tcp_host  TCP bulk A -> the host side of the tap backend (HOST_IP, fifth argument; none
#             with the hub backend), timed by the sender up to the receiver's close
#   rr        1-byte TCP request/response A <-> B (tcpbench -r): transactions/s, round-trip
#             p50 and p99 in microseconds
#   irq       interrupts of B's IRQ line per 1,000 packets B received, and of A's per 1,000
#             packets A sent, during pps64
#   stops     times A's transmit queue was stopped (netlink qstats tx-stop) per 1,000
#             packets A sent, during pps64
#   kicks     notifications of the device (each an MMIO write) by A's transmit queue per
#             1,000 packets A sent, and by B's receive queue per 1,000 B received, during
#             pps64 (each driver's own "ethtool -S" count)
#   tcp irq   interrupts of both lines per 1,000 packets B received, during tcp
#   xsk_tx    AF_XDP in copy mode (qemu/tools/afxdp): 64-byte frames sent from a socket's
#             transmit ring on A for SECONDS, as fast as they complete: frames/s
#   xsk_rx    pktgen's 64-byte frames from A received by a socket on B for SECONDS (an XDP
#             program redirects every frame to it through an XSKMAP; the kernel copies each
#             into the socket's UMEM): frames/s
#   xsk_zc_*  the same two with rvnet's sockets in zero-copy mode (the device reads and writes
#             the UMEM); virtio_net has none on virtio-mmio, so the report sets its copy
#             mode against them
#   cpu       guest CPU time (both vCPUs, all but idle) per packet B received, during pps64
#   mem       memory the driver took for both NICs, bound, up and filled with receive
#             buffers: MemAvailable before loading it less after (page cache dropped both
#             times), and the growth of Slab
#
# Around each measurement the guest prints "RVNET-HOST mark <driver> <round> <test>
# begin|end": scripts/boot.sh then records the CPU time of each QEMU thread on the host (the
# vCPUs and the main loop), so that the report can tell where the host's time went.
#
# Packet counts are the kernel's (/proc/net/dev) and interrupts /proc/interrupts', the same
# sources for both drivers. Prints "BENCH <driver> <round> <metric> <value>" lines for
# scripts/bench.sh, and the negotiated feature bits of each driver as "FEATURES <driver> <bits>".
#
# With PROFILE (fourth argument, default 1), round 1 ends, for each driver, with two
# profiled runs outside the measurements: pktgen 64-byte and TCP, each sampled by
# qemu/tools/kprof for 3 s ("kprof: <driver> <test>: ..." lines).
#
# Usage: bench.sh LAYOUT [ROUNDS [SECONDS [PROFILE [HOST_IP]]]]
. /rvnet/lib.sh
. /rvnet/benchlib.sh

ROUNDS=${2:-5}
SECS=${3:-5}
PROFILE=${4:-1}
HOST_IP=${5:-}

# profile DRIVER: where the time goes, pktgen 64-byte and TCP, outside the measurements.
profile() {
	local pid
	pktgen_start 64 || return 1
	kprof 3 30 | sed "s/^kprof:/kprof: $1 pps64:/"
	pktgen_stop
	in_ns tcpbench -s 5201 >/dev/null &
	pid=$!
	sleep 1
	tcpbench -c $IP_B 5201 5 >/dev/null &
	sleep 1
	kprof 3 30 | sed "s/^kprof:/kprof: $1 tcp:/"
	wait $pid
}

# mark DRIVER ROUND TEST begin|end: the host records QEMU's per-thread CPU time now.
mark() { echo "RVNET-HOST mark $1 $2 $3 $4"; }

# pktgen_run DRIVER ROUND NAME SIZE: SIZE-byte frames from A to B, as fast as A takes them.
pktgen_run() {
	local drv=$1 round=$2 name=$3 size=$4 a0 a1 b0 b1 t0 t1 i0 i1 j0 j1 c0 c1 s0 s1 k0 k1 l0 l1
	pktgen_start "$size" || return 1
	mark "$drv" "$round" "$name" begin
	t0=$(now_cs); a0=$(net_dev "$A"); b0=$(in_ns cat /proc/net/dev | net_dev_in "$B")
	i0=$(irq_count "$IRQ_B"); j0=$(irq_count "$IRQ_A"); c0=$(cpu_busy); s0=$(tx_stops "$A")
	k0=$(kicks "$A" tx); l0=$(in_ns ethstats "$B" 2>/dev/null | kicks_in rx)
	sleep "$SECS"
	t1=$(now_cs); a1=$(net_dev "$A"); b1=$(in_ns cat /proc/net/dev | net_dev_in "$B")
	i1=$(irq_count "$IRQ_B"); j1=$(irq_count "$IRQ_A"); c1=$(cpu_busy); s1=$(tx_stops "$A")
	k1=$(kicks "$A" tx); l1=$(in_ns ethstats "$B" 2>/dev/null | kicks_in rx)
	mark "$drv" "$round" "$name" end
	pktgen_stop
	set -- $a0 $a1 $b0 $b1
	local tx=$(($4 - $2)) rx=$(($7 - $5)) dt=$((t1 - t0))
	[ "$rx" -gt 0 ] && [ "$dt" -gt 0 ] || { echo "$name: nothing received"; return 1; }
	echo "BENCH $drv $round ${name}_tx $((tx * 100 / dt))"
	echo "BENCH $drv $round ${name}_rx $((rx * 100 / dt))"
	# rvnet's own view (kicks, interrupts, polls, queue stops), for the log only.
	[ "$drv" = rvnet ] && stats | grep -E '^(name|tx_packets|rx_packets|interrupts|napi_polls|tx_queue_stops|rx_kicks|tx_kicks):' | tr '\n' ' ' && echo
	if [ "$name" = pps64 ]; then
		echo "BENCH $drv $round irq_per_kpkt_rx $(awk -v i=$((i1 - i0)) -v p=$rx 'BEGIN { printf "%.3f", i * 1000 / p }')"
		echo "BENCH $drv $round irq_per_kpkt_tx $(awk -v i=$((j1 - j0)) -v p=$tx 'BEGIN { printf "%.3f", i * 1000 / p }')"
		if [ -n "$s0" ] && [ -n "$s1" ]; then
			echo "BENCH $drv $round tx_stops_per_kpkt $(awk -v s=$((s1 - s0)) -v p=$tx 'BEGIN { printf "%.3f", s * 1000 / p }')"
		else
			echo "$name: no tx-stop queue statistic from $drv"
		fi
		if [ -n "$k0" ] && [ -n "$k1" ] && [ -n "$l0" ] && [ -n "$l1" ]; then
			echo "BENCH $drv $round tx_kicks_per_kpkt $(awk -v k=$((k1 - k0)) -v p=$tx 'BEGIN { printf "%.3f", k * 1000 / p }')"
			echo "BENCH $drv $round rx_kicks_per_kpkt $(awk -v k=$((l1 - l0)) -v p=$rx 'BEGIN { printf "%.3f", k * 1000 / p }')"
		else
			echo "$name: no kick counts from $drv"
		fi
		# USER_HZ is 100: a tick is 10,000 us.
		echo "BENCH $drv $round cpu_us_per_pkt $(awk -v c=$((c1 - c0)) -v p=$rx 'BEGIN { printf "%.3f", c * 10000 / p }')"
	fi
}

tcp_run() { # tcp_run DRIVER ROUND
	local out=/tmp/tcpbench.out bps i0 i1 b0 b1 c0 c1 bytes
	in_ns tcpbench -s 5201 >$out &
	sleep 1
	mark "$1" "$2" tcp begin
	i0=$(($(irq_count "$IRQ_A") + $(irq_count "$IRQ_B")))
	b0=$(in_ns cat /proc/net/dev | net_dev_in "$B" | cut -d' ' -f1)
	c0=$(cpu_busy)
	tcpbench -c $IP_B 5201 "$SECS" >/dev/null || { echo "tcp: client failed"; return 1; }
	wait $!
	c1=$(cpu_busy)
	i1=$(($(irq_count "$IRQ_A") + $(irq_count "$IRQ_B")))
	b1=$(in_ns cat /proc/net/dev | net_dev_in "$B" | cut -d' ' -f1)
	mark "$1" "$2" tcp end
	bps=$(sed -n 's/.*bytes_per_second=\([0-9]*\).*/\1/p' $out)
	bytes=$(sed -n 's/^bytes=\([0-9]*\).*/\1/p' $out)
	[ -n "$bps" ] && [ -n "$bytes" ] || { echo "tcp: $(cat $out)"; return 1; }
	echo "BENCH $1 $2 tcp_Bps $bps"
	echo "BENCH $1 $2 tcp_bytes $bytes"
	echo "BENCH $1 $2 tcp_irq_per_kpkt $(awk -v i=$((i1 - i0)) -v p=$((b1 - b0)) 'BEGIN { printf "%.3f", i * 1000 / p }')"
	# USER_HZ is 100: a tick is 10 ms.
	echo "BENCH $1 $2 tcp_cpu_ms_per_MB $(awk -v c=$((c1 - c0)) -v b=$bytes 'BEGIN { printf "%.3f", c * 10 / (b / 1e6) }')"
}

tcp_ba_run() { # tcp_ba_run DRIVER ROUND: B sends to A
	local out=/tmp/tcpbench-ba.out bps
	tcpbench -s 5203 >$out &
	sleep 1
	mark "$1" "$2" tcp_ba begin
	in_ns tcpbench -c $IP_A 5203 "$SECS" >/dev/null || { echo "tcp_ba: client failed"; return 1; }
	wait $!
	mark "$1" "$2" tcp_ba end
	bps=$(sed -n 's/.*bytes_per_second=\([0-9]*\).*/\1/p' $out)
	[ -n "$bps" ] || { echo "tcp_ba: $(cat $out)"; return 1; }
	echo "BENCH $1 $2 tcp_ba_Bps $bps"
}

tcp_host_run() { # tcp_host_run DRIVER ROUND: A sends to the host's receiver (tap backend)
	local out
	mark "$1" "$2" tcp_host begin
	out=$(tcpbench -c "$HOST_IP" 5202 "$SECS") || { echo "tcp_host: $out"; return 1; }
	mark "$1" "$2" tcp_host end
	echo "BENCH $1 $2 tcp_host_Bps $(echo "$out" | sed -n 's/.*bytes_per_second=\([0-9]*\).*/\1/p')"
}

xsk_run() { # xsk_run DRIVER ROUND copy|zc: AF_XDP, A's socket sending, then B's receiving
	local out st name=xsk
	[ "$3" = copy ] || name=xsk_$3
	mark "$1" "$2" ${name}_tx begin
	out=$(afxdp send "$A" 100000000 $MAC_B 0 "$3" 64 "$SECS") || { echo "${name}_tx: $out"; return 1; }
	mark "$1" "$2" ${name}_tx end
	echo "BENCH $1 $2 ${name}_tx_pps $(echo "$out" | sed -n 's/.* rate=\([0-9]*\).*/\1/p')"
	pktgen_start 64 || return 1
	mark "$1" "$2" ${name}_rx begin
	out=$(in_ns afxdp recv "$B" 0 "$SECS" "$3")
	st=$?
	mark "$1" "$2" ${name}_rx end
	pktgen_stop
	[ $st = 0 ] || { echo "${name}_rx: $out"; return 1; }
	echo "BENCH $1 $2 ${name}_rx_pps $(echo "$out" | sed -n 's/.* rate=\([0-9]*\).*/\1/p')"
}

# Memory, in KiB, with the page cache and reclaimable slab dropped first: "avail slab".
mem_kib() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '/^MemAvailable:/ { a = $2 } /^Slab:/ { s = $2 } END { print a, s }' /proc/meminfo
}

rr_run() { # rr_run DRIVER ROUND: 1-byte request/response between A and B
	local out
	in_ns tcpbench -e 5204 &
	sleep 1
	mark "$1" "$2" rr begin
	out=$(tcpbench -r $IP_B 5204 "$SECS") || { echo "rr: $out"; return 1; }
	mark "$1" "$2" rr end
	wait $!
	set -- "$1" "$2" $(echo "$out" | tr ' ' '\n' | sed -n 's/^\(tps\|p50_us\|p99_us\)=//p')
	[ $# = 5 ] || { echo "rr: $out"; return 1; }
	echo "BENCH $1 $2 rr_tps $3"
	echo "BENCH $1 $2 rr_p50_us $4"
	echo "BENCH $1 $2 rr_p99_us $5"
}

bench_setup || { finish; exit 1; }

round=1
while [ $round -le "$ROUNDS" ]; do
	for drv in rvnet c; do
		mem0=$(mem_kib)
		if ! use_driver $drv; then
			fail "round $round: bring up $drv"
			continue
		fi
		[ $round = 1 ] && echo "FEATURES $drv $(features_$drv)"
		ping -c 2 -W 5 $IP_B >/dev/null
		# Both NICs are up with their receive rings filled (at open, or by the first poll).
		sleep 1
		set -- $mem0 $(mem_kib)
		echo "BENCH $drv $round mem_avail_kib $(($1 - $3))"
		echo "BENCH $drv $round mem_slab_kib $(($4 - $2))"
		ok=1
		pktgen_run $drv $round pps64 64 || ok=0
		pktgen_run $drv $round pps1500 1514 || ok=0
		tcp_run $drv $round || ok=0
		tcp_ba_run $drv $round || ok=0
		if [ -n "$HOST_IP" ]; then tcp_host_run $drv $round || ok=0; fi
		rr_run $drv $round || ok=0
		xsk_run $drv $round copy || ok=0
		if [ $drv = rvnet ]; then xsk_run $drv $round zc || ok=0; fi
		if [ $round = 1 ] && [ "$PROFILE" = 1 ]; then profile $drv || ok=0; fi
		[ $ok = 1 ] && pass "round $round: $drv measured" || fail "round $round: $drv measured"
		drop_driver $drv || fail "round $round: unload $drv"
	done
	round=$((round + 1))
done
# The host reads QEMU's threads at each mark a moment after the guest prints it: stay until it
# has read the last one.
sleep 3
finish
