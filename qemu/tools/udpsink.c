// SPDX-License-Identifier: GPL-2.0
/*
 * udpsink PORT IDLE_MS [print]
 *
 * Counts the UDP datagrams that arrive on PORT (IPv4, any address) until none has come for
 * IDLE_MS milliseconds after the first one, then prints "datagrams=<n> bytes=<b>". With
 * "print", each datagram's payload is written to stdout as it comes (netconsole's messages). With a large
 * receive buffer asked for, so that the socket drops only what a flood really overruns;
 * what it drops the kernel counts (Udp RcvbufErrors in /proc/net/snmp). Exits 0 after at
 * least one datagram, 1 on a socket error or when nothing came within 30 s, 2 on a usage
 * error. Built static by scripts/initramfs.sh for the guest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[65536];
	unsigned long long datagrams = 0, bytes = 0;
	struct sockaddr_in sa;
	int fd, rcvbuf = 4 << 20;
	long port, idle;
	char *end1, *end2;

	if (argc != 3 && !(argc == 4 && !strcmp(argv[3], "print")))
		goto usage;
	port = strtol(argv[1], &end1, 10);
	idle = strtol(argv[2], &end2, 10);
	if (*end1 || *end2 || port <= 0 || port > 65535 || idle <= 0)
		goto usage;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("udpsink: socket");
		return 1;
	}
	/* Ready: the caller may start sending. */
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, datagrams ? idle : 30000);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("udpsink: poll");
			return 1;
		}
		if (r == 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("udpsink: recv");
			return 1;
		}
		datagrams++;
		bytes += n;
		if (argc == 4) {
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
		}
	}
	printf("datagrams=%llu bytes=%llu\n", datagrams, bytes);
	return datagrams ? 0 : 1;
usage:
	fprintf(stderr, "usage: %s PORT IDLE_MS [print]\n", argv[0]);
	return 2;
}
