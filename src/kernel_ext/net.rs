// SPDX-License-Identifier: GPL-2.0

//! Network devices: `struct net_device`, its operations and registration, NAPI, socket
//! buffers, ethtool, statistics and XDP.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/ethtool.h`](srctree/include/linux/ethtool.h),
//! [`include/net/xdp.h`](srctree/include/net/xdp.h).
//!
//! Shaped like `rust/kernel/net/phy.rs`: a driver implements [`ops::Operations`] (the
//! `net_device_ops` and the NAPI poll) and [`ethtool::EthtoolOps`]; [`registration::Registration`]
//! owns the `net_device` and the driver's data from `register_netdev()` to `free_netdev()`.
//!
//! Calling context is in the types: the operations of a NAPI poll (completing it, allocating
//! and handing up socket buffers) exist only on the [`napi::NapiPoll`] a poll is given, and
//! NAPI is enabled and disabled only by the `ndo_open`/`ndo_stop` adapters.

pub(crate) mod bql;
pub(crate) mod device;
pub(crate) mod ethtool;
pub(crate) mod exports;
pub(crate) mod features;
pub(crate) mod napi;
pub(crate) mod ops;
pub(crate) mod page_pool;
pub(crate) mod registration;
pub(crate) mod rtnl;
pub(crate) mod rx_mode;
pub(crate) mod skb;
pub(crate) mod skb_dma;
pub(crate) mod stats;
pub(crate) mod tx_lock;
pub(crate) mod xdp;
pub(crate) mod xdp_layout;
pub(crate) mod xsk;
