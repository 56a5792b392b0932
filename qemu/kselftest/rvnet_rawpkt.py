#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw Ethernet frames for rvnet_xdp.sh (AF_PACKET), and a count of loaded BPF programs.

  rvnet_rawpkt.py send IFACE DST_MAC ETHERTYPE COUNT LEN
      sends COUNT frames of LEN payload bytes ('a'..'z' repeated), EtherType ETHERTYPE (hex)
  rvnet_rawpkt.py recv IFACE ETHERTYPE SECONDS
      prints "src dst length first-payload-byte" for each frame of ETHERTYPE that IFACE
      receives within SECONDS, then "count N"
  rvnet_rawpkt.py echo IFACE DST_MAC ETHERTYPE COUNT LEN SECONDS
      sends as "send" and counts the frames of ETHERTYPE addressed back to IFACE, with the
      payload it sent, within SECONDS; prints "count N"
  rvnet_rawpkt.py progs
      prints how many BPF programs the kernel holds (bpf(BPF_PROG_GET_NEXT_ID) from 0 on)
"""

import ctypes
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def mac_bytes(mac):
    return bytes(int(b, 16) for b in mac.split(":"))


def mac_str(raw):
    return ":".join(f"{b:02x}" for b in raw)


def open_socket(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    # Room for every frame of a burst (SO_RCVBUFFORCE: the test runs as root), so that what
    # is counted is what the NIC delivered, not what the socket had room for.
    s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
    s.bind((iface, 0))
    return s


def frames(s, iface, proto, seconds):
    """Yields the frames of `proto` that `iface` receives (not those it sends)."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        s.settimeout(left)
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            return
        # addr[2]: the packet type; PACKET_OUTGOING (4) is our own.
        if addr[2] == socket.PACKET_OUTGOING or len(data) < 14:
            continue
        if int.from_bytes(data[12:14], "big") == proto:
            yield data


def send(s, iface, dst, proto, count, length):
    src = open(f"/sys/class/net/{iface}/address").read().strip()
    payload = bytes(ord("a") + i % 26 for i in range(length))
    frame = mac_bytes(dst) + mac_bytes(src) + proto.to_bytes(2, "big") + payload
    for _ in range(count):
        s.send(frame)
    return src, payload


SYS_BPF = 321  # x86_64
BPF_PROG_GET_NEXT_ID = 11


def count_progs():
    """Walks the kernel's program ids: the number of programs loaded."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    n, prog_id = 0, 0
    while True:
        # union bpf_attr: start_id, next_id, open_flags.
        attr = ctypes.create_string_buffer(struct.pack("III", prog_id, 0, 0), 128)
        if libc.syscall(SYS_BPF, BPF_PROG_GET_NEXT_ID, attr, 128) != 0:
            return n
        prog_id = struct.unpack_from("III", attr.raw)[1]
        n += 1


def main():
    if sys.argv[1] == "progs":
        print(count_progs())
        return
    cmd, iface = sys.argv[1], sys.argv[2]
    s = open_socket(iface)
    if cmd == "send":
        send(s, iface, sys.argv[3], int(sys.argv[4], 16), int(sys.argv[5]), int(sys.argv[6]))
    elif cmd == "recv":
        n = 0
        for f in frames(s, iface, int(sys.argv[3], 16), float(sys.argv[4])):
            first = chr(f[14]) if len(f) > 14 else "-"
            print(mac_str(f[6:12]), mac_str(f[0:6]), len(f), first)
            n += 1
        print("count", n)
    elif cmd == "echo":
        proto, count = int(sys.argv[4], 16), int(sys.argv[5])
        src, payload = send(s, iface, sys.argv[3], proto, count, int(sys.argv[6]))
        n = sum(1 for f in frames(s, iface, proto, float(sys.argv[7]))
                if mac_str(f[0:6]) == src and mac_str(f[6:12]) == sys.argv[3].lower()
                and f[14:] == payload)
        print("count", n)
    else:
        sys.exit(f"rvnet_rawpkt.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
