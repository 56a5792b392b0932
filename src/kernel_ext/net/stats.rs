// SPDX-License-Identifier: GPL-2.0

//! Interface and queue statistics: what `ndo_get_stats64` (`ip -s link`) and the netdev
//! netlink `qstats` (`netdev_stat_ops`) report.
//!
//! C headers: [`include/uapi/linux/if_link.h`](srctree/include/uapi/linux/if_link.h),
//! [`include/net/netdev_queues.h`](srctree/include/net/netdev_queues.h).

/// Interface statistics, reported by `ndo_get_stats64`: the prefix of `struct
/// rtnl_link_stats64` that rvnet fills, written in place (UAPI layout; `shim.c` asserts the
/// offsets).
pub(crate) use crate::kernel_ext::ffi::rtnl_link_stats64_head as LinkStats;

/// The counters of one queue pair, as netdev netlink reports them (`struct
/// netdev_queue_stats_rx`/`_tx`, of which rvnet fills these fields; `shim.c` copies them).
pub(crate) use crate::kernel_ext::ffi::rvnet_queue_stats as QueueStats;
