// SPDX-License-Identifier: GPL-2.0
/*
 * XDP programs for rvnet_xdp.sh, one per verdict rvnet handles. Frames of the two test
 * EtherTypes get the verdict; everything else passes, so the guest's own traffic (IPv6
 * neighbour discovery, the test's control) is untouched.
 *
 * Built by scripts/kselftest-image.sh with clang --target=bpf against the kernel's UAPI
 * headers only (no libbpf headers: the few helpers and map macros are declared here), once
 * per program:
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
/* bpf_redirect(), helper 23, and bpf_redirect_map(), helper 51. */
static long (*bpf_redirect)(__u32 ifindex, __u64 flags) = (void *)23;
static long (*bpf_redirect_map)(void *map, __u64 key, __u64 flags) = (void *)51;

/* A BTF-defined map, as libbpf's bpf_helpers.h declares one. */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

/* IEEE 802 "local experimental" EtherTypes. */
#define ETH_P_TEST_TX 0x88b5
#define ETH_P_TEST_EDIT 0x88b6
/* What a frame redirected by rvnet_redirect_map becomes, so that it is not redirected again. */
#define ETH_P_TEST_DONE 0x88b7

/* Swaps the frame's addresses: it goes back to its sender. */
static void swap_macs(struct ethhdr *eth)
{
	unsigned char tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
}

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

/* Test frames ask for a redirect with no target (no bpf_redirect() before): dropped. */
#ifdef RVNET_XDP_REDIRECT_NONE
XDP_SEC
int rvnet_redirect_none(struct xdp_md *ctx)
{
	return test_frame(ctx, ETH_P_TEST_TX) ? XDP_REDIRECT : XDP_PASS;
}
#endif

/*
 * Test frames go back where they came from through a redirect to the device they arrived on
 * (its ndo_xdp_xmit), source and destination swapped.
 */
#ifdef RVNET_XDP_REDIRECT
XDP_SEC
int rvnet_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if (!test_frame(ctx, ETH_P_TEST_TX) || (void *)(eth + 1) > end)
		return XDP_PASS;
	swap_macs(eth);
	return bpf_redirect(ctx->ingress_ifindex, 0);
}
#endif

/*
 * Test frames are redirected to the device in entry 0 of rvnet_ports (a devmap the test
 * fills with bpftool, possibly with a device of another network namespace), as
 * ETH_P_TEST_DONE frames, addresses unchanged.
 */
#ifdef RVNET_XDP_REDIRECT_MAP
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rvnet_ports SEC(".maps");

XDP_SEC
int rvnet_redirect_map(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if (!test_frame(ctx, ETH_P_TEST_TX) || (void *)(eth + 1) > end)
		return XDP_PASS;
	eth->h_proto = __builtin_bswap16(ETH_P_TEST_DONE);
	return bpf_redirect_map(&rvnet_ports, 0, 0);
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

	if (!test_frame(ctx, ETH_P_TEST_TX) || (void *)(eth + 1) > end)
		return XDP_PASS;
	swap_macs(eth);
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
