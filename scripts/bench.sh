#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: rvnet against the in-tree C pair (virtio_mmio + virtio_net) on the same emulated
# NICs, in one guest boot, alternating rvnet / C for ROUNDS rounds (qemu/guest/bench.sh), on
# the bench kernel (qemu/bench.config: no debug options). Both drivers see the same device:
# the properties below take every feature away that rvnet does not negotiate, and the
# negotiated sets are recorded and must be equal.
#
# Writes results/bench-<time>/{bench.json,bench.md,ratios.png,profile.txt,guest.log} (and the link
# results/bench-latest), and prints the Markdown table.
#
# Environment: ROUNDS (default 5), SECONDS_PER_TEST (default 5), LAYOUT (default modern),
# PROFILE (default 1: profile each driver once, outside the measurements, into
# profile.txt).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-5}
SECS=${SECONDS_PER_TEST:-5}
LAYOUT=${LAYOUT:-modern}
PROFILE=${PROFILE:-1}
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || die "ROUNDS wants a number, not '$ROUNDS'"
[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] || die "SECONDS_PER_TEST wants a number"

# Everything rvnet does not negotiate, off for both drivers: offloads (which a hubport peer
# cannot take anyway), mergeable buffers, the control queue and what needs it, multiqueue,
# indirect descriptors, queue reset. What is left: MAC, STATUS, EVENT_IDX, VERSION_1.
NIC_OPTS=csum=off,guest_csum=off,gso=off,guest_tso4=off,guest_tso6=off,guest_ecn=off
NIC_OPTS+=,guest_ufo=off,guest_uso4=off,guest_uso6=off,host_tso4=off,host_tso6=off
NIC_OPTS+=,host_ecn=off,host_ufo=off,host_uso=off,mrg_rxbuf=off,ctrl_vq=off,ctrl_rx=off
NIC_OPTS+=,ctrl_vlan=off,ctrl_rx_extra=off,ctrl_mac_addr=off,ctrl_guest_offloads=off
NIC_OPTS+=,guest_announce=off,mq=off,indirect_desc=off,queue_reset=off

bash "$RVNET_ROOT/scripts/deps.sh" bench >&2
bash "$RVNET_ROOT/scripts/kernel.sh" bench >&2
KDIR=$(kbuild_dir bench)
export KDIR

# rvnet.ko for the bench kernel, built from a copy of the sources so that the clone's own
# rvnet.ko (for the test kernel) is left alone. The copy starts empty every time (what a
# failed build left there made the next one fail with "The external module source tree is not
# clean"), and lives in the clone, so two clones never share it.
build=$RVNET_ROOT/build/bench-module
rm -rf "$build"
mkdir -p "$build"
# Sources only: the clone's own objects were built for the test kernel.
tar -C "$RVNET_ROOT" -cf - --exclude='*.o' --exclude='.*.cmd' --exclude='*.d' \
	--exclude='*.rmeta' --exclude='*.mod*' Kbuild src | tar -C "$build" -xf -
log "building rvnet.ko for the bench kernel in $build"
make -s -C "$KDIR" M="$build" LLVM=1 RUSTC="$RUSTC" BINDGEN="$BINDGEN" modules >&2 ||
	die "building rvnet.ko for the bench kernel failed"

out=$RVNET_ROOT/results/bench-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
RVNET_KO=$build/rvnet.ko bash "$RVNET_ROOT/scripts/initramfs.sh" "$out/initramfs.cpio.gz" >&2

# Footprint: text + data + bss of each module, as `size` counts them.
footprint() { size "$1" | awk 'NR == 2 { print $1, $2, $3 }'; }
ko() { find "$KDIR" -name "$1.ko" | head -n1; }
{
	echo "rvnet $(footprint "$build/rvnet.ko")"
	for m in virtio_net virtio_mmio virtio_ring virtio; do
		f=$(ko $m)
		[ -n "$f" ] || die "no $m.ko in $KDIR"
		echo "$m $(footprint "$f")"
	done
} >"$out/footprint.txt"

timeout=$((ROUNDS * 2 * (3 * (SECS + 4) + 30) + 400))
log "bench: $ROUNDS rounds x 2 drivers, ${SECS}s per test, $LAYOUT layout (~$((ROUNDS * 2 * (3 * (SECS + 3) + 10) / 60)) min)"
st=0
bash "$RVNET_ROOT/scripts/boot.sh" --layout "$LAYOUT" --script bench --initrd "$out/initramfs.cpio.gz" \
	--kernel "$KDIR/arch/x86/boot/bzImage" --nic-opts "$NIC_OPTS" --timeout "$timeout" \
	--args "$LAYOUT $ROUNDS $SECS $PROFILE" --log "$out/guest.log" </dev/null >/dev/null 2>&1 || st=$?
rm -f "$out/initramfs.cpio.gz"
grep -E '^(FAIL|pktgen|tcp)' "$out/guest.log" >&2 || true
[ "$st" = 0 ] || die "the bench guest failed (status $st): see $out/guest.log"

{
	echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host $(uname -m), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "qemu $(qemu-system-x86_64 --version | head -n1)"
	echo "kernel $(basename "$KDIR")"
	echo "layout $LAYOUT"
	echo "rounds $ROUNDS"
	echo "seconds $SECS"
	echo "nic_opts $NIC_OPTS"
} >"$out/meta.txt"
grep -a '^kprof: ' "$out/guest.log" | sed 's/^kprof: //' >"$out/profile.txt" || true
ln -sfn "$(basename "$out")" "$RVNET_ROOT/results/bench-latest"
st=0
/usr/bin/python3 "$RVNET_ROOT/scripts/bench-report.py" "$out" || st=$?
log "bench: results in $out"
exit "$st"
