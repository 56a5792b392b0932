#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rvnet's own check in the `make kselftest` guest (run by run.sh when NIC A is rvnet), in
# KTAP like the kernel's tests so that scripts/kselftest.sh reads it the same way:
#
#   rvnet_ethtool.driver     ethtool -i says driver rvnet
#   rvnet_ethtool.stats      ethtool -S lists the counters of /proc/driver/network_stats's
#                            section for the device, with the same names in the same order, and,
#                            read between two ethtool -S reads after some traffic, every procfs
#                            value lies between the two ethtool values (all are monotonic)
#   rvnet_ethtool.channels   ethtool -l: the current combined channel count is 1
#   rvnet_ethtool.rings      ethtool -g: the current RX and TX ring sizes are set and within
#                            the maximums
#   rvnet_ethtool.set_rings  ethtool -G with the current sizes succeeds (set_ringparam is
#                            there); with half the RX ring too (rvnet resets the device with
#                            the new size), which ethtool -g then shows; one of 100 entries
#                            (not a power of two) is refused; then the sizes go back
#
# Usage: rvnet_ethtool.sh IFACE_A IFACE_B NETNS     (B is the peer, in NETNS)
. /rvnet/lib.sh

A=$1
KTAP_SUITE=rvnet_ethtool

# procfs_counters MAC: "name value" per counter of that device's section, in file order.
procfs_counters() {
	awk -v mac="$1" '
		/^device: / { n = 0; mine = 0 }
		/^mac: / { mine = ($2 == mac) }
		/^[a-z0-9_]+: [0-9]+$/ && !/^version:/ { k = $1; sub(/:$/, "", k); c[++n] = k " " $2 }
		/^$/ && mine { for (i = 1; i <= n; i++) print c[i]; exit }' "$STATS"
}
# ethtool_counters IFACE: "name value" per line of ethtool -S.
ethtool_counters() {
	ethtool -S "$1" | awk 'NR > 1 { k = $1; sub(/:$/, "", k); print k, $2 }'
}

echo "TAP version 13"
echo "1..4"

drv=$(ethtool -i "$A" 2>&1 | sed -n 's/^driver: //p')
ethtool -i "$A" 2>&1 | ktap_diag
[ "$drv" = rvnet ]
ktap_result $? driver

# Some traffic both ways, then quiet (nothing but the occasional neighbour message).
ping -c 10 -i 0.1 -W 5 192.0.2.2 >/dev/null 2>&1
ping -c 10 -i 0.1 -W 5 2001:db8::2 >/dev/null 2>&1
sleep 1
e1=$(ethtool_counters "$A")
p=$(procfs_counters "$MAC_A")
e2=$(ethtool_counters "$A")
paste -d' ' <(echo "$e1") <(echo "$p") <(echo "$e2") |
	awk 'BEGIN { print "counter: ethtool -S, procfs, ethtool -S" }
		{ printf "%s: %s %s %s\n", $1, $2, $4, $6 }' | ktap_diag
why=
if [ -z "$e1" ] || [ -z "$p" ]; then
	why="ethtool -S or the procfs section is empty"
elif [ "$(echo "$e1" | cut -d' ' -f1)" != "$(echo "$p" | cut -d' ' -f1)" ]; then
	why="the counter names differ"
else
	bad=$(paste -d' ' <(echo "$e1") <(echo "$p") <(echo "$e2") |
		awk '!($2 <= $4 && $4 <= $6) { printf "%s ", $1 }')
	[ -z "$bad" ] || why="procfs outside the two ethtool -S reads: $bad"
	[ "$(echo "$p" | awk '$1 == "rx_packets" || $1 == "tx_packets" { print $2 }' |
		grep -c '^[1-9]')" = 2 ] || why="${why:+$why; }no traffic counted"
fi
[ -n "$why" ] && echo "$why" | ktap_diag
[ -z "$why" ]
ktap_result $? stats

out=$(ethtool -l "$A" 2>&1)
st=$?
echo "$out" | ktap_diag
combined=$(echo "$out" | awk '/^Current hardware settings/ { cur = 1 } cur && /^Combined:/ { print $2 }')
[ $st = 0 ] && [ "$combined" = 1 ]
ktap_result $? channels

out=$(ethtool -g "$A" 2>&1)
st=$?
echo "$out" | ktap_diag
rings=$(echo "$out" | awk '/^Pre-set maximums/ { s = "max" } /^Current hardware settings/ { s = "cur" }
	/^(RX|TX):/ { v[s, $1] = $2 }
	END { if (v["cur", "RX:"] > 0 && v["cur", "TX:"] > 0 &&
		v["cur", "RX:"] <= v["max", "RX:"] && v["cur", "TX:"] <= v["max", "TX:"])
		print "RX " v["cur", "RX:"] " TX " v["cur", "TX:"] }')
echo "current ring sizes: ${rings:-not found or out of range}" | ktap_diag
[ $st = 0 ] && [ -n "$rings" ]
ktap_result $? rings

set -- $rings
if [ $# = 4 ]; then
	ethtool -G "$A" rx "$2" tx "$4" 2>&1 | ktap_diag
	same=${PIPESTATUS[0]}
	ethtool -G "$A" rx $(($2 / 2)) 2>&1 | ktap_diag
	half=${PIPESTATUS[0]}
	now=$(ethtool -g "$A" 2>/dev/null | awk '/^Current hardware settings/ { c = 1 } c && /^RX:/ { print $2; exit }')
	ethtool -G "$A" rx 100 2>&1 | ktap_diag
	odd=${PIPESTATUS[0]}
	ethtool -G "$A" rx "$2" tx "$4" 2>&1 | ktap_diag
	back=${PIPESTATUS[0]}
	echo "ethtool -G with the sizes in use: status $same; with half the RX ring: status $half" \
		"(RX now $now); with 100: status $odd; back: status $back" | ktap_diag
	[ "$same" = 0 ] && [ "$half" = 0 ] && [ "$now" = $(($2 / 2)) ] && [ "$odd" != 0 ] &&
		[ "$back" = 0 ]
else
	false
fi
ktap_result $? set_rings

ktap_totals
