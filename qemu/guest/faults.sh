#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fault injection (fail-nth over failslab and fail_page_alloc; the loader is
# qemu/tools/failnth.c, since setting fail-nth and the operation must be one task).
#
# 1. Probe: with rvnet loaded, bind NIC A through sysfs again and again, failing the 1st,
#    2nd, ... fault-injection point of the bind in turn, until the whole probe passes without
#    reaching the N-th. Each failed probe must leave one rvnet error naming the step and the
#    errno, no interface and no procfs entry; each successful one a complete device.
# 2. Module init: with no device to probe, fail each of the last points of `insmod` (the
#    procfs file, the driver registration) in turn; insmod must fail cleanly or succeed.
#
# Then the next insmod binds both NICs, and the kernel log and kmemleak are clean. Reports
# the distinct probe steps failed, and fails unless every allocating step was hit.
. /rvnet/lib.sh

DBG=/sys/kernel/debug
DRV=/sys/bus/platform/drivers/rvnet
# The highest point a sweep goes to (a bind passes about 450, most of them in filling the
# receive ring from the page pool).
MAX_RUNS=${2:-1500}
# The tail of insmod to fail in part 2: module init comes last.
INIT_POINTS=${3:-40}

# The probe steps that allocate memory (src/driver.rs, src/transport.rs), in the order probe
# takes them (`window` below relies on it, and `make audit` checks it): each must be reached
# by an injected failure. Steps that allocate nothing (reset, features, config, FEATURES_OK,
# DMA mask, the IRQ lookup) cannot fail this way. Two that allocate are not required either,
# since one failure is not enough to stop them: the transmit buffer table (kvmalloc, whose
# failed kmalloc falls back to vmalloc) and posting the receive buffers (the page pool falls
# back from a bulk allocation to single pages; it still fails now and then).
ALLOCATING_STEPS="claiming and mapping the register region
allocating counters
allocating the procfs entry
setting up the receive queue
creating the page pool
setting up the transmit queue
setting up the control queue
allocating the receive buffer table
registering the network device and its interrupt"

setup_fault_injection() {
	# Fail sleeping allocations and single pages too; keep quiet about it (each run's log is
	# checked for real reports instead).
	echo 0 >$DBG/failslab/ignore-gfp-wait &&
		echo 0 >$DBG/fail_page_alloc/ignore-gfp-wait &&
		echo 0 >$DBG/fail_page_alloc/ignore-gfp-highmem &&
		echo 0 >$DBG/fail_page_alloc/min-order &&
		echo 0 >$DBG/failslab/verbose &&
		echo 0 >$DBG/fail_page_alloc/verbose &&
		[ -x /bin/failnth ]
}

nr_ifaces() { ls /sys/class/net | grep -vc '^lo$'; }
nr_sections() { procfs_sections; }

problems=0
problem() { echo "$*"; problems=$((problems + 1)); }
# The log of one run must hold no checker report (injected failures print stack traces).
run_log_clean() {
	local reports
	reports=$(dmesg_reports)
	[ -z "$reports" ] || problem "run $1: kernel reports: $reports"
}

kmemleak_baseline
check "fault injection available" setup_fault_injection || { finish; exit 1; }
check "insmod rvnet" insmod /lib/modules/rvnet.ko
# A device without the control queue has no step that sets it up.
grep -Eq '^features: .* CTRL_VQ( |$)' $STATS ||
	ALLOCATING_STEPS=$(echo "$ALLOCATING_STEPS" | grep -vx 'setting up the control queue')
DEV_A=$(platform_dev $MAC_A)
DEV_B=$(platform_dev $MAC_B)
echo "$DEV_B" >$DRV/unbind

# 1. Probe. One sweep fails points 1, 2, ... of a bind until a bind passes them all.
steps=/tmp/fault-steps
: >$steps
injected=0 probe_failures=0 sweeps=0 gave_up=0
sweep() { # sweep [FIRST [LAST]]: fail point FIRST (default 1), FIRST + 1, ... LAST (default
	# MAX_RUNS), or until a bind passes all points
	local n=${1:-1} last=${2:-$MAX_RUNS} result errors nerr bound quiet=0 stride=1
	local step= prev= same=0
	sweeps=$((sweeps + 1))
	while [ $n -le "$last" ]; do
		echo "$DEV_A" >$DRV/unbind 2>/dev/null
		dmesg -c >/dev/null
		result=$(failnth $n write $DRV/bind "$DEV_A")
		case "$result" in injected=1*) ;; *) return 0 ;; esac
		injected=$((injected + 1))
		errors=$(dmesg | grep -E "rvnet $DEV_A: .* failed: (E[A-Z0-9]+|-[0-9]+)$" || true)
		nerr=$(printf '%s' "$errors" | grep -c . || true)
		bound=$(bound_count)
		[ "$bound" = "$(nr_ifaces)" ] && [ "$bound" = "$(nr_sections)" ] ||
			problem "run $n: half-registered: $bound bound, $(nr_ifaces) interfaces, $(nr_sections) in procfs"
		step=$(printf '%s\n' "$errors" | sed -n '1s/.*: \(.*\) failed: .*/\1/p')
		# A probe that failed after claiming the registers had begun the status handshake:
		# it must leave the device FAILED (scripts/test.sh counts the writes on the host).
		case "$nerr:$step" in 0:*) ;; *:claiming*) ;; *) gave_up=$((gave_up + 1)) ;; esac
		if [ "$nerr" -gt 0 ] && [ $stride -gt 1 ] && [ "$step" != "$prev" ]; then
			# Striding found the probe failing in another step: the points it stepped
			# over before may hold steps of one point (the transmit table, the counters,
			# the procfs name). Back three strides, densely.
			run_log_clean $n
			n=$((n - 3 * stride + 1)) stride=1 quiet=0 same=0
			[ $n -ge 1 ] || n=1
			continue
		fi
		if [ "$nerr" -gt 0 ]; then
			probe_failures=$((probe_failures + 1))
			[ "$nerr" = 1 ] && [ "$bound" = 0 ] || problem "run $n: $nerr errors, $bound bound: $errors"
			echo "$errors" | sed "s/.*: \(.*\) failed: \(.*\)\$/$n	\1 (\2)/" >>$steps
			[ "$step" = "$prev" ] && same=$((same + 1)) || prev=$step same=1
			quiet=0 stride=1
		else
			quiet=$((quiet + 1))
		fi
		# Filling the receive ring passes hundreds of points that a failure does not stop
		# (the page allocator falls back to single pages): after 24 such points in a row,
		# every 8th is enough. Registering the network device fails at some 300 points,
		# all of them the kernel's (sysfs, kobjects, the queues' files): once one step has
		# failed 8 times with no other step failing between, every 8th point is enough
		# too, since the points between two failures of one step lie inside it. Either
		# stride ends when a failure stops the probe in another step, and the points
		# skipped just before are swept densely (above). A step skipped otherwise is swept
		# again below, in its window.
		[ $quiet -lt 24 ] && [ $same -lt 8 ] || stride=8
		run_log_clean $n
		n=$((n + stride))
	done
	return 1
}
missing_steps() {
	echo "$ALLOCATING_STEPS" | while IFS= read -r step; do
		grep -q "	$step" $steps || echo "$step"
	done
}
check "probe: a sweep reached the end of probe (under $MAX_RUNS runs)" sweep
# Allocations the kernel makes for itself (KASAN's stack depot, lockdep, sysfs) change the
# number of points a bind passes by a few from one bind to the next, so a sweep can step over
# a step with few points (one, for the counters) or end before the last ones. A missed step
# lies between the points where the steps before and after it failed: that window is swept
# again, up to seven times; each pass of a window as wide as the spread finds a one-point step
# with even odds or better. A missed last step (the procfs entry, after registration) is swept
# from the step before it on, until a bind passes every point: registration takes a few more
# points with every bind, so the end the first sweep found is no bound for the later ones (a
# window ending there missed the step 7 times in one CI run). A whole second sweep took five
# minutes under KASAN and could miss the same step again.
window() { # window STEP: "FIRST LAST" points to sweep again for a missed STEP
	echo "$ALLOCATING_STEPS" | awk -v want="$1" -v f=$steps -v max="$MAX_RUNS" '
		BEGIN { while ((getline l < f) > 0) { split(l, p, "\t"); s = p[2]; sub(/ \(.*$/, "", s)
			n = p[1] + 0; if (!(s in lo) || n < lo[s]) lo[s] = n; if (n > hi[s]) hi[s] = n } }
		{ order[NR] = $0; if ($0 == want) me = NR }
		END { a = 1; b = 0
			for (i = me - 1; i >= 1; i--) if (order[i] in hi) { a = hi[order[i]]; break }
			for (i = me + 1; i in order; i++) if (order[i] in lo) { b = lo[order[i]]; break }
			# No step after it failed: to the end of probe, wherever it is now.
			if (b == 0) { a -= 3; if (a < 1) a = 1; print a, max; exit }
			# Registration varies by more points than the steps around the procfs name
			# are apart: the last point where the step before failed can lie beyond the
			# first where the step after failed. The window is then the overlap.
			if (a > b) { t = a; a = b; b = t }
			a -= 3; if (a < 1) a = 1; print a, b + 3 }'
}
while [ -n "$(missing_steps)" ] && [ $sweeps -lt 8 ]; do
	step=$(missing_steps | head -n1)
	set -- $(window "$step")
	echo "sweep $sweeps missed: $(missing_steps | tr '\n' ';'); sweeping points $1-$2 again for '$step'"
	sweep "$1" "$2"
done
echo "probe: $sweeps sweeps, $injected fault-injection points failed in turn, $probe_failures made rvnet's probe fail"
echo "probe: $gave_up failed probes had begun the status handshake"
echo "distinct probe steps failed (failures, lowest and highest point):"
awk -F'\t' '{ s = $2; n = $1 + 0; c[s]++; if (!(s in lo) || n < lo[s]) lo[s] = n
	if (n > hi[s]) hi[s] = n } END { for (s in c) printf "  %4d %4d-%-4d %s\n", c[s], lo[s], hi[s], s }' \
	$steps | sort -k2n
check "probe: every run ended clean ($problems problems)" test $problems = 0
missing=$(missing_steps)
[ -z "$missing" ] || echo "never failed: $missing"
check "probe: every allocating step failed at least once" test -z "$missing"
# A window may end with the device unbound: bind it once more, without faults, as a user would.
[ -e $DRV/"$DEV_A" ] || echo "$DEV_A" >$DRV/bind 2>/dev/null
check "probe: the last, fault-free bind bound $DEV_A" test -e $DRV/"$DEV_A"
check "rmmod rvnet" rmmod rvnet

# 2. Module init, with no device to probe: count insmod's points, then fail the last ones.
for d in /sys/bus/platform/devices/LNRO0005:*; do echo none >"$d/driver_override"; done
result=$(failnth 1000000 insmod /lib/modules/rvnet.ko)
rmmod rvnet
left=$(echo "$result" | sed -n 's/.*left=\([0-9]*\).*/\1/p')
total=$((1000000 - ${left:-1000000}))
echo "insmod passes $total fault-injection points; failing the last $INIT_POINTS"
problems=0 init_failures=0
n=$((total - INIT_POINTS + 1))
[ $n -ge 1 ] || n=1
while [ $n -le "$total" ]; do
	dmesg -c >/dev/null
	if failnth $n insmod /lib/modules/rvnet.ko >/dev/null; then
		[ -e $STATS ] && [ -d $DRV ] || problem "init $n: loaded without procfs file or driver"
		rmmod rvnet || problem "init $n: rmmod failed"
	else
		init_failures=$((init_failures + 1))
	fi
	[ ! -e $STATS ] && [ ! -d $DRV ] || problem "init $n: something was left behind"
	run_log_clean "init $n"
	n=$((n + 1))
done
echo "module init: $init_failures of the last $INIT_POINTS points made insmod fail"
check "module init: every run ended clean ($problems problems)" test $problems = 0
check "module init: some failures stopped insmod" test $init_failures -gt 0
for d in /sys/bus/platform/devices/LNRO0005:*; do echo >"$d/driver_override"; done

check "insmod afterwards binds both NICs" insmod /lib/modules/rvnet.ko
check "both bound" test "$(bound_count)" = 2
check "rmmod" rmmod rvnet
check_dmesg_clean "no kernel warnings, lockdep, KASAN or DMA-API reports"
kmemleak_scan "no kmemleak reports after $((injected + INIT_POINTS)) injected failures"
finish
