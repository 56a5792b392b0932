#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make run`: load rvnet, bring both NICs up (B in its own network namespace),
# ping, copy a few MiB over TCP, show /proc/driver/network_stats, unload.
. /rvnet/lib.sh

# The console shows kernel messages as they come; keep them out of the listing below.
echo 1 >/proc/sys/kernel/printk
echo "=== insmod rvnet.ko"
insmod /lib/modules/rvnet.ko || exit 1
echo "=== rvnet in dmesg"
dmesg | sed -n 's/^\[[ 0-9.]*\] \(rvnet .*\)/\1/p'
echo "=== ip link"
ip link
echo "=== A ($IP_A) here, B ($IP_B) in a network namespace, on one QEMU hub"
setup_pair || exit 1
echo "=== ping -c 3 $IP_B"
ping -c 3 -W 5 $IP_B || exit 1
echo "=== 8 MiB over TCP from A to B"
tcp_copy ab 8 || exit 1
echo "=== cat /proc/driver/network_stats"
cat /proc/driver/network_stats
echo "=== the same, read in B's network namespace (each reader sees its own namespace's NICs)"
in_ns cat /proc/driver/network_stats
echo "=== rmmod rvnet"
rmmod rvnet || exit 1
[ ! -e /proc/driver/network_stats ] && echo "interfaces and /proc/driver/network_stats removed"
