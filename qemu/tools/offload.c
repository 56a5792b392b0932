// SPDX-License-Identifier: GPL-2.0
/*
 * offload IFACE                       prints "sg=<0|1> tx=<0|1> tso=<0|1>"
 * offload IFACE sg|tx|tso on|off      turns one transmit offload on or off
 * offload IFACE rings                 prints "rx=<size> tx=<size>", the ring sizes in use
 *
 * What `ethtool -k` / `ethtool -K IFACE sg|tx|tso on|off` do, through the ethtool ioctl's
 * legacy commands (ETHTOOL_[GS]SG, ETHTOOL_[GS]TXCSUM, ETHTOOL_[GS]TSO), which the core maps
 * onto the device's features (NETIF_F_SG, the checksum features, NETIF_F_ALL_TSO); the ring
 * sizes are `ethtool -g`'s (ETHTOOL_GRINGPARAM). The guest
 * has no ethtool binary. Exits 0 on success, 1 when the kernel refused, 2 on a usage error.
 * Built static by scripts/initramfs.sh for the guest.
 */
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct {
	const char *name;
	__u32 get, set;
} offloads[] = {
	{ "sg", ETHTOOL_GSG, ETHTOOL_SSG },
	{ "tx", ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM },
	{ "tso", ETHTOOL_GTSO, ETHTOOL_STSO },
};

/* One SIOCETHTOOL request on IFACE; CMD is the ethtool structure, its command set. */
static int ethtool_ioctl(int fd, const char *iface, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -1 : 0;
}

static int ethtool(int fd, const char *iface, __u32 cmd, __u32 *data)
{
	struct ethtool_value v = { .cmd = cmd, .data = *data };

	if (ethtool_ioctl(fd, iface, &v))
		return -1;
	*data = v.data;
	return 0;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s IFACE [sg|tx|tso on|off | rings]\n", prog);
	return 2;
}

static int rings(int fd, const char *iface)
{
	struct ethtool_ringparam r = { .cmd = ETHTOOL_GRINGPARAM };

	if (ethtool_ioctl(fd, iface, &r)) {
		perror("rings");
		return 1;
	}
	printf("rx=%u tx=%u\n", r.rx_pending, r.tx_pending);
	return 0;
}

int main(int argc, char **argv)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned int i;
	__u32 val;

	if (fd < 0 || (argc != 2 && argc != 3 && argc != 4))
		return usage(argv[0]);
	if (argc == 3)
		return strcmp(argv[2], "rings") ? usage(argv[0]) : rings(fd, argv[1]);
	if (argc == 2) {
		for (i = 0; i < sizeof(offloads) / sizeof(offloads[0]); i++) {
			val = 0;
			if (ethtool(fd, argv[1], offloads[i].get, &val)) {
				perror(offloads[i].name);
				return 1;
			}
			printf("%s%s=%u", i ? " " : "", offloads[i].name, val ? 1 : 0);
		}
		printf("\n");
		return 0;
	}
	for (i = 0; i < sizeof(offloads) / sizeof(offloads[0]); i++) {
		if (strcmp(argv[2], offloads[i].name))
			continue;
		if (strcmp(argv[3], "on") && strcmp(argv[3], "off"))
			break;
		val = !strcmp(argv[3], "on");
		if (ethtool(fd, argv[1], offloads[i].set, &val)) {
			perror(argv[2]);
			return 1;
		}
		return 0;
	}
	return usage(argv[0]);
}
