# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest scripts (busybox sh), sourced as ". /rvnet/lib.sh".
#
# Results are "PASS: NAME" / "FAIL: NAME: why" lines; finish prints
# "GUEST-SUMMARY <passed> <failed>" and its status is the script's.
#
# /init exports RVNET_LAYOUT, the virtio-mmio layout QEMU was told to use: legacy or
# modern (scripts/boot.sh --layout).

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
# What dma-debug says about itself at boot.
RVNET_DMESG_OK='DMA-API: (preallocated [0-9]+ debug entries|debugging enabled by kernel config)'
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
