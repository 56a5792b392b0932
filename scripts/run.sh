#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make run: the main job. Builds everything needed, boots QEMU microvm with two virtio-net
# NICs (modern register layout) and a virtio-rng device, loads rvnet, shows what it did and
# /proc/driver/network_stats, unloads it, and powers the guest off.
#
# Writes the guest's output and serial log to $RVNET_CACHE/run/ (RUN_DIR= overrides it),
# which it creates: a fresh machine has none.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUN_DIR=${RUN_DIR:-$RVNET_CACHE/run}
initrd=$(bash "$RVNET_ROOT/scripts/module.sh")
mkdir -p "$RUN_DIR"
log "booting QEMU microvm (guest script qemu/guest/run.sh)"
bash "$RVNET_ROOT/scripts/boot.sh" --layout modern --script run --initrd "$initrd" \
	--log "$RUN_DIR/run.log" >"$RUN_DIR/run.out" 2>&1 || {
	st=$?
	cat "$RUN_DIR/run.out"
	die "the guest failed (status $st); full log: $RUN_DIR/run.log"
}
# Show what the guest printed, without the kernel's boot chatter.
sed -n '/^=== /,/^RVNET-EXIT/p' "$RUN_DIR/run.out" | grep -v '^RVNET-EXIT'
log "done; full guest log: $RUN_DIR/run.log"
