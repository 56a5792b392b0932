#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The tap backend of scripts/boot.sh: run as `unshare -n -- tapns.sh CMD...`, so it starts in a
# new, private network namespace, which it fills with
#
#   rvbr0    a bridge, with the host side's address 10.0.0.254/24
#   rvtap0   NIC A's tap (vnet_hdr), a port of rvbr0
#   rvtap1   NIC B's tap (vnet_hdr), a port of rvbr0
#
# The bridge passes frames as they are, without the host's netfilter (br_netfilter).
# The taps and the bridge have the largest MTU they take (65521), so that jumbo frames
# cross, and the namespace has no IPv6: the host side sends nothing of its own (no router
# or neighbour solicitations), and the guests' counters add up as on the hub.
#
# then runs $TAPNS_HOST_CMD in the background there (a host-side endpoint; it is ended when CMD
# ends; by default a UDP echo: each datagram sent to 10.0.0.254:6666 goes back to its sender,
# for datapath.sh's netconsole check to the host side) and execs CMD (QEMU, with -netdev
# tap,ifname=rvtapN,vnet_hdr=on,script=no).
# Nothing outside the namespace is touched, and the namespace, with everything in it, goes
# away when the last process in it ends.
set -euo pipefail

die() { printf '[rvnet] tap backend: %s\n' "$*" >&2; exit 125; }

[ $# -gt 0 ] || die "usage: unshare -n -- $0 CMD..."
# A namespace of our own has nothing but lo: anything else means we are not in one.
[ "$(ip -o link show | grep -cv '^[0-9]*: lo:')" = 0 ] ||
	die "not in a private network namespace (run it under unshare -n)"
ip link set lo up
# Before any interface exists, so that none gets an IPv6 address.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null ||
	true
ip link add rvbr0 type bridge ||
	die "cannot create a bridge (no bridge support in the host kernel?)"
# A plain wire: where the host has br_netfilter, a new namespace's bridges pass IPv4 and IPv6
# through netfilter, which drops a frame with a bad IP header checksum and reassembles
# fragments (gro.py's ip_csum and ip_frag4 cases send such frames on purpose).
for f in /proc/sys/net/bridge/bridge-nf-call-{iptables,ip6tables,arptables}; do
	[ ! -e "$f" ] || echo 0 >"$f" || die "cannot turn off $f"
done
ip link set rvbr0 mtu 65521 up
ip addr add 10.0.0.254/24 dev rvbr0
for tap in rvtap0 rvtap1; do
	ip tuntap add "$tap" mode tap vnet_hdr ||
		die "cannot create $tap (no /dev/net/tun, or no tun support in the host kernel?)"
	ip link set "$tap" mtu 65521 master rvbr0
	ip link set "$tap" up
done
ECHO_PY='import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.254", 6666))
while True:
    data, peer = s.recvfrom(65536)
    s.sendto(data, peer)
'
TAPNS_HOST_CMD=${TAPNS_HOST_CMD-"exec python3 -c $(printf %q "$ECHO_PY")"}
if [ -n "${TAPNS_HOST_CMD:-}" ]; then
	# This shell becomes CMD (exec below): the host-side command ends when it does, so that
	# the namespace, whose last process it would otherwise be, goes too.
	cmd_pid=$$
	(
		bash -c "$TAPNS_HOST_CMD" &
		host=$!
		while kill -0 "$cmd_pid" 2>/dev/null; do sleep 1; done
		kill "$host" 2>/dev/null
	) &
fi
exec "$@"
