// SPDX-License-Identifier: GPL-2.0
/*
 * tcpbench -s PORT
 * tcpbench -c IPV4 PORT SECONDS
 *
 * TCP bulk throughput for `make bench`, a small stand-in for iperf3 that needs no shared
 * libraries. The server accepts one connection, reads until the peer closes it and prints
 * "bytes=<n> seconds=<s> bytes_per_second=<r>", timed from the first byte received to the
 * last. The client connects and sends 64 KiB writes of zeroes for SECONDS, then closes; it
 * prints "sent=<n>". Exits 0 on success, 1 on a socket error, 2 on a usage error. Built static
 * by scripts/initramfs.sh for the guest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static char buf[CHUNK];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s -s PORT | %s -c IPV4 PORT SECONDS\n", prog, prog);
	return 2;
}

static int parse_port(const char *s, struct sockaddr_in *sa)
{
	char *end;
	long port = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || port <= 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)port);
	return 0;
}

static int server(const char *port)
{
	struct sockaddr_in sa;
	unsigned long long total = 0;
	double first = 0, last = 0;
	int one = 1, lfd, fd;
	ssize_t n;

	if (parse_port(port, &sa))
		return usage("tcpbench");
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		perror("tcpbench: listen");
		return 1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		perror("tcpbench: accept");
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("tcpbench: read");
			return 1;
		}
		if (total == 0)
			first = now();
		total += n;
		last = now();
	}
	close(fd);
	close(lfd);
	if (total == 0 || last <= first) {
		fprintf(stderr, "tcpbench: nothing received\n");
		return 1;
	}
	printf("bytes=%llu seconds=%.3f bytes_per_second=%.0f\n", total, last - first,
	       total / (last - first));
	return 0;
}

static int client(const char *ip, const char *port, const char *secs)
{
	struct sockaddr_in sa;
	unsigned long long sent = 0;
	double end;
	long seconds;
	char *tail;
	ssize_t n;
	int fd;

	seconds = strtol(secs, &tail, 10);
	if (parse_port(port, &sa) || inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || *tail != '\0' ||
	    seconds <= 0)
		return usage("tcpbench");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("tcpbench: connect");
		return 1;
	}
	end = now() + seconds;
	while (now() < end) {
		n = write(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("tcpbench: write");
			return 1;
		}
		sent += n;
	}
	close(fd);
	printf("sent=%llu\n", sent);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "-s"))
		return server(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "-c"))
		return client(argv[2], argv[3], argv[4]);
	return usage(argv[0]);
}
