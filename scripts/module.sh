#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds what a QEMU run needs: toolchain (make deps), test kernel (make kernel), rvnet.ko, and
# the initramfs. Prints the initramfs path on stdout; everything else goes to stderr.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bash "$RVNET_ROOT/scripts/deps.sh" >&2
bash "$RVNET_ROOT/scripts/kernel.sh" test >&2
log "building rvnet.ko"
make -C "$RVNET_ROOT" -s modules >&2 || die "building rvnet.ko failed"
[ -f "$RVNET_ROOT/rvnet.ko" ] || die "no rvnet.ko after the build"
# Inside the clone, not the shared cache: two clones (a CI run, a soak, the work tree) must
# never boot each other's module.
mkdir -p "$RVNET_ROOT/build"
initrd="$RVNET_ROOT/build/initramfs.cpio.gz"
bash "$RVNET_ROOT/scripts/initramfs.sh" "$initrd" >&2
echo "$initrd"
