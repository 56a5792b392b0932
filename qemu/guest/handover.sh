#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A Firecracker-shaped guest (make firecracker: qemu/firecracker.config, QEMU microvm,acpi=off):
# virtio_mmio and virtio_net built in have bound every device from the kernel command line at
# boot. rvnet is loaded and takes the network cards over through sysfs, as docs/deploying.md
# says (unbind, driver_override, drivers_probe); the entropy device stays with virtio_mmio.
# Then traffic both ways, and rmmod.
. /rvnet/lib.sh

owner() { basename "$(readlink "/sys/bus/platform/devices/$1/driver" 2>/dev/null)"; }
# The platform devices virtio_mmio made from the command line whose virtio device is a NIC.
nics() {
	local d
	for d in /sys/bus/platform/devices/virtio-mmio.*; do
		[ "$(cat "$d"/virtio*/device 2>/dev/null)" = 0x0001 ] && basename "$d"
	done
}
handover() { # handover DEV: from virtio_mmio to rvnet
	echo "$1" >"/sys/bus/platform/devices/$1/driver/unbind" &&
		echo rvnet >"/sys/bus/platform/devices/$1/driver_override" &&
		echo "$1" >/sys/bus/platform/drivers_probe
}

echo "kernel: $(uname -r); ACPI: $([ -d /sys/firmware/acpi ] && echo yes || echo no)"
echo "devices: $(for d in /sys/bus/platform/devices/virtio-mmio.*; do printf '%s=%s ' "$(basename "$d")" "$(owner "$(basename "$d")")"; done)"
NICS=$(nics | tr '\n' ' ')
check "two NICs on the command line, bound by the built-in virtio_mmio" sh -c \
	"[ \"$(echo $NICS | wc -w)\" = 2 ] && for n in $NICS; do [ \"\$(basename \$(readlink /sys/bus/platform/devices/\$n/driver))\" = virtio-mmio ] || exit 1; done"
check "insmod rvnet (the built-in virtio_mmio holds every device: rvnet binds nothing)" \
	sh -c "insmod /lib/modules/rvnet.ko && [ \"$(ls -d /sys/bus/platform/drivers/rvnet/virtio-mmio.* 2>/dev/null | wc -l)\" = 0 ]"
for n in $NICS; do
	check "$n handed over to rvnet" handover "$n"
	check "$n is rvnet's" test "$(owner "$n")" = rvnet
done
RNG=$(for d in /sys/bus/platform/devices/virtio-mmio.*; do
	[ "$(cat "$d"/virtio*/device 2>/dev/null)" = 0x0004 ] && basename "$d"; done)
check "the entropy device stays with virtio_mmio" test "$(owner "$RNG")" = virtio-mmio
check "interfaces up, B in its namespace" setup_pair
check "ping A -> B" ping -c 3 -W 5 $IP_B
check "TCP 8 MiB A -> B, checksums match" tcp_copy ab 8
check "TCP 8 MiB B -> A, checksums match" tcp_copy ba 8
check "rmmod rvnet" rmmod rvnet
check_dmesg_clean "no kernel warnings"
finish
