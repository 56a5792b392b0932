#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Data integrity (issue: reliability): a TCP transfer of MIB MiB (default 1024) from A to B
# whose checksum matches, and a UDP flood whose every datagram is accounted for: received by
# the application, or counted as dropped by a driver or by the stack. Nothing may disappear
# uncounted.
#
# Usage: integrity.sh LAYOUT [MIB [DATAGRAMS]]
. /rvnet/lib.sh

MIB=${2:-1024}
DATAGRAMS=${3:-100000}
PG=/proc/net/pktgen

# The prng stream is the same on both sides, so nothing of it needs to be kept in memory.
tcp_stream() {
	local want got
	want=$(prng 7 "$MIB" | md5sum | cut -d' ' -f1)
	in_ns nc -l -p 5004 -e sh -c 'md5sum >/tmp/tcp-sum' &
	sleep 1
	nc $IP_B 5004 -e prng 7 "$MIB"
	wait $!
	got=$(cut -d' ' -f1 /tmp/tcp-sum)
	echo "tcp: $MIB MiB of prng 7, md5 $want sent, $got received"
	[ -n "$want" ] && [ "$want" = "$got" ]
}

# snmp_get PROTO FIELD [FILE]: a counter of /proc/net/snmp (or FILE).
snmp_get() {
	awk -v p="$1:" -v f="$2" '$1 == p { if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1 }
		else { print $col[f]; exit } }' "${3:-/proc/net/snmp}"
}

# Every counter a datagram can end up in, as "name value" lines.
udp_fates() {
	in_ns cat /proc/net/snmp >/tmp/snmp-b
	stats >/tmp/stats-now
	echo "a_tx_packets $(stat_of $MAC_A tx_packets /tmp/stats-now)"
	echo "a_tx_dropped $(stat_of $MAC_A tx_dropped /tmp/stats-now)"
	echo "a_tx_errors $(stat_of $MAC_A tx_errors /tmp/stats-now)"
	echo "b_rx_dropped $(stat_of $MAC_B rx_dropped /tmp/stats-now)"
	echo "b_rx_errors $(stat_of $MAC_B rx_errors /tmp/stats-now)"
	echo "ip_in_discards $(snmp_get Ip InDiscards /tmp/snmp-b)"
	echo "ip_in_hdr_errors $(snmp_get Ip InHdrErrors /tmp/snmp-b)"
	echo "udp_in_datagrams $(snmp_get Udp InDatagrams /tmp/snmp-b)"
	echo "udp_no_ports $(snmp_get Udp NoPorts /tmp/snmp-b)"
	echo "udp_in_errors $(snmp_get Udp InErrors /tmp/snmp-b)"
	echo "udp_rcvbuf_errors $(snmp_get Udp RcvbufErrors /tmp/snmp-b)"
}

# pktgen sends DATAGRAMS UDP datagrams from A as fast as A takes them; udpsink reads them on B.
udp_accounted() {
	local sink=/tmp/udpsink.out sent got lost key
	udp_fates >/tmp/fates0
	in_ns udpsink 9999 3000 >$sink &
	local sink_pid=$!
	while ! grep -q listening $sink; do usleep 100000; done
	echo rem_device_all >$PG/kpktgend_0
	echo "add_device $A" >$PG/kpktgend_0
	for cmd in "count $DATAGRAMS" "pkt_size 200" "delay 0" "dst $IP_B" "dst_mac $MAC_B" \
		"udp_dst_min 9999" "udp_dst_max 9999"; do
		echo "$cmd" >$PG/"$A"
	done
	echo start >$PG/pgctrl
	wait $sink_pid
	sent=$(sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p' $PG/"$A")
	echo rem_device_all >$PG/kpktgend_0
	got=$(sed -n 's/^datagrams=\([0-9]*\).*/\1/p' $sink)
	udp_fates >/tmp/fates1
	# The counters' changes during the flood.
	awk 'NR == FNR { v[$1] = $2; next } { printf "%s %d\n", $1, $2 - v[$1] }' \
		/tmp/fates0 /tmp/fates1 >/tmp/fates
	echo "udp: pktgen sent $sent, udpsink received ${got:-0}; counters during the flood:"
	sed 's/^/  /' /tmp/fates
	d() { awk -v k="$1" '$1 == k { print $2 }' /tmp/fates; }
	# A datagram pktgen handed to A was dropped by A's driver, or left A and was dropped by
	# B's driver, or reached B's stack, which delivered it to udpsink or counted why not.
	lost=$(( sent - ${got:-0} - $(d a_tx_dropped) - $(d a_tx_errors) - $(d b_rx_dropped) \
		- $(d b_rx_errors) - $(d ip_in_discards) - $(d ip_in_hdr_errors) - $(d udp_no_ports) \
		- $(d udp_in_errors) ))
	echo "udp: dropped and counted: $(( sent - ${got:-0} )), of which lost without a count: $lost"
	[ "$sent" = "$DATAGRAMS" ] && [ "${got:-0}" -gt 0 ] && [ "$lost" = 0 ] &&
		[ "$(d udp_in_datagrams)" = "$got" ]
}

kmemleak_baseline
check "insmod rvnet" insmod /lib/modules/rvnet.ko
check "interfaces up (promiscuous), B in its namespace" setup_pair promisc
load_module pktgen
check "ping A -> B" ping -c 2 -W 5 $IP_B
check "TCP $MIB MiB A -> B, checksums match" tcp_stream
check "UDP flood of $DATAGRAMS datagrams: every one received or counted as dropped" udp_accounted
check "counters: A sent = B received + B dropped, and back" counters_consistent
check "rmmod rvnet" rmmod rvnet
check_dmesg_clean "no kernel warnings, lockdep, KASAN or DMA-API reports"
kmemleak_scan "no kmemleak reports"
finish
