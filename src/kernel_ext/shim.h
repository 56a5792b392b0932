/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface between rvnet's C shim and its Rust code (src/kernel_ext/ffi.rs declares the
 * same functions for Rust).
 */
#ifndef RVNET_SHIM_H
#define RVNET_SHIM_H

#include <linux/netdevice.h>

/* C helpers, called from Rust. */
struct net_device *rvnet_alloc_netdev(struct device *parent);
void rvnet_netdev_set_drvdata(struct net_device *dev, void *data);
void *rvnet_netdev_drvdata(struct net_device *dev);
const char *rvnet_netdev_name(struct net_device *dev);
const u8 *rvnet_netdev_addr(struct net_device *dev);
void rvnet_netdev_set_addr(struct net_device *dev, const u8 *addr);
void rvnet_netdev_random_addr(struct net_device *dev);
void rvnet_netdev_set_mtu(struct net_device *dev, unsigned int mtu, unsigned int max_mtu);
void rvnet_netdev_hold(struct net_device *dev);
void rvnet_netdev_put(struct net_device *dev);
bool rvnet_carrier_ok(struct net_device *dev);
void rvnet_netif_start_queue(struct net_device *dev);
void rvnet_netif_stop_queue(struct net_device *dev);
void rvnet_netif_wake_queue(struct net_device *dev);
bool rvnet_netif_queue_stopped(struct net_device *dev);
bool rvnet_netdev_xmit_more(void);
struct napi_struct *rvnet_netdev_napi(struct net_device *dev);
struct net_device *rvnet_napi_dev(struct napi_struct *napi);
void rvnet_napi_schedule(struct napi_struct *napi);
void rvnet_napi_receive(struct napi_struct *napi, struct sk_buff *skb);
unsigned int rvnet_skb_len(struct sk_buff *skb);
void rvnet_kfree_skb_any(struct sk_buff *skb);
void rvnet_consume_skb_any(struct sk_buff *skb);

/* Rust callbacks (kernel_ext::netdev::export_ops!), called from the ops table. */
int rvnet_ndo_open(struct net_device *dev);
int rvnet_ndo_stop(struct net_device *dev);
netdev_tx_t rvnet_ndo_start_xmit(struct sk_buff *skb, struct net_device *dev);
void rvnet_ndo_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *stats);
int rvnet_napi_poll(struct napi_struct *napi, int budget);

#endif /* RVNET_SHIM_H */
