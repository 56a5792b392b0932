// SPDX-License-Identifier: GPL-2.0
/*
 * tcpbench -s PORT [-l]
 * tcpbench -c IPV4 PORT SECONDS|MIBM
 * tcpbench -e PORT
 * tcpbench -r IPV4 PORT SECONDS|COUNTx
 *
 * TCP figures for `make bench`, a small stand-in for iperf3 and netperf that needs no shared
 * libraries.
 *
 * Bulk: the server (-s) accepts one connection (with -l, one after another, for ever), reads
 * until the peer shuts it down, closes it and prints "bytes=<n> seconds=<s>
 * bytes_per_second=<r>", timed from the first byte received to the last. The client (-c)
 * connects, sends 64 KiB writes of zeroes for SECONDS (or MIB mebibytes: "16M"), shuts its
 * side down and waits for the server to close; it prints "sent=<n> seconds=<s>
 * bytes_per_second=<r>", timed from the connection to the server's close, so that it holds
 * without the server's report (a receiver on the host).
 *
 * Request/response (like netperf's TCP_RR): the echo server (-e) accepts one connection and
 * sends back every byte it reads; the client (-r), with TCP_NODELAY on both ends, sends one
 * byte and waits for it to come back, again and again for SECONDS (or COUNT times: "2000x"),
 * and prints "transactions=<n> seconds=<s> tps=<r> p50_us=<x> p99_us=<y>", the round-trip
 * times' median and 99th percentile in microseconds.
 *
 * Exits 0 on success, 1 on a socket error, 2 on a usage error. Built static by
 * scripts/initramfs.sh for the guest, and for the host by scripts/bench.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
/* Round-trip times are counted in 1-us buckets up to 1 s; slower ones in the last bucket. */
#define HIST_US 1000000

static char buf[CHUNK];
static unsigned int hist[HIST_US + 1];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s -s PORT [-l] | -c IPV4 PORT SECONDS|MIBM | -e PORT |"
		" -r IPV4 PORT SECONDS|COUNTx\n", prog);
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

/*
 * How long a client runs: "N" seconds, or N units of work with the suffix UNIT ('M': MiB sent,
 * 'x': transactions). 0 on success, -1 on a malformed limit.
 */
static int parse_limit(const char *s, char unit, long *seconds, unsigned long long *amount)
{
	char *tail;
	long v = strtol(s, &tail, 10);

	if (tail == s || v <= 0)
		return -1;
	*seconds = 0;
	*amount = 0;
	if (*tail == '\0')
		*seconds = v;
	else if (tail[0] == unit && tail[1] == '\0')
		*amount = v;
	else
		return -1;
	return 0;
}

/* A listening socket on PORT, or -1 with a message. */
static int listen_on(const char *port)
{
	struct sockaddr_in sa;
	int one = 1, lfd;

	if (parse_port(port, &sa)) {
		usage("tcpbench");
		return -1;
	}
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		perror("tcpbench: listen");
		return -1;
	}
	return lfd;
}

/* Reads connection FD to its end, closes it, prints what came. */
static int sink(int fd)
{
	unsigned long long total = 0;
	double first = 0, last = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("tcpbench: read");
			close(fd);
			return 1;
		}
		if (total == 0)
			first = now();
		total += n;
		last = now();
	}
	close(fd);
	if (total == 0 || last <= first) {
		fprintf(stderr, "tcpbench: nothing received\n");
		return 1;
	}
	printf("bytes=%llu seconds=%.3f bytes_per_second=%.0f\n", total, last - first,
	       total / (last - first));
	fflush(stdout);
	return 0;
}

static int server(const char *port, int loop)
{
	int lfd = listen_on(port), fd, st;

	if (lfd < 0)
		return 1;
	do {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			perror("tcpbench: accept");
			return 1;
		}
		st = sink(fd);
	} while (loop);
	close(lfd);
	return st;
}

static int nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int echo(const char *port)
{
	int lfd = listen_on(port), fd;
	ssize_t n;

	if (lfd < 0)
		return 1;
	fd = accept(lfd, NULL, NULL);
	if (fd < 0 || nodelay(fd)) {
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
		if (write(fd, buf, n) != n) {
			perror("tcpbench: write");
			return 1;
		}
	}
	close(fd);
	close(lfd);
	return 0;
}

/* Connects to IP:PORT; -1 with a message. */
static int connect_to(const char *ip, const char *port)
{
	struct sockaddr_in sa;
	int fd;

	if (parse_port(port, &sa) || inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		usage("tcpbench");
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("tcpbench: connect");
		return -1;
	}
	return fd;
}

/* The microseconds below which a FRACTION of the N round trips in hist[] took. */
static unsigned long percentile(unsigned long long n, double fraction)
{
	unsigned long long want = (unsigned long long)(n * fraction), seen = 0;
	unsigned long us;

	for (us = 0; us <= HIST_US; us++) {
		seen += hist[us];
		if (seen > want)
			return us;
	}
	return HIST_US;
}

static int request_response(const char *ip, const char *port, const char *secs)
{
	unsigned long long n = 0, count;
	double start, end, t0, us;
	long seconds;
	int fd;

	if (parse_limit(secs, 'x', &seconds, &count))
		return usage("tcpbench");
	fd = connect_to(ip, port);
	if (fd < 0 || nodelay(fd))
		return 1;
	start = now();
	end = start + seconds;
	for (t0 = start; count ? n < count : t0 < end; n++) {
		if (write(fd, buf, 1) != 1 || read(fd, buf, 1) != 1) {
			perror("tcpbench: round trip");
			return 1;
		}
		us = (now() - t0) * 1e6;
		hist[us < HIST_US ? (unsigned long)us : HIST_US]++;
		t0 = now();
	}
	close(fd);
	if (n == 0)
		return 1;
	printf("transactions=%llu seconds=%.3f tps=%.0f p50_us=%lu p99_us=%lu\n", n, t0 - start,
	       n / (t0 - start), percentile(n, 0.50), percentile(n, 0.99));
	return 0;
}

static int client(const char *ip, const char *port, const char *secs)
{
	unsigned long long sent = 0, mib;
	double start, end;
	long seconds;
	ssize_t n;
	int fd;

	if (parse_limit(secs, 'M', &seconds, &mib))
		return usage("tcpbench");
	fd = connect_to(ip, port);
	if (fd < 0)
		return 1;
	start = now();
	end = start + seconds;
	while (mib ? sent < mib << 20 : now() < end) {
		n = write(fd, buf, mib && (mib << 20) - sent < sizeof(buf) ? (mib << 20) - sent :
									  sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("tcpbench: write");
			return 1;
		}
		sent += n;
	}
	/* The data is in only when the server, having read it all, closes. */
	if (shutdown(fd, SHUT_WR)) {
		perror("tcpbench: shutdown");
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EINTR) {
			perror("tcpbench: read");
			return 1;
		}
	}
	end = now();
	close(fd);
	printf("sent=%llu seconds=%.3f bytes_per_second=%.0f\n", sent, end - start,
	       sent / (end - start));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "-s"))
		return server(argv[2], 0);
	if (argc == 4 && !strcmp(argv[1], "-s") && !strcmp(argv[3], "-l"))
		return server(argv[2], 1);
	if (argc == 5 && !strcmp(argv[1], "-c"))
		return client(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "-e"))
		return echo(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "-r"))
		return request_response(argv[2], argv[3], argv[4]);
	return usage(argv[0]);
}
