/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface between rvnet's C shim and its Rust code (src/kernel_ext/ffi.rs declares the
 * same functions for Rust). The ethtool_ops table is Rust's (kernel_ext::net::ethtool): the
 * bindings carry struct ethtool_ops, but not struct net_device_ops or netdev_stat_ops.
 */
#ifndef RVNET_SHIM_H
#define RVNET_SHIM_H

#include <linux/netdevice.h>

/* The counters of one queue pair that Rust reports (kernel_ext::ffi::rvnet_queue_stats). */
struct rvnet_queue_stats {
	u64 rx_packets;
	u64 rx_bytes;
	u64 tx_packets;
	u64 tx_bytes;
	u64 tx_stop;
	u64 tx_wake;
	/* Packets handed to the device to segment (TSO, USO). */
	u64 tx_hw_gso_packets;
	/* Received packets the device merged (GRO_HW: GUEST_TSO4/6, GUEST_USO4/6). */
	u64 rx_hw_gro_packets;
	/* Receive buffers that could not be allocated. */
	u64 rx_alloc_fail;
};

/* Size of struct virtio_net_hdr, without num_buffers (kernel_ext::net::skb::VNET_HDR_LEN). */
#define RVNET_VNET_HDR_LEN 10

/* Bytes at the end of a receive buffer kept for a socket buffer's shared info when the socket
 * buffer is built around it: at least SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
 * (kernel_ext::net::skb::SHINFO_ROOM). */
#define RVNET_SKB_SHINFO_ROOM 320

/* The most device= entries (kernel_ext::device_param; cmdline::MAX_ENTRIES). */
#define RVNET_MAX_DEVICE_ARGS 32

/* The most addresses of each kind rvnet_netdev_rx_lists() copies (nic::ctrl::MAC_TABLE_ENTRIES). */
#define RVNET_RX_LIST_MAX 64

/*
 * The receive flags and address lists of an interface (kernel_ext::ffi::rvnet_rx_lists): the
 * counts are the lists' lengths, of which the first RVNET_RX_LIST_MAX addresses are copied.
 */
struct rvnet_rx_lists {
	u8 promisc;
	u8 allmulti;
	u8 pad[2];
	u32 n_uc;
	u32 n_mc;
	u8 uc[RVNET_RX_LIST_MAX][ETH_ALEN];
	u8 mc[RVNET_RX_LIST_MAX][ETH_ALEN];
};

struct bpf_prog;
struct xdp_frame;
struct xdp_buff;
struct xsk_buff_pool;
struct platform_device;
struct page_pool;
struct netlink_ext_ack;

/* C helpers, called from Rust. */
struct net_device *rvnet_alloc_netdev(struct device *parent,
				      const struct ethtool_ops *ethtool_ops);
void rvnet_netdev_set_drvdata(struct net_device *dev, void *data);
void *rvnet_netdev_drvdata(struct net_device *dev);
void rvnet_netdev_copy_name(struct net_device *dev, char *name);
void rvnet_netdev_copy_name_rtnl(struct net_device *dev, char *name);
struct device *rvnet_netdev_parent(struct net_device *dev);
const u8 *rvnet_netdev_addr(struct net_device *dev);
void rvnet_netdev_set_addr(struct net_device *dev, const u8 *addr);
void rvnet_netdev_random_addr(struct net_device *dev);
void rvnet_netdev_set_mtu(struct net_device *dev, unsigned int mtu, unsigned int max_mtu);
void rvnet_netdev_set_features(struct net_device *dev, u64 hw_features, u64 features,
			       unsigned int tso_max_size);
int rvnet_skb_vnet_hdr(const struct sk_buff *skb, u8 *hdr, bool little_endian);
unsigned int rvnet_skb_wire_segs(const struct sk_buff *skb, unsigned int *hdr_len);
int rvnet_skb_set_vnet_hdr(struct sk_buff *skb, const u8 *hdr, bool csum_valid,
			   bool little_endian);
struct page_pool *rvnet_page_pool_create(struct device *dma_dev, unsigned int size);
void rvnet_page_pool_destroy(struct page_pool *pool);
struct page *rvnet_page_pool_alloc(struct page_pool *pool, unsigned int size,
				   unsigned int *offset, u64 *dma);
void rvnet_page_pool_put(struct page_pool *pool, struct page *page);
void rvnet_page_pool_sync_for_cpu(struct page_pool *pool, struct page *page,
				  unsigned int offset, unsigned int len);
void rvnet_skb_add_rx_frag(struct sk_buff *skb, struct page *page, unsigned int offset,
			   unsigned int len, unsigned int truesize);
struct sk_buff *rvnet_napi_build_skb(struct page *page, unsigned int offset,
				     unsigned int truesize, unsigned int headroom,
				     unsigned int len);
unsigned int rvnet_skb_nr_frags(struct sk_buff *skb);
u64 rvnet_skb_map_head(struct device *dev, struct sk_buff *skb, unsigned int *len);
u64 rvnet_skb_map_frag(struct device *dev, struct sk_buff *skb, unsigned int i,
		       unsigned int *len);
void rvnet_dma_unmap_head(struct device *dev, u64 addr, unsigned int len);
void rvnet_dma_unmap_frag(struct device *dev, u64 addr, unsigned int len);
bool rvnet_skb_push_hdr(struct sk_buff *skb, const u8 *hdr, unsigned int len);
void rvnet_skb_pull_hdr(struct sk_buff *skb, unsigned int len);
unsigned int rvnet_skb_headlen(struct sk_buff *skb);
void rvnet_skb_tx_timestamp(struct sk_buff *skb);
void rvnet_netdev_hold(struct net_device *dev);
void rvnet_netdev_put(struct net_device *dev);
bool rvnet_netdev_in_current_net(struct net_device *dev);
bool rvnet_carrier_ok(struct net_device *dev);
unsigned int rvnet_netdev_mtu(struct net_device *dev);
void rvnet_netdev_write_mtu(struct net_device *dev, unsigned int mtu);
void rvnet_set_err_msg(struct netlink_ext_ack *extack, const char *msg);
struct bpf_prog *rvnet_xdp_swap(struct net_device *dev, struct bpf_prog *prog);
bool rvnet_xdp_attached_linear(struct net_device *dev);
bool rvnet_xdp_has_frags(struct bpf_prog *prog);
void *rvnet_page_address(struct page *page);
struct bpf_prog *rvnet_xdp_prog(struct net_device *dev);
int rvnet_xdp_rxq_reg(struct net_device *dev);
void rvnet_xdp_rxq_unreg(struct net_device *dev);
u32 rvnet_xdp_run(struct bpf_prog *prog, struct net_device *dev, u8 *buf, u32 frame_sz,
		  u32 *off, u32 *len, struct page **pages, u32 *offs, u32 *lens, u32 *nr_frags,
		  bool *redirected);
void rvnet_xdp_do_flush(void);
int rvnet_xsk_bind(struct net_device *dev, struct xsk_buff_pool *pool, struct device *dma_dev);
void rvnet_xsk_unbind(struct net_device *dev, struct xsk_buff_pool *pool);
u32 rvnet_xsk_rx_frame_size(struct xsk_buff_pool *pool);
struct xdp_buff *rvnet_xsk_alloc(struct xsk_buff_pool *pool);
void rvnet_xsk_free(struct xdp_buff *xdp);
u64 rvnet_xsk_dma(struct xdp_buff *xdp, u32 hdr_len);
void rvnet_xsk_received(struct xdp_buff *xdp, u32 len, u32 hdr_len, u8 *hdr, u32 n);
u32 rvnet_xsk_run(struct bpf_prog *prog, struct net_device *dev, struct xdp_buff *xdp,
		  bool *redirected);
struct xdp_frame *rvnet_xsk_to_frame(struct xdp_buff *xdp);
struct sk_buff *rvnet_xsk_to_skb(struct napi_struct *napi, struct xdp_buff *xdp);
bool rvnet_xsk_tx_peek(struct xsk_buff_pool *pool, u64 *dma, u32 *len);
void rvnet_xsk_tx_release(struct xsk_buff_pool *pool);
void rvnet_xsk_tx_completed(struct xsk_buff_pool *pool, u32 n);
void rvnet_xsk_need_wakeup(struct xsk_buff_pool *pool, bool rx, bool need);
bool rvnet_xsk_uses_need_wakeup(struct xsk_buff_pool *pool);
void rvnet_napi_schedule_bh(struct napi_struct *napi);
bool rvnet_xdp_frame_part(struct xdp_frame *frame, u32 i, const u8 **data, u32 *len);
u32 rvnet_xdp_frame_len(struct xdp_frame *frame);
void rvnet_xdp_return_frame(struct xdp_frame *frame);
void rvnet_bpf_prog_put(struct bpf_prog *prog);
void rvnet_xdp_exception(struct bpf_prog *prog, struct net_device *dev, u32 act);
void rvnet_napi_set_irq(struct napi_struct *napi, int irq);
void rvnet_queues_set_napi(struct net_device *dev, struct napi_struct *napi);
void rvnet_netif_start_queue(struct net_device *dev);
void rvnet_netif_stop_queue(struct net_device *dev);
void rvnet_netif_wake_queue(struct net_device *dev);
bool rvnet_netif_queue_stopped(struct net_device *dev);
bool rvnet_netif_xmit_stopped(struct net_device *dev);
void rvnet_tx_lock(struct net_device *dev);
bool rvnet_tx_trylock(struct net_device *dev);
void rvnet_tx_unlock(struct net_device *dev);
void rvnet_tx_lock_bh(struct net_device *dev);
void rvnet_tx_unlock_bh(struct net_device *dev);
void rvnet_local_bh_disable(void);
void rvnet_local_bh_enable(void);
bool rvnet_netif_running(struct net_device *dev);
void rvnet_netif_tx_disable(struct net_device *dev);
void rvnet_netif_tx_wake_all(struct net_device *dev);
void rvnet_dev_close(struct net_device *dev);
void rvnet_bql_reset(struct net_device *dev);
bool rvnet_fault_bad_desc(void);
bool rvnet_fault_rx_alloc(void);
int rvnet_fault_reset(void);
bool rvnet_netdev_xmit_more(void);
struct napi_struct *rvnet_netdev_napi(struct net_device *dev);
struct net_device *rvnet_napi_dev(struct napi_struct *napi);
void rvnet_napi_schedule(struct napi_struct *napi);
void rvnet_napi_poll_later(struct napi_struct *napi);
void rvnet_napi_poll_later_done(struct napi_struct *napi);
void rvnet_napi_disable(struct napi_struct *napi);
void rvnet_napi_receive(struct napi_struct *napi, struct sk_buff *skb);
unsigned int rvnet_skb_len(struct sk_buff *skb);
void rvnet_kfree_skb_any(struct sk_buff *skb);
void rvnet_consume_skb_any(struct sk_buff *skb);
bool rvnet_bql_sent(struct net_device *dev, unsigned int bytes, bool more);
void rvnet_bql_completed(struct net_device *dev, unsigned int packets, unsigned int bytes);
unsigned int rvnet_tx_stalled_usecs(struct net_device *dev, unsigned int txqueue);
unsigned int rvnet_device_arg_count(void);
const char *rvnet_device_arg(unsigned int i);
int rvnet_mmio_peek(u64 base, u64 size, u32 *regs);
struct platform_device *rvnet_platform_device_register(int id, u64 base, u64 size,
						       unsigned int irq, int *err);
bool rvnet_platform_device_bound(struct platform_device *pdev);
void rvnet_netdev_schedule_work(struct net_device *dev);
void rvnet_netdev_disable_work(struct net_device *dev);
void rvnet_netdev_rx_lists(struct net_device *dev, struct rvnet_rx_lists *lists);
u64 rvnet_netdev_features(struct net_device *dev);
void rvnet_netdev_set_filters(struct net_device *dev, bool rx_filter, bool vlan_filter);

/* Rust callbacks (kernel_ext::net::ops::export_ops!), called from the ops tables. */
int rvnet_ndo_open(struct net_device *dev);
int rvnet_ndo_stop(struct net_device *dev);
netdev_tx_t rvnet_ndo_start_xmit(struct sk_buff *skb, struct net_device *dev);
void rvnet_ndo_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *stats);
int rvnet_napi_poll(struct napi_struct *napi, int budget);
int rvnet_ndo_change_mtu(struct net_device *dev, int new_mtu);
int rvnet_ndo_set_mac(struct net_device *dev, const u8 *mac);
void rvnet_ndo_tx_timeout(struct net_device *dev, unsigned int txqueue);
int rvnet_ndo_xdp_setup(struct net_device *dev, struct bpf_prog *prog,
			struct netlink_ext_ack *extack);
int rvnet_ndo_xdp_xmit(struct net_device *dev, int n, struct xdp_frame **frames, u32 flags);
int rvnet_ndo_xsk_setup(struct net_device *dev, struct xsk_buff_pool *pool, u16 queue_id);
int rvnet_ndo_xsk_wakeup(struct net_device *dev, u32 queue_id, u32 flags);
void rvnet_queue_stats(struct net_device *dev, int idx, struct rvnet_queue_stats *stats);
void rvnet_netdev_work(struct net_device *dev);
int rvnet_ndo_vlan_filter(struct net_device *dev, u16 vid, bool add);
int rvnet_ndo_set_features(struct net_device *dev, netdev_features_t features);

#endif /* RVNET_SHIM_H */
