// SPDX-License-Identifier: GPL-2.0

//! The layout of rvnet's XDP buffer: where a frame starts, how much it may hold, what is kept
//! free after it.
//!
//! Pure, so that the driver's MTU arithmetic is host-tested with these very values
//! (`nic::config`). `xdp.rs` asserts each against the kernel's (`XDP_PACKET_HEADROOM`,
//! `skb_shared_info`, `MAX_SKB_FRAGS`, `PAGE_SIZE`) at build time.

#![forbid(unsafe_code)]

/// Where the frame starts in an XDP buffer: at least `XDP_PACKET_HEADROOM`.
pub(crate) const XDP_HEADROOM: usize = 256;
/// What an XDP buffer keeps free after the frame: at least the `skb_shared_info` that
/// `xdp_data_hard_end()` reserves, cache-aligned (`SKB_DATA_ALIGN()`).
pub(crate) const XDP_TAILROOM: usize = 384;
/// The size of an XDP buffer and of each fragment page: one page.
pub(crate) const XDP_BUF_SIZE: usize = 4096;
/// How many fragment pages an XDP frame may have, within `MAX_SKB_FRAGS`.
pub(crate) const XDP_MAX_FRAGS: usize = 16;
/// The most bytes of a frame the linear part of an XDP buffer holds.
pub(crate) const XDP_LINEAR_MAX: usize = XDP_BUF_SIZE - XDP_HEADROOM - XDP_TAILROOM;
