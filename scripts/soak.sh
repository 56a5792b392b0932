#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make soak: the long soak (qemu/guest/soak.sh) with CYCLES rounds (default 1000) on each
# register layout, on the debug test kernel (KASAN, lockdep, kmemleak, DMA-API debug).
# Prints each run's summary line and ends with "N passed, M failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CYCLES=${CYCLES:-1000}
initrd=$(bash "$RVNET_ROOT/scripts/module.sh")
mkdir -p "$RVNET_CACHE/soak"
passed=0 failed=0
for layout in ${LAYOUTS:-legacy modern}; do
	out="$RVNET_CACHE/soak/soak-$layout.out"
	log "soak: $CYCLES cycles, $layout layout (guest log: $out)"
	st=0
	# About 10 s a cycle under TCG with KASAN; the timeout only catches a hang.
	bash "$RVNET_ROOT/scripts/boot.sh" --layout "$layout" --script soak --initrd "$initrd" \
		--args "$layout $CYCLES" --timeout $((CYCLES * 60 + 600)) --log "$out.log" \
		</dev/null >"$out" 2>&1 || st=$?
	grep -E '^(soak:|cycle |PASS|FAIL)' "$out" || true
	p=$(grep -c '^PASS' "$out" || true)
	f=$(grep -c '^FAIL' "$out" || true)
	[ "$st" = 0 ] || f=$((f + 1))
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
