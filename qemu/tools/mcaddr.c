// SPDX-License-Identifier: GPL-2.0
/*
 * mcaddr add|del IFACE MAC
 *
 * Adds the link-layer multicast address MAC to IFACE's multicast list, or deletes it
 * (SIOCADDMULTI/SIOCDELMULTI, what "ip maddr" does; BusyBox's ip has no maddr). The driver's
 * ndo_set_rx_mode then sees it in the list (qemu/guest/ctrl.sh: the device's MAC table).
 *
 * Exits 0 on success, 1 when the ioctl fails, 2 on a usage or setup error. Built static by
 * scripts/initramfs.sh for the guest.
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s add|del IFACE MAC\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	struct ifreq ifr = { 0 };
	unsigned int b[6];
	unsigned long req;
	char end;
	int fd;

	if (argc != 4)
		return usage(argv[0]);
	if (!strcmp(argv[1], "add"))
		req = SIOCADDMULTI;
	else if (!strcmp(argv[1], "del"))
		req = SIOCDELMULTI;
	else
		return usage(argv[0]);
	if (strlen(argv[2]) >= IFNAMSIZ ||
	    sscanf(argv[3], "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6)
		return usage(argv[0]);
	strcpy(ifr.ifr_name, argv[2]);
	/* dev_ifsioc() wants AF_UNSPEC here. */
	ifr.ifr_hwaddr.sa_family = AF_UNSPEC;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return usage(argv[0]);
		ifr.ifr_hwaddr.sa_data[i] = (char)b[i];
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 2;
	}
	if (ioctl(fd, req, &ifr) < 0) {
		perror(argv[1]);
		return 1;
	}
	close(fd);
	return 0;
}
