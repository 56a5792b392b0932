#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make run`: load rvnet, bring both NICs up (B in its own network namespace),
# ping, copy a few MiB over TCP, show /proc/driver/network_stats, unload.
. /rvnet/lib.sh

MAC_A=52:54:00:12:34:01
MAC_B=52:54:00:12:34:02

# The console shows kernel messages as they come; keep them out of the listing below.
echo 1 >/proc/sys/kernel/printk
echo "=== insmod rvnet.ko"
insmod /lib/modules/rvnet.ko || exit 1
echo "=== rvnet in dmesg"
dmesg | sed -n 's/^\[[ 0-9.]*\] \(rvnet .*\)/\1/p'
A=$(nic_by_mac $MAC_A) && B=$(nic_by_mac $MAC_B) || exit 1
echo "=== ip link"
ip link
echo "=== $A (10.0.0.1) here, $B (10.0.0.2) in a network namespace, on one QEMU hub"
move_to_ns "$B" || exit 1
ip addr add 10.0.0.1/24 dev "$A" && ip link set "$A" up || exit 1
in_ns ip addr add 10.0.0.2/24 dev "$B" && in_ns ip link set "$B" up || exit 1
echo "=== ping -c 3 10.0.0.2"
ping -c 3 -W 5 10.0.0.2 || exit 1
echo "=== 8 MiB over TCP from $A to $B"
dd if=/dev/urandom of=/tmp/src bs=1M count=8 2>/dev/null
in_ns nc -l -p 5001 -e sh -c 'cat >/tmp/dst' &
listener=$!
sleep 1
nc 10.0.0.2 5001 -e cat /tmp/src
wait $listener
echo "sent $(md5sum </tmp/src)"
echo "got  $(md5sum </tmp/dst)"
echo "=== cat /proc/driver/network_stats"
cat /proc/driver/network_stats
echo "=== rmmod rvnet"
rmmod rvnet || exit 1
[ ! -e /proc/driver/network_stats ] && echo "interfaces and /proc/driver/network_stats removed"
