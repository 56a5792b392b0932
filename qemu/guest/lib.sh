# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest scripts (busybox sh), sourced as ". /rvnet/lib.sh".
#
# Results are "PASS: NAME" / "FAIL: NAME: why" lines; finish prints
# "GUEST-SUMMARY <passed> <failed>" and its status is the script's.
#
# /init exports RVNET_LAYOUT, the virtio-mmio layout QEMU was told to use: legacy or
# modern (scripts/boot.sh --layout), and RVNET_BACKEND, how the NICs are joined: hub or tap
# (scripts/boot.sh --backend).

# The two NICs (scripts/boot.sh), their addresses on the hub, and rvnet's procfs file.
MAC_A=52:54:00:12:34:01
MAC_B=52:54:00:12:34:02
IP_A=10.0.0.1
IP_B=10.0.0.2
STATS=/proc/driver/network_stats
# The largest MTU the path between the NICs carries: any on the hub; on the tap backend, what
# the host's bridge and taps take.
case ${RVNET_BACKEND:-hub} in
tap) PATH_MAX_MTU=65521 ;;
*) PATH_MAX_MTU=65535 ;;
esac

RVNET_PASSED=0
RVNET_FAILED=0
RVNET_NS_PIDFILE=/tmp/rvnet-ns.pid
RVNET_MODDIR=/lib/modules
KMEMLEAK=/sys/kernel/debug/kmemleak

# pass NAME / fail NAME [WHY]
pass() {
	echo "PASS: $1"
	RVNET_PASSED=$((RVNET_PASSED + 1))
}

fail() {
	echo "FAIL: $1: ${2:-failed}"
	RVNET_FAILED=$((RVNET_FAILED + 1))
}

# check NAME CMD...: pass if CMD succeeds; its output goes to the log either way.
check() {
	local name=$1 status
	shift
	"$@"
	status=$?
	if [ $status = 0 ]; then
		pass "$name"
	else
		fail "$name" "'$*' exited with $status"
	fi
	return $status
}

# finish: the summary line; fails if any check failed.
finish() {
	echo "GUEST-SUMMARY $RVNET_PASSED $RVNET_FAILED"
	[ $RVNET_FAILED = 0 ]
}

# load_module NAME: insmod /lib/modules/NAME.ko after what it depends on (modules.dep,
# written by scripts/initramfs.sh). Loaded modules are left alone. Not modprobe: it would
# hand the rvnet.* words of the kernel command line (boot.sh's) to rvnet.ko as parameters.
load_module() {
	local name=$1 dep
	[ -d "/sys/module/$name" ] && return 0
	for dep in $(sed -n "s/^$name://p" $RVNET_MODDIR/modules.dep); do
		load_module "$dep" || return
	done
	insmod "$RVNET_MODDIR/$name.ko"
}

# load_c_driver: the kernel's own pair, virtio_mmio (and virtio, virtio_ring) and
# virtio_net.
load_c_driver() {
	load_module virtio_mmio && load_module virtio_net
}

# nic_by_mac MAC: the name of the interface with that address, waiting up to 5 s for it
# to appear; only the interfaces of the caller's network namespace count.
nic_by_mac() {
	local mac i f
	mac=$(echo "$1" | tr A-F a-f)
	for i in $(seq 50); do
		for f in /sys/class/net/*/address; do
			if [ "$(cat "$f")" = "$mac" ]; then
				f=${f%/address}
				echo "${f##*/}"
				return 0
			fi
		done
		usleep 100000
	done
	return 1
}

# platform_dev MAC: the platform device (LNRO0005:NN) of the interface with that address.
platform_dev() {
	local ifc
	ifc=$(nic_by_mac "$1") || return 1
	basename "$(readlink -f "/sys/class/net/$ifc/device")"
}

# bound_count: how many platform devices rvnet is bound to.
bound_count() {
	ls -d /sys/bus/platform/drivers/rvnet/LNRO0005:* 2>/dev/null | wc -l
}

# KTAP output, as the kernel's selftests print it (qemu/kselftest/rvnet_*.sh):
# ktap_result STATUS NAME prints "ok N $KTAP_SUITE.NAME" when STATUS is 0, else "not ok ...";
# ktap_diag turns its input into "# " diagnostic lines; ktap_totals prints the totals line
# and fails if any case failed.
KTAP_N=0
KTAP_PASS=0
KTAP_FAIL=0
ktap_result() {
	KTAP_N=$((KTAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $KTAP_N $KTAP_SUITE.$2"
		KTAP_PASS=$((KTAP_PASS + 1))
	else
		echo "not ok $KTAP_N $KTAP_SUITE.$2"
		KTAP_FAIL=$((KTAP_FAIL + 1))
	fi
}
ktap_diag() { sed 's/^/# /'; }
ktap_totals() {
	echo "# Totals: pass:$KTAP_PASS fail:$KTAP_FAIL xfail:0 xpass:0 skip:0 error:0"
	[ $KTAP_FAIL = 0 ]
}

# file_becomes FILE VALUE: FILE (a sysfs attribute) reads VALUE within 10 s; says what it
# read instead if not.
file_becomes() {
	local i
	for i in $(seq 100); do
		[ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0
		usleep 100000
	done
	echo "$1: $(cat "$1" 2>/dev/null), wanted $2"
	return 1
}

# move_to_ns IFACE: move IFACE to the test's network namespace, which is created on
# first use: it belongs to a sleeping process whose pid is in $RVNET_NS_PIDFILE.
move_to_ns() {
	local pid
	if [ ! -f $RVNET_NS_PIDFILE ]; then
		unshare -n sleep inf &
		pid=$!
		while [ "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/$$/ns/net)" ]; do
			usleep 10000
		done
		[ -e /proc/$pid/ns/net ] || { echo "move_to_ns: unshare -n failed"; return 1; }
		echo $pid >$RVNET_NS_PIDFILE
		in_ns ip link set lo up || return
	fi
	ip link set "$1" netns "$(cat $RVNET_NS_PIDFILE)"
}

# in_ns CMD...: run the program CMD (not a shell function) in the test's namespace.
in_ns() {
	nsenter -t "$(cat $RVNET_NS_PIDFILE)" -n -- "$@"
}

# check_dmesg_clean NAME: fail, with the offending lines, if the kernel log holds a report
# from one of the kernel's checkers.
RVNET_DMESG_BAD='WARNING:|BUG:|Oops|kernel BUG|possible recursive locking|circular locking'
RVNET_DMESG_BAD="$RVNET_DMESG_BAD|inconsistent lock state|DMA-API|Call Trace"
RVNET_DMESG_BAD="$RVNET_DMESG_BAD|unreferenced object|KASAN|UBSAN|refcount_t"
RVNET_DMESG_BAD="$RVNET_DMESG_BAD|list_add corruption|list_del corruption"
# An interrupt line that fired 100,000 times with no handler claiming it (spurious.c).
RVNET_DMESG_BAD="$RVNET_DMESG_BAD|nobody cared|Disabling IRQ"
# What dma-debug says about itself at boot.
RVNET_DMESG_OK='DMA-API: (preallocated [0-9]+ debug entries|debugging enabled by kernel config)'
# dmesg_reports: the checker reports in the kernel log, except stack traces alone (an
# injected allocation failure prints one, through warn_alloc(), and is no bug).
dmesg_reports() {
	dmesg | grep -E "$RVNET_DMESG_BAD" | grep -Ev "$RVNET_DMESG_OK|Call Trace"
}

check_dmesg_clean() {
	local bad
	bad=$(dmesg | grep -E "$RVNET_DMESG_BAD" | grep -Ev "$RVNET_DMESG_OK")
	if [ -z "$bad" ]; then
		pass "$1"
	else
		echo "$bad"
		fail "$1" "$(echo "$bad" | wc -l) kernel log lines from the checkers (above)"
	fi
}

# kmemleak_report: print what kmemleak suspects now, then forget it. An object is only
# reported by the second of two scans (the first one records its checksum) and when it is
# older than 5 s: hence the pause between the scans.
kmemleak_report() {
	echo scan >$KMEMLEAK
	sleep 6
	echo scan >$KMEMLEAK
	cat $KMEMLEAK
	echo clear >$KMEMLEAK
}

# kmemleak_baseline: forget what kmemleak finds now (boot-time noise), so that a later
# kmemleak_scan only reports what the test leaked.
kmemleak_baseline() {
	[ -w $KMEMLEAK ] || return 0
	echo "kmemleak baseline: $(kmemleak_report | grep -c 'unreferenced object') objects ignored"
}

# kmemleak_scan NAME: fail, with kmemleak's report, if it finds unreferenced objects.
kmemleak_scan() {
	local leaks
	if [ ! -w $KMEMLEAK ]; then
		fail "$1" "no $KMEMLEAK (is kmemleak disabled?)"
		return
	fi
	leaks=$(kmemleak_report)
	if [ -z "$leaks" ]; then
		pass "$1"
	else
		echo "$leaks"
		fail "$1" "$(echo "$leaks" | grep -c 'unreferenced object') unreferenced objects (above)"
	fi
}

# bind_device DEV DRIVER: bind the platform device DEV (LNRO0005:NN) to DRIVER (its name
# in /sys/bus/platform/drivers), through driver_override: DEV then binds to DRIVER and
# nothing else until the next bind_device.
bind_device() {
	local dev=/sys/bus/platform/devices/$1 drv
	echo "$2" >"$dev/driver_override" || return
	echo "$1" >/sys/bus/platform/drivers_probe
	drv=$(readlink "$dev/driver")
	[ "${drv##*/}" = "$2" ] || { echo "bind_device: $1 is not bound to $2"; return 1; }
}

# unbind_device DEV: unbind the platform device DEV from its driver, if it has one.
unbind_device() {
	local dev=/sys/bus/platform/devices/$1
	[ -e "$dev/driver" ] || return 0
	echo "$1" >"$dev/driver/unbind"
}

# The procfs file as read here and, once the test's namespace exists, as read there: a reader
# sees the devices of its own network namespace only, so B's section is in the second part once
# B was moved (setup_pair).
stats() {
	cat $STATS
	[ ! -f $RVNET_NS_PIDFILE ] || in_ns cat $STATS 2>/dev/null || true
}

# The value of KEY in the procfs section of the device with MAC, from FILE (default: stats).
stat_of() { # stat_of MAC KEY [FILE]
	if [ -n "${3:-}" ]; then stat_in "$@"; else stats | stat_in "$1" "$2" -; fi
}
stat_in() { # stat_in MAC KEY FILE
	awk -v mac="$1" -v key="$2" '
		/^device: / { delete kv }
		/^[a-z_]+: / { k = $1; sub(/:$/, "", k); kv[k] = $2 }
		/^$/ && kv["mac"] == mac { print kv[key]; exit }' "$3"
}

# How many devices the procfs file lists (0 without the file).
procfs_sections() {
	{ [ -e $STATS ] && stats | awk '/^device: / { n++ } END { print n + 0 }'; } || echo 0
}

# Brings A up here and B up in the namespace, with their addresses; with "promisc", both in
# promiscuous mode first. That is for the scripts that check that the counters add up: a device
# with a receive filter (CTRL_RX) drops frames to multicast groups a NIC has not joined (the
# other's IPv6 router solicitations and MLD reports) before the driver sees them, and "A sent =
# B received + B dropped" would not hold. Set before the interfaces come up, the flag is in the
# first receive mode rvnet gives the device, which is promiscuous until then (after its reset).
# ctrl.sh tests the filter itself.
setup_pair() { # setup_pair [promisc]
	A=$(nic_by_mac $MAC_A) && B=$(nic_by_mac $MAC_B) || return 1
	move_to_ns "$B" || return 1
	if [ "${1:-}" = promisc ]; then
		ip link set "$A" promisc on && in_ns ip link set "$B" promisc on || return 1
	fi
	ip addr add $IP_A/24 dev "$A" && ip link set "$A" up &&
		in_ns ip addr add $IP_B/24 dev "$B" && in_ns ip link set "$B" up
}

# wait_listening FILE TRIES: until a receiver started in the background has written
# "listening" to FILE (bound, ready for what comes), looking TRIES times, 0.1 s apart.
wait_listening() {
	local i
	for i in $(seq "$2"); do grep -q listening "$1" && return 0; sleep 0.1; done
}

# Sends MIB MiB of random data over TCP from A to B ("ab") or back ("ba"), and checks the
# checksum on both ends.
tcp_copy() { # tcp_copy ab|ba MIB [DELAY]: the receiver starts reading DELAY seconds late
	local dir=$1 mib=$2 delay=${3:-0} src=/tmp/tcp-src dst=/tmp/tcp-dst sum_src sum_dst pid
	rm -f $src $dst
	dd if=/dev/urandom of=$src bs=1M count="$mib" 2>/dev/null
	sum_src=$(md5sum <$src)
	if [ "$dir" = ab ]; then
		in_ns nc -l -p 5001 -e sh -c "sleep $delay; cat >$dst" &
		pid=$!
		sleep 1
		nc $IP_B 5001 -e cat $src
	else
		nc -l -p 5001 -e sh -c "sleep $delay; cat >$dst" &
		pid=$!
		sleep 1
		in_ns nc $IP_A 5001 -e cat $src
	fi
	wait $pid
	sum_dst=$(md5sum <$dst)
	echo "tcp $dir: $mib MiB, md5 $sum_src -> $sum_dst"
	rm -f $src $dst
	[ "$sum_src" = "$sum_dst" ]
}

# Counters of both NICs agree: every packet A's device completed reached B or was counted as
# dropped there, and back. Each look is one read of the procfs file (both devices at once); a
# packet in flight (ARP, IPv6 neighbour discovery) can make one look off by one, so the
# counters get five looks, a second apart, to agree. A real miscount never does.
counters_consistent() {
	local snap=/tmp/stats-snapshot try a_tx a_rx b_tx b_rx b_lost a_lost
	for try in 1 2 3 4 5; do
		sleep 1
		stats >$snap
		a_tx=$(stat_of $MAC_A tx_packets $snap)
		a_rx=$(stat_of $MAC_A rx_packets $snap)
		b_tx=$(stat_of $MAC_B tx_packets $snap)
		b_rx=$(stat_of $MAC_B rx_packets $snap)
		b_lost=$(($(stat_of $MAC_B rx_dropped $snap) + $(stat_of $MAC_B rx_errors $snap)))
		a_lost=$(($(stat_of $MAC_A rx_dropped $snap) + $(stat_of $MAC_A rx_errors $snap)))
		echo "look $try: A: tx $a_tx rx $a_rx lost $a_lost; B: tx $b_tx rx $b_rx lost $b_lost"
		[ "$a_tx" -gt 0 ] && [ "$b_tx" -gt 0 ] &&
			[ "$a_tx" = $((b_rx + b_lost)) ] && [ "$b_tx" = $((a_rx + a_lost)) ] && return 0
	done
	return 1
}
