#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench BACKEND=cost, in the guest: the counted profile. QEMU runs with rvnet's counting
# plugin (qemu/plugin/cost.c); each workload runs between two of its marks (costmark), with
# rvnet and with the in-tree C pair (virtio_mmio + virtio_net) on the same NICs, alternately,
# RUNS times (rvnet, C, rvnet, C, ...). Every workload runs twice per driver and run, at a
# small and a large fixed amount, so that what the report divides by the difference of the
# two amounts holds no start-up cost (a process started, a connection opened, pktgen's
# thread woken):
#
#   pps64     pktgen on A, SMALL and LARGE 64-byte frames to B
#   pps1514   the same with 1514-byte frames
#   rr        1-byte TCP request/response A <-> B, a fixed number of transactions
#   tcp       TCP bulk A -> B, a fixed number of MiB
#
# A's side runs on CPU 0 (pktgen's kpktgend_0, the TCP clients, A's interrupt line) and B's
# on CPU 1 (the servers, B's interrupt line), so the plugin's per-vCPU counts tell sender and
# receiver apart.
#
# Prints, for scripts/cost-report.py:
#   COST-SELFTEST window=N locked=.. ...     what the plugin must have counted in user space
#                                    in window N (costmark selftest, on CPU 1)
#   COST-DEV A|B PHYS                the NICs' register windows (/proc/iomem)
#   COST-SYM DRIVER RUN ADDR NAME [MODULE]    text symbols of the modules, after each load
#   COST DRIVER RUN TEST AMOUNT window=N a_tx=.. b_rx=.. irq_a=.. irq_b=.. ipi=.. irq_other=..
#       stops=.. units=..
#       one line per window, N being the plugin's window number; stops are A's transmit queue
#       stops (netlink qstats tx-stop, qemu/tools/qstat); units is what the workload did (B's
#       received packets, transactions, bytes B received)
#
# Usage: cost.sh LAYOUT [RUNS]
. /rvnet/lib.sh
. /rvnet/benchlib.sh

RUNS=${2:-2}
WINDOW=0
# The amounts, small and large, per workload.
PPS64="20000 100000"
PPS1514="10000 50000"
RR="1000 5000"
TCP_MIB="8 40"

# Interrupts so far, all CPUs: "IPIS OTHERS", the interprocessor ones (rescheduling, function
# calls, TLB shootdowns) and every other line but the local timer's (whose ticks follow the
# wall clock, not the work) and the NICs' own.
irq_rest() {
	awk -v a="$IRQ_A:" -v b="$IRQ_B:" -v n="$(nproc)" '
		NR > 1 && $1 != "LOC:" && $1 != "ERR:" && $1 != "MIS:" && $1 != a && $1 != b {
			s = 0; for (i = 2; i <= n + 1 && $i ~ /^[0-9]+$/; i++) s += $i
			if ($1 == "RES:" || $1 == "CAL:" || $1 == "TLB:") ipi += s; else other += s
		}
		END { print ipi + 0, other + 0 }' /proc/interrupts
}

# window DRIVER RUN TEST AMOUNT UNITS-CMD -- CMD...: CMD between two marks (CMD is costmark's
# "write" or "run"; its output goes to $CMD_OUT), and the kernel's counters around them;
# UNITS-CMD prints what the window did, after it.
CMD_OUT=/tmp/cost-cmd.out
window() {
	local drv=$1 run=$2 test=$3 amount=$4 units_cmd=$5 a0 a1 b0 b1 i0 i1 j0 j1 k0 k1 s0 s1
	local units st
	shift 6
	a0=$(net_dev "$A"); b0=$(in_ns cat /proc/net/dev | net_dev_in "$B")
	i0=$(irq_count "$IRQ_A"); j0=$(irq_count "$IRQ_B"); k0=$(irq_rest); s0=$(tx_stops "$A")
	costmark "$@" >$CMD_OUT
	st=$?
	# Every call made a window, failed or not (costmark).
	WINDOW=$((WINDOW + 1))
	[ $st = 0 ] || { echo "cost: $drv $test $amount: '$*' failed: $(cat $CMD_OUT)"; return 1; }
	s1=$(tx_stops "$A"); k1=$(irq_rest); i1=$(irq_count "$IRQ_A"); j1=$(irq_count "$IRQ_B")
	a1=$(net_dev "$A"); b1=$(in_ns cat /proc/net/dev | net_dev_in "$B")
	set -- $a0 $a1 $b0 $b1 $k0 $k1
	units=$($units_cmd "$5" "$7") || { echo "cost: $drv $test $amount: no units"; return 1; }
	echo "COST $drv $run $test $amount window=$WINDOW a_tx=$(($4 - $2)) b_rx=$(($7 - $5))" \
		"irq_a=$((i1 - i0)) irq_b=$((j1 - j0)) ipi=$((${11} - $9)) irq_other=$((${12} - ${10}))" \
		"stops=$((${s1:-0} - ${s0:-0})) units=$units"
}

# What a window did: B's packets, from the counters given (before, after); the transactions
# tcpbench -r made; the bytes B's tcpbench -s received (it prints them after the client
# returned: wait for them, 5 s at most).
units_rx() { echo $(($2 - $1)); }
units_rr() { sed -n 's/^transactions=\([0-9]*\).*/\1/p' $CMD_OUT | grep .; }
TCP_OUT=/tmp/cost-tcp.out
units_tcp() {
	local i=0
	while ! grep -q '^bytes=' $TCP_OUT && [ $i -lt 50 ]; do
		usleep 100000
		i=$((i + 1))
	done
	sed -n 's/^bytes=\([0-9]*\).*/\1/p' $TCP_OUT | grep .
}

pktgen_window() { # pktgen_window DRIVER RUN TEST SIZE COUNT
	pktgen_setup "$4" "$5" || return 1
	window "$1" "$2" "$3" "$5" units_rx -- write $PG/pgctrl start
	pg kpktgend_0 rem_device_all
}

# wait_listen PORT: until B's namespace listens on TCP PORT, 20 s at most.
wait_listen() {
	local hex i=0
	hex=$(printf ':%04X ' "$1")
	while ! in_ns cat /proc/net/tcp |
		awk -v p="$hex" 'index($2 " ", p) && $4 == "0A" { f = 1 } END { exit !f }'; do
		[ $i -lt 200 ] || { echo "cost: nothing listens on port $1 in B's namespace"; return 1; }
		usleep 100000
		i=$((i + 1))
	done
}

# (The servers are waited for by pid: the namespace's own process is a child of this shell too.)
rr_window() { # rr_window DRIVER RUN COUNT
	local st=0 pid
	in_ns taskset 2 tcpbench -e 5204 &
	pid=$!
	wait_listen 5204 || { kill $pid 2>/dev/null; return 1; }
	window "$1" "$2" rr "$3" units_rr -- run taskset 1 tcpbench -r $IP_B 5204 "${3}x" || st=1
	wait $pid
	return $st
}

tcp_window() { # tcp_window DRIVER RUN MIB
	local st=0 pid
	rm -f $TCP_OUT
	in_ns taskset 2 tcpbench -s 5201 >$TCP_OUT &
	pid=$!
	wait_listen 5201 || { kill $pid 2>/dev/null; return 1; }
	window "$1" "$2" tcp "$3" units_tcp -- run taskset 1 tcpbench -c $IP_B 5201 "${3}M" || st=1
	wait $pid
	return $st
}

bench_setup || { finish; exit 1; }
# The plugin's own check: known instructions in a window of their own.
out=$(taskset 2 costmark selftest) && WINDOW=$((WINDOW + 1)) &&
	echo "COST-SELFTEST window=$WINDOW ${out#selftest }" || fail "costmark selftest: $out"
awk '$3 == "LNRO0005:00" { split($1, r, "-"); print "COST-DEV A", r[1] }
	$3 == "LNRO0005:01" { split($1, r, "-"); print "COST-DEV B", r[1] }' /proc/iomem

run=1
while [ $run -le "$RUNS" ]; do
	for drv in rvnet c; do
		if ! use_driver $drv; then
			fail "run $run: bring up $drv"
			continue
		fi
		[ $run = 1 ] && echo "FEATURES $drv $(features_$drv)"
		ping -c 2 -W 5 $IP_B >/dev/null
		sleep 1
		echo 1 >/proc/irq/$IRQ_A/smp_affinity && echo 2 >/proc/irq/$IRQ_B/smp_affinity ||
			fail "run $run: $drv: interrupt affinity"
		awk -v d=$drv -v r=$run '$2 ~ /^[tT]$/ &&
			$4 ~ /^\[(rvnet|virtio|virtio_ring|virtio_mmio|virtio_net|pktgen)\]$/ {
				print "COST-SYM", d, r, $1, $3, $4 }' /proc/kallsyms
		ok=1
		for n in $PPS64; do pktgen_window $drv $run pps64 64 $n || ok=0; done
		for n in $PPS1514; do pktgen_window $drv $run pps1514 1514 $n || ok=0; done
		for n in $RR; do rr_window $drv $run $n || ok=0; done
		for n in $TCP_MIB; do tcp_window $drv $run $n || ok=0; done
		[ $ok = 1 ] && pass "run $run: $drv counted" || fail "run $run: $drv counted"
		drop_driver $drv || fail "run $run: unload $drv"
	done
	run=$((run + 1))
done
finish
