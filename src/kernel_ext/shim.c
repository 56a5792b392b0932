// SPDX-License-Identifier: GPL-2.0
/*
 * rvnet C shim: the kernel's static-inline helpers and macros as functions Rust can call, and
 * the ops tables that bindgen cannot express (net_device_ops, netdev_stat_ops), whose entries
 * are Rust functions (src/kernel_ext/net/ops.rs). The ethtool_ops table is built in Rust
 * (src/kernel_ext/net/ethtool.rs) and handed to rvnet_alloc_netdev().
 *
 * Glue only: no logic. The only state is in the net_device's private area (the Rust data's
 * pointer, NAPI, XDP and the driver's work item). Everything here is declared in
 * src/kernel_ext/ffi.rs.
 */

#include <linux/bpf.h>
#include <linux/error-injection.h>
#include <linux/build_bug.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <linux/platform_device.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/virtio_net.h>
#include <net/netdev_queues.h>
#include <net/page_pool/helpers.h>
#include <net/xdp.h>
#include <net/xdp_sock_drv.h>
#include <trace/events/xdp.h>

#include "shim.h"

/*
 * The private area of an rvnet net_device: the Rust driver data, the NAPI context, the XDP
 * program (RTNL writes it, the NAPI poll reads it under RCU) and the receive queue's XDP info.
 */
struct rvnet_netdev_priv {
	void *drvdata;
	struct napi_struct napi;
	struct bpf_prog __rcu *xdp_prog;
	struct xdp_rxq_info xdp_rxq;
	/* The receive queue's XDP info for an AF_XDP pool's buffers, while one is bound. */
	struct xdp_rxq_info xsk_rxq;
	/*
	 * The driver's work item (rvnet_netdev_work()): what the control queue is asked for in
	 * atomic context (the receive mode, an announcement) is sent from here.
	 */
	struct net_device *dev;
	struct work_struct work;
	/*
	 * A poll for work no interrupt announces (transmit completions no interrupt was asked
	 * for) when no other poll has done it for a timer tick or two: rvnet_napi_poll_later().
	 * Stopped with NAPI (rvnet_napi_disable()).
	 */
	struct timer_list napi_timer;
	int napi_later;
};

/* priv->napi_later: no poll wanted; wanted; wanted and no poll done it for a whole tick. */
enum {
	RVNET_LATER_IDLE,
	RVNET_LATER_WANTED,
	RVNET_LATER_OVERDUE,
};

static struct rvnet_netdev_priv *rvnet_priv(struct net_device *dev)
{
	return netdev_priv(dev);
}

#ifdef CONFIG_BPF_SYSCALL
/*
 * ndo_bpf: native XDP programs and AF_XDP buffer pools (no offload). Without the bpf() system
 * call no program can be loaded, so a kernel without it gets no ndo_bpf and no XDP features,
 * as in-tree drivers end up with; the rest of the XDP path is then never reached.
 */
static int rvnet_ndo_bpf(struct net_device *dev, struct netdev_bpf *bpf)
{
	switch (bpf->command) {
	case XDP_SETUP_PROG:
		return rvnet_ndo_xdp_setup(dev, bpf->prog, bpf->extack);
	case XDP_SETUP_XSK_POOL:
		return rvnet_ndo_xsk_setup(dev, bpf->xsk.pool, bpf->xsk.queue_id);
	default:
		return -EINVAL;
	}
}
#endif

/*
 * ndo_set_mac_address (virtnet_set_mac_address()): the core's checks (a valid unicast address;
 * while running only with IFF_LIVE_ADDR_CHANGE), then the driver tells the device where it
 * can, then the interface takes the address. A refusal by the driver changes nothing.
 */
static int rvnet_ndo_set_mac_address(struct net_device *dev, void *p)
{
	struct sockaddr *addr = p;
	int err;

	err = eth_prepare_mac_addr_change(dev, p);
	if (err)
		return err;
	err = rvnet_ndo_set_mac(dev, (const u8 *)addr->sa_data);
	if (err)
		return err;
	eth_commit_mac_addr_change(dev, p);
	return 0;
}

/*
 * ndo_set_rx_mode runs with the address lists locked, bottom halves off: the control queue's
 * commands wait for the device, so the work item sends them (virtnet_set_rx_mode()).
 */
static void rvnet_ndo_set_rx_mode(struct net_device *dev)
{
	rvnet_netdev_schedule_work(dev);
}

/*
 * The work item: under RTNL, for a registered device only. Registration's teardown disables
 * it (rvnet_netdev_disable_work()) after unregister_netdev() and before the driver data goes.
 */
static void rvnet_netdev_work_fn(struct work_struct *work)
{
	struct rvnet_netdev_priv *priv = container_of(work, struct rvnet_netdev_priv, work);

	rtnl_lock();
	if (priv->dev->reg_state == NETREG_REGISTERED)
		rvnet_netdev_work(priv->dev);
	rtnl_unlock();
}

void rvnet_netdev_schedule_work(struct net_device *dev)
{
	schedule_work(&rvnet_priv(dev)->work);
}

void rvnet_netdev_disable_work(struct net_device *dev)
{
	disable_work_sync(&rvnet_priv(dev)->work);
}

/* The VLAN filter (virtnet_vlan_rx_add_vid()); only 802.1Q tags are filtered. */
static int rvnet_ndo_vlan_rx_add_vid(struct net_device *dev, __be16 proto, u16 vid)
{
	return rvnet_ndo_vlan_filter(dev, vid, true);
}

static int rvnet_ndo_vlan_rx_kill_vid(struct net_device *dev, __be16 proto, u16 vid)
{
	return rvnet_ndo_vlan_filter(dev, vid, false);
}

void rvnet_netdev_rx_lists(struct net_device *dev, struct rvnet_rx_lists *lists)
{
	struct netdev_hw_addr *ha;
	unsigned int i;

	netif_addr_lock_bh(dev);
	lists->promisc = !!(dev->flags & IFF_PROMISC);
	lists->allmulti = !!(dev->flags & IFF_ALLMULTI);
	lists->n_uc = netdev_uc_count(dev);
	lists->n_mc = netdev_mc_count(dev);
	i = 0;
	netdev_for_each_uc_addr(ha, dev) {
		if (i == RVNET_RX_LIST_MAX)
			break;
		memcpy(lists->uc[i++], ha->addr, ETH_ALEN);
	}
	i = 0;
	netdev_for_each_mc_addr(ha, dev) {
		if (i == RVNET_RX_LIST_MAX)
			break;
		memcpy(lists->mc[i++], ha->addr, ETH_ALEN);
	}
	netif_addr_unlock_bh(dev);
}

u64 rvnet_netdev_features(struct net_device *dev)
{
	return READ_ONCE(dev->features);
}

void rvnet_netdev_set_filters(struct net_device *dev, bool rx_filter, bool vlan_filter)
{
	/* Secondary unicast addresses go to the device's table, not to promiscuous mode. */
	if (rx_filter)
		dev->priv_flags |= IFF_UNICAST_FLT;
	/* After vlan_features: VLAN devices on top have no VLANs of their own to filter. */
	if (vlan_filter)
		dev->features |= NETIF_F_HW_VLAN_CTAG_FILTER;
}

static const struct net_device_ops rvnet_netdev_ops = {
	.ndo_open = rvnet_ndo_open,
	.ndo_stop = rvnet_ndo_stop,
	.ndo_start_xmit = rvnet_ndo_start_xmit,
	.ndo_get_stats64 = rvnet_ndo_get_stats64,
	.ndo_validate_addr = eth_validate_addr,
	.ndo_set_mac_address = rvnet_ndo_set_mac_address,
	.ndo_change_mtu = rvnet_ndo_change_mtu,
	.ndo_tx_timeout = rvnet_ndo_tx_timeout,
	.ndo_set_rx_mode = rvnet_ndo_set_rx_mode,
	.ndo_set_features = rvnet_ndo_set_features,
	.ndo_vlan_rx_add_vid = rvnet_ndo_vlan_rx_add_vid,
	.ndo_vlan_rx_kill_vid = rvnet_ndo_vlan_rx_kill_vid,
#ifdef CONFIG_BPF_SYSCALL
	.ndo_bpf = rvnet_ndo_bpf,
	.ndo_xdp_xmit = rvnet_ndo_xdp_xmit,
	.ndo_xsk_wakeup = rvnet_ndo_xsk_wakeup,
#endif
};

/*
 * Per-queue statistics (netdev netlink qstats). The counters live as long as the device and
 * every packet goes through its one queue pair: queue 0 has everything, the base nothing.
 */
static void rvnet_get_queue_stats_rx(struct net_device *dev, int idx,
				     struct netdev_queue_stats_rx *rx)
{
	struct rvnet_queue_stats s;

	rvnet_queue_stats(dev, idx, &s);
	rx->packets = s.rx_packets;
	rx->bytes = s.rx_bytes;
	rx->hw_gro_packets = s.rx_hw_gro_packets;
	rx->alloc_fail = s.rx_alloc_fail;
}

static void rvnet_get_queue_stats_tx(struct net_device *dev, int idx,
				     struct netdev_queue_stats_tx *tx)
{
	struct rvnet_queue_stats s;

	rvnet_queue_stats(dev, idx, &s);
	tx->packets = s.tx_packets;
	tx->bytes = s.tx_bytes;
	tx->stop = s.tx_stop;
	tx->wake = s.tx_wake;
	tx->hw_gso_packets = s.tx_hw_gso_packets;
}

static void rvnet_get_base_stats(struct net_device *dev, struct netdev_queue_stats_rx *rx,
				 struct netdev_queue_stats_tx *tx)
{
	rx->packets = 0;
	rx->bytes = 0;
	rx->hw_gro_packets = 0;
	rx->alloc_fail = 0;
	tx->packets = 0;
	tx->bytes = 0;
	tx->stop = 0;
	tx->wake = 0;
	tx->hw_gso_packets = 0;
}

static const struct netdev_stat_ops rvnet_stat_ops = {
	.get_queue_stats_rx = rvnet_get_queue_stats_rx,
	.get_queue_stats_tx = rvnet_get_queue_stats_tx,
	.get_base_stats = rvnet_get_base_stats,
};

/* Rust writes the head of rtnl_link_stats64 through this layout (ffi::rtnl_link_stats64_head). */
static_assert(offsetof(struct rtnl_link_stats64, rx_packets) == 0 * 8);
static_assert(offsetof(struct rtnl_link_stats64, tx_packets) == 1 * 8);
static_assert(offsetof(struct rtnl_link_stats64, rx_bytes) == 2 * 8);
static_assert(offsetof(struct rtnl_link_stats64, tx_bytes) == 3 * 8);
static_assert(offsetof(struct rtnl_link_stats64, rx_errors) == 4 * 8);
static_assert(offsetof(struct rtnl_link_stats64, tx_errors) == 5 * 8);
static_assert(offsetof(struct rtnl_link_stats64, rx_dropped) == 6 * 8);
static_assert(offsetof(struct rtnl_link_stats64, tx_dropped) == 7 * 8);
static_assert(NETDEV_TX_OK == 0);
static_assert(XDP_XMIT_FLUSH == 1);
static_assert(NETDEV_TX_BUSY == 0x10);
/* The layout Rust shares with this file (kernel_ext::ffi::rvnet_queue_stats). */
static_assert(sizeof(struct rvnet_queue_stats) == 9 * 8);
/* kernel_ext::ffi::rvnet_rx_lists. */
static_assert(sizeof(struct rvnet_rx_lists) == 12 + 2 * RVNET_RX_LIST_MAX * ETH_ALEN);
static_assert(offsetof(struct rvnet_rx_lists, mc) == 12 + RVNET_RX_LIST_MAX * ETH_ALEN);

static void rvnet_napi_timer_fn(struct timer_list *timer)
{
	struct rvnet_netdev_priv *priv = timer_container_of(priv, timer, napi_timer);

	/*
	 * The timer is no longer pending: order that before the test of napi_later. Pairs with
	 * rvnet_napi_poll_later(): either it finds the timer not pending and sets it again, or
	 * this finds the request.
	 */
	smp_mb();
	switch (cmpxchg(&priv->napi_later, RVNET_LATER_WANTED, RVNET_LATER_OVERDUE)) {
	case RVNET_LATER_WANTED:
		/* Wanted since the last tick at most: another poll may still do it. */
		mod_timer(&priv->napi_timer, jiffies + 1);
		break;
	case RVNET_LATER_OVERDUE:
		/* A whole tick, and no poll did it: one now, and a tick for what it leaves. */
		WRITE_ONCE(priv->napi_later, RVNET_LATER_WANTED);
		napi_schedule(&priv->napi);
		mod_timer(&priv->napi_timer, jiffies + 1);
		break;
	}
}

struct net_device *rvnet_alloc_netdev(struct device *parent,
				      const struct ethtool_ops *ethtool_ops)
{
	struct net_device *dev = alloc_etherdev(sizeof(struct rvnet_netdev_priv));

	if (!dev)
		return NULL;
	SET_NETDEV_DEV(dev, parent);
	dev->netdev_ops = &rvnet_netdev_ops;
	dev->ethtool_ops = ethtool_ops;
	dev->stat_ops = &rvnet_stat_ops;
	/* The address may change while the interface runs (rvnet_ndo_set_mac_address()). */
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
#ifdef CONFIG_BPF_SYSCALL
	/*
	 * XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX and XDP_REDIRECT; frames in fragments for
	 * xdp.frags; ndo_xdp_xmit for frames redirected here, in fragments too; AF_XDP
	 * zero-copy, a frame in one buffer (xdp_zc_max_segs stays 1).
	 */
	dev->xdp_features = NETDEV_XDP_ACT_BASIC | NETDEV_XDP_ACT_REDIRECT |
			    NETDEV_XDP_ACT_RX_SG | NETDEV_XDP_ACT_NDO_XMIT |
			    NETDEV_XDP_ACT_NDO_XMIT_SG | NETDEV_XDP_ACT_XSK_ZEROCOPY;
#endif
	/*
	 * With a persistent configuration (index 0: the one queue pair), the NAPI ID and its
	 * settings survive a down/up, as virtio_net's do. free_netdev() deletes it.
	 */
	netif_napi_add_config(dev, &rvnet_priv(dev)->napi,
			      rvnet_napi_poll, 0);
	rvnet_priv(dev)->dev = dev;
	INIT_WORK(&rvnet_priv(dev)->work, rvnet_netdev_work_fn);
	timer_setup(&rvnet_priv(dev)->napi_timer, rvnet_napi_timer_fn, 0);
	return dev;
}

unsigned int rvnet_netdev_mtu(struct net_device *dev)
{
	return READ_ONCE(dev->mtu);
}

void rvnet_netdev_write_mtu(struct net_device *dev, unsigned int mtu)
{
	WRITE_ONCE(dev->mtu, mtu);
}

void rvnet_set_err_msg(struct netlink_ext_ack *extack, const char *msg)
{
	NL_SET_ERR_MSG_FMT(extack, "%s: %s", KBUILD_MODNAME, msg);
}

struct bpf_prog *rvnet_xdp_swap(struct net_device *dev, struct bpf_prog *prog)
{
	return rcu_replace_pointer(rvnet_priv(dev)->xdp_prog, prog, lockdep_rtnl_is_held());
}

bool rvnet_xdp_attached_linear(struct net_device *dev)
{
	struct bpf_prog *prog = rtnl_dereference(rvnet_priv(dev)->xdp_prog);

	return prog && !prog->aux->xdp_has_frags;
}

bool rvnet_xdp_has_frags(struct bpf_prog *prog)
{
	return prog->aux->xdp_has_frags;
}

void *rvnet_page_address(struct page *page)
{
	return page_address(page);
}

struct bpf_prog *rvnet_xdp_prog(struct net_device *dev)
{
	return rcu_dereference(rvnet_priv(dev)->xdp_prog);
}

int rvnet_xdp_rxq_reg(struct net_device *dev)
{
	struct rvnet_netdev_priv *priv = rvnet_priv(dev);
	int err;

	err = xdp_rxq_info_reg(&priv->xdp_rxq, dev, 0, priv->napi.napi_id);
	if (err)
		return err;
	/* Fragments are whole pages of the driver's, released with put_page(). */
	err = xdp_rxq_info_reg_mem_model(&priv->xdp_rxq, MEM_TYPE_PAGE_ORDER0, NULL);
	if (err)
		xdp_rxq_info_unreg(&priv->xdp_rxq);
	return err;
}

void rvnet_xdp_rxq_unreg(struct net_device *dev)
{
	xdp_rxq_info_unreg(&rvnet_priv(dev)->xdp_rxq);
}

/*
 * Runs prog on the frame at buf + *off (*len bytes; buf is frame_sz bytes) and, with
 * *nr_frags > 0, its rest in pages[i] (lens[i] bytes each, from offset 0). On return *off and
 * *len give the linear part the program left, and pages, offs, lens and *nr_frags its
 * fragments.
 *
 * Page references: the caller (kernel_ext::net::xdp::XdpBuf) owns one reference on each
 * fragment page and keeps it across the run; it never hands a page to the program. While the
 * program runs, each fragment carries one more reference, taken here: a helper that releases
 * a fragment (bpf_xdp_adjust_tail() shrinking the frame, with the MEM_TYPE_PAGE_ORDER0
 * memory model of rvnet_xdp_rxq_reg()) puts that one. After the run this puts the extra
 * reference of every fragment that is left, so each page is back to the caller's one
 * reference, whatever the program did.
 *
 * XDP_REDIRECT is carried out here, on the xdp_buff the program ran on (xdp_do_redirect(),
 * before anything else runs a program on this CPU). *redirected says whether the kernel took
 * the frame. If it did, the frame owns the head page (buf: the caller's reference, which the
 * caller gives up) and, for each fragment left in pages[], the run's reference (the caller
 * puts its own); none of it is touched here afterwards, as the frame may already be gone. If
 * not, the references are as for any other verdict.
 */
u32 rvnet_xdp_run(struct bpf_prog *prog, struct net_device *dev, u8 *buf, u32 frame_sz,
		  u32 *off, u32 *len, struct page **pages, u32 *offs, u32 *lens, u32 *nr_frags,
		  bool *redirected)
{
	struct skb_shared_info *sinfo;
	struct xdp_buff xdp;
	u32 act, i, n = *nr_frags, size = 0;

	xdp_init_buff(&xdp, frame_sz, &rvnet_priv(dev)->xdp_rxq);
	xdp_prepare_buff(&xdp, buf, *off, *len, false);
	sinfo = xdp_get_shared_info_from_buff(&xdp);
	if (n) {
		for (i = 0; i < n; i++) {
			get_page(pages[i]);
			skb_frag_fill_page_desc(&sinfo->frags[i], pages[i], 0, lens[i]);
			size += lens[i];
		}
		sinfo->nr_frags = n;
		sinfo->xdp_frags_size = size;
		sinfo->xdp_frags_truesize = n * PAGE_SIZE;
		xdp_buff_set_frags_flag(&xdp);
	}
	act = bpf_prog_run_xdp(prog, &xdp);
	*off = xdp.data - xdp.data_hard_start;
	*len = xdp.data_end - xdp.data;
	n = xdp_buff_has_frags(&xdp) ? sinfo->nr_frags : 0;
	for (i = 0; i < n; i++) {
		pages[i] = skb_frag_page(&sinfo->frags[i]);
		offs[i] = skb_frag_off(&sinfo->frags[i]);
		lens[i] = skb_frag_size(&sinfo->frags[i]);
	}
	*nr_frags = n;
	*redirected = act == XDP_REDIRECT && !xdp_do_redirect(dev, &xdp, prog);
	if (*redirected)
		return act;
	for (i = 0; i < n; i++)
		put_page(pages[i]);
	return act;
}

/*
 * AF_XDP zero-copy (kernel_ext::net::xsk). Binding a pool: the receive queue's second XDP
 * info, of the pool's memory model, goes to the pool's buffers, and the pool is mapped for
 * the device that does DMA (virtnet_xsk_pool_enable()). Unbinding undoes both, in reverse.
 */
int rvnet_xsk_bind(struct net_device *dev, struct xsk_buff_pool *pool, struct device *dma_dev)
{
	struct rvnet_netdev_priv *priv = rvnet_priv(dev);
	int err;

	err = xdp_rxq_info_reg(&priv->xsk_rxq, dev, 0, priv->napi.napi_id);
	if (err)
		return err;
	err = xdp_rxq_info_reg_mem_model(&priv->xsk_rxq, MEM_TYPE_XSK_BUFF_POOL, NULL);
	if (err)
		goto unreg;
	xsk_pool_set_rxq_info(pool, &priv->xsk_rxq);
	err = xsk_pool_dma_map(pool, dma_dev, 0);
	if (err)
		goto unreg;
	return 0;
unreg:
	xdp_rxq_info_unreg(&priv->xsk_rxq);
	return err;
}

void rvnet_xsk_unbind(struct net_device *dev, struct xsk_buff_pool *pool)
{
	xsk_pool_dma_unmap(pool, 0);
	xdp_rxq_info_unreg(&rvnet_priv(dev)->xsk_rxq);
}

u32 rvnet_xsk_rx_frame_size(struct xsk_buff_pool *pool)
{
	return xsk_pool_get_rx_frame_size(pool);
}

struct xdp_buff *rvnet_xsk_alloc(struct xsk_buff_pool *pool)
{
	return xsk_buff_alloc(pool);
}

void rvnet_xsk_free(struct xdp_buff *xdp)
{
	xsk_buff_free(xdp);
}

/* Where the device writes: the virtio_net_hdr in the last hdr_len bytes of the headroom. */
u64 rvnet_xsk_dma(struct xdp_buff *xdp, u32 hdr_len)
{
	return xsk_buff_xdp_get_dma(xdp) - hdr_len;
}

/*
 * The device wrote a frame of len bytes after a header of hdr_len: made visible to the CPU,
 * the buffer holds the frame, and the header's first n bytes are copied to hdr.
 */
void rvnet_xsk_received(struct xdp_buff *xdp, u32 len, u32 hdr_len, u8 *hdr, u32 n)
{
	struct xdp_buff_xsk *xskb = container_of(xdp, struct xdp_buff_xsk, xdp);

	xsk_buff_set_size(xdp, len);
	/* The pool syncs the frame; the header in the headroom before it is the driver's. */
	dma_sync_single_for_cpu(xskb->pool->dev, xskb->dma - hdr_len, hdr_len,
				DMA_BIDIRECTIONAL);
	xsk_buff_dma_sync_for_cpu(xdp);
	memcpy(hdr, xdp->data - hdr_len, min(n, hdr_len));
}

/*
 * Runs prog on a pool's buffer and carries out XDP_REDIRECT: *redirected when the buffer
 * left (to an AF_XDP socket, without a copy, or copied into a frame for another target).
 */
u32 rvnet_xsk_run(struct bpf_prog *prog, struct net_device *dev, struct xdp_buff *xdp,
		  bool *redirected)
{
	u32 act = bpf_prog_run_xdp(prog, xdp);

	*redirected = act == XDP_REDIRECT && !xdp_do_redirect(dev, xdp, prog);
	return act;
}

/* A copy of the frame a pool's buffer holds as a frame of its own (XDP_TX), or NULL. */
struct xdp_frame *rvnet_xsk_to_frame(struct xdp_buff *xdp)
{
	return xdp_convert_buff_to_frame(xdp);
}

/*
 * The frame a pool's buffer holds (and its metadata), copied into a socket buffer from the
 * NAPI cache (xsk_construct_skb()), or NULL. The buffer stays the caller's.
 */
struct sk_buff *rvnet_xsk_to_skb(struct napi_struct *napi, struct xdp_buff *xdp)
{
	unsigned int metasize = xdp->data - xdp->data_meta;
	unsigned int size = xdp->data_end - xdp->data_meta;
	struct sk_buff *skb;

	skb = napi_alloc_skb(napi, xdp->data_end - xdp->data_hard_start);
	if (unlikely(!skb))
		return NULL;
	skb_reserve(skb, xdp->data_meta - xdp->data_hard_start);
	memcpy(__skb_put(skb, size), xdp->data_meta, size);
	if (metasize) {
		__skb_pull(skb, metasize);
		skb_metadata_set(skb, metasize);
	}
	return skb;
}

/*
 * The next frame the socket asks to send: its DMA address, synced for the device, and
 * length. False when there is none.
 */
bool rvnet_xsk_tx_peek(struct xsk_buff_pool *pool, u64 *dma, u32 *len)
{
	struct xdp_desc desc;

	if (!xsk_tx_peek_desc(pool, &desc))
		return false;
	*dma = xsk_buff_raw_get_dma(pool, desc.addr);
	*len = desc.len;
	xsk_buff_raw_dma_sync_for_device(pool, *dma, desc.len);
	return true;
}

void rvnet_xsk_tx_release(struct xsk_buff_pool *pool)
{
	xsk_tx_release(pool);
}

void rvnet_xsk_tx_completed(struct xsk_buff_pool *pool, u32 n)
{
	xsk_tx_completed(pool, n);
}

/* Tells the socket whether it must wake the driver (sendto(), poll()) for rx or tx. */
void rvnet_xsk_need_wakeup(struct xsk_buff_pool *pool, bool rx, bool need)
{
	if (!xsk_uses_need_wakeup(pool))
		return;
	if (rx && need)
		xsk_set_rx_need_wakeup(pool);
	else if (rx)
		xsk_clear_rx_need_wakeup(pool);
	else if (need)
		xsk_set_tx_need_wakeup(pool);
	else
		xsk_clear_tx_need_wakeup(pool);
}

bool rvnet_xsk_uses_need_wakeup(struct xsk_buff_pool *pool)
{
	return xsk_uses_need_wakeup(pool);
}

/* napi_schedule() from process context: the softirq runs at the bh enable (xsk_wakeup()). */
void rvnet_napi_schedule_bh(struct napi_struct *napi)
{
	if (napi_if_scheduled_mark_missed(napi))
		return;
	local_bh_disable();
	napi_schedule(napi);
	local_bh_enable();
}

/* Sends what XDP_REDIRECT queued in this NAPI poll (devmap, cpumap, AF_XDP sockets). */
void rvnet_xdp_do_flush(void)
{
	xdp_do_flush();
}

/*
 * Part i of a frame given to ndo_xdp_xmit: 0 is its linear part, 1.. its fragments (which
 * are in lowmem: page_address() maps them). False past the last part.
 */
bool rvnet_xdp_frame_part(struct xdp_frame *frame, u32 i, const u8 **data, u32 *len)
{
	struct skb_shared_info *sinfo;

	if (i == 0) {
		*data = frame->data;
		*len = frame->len;
		return true;
	}
	if (!xdp_frame_has_frags(frame))
		return false;
	sinfo = xdp_get_shared_info_from_frame(frame);
	if (i > sinfo->nr_frags)
		return false;
	*data = skb_frag_address(&sinfo->frags[i - 1]);
	*len = skb_frag_size(&sinfo->frags[i - 1]);
	return *data;
}

/* The frame's bytes, its fragments' included. */
u32 rvnet_xdp_frame_len(struct xdp_frame *frame)
{
	return xdp_get_frame_len(frame);
}

/* Gives a frame given to ndo_xdp_xmit back to its owner (its memory model). */
void rvnet_xdp_return_frame(struct xdp_frame *frame)
{
	xdp_return_frame(frame);
}

/* bpf_prog_put(), or the kernel's stub where it has no bpf() system call. */
void rvnet_bpf_prog_put(struct bpf_prog *prog)
{
	bpf_prog_put(prog);
}

void rvnet_xdp_exception(struct bpf_prog *prog, struct net_device *dev, u32 act)
{
	if (act > XDP_REDIRECT)
		bpf_warn_invalid_xdp_action(dev, prog, act);
	trace_xdp_exception(dev, prog, act);
}

void rvnet_napi_set_irq(struct napi_struct *napi, int irq)
{
	netif_napi_set_irq(napi, irq);
}

void rvnet_queues_set_napi(struct net_device *dev, struct napi_struct *napi)
{
	netif_queue_set_napi(dev, 0, NETDEV_QUEUE_TYPE_RX, napi);
	netif_queue_set_napi(dev, 0, NETDEV_QUEUE_TYPE_TX, napi);
}

void rvnet_netdev_set_drvdata(struct net_device *dev, void *data)
{
	rvnet_priv(dev)->drvdata = data;
}

void *rvnet_netdev_drvdata(struct net_device *dev)
{
	return rvnet_priv(dev)->drvdata;
}

/*
 * A copy of dev->name, taken under RTNL, which dev_change_name() holds while it rewrites the
 * name in place (netdev_copy_name() does the same with a seqlock that is not exported).
 * Process context only: may sleep.
 */
void rvnet_netdev_copy_name(struct net_device *dev, char *name)
{
	rtnl_lock();
	strscpy(name, dev->name, IFNAMSIZ);
	rtnl_unlock();
}

void rvnet_netdev_copy_name_rtnl(struct net_device *dev, char *name)
{
	ASSERT_RTNL();
	strscpy(name, dev->name, IFNAMSIZ);
}

struct device *rvnet_netdev_parent(struct net_device *dev)
{
	return dev->dev.parent;
}

const u8 *rvnet_netdev_addr(struct net_device *dev)
{
	return dev->dev_addr;
}

void rvnet_netdev_set_addr(struct net_device *dev, const u8 *addr)
{
	eth_hw_addr_set(dev, addr);
}

void rvnet_netdev_random_addr(struct net_device *dev)
{
	eth_hw_addr_random(dev);
}

void rvnet_netdev_set_mtu(struct net_device *dev, unsigned int mtu, unsigned int max_mtu)
{
	dev->mtu = mtu;
	dev->max_mtu = max_mtu;
}

/* What rvnet_skb_map_*() return on failure (kernel_ext::net::skb_dma::MAPPING_ERROR). */
static_assert(DMA_MAPPING_ERROR == ~(dma_addr_t)0);

/* The fields of struct virtio_net_hdr that Rust reads and writes as bytes. */
static_assert(sizeof(struct virtio_net_hdr) == RVNET_VNET_HDR_LEN);

void rvnet_netdev_set_features(struct net_device *dev, u64 hw_features, u64 features,
			       unsigned int tso_max_size)
{
	dev->hw_features = hw_features;
	dev->features = features;
	/* As virtio_net: VLAN devices on top offload the same. */
	dev->vlan_features = features;
	netif_set_tso_max_size(dev, tso_max_size);
}

int rvnet_skb_vnet_hdr(const struct sk_buff *skb, u8 *hdr, bool little_endian)
{
	return virtio_net_hdr_from_skb(skb, (struct virtio_net_hdr *)hdr, little_endian, false, 0);
}

/*
 * The frames a segmentation offload packet (TCP or UDP) makes on the wire, and the bytes of
 * headers that each frame after the first repeats, as qdisc_pkt_len_segs_init() counts them:
 * gso_segs, or for a packet from an untrusted source (SKB_GSO_DODGY, gso_segs 0) its payload
 * over gso_size. One frame and no bytes for any other packet, or headers that cannot be read.
 */
unsigned int rvnet_skb_wire_segs(const struct sk_buff *skb, unsigned int *hdr_len)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	unsigned int segs;
	int hlen;

	*hdr_len = 0;
	if (!skb_is_gso(skb) || !skb_transport_header_was_set(skb))
		return 1;
	hlen = skb_transport_offset(skb);
	if (hlen < 0)
		return 1;
	if (shinfo->gso_type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6)) {
		const struct tcphdr *th;
		struct tcphdr _th;

		th = skb_header_pointer(skb, hlen, sizeof(_th), &_th);
		if (!th)
			return 1;
		hlen += __tcp_hdrlen(th);
	} else if (shinfo->gso_type & SKB_GSO_UDP_L4) {
		hlen += sizeof(struct udphdr);
	} else {
		return 1;
	}
	if (hlen >= skb->len)
		return 1;
	segs = shinfo->gso_segs;
	if (!segs)
		segs = DIV_ROUND_UP(skb->len - hlen, shinfo->gso_size);
	if (segs < 2)
		return 1;
	*hdr_len = hlen;
	return segs;
}

int rvnet_skb_set_vnet_hdr(struct sk_buff *skb, const u8 *hdr, bool csum_valid,
			   bool little_endian)
{
	struct virtio_net_hdr h;

	memcpy(&h, hdr, sizeof(h));
	if (csum_valid)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	return virtio_net_hdr_to_skb(skb, &h, little_endian);
}

struct page_pool *rvnet_page_pool_create(struct device *dma_dev, unsigned int size)
{
	/*
	 * As virtio_net's receive queues: order-0 pages, mapped for the device by the pool
	 * (DMA_SYNC_DEV for non-coherent machines when a page is recycled). The pool is made
	 * before the net_device and its NAPI context exist: the context is attached once it is
	 * added (page_pool_enable_direct_recycling(), kernel_ext::net::page_pool::NapiAttach),
	 * so that pages the stack frees in the poll come back to the pool's cache rather than
	 * through its ring's lock.
	 */
	struct page_pool_params pp = {
		.order = 0,
		.flags = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
		.pool_size = size,
		.nid = dev_to_node(dma_dev),
		.dev = dma_dev,
		.dma_dir = DMA_FROM_DEVICE,
		.max_len = PAGE_SIZE,
		.offset = 0,
	};
	struct page_pool *pool = page_pool_create(&pp);

	return IS_ERR(pool) ? NULL : pool;
}

void rvnet_page_pool_destroy(struct page_pool *pool)
{
	page_pool_destroy(pool);
}

struct page *rvnet_page_pool_alloc(struct page_pool *pool, unsigned int size,
				   unsigned int *offset, u64 *dma)
{
	struct page *page;

	/*
	 * A buffer of more than half a page has the page to itself, as page_pool_dev_alloc()
	 * gives it: no fragment accounting. Failures of page_pool_alloc_pages() can be injected
	 * (fail_function), as drivers/net/hw/pp_alloc_fail.py does.
	 */
	if (size > PAGE_SIZE / 2) {
		*offset = 0;
		page = page_pool_dev_alloc_pages(pool);
	} else {
		page = page_pool_dev_alloc_frag(pool, offset, size);
	}

	if (page)
		*dma = page_pool_get_dma_addr(page) + *offset;
	return page;
}

void rvnet_page_pool_put(struct page_pool *pool, struct page *page)
{
	page_pool_put_page(pool, page, -1, false);
}

void rvnet_page_pool_sync_for_cpu(struct page_pool *pool, struct page *page,
				  unsigned int offset, unsigned int len)
{
	page_pool_dma_sync_for_cpu(pool, page, offset, len);
}

void rvnet_skb_add_rx_frag(struct sk_buff *skb, struct page *page, unsigned int offset,
			   unsigned int len, unsigned int truesize)
{
	skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, offset, len, truesize);
	/* The page is the pool's: freeing the skb recycles it there. */
	skb_mark_for_recycle(skb);
}

/*
 * A socket buffer around a buffer of the receive page pool (napi_build_skb()), as
 * virtnet_build_skb() makes one for a mergeable buffer: the buffer is truesize bytes at offset
 * in page, the packet len bytes after headroom, and the buffer's last RVNET_SKB_SHINFO_ROOM
 * bytes, which the packet leaves free, take the shared info. The page reference passes to the
 * skb, which returns it to the pool when freed; on failure (NULL) it stays the caller's.
 * Softirq (a NAPI poll).
 */
static_assert(SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) <= RVNET_SKB_SHINFO_ROOM);
/* The packet lies right after its header, where an architecture that aligns IP headers
 * (NET_IP_ALIGN) would need it copied. */
static_assert(NET_IP_ALIGN == 0);
struct sk_buff *rvnet_napi_build_skb(struct page *page, unsigned int offset,
				     unsigned int truesize, unsigned int headroom,
				     unsigned int len)
{
	struct sk_buff *skb = napi_build_skb(page_address(page) + offset, truesize);

	if (unlikely(!skb))
		return NULL;
	skb_reserve(skb, headroom);
	skb_put(skb, len);
	/* The head is the pool's page: freeing the skb recycles it there. */
	skb_mark_for_recycle(skb);
	return skb;
}

unsigned int rvnet_skb_nr_frags(struct sk_buff *skb)
{
	return skb_shinfo(skb)->nr_frags;
}

/*
 * Streaming DMA of a socket buffer for transmission. Each returns DMA_MAPPING_ERROR when the
 * mapping failed (dma_mapping_error()), and the length mapped in *len.
 */
u64 rvnet_skb_map_head(struct device *dev, struct sk_buff *skb, unsigned int *len)
{
	dma_addr_t addr;

	*len = skb_headlen(skb);
	addr = dma_map_single(dev, skb->data, *len, DMA_TO_DEVICE);
	return dma_mapping_error(dev, addr) ? DMA_MAPPING_ERROR : addr;
}

u64 rvnet_skb_map_frag(struct device *dev, struct sk_buff *skb, unsigned int i,
		       unsigned int *len)
{
	const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];
	dma_addr_t addr;

	*len = skb_frag_size(frag);
	addr = skb_frag_dma_map(dev, frag, 0, *len, DMA_TO_DEVICE);
	return dma_mapping_error(dev, addr) ? DMA_MAPPING_ERROR : addr;
}

void rvnet_dma_unmap_head(struct device *dev, u64 addr, unsigned int len)
{
	dma_unmap_single(dev, addr, len, DMA_TO_DEVICE);
}

void rvnet_dma_unmap_frag(struct device *dev, u64 addr, unsigned int len)
{
	dma_unmap_page(dev, addr, len, DMA_TO_DEVICE);
}

bool rvnet_skb_push_hdr(struct sk_buff *skb, const u8 *hdr, unsigned int len)
{
	/* As xmit_skb()'s can_push: aligned, room in front, and the header not shared. */
	if (((unsigned long)skb->data & (__alignof__(struct virtio_net_hdr_mrg_rxbuf) - 1)) ||
	    skb_header_cloned(skb) || skb_headroom(skb) < len)
		return false;
	memcpy(__skb_push(skb, len), hdr, len);
	return true;
}

void rvnet_skb_pull_hdr(struct sk_buff *skb, unsigned int len)
{
	__skb_pull(skb, len);
}

unsigned int rvnet_skb_headlen(struct sk_buff *skb)
{
	return skb_headlen(skb);
}

void rvnet_skb_tx_timestamp(struct sk_buff *skb)
{
	skb_tx_timestamp(skb);
}

void rvnet_netdev_hold(struct net_device *dev)
{
	dev_hold(dev);
}

void rvnet_netdev_put(struct net_device *dev)
{
	dev_put(dev);
}

/*
 * Whether dev is in the network namespace of the calling task, as a reader of /proc/net/dev
 * sees only its own namespace's interfaces. Process context; a task's own nsproxy is stable
 * while it runs. The namespaces are compared, never entered.
 */
bool rvnet_netdev_in_current_net(struct net_device *dev)
{
	struct nsproxy *ns = current->nsproxy;

	return ns && net_eq(dev_net(dev), ns->net_ns);
}

bool rvnet_carrier_ok(struct net_device *dev)
{
	return netif_carrier_ok(dev);
}

void rvnet_netif_start_queue(struct net_device *dev)
{
	netif_start_queue(dev);
}

void rvnet_netif_stop_queue(struct net_device *dev)
{
	netif_stop_queue(dev);
}

void rvnet_netif_wake_queue(struct net_device *dev)
{
	netif_wake_queue(dev);
}

bool rvnet_netif_queue_stopped(struct net_device *dev)
{
	return netif_queue_stopped(dev);
}

bool rvnet_netif_xmit_stopped(struct net_device *dev)
{
	return netif_xmit_stopped(netdev_get_tx_queue(dev, 0));
}

/*
 * The lock of the device's only transmit queue, which the core holds around ndo_start_xmit
 * (HARD_TX_LOCK), taken in a NAPI poll as virtnet_poll_cleantx() and virtnet_xdp_xmit() take it.
 * Bottom halves are off (softirq).
 */
void rvnet_tx_lock(struct net_device *dev)
{
	__netif_tx_lock(netdev_get_tx_queue(dev, 0), smp_processor_id());
}

bool rvnet_tx_trylock(struct net_device *dev)
{
	return __netif_tx_trylock(netdev_get_tx_queue(dev, 0));
}

void rvnet_tx_unlock(struct net_device *dev)
{
	__netif_tx_unlock(netdev_get_tx_queue(dev, 0));
}

void rvnet_tx_lock_bh(struct net_device *dev)
{
	__netif_tx_lock_bh(netdev_get_tx_queue(dev, 0));
}

void rvnet_tx_unlock_bh(struct net_device *dev)
{
	__netif_tx_unlock_bh(netdev_get_tx_queue(dev, 0));
}

void rvnet_local_bh_disable(void)
{
	local_bh_disable();
}

void rvnet_local_bh_enable(void)
{
	local_bh_enable();
}

/*
 * The data path stopped and started again around a device reset (RTNL held, process context),
 * as virtnet_tx_pause()/virtnet_tx_resume() and virtnet_napi_disable()/virtnet_napi_enable().
 */
bool rvnet_netif_running(struct net_device *dev)
{
	return netif_running(dev);
}

void rvnet_netif_tx_disable(struct net_device *dev)
{
	netif_tx_disable(dev);
}

void rvnet_netif_tx_wake_all(struct net_device *dev)
{
	netif_tx_wake_all_queues(dev);
}

void rvnet_dev_close(struct net_device *dev)
{
	dev_close(dev);
}

/* The byte queue limits forget what was in flight: a reset dropped it. */
void rvnet_bql_reset(struct net_device *dev)
{
	netdev_tx_reset_queue(netdev_get_tx_queue(dev, 0));
}

/*
 * Fault points for tests (the kernel's fail_function), called only in kernels with
 * CONFIG_FUNCTION_ERROR_INJECTION (src/kernel_ext/fault.rs). rvnet_fault_bad_desc() returns
 * false unless a test made it return true: rvnet then posts one malformed descriptor chain
 * (zero-length buffers, which the VIRTIO specification forbids), to see the device break and
 * rvnet bring it back. rvnet_fault_reset() returns 0 unless a test gave it an errno: the
 * device reset that calls it then fails, to see rvnet give up on the device cleanly.
 * rvnet_fault_rx_alloc() returns false unless a test made it return true: the receive
 * buffer allocation that asks then fails, whatever the buffer's size (fail_function on
 * page_pool_alloc_pages() reaches only whole pages).
 */
noinline bool rvnet_fault_bad_desc(void)
{
	return false;
}
ALLOW_ERROR_INJECTION(rvnet_fault_bad_desc, TRUE);

noinline int rvnet_fault_reset(void)
{
	return 0;
}
ALLOW_ERROR_INJECTION(rvnet_fault_reset, ERRNO);

noinline bool rvnet_fault_rx_alloc(void)
{
	return false;
}
ALLOW_ERROR_INJECTION(rvnet_fault_rx_alloc, TRUE);

bool rvnet_netdev_xmit_more(void)
{
	return netdev_xmit_more();
}

struct napi_struct *rvnet_netdev_napi(struct net_device *dev)
{
	return &rvnet_priv(dev)->napi;
}

struct net_device *rvnet_napi_dev(struct napi_struct *napi)
{
	return napi->dev;
}

void rvnet_napi_schedule(struct napi_struct *napi)
{
	napi_schedule(napi);
}

/*
 * A poll of the device's NAPI context for work no interrupt announces, unless another poll
 * withdraws the request first (rvnet_napi_poll_later_done()): the timer checks once per tick,
 * and a request that no poll withdrew for a whole tick gets a poll of its own, within one to
 * two ticks. Traffic that polls anyway (replies, interrupts) costs a test of the request per
 * call, a barrier and a test of the timer when it is new, and a timer expiring per tick.
 * Callers serialise the two calls (rvnet: its transmit lock).
 */
void rvnet_napi_poll_later(struct napi_struct *napi)
{
	struct rvnet_netdev_priv *priv = container_of(napi, struct rvnet_netdev_priv, napi);

	if (READ_ONCE(priv->napi_later) != RVNET_LATER_IDLE)
		return;
	WRITE_ONCE(priv->napi_later, RVNET_LATER_WANTED);
	/* The request before the test of the timer: pairs with rvnet_napi_timer_fn(). */
	smp_mb();
	if (!timer_pending(&priv->napi_timer))
		mod_timer(&priv->napi_timer, jiffies + 1);
}

void rvnet_napi_poll_later_done(struct napi_struct *napi)
{
	struct rvnet_netdev_priv *priv = container_of(napi, struct rvnet_netdev_priv, napi);

	WRITE_ONCE(priv->napi_later, RVNET_LATER_IDLE);
}

/*
 * NAPI disabled, then the timer that schedules it, which cannot run after this returns (it
 * sets itself again only while it runs, and nothing else does once NAPI and transmission stop).
 */
void rvnet_napi_disable(struct napi_struct *napi)
{
	struct rvnet_netdev_priv *priv = container_of(napi, struct rvnet_netdev_priv, napi);

	napi_disable(napi);
	timer_delete_sync(&priv->napi_timer);
	/* No request stands without its timer: the next one sets the timer again. */
	WRITE_ONCE(priv->napi_later, RVNET_LATER_IDLE);
}

void rvnet_napi_receive(struct napi_struct *napi, struct sk_buff *skb)
{
	skb->protocol = eth_type_trans(skb, napi->dev);
	napi_gro_receive(napi, skb);
}

unsigned int rvnet_skb_len(struct sk_buff *skb)
{
	return skb->len;
}

void rvnet_kfree_skb_any(struct sk_buff *skb)
{
	dev_kfree_skb_any(skb);
}

void rvnet_consume_skb_any(struct sk_buff *skb)
{
	/*
	 * Transmit paths run with bottom halves off (dev_queue_xmit(), pktgen, a NAPI poll):
	 * there the skb goes to this CPU's NAPI cache, freed in bulk, as virtio_net's transmit
	 * completions do in their poll (napi_consume_skb() with a budget). netpoll transmits
	 * with interrupts off, and closing the device runs in process context: there
	 * dev_consume_skb_any() frees it as that context allows.
	 */
	if (in_softirq() && !in_hardirq() && !irqs_disabled())
		napi_consume_skb(skb, 1);
	else
		dev_consume_skb_any(skb);
}

/* Byte queue limits of transmit queue 0 (kernel_ext::net::bql). */
bool rvnet_bql_sent(struct net_device *dev, unsigned int bytes, bool more)
{
	return __netdev_tx_sent_queue(netdev_get_tx_queue(dev, 0), bytes, more);
}

void rvnet_bql_completed(struct net_device *dev, unsigned int packets, unsigned int bytes)
{
	netdev_tx_completed_queue(netdev_get_tx_queue(dev, 0), packets, bytes);
}

/* How long ago a transmit queue last took a packet, for ndo_tx_timeout's report. */
unsigned int rvnet_tx_stalled_usecs(struct net_device *dev, unsigned int txqueue)
{
	return jiffies_to_usecs(jiffies - READ_ONCE(netdev_get_tx_queue(dev, txqueue)->trans_start));
}

/*
 * The device= module parameter (src/cmdline.rs): each occurrence adds one entry, as
 * virtio_mmio.device= does; Rust parses them in module init. Only module loading writes them
 * (the parameter is read-only in sysfs); the module's end frees them (module_destroy_params()).
 */
static char *rvnet_device_args[RVNET_MAX_DEVICE_ARGS];
static unsigned int rvnet_nr_device_args;

static int rvnet_device_arg_set(const char *val, const struct kernel_param *kp)
{
	char *copy;

	if (rvnet_nr_device_args == RVNET_MAX_DEVICE_ARGS) {
		pr_err("device=%s: more than %d devices\n", val, RVNET_MAX_DEVICE_ARGS);
		return -ENOSPC;
	}
	copy = kstrdup(val, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	rvnet_device_args[rvnet_nr_device_args++] = copy;
	return 0;
}

static int rvnet_device_arg_get(char *buffer, const struct kernel_param *kp)
{
	unsigned int i;
	int len = 0;

	for (i = 0; i < rvnet_nr_device_args; i++)
		len += sysfs_emit_at(buffer, len, "%s\n", rvnet_device_args[i]);
	return len;
}

static void rvnet_device_arg_free(void *arg)
{
	while (rvnet_nr_device_args)
		kfree(rvnet_device_args[--rvnet_nr_device_args]);
}

static const struct kernel_param_ops rvnet_device_arg_ops = {
	.set = rvnet_device_arg_set,
	.get = rvnet_device_arg_get,
	.free = rvnet_device_arg_free,
};
module_param_cb(device, &rvnet_device_arg_ops, NULL, 0400);
MODULE_PARM_DESC(device, "a virtio-mmio device to create and bind, as virtio_mmio.device=: "
		 "<size>@<base>:<irq>[:<id>]; repeatable");

unsigned int rvnet_device_arg_count(void)
{
	return rvnet_nr_device_args;
}

const char *rvnet_device_arg(unsigned int i)
{
	return i < rvnet_nr_device_args ? rvnet_device_args[i] : NULL;
}

/*
 * Reads the first three registers of a virtio-mmio region (MagicValue, Version, DeviceID),
 * holding the region meanwhile: -EBUSY if a driver holds it.
 */
int rvnet_mmio_peek(u64 base, u64 size, u32 *regs)
{
	void __iomem *io;

	if (!request_mem_region(base, size, "rvnet"))
		return -EBUSY;
	io = ioremap(base, 12);
	if (!io) {
		release_mem_region(base, size);
		return -ENOMEM;
	}
	regs[0] = readl(io);
	regs[1] = readl(io + 4);
	regs[2] = readl(io + 8);
	iounmap(io);
	release_mem_region(base, size);
	return 0;
}

/* A platform device named "rvnet" (which the driver matches by name): a region and an IRQ. */
struct platform_device *rvnet_platform_device_register(int id, u64 base, u64 size,
						       unsigned int irq, int *err)
{
	struct resource res[2] = {
		DEFINE_RES_MEM(base, size),
		DEFINE_RES_IRQ(irq),
	};
	struct platform_device *pdev;

	pdev = platform_device_register_resndata(NULL, "rvnet", id, res, ARRAY_SIZE(res), NULL, 0);
	if (IS_ERR(pdev)) {
		*err = PTR_ERR(pdev);
		return NULL;
	}
	return pdev;
}

bool rvnet_platform_device_bound(struct platform_device *pdev)
{
	return device_is_bound(&pdev->dev);
}
