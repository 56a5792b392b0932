// SPDX-License-Identifier: GPL-2.0
/*
 * qstat IFACE
 *
 * Prints the netdev netlink queue statistics of IFACE summed over its queues (what
 * "ynl --family netdev --dump qstats-get" gives; the guest has no ynl): one line of
 * "name value" pairs, e.g. "rx-packets 12 rx-bytes 900 tx-packets 10 ... tx-stop 3 tx-wake 3".
 * Both drivers report through the same interface, so qemu/guest/bench.sh compares their
 * transmit queue stops with it.
 *
 * Exits 0 on success, 1 when the kernel refuses (no such device, or no qstats), 2 on a usage
 * or setup error. Built static by scripts/initramfs.sh for the guest.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* include/uapi/linux/netdev.h of 7.3 (the host's headers may predate it): a stable ABI. */
#define NETDEV_FAMILY_NAME "netdev"
#define NETDEV_CMD_QSTATS_GET 12
#define NETDEV_A_QSTATS_IFINDEX 1
#define NETDEV_A_QSTATS_RX_PACKETS 8
#define NETDEV_A_QSTATS_TX_WAKE 34

static const char *const names[] = {
	[8] = "rx-packets", "rx-bytes", "tx-packets", "tx-bytes", "rx-alloc-fail",
	"rx-hw-drops", "rx-hw-drop-overruns", "rx-csum-complete", "rx-csum-unnecessary",
	"rx-csum-none", "rx-csum-bad", "rx-hw-gro-packets", "rx-hw-gro-bytes",
	"rx-hw-gro-wire-packets", "rx-hw-gro-wire-bytes", "rx-hw-drop-ratelimits",
	"tx-hw-drops", "tx-hw-drop-errors", "tx-csum-none", "tx-needs-csum",
	"tx-hw-gso-packets", "tx-hw-gso-bytes", "tx-hw-gso-wire-packets",
	"tx-hw-gso-wire-bytes", "tx-hw-drop-ratelimits", "tx-stop", "tx-wake",
};

_Static_assert(sizeof(names) / sizeof(names[0]) == NETDEV_A_QSTATS_TX_WAKE + 1,
	       "one name per counter attribute");

static char buf[65536];

/* Sends one request and reads its replies into buf; returns the bytes read, -1 on error. */
static int request(int fd, struct nlmsghdr *req)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -1;
	return recv(fd, buf, sizeof(buf), 0);
}

/* Appends attribute TYPE with LEN bytes of DATA to the message at MSG. */
static void put_attr(struct nlmsghdr *msg, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)msg + NLMSG_ALIGN(msg->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	msg->nlmsg_len = NLMSG_ALIGN(msg->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Walks the attributes after the genetlink header of MSG, calling FN on each. */
static void for_each_attr(struct nlmsghdr *msg, void (*fn)(struct nlattr *, void *), void *arg)
{
	char *p = (char *)NLMSG_DATA(msg) + GENL_HDRLEN;
	char *end = (char *)msg + msg->nlmsg_len;

	while (p + NLA_HDRLEN <= end) {
		struct nlattr *a = (struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		fn(a, arg);
		p += NLA_ALIGN(a->nla_len);
	}
}

static void family_id(struct nlattr *a, void *arg)
{
	if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
		memcpy(arg, (char *)a + NLA_HDRLEN, sizeof(uint16_t));
}

static void add_counter(struct nlattr *a, void *arg)
{
	uint64_t *sums = arg, v = 0;
	int type = a->nla_type & NLA_TYPE_MASK;

	if (type < NETDEV_A_QSTATS_RX_PACKETS || type > NETDEV_A_QSTATS_TX_WAKE)
		return;
	/* "uint": 4 or 8 bytes. */
	if (a->nla_len == NLA_HDRLEN + 4) {
		uint32_t v32;

		memcpy(&v32, (char *)a + NLA_HDRLEN, 4);
		v = v32;
	} else if (a->nla_len == NLA_HDRLEN + 8) {
		memcpy(&v, (char *)a + NLA_HDRLEN, 8);
	} else {
		return;
	}
	sums[type] += v;
	sums[0] |= 1ull << (type - NETDEV_A_QSTATS_RX_PACKETS);
}

int main(int argc, char **argv)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char attrs[64];
	} req = { 0 };
	/* By attribute type; sums[0], which no counter uses, has a bit for each one seen. */
	uint64_t sums[NETDEV_A_QSTATS_TX_WAKE + 1] = { 0 };
	uint16_t family = 0;
	uint32_t ifindex;
	int fd, len, done = 0, printed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s IFACE\n", argv[0]);
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "qstat: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0) {
		perror("qstat: socket");
		return 2;
	}

	/* Which id the netdev family has. */
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	put_attr(&req.n, CTRL_ATTR_FAMILY_NAME, NETDEV_FAMILY_NAME, sizeof(NETDEV_FAMILY_NAME));
	len = request(fd, &req.n);
	if (len < (int)NLMSG_HDRLEN || ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR) {
		fprintf(stderr, "qstat: no netdev netlink family\n");
		return 2;
	}
	for_each_attr((struct nlmsghdr *)buf, family_id, &family);
	if (!family) {
		fprintf(stderr, "qstat: no netdev family id in the reply\n");
		return 2;
	}

	/* Every queue's counters of IFACE (the dump; scope "queue" is not asked: one sum). */
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = family;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.n.nlmsg_seq = 1;
	req.g.cmd = NETDEV_CMD_QSTATS_GET;
	req.g.version = 1;
	put_attr(&req.n, NETDEV_A_QSTATS_IFINDEX, &ifindex, sizeof(ifindex));
	len = request(fd, &req.n);
	while (len > 0 && !done) {
		struct nlmsghdr *m;

		for (m = (struct nlmsghdr *)buf; NLMSG_OK(m, (unsigned int)len);
		     m = NLMSG_NEXT(m, len)) {
			if (m->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (m->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(m);

				fprintf(stderr, "qstat: %s: %s\n", argv[1], strerror(-e->error));
				return 1;
			}
			for_each_attr(m, add_counter, sums);
		}
		if (!done)
			len = recv(fd, buf, sizeof(buf), 0);
	}
	close(fd);
	if (!done) {
		fprintf(stderr, "qstat: %s: the dump did not end\n", argv[1]);
		return 1;
	}
	if (!sums[0]) {
		fprintf(stderr, "qstat: %s reports no queue statistics\n", argv[1]);
		return 1;
	}
	for (int t = NETDEV_A_QSTATS_RX_PACKETS; t <= NETDEV_A_QSTATS_TX_WAKE; t++) {
		if (!(sums[0] & (1ull << (t - NETDEV_A_QSTATS_RX_PACKETS))))
			continue;
		printf("%s%s %llu", printed++ ? " " : "", names[t], (unsigned long long)sums[t]);
	}
	printf("\n");
	return 0;
}
