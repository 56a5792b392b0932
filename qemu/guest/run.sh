#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make run`: load rvnet, show what it did, unload it.
. /rvnet/lib.sh

MAC_A=52:54:00:12:34:01
MAC_B=52:54:00:12:34:02

# The console shows kernel messages as they come; keep them out of the listing below.
echo 1 >/proc/sys/kernel/printk
echo "=== insmod rvnet.ko"
insmod /lib/modules/rvnet.ko || exit 1
echo "=== rvnet in dmesg"
dmesg | sed -n 's/^\[[ 0-9.]*\] \(rvnet .*\)/\1/p'
echo "=== ip link"
ip link
for mac in $MAC_A $MAC_B; do
	ip link set "$(nic_by_mac "$mac")" up
done
sleep 1
echo "=== cat /proc/driver/network_stats"
cat /proc/driver/network_stats
echo "=== rmmod rvnet"
rmmod rvnet || exit 1
[ ! -e /proc/driver/network_stats ] && echo "interfaces and /proc/driver/network_stats removed"
