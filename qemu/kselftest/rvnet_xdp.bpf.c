// SPDX-License-Identifier: GPL-2.0
/*
 * XDP programs for rvnet_xdp.sh, one per verdict rvnet handles. Frames of the two test
 * EtherTypes get the verdict; everything else passes, so the guest's own traffic (IPv6
 * neighbour discovery, the test's control) is untouched.
 *
 * Built by scripts/kselftest-image.sh with clang --target=bpf against the kernel's UAPI
 * headers only (no libbpf headers: the one helper is declared here), once per program:
 * -DRVNET_XDP_DROP gives rvnet_xdp_drop.bpf.o, and so on, each with one program in "xdp";
 * with -DRVNET_FRAGS too, the program is a multi-buffer one, in "xdp.frags".
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>

#define SEC(name) __attribute__((section(name), used))

#ifdef RVNET_FRAGS
#define XDP_SEC SEC("xdp.frags")
/* Cut enough to release the last fragment page or more of a 9000-byte frame. */
#define EDIT_CUT 5000
#else
#define XDP_SEC SEC("xdp")
#define EDIT_CUT 4
#endif

/* bpf_xdp_adjust_tail(), helper 65 (include/uapi/linux/bpf.h). */
static long (*bpf_xdp_adjust_tail)(struct xdp_md *ctx, int delta) = (void *)65;

/* IEEE 802 "local experimental" EtherTypes. */
#define ETH_P_TEST_TX 0x88b5
#define ETH_P_TEST_EDIT 0x88b6

static int test_frame(struct xdp_md *ctx, unsigned short proto)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return 0;
	return eth->h_proto == __builtin_bswap16(proto);
}

/* Test frames are dropped. */
#ifdef RVNET_XDP_DROP
XDP_SEC
int rvnet_drop(struct xdp_md *ctx)
{
	return test_frame(ctx, ETH_P_TEST_TX) ? XDP_DROP : XDP_PASS;
}
#endif

/* Test frames abort the program. */
#ifdef RVNET_XDP_ABORTED
XDP_SEC
int rvnet_aborted(struct xdp_md *ctx)
{
	return test_frame(ctx, ETH_P_TEST_TX) ? XDP_ABORTED : XDP_PASS;
}
#endif

/* Test frames ask for a redirect, with no target: rvnet does not support redirects. */
#ifdef RVNET_XDP_REDIRECT
XDP_SEC
int rvnet_redirect(struct xdp_md *ctx)
{
	return test_frame(ctx, ETH_P_TEST_TX) ? XDP_REDIRECT : XDP_PASS;
}
#endif

/* Test frames go back where they came from, source and destination swapped. */
#ifdef RVNET_XDP_TX
XDP_SEC
int rvnet_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	unsigned char tmp[ETH_ALEN];

	if (!test_frame(ctx, ETH_P_TEST_TX) || (void *)(eth + 1) > end)
		return XDP_PASS;
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return XDP_TX;
}
#endif

/*
 * Edited frames: the first payload byte becomes 'X' and the last EDIT_CUT bytes are cut off,
 * then the frame passes: the stack must see the edit.
 */
#ifdef RVNET_XDP_EDIT
XDP_SEC
int rvnet_edit(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	unsigned char *payload = data + sizeof(struct ethhdr);

	if (!test_frame(ctx, ETH_P_TEST_EDIT) || (void *)(payload + 1) > end)
		return XDP_PASS;
	payload[0] = 'X';
	if (bpf_xdp_adjust_tail(ctx, -EDIT_CUT))
		return XDP_ABORTED;
	return XDP_PASS;
}
#endif

char _license[] SEC("license") = "GPL";
