#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make kselftest`: the kernel's netdev driver selftests
# (tools/testing/selftests/drivers/net) against the two NICs of scripts/boot.sh, each driven
# by a chosen driver.
#
# Usage (from /init): run.sh DRIVER_A DRIVER_B [TEST_TIMEOUT=SEC] [TEST...]
#   DRIVER_A, DRIVER_B   rvnet or virtio_net (the in-tree virtio_mmio + virtio_net pair)
#   TEST_TIMEOUT         seconds each test may take (default 900)
#   TEST                 a test of drivers/net (ping, stats, hw/irq, ...: TEST.py), or rvnet_ethtool
#                        (rvnet_ethtool.sh, run only when NIC A is rvnet); default: every
#                        drivers/net/*.py
#
# NIC A (LNRO0005:00, 52:54:00:12:34:01) stays here as NETIF with 192.0.2.1/24 and
# 2001:db8::1/64; NIC B (LNRO0005:01, 52:54:00:12:34:02) goes to the network namespace
# ns-remote with 192.0.2.2/24 and 2001:db8::2/64: the netdev CI's "netns" remote. Each test
# prints "KSFT-TEST <name>", its KTAP output and "KSFT-EXIT <name> <status>"; at the end
# every kernel checker report (WARNING, BUG, KASAN, lockdep, DMA-API, kmemleak) is printed
# as a "KSFT-DMESG <line>" line. scripts/kselftest.sh parses these. The exit status is
# non-zero only when the setup failed (the tests' verdicts are the host's business).
. /rvnet/lib.sh
RVNET_MODDIR=/kselftest/modules

KSFT_NET=/ksrc/tools/testing/selftests/drivers/net
TEST_TIMEOUT=${TEST_TIMEOUT:-900}
NS=ns-remote
export NETIF LOCAL_V4=192.0.2.1 REMOTE_V4=192.0.2.2 LOCAL_V6=2001:db8::1 REMOTE_V6=2001:db8::2
export REMOTE_TYPE=netns REMOTE_ARGS=$NS KSFT_MACHINE_SLOW=yes NO_COLOR=1 PYTHONUNBUFFERED=1

[ $# -ge 2 ] || { echo "usage: run.sh DRIVER_A DRIVER_B [TEST_TIMEOUT=SEC] [TEST...]"; exit 2; }
DRV_A=$1 DRV_B=$2
shift 2
TESTS=()
for t in "$@"; do
	case $t in
	TEST_TIMEOUT=*) TEST_TIMEOUT=${t#*=} ;;
	*) TESTS+=("$t") ;;
	esac
done
if [ ${#TESTS[@]} = 0 ]; then
	for f in "$KSFT_NET"/*.py; do TESTS+=("$(basename "$f" .py)"); done
	TESTS+=(rvnet_ethtool rvnet_xdp)
fi

# The platform driver that must own each NIC's virtio-mmio device.
platform_driver() {
	case $1 in
	rvnet) echo rvnet ;;
	virtio_net) echo virtio-mmio ;;
	*) echo "run.sh: unknown driver '$1' (rvnet, virtio_net)" >&2; return 1 ;;
	esac
}

# wait_nic MAC: the name of the interface with that address, waiting up to 10 s.
wait_nic() {
	local i f
	for i in $(seq 100); do
		for f in /sys/class/net/*/address; do
			[ "$(cat "$f")" = "$1" ] && { f=${f%/address}; echo "${f##*/}"; return 0; }
		done
		sleep 0.1
	done
	echo "run.sh: no interface with MAC $1" >&2
	return 1
}

# setup: bind each NIC to its driver, address both ends, B in the namespace.
setup() {
	local pa pb dev drv
	pa=$(platform_driver "$DRV_A") && pb=$(platform_driver "$DRV_B") || return
	# Overrides first: a driver loaded afterwards only takes the NIC meant for it.
	echo "$pa" >/sys/bus/platform/devices/LNRO0005:00/driver_override || return
	echo "$pb" >/sys/bus/platform/devices/LNRO0005:01/driver_override || return
	if [ "$DRV_A" = virtio_net ] || [ "$DRV_B" = virtio_net ]; then
		load_c_driver || { echo "run.sh: loading virtio_mmio + virtio_net failed"; return 1; }
	fi
	if [ "$DRV_A" = rvnet ] || [ "$DRV_B" = rvnet ]; then
		load_module rvnet || { echo "run.sh: insmod rvnet.ko failed"; return 1; }
	fi
	for dev in 00:"$pa" 01:"$pb"; do
		drv=$(readlink "/sys/bus/platform/devices/LNRO0005:${dev%%:*}/driver")
		[ "${drv##*/}" = "${dev#*:}" ] ||
			{ echo "run.sh: LNRO0005:${dev%%:*} is bound to '${drv##*/}', not ${dev#*:}"; return 1; }
	done
	A=$(wait_nic "$MAC_A") && B=$(wait_nic "$MAC_B") || return
	NETIF=$A

	# The netdev CI keeps IPv6 addresses over a link down (stats and queues take it down).
	sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1 \
		"net.ipv6.conf.$A.keep_addr_on_down=1" || return
	ip netns add $NS && ip link set "$B" netns $NS || return
	ip netns exec $NS sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1 \
		net.ipv6.conf.default.keep_addr_on_down=1 "net.ipv6.conf.$B.keep_addr_on_down=1" ||
		return
	ip link set lo up && ip -n $NS link set lo up &&
		ip addr add $LOCAL_V4/24 dev "$A" && ip addr add $LOCAL_V6/64 dev "$A" nodad &&
		ip -n $NS addr add $REMOTE_V4/24 dev "$B" &&
		ip -n $NS addr add $REMOTE_V6/64 dev "$B" nodad &&
		ip link set "$A" up && ip -n $NS link set "$B" up || return
	echo "=== NIC A: $A ($DRV_A) here; NIC B: $B ($DRV_B) in netns $NS"
	ethtool -i "$A" | sed -n 's/^driver: /driver of A: /p'
	ip netns exec $NS ethtool -i "$B" | sed -n 's/^driver: /driver of B: /p'
	ip -br addr show dev "$A"
	ip -n $NS -br addr show dev "$B"
	ping -c 1 -W 10 $REMOTE_V4 >/dev/null && ping -c 1 -W 10 $REMOTE_V6 >/dev/null ||
		{ echo "run.sh: A cannot ping B"; return 1; }
}

# nic_irqs_affinity MASK: every virtio-net NIC's interrupt (named after its platform device,
# LNRO0005:NN, by rvnet, and virtioN by virtio_mmio) to the CPUs of MASK. hw/irq.py moves a
# NIC's interrupt to CPUs "3", or to "5" when it is already at 3, and checks that a reconfiguration keeps it there: on this guest's
# two CPUs every interrupt starts at 3, and 5 names a CPU it does not have (EOVERFLOW). So
# the interrupts go to CPU 0 for hw/irq, and back to both CPUs after it.
nic_irqs_affinity() {
	local irq
	for irq in $(awk '$NF ~ /^(LNRO0005:[0-9]+|virtio[0-9]+)$/ { sub(":", "", $1); print $1 }' \
		/proc/interrupts); do
		echo "$1" >"/proc/irq/$irq/smp_affinity" ||
			echo "run.sh: cannot set the affinity of IRQ $irq to $1"
	done
}

# Kernel messages at warning level and below would cut into the KTAP lines on the console;
# the log is scanned for reports at the end instead.
echo 4 >/proc/sys/kernel/printk
meminfo() { awk '/^(MemTotal|MemAvailable):/ { printf "%s %d MiB ", $1, $2 / 1024 }' /proc/meminfo; }
echo "=== memory at start: $(meminfo)"
kmemleak_baseline
if ! setup; then
	echo "run.sh: setup failed"
	dmesg | tail -n 40
	exit 1
fi

cd "$KSFT_NET" || exit 1
for t in "${TESTS[@]}"; do
	if [ -f "/kselftest/$t.sh" ]; then
		# rvnet's own tests (rvnet_ethtool, rvnet_xdp): for rvnet only.
		[ "$DRV_A" = rvnet ] || continue
		cmd=(bash "/kselftest/$t.sh" "$A" "$B" "$NS")
	elif [ -f "$t.py" ]; then
		cmd=(python3 "./$t.py")
	else
		echo "run.sh: no test $t in $KSFT_NET"
		echo "KSFT-TEST $t"
		echo "KSFT-EXIT $t 127"
		continue
	fi
	echo "KSFT-TEST $t"
	[ "$t" = hw/irq ] && nic_irqs_affinity 1
	# netpoll_basic.py writes its messages to /dev/kmsg at the default level (4, warning), and
	# netconsole, a console, sends only what the console log level lets through. It reads
	# the channel counts with `ethtool --json -l`: the netpoll layer's ethtool (forky's) has
	# that, trixie's does not (scripts/kselftest-image.sh).
	if [ "$t" = netpoll_basic ]; then
		echo 5 >/proc/sys/kernel/printk
		cmd=(env "PATH=/opt/forky/sbin:$PATH" "${cmd[@]}")
	fi
	start=$(date +%s)
	timeout -k 10 "$TEST_TIMEOUT" "${cmd[@]}" </dev/null 2>&1
	st=$?
	[ "$t" = hw/irq ] && nic_irqs_affinity 3
	[ "$t" = netpoll_basic ] && echo 4 >/proc/sys/kernel/printk
	echo "KSFT-EXIT $t $st $(( $(date +%s) - start ))s"
done

# Every checker report since boot, and what kmemleak finds now.
while IFS= read -r line; do
	echo "KSFT-DMESG $line"
done < <(dmesg_reports)
if [ -w $KMEMLEAK ]; then
	while IFS= read -r line; do
		echo "KSFT-DMESG kmemleak: $line"
	done < <(kmemleak_report)
fi
echo "=== memory at the end: $(meminfo)"
echo "=== kernel log"
dmesg | tail -n 300
exit 0
