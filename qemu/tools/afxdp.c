// SPDX-License-Identifier: GPL-2.0
/*
 * afxdp: an AF_XDP client of its own, with a UMEM, for the guest tests and make bench.
 *
 * afxdp recv IFNAME COUNT SECONDS [copy|zc|skb]
 *     Attaches an XDP program (native; generic with skb) that redirects every frame of
 *     EtherType 0x88b5 to an AF_XDP socket on queue 0, through an XSKMAP, and passes
 *     everything else to the stack. Receives until COUNT distinct frames came, or SECONDS
 *     passed, checking each frame: its length, its contents, no repeat. Prints "listening"
 *     once bound, then "frames=<n> distinct=<d> bad=<b> seconds=<s> rate=<frames/s>
 *     dropped=<socket drops>", exits 0 when COUNT distinct frames came, each intact. With
 *     COUNT 0 the program redirects every frame, whatever its EtherType, and it counts
 *     them for SECONDS without looking into them (a rate measurement: pktgen's frames).
 * afxdp send IFNAME COUNT DSTMAC PACE [copy|zc [LEN [SECONDS]]]
 *     Sends COUNT frames of EtherType 0x88b5 (or as many as it can in SECONDS) from the
 *     socket's transmit ring, LEN bytes each (with LEN 0 or none: 60 to 1514, varying), and
 *     waits for each to complete. After every PACE frames it pauses a millisecond for the
 *     receiver (0: no pause, a rate measurement). Prints "sent=<n> completed=<c>
 *     seconds=<s> rate=<frames/s>" and exits 0 when every frame it sent completed.
 * afxdp bind IFNAME ROUNDS [copy|zc|skb]
 *     ROUNDS times: attach the program (loaded once), bind a socket to queue 0 with a
 *     filled fill ring, wait 100 ms, close the socket and detach the program. Exits 0 if
 *     every bind succeeded.
 *
 * copy (XDP_COPY) and zc (XDP_ZEROCOPY) ask the kernel for that mode, skb a copy-mode socket
 * behind a generic (XDP_FLAGS_SKB_MODE) program; a bind the kernel refuses is an error with
 * its errno. Frame n carries n (4 bytes, big endian), its length (2 bytes) and then bytes that
 * follow from both: the receiver finds any frame cut, changed or repeated. Errors exit 1,
 * usage errors 2. Built static by scripts/initramfs.sh; no libbpf: the program is built here,
 * instruction by instruction, and attached through a BPF link that goes with the process.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

#define ETHERTYPE 0x88b5 /* IEEE local experimental */
#define FRAME 2048u
#define NFRAMES 4096u
#define RING 2048u
#define MIN_LEN 60u
#define MAX_LEN 1514u
#define HDR 20u /* Ethernet header, frame number, length */

static void die(const char *what)
{
	fprintf(stderr, "afxdp: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
						.off = (o), .imm = (i) })

/* The XSKMAP of one entry (queue 0) and the program that redirects our frames into it. */
static int xsk_map(void)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_XSKMAP;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	fd = bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		die("creating the XSKMAP");
	return fd;
}

static int xdp_prog(int map, int every_frame)
{
	static char log[4096];
	struct bpf_insn ours[] = {
		/* r2 = ctx->data, r3 = ctx->data_end */
		INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct xdp_md, data), 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 1, offsetof(struct xdp_md, data_end), 0),
		/* if (data + 14 > data_end) goto pass */
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, ETH_HLEN),
		INSN(BPF_JMP | BPF_JGT | BPF_X, 4, 3, 8, 0),
		/* if (eth->h_proto != htons(ETHERTYPE)) goto pass */
		INSN(BPF_LDX | BPF_MEM | BPF_H, 4, 2, 12, 0),
		INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, 6, ((ETHERTYPE & 0xff) << 8) | (ETHERTYPE >> 8)),
		/* return bpf_redirect_map(&map, ctx->rx_queue_index, XDP_PASS) */
		INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct xdp_md, rx_queue_index), 0),
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, XDP_PASS),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		/* pass: return XDP_PASS */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	/* From the redirect on: every frame. */
	struct bpf_insn *insns = every_frame ? &ours[7] : ours;
	unsigned int n = every_frame ? 6 : sizeof(ours) / sizeof(ours[0]);
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.expected_attach_type = BPF_XDP;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = n;
	a.license = (uintptr_t)"GPL";
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	fd = bpf(BPF_PROG_LOAD, &a);
	if (fd < 0) {
		fprintf(stderr, "%s", log);
		die("loading the XDP program");
	}
	return fd;
}

/* Attached as long as the returned link is open (native, or generic with skb). */
static int attach(int prog, int ifindex, int generic)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.link_create.prog_fd = prog;
	a.link_create.target_ifindex = ifindex;
	a.link_create.attach_type = BPF_XDP;
	a.link_create.flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	fd = bpf(BPF_LINK_CREATE, &a);
	if (fd < 0)
		die("attaching the XDP program");
	return fd;
}

static void map_socket(int map, int sock)
{
	union bpf_attr a;
	uint32_t key = 0, value = sock;

	memset(&a, 0, sizeof(a));
	a.map_fd = map;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)&value;
	if (bpf(BPF_MAP_UPDATE_ELEM, &a))
		die("putting the socket in the XSKMAP");
}

struct ring {
	void *map;
	size_t size;
	uint32_t *producer, *consumer;
	void *desc;
	uint32_t mask;
};

struct xsk {
	int fd;
	uint8_t *umem;
	struct ring fill, comp, rx, tx;
};

static void map_ring(int fd, struct ring *r, const struct xdp_ring_offset *o, off_t pgoff,
		     size_t entry)
{
	size_t size = o->desc + RING * entry;
	uint8_t *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);

	if (m == MAP_FAILED)
		die("mapping a ring");
	r->map = m;
	r->size = size;
	r->producer = (uint32_t *)(m + o->producer);
	r->consumer = (uint32_t *)(m + o->consumer);
	r->desc = m + o->desc;
	r->mask = RING - 1;
}

static int mode_flags(const char *mode)
{
	if (!mode || !strcmp(mode, "copy") || !strcmp(mode, "skb"))
		return XDP_COPY;
	if (!strcmp(mode, "zc"))
		return XDP_ZEROCOPY;
	fprintf(stderr, "afxdp: mode %s: not copy, zc or skb\n", mode);
	exit(2);
}

/* A socket on queue 0 of ifindex with its own UMEM: rx or tx ring (or both), bound. */
static void xsk_open(struct xsk *x, int ifindex, int rx, int tx, int flags)
{
	struct xdp_umem_reg reg = { .len = (uint64_t)NFRAMES * FRAME, .chunk_size = FRAME };
	struct xdp_mmap_offsets off;
	struct sockaddr_xdp sa = { .sxdp_family = AF_XDP, .sxdp_ifindex = ifindex,
				   .sxdp_queue_id = 0, .sxdp_flags = flags };
	socklen_t len = sizeof(off);
	int n = RING, busy = 0;

	memset(x, 0, sizeof(*x));
	x->fd = socket(AF_XDP, SOCK_RAW, 0);
	if (x->fd < 0)
		die("AF_XDP socket");
	x->umem = mmap(NULL, reg.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->umem == MAP_FAILED)
		die("UMEM");
	reg.addr = (uintptr_t)x->umem;
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof(n)) ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof(n)) ||
	    (rx && setsockopt(x->fd, SOL_XDP, XDP_RX_RING, &n, sizeof(n))) ||
	    (tx && setsockopt(x->fd, SOL_XDP, XDP_TX_RING, &n, sizeof(n))))
		die("setting up the UMEM and rings");
	if (getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len))
		die("ring offsets");
	map_ring(x->fd, &x->fill, &off.fr, XDP_UMEM_PGOFF_FILL_RING, sizeof(uint64_t));
	map_ring(x->fd, &x->comp, &off.cr, XDP_UMEM_PGOFF_COMPLETION_RING, sizeof(uint64_t));
	if (rx)
		map_ring(x->fd, &x->rx, &off.rx, XDP_PGOFF_RX_RING, sizeof(struct xdp_desc));
	if (tx)
		map_ring(x->fd, &x->tx, &off.tx, XDP_PGOFF_TX_RING, sizeof(struct xdp_desc));
	if (rx) {
		/* The first half of the UMEM receives; the second half sends. */
		uint32_t i;

		for (i = 0; i < RING; i++)
			((uint64_t *)x->fill.desc)[i] = (uint64_t)i * FRAME;
		__atomic_store_n(x->fill.producer, RING, __ATOMIC_RELEASE);
	}
	/* The last socket on the queue lets go of it from a work item, after its close. */
	while (bind(x->fd, (struct sockaddr *)&sa, sizeof(sa)))
		if (errno != EBUSY || ++busy > 200)
			die(flags == XDP_ZEROCOPY ? "binding in zero-copy mode" :
						    "binding in copy mode");
		else
			usleep(10000);
}

/* The rings' mappings hold the socket too: it goes (and lets go of its queue) after both. */
static void xsk_close(struct xsk *x)
{
	struct ring *rings[] = { &x->fill, &x->comp, &x->rx, &x->tx };
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (rings[i]->map)
			munmap(rings[i]->map, rings[i]->size);
	munmap(x->umem, (size_t)NFRAMES * FRAME);
	close(x->fd);
}

static uint32_t fixed_len;

static uint32_t frame_len(uint32_t n)
{
	return fixed_len ? fixed_len : MIN_LEN + (n * 997u) % (MAX_LEN - MIN_LEN + 1);
}

static uint8_t frame_byte(uint32_t n, uint32_t i)
{
	return (uint8_t)(n * 31u + i * 7u + (i >> 8));
}

static void frame_fill(uint8_t *f, uint32_t n, const uint8_t *dst, const uint8_t *src)
{
	uint32_t len = frame_len(n), i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = ETHERTYPE >> 8;
	f[13] = ETHERTYPE & 0xff;
	f[14] = n >> 24;
	f[15] = n >> 16;
	f[16] = n >> 8;
	f[17] = n;
	f[18] = len >> 8;
	f[19] = len;
	for (i = HDR; i < len; i++)
		f[i] = frame_byte(n, i);
}

/* The frame's number, or -1 if it is not one of ours, intact. */
static int64_t frame_check(const uint8_t *f, uint32_t len)
{
	uint32_t n, i;

	if (len < HDR || f[12] != ETHERTYPE >> 8 || f[13] != (ETHERTYPE & 0xff))
		return -1;
	n = (uint32_t)f[14] << 24 | (uint32_t)f[15] << 16 | (uint32_t)f[16] << 8 | f[17];
	if ((((uint32_t)f[18] << 8) | f[19]) != len)
		return -1;
	for (i = HDR; i < len; i++)
		if (f[i] != frame_byte(n, i))
			return -1;
	return n;
}

static int ifindex_of(const char *name)
{
	int i = if_nametoindex(name);

	if (!i) {
		fprintf(stderr, "afxdp: no interface %s\n", name);
		exit(2);
	}
	return i;
}

static int do_recv(const char *ifname, uint32_t count, double seconds, const char *mode)
{
	int ifindex = ifindex_of(ifname), map = xsk_map(), prog = xdp_prog(map, !count), link;
	uint64_t frames = 0, distinct = 0, bad = 0;
	struct xdp_statistics st = { 0 };
	socklen_t stlen = sizeof(st);
	uint8_t *seen = calloc(count ? count : 1, 1);
	double t0, t;
	struct xsk x;

	if (!seen)
		die("bitmap");
	link = attach(prog, ifindex, mode && !strcmp(mode, "skb"));
	xsk_open(&x, ifindex, 1, 0, mode_flags(mode));
	map_socket(map, x.fd);
	printf("listening\n");
	fflush(stdout);
	t0 = now();
	while ((t = now() - t0) < seconds && (!count || distinct < count)) {
		struct pollfd p = { .fd = x.fd, .events = POLLIN };
		uint32_t prod, cons, fprod;

		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			die("poll");
		prod = __atomic_load_n(x.rx.producer, __ATOMIC_ACQUIRE);
		cons = *x.rx.consumer;
		fprod = *x.fill.producer;
		for (; cons != prod; cons++, fprod++) {
			struct xdp_desc *d = &((struct xdp_desc *)x.rx.desc)[cons & x.rx.mask];
			int64_t n = count ? frame_check(x.umem + d->addr, d->len) : 0;

			frames++;
			if (n < 0 || (count && n >= count)) {
				bad++;
			} else if (!count) {
				distinct++;
			} else if (!seen[n]) {
				seen[n] = 1;
				distinct++;
			}
			((uint64_t *)x.fill.desc)[fprod & x.fill.mask] = d->addr - d->addr % FRAME;
		}
		__atomic_store_n(x.rx.consumer, cons, __ATOMIC_RELEASE);
		__atomic_store_n(x.fill.producer, fprod, __ATOMIC_RELEASE);
	}
	getsockopt(x.fd, SOL_XDP, XDP_STATISTICS, &st, &stlen);
	printf("frames=%llu distinct=%llu bad=%llu seconds=%.2f rate=%.0f dropped=%llu\n",
	       (unsigned long long)frames, (unsigned long long)distinct,
	       (unsigned long long)bad, t, t > 0 ? distinct / t : 0,
	       (unsigned long long)(st.rx_dropped + st.rx_ring_full + st.rx_fill_ring_empty_descs));
	xsk_close(&x);
	close(link);
	return bad || (count && distinct < count);
}

static void parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6], i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) {
		fprintf(stderr, "afxdp: %s is not a MAC address\n", s);
		exit(2);
	}
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
}

static void own_mac(const char *ifname, uint8_t *mac)
{
	struct ifreq r = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", ifname);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &r))
		die("reading the interface's MAC address");
	memcpy(mac, r.ifr_hwaddr.sa_data, 6);
	close(s);
}

/* Completed transmit frames back to the free list; returns how many. */
static uint32_t reap(struct xsk *x, uint64_t *free_list, uint32_t *nfree)
{
	uint32_t prod = __atomic_load_n(x->comp.producer, __ATOMIC_ACQUIRE);
	uint32_t cons = *x->comp.consumer, n = 0;

	for (; cons != prod; cons++, n++)
		free_list[(*nfree)++] = ((uint64_t *)x->comp.desc)[cons & x->comp.mask];
	__atomic_store_n(x->comp.consumer, cons, __ATOMIC_RELEASE);
	return n;
}

static int do_send(const char *ifname, uint32_t count, const char *dstmac, uint32_t pace,
		   const char *mode, double seconds)
{
	int ifindex = ifindex_of(ifname);
	uint64_t free_list[RING];
	uint32_t nfree = 0, sent = 0, done = 0, paced = 0, i, idle = 0;
	uint8_t dst[6], src[6];
	double t0, t;
	struct xsk x;

	parse_mac(dstmac, dst);
	own_mac(ifname, src);
	xsk_open(&x, ifindex, 0, 1, mode_flags(mode));
	for (i = 0; i < RING; i++)
		free_list[nfree++] = (uint64_t)(RING + i) * FRAME;
	t0 = now();
	while (done < count && idle < 5000) {
		uint32_t prod = *x.tx.producer, n;

		if (seconds > 0 && now() - t0 >= seconds)
			count = sent;
		while (sent < count && nfree && (!pace || sent - paced < pace)) {
			struct xdp_desc *d = &((struct xdp_desc *)x.tx.desc)[prod++ & x.tx.mask];

			d->addr = free_list[--nfree];
			d->len = frame_len(sent);
			d->options = 0;
			frame_fill(x.umem + d->addr, sent++, dst, src);
		}
		__atomic_store_n(x.tx.producer, prod, __ATOMIC_RELEASE);
		if (sendto(x.fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
		    errno != EBUSY && errno != ENOBUFS)
			die("sendto");
		n = reap(&x, free_list, &nfree);
		done += n;
		if (pace && sent - paced == pace) {
			/* PACE frames went: a millisecond for the receiver to take them. */
			usleep(1000);
			paced = sent;
		}
		if (n) {
			idle = 0;
		} else if (!nfree || sent == count) {
			/* Nothing completed and nothing to send: wait for the device. */
			usleep(1000);
			idle++;
		}
	}
	t = now() - t0;
	printf("sent=%u completed=%u seconds=%.2f rate=%.0f\n", sent, done, t,
	       t > 0 ? done / t : 0);
	xsk_close(&x);
	return done != sent;
}

static int do_bind(const char *ifname, int rounds, const char *mode)
{
	int ifindex = ifindex_of(ifname), map = xsk_map(), prog = xdp_prog(map, 0), i;

	for (i = 0; i < rounds; i++) {
		int link = attach(prog, ifindex, mode && !strcmp(mode, "skb"));
		struct xsk x;

		xsk_open(&x, ifindex, 1, 1, mode_flags(mode));
		map_socket(map, x.fd);
		usleep(100000);
		xsk_close(&x);
		close(link);
	}
	printf("bound and unbound %d times\n", rounds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && argc <= 6 && !strcmp(argv[1], "recv"))
		return do_recv(argv[2], strtoul(argv[3], NULL, 0), strtod(argv[4], NULL),
			       argc > 5 ? argv[5] : NULL);
	if (argc >= 6 && argc <= 9 && !strcmp(argv[1], "send")) {
		fixed_len = argc > 7 ? strtoul(argv[7], NULL, 0) : 0;
		if (fixed_len && (fixed_len < MIN_LEN || fixed_len > MAX_LEN)) {
			fprintf(stderr, "afxdp: LEN %u is not %u to %u\n", fixed_len, MIN_LEN,
				MAX_LEN);
			return 2;
		}
		return do_send(argv[2], strtoul(argv[3], NULL, 0), argv[4],
			       strtoul(argv[5], NULL, 0), argc > 6 ? argv[6] : NULL,
			       argc > 8 ? strtod(argv[8], NULL) : 0);
	}
	if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "bind"))
		return do_bind(argv[2], atoi(argv[3]), argc > 4 ? argv[4] : NULL);
	fprintf(stderr, "usage: afxdp recv IFNAME COUNT SECONDS [copy|zc|skb]\n"
			"       afxdp send IFNAME COUNT DSTMAC PACE [copy|zc [LEN [SECONDS]]]\n"
			"       afxdp bind IFNAME ROUNDS [copy|zc|skb]\n");
	return 2;
}
