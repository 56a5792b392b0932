# SPDX-License-Identifier: GPL-2.0
# Helpers of make bench's guest scripts (bench.sh, cost.sh; busybox sh), sourced after
# lib.sh: the drivers in turn on the same two NICs, pktgen, the kernel's own counters.

PG=/proc/net/pktgen
DEV_A=LNRO0005:00
DEV_B=LNRO0005:01

# Kernel counters of IFACE in the caller's namespace, "rx_packets tx_packets"; net_dev_in
# reads /proc/net/dev from stdin (another namespace's).
# (A large byte count follows the colon without a space.)
net_dev() { net_dev_in "$1" </proc/net/dev; }
net_dev_in() { awk -v dev="$1" '{ sub(/^ */, ""); sub(/:/, " ") } $1 == dev { print $3, $11 }'; }
# Centiseconds since boot.
now_cs() { awk '{ sub(/\./, "", $1); print $1 + 0 }' /proc/uptime; }
# Interrupts of line IRQ, over all CPUs.
irq_count() {
	awk -v irq="$1:" '$1 == irq { n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i; print n }' \
		/proc/interrupts
}
# Times IFACE's transmit queues were stopped, from the netdev netlink queue statistics that
# both drivers report (qemu/tools/qstat); nothing if it has none.
tx_stops() { qstat "$1" 2>/dev/null | awk '{ for (i = 1; i < NF; i += 2) if ($i == "tx-stop") print $(i + 1) }'; }
# The driver's count of notifications (MMIO writes) on IFACE's tx or rx queue: "ethtool -S"
# names, virtio_net's "tx0_kicks" or rvnet's "tx_kicks" (qemu/tools/ethstats); nothing if
# it has none. kicks_in reads ethstats' output from stdin (another namespace's).
kicks() { ethstats "$1" 2>/dev/null | kicks_in "$2"; }
# virtio_net has both per-queue and device-wide counts: its queue 0's count is taken.
kicks_in() {
	awk -v q="$1" '$1 == q "0_kicks" { z = $2 } $1 == q "_kicks" { o = $2 }
		END { if (z != "") print z; else if (o != "") print o }'
}
# Busy time of all CPUs, in USER_HZ ticks: everything but idle and iowait.
cpu_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

use_driver() { # use_driver rvnet|c
	case $1 in
	rvnet) insmod /lib/modules/rvnet.ko ;;
	c) load_c_driver ;;
	esac || return
	setup_pair
}

drop_driver() {
	case $1 in
	rvnet) rmmod rvnet ;;
	c) rmmod virtio_net && rmmod virtio_mmio ;;
	esac
}

# The virtio feature bits a driver negotiated on NIC A, as a sorted list of bit numbers.
features_rvnet() {
	stat_of $MAC_A features | sed 's/^0x//' |
		awk '{ h = "0123456789abcdef"; n = length($1)
			for (i = n; i >= 1; i--) { d = index(h, substr($1, i, 1)) - 1
				for (b = 0; b < 4; b++) { if (d % 2) printf "%d ", (n - i) * 4 + b; d = int(d / 2) } } }'
}
features_c() {
	local v
	v=$(ls -d /sys/bus/platform/devices/LNRO0005:00/virtio* 2>/dev/null | head -n1)
	awk '{ for (i = 1; i <= length($1); i++) if (substr($1, i, 1) == "1") printf "%d ", i - 1 }' \
		"$v/features"
}

pg() { # pg FILE CMD: one pktgen command, checked
	echo "$2" >"$PG/$1"
	grep -q '^Result: OK' "$PG/$1" 2>/dev/null || [ "$1" = kpktgend_0 ] ||
		{ echo "pktgen: '$2' on $1: $(grep '^Result' "$PG/$1")"; return 1; }
}

# pktgen_setup SIZE [COUNT]: A sends SIZE-byte frames to B once started, COUNT of them (default
# 0: endlessly).
pktgen_setup() {
	pg kpktgend_0 rem_device_all
	pg kpktgend_0 "add_device $A"
	pg "$A" "count ${2:-0}" && pg "$A" "pkt_size $1" && pg "$A" "delay 0" &&
		pg "$A" "dst $IP_B" && pg "$A" "dst_mac $MAC_B" && pg "$A" "udp_dst_min 9" &&
		pg "$A" "udp_dst_max 9"
}

# pktgen_start SIZE: A sends SIZE-byte frames to B endlessly, in the background, under way
# when it returns (a second after the start); pktgen_stop ends it.
pktgen_start() {
	pktgen_setup "$1" || return 1
	echo start >$PG/pgctrl &
	PKTGEN_PID=$!
	sleep 1
}
pktgen_stop() {
	echo stop >$PG/pgctrl
	wait $PKTGEN_PID
	pg kpktgend_0 rem_device_all
}

# bench_setup: pktgen loaded, and the NICs' interrupt lines in IRQ_A and IRQ_B (virtio_mmio
# names each after its virtio device; rvnet gets the same lines), with a message on failure.
bench_setup() {
	load_module pktgen || { fail "load pktgen"; return 1; }
	load_c_driver || { fail "load the C driver"; return 1; }
	IRQ_A=$(irq_of $DEV_A)
	IRQ_B=$(irq_of $DEV_B)
	drop_driver c
	[ -n "$IRQ_A" ] && [ -n "$IRQ_B" ] || { fail "find the NICs' interrupt lines"; return 1; }
	echo "A ($DEV_A) uses IRQ $IRQ_A, B ($DEV_B) IRQ $IRQ_B"
}

irq_of() { # irq_of PLATFORM-DEVICE
	local vdev
	vdev=$(ls -d /sys/bus/platform/devices/$1/virtio* | head -n1)
	awk -v n="${vdev##*/}" '$NF == n { sub(/:$/, "", $1); print $1 }' /proc/interrupts
}
