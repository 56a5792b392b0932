// SPDX-License-Identifier: GPL-2.0
/*
 * ethstats IFACE
 *
 * Prints IFACE's driver statistics, "name value" on a line each: what "ethtool -S" shows
 * (ETHTOOL_GSSET_INFO, ETHTOOL_GSTRINGS and ETHTOOL_GSTATS on SIOCETHTOOL; the initramfs
 * guest has no ethtool). qemu/guest/bench.sh reads each driver's notification counts with
 * it: virtio_net's "tx0_kicks" and "rx0_kicks", rvnet's "tx_kicks" and "rx_kicks".
 *
 * Exits 0 on success, 1 when the driver gives no statistics, 2 on a usage or setup error.
 * Built static by scripts/initramfs.sh for the guest.
 */
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Issues the ethtool command at DATA on IFACE; returns the ioctl's result. */
static int ethtool(int fd, const char *iface, void *data)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

int main(int argc, char **argv)
{
	struct {
		struct ethtool_sset_info hdr;
		uint32_t len;
	} info = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_STATS } };
	struct ethtool_gstrings *strings;
	struct ethtool_stats *stats;
	uint32_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s IFACE\n", argv[0]);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("ethstats: socket");
		return 2;
	}
	if (ethtool(fd, argv[1], &info) < 0 || !(info.hdr.sset_mask & (1ull << ETH_SS_STATS))) {
		fprintf(stderr, "ethstats: %s has no driver statistics\n", argv[1]);
		return 1;
	}
	n = info.len;
	strings = calloc(1, sizeof(*strings) + (size_t)n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + (size_t)n * sizeof(uint64_t));
	if (!strings || !stats) {
		fprintf(stderr, "ethstats: out of memory\n");
		return 2;
	}
	strings->cmd = ETHTOOL_GSTRINGS;
	strings->string_set = ETH_SS_STATS;
	strings->len = n;
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	if (ethtool(fd, argv[1], strings) < 0 || ethtool(fd, argv[1], stats) < 0 ||
	    strings->len != n || stats->n_stats != n) {
		fprintf(stderr, "ethstats: %s: reading its statistics failed\n", argv[1]);
		return 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		const char *name = (const char *)strings->data + (size_t)i * ETH_GSTRING_LEN;

		printf("%.*s %llu\n", ETH_GSTRING_LEN, name, (unsigned long long)stats->data[i]);
	}
	close(fd);
	return 0;
}
