// SPDX-License-Identifier: GPL-2.0
/*
 * udpgso send IP PORT SEG SEGS COUNT   sends COUNT UDP packets of SEGS datagrams of SEG bytes
 *                                      each, every packet one send() with UDP_SEGMENT (the
 *                                      stack or the device cuts it into its datagrams)
 * udpgso recv PORT SEG TOTAL           receives until TOTAL datagrams came (or none for 2 s),
 *                                      checking each: SEG bytes, its own contents, no repeat
 *
 * Every datagram carries its number (0, 1, ... in 8 bytes, big endian) and then bytes that
 * follow from it, so the receiver finds any datagram cut wrong, merged, changed or repeated.
 * The sender prints "sent=<packets> datagrams=<n>" and exits 0 when every send took its whole
 * packet. The receiver prints "listening" once bound, then "datagrams=<n> distinct=<d>
 * bad=<b>", and exits 0 when all TOTAL came, each intact, 1 otherwise, 2 on a usage error.
 * Built static by scripts/initramfs.sh for the guest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define MAX_PACKET 65000

static unsigned char byte_of(uint64_t seq, size_t at)
{
	return (unsigned char)(seq * 131 + at * 7 + (at >> 8));
}

static void fill(unsigned char *p, size_t len, uint64_t seq)
{
	size_t i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(seq >> (56 - 8 * i));
	for (i = 8; i < len; i++)
		p[i] = byte_of(seq, i);
}

static long number(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (*s && !*end && v >= min && v <= max) ? v : -1;
}

static int do_send(const char *ip, long port, long seg, long segs, long count)
{
	static unsigned char buf[MAX_PACKET];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int fd, gso = (int)seg;
	long i, j, sent = 0;
	size_t len = (size_t)(seg * segs);

	if (len > sizeof(buf) || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &gso, sizeof(gso))) {
		perror("udpgso: socket");
		return 1;
	}
	for (i = 0; i < count; i++) {
		for (j = 0; j < segs; j++)
			fill(buf + j * seg, (size_t)seg, (uint64_t)(i * segs + j));
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)len) {
			perror("udpgso: sendto");
			break;
		}
		sent++;
		/* Paced, so that the receiver's socket is not what drops. */
		usleep(2000);
	}
	printf("sent=%ld datagrams=%ld\n", sent, sent * segs);
	return sent == count ? 0 : 1;
}

static int do_recv(long port, long seg, long total)
{
	static unsigned char buf[65536];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	unsigned char *seen = calloc((size_t)total, 1);
	long datagrams = 0, distinct = 0, bad = 0;
	int fd, rcvbuf = 8 << 20;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!seen || fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("udpgso: socket");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while (distinct < total) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, datagrams ? 2000 : 30000);
		uint64_t seq = 0;
		ssize_t n, i;
		int ok;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("udpgso: recv");
			return 1;
		}
		datagrams++;
		ok = n == seg;
		for (i = 0; ok && i < 8; i++)
			seq = seq << 8 | buf[i];
		ok = ok && seq < (uint64_t)total && !seen[seq];
		for (i = 8; ok && i < n; i++)
			ok = buf[i] == byte_of(seq, (size_t)i);
		if (!ok) {
			bad++;
			continue;
		}
		seen[seq] = 1;
		distinct++;
	}
	printf("datagrams=%ld distinct=%ld bad=%ld\n", datagrams, distinct, bad);
	return distinct == total && !bad ? 0 : 1;
}

int main(int argc, char **argv)
{
	long port, seg, segs, count, total;

	if (argc == 7 && !strcmp(argv[1], "send")) {
		port = number(argv[3], 1, 65535);
		seg = number(argv[4], 8, 8192);
		segs = number(argv[5], 1, 64);
		count = number(argv[6], 1, 1000000);
		if (port > 0 && seg > 0 && segs > 0 && count > 0) {
			int r = do_send(argv[2], port, seg, segs, count);

			if (r != 2)
				return r;
		}
	} else if (argc == 5 && !strcmp(argv[1], "recv")) {
		port = number(argv[2], 1, 65535);
		seg = number(argv[3], 8, 8192);
		total = number(argv[4], 1, 64000000);
		if (port > 0 && seg > 0 && total > 0)
			return do_recv(port, seg, total);
	}
	fprintf(stderr, "usage: %s send IP PORT SEG SEGS COUNT | recv PORT SEG TOTAL\n", argv[0]);
	return 2;
}
