// SPDX-License-Identifier: GPL-2.0
/*
 * offload IFACE                       prints "sg=<0|1> tx=<0|1> tso=<0|1>"
 * offload IFACE sg|tx|tso on|off      turns one transmit offload on or off
 * offload IFACE rings                 prints "rx=<size> tx=<size>", the ring sizes in use
 * offload IFACE rings RX TX           asks for rings of RX and TX entries, as `ethtool -G`
 * offload IFACE feature NAME          prints "NAME=<0|1>" for a feature of `ethtool -k`'s names
 * offload IFACE feature NAME on|off   turns it on or off, as `ethtool -K IFACE NAME on|off`
 *
 * What `ethtool -k` / `ethtool -K IFACE sg|tx|tso on|off` do, through the ethtool ioctl's
 * legacy commands (ETHTOOL_[GS]SG, ETHTOOL_[GS]TXCSUM, ETHTOOL_[GS]TSO), which the core maps
 * onto the device's features (NETIF_F_SG, the checksum features, NETIF_F_ALL_TSO); the ring
 * sizes are `ethtool -g`'s (ETHTOOL_GRINGPARAM, and ETHTOOL_SRINGPARAM to set them). Features by name (rx-gro-hw, which has no
 * legacy command) go through ETHTOOL_GFEATURES/SFEATURES, the bit found in the kernel's
 * feature names (ETHTOOL_GSSET_INFO, ETHTOOL_GSTRINGS for ETH_SS_FEATURES). The guest
 * has no ethtool binary. Exits 0 on success, 1 when the kernel refused, 2 on a usage error.
 * Built static by scripts/initramfs.sh for the guest.
 */
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
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
	fprintf(stderr,
		"usage: %s IFACE [sg|tx|tso on|off | rings [RX TX] | feature NAME [on|off]]\n",
		prog);
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

static int set_rings(int fd, const char *iface, const char *rx, const char *tx)
{
	struct ethtool_ringparam r = { .cmd = ETHTOOL_GRINGPARAM };

	if (ethtool_ioctl(fd, iface, &r)) {
		perror("rings");
		return 1;
	}
	r.cmd = ETHTOOL_SRINGPARAM;
	r.rx_pending = strtoul(rx, NULL, 0);
	r.tx_pending = strtoul(tx, NULL, 0);
	if (ethtool_ioctl(fd, iface, &r)) {
		perror("set rings");
		return 1;
	}
	return 0;
}

/* The bit of the feature NAME in the kernel's feature strings, or -1. */
static int feature_bit(int fd, const char *iface, const char *name)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} info = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_FEATURES } };
	struct ethtool_gstrings *strings;
	int bit = -1;

	if (ethtool_ioctl(fd, iface, &info) || !info.hdr.sset_mask)
		return -1;
	strings = calloc(1, sizeof(*strings) + (size_t)info.len * ETH_GSTRING_LEN);
	if (!strings)
		return -1;
	strings->cmd = ETHTOOL_GSTRINGS;
	strings->string_set = ETH_SS_FEATURES;
	strings->len = info.len;
	if (!ethtool_ioctl(fd, iface, strings)) {
		for (__u32 i = 0; i < info.len; i++) {
			if (!strncmp((char *)strings->data + i * ETH_GSTRING_LEN, name,
				     ETH_GSTRING_LEN)) {
				bit = (int)i;
				break;
			}
		}
	}
	free(strings);
	return bit;
}

/* offload IFACE feature NAME [on|off] */
static int feature(int fd, const char *iface, const char *name, const char *onoff)
{
	struct {
		struct ethtool_gfeatures hdr;
		struct ethtool_get_features_block blocks[2];
	} get = { .hdr = { .cmd = ETHTOOL_GFEATURES, .size = 2 } };
	struct {
		struct ethtool_sfeatures hdr;
		struct ethtool_set_features_block blocks[2];
	} set = { .hdr = { .cmd = ETHTOOL_SFEATURES, .size = 2 } };
	int bit = feature_bit(fd, iface, name);

	if (bit < 0 || bit >= 64) {
		fprintf(stderr, "%s: no such feature\n", name);
		return 1;
	}
	if (!onoff) {
		if (ethtool_ioctl(fd, iface, &get)) {
			perror(name);
			return 1;
		}
		printf("%s=%u\n", name, (get.blocks[bit / 32].active >> (bit % 32)) & 1);
		return 0;
	}
	set.blocks[bit / 32].valid = 1U << (bit % 32);
	set.blocks[bit / 32].requested = strcmp(onoff, "on") ? 0 : 1U << (bit % 32);
	/* A positive result only says some other feature changed along with it. */
	if (ethtool_ioctl(fd, iface, &set)) {
		perror(name);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned int i;
	__u32 val;

	if (fd < 0 || argc < 2 || argc > 5)
		return usage(argv[0]);
	if (argc >= 4 && !strcmp(argv[2], "feature")) {
		if (argc == 5 && strcmp(argv[4], "on") && strcmp(argv[4], "off"))
			return usage(argv[0]);
		return feature(fd, argv[1], argv[3], argc == 5 ? argv[4] : NULL);
	}
	if (argc == 5)
		return strcmp(argv[2], "rings") ? usage(argv[0]) :
						  set_rings(fd, argv[1], argv[3], argv[4]);
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
