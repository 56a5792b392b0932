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
# With RVNET_INSTALLED=1, also what a guest with rvnet installed has, for qemu/guest/own.sh:
#
#   /own/lib/modules/RELEASE/         rvnet by `make install INSTALL_MOD_PATH=/own` (extra/),
#                                     the virtio modules under kernel/, depmod's files
#   /own/etc/modprobe.d/rvnet.conf    from `make install`
#   /kmod/modprobe                    the host's kmod (Debian's, with its libraries and loader),
#                                     which reads modules.alias and softdep as udev's loading does
#
# Usage: scripts/initramfs.sh OUT.cpio.gz       (KDIR=... overrides the test kernel tree)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: $0 OUT.cpio.gz"
OUT=$1
KDIR=${KDIR:-$(kbuild_dir test)}
BUSYBOX=/bin/busybox		# static: busybox-static, installed by make deps
GEN_INIT_CPIO=$KDIR/usr/gen_init_cpio
# RVNET_MODULES overrides the list (a kernel with them built in: empty).
read -r -a MODULES <<<"${RVNET_MODULES-virtio virtio_ring virtio_mmio virtio_net pktgen}"

[ -x "$GEN_INIT_CPIO" ] || die "no $GEN_INIT_CPIO: build the test kernel first (make kernel)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

collect_modules "$WORK/modules.dep" ${MODULES[@]+"${MODULES[@]}"}

# The installed guest's tree (RVNET_INSTALLED=1): every directory, file and link under it.
if [ "${RVNET_INSTALLED:-0}" = 1 ]; then
	release=$(cat "$KDIR/include/config/kernel.release")
	own=$WORK/tree/own
	make -s -C "$RVNET_ROOT" install INSTALL_MOD_PATH="$own" >/dev/null 2>&1 ||
		die "make install INSTALL_MOD_PATH=$own failed"
	mkdir -p "$own/lib/modules/$release/kernel"
	for name in "${!ko_added[@]}"; do
		[ "$name" = rvnet ] || cp "${ko_added[$name]}" "$own/lib/modules/$release/kernel/"
	done
	depmod -b "$own" -a "$release" 2>/dev/null || die "depmod on $own failed"
	mkdir -p "$WORK/tree/kmod"
	cp /usr/bin/kmod "$WORK/tree/kmod/kmod"
	ln -s kmod "$WORK/tree/kmod/modprobe"
	for lib in $(ldd /usr/bin/kmod | grep -o '/[^ ]*'); do
		mkdir -p "$WORK/tree$(dirname "$lib")"
		cp -L "$lib" "$WORK/tree$lib"
	done
fi

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
	if [ -d "$WORK/tree" ]; then
		(cd "$WORK/tree" && find . -mindepth 1 | LC_ALL=C sort) | while IFS= read -r f; do
			f=${f#.}
			if [ -L "$WORK/tree$f" ]; then
				echo "slink $f $(readlink "$WORK/tree$f") 0777 0 0"
			elif [ -d "$WORK/tree$f" ]; then
				# /lib and /usr exist already.
				case "$f" in /lib | /usr) ;; *) echo "dir $f 0755 0 0" ;; esac
			else
				echo "file $f $WORK/tree$f 0755 0 0"
			fi
		done
	fi
} >"$WORK/cpio.list"

"$GEN_INIT_CPIO" -t 0 "$WORK/cpio.list" | gzip -n -9 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "initramfs: $OUT ($(du -k "$OUT" | cut -f1) KiB; modules: $(printf "%s\n" "${!ko_added[@]}" | LC_ALL=C sort | xargs))"
