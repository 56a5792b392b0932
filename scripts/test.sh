#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make test: the test command. Host unit tests of the pure modules, then QEMU boot tests with
# both virtio-mmio register layouts: probe.sh (binding, procfs, unload, hand-over) and
# datapath.sh (ping, TCP with checksums, counters, flaps and rmmod under traffic, interop),
# integrity.sh (TCP checksum, UDP flood accounting), ctrl.sh (the control queue: receive
# filter, MAC address, VLAN filter, announcements), odd.sh (odd device features, a block
# device; its modern device has no control queue, its legacy one takes the MAC address in its
# configuration space), faults.sh (fault injection), cmdline.sh (devices from the kernel command line, no
# ACPI), own.sh (rvnet installed beside virtio_mmio, loaded by modalias: it owns the NICs) and
# a short soak.sh; then make kselftest, the kernel's
# own drivers/net selftests (scripts/kselftest.sh). Every test prints PASS/FAIL; the
# last line is "N passed, M failed"; the exit status is non-zero when anything failed. The
# guest logs of the last run are kept in ~/.cache/rvnet/logs/last-test/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

passed=0
failed=0
skipped=0
started=$(date +%s)
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

record() { # record PASS|FAIL|SKIP NAME [WHY]
	case $1 in
	PASS) passed=$((passed + 1)); echo "PASS: $2" ;;
	SKIP) skipped=$((skipped + 1)); echo "SKIP: $2${3:+: $3}" ;;
	*) failed=$((failed + 1)); echo "FAIL: $2${3:+: $3}" ;;
	esac
}

initrd=$(bash "$RVNET_ROOT/scripts/module.sh")

log "host unit tests (cargo test)"
if (cd "$RVNET_ROOT/host-tests" && cargo test --quiet 2>&1) | tee "$results/cargo.out"; then
	n=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$results/cargo.out" | awk '{ s += $1 } END { print s + 0 }')
	[ "$n" -gt 0 ] && record PASS "host unit tests ($n)" || record FAIL "host unit tests" "none ran"
else
	record FAIL "host unit tests" "cargo test failed"
fi

log "soundness audit (make audit)"
if bash "$RVNET_ROOT/scripts/audit.sh" >"$results/audit.out" 2>&1; then
	record PASS "audit: unsafe documented, no unwrap, clippy clean"
else
	record FAIL "audit: unsafe documented, no unwrap, clippy clean" "see below"
	sed 's/^/    | /' "$results/audit.out"
fi

# make install, modinfo and DKMS, into temporary trees (scripts/install-test.sh).
log "make install and DKMS"
while IFS= read -r line; do
	case "$line" in
	PASS:\ *) record PASS "install: ${line#PASS: }" ;;
	SKIP:\ *) why=${line#SKIP: }; record SKIP "install: ${why%%: *}" "${why#*: }" ;;
	FAIL:\ *) why=${line#FAIL: }; record FAIL "install: ${why%%: *}" "${why#*: }" ;;
	*) echo "$line" ;;
	esac
done < <(bash "$RVNET_ROOT/scripts/install-test.sh" 2>&1)

# make run, the README's main command, the way a newcomer runs it: with a cache that has the
# toolchain and the kernel (linked from this one, so nothing is rebuilt) and nothing else, no
# run/ or logs/ directory. It must create what it writes and show what the README shows.
log "make run, from a cache without its run directory"
fresh=$(mktemp -d)
for keep in cargo src kbuild; do
	[ -e "$RVNET_CACHE/$keep" ] && ln -s "$RVNET_CACHE/$keep" "$fresh/$keep"
done
st=0
RVNET_CACHE=$fresh make -s -C "$RVNET_ROOT" run </dev/null >"$results/make-run.out" 2>&1 || st=$?
make_run_shows() {
	local out=$results/make-run.out
	grep -q '^=== cat /proc/driver/network_stats' "$out" &&
		grep -qx '# rvnet network statistics, format 3' "$out" &&
		[ "$(grep -c '^device: LNRO0005:0[01]$' "$out")" = 2 ] &&
		grep -Eq '^tcp ab: 8 MiB, md5 ([0-9a-f]+) .* -> \1 ' "$out" &&
		grep -q 'interfaces and /proc/driver/network_stats removed' "$out" &&
		[ -f "$fresh/run/run.log" ]
}
if [ "$st" = 0 ] && make_run_shows; then
	record PASS "make run: works from a cache without run/, shows procfs and the TCP copy"
else
	record FAIL "make run: works from a cache without run/, shows procfs and the TCP copy" "status $st"
	tail -n 30 "$results/make-run.out" | sed 's/^/    | /'
fi
mkdir -p "$RVNET_CACHE/logs/last-test"
cp "$fresh/run/run.log" "$RVNET_CACHE/logs/last-test/make-run.log" 2>/dev/null || true
rm -rf "$fresh"

# The guest runs: script, layout, extra device properties, backend. The hub strips every
# offload; the tap backend (bridged host taps with vnet headers) is what users run, with
# QEMU's default features, offloads included.
# The legacy layout's data path is exercised by odd/legacy's transfers here; make soak runs
# datapath.sh on it too (it would take make test past its hour).
# "firecracker" for the properties: a device shaped like Firecracker's virtio-net (its
# Net::new_with_tap()): no STATUS, no control queue, no indirect descriptors, no ECN, USO or
# GSO, 256-entry queues; checksums, TSO4/6, UFO, MRG_RXBUF and EVENT_IDX offered.
FIRECRACKER_OPTS=status=off,ctrl_vq=off,ctrl_rx=off,ctrl_vlan=off,ctrl_rx_extra=off
FIRECRACKER_OPTS+=,ctrl_mac_addr=off,ctrl_guest_offloads=off,guest_announce=off,mq=off
FIRECRACKER_OPTS+=,indirect_desc=off,queue_reset=off,gso=off,host_ecn=off,guest_ecn=off
FIRECRACKER_OPTS+=,host_uso=off,guest_uso4=off,guest_uso6=off,rx_queue_size=256,tx_queue_size=256
# "iommu": a confidential VM's NICs: VIRTIO_F_ACCESS_PLATFORM offered (iommu_platform=on) and
# the guest booted with swiotlb=force, so that every buffer the device sees is a bounce buffer
# (SEV-SNP, TDX and CCA guests share only those with the host).
IOMMU_OPTS=iommu_platform=on IOMMU_CMDLINE=swiotlb=force
RUNS="probe legacy - hub
probe modern - hub
datapath modern - hub
datapath modern - tap
datapath modern firecracker tap
datapath modern iommu tap
integrity modern - hub
ctrl modern - hub
odd modern status=off,event_idx=off,host_mtu=9000,mrg_rxbuf=off,ctrl_vq=off hub
odd legacy status=off,event_idx=off,host_mtu=9000,mrg_rxbuf=off,ctrl_mac_addr=off hub
faults modern - hub
reset modern - hub
cmdline modern - hub
own modern - hub
soak modern - hub"

# check_optional_config_reads NAME FILE: FILE, QEMU's virtio_mmio_read trace of a run whose
# NICs offer neither VIRTIO_NET_F_STATUS nor VIRTIO_NET_F_MTU, holds no read of `status`
# (configuration offset 6: register 0x106) or `mtu` (offset 10: 0x10a). The VIRTIO
# specification: the driver MUST check that the feature is offered before accessing that
# part of the configuration space. Both drivers of the run (rvnet, and virtio_net in its
# interop part) must keep to it; the entropy device has no configuration space.
check_optional_config_reads() {
	local name=$1 file=$2 total bad
	total=$(grep -c 'virtio_mmio_read offset' "$file" 2>/dev/null || true)
	bad=$(grep -cE 'virtio_mmio_read offset 0x10[6-7a-b]$' "$file" 2>/dev/null || true)
	if [ "${total:-0}" -gt 0 ] && [ "${bad:-0}" = 0 ]; then
		record PASS "$name: neither status nor mtu read without its feature ($total register reads)"
	else
		record FAIL "$name: neither status nor mtu read without its feature" \
			"${bad:-?} reads of status or mtu in ${total:-0} register reads ($file)"
	fi
}

# check_failed_status NAME TRACE OUT: TRACE, QEMU's virtio-mmio trace of faults.sh's run, whose
# guest output OUT says how many of its failed probes had begun the status handshake: each of
# them must have written FAILED (0x80, alone: after a reset) to the status register (0x70), and
# nothing else may have (the VIRTIO specification, 3.1.1: the driver sets FAILED when it gives
# up on a device).
check_failed_status() {
	local name=$1 trace=$2 out=$3 want got
	want=$(tr -d '\r' <"$out" | sed -n 's/^probe: \([0-9]*\) failed probes had begun the status handshake$/\1/p')
	got=$(grep -c 'virtio_mmio_write offset 0x70 value 0x80$' "$trace" 2>/dev/null || true)
	if [ -n "$want" ] && [ "$want" -gt 0 ] && [ "${got:-0}" = "$want" ]; then
		record PASS "$name: every probe that gave up left the device FAILED ($got)"
	else
		record FAIL "$name: every probe that gave up left the device FAILED" \
			"${got:-0} writes of FAILED for ${want:-no} failed probes ($trace)"
	fi
}

while read -r script layout opts backend; do
	[ "$opts" = - ] && opts=
	shape=
	cmdline=
	[ "$opts" = firecracker ] && shape=firecracker opts=$FIRECRACKER_OPTS
	[ "$opts" = iommu ] && shape=iommu opts=$IOMMU_OPTS cmdline=$IOMMU_CMDLINE
	name="$script/$layout"
	[ "$backend" = hub ] || name+="/$backend"
	[ -z "$shape" ] || name+="/$shape"
	# The files of this run: results/<tag>.out and .log.
	tag="$script-$layout-$backend${shape:+-$shape}"
	# own.sh boots a guest with rvnet installed by make install and kmod's modprobe.
	run_initrd=$initrd
	if [ "$script" = own ]; then
		run_initrd=$results/own.cpio.gz
		RVNET_INSTALLED=1 bash "$RVNET_ROOT/scripts/initramfs.sh" "$run_initrd" ||
			{ record FAIL "$name: the installed guest's initramfs" "scripts/initramfs.sh failed"; continue; }
	fi
	# The tap backend makes a network namespace with tap devices: root only. Without it the
	# run is skipped, not passed; the hub runs still cover the data path, without offloads.
	if [ "$backend" = tap ] && [ "$(id -u)" != 0 ]; then
		record SKIP "$name: the whole run" "the tap backend needs root (a network namespace with tap devices)"
		continue
	fi
	# odd.sh also meets a virtio-blk device; integrity.sh moves 64 MiB and 25,000 datagrams
	# here (make soak: 1 GiB and 200,000); soak.sh does 15 rounds (make soak: 1,000); reset.sh
	# breaks a device under traffic 3 times (make soak: 100, on both layouts). make soak also
	# runs ctrl.sh and reset.sh on the legacy layout. (With 128 MiB, 30 rounds and reset.sh on
	# both layouts, make test took 68 min 20 s at 3881da7 on a slower host, and without them
	# 67 min 25 s at e665e03 on the same kind: docs/testing.md says where the time goes.)
	devices= args=$layout
	[ "$script" = odd ] && devices="--devices rng,blk"
	[ "$script" = integrity ] && args="$layout 64 25000"
	[ "$script" = soak ] && args="$layout 15"
	[ "$script" = reset ] && args="$layout 3"
	[ -z "$shape" ] || args="$layout $shape"
	# cmdline.sh: a machine without ACPI, whose devices are on the kernel command line.
	acpi=on
	[ "$script" = cmdline ] && acpi=off
	# The Firecracker-shaped device offers neither STATUS nor MTU: its register reads are
	# recorded, and no driver may read those optional configuration fields. Under fault
	# injection, the status writes are: every probe that gave up must leave FAILED.
	trace=
	[ "$shape" = firecracker ] || [ "$script" = faults ] && trace=$results/$tag.mmio-trace
	log "QEMU: $name${opts:+ ($opts)}"
	out="$results/$tag.out"
	st=0
	bash "$RVNET_ROOT/scripts/boot.sh" --layout "$layout" --script "$script" \
		--initrd "$run_initrd" --log "$results/$tag.log" --timeout 900 \
		--args "$args" --backend "$backend" --acpi "$acpi" ${opts:+--nic-opts "$opts"} $devices \
		${trace:+--mmio-trace "$trace"} ${cmdline:+--cmdline "$cmdline"} </dev/null >"$out" 2>&1 || st=$?
	[ "$shape" != firecracker ] || check_optional_config_reads "$name" "$trace"
	[ "$script" != faults ] || check_failed_status "$name" "$trace" "$out"
	# Each guest check is one test.
	while IFS= read -r line; do
		case "$line" in
		PASS:\ *) record PASS "$name: ${line#PASS: }" ;;
		FAIL:\ *) why=${line#FAIL: }; record FAIL "$name: ${why%%: *}" "${why#*: }" ;;
		esac
	done < <(tr -d '\r' <"$out" | grep -E '^(PASS|FAIL): ')
	# Every guest log is kept (the figures the README quotes are in them), and the summary
	# lines a script prints ("probe: ... points failed", "tcp: ...", "soak: ...") are shown.
	mkdir -p "$RVNET_CACHE/logs/last-test"
	cp "$results/$tag.log" "$RVNET_CACHE/logs/last-test/" 2>/dev/null || true
	tr -d '\r' <"$out" | grep -E '^(probe|module init|tcp|udp|soak): ' | sed 's/^/    /' || true
	# The boot itself: it must end by itself, with the guest's own verdict.
	if [ "$st" = 0 ]; then
		record PASS "$name: guest finished cleanly"
	else
		record FAIL "$name: guest finished cleanly" "boot.sh status $st"
		tail -n 40 "$out" | sed 's/^/    | /'
	fi
done <<<"$RUNS"

# The kernel's own netdev driver selftests (make kselftest): the in-tree driver on both NICs
# as the self-check, then rvnet against it (make kselftest adds rvnet on both NICs; 8 more
# minutes that CI's 90 do not leave room for). One test per run and selftest case: FAIL
# for any problem scripts/kselftest-report.py finds in it (a failing case, or one the in-tree
# driver passes and rvnet does not, unless qemu/kselftest/expected-failures names the missing
# feature), PASS for a case that passed, SKIP for one the kselftest skipped (or an expected
# failure, listed): a skip is never counted as a pass. Plus one test per run for the guest
# (it finished, no checker report). The self-check runs no rvnet code: when one with the same
# image, kernel and QEMU has finished before, its log is reused (5 minutes; make kselftest
# always runs it).
log "kselftest (make kselftest)"
ksft_st=0
RUNS="selfcheck rvnet-c" TESTS=quick KSFT_REUSE_SELFCHECK=1 \
	bash "$RVNET_ROOT/scripts/kselftest.sh" >"$results/kselftest.out" 2>&1 ||
	ksft_st=$?
ksft_json=$RVNET_CACHE/kselftest/results.json
if [ -f "$ksft_json" ] && [ "$ksft_json" -nt "$results/cargo.out" ]; then
	while IFS=$'\t' read -r verdict name why; do
		record "$verdict" "$name" "$why"
	done < <(python3 - "$ksft_json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for run, v in r["runs"].items():
    tests = list(v["tests"])
    if not tests:
        print("FAIL", f"kselftest/{run}: tests ran", "no test ran", sep="\t")
    mine_all = set()
    for case, res in v["cases"].items():
        mine = [p for p in r["problems"] if p.startswith(f"{run}: {case} ")]
        mine_all.update(mine)
        if mine:
            verdict, why = "FAIL", "; ".join(mine)
        elif res == "pass":
            verdict, why = "PASS", ""
        elif res == "fail":
            verdict, why = "SKIP", "fails, listed in expected-failures"
        else:
            verdict, why = "SKIP", res
        print(verdict, f"kselftest/{run}: {case}", why, sep="\t")
    other = [p for p in r["problems"] if p.startswith(f"{run}: ") and p not in mine_all]
    print("FAIL" if other else "PASS", f"kselftest/{run}: guest finished, no checker report",
          "; ".join(other), sep="\t")
PY
	)
	mkdir -p "$RVNET_CACHE/logs/last-test"
	cp "$RVNET_CACHE"/kselftest/logs/*.log "$RVNET_CACHE/kselftest/results.md" \
		"$RVNET_CACHE/logs/last-test/" 2>/dev/null || true
	sed -n '/^| run /,/^$/p' "$RVNET_CACHE/kselftest/results.md" | sed 's/^/    /'
fi
[ "$ksft_st" = 0 ] && record PASS "kselftest: make kselftest passed" ||
	{ record FAIL "kselftest: make kselftest passed" "status $ksft_st"; tail -n 30 "$results/kselftest.out" | sed 's/^/    | /'; }

secs=$(( $(date +%s) - started ))
log "make test took $((secs / 60)) min $((secs % 60)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
