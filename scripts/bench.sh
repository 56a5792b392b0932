#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: rvnet against the in-tree C pair (virtio_mmio + virtio_net) on the same emulated
# NICs, alternating rvnet / C for ROUNDS rounds in one guest boot (qemu/guest/bench.sh), on the
# bench kernel (qemu/bench.config: the test kernel's networking, no checkers). Two sections,
# one guest boot each:
#
#   hub  equal features: the NICs on a QEMU hub (no vnet header, so no offloads), with the
#        properties below taking away every other feature rvnet does not negotiate; the
#        negotiated sets are recorded and must be equal. A measure of per-packet driver cost.
#   tap  default features: the NICs on vnet_hdr taps on a host bridge (boot.sh --backend tap),
#        QEMU's defaults, each driver negotiating what it can; both sets are shown side by
#        side. What users run. Guest -> host TCP goes to a receiver in the tap namespace.
#   cost the counted profile: QEMU with rvnet's counting TCG plugin (qemu/plugin/cost.c,
#        built by scripts/cost-plugin.sh), one guest on the hub with the hub's equal
#        features and one on the tap backend with the defaults (qemu/guest/cost.sh): both
#        drivers, COST_RUNS times (default 2), fixed amounts of 64- and 1514-byte pktgen
#        frames, 1-byte TCP request/response and TCP bulk; instructions, locked and
#        serializing instructions, REP iterations, MMIO accesses by register and interrupts
#        per packet, transaction or MB, with the functions behind them
#        (scripts/cost-report.py). Deterministic where wall time is not: its figures steer.
#
# Writes results/bench-<time>/{bench.md,SECTION/{bench.json,bench.md,ratios.png,profile.txt,
# guest.log,hoststats.txt}} (and the link results/bench-latest), and prints the tables.
#
# Environment: BACKEND ("hub tap cost" by default, or some of them), ROUNDS (default 5),
# SECONDS_PER_TEST (default 5), LAYOUT (default modern), PROFILE (default 1: profile each
# driver once, outside the measurements, into profile.txt), QEMU_CPU (default max);
# COST_RUNS (default 2) and COST_BACKENDS ("hub tap" by default, or one) for the cost section.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-5}
SECS=${SECONDS_PER_TEST:-5}
LAYOUT=${LAYOUT:-modern}
PROFILE=${PROFILE:-1}
SECTIONS=${BACKEND:-hub tap cost}
COST_RUNS=${COST_RUNS:-2}
COST_BACKENDS=${COST_BACKENDS:-hub tap}
export QEMU_CPU=${QEMU_CPU:-max}
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || die "ROUNDS wants a number, not '$ROUNDS'"
[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] || die "SECONDS_PER_TEST wants a number"
[[ $COST_RUNS =~ ^[0-9]+$ ]] && [ "$COST_RUNS" -ge 2 ] ||
	die "COST_RUNS wants a number of at least 2 (the repeatability line compares runs)"
for section in $SECTIONS; do
	case $section in hub | tap | cost) ;; *) die "BACKEND: hub, tap or cost, not '$section'" ;; esac
done
for backend in $COST_BACKENDS; do
	case $backend in hub | tap) ;; *) die "COST_BACKENDS: hub, tap or both, not '$backend'" ;; esac
done

# hub: off for both drivers, the features rvnet does not negotiate and those that change
# nothing without offloads: offloads (which a hubport peer cannot take anyway), mergeable
# buffers, the control queue and what needs it, multiqueue, queue reset, and indirect
# descriptors (both drivers take them, for packets mapped in several parts, which the hub's
# traffic never is). What is left: MAC, STATUS, EVENT_IDX, VERSION_1.
NIC_OPTS=csum=off,guest_csum=off,gso=off,guest_tso4=off,guest_tso6=off,guest_ecn=off
NIC_OPTS+=,guest_ufo=off,guest_uso4=off,guest_uso6=off,host_tso4=off,host_tso6=off
NIC_OPTS+=,host_ecn=off,host_ufo=off,host_uso=off,mrg_rxbuf=off,ctrl_vq=off,ctrl_rx=off
NIC_OPTS+=,ctrl_vlan=off,ctrl_rx_extra=off,ctrl_mac_addr=off,ctrl_guest_offloads=off
NIC_OPTS+=,guest_announce=off,mq=off,indirect_desc=off,queue_reset=off

bash "$RVNET_ROOT/scripts/deps.sh" bench >&2
PLUGIN=
[[ " $SECTIONS " != *" cost "* ]] || PLUGIN=$(bash "$RVNET_ROOT/scripts/cost-plugin.sh")
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

# The receiver of guest -> host TCP, for the tap namespace.
gcc -O2 -Wall -Werror -o "$build/tcpbench-host" "$RVNET_ROOT/qemu/tools/tcpbench.c" ||
	die "building the host's tcpbench failed"

# A round: 6 tests of SECS plus their set-up, for each driver.
timeout=$((ROUNDS * 2 * (6 * (SECS + 4) + 40) + 600))
# cost_section: the counted profile, one guest per backend, and its report.
cost_section() {
	local backend dir st opts
	for backend in $COST_BACKENDS; do
		dir=$out/cost/$backend
		mkdir -p "$dir"
		opts=
		[ $backend = hub ] && opts=$NIC_OPTS
		log "bench (cost, $backend): $COST_RUNS runs x 2 drivers under the counting plugin," \
			"$LAYOUT layout (about a minute a run)"
		st=0
		bash "$RVNET_ROOT/scripts/boot.sh" --layout "$LAYOUT" --backend $backend --script cost \
			--initrd "$out/initramfs.cpio.gz" --kernel "$KDIR/arch/x86/boot/bzImage" \
			${opts:+--nic-opts "$opts"} --timeout $((COST_RUNS * 1200 + 300)) \
			--plugin "$PLUGIN,out=$dir/counts.txt,mmio=0xfeb00000:0x4000" \
			--args "$LAYOUT $COST_RUNS" --log "$dir/guest.log" </dev/null >/dev/null 2>&1 || st=$?
		grep -aE '^(FAIL|cost:)' "$dir/guest.log" >&2 || true
		if [ "$st" != 0 ]; then
			log "bench (cost, $backend): the guest failed (status $st): see $dir/guest.log"
			return 1
		fi
	done
	/usr/bin/python3 "$RVNET_ROOT/scripts/cost-report.py" --system-map "$KDIR/System.map" \
		"$out/cost" >"$out/cost/report.out" || return 1
}

st_all=0
for section in $SECTIONS; do
	if [ "$section" = cost ]; then
		cost_section || st_all=1
		continue
	fi
	dir=$out/$section
	mkdir -p "$dir"
	cp "$out/footprint.txt" "$dir/"
	opts= host_ip=
	case $section in
	hub) opts=$NIC_OPTS ;;
	tap) host_ip=10.0.0.254
		export TAPNS_HOST_CMD="exec '$build/tcpbench-host' -s 5202 -l >'$dir/host-receiver.log' 2>&1" ;;
	esac
	log "bench ($section): $ROUNDS rounds x 2 drivers, ${SECS}s per test, $LAYOUT layout," \
		"-cpu $QEMU_CPU (~$((ROUNDS * 2 * (6 * (SECS + 3) + 15) / 60)) min)"
	st=0
	bash "$RVNET_ROOT/scripts/boot.sh" --layout "$LAYOUT" --backend "$section" --script bench \
		--initrd "$out/initramfs.cpio.gz" --kernel "$KDIR/arch/x86/boot/bzImage" \
		${opts:+--nic-opts "$opts"} --timeout "$timeout" --host-stats "$dir/hoststats.txt" \
		--args "$LAYOUT $ROUNDS $SECS $PROFILE $host_ip" --log "$dir/guest.log" \
		</dev/null >/dev/null 2>&1 || st=$?
	unset TAPNS_HOST_CMD
	grep -E '^(FAIL|pktgen|tcp|rr)' "$dir/guest.log" >&2 || true
	if [ "$st" != 0 ]; then
		log "bench ($section): the guest failed (status $st): see $dir/guest.log"
		st_all=1
		continue
	fi
	{
		echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "host $(uname -m), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
		echo "qemu $(qemu-system-x86_64 --version | head -n1)"
		echo "kernel $(basename "$KDIR")"
		echo "layout $LAYOUT"
		echo "backend $section"
		echo "cpu $QEMU_CPU"
		echo "rounds $ROUNDS"
		echo "seconds $SECS"
		echo "nic_opts ${opts:-none, the QEMU defaults}"
	} >"$dir/meta.txt"
	grep -a '^kprof: ' "$dir/guest.log" | sed 's/^kprof: //' >"$dir/profile.txt" || true
	/usr/bin/python3 "$RVNET_ROOT/scripts/bench-report.py" "$dir" >"$dir/report.out" || st_all=1
done
rm -f "$out/initramfs.cpio.gz"
for section in $SECTIONS; do
	[ -f "$out/$section/bench.md" ] && { echo "## $section"; echo; cat "$out/$section/bench.md"; echo; }
done | tee "$out/bench.md"
ln -sfn "$(basename "$out")" "$RVNET_ROOT/results/bench-latest"
log "bench: results in $out"
exit "$st_all"
