#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Boot-time ownership, as a guest with rvnet installed has it: rvnet installed by `make install`
# beside the kernel's virtio_mmio (the tree /own, made by scripts/initramfs.sh with
# RVNET_INSTALLED=1), modules loaded by kmod's modprobe from each device's modalias, as udev
# loads them, all at once. Both modules match every virtio-mmio device; with the installed
# /etc/modprobe.d/rvnet.conf (softdep virtio_mmio pre: rvnet), rvnet must own both NICs and
# virtio_mmio the entropy device, every time. Without that file and virtio_mmio loaded first,
# virtio_mmio takes the NICs: the file is what decides.
. /rvnet/lib.sh

MODPROBE="/kmod/modprobe -d /own"
CONF=/own/etc/modprobe.d
NICS="LNRO0005:00 LNRO0005:01"
RNG=LNRO0005:02

owner() { basename "$(readlink "/sys/bus/platform/devices/$1/driver" 2>/dev/null)"; }
owners() { echo "owners: $(for d in $NICS $RNG; do printf "%s=%s " $d "$(owner $d)"; done)"; }
nics_by() { local d; for d in $NICS; do [ "$(owner $d)" = "$1" ] || return 1; done; }
unload_all() {
	$MODPROBE -C $CONF -r rvnet 2>/dev/null
	$MODPROBE -C $CONF -r virtio_mmio 2>/dev/null
	for m in virtio_net net_failover failover virtio_mmio rvnet virtio_ring virtio; do
		rmmod $m 2>/dev/null
	done
	[ -z "$(owner LNRO0005:00)$(owner LNRO0005:01)$(owner $RNG)" ]
}
# As udev: one modprobe per device, by its modalias, all at once.
udev_load() { # udev_load CONFIG
	local d pids=
	for d in /sys/bus/platform/devices/*; do
		[ -r "$d/modalias" ] || continue
		$MODPROBE -C "$1" -q "$(cat "$d/modalias")" &
		pids="$pids $!"
	done
	wait $pids
}

check "kmod's modprobe runs, and knows rvnet's aliases" sh -c \
	"$MODPROBE -C $CONF -R acpi:LNRO0005: | grep -qx rvnet"
echo "modalias of $NICS $RNG: $(cat /sys/bus/platform/devices/LNRO0005:00/modalias)"

# Without rvnet's file, virtio_mmio first: it takes the NICs.
check "without rvnet.conf, virtio_mmio loaded first" $MODPROBE -C /dev/null virtio_mmio
owners
check "without rvnet.conf: virtio_mmio owns the NICs" nics_by virtio-mmio
check "everything unloaded" unload_all

# With it, five times, every device's modalias at once.
for round in 1 2 3 4 5; do
	udev_load $CONF
	owners
	check "round $round: rvnet owns both NICs" nics_by rvnet
	check "round $round: virtio_mmio owns the entropy device" test "$(owner $RNG)" = virtio-mmio
	check "round $round: two rvnet interfaces" test "$(bound_count)" = 2
	check "round $round: everything unloaded" unload_all
done

# Only virtio_mmio asked for (a device list where a NIC came last, or a user): rvnet still first.
check "with rvnet.conf, modprobe virtio_mmio alone" $MODPROBE -C $CONF virtio_mmio
owners
check "with rvnet.conf: rvnet owns both NICs, loaded before virtio_mmio" nics_by rvnet
check "everything unloaded at the end" unload_all
check_dmesg_clean "no kernel warnings, lockdep or DMA-API reports"
finish
