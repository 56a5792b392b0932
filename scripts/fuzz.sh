#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make fuzz: the cargo fuzz target fuzz/fuzz_targets/hostile_ring.rs, RUNS executions
# (default 10^7), from the small corpus in fuzz/corpus/. libFuzzer needs a nightly rustc:
# where rustup has none, this says so and runs the deterministic simulation instead
# (make fuzz-host), which checks the same invariants.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-10000000}
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
	log "no nightly toolchain in rustup: running the deterministic simulation instead"
	exec make -C "$RVNET_ROOT" fuzz-host STEPS="$RUNS"
fi
if ! "$RVNET_CACHE/cargo/bin/cargo-fuzz" --version >/dev/null 2>&1; then
	log "installing cargo-fuzz into $RVNET_CACHE/cargo"
	cargo install --locked --quiet --root "$RVNET_CACHE/cargo" cargo-fuzz ||
		die "cargo install cargo-fuzz failed"
fi
cd "$RVNET_ROOT/fuzz"
export PATH=$RVNET_CACHE/cargo/bin:$PATH
# A scratch copy of the corpus: what the fuzzer adds does not land in the repository.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp corpus/hostile_ring/* "$work/" 2>/dev/null || true
cargo +nightly fuzz run hostile_ring "$work" -- -runs="$RUNS" -max_len=4096 2>&1 |
	tee "$work/fuzz.log" | grep -E '^(#[0-9]+\s+DONE|Done|==|SUMMARY|thread)' || true
grep -q '^Done [0-9]* runs' "$work/fuzz.log" || die "the fuzzer did not finish (see above)"
grep '^Done' "$work/fuzz.log"
