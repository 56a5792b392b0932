#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make firecracker: rvnet against a second kernel configuration, shaped like Firecracker's
# recommended guests (qemu/firecracker.config: virtio_mmio and virtio_net built in, devices from
# the kernel command line, no ACPI), for real: the kernel is built (once, cached: 5.5
# minutes on 2 cores the first time), rvnet is built against it with `make KDIR=...` in a copy
# of the tree (so through its checks, and without touching this tree's build), and a QEMU
# microvm,acpi=off guest boots it: rvnet takes both NICs over from the built-in virtio_mmio and
# carries traffic (qemu/guest/handover.sh). Prints how long each step took.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
bash "$RVNET_ROOT/scripts/deps.sh"
bash "$RVNET_ROOT/scripts/kernel.sh" firecracker
KFC=$(kbuild_dir firecracker)
t1=$(date +%s)
log "firecracker: kernel ready in $((t1 - t0)) s ($KFC)"

out=$RVNET_ROOT/build/firecracker
rm -rf "$out"
mkdir -p "$out/src"
copy_tracked "$out/src"
make -s -C "$out/src" KDIR="$KFC" LLVM=1 modules >"$out/build.log" 2>&1 ||
	{ tail -n 20 "$out/build.log" >&2; die "building rvnet against $KFC failed (log: $out/build.log)"; }
t2=$(date +%s)
log "firecracker: rvnet.ko built against it in $((t2 - t1)) s"

KDIR=$KFC RVNET_MODULES= RVNET_KO="$out/src/rvnet.ko" \
	bash "$RVNET_ROOT/scripts/initramfs.sh" "$out/initramfs.cpio.gz"
st=0
bash "$RVNET_ROOT/scripts/boot.sh" --layout modern --script handover --acpi off \
	--kernel "$KFC/arch/x86/boot/bzImage" --initrd "$out/initramfs.cpio.gz" \
	--log "$out/guest.log" --timeout 600 </dev/null >"$out/boot.out" 2>&1 || st=$?
t3=$(date +%s)
tr -d '\r' <"$out/boot.out" | grep -E '^(PASS|FAIL|kernel:|devices:)' || true
log "firecracker: guest in $((t3 - t2)) s; $((t3 - t0)) s in all (log: $out/guest.log)"
[ "$st" = 0 ] || die "firecracker: the guest failed (boot.sh status $st)"
