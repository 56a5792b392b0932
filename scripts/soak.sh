#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make soak: the long tests, on each register layout (LAYOUT, default "legacy modern"), on
# the debug test kernel (KASAN, lockdep, kmemleak, DMA-API debug): first the data path tests
# (qemu/guest/datapath.sh; make test runs them on the modern layout only), the control queue
# (qemu/guest/ctrl.sh, CTRL=0 skips it; make test: modern only), then the data
# integrity run (qemu/guest/integrity.sh) with a 1 GiB TCP transfer (MIB) and a UDP flood of
# 200,000 datagrams, then the soak (qemu/guest/soak.sh) with CYCLES rounds (default 1000),
# then RESETS (default 100) devices broken under traffic and brought back (qemu/guest/reset.sh).
# Prints each run's summary lines and ends with "N passed, M failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CYCLES=${CYCLES:-1000}
MIB=${MIB:-1024}
initrd=$(bash "$RVNET_ROOT/scripts/module.sh")
mkdir -p "$RVNET_CACHE/soak"
passed=0 failed=0
run() { # run LAYOUT SCRIPT ARGS TIMEOUT
	local layout=$1 script=$2 args=$3 timeout=$4 out st=0 p f
	out="$RVNET_CACHE/soak/$script-$layout.out"
	log "$script: $args (guest log: $out.log)"
	bash "$RVNET_ROOT/scripts/boot.sh" --layout "$layout" --script "$script" --initrd "$initrd" \
		--args "$args" --timeout "$timeout" --log "$out.log" </dev/null >"$out" 2>&1 || st=$?
	grep -E '^(soak:|cycle |tcp:|udp:|resets |PASS|FAIL)' "$out" || true
	p=$(grep -c '^PASS' "$out" || true)
	f=$(grep -c '^FAIL' "$out" || true)
	[ "$st" = 0 ] || f=$((f + 1))
	passed=$((passed + p))
	failed=$((failed + f))
}
for layout in ${LAYOUT:-legacy modern}; do
	[ "${DATAPATH:-1}" = 0 ] || run "$layout" datapath "$layout" 900
	[ "${CTRL:-1}" = 0 ] || run "$layout" ctrl "$layout" 600
	[ "$MIB" = 0 ] || run "$layout" integrity "$layout $MIB 200000" $((MIB * 3 + 900))
	# About 8 s a cycle under TCG with KASAN; the timeout only catches a hang.
	[ "$CYCLES" = 0 ] || run "$layout" soak "$layout $CYCLES" $((CYCLES * 60 + 600))
	# A legacy device is only found broken by the watchdog: up to some 20 s a round.
	[ "${RESETS:-100}" = 0 ] || run "$layout" reset "$layout ${RESETS:-100}" $((${RESETS:-100} * 40 + 600))
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
