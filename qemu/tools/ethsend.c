// SPDX-License-Identifier: GPL-2.0
/*
 * ethsend IFACE DST_MAC COUNT [VLAN]
 *
 * Sends COUNT Ethernet frames to DST_MAC out of IFACE (a packet socket: no ARP, no routing),
 * 60 bytes each, of the local experimental EtherType 0x88b5, tagged with 802.1Q VLAN VLAN if
 * given. The control-queue test (qemu/guest/ctrl.sh) sends them from one NIC and counts what
 * the other's device lets through its receive filter.
 *
 * Exits 0 when every frame was sent, 1 when one was not, 2 on a usage or setup error. Built
 * static by scripts/initramfs.sh for the guest.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ETHERTYPE_EXPERIMENTAL 0x88b5
#define FRAME_LEN 60

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s IFACE DST_MAC COUNT [VLAN]\n", prog);
	return 2;
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = b[i];
	}
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	*out = strtoul(s, &end, 10);
	return *s && !*end && *out <= max ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned char frame[FRAME_LEN] = { 0 }, dst[6];
	unsigned long count, vlan = 0;
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_halen = 6 };
	size_t off = 12;
	int fd;

	if (argc < 4 || argc > 5 || parse_mac(argv[2], dst) || parse_uint(argv[3], 1000000, &count) ||
	    (argc == 5 && (parse_uint(argv[4], 4094, &vlan) || vlan == 0)))
		return usage(argv[0]);
	to.sll_ifindex = if_nametoindex(argv[1]);
	if (!to.sll_ifindex) {
		perror(argv[1]);
		return 2;
	}
	memcpy(to.sll_addr, dst, 6);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return 2;
	}
	/* Destination, then the source: the device fills nothing in, any unicast will do. */
	memcpy(frame, dst, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\xee", 6);
	if (vlan) {
		frame[off++] = 0x81;
		frame[off++] = 0x00;
		frame[off++] = vlan >> 8;
		frame[off++] = vlan & 0xff;
	}
	frame[off++] = ETHERTYPE_EXPERIMENTAL >> 8;
	frame[off++] = ETHERTYPE_EXPERIMENTAL & 0xff;
	for (unsigned long i = 0; i < count; i++) {
		if (sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&to, sizeof(to)) !=
		    sizeof(frame)) {
			perror("sendto");
			return 1;
		}
		usleep(10000);
	}
	close(fd);
	return 0;
}
