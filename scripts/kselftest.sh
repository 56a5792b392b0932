#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make kselftest: the kernel's own netdev driver selftests (tools/testing/selftests/
# drivers/net: ping, stats, queues, napi_id, so_txtime, macsec, hds, shaper, xdp,
# ring_reconfig, gro, netpoll_basic, hw/irq, hw/csum, hw/xsk_reconfig, hw/uso, hw/tso,
# hw/pp_alloc_fail) in a QEMU microvm, against the two virtio-net NICs of scripts/boot.sh,
# with a chosen driver on each. NIC A is the device under test; NIC B, in a
# network namespace, is the netdev CI's "remote".
#
# Builds what it needs (make deps, the test kernel, rvnet.ko, scripts/kselftest-image.sh),
# then boots one guest per run, one after another:
#
#   selfcheck       A: virtio_net   B: virtio_net   the in-tree driver: checks the harness
#   rvnet-c         A: rvnet        B: virtio_net
#   rvnet-rvnet     A: rvnet        B: rvnet
#   selfcheck-tap   as selfcheck, on the tap backend (bridged host taps with vnet headers:
#   rvnet-c-tap     as rvnet-c,   the offloads QEMU strips from the hub's NICs), TAP_TESTS
#   selfcheck-iommu as selfcheck, as a confidential VM's NICs (iommu_platform=on, so
#   rvnet-c-iommu   as rvnet-c,   ACCESS_PLATFORM, and the guest booted with swiotlb=force:
#                                 every buffer bounced), IOMMU_TESTS; not in the default RUNS
#
# When A is rvnet the guest also runs rvnet_ethtool (qemu/kselftest/rvnet_ethtool.sh). The
# per-case table (pass/skip/xfail/fail per run) is printed and written to
# $RVNET_CACHE/kselftest/results.md and results.json; the guest logs are in
# $RVNET_CACHE/kselftest/logs/RUN.log. The exit status is non-zero when a guest did not
# finish, a kernel checker reported something, a self-check has a failing case, or a
# driver run fails a case, or does not pass a case its self-check passes, that
# qemu/kselftest/expected-failures does not list (see scripts/kselftest-report.py).
#
# Environment: TESTS="ping stats ..." (the hub runs; default: the fifteen tests, rvnet_ethtool
# and rvnet_xdp; TESTS=quick: all but so_txtime, ring_reconfig, gro, xdp, hw/irq, hw/csum and
# netpoll_basic, what make test runs, since gro alone takes 5 minutes a run and so_txtime 3;
# a run with netpoll_basic boots the image with bpftrace), TAP_TESTS (the tap runs; default: ping
# xdp gro hw/csum hw/uso hw/tso hw/pp_alloc_fail rvnet_xdp, the tests whose cases depend on
# the offloads or page-sized receive buffers), IOMMU_TESTS (the
# -iommu runs; default: ping stats xdp rvnet_ethtool rvnet_xdp, the data path and every XDP
# verdict through bounce buffers),
# RUNS="selfcheck rvnet-c ..." (a subset, in any order; the tap runs need root),
# KSFT_TIMEOUT (seconds per guest, default 3600), KSFT_TEST_TIMEOUT (seconds per test in the
# guest, default 900), KSFT_REUSE_SELFCHECK=1 (what make test sets: a self-check whose inputs
# a finished earlier one had is not run again, its log reused; see below).
#
# A self-check runs no rvnet code: its image is built without rvnet.ko, and its result is a
# function of that image, the kernel, QEMU, boot.sh, the run's arguments and this script. Each
# finished self-check's log is kept under that key in $RVNET_CACHE/kselftest/selfchecks (the
# last 20); make kselftest runs every self-check afresh and refreshes the copy.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The tests make test runs (its hour has no room for gro), and those only make kselftest runs.
# so_txtime (3 minutes a run) checks the fq and etf qdiscs' release times above a driver that
# offloads no launch time: nothing of it is rvnet's but passing packets, which every test does.
KSFT_QUICK_TESTS="ping stats queues napi_id macsec hds shaper hw/xsk_reconfig rvnet_ethtool rvnet_xdp"
TESTS=${TESTS:-$KSFT_QUICK_TESTS so_txtime xdp ring_reconfig gro hw/irq hw/csum netpoll_basic}
[ "$TESTS" = quick ] && TESTS=$KSFT_QUICK_TESTS
TAP_TESTS=${TAP_TESTS:-ping xdp gro hw/csum hw/uso hw/tso hw/pp_alloc_fail rvnet_xdp}
IOMMU_TESTS=${IOMMU_TESTS:-ping stats xdp rvnet_ethtool rvnet_xdp}
RUNS=${RUNS:-selfcheck rvnet-c rvnet-rvnet selfcheck-tap rvnet-c-tap}
KSFT_TIMEOUT=${KSFT_TIMEOUT:-3600}
KSFT_TEST_TIMEOUT=${KSFT_TEST_TIMEOUT:-900}
KST=$RVNET_CACHE/kselftest
LOGS=$KST/logs

# run_drivers RUN: the drivers of NIC A and NIC B.
run_drivers() {
	local run=${1%-tap}
	case ${run%-iommu} in
	selfcheck) echo "virtio_net virtio_net" ;;
	rvnet-c) echo "rvnet virtio_net" ;;
	rvnet-rvnet) echo "rvnet rvnet" ;;
	*) die "RUNS: no run '$1' (selfcheck, rvnet-c, rvnet-rvnet, each also as RUN-tap or RUN-iommu)" ;;
	esac
}
# run_tests RUN: the tests RUN runs.
run_tests() {
	case $1 in
	*-tap) echo "$TAP_TESTS" ;;
	*-iommu) echo "$IOMMU_TESTS" ;;
	*) echo "$TESTS" ;;
	esac
}
for run in $RUNS; do run_drivers "$run" >/dev/null; done
for t in "$TESTS" "$TAP_TESTS" "$IOMMU_TESTS"; do
	[[ $t =~ ^[a-z0-9_/\ ]+$ ]] || die "TESTS, TAP_TESTS, IOMMU_TESTS: test names only, not '$t'"
done
[[ $KSFT_TEST_TIMEOUT =~ ^[0-9]+$ ]] || die "KSFT_TEST_TIMEOUT wants seconds"

bash "$RVNET_ROOT/scripts/deps.sh"
bash "$RVNET_ROOT/scripts/kernel.sh" test
log "building rvnet.ko"
make -C "$RVNET_ROOT" -s modules || die "building rvnet.ko failed"
[ -f "$RVNET_ROOT/rvnet.ko" ] || die "no rvnet.ko after the build"
start=$(date +%s)
image=$(bash "$RVNET_ROOT/scripts/kselftest-image.sh")
log "kselftest: image ready in $(( $(date +%s) - start ))s"
# has_netpoll_test TESTS: whether TESTS has netpoll_basic, which needs the image with the
# netpoll layer (bpftrace with LLVM and clang: about 65 MB more to unpack at each boot).
has_netpoll_test() { [[ " $1 " == *" netpoll_basic "* ]]; }
image_netpoll=
for run in $RUNS; do
	has_netpoll_test "$(run_tests "$run")" && [ -z "$image_netpoll" ] || continue
	image_netpoll=$(bash "$RVNET_ROOT/scripts/kselftest-image.sh" --netpoll \
		"$RVNET_ROOT/build/kselftest-initramfs-netpoll.cpio.gz")
done

# The self-checks' images, without rvnet.ko (built on first use), and their key.
declare -A selfcheck_image=()
selfcheck_image() { # selfcheck_image TESTS: the image path
	local kind=base
	has_netpoll_test "$1" && kind=netpoll
	if [ -z "${selfcheck_image[$kind]:-}" ]; then
		local opt=() out=$RVNET_ROOT/build/kselftest-initramfs-selfcheck.cpio.gz
		[ $kind = base ] || { opt=(--netpoll); out=${out%.cpio.gz}-netpoll.cpio.gz; }
		selfcheck_image[$kind]=$(RVNET_KO= bash "$RVNET_ROOT/scripts/kselftest-image.sh" \
			"${opt[@]}" "$out")
	fi
	echo "${selfcheck_image[$kind]}"
}
selfcheck_key() { # selfcheck_key IMAGE ARG...: what the self-check's result depends on
	local image=$1
	shift
	{
		printf '%s\n' "$@"
		sha256sum "$image" "$(kbuild_dir test)/arch/x86/boot/bzImage" \
			"$RVNET_ROOT/scripts/boot.sh" "$0" | cut -d' ' -f1
		qemu-system-x86_64 --version | head -n1
	} | sha256sum | cut -c1-16
}
SELFCHECKS=$KST/selfchecks

mkdir -p "$LOGS" "$SELFCHECKS"
specs=()
for run in $RUNS; do
	drivers=$(run_drivers "$run")
	backend=hub tests=$(run_tests "$run") devices=()
	[ "$run" = "${run%-tap}" ] || backend=tap
	[ "$run" = "${run%-iommu}" ] || devices=(--nic-opts iommu_platform=on --cmdline swiotlb=force)
	run_image=$image
	has_netpoll_test "$tests" && run_image=$image_netpoll
	log "kselftest: $run (A: ${drivers% *}, B: ${drivers#* }, $backend backend): $tests"
	key=
	if [ "$drivers" = "virtio_net virtio_net" ]; then
		run_image=$(selfcheck_image "$tests")
		key=$(selfcheck_key "$run_image" "$drivers" "$backend" "${devices[@]}" "$tests" \
			"$KSFT_TIMEOUT" "$KSFT_TEST_TIMEOUT")
		kept=$SELFCHECKS/$key.log
		if [ "${KSFT_REUSE_SELFCHECK:-0}" = 1 ] && [ -f "$kept" ]; then
			cp "$kept" "$LOGS/$run.log"
			log "kselftest: $run: not run again: the log of $(date -r "$kept" '+%F %T') has the same inputs ($key)"
			specs+=("$run:${drivers/ /,}:0:$LOGS/$run.log")
			continue
		fi
	fi
	start=$(date +%s)
	# The guest's whole serial log goes to the log file; the terminal gets the progress.
	set +e
	bash "$RVNET_ROOT/scripts/boot.sh" --layout modern --script kselftest --initrd "$run_image" \
		--backend "$backend" "${devices[@]}" --timeout "$KSFT_TIMEOUT" --log "$LOGS/$run.log" \
		--args "$drivers TEST_TIMEOUT=$KSFT_TEST_TIMEOUT $tests" </dev/null |
		grep --line-buffered -E '^(KSFT-TEST|KSFT-EXIT|KSFT-DMESG|not ok|=== NIC|run\.sh:)'
	st=${PIPESTATUS[0]}
	set -e
	log "kselftest: $run: boot.sh status $st after $(( $(date +%s) - start ))s"
	if [ -n "$key" ] && [ "$st" = 0 ]; then
		cp "$LOGS/$run.log" "$SELFCHECKS/$key.log"
		ls -t "$SELFCHECKS"/*.log | tail -n +21 | xargs -r rm -f
	fi
	specs+=("$run:${drivers/ /,}:$st:$LOGS/$run.log")
done

python3 "$RVNET_ROOT/scripts/kselftest-report.py" \
	--expected "$RVNET_ROOT/qemu/kselftest/expected-failures" \
	--md "$KST/results.md" --json "$KST/results.json" "${specs[@]}"
