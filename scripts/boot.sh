#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the test kernel in a QEMU microvm and run one guest script, qemu/guest/NAME.sh.
#
# Usage: scripts/boot.sh --layout legacy|modern --script NAME [--timeout SEC] [--log FILE]
#                        [--initrd FILE] [--kernel FILE] [--args "WORD..."] [--devices rng,blk]
#                        [--acpi on|off] [--plugin FILE[,ARG=VALUE...]] [--mmio-trace FILE]
#                        [--cmdline "WORD..."]
#
#   --layout   virtio-mmio register layout: legacy (version 1) or modern (version 2)
#   --script   the guest runs /rvnet/NAME.sh (from qemu/guest/NAME.sh)
#   --args     words passed to the script as its arguments (no double quotes)
#   --cmdline  more words for the guest kernel's command line, e.g. "swiotlb=force"
#   --nic-opts extra virtio-net-device properties for both NICs, e.g. "status=off,event_idx=off"
#   --devices  the non-net virtio devices after the NICs, in order (default rng): rng, blk
#              (a virtio-blk-device on a 1 MiB scratch image)
#   --host-stats FILE   where the bench guest's marks go: for each "RVNET-HOST mark DRIVER
#              ROUND TEST begin|end" line, "MARK DRIVER ROUND TEST begin|end" and the CPU
#              time of each QEMU thread then (scripts/qemu-threads.py)
#   --backend  how the two NICs are joined (default hub):
#              hub  QEMU hub ports: a wire with no vnet header, so QEMU strips every offload
#                   (CSUM, GUEST_CSUM, TSO, ECN, UFO, USO) from the devices;
#              tap  what users run: a tap device with vnet_hdr per NIC, on a bridge, in a
#                   private network namespace on the host (scripts/tapns.sh; root,
#                   /dev/net/tun and iproute2 needed), with the host side at 10.0.0.254.
#                   QEMU runs in that namespace, and it goes when QEMU ends. The devices
#                   offer QEMU's default features, offloads included. $TAPNS_HOST_CMD runs
#                   in the namespace beside QEMU (a host-side endpoint; unset: a UDP echo at
#                   10.0.0.254:6666; empty: none).
#   --plugin   a TCG plugin for QEMU, "FILE[,ARG=VALUE...]" (QEMU's -plugin), e.g. rvnet's
#              counting plugin (scripts/cost-plugin.sh)
#   --mmio-trace FILE   QEMU's virtio_mmio_read and virtio_mmio_write_offset trace events into
#              FILE: a line "virtio_mmio_read offset 0xN" for every register read of a
#              virtio-mmio device, "virtio_mmio_write offset 0xN value 0xV" for every write
#   --acpi     on (default) or off: without ACPI the guest finds no LNRO0005 devices, and
#              QEMU appends a virtio_mmio.device=<size>@<base>:<irq> entry per virtio device
#              to the kernel command line instead, as Firecracker does
#   --timeout  seconds before QEMU is killed (default 300)
#   --log      where the serial log goes (default: a new temporary directory); it is also
#              streamed to stdout
#   --kernel   default: the test kernel's bzImage ($KDIR/arch/x86/boot/bzImage)
#   --initrd   default: a fresh scripts/initramfs.sh build, next to the log
#
# QEMU_CPU (default max) is QEMU's CPU model, e.g. "max,fsrm=off".
#
# Exit status: the guest's "RVNET-EXIT <status>", 124 if the timeout killed QEMU, 125 if
# QEMU ended without the marker (kernel panic, QEMU error).
#
# The machine: microvm, TCG, 2 vCPUs, 1 GiB, ACPI; nothing but the serial console and
# three virtio-mmio devices, created in this order:
#
#   NIC A  virtio-net-device  52:54:00:12:34:01  backend n0 (hub port, or tap rvtap0)  guest: LNRO0005:00
#   NIC B  virtio-net-device  52:54:00:12:34:02  backend n1 (hub port, or tap rvtap1)  guest: LNRO0005:01
#   RNG    virtio-rng-device                                      guest: LNRO0005:02
#   BLK    virtio-blk-device (with --devices rng,blk)             guest: LNRO0005:03
#
# (QEMU gives the first device the last transport, ACPI \_SB.VR23, the next one VR22, and
# the guest numbers the LNRO0005 devices in that order.) With the hub backend the NICs are
# the only ports of one QEMU hub, a wire between them; nothing leaves the VM (QEMU warns
# that the hub "is not connected to host network"). With the tap backend they are ports of
# a bridge in a network namespace of their own on the host (see --backend).
#
# Link control: a guest line "RVNET-HOST set_link n0|n1 on|off" on the console makes the host
# send that command to QEMU's monitor (n0 is NIC A's backend, n1 NIC B's): the device then
# flips its link status bit and raises a configuration-change interrupt, as a cable would.
# "RVNET-HOST announce_self" sends announce_self: a device with GUEST_ANNOUNCE negotiated then
# sets VIRTIO_NET_S_ANNOUNCE and raises the same interrupt, as after a live migration.
# Nothing else a guest prints reaches the monitor.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	sed -n 's/^# \?//; 5,43p' "$0" >&2
	exit 2
}

LAYOUT= SCRIPT= TIMEOUT=300 LOG= INITRD= KERNEL= ARGS= NIC_OPTS= DEVICES=rng BACKEND=hub ACPI=on
HOST_STATS= PLUGIN= MMIO_TRACE= CMDLINE=
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case $1 in
	--layout) LAYOUT=$2 ;;
	--script) SCRIPT=$2 ;;
	--timeout) TIMEOUT=$2 ;;
	--log) LOG=$2 ;;
	--initrd) INITRD=$2 ;;
	--kernel) KERNEL=$2 ;;
	--args) ARGS=$2 ;;
	--nic-opts) NIC_OPTS=$2 ;;
	--devices) DEVICES=$2 ;;
	--backend) BACKEND=$2 ;;
	--acpi) ACPI=$2 ;;
	--host-stats) HOST_STATS=$2 ;;
	--plugin) PLUGIN=$2 ;;
	--mmio-trace) MMIO_TRACE=$2 ;;
	--cmdline) CMDLINE=$2 ;;
	*) usage ;;
	esac
	shift 2
done
case $LAYOUT in
legacy) FORCE_LEGACY=true ;;
modern) FORCE_LEGACY=false ;;
*) usage ;;
esac
[ -n "$SCRIPT" ] || usage
case $ACPI in on | off) ;; *) die "--acpi: on or off, not '$ACPI'" ;; esac
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout wants seconds, not '$TIMEOUT'"
[[ $ARGS != *\"* ]] || die "--args cannot hold double quotes"
[[ $CMDLINE != *\"* ]] || die "--cmdline cannot hold double quotes"

KDIR=${KDIR:-$(kbuild_dir test)}
KERNEL=${KERNEL:-$KDIR/arch/x86/boot/bzImage}
[ -f "$KERNEL" ] || die "no kernel $KERNEL: build it with make kernel"
if [ -z "$LOG" ] || [ -z "$INITRD" ] || [[ $DEVICES == *blk* ]]; then
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/rvnet-boot.XXXXXX")
	LOG=${LOG:-$TMP/serial.log}
fi
if [ -z "$INITRD" ]; then
	[ -f "$RVNET_ROOT/qemu/guest/$SCRIPT.sh" ] || die "no guest script qemu/guest/$SCRIPT.sh"
	INITRD=$TMP/initramfs.cpio.gz
	"$RVNET_ROOT/scripts/initramfs.sh" "$INITRD"
fi
mkdir -p "$(dirname "$LOG")"

# tsc_early_khz: TCG has no way to calibrate the TSC and SMP bring-up hangs without it.
# panic=-1 with -no-reboot: a panicking guest ends QEMU at once (status 125).
APPEND="console=ttyS0 loglevel=7 printk.devkmsg=on tsc_early_khz=2600000 panic=-1"
# Without ACPI the kernel has no reset register to reboot with, and microvm has no keyboard
# controller: a triple fault ends the guest (and QEMU, with -no-reboot) instead.
[ "$ACPI" = on ] || APPEND+=" reboot=t"
APPEND+="${CMDLINE:+ $CMDLINE}"
APPEND+=" rvnet.layout=$LAYOUT rvnet.backend=$BACKEND rvnet.script=$SCRIPT${ARGS:+ rvnet.args=\"$ARGS\"}"
# The NICs' backends; with tap, QEMU runs inside the namespace scripts/tapns.sh sets up.
RUNNER=()
case $BACKEND in
hub) NETDEVS=(-netdev hubport,id=n0,hubid=0 -netdev hubport,id=n1,hubid=0) ;;
tap)
	[ "$(id -u)" = 0 ] || die "--backend tap needs root (a network namespace and tap devices)"
	[ -c /dev/net/tun ] || die "--backend tap needs /dev/net/tun"
	command -v ip >/dev/null && command -v unshare >/dev/null ||
		die "--backend tap needs ip (iproute2) and unshare (util-linux)"
	NETDEVS=(-netdev tap,id=n0,ifname=rvtap0,script=no,downscript=no,vnet_hdr=on
		-netdev tap,id=n1,ifname=rvtap1,script=no,downscript=no,vnet_hdr=on)
	RUNNER=(unshare -n -- bash "$RVNET_ROOT/scripts/tapns.sh") ;;
*) die "--backend: hub or tap, not '$BACKEND'" ;;
esac
# debug-threads names QEMU's threads ("CPU 0/TCG", ...), for the bench's per-thread CPU times.
QEMU=(qemu-system-x86_64 -name rvnet,debug-threads=on -M microvm,acpi=$ACPI -cpu "${QEMU_CPU:-max}" -smp 2 -m 1G
	-nodefaults -no-user-config -display none -no-reboot -serial stdio
	-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND"
	-global virtio-mmio.force-legacy=$FORCE_LEGACY
	"${NETDEVS[@]}"
	-device virtio-net-device,netdev=n0,mac=52:54:00:12:34:01${NIC_OPTS:+,$NIC_OPTS}
	-device virtio-net-device,netdev=n1,mac=52:54:00:12:34:02${NIC_OPTS:+,$NIC_OPTS})
[ -z "$PLUGIN" ] || QEMU+=(-plugin "$PLUGIN")
[ -z "$MMIO_TRACE" ] ||
	QEMU+=(-trace virtio_mmio_read -trace virtio_mmio_write_offset -D "$MMIO_TRACE")
for dev in ${DEVICES//,/ }; do
	case $dev in
	rng) QEMU+=(-device virtio-rng-device) ;;
	blk) truncate -s 1M "$TMP/scratch.img"
		QEMU+=(-drive "if=none,id=blk0,format=raw,file=$TMP/scratch.img"
			-device virtio-blk-device,drive=blk0) ;;
	*) die "--devices: no device '$dev' (rng, blk)" ;;
	esac
done

# The monitor, for the guest's link commands (see above), on a socket of our own.
MON_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rvnet-mon.XXXXXX")
MON=$MON_DIR/monitor.sock
QEMU+=(-monitor "unix:$MON,server=on,wait=off")
: >"$LOG"
# relay_link_commands: follows the log, sends each whitelisted command to the monitor, and
# records QEMU's per-thread CPU time at each bench mark (--host-stats).
relay_link_commands() {
	local qemu_pid
	tail --pid=$$ -n +1 -F "$LOG" 2>/dev/null |
		grep --line-buffered -oE 'RVNET-HOST (set_link n[01] (on|off)|announce_self|mark [a-z0-9_]+ [0-9]+ [a-z0-9_]+ (begin|end))' |
		while read -r _ cmd a b c d; do
			case $cmd in
			set_link | announce_self)
				python3 - "$MON" "$cmd${a:+ $a $b}" <<'PY' || log "boot: monitor command '$cmd $a $b' failed"
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
time.sleep(0.3)
s.close()
PY
				;;
			mark)
				[ -n "$HOST_STATS" ] || continue
				qemu_pid=$(pgrep -f "^qemu-system-x86_64 .*$MON" | head -n1)
				[ -n "$qemu_pid" ] || continue
				echo "MARK $a $b $c $d $(python3 "$RVNET_ROOT/scripts/qemu-threads.py" "$qemu_pid")" \
					>>"$HOST_STATS"
				;;
			esac
		done
}
relay_link_commands &
relay=$!
trap 'rm -rf "$MON_DIR"; pkill -P $relay 2>/dev/null || true; kill $relay 2>/dev/null || true' EXIT

log "boot: $SCRIPT ($LAYOUT layout, $BACKEND backend${NIC_OPTS:+, $NIC_OPTS}, timeout ${TIMEOUT}s), log in $LOG"
start=$(date +%s)
# The serial console ends its lines with \r\n: keep the log plain text.
set +e
timeout --foreground -k 10 "$TIMEOUT" "${RUNNER[@]}" "${QEMU[@]}" </dev/null 2>&1 |
	sed -u 's/\r$//' | tee -a "$LOG"
qemu_status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))

if [ "$BACKEND" = tap ] && [ "$qemu_status" = 125 ] && grep -q '^\[rvnet\] tap backend: ' "$LOG"; then
	log "boot: $SCRIPT: the tap backend could not be set up (see above)"
	exit 125
fi
if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
	log "boot: $SCRIPT: timed out after ${TIMEOUT}s (log: $LOG)"
	exit 124
fi
marker=$(grep -ao 'RVNET-EXIT [0-9]*' "$LOG" | tail -n1 || true)
if [ -z "$marker" ]; then
	log "boot: $SCRIPT: QEMU ended (status $qemu_status) without RVNET-EXIT (log: $LOG)"
	exit 125
fi
status=${marker#RVNET-EXIT }
log "boot: $SCRIPT: exit status $status after ${elapsed}s (log: $LOG)"
exit "$status"
