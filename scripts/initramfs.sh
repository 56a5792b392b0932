#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest initramfs for scripts/boot.sh:
#
#   /bin/busybox + its applet links   the static busybox of the host
#   /init                             qemu/init
#   /rvnet/*.sh                       qemu/guest/*.sh
#   /lib/modules/NAME.ko              virtio, virtio_ring, virtio_mmio, virtio_net, pktgen
#                                     and what they depend on, from the test kernel; rvnet.ko
#                                     from the repository root if it has been built (or
#                                     RVNET_KO=FILE)
#   /lib/modules/modules.dep          "NAME: DEP..." lines, read by load_module in
#                                     qemu/guest/lib.sh (the guest uses insmod, not modprobe)
#
# The archive is written by the kernel's own usr/gen_init_cpio, so no root is needed for
# /dev/console, and with every mtime at 0 the output depends only on the input files.
#
# Usage: scripts/initramfs.sh OUT.cpio.gz       (KDIR=... overrides the test kernel tree)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: $0 OUT.cpio.gz"
OUT=$1
KDIR=${KDIR:-$(kbuild_dir test)}
BUSYBOX=/bin/busybox		# static: busybox-static, installed by make deps
GEN_INIT_CPIO=$KDIR/usr/gen_init_cpio
MODULES=(virtio virtio_ring virtio_mmio virtio_net pktgen)

[ -x "$GEN_INIT_CPIO" ] || die "no $GEN_INIT_CPIO: build the test kernel first (make kernel)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

collect_modules "$WORK/modules.dep" "${MODULES[@]}"

# Guest tools written for the tests (qemu/tools/*.c), static.
for src in "$RVNET_ROOT"/qemu/tools/*.c; do
	gcc -static -O2 -Wall -Werror -o "$WORK/$(basename "$src" .c)" "$src" ||
		die "building $src failed"
done

# The gen_init_cpio list, sorted so that the archive does not depend on find's order.
{
	for d in /bin /dev /lib /lib/modules /proc /rvnet /sbin /sys /tmp /usr /usr/bin \
		/usr/sbin; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /bin/busybox $BUSYBOX 0755 0 0"
	"$BUSYBOX" --list-full | grep -vx bin/busybox | LC_ALL=C sort |
		sed 's|.*|slink /& /bin/busybox 0777 0 0|'
	echo "file /init $RVNET_ROOT/qemu/init 0755 0 0"
	for src in "$RVNET_ROOT"/qemu/tools/*.c; do
		tool=$(basename "$src" .c)
		echo "file /bin/$tool $WORK/$tool 0755 0 0"
	done
	for f in "$RVNET_ROOT"/qemu/guest/*.sh; do
		echo "file /rvnet/$(basename "$f") $f 0755 0 0"
	done
	for name in $(printf '%s\n' "${!ko_added[@]}" | LC_ALL=C sort); do
		echo "file /lib/modules/$name.ko ${ko_added[$name]} 0644 0 0"
	done
	echo "file /lib/modules/modules.dep $WORK/modules.dep 0644 0 0"
} >"$WORK/cpio.list"

"$GEN_INIT_CPIO" -t 0 "$WORK/cpio.list" | gzip -n -9 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "initramfs: $OUT ($(du -k "$OUT" | cut -f1) KiB; modules: $(printf "%s\n" "${!ko_added[@]}" | LC_ALL=C sort | xargs))"
