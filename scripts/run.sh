#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make run: the main job. Builds everything needed, boots QEMU microvm with two virtio-net
# NICs (modern register layout) and a virtio-rng device, loads rvnet, shows what it did and
# /proc/driver/network_stats, unloads it, and powers the guest off.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

initrd=$(bash "$RVNET_ROOT/scripts/module.sh")
log "booting QEMU microvm (guest script qemu/guest/run.sh)"
bash "$RVNET_ROOT/scripts/boot.sh" --layout modern --script run --initrd "$initrd" \
	--log "$RVNET_CACHE/run/run.log" >"$RVNET_CACHE/run/run.out" 2>&1 || {
	st=$?
	cat "$RVNET_CACHE/run/run.out"
	die "the guest failed (status $st); full log: $RVNET_CACHE/run/run.log"
}
# Show what the guest printed, without the kernel's boot chatter.
sed -n '/^=== /,/^RVNET-EXIT/p' "$RVNET_CACHE/run/run.out" | grep -v '^RVNET-EXIT'
log "done; full guest log: $RVNET_CACHE/run/run.log"
