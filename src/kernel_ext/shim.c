// SPDX-License-Identifier: GPL-2.0
/*
 * rvnet C shim: the kernel's static-inline helpers and macros as functions Rust can call, and
 * the net_device_ops table, whose entries are Rust functions (src/kernel_ext/netdev.rs).
 *
 * Glue only: no logic, no state. Everything here is declared in src/kernel_ext/ffi.rs.
 */

#include <linux/build_bug.h>
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "shim.h"

static const struct net_device_ops rvnet_netdev_ops = {
	.ndo_open = rvnet_ndo_open,
	.ndo_stop = rvnet_ndo_stop,
	.ndo_start_xmit = rvnet_ndo_start_xmit,
	.ndo_get_stats64 = rvnet_ndo_get_stats64,
	.ndo_validate_addr = eth_validate_addr,
};

/* The private area of an rvnet net_device: the Rust driver data, and the NAPI context. */
struct rvnet_netdev_priv {
	void *drvdata;
	struct napi_struct napi;
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
static_assert(NETDEV_TX_BUSY == 0x10);

struct net_device *rvnet_alloc_netdev(struct device *parent)
{
	struct net_device *dev = alloc_etherdev(sizeof(struct rvnet_netdev_priv));

	if (!dev)
		return NULL;
	SET_NETDEV_DEV(dev, parent);
	dev->netdev_ops = &rvnet_netdev_ops;
	/* free_netdev() deletes it. */
	netif_napi_add(dev, &((struct rvnet_netdev_priv *)netdev_priv(dev))->napi, rvnet_napi_poll);
	return dev;
}

void rvnet_netdev_set_drvdata(struct net_device *dev, void *data)
{
	((struct rvnet_netdev_priv *)netdev_priv(dev))->drvdata = data;
}

void *rvnet_netdev_drvdata(struct net_device *dev)
{
	return ((struct rvnet_netdev_priv *)netdev_priv(dev))->drvdata;
}

const char *rvnet_netdev_name(struct net_device *dev)
{
	return dev->name;
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

void rvnet_netdev_hold(struct net_device *dev)
{
	dev_hold(dev);
}

void rvnet_netdev_put(struct net_device *dev)
{
	dev_put(dev);
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

bool rvnet_netdev_xmit_more(void)
{
	return netdev_xmit_more();
}

struct napi_struct *rvnet_netdev_napi(struct net_device *dev)
{
	return &((struct rvnet_netdev_priv *)netdev_priv(dev))->napi;
}

struct net_device *rvnet_napi_dev(struct napi_struct *napi)
{
	return napi->dev;
}

void rvnet_napi_schedule(struct napi_struct *napi)
{
	napi_schedule(napi);
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
	dev_consume_skb_any(skb);
}
