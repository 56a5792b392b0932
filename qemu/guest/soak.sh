#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Soak: CYCLES (second argument, after the layout; default 15) rounds of, with TCP traffic
# flowing A -> B all the while: unbind/bind of NIC B through sysfs, a link flap and an MTU
# change on A, and rmmod of rvnet followed by insmod. After every round the interfaces and
# the procfs file agree with the bound devices and the kernel log holds no report; at the end
# kmemleak finds nothing and slab memory is back to where it started.
. /rvnet/lib.sh

CYCLES=${2:-15}
DRV=/sys/bus/platform/drivers/rvnet

slab_kib() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
avail_kib() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }

# Keeps a TCP stream from A to B going; a dropped connection is restarted.
traffic() {
	while :; do
		in_ns nc -l -p 5003 -e sh -c 'cat >/dev/null' &
		sleep 0.5
		dd if=/dev/zero bs=64k count=2000 2>/dev/null | timeout 20 nc $IP_B 5003
		kill $! 2>/dev/null
		wait $! 2>/dev/null
	done
}

# One device list: every bound NIC has its interface and its procfs section.
consistent() {
	local bound=$(bound_count) here there sections
	here=$(ls /sys/class/net | grep -vc '^lo$')
	there=$(in_ns ls /sys/class/net | grep -vc '^lo$')
	sections=$(procfs_sections)
	[ "$bound" = $((here + there)) ] && [ "$bound" = "$sections" ] ||
		{ echo "bound $bound, interfaces $here + $there, procfs $sections"; return 1; }
}

insmod /lib/modules/rvnet.ko || { fail "insmod rvnet"; finish; exit 1; }
DEV_B=$(platform_dev $MAC_B)
setup_pair || { fail "interfaces up"; finish; exit 1; }
rmmod rvnet
kmemleak_baseline
slab0=$(slab_kib)
avail0=$(avail_kib)

problems=0
total_sent=0
i=1
while [ $i -le "$CYCLES" ]; do
	dmesg -c >/dev/null
	insmod /lib/modules/rvnet.ko && setup_pair || { echo "cycle $i: bring-up failed"; problems=$((problems + 1)); }
	traffic >/dev/null 2>&1 &
	tpid=$!
	sleep 1
	# NIC B leaves and comes back through sysfs, under traffic.
	unbind_device "$DEV_B" && bind_device "$DEV_B" rvnet ||
		{ echo "cycle $i: unbind/bind of $DEV_B failed"; problems=$((problems + 1)); }
	B=$(nic_by_mac $MAC_B) && move_to_ns "$B" &&
		in_ns ip addr add $IP_B/24 dev "$B" && in_ns ip link set "$B" up ||
		{ echo "cycle $i: setting up B again after the rebind failed"; problems=$((problems + 1)); }
	sent0=$(stat_of $MAC_A tx_packets)
	# A flaps and changes its MTU, under traffic.
	ip link set "$A" down && ip link set "$A" up &&
		ip link set "$A" mtu 1400 && ip link set "$A" mtu 1500 ||
		{ echo "cycle $i: flap/MTU change failed"; problems=$((problems + 1)); }
	sleep 1
	consistent || { echo "cycle $i: inconsistent"; problems=$((problems + 1)); }
	# The stream reaches the rebound B: its counters start at the rebind, and A's are counted
	# from then on too. TCP may first wait out a retransmission timeout or two.
	t=0
	while [ "$(stat_of $MAC_B rx_packets)" -le 50 ] && [ $t -lt 150 ]; do
		usleep 100000
		t=$((t + 1))
	done
	got=$(stat_of $MAC_B rx_packets)
	sent=$(($(stat_of $MAC_A tx_packets) - ${sent0:-0}))
	[ "${got:-0}" -gt 50 ] && [ "$sent" -gt 50 ] ||
		{ echo "cycle $i: no traffic after the rebind (A sent $sent, B received ${got:-none})"; problems=$((problems + 1)); }
	total_sent=$((total_sent + sent))
	# rmmod with the stream still running.
	rmmod rvnet || { echo "cycle $i: rmmod failed"; problems=$((problems + 1)); }
	kill $tpid 2>/dev/null
	kill $(pidof nc) 2>/dev/null
	wait $tpid 2>/dev/null
	[ ! -e $STATS ] && [ "$(ls /sys/class/net | grep -vc '^lo$')" = 0 ] ||
		{ echo "cycle $i: rmmod left something behind"; problems=$((problems + 1)); }
	reports=$(dmesg_reports)
	[ -z "$reports" ] || { echo "cycle $i: kernel reports:"; echo "$reports"; problems=$((problems + 1)); }
	# Progress, so that a run cut short still tells how far it got.
	[ $((i % 50)) = 0 ] && echo "soak: $i of $CYCLES cycles done, $total_sent packets sent by A," \
		"$problems problems, slab $(slab_kib) KiB"
	i=$((i + 1))
done

echo "soak: $CYCLES cycles, $total_sent packets sent by A after the rebinds, $problems problems; slab ${slab0} -> $(slab_kib) KiB," \
	"MemAvailable ${avail0} -> $(avail_kib) KiB"
check "soak: $CYCLES cycles without a problem" test $problems = 0
kmemleak_scan "soak: no kmemleak reports"
# Caches keep some slack: allow 1 MiB of slab growth, whatever the number of cycles. Under
# KASAN, freed objects wait in its quarantine (up to 1/32 of memory) before they are really
# freed, so slab grows by up to that much with no leak; kmemleak above is the leak check.
slack=1024
if grep -qm1 ' kasan_save_free_info$' /proc/kallsyms; then
	slack=$((slack + $(awk '/^MemTotal:/ { print int($2 / 32) }' /proc/meminfo)))
fi
check "soak: slab back to its start level (+$slack KiB)" test "$(slab_kib)" -le $((slab0 + slack))
finish
