#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make fuzz: the cargo fuzz targets fuzz/fuzz_targets/hostile_ring.rs (the ring bookkeeping)
# and hostile_header.rs (the receive header checks), FUZZ_RUNS executions each (default 10^7),
# from the small corpus in fuzz/corpus/, without a sanitizer: the targets are
# safe Rust (forbid(unsafe_code)), whose bounds checks and overflow checks (debug assertions
# stay on) are what it exercises (ASan made it 1.75 times slower). Inputs are capped at 512
# bytes, about a hundred device steps each, so that 10^7 runs take minutes, not hours; long
# runs of one device are make fuzz-host's part. libFuzzer needs a nightly rustc, which only
# rustup can install (a downloaded toolchain): where rustup has none, the fuzzer is SKIPPED.
# The deterministic simulation (make fuzz-host), which checks the same invariants, then runs
# instead, and the exit status is 77 ("skipped") even when it passes: a skipped fuzz run is
# not a passed one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FUZZ_RUNS=${FUZZ_RUNS:-10000000}
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
	log "no nightly toolchain in rustup: libFuzzer cannot run; running make fuzz-host instead"
	st=0
	make -C "$RVNET_ROOT" fuzz-host STEPS="$FUZZ_RUNS" || st=$?
	[ "$st" = 0 ] || die "make fuzz-host, run in place of the fuzzer, failed (status $st)"
	echo "SKIP: make fuzz: no nightly toolchain for libFuzzer (make fuzz-host passed in its place)"
	exit 77
fi
if ! "$RVNET_CACHE/cargo/bin/cargo-fuzz" --version >/dev/null 2>&1; then
	log "installing cargo-fuzz into $RVNET_CACHE/cargo"
	cargo install --locked --quiet --root "$RVNET_CACHE/cargo" cargo-fuzz ||
		die "cargo install cargo-fuzz failed"
fi
# cargo fuzz wants the project root above its fuzz directory; rvnet's root is a kernel module,
# not a cargo project, so the directory is named.
cd "$RVNET_ROOT"
export PATH=$RVNET_CACHE/cargo/bin:$PATH
# A scratch copy of the corpus: what the fuzzer adds does not land in the repository.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$RVNET_CACHE/logs"
for target in hostile_ring hostile_header; do
	mkdir -p "$work/$target"
	cp fuzz/corpus/$target/* "$work/$target/" 2>/dev/null || true
	flog=$RVNET_CACHE/logs/fuzz-$target.log
	log "fuzz: $FUZZ_RUNS runs of $target (log: $flog)"
	st=0
	cargo +nightly fuzz run --fuzz-dir fuzz --sanitizer none "$target" "$work/$target" -- \
		-runs="$FUZZ_RUNS" -max_len=512 >"$flog" 2>&1 || st=$?
	grep -E '^(#[0-9]+\s+DONE|Done|==[0-9]+==|SUMMARY|thread .* panicked)' "$flog" || true
	if [ "$st" != 0 ] || ! grep -q '^Done [0-9]* runs' "$flog"; then
		tail -n 20 "$flog" >&2
		die "the fuzzer failed or did not finish on $target (status $st; log above)"
	fi
	echo "fuzz: $target: corpus grew from $(ls fuzz/corpus/$target 2>/dev/null | wc -l) to" \
		"$(ls "$work/$target" | wc -l) inputs (not kept)"
done
