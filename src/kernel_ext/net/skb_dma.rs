// SPDX-License-Identifier: GPL-2.0

//! A socket buffer mapped for a device to read (streaming DMA, `DMA_TO_DEVICE`): its linear
//! part and each fragment, from `dma_map_single()`/`skb_frag_dma_map()` to
//! `dma_unmap_single()`/`dma_unmap_page()`.
//!
//! C header: [`include/linux/dma-mapping.h`](srctree/include/linux/dma-mapping.h).

use kernel::{
    device::{
        Bound,
        Device, //
    },
    ffi::{
        c_uint,
        c_void, //
    },
    prelude::*,
};

use super::{
    napi::NapiPoll,
    skb::{
        SkBuff,
        MAX_SKB_FRAGS, //
    },
};
use crate::kernel_ext::ffi;

/// What the shim's mapping functions return on failure (`DMA_MAPPING_ERROR`; `shim.c` asserts
/// it).
const MAPPING_ERROR: u64 = u64::MAX;

/// The most segments a socket buffer maps to: its linear part and every fragment.
pub(crate) const MAX_SEGMENTS: usize = MAX_SKB_FRAGS + 1;

/// One mapped segment: `len` bytes at `addr` for the device.
#[derive(Clone, Copy, Default)]
struct Segment {
    addr: u64,
    len: c_uint,
}

/// The segments of one socket buffer, unmapped when dropped.
///
/// # Invariants
///
/// `segs[..n]` are live mappings for `dev`, made by `rvnet_skb_map_head()` (segment 0, when
/// `head`) and `rvnet_skb_map_frag()` (the others), of memory the owner keeps valid until they
/// are dropped.
struct Segments<'a> {
    dev: &'a Device<Bound>,
    segs: [Segment; MAX_SEGMENTS],
    n: usize,
    /// Whether segment 0 is the linear part (`dma_map_single()`).
    head: bool,
}

impl Segments<'_> {
    fn dev_ptr(&self) -> *mut c_void {
        // CAST: `Device` is a transparent wrapper of `struct device` (its type invariant).
        core::ptr::from_ref(self.dev).cast::<c_void>().cast_mut()
    }
}

impl Drop for Segments<'_> {
    fn drop(&mut self) {
        let dev = self.dev_ptr();
        for (i, seg) in self.segs.iter().take(self.n).enumerate() {
            // SAFETY: By the type invariant the segment is a live mapping for `dev`, made by
            // the function whose counterpart is called here, and not unmapped before.
            unsafe {
                if i == 0 && self.head {
                    ffi::rvnet_dma_unmap_head(dev, seg.addr, seg.len);
                } else {
                    ffi::rvnet_dma_unmap_frag(dev, seg.addr, seg.len);
                }
            }
        }
    }
}

/// A socket buffer whose linear part and fragments the device may read until it is dropped
/// (or [`complete`](Self::complete)d): dropping unmaps every segment, then frees the socket
/// buffer.
///
/// Field order is teardown order: the mappings go before the memory they map.
pub(crate) struct MappedSkb<'a> {
    segs: Segments<'a>,
    skb: SkBuff,
    /// Whether the first segment starts with the header.
    hdr_pushed: bool,
}

impl<'a> MappedSkb<'a> {
    /// Maps `skb`'s linear part (unless empty) and each fragment for `dev` to read. With
    /// `hdr`, the header is first put in the skb's headroom, where the device reads it in
    /// front of the packet (as `xmit_skb()` does when it can push): if there is room, the
    /// first segment starts with it, and [`hdr_pushed`](Self::hdr_pushed) says so.
    ///
    /// # Errors
    ///
    /// `skb` back, with nothing left mapped, and `ENOMEM` when a mapping failed.
    pub(crate) fn map(
        dev: &'a Device<Bound>,
        skb: SkBuff,
        hdr: Option<&[u8]>,
    ) -> Result<Self, (SkBuff, Error)> {
        let mut segs = Segments {
            dev,
            segs: [Segment::default(); MAX_SEGMENTS],
            n: 0,
            head: false,
        };
        let raw = skb.as_raw();
        let dev_ptr = segs.dev_ptr();
        // SAFETY: `raw` is the valid skb `skb` owns.
        let nr_frags = unsafe { ffi::rvnet_skb_nr_frags(raw) };
        if nr_frags as usize > MAX_SKB_FRAGS {
            return Err((skb, EINVAL));
        }
        let pushed = match hdr {
            Some(hdr) => c_uint::try_from(hdr.len()).ok().filter(|&len| {
                // SAFETY: `raw` is a valid skb owned by `skb`; `hdr` is valid for reading `len`
                // bytes. The shim pushes only into headroom the skb has and does not share.
                unsafe { ffi::rvnet_skb_push_hdr(raw, hdr.as_ptr(), len) }
            }),
            None => None,
        };
        // SAFETY: `raw` is the valid skb `skb` owns.
        let headlen = unsafe { ffi::rvnet_skb_headlen(raw) };
        let head = if headlen > 0 {
            let mut len = 0;
            // SAFETY: `dev_ptr` is a bound device, `raw` a valid skb whose linear part stays
            // valid while `skb` is owned by the result; `len` is valid for writing.
            Some(unsafe { ffi::rvnet_skb_map_head(dev_ptr, raw, &mut len) }).map(|a| (a, len))
        } else {
            None
        };
        if let Some(len) = pushed {
            // The mapping keeps the header; the packet starts where it did.
            // SAFETY: `raw` is valid and owned; `len` bytes were pushed just before.
            unsafe { ffi::rvnet_skb_pull_hdr(raw, len) };
        }
        if let Some((addr, len)) = head {
            if addr == MAPPING_ERROR {
                return Err((skb, ENOMEM));
            }
            // INVARIANT: A live mapping of the linear part, as segment 0.
            segs.segs[0] = Segment { addr, len };
            segs.n = 1;
            segs.head = true;
        }
        for i in 0..nr_frags {
            let mut len = 0;
            // SAFETY: As for the linear part; `i` is below the skb's fragment count.
            let addr = unsafe { ffi::rvnet_skb_map_frag(dev_ptr, raw, i, &mut len) };
            if addr == MAPPING_ERROR {
                // `segs` unmaps what was mapped.
                drop(segs);
                return Err((skb, ENOMEM));
            }
            let Some(slot) = segs.segs.get_mut(segs.n) else {
                // Mapped, but no room to remember it (checked above, cannot happen): undone.
                // SAFETY: The mapping just made, for `dev_ptr`, unmapped once.
                unsafe { ffi::rvnet_dma_unmap_frag(dev_ptr, addr, len) };
                drop(segs);
                return Err((skb, EINVAL));
            };
            // INVARIANT: A live mapping of fragment `i`.
            *slot = Segment { addr, len };
            segs.n += 1;
        }
        Ok(Self {
            segs,
            skb,
            hdr_pushed: pushed.is_some(),
        })
    }

    /// The mapped segments, as `(address, length)`, in packet order.
    pub(crate) fn segments(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.segs
            .segs
            .iter()
            .take(self.segs.n)
            .map(|s| (s.addr, s.len))
    }

    /// Whether the first segment starts with the header given to [`map`](Self::map).
    pub(crate) fn hdr_pushed(&self) -> bool {
        self.hdr_pushed
    }

    /// How many segments there are.
    pub(crate) fn nr_segments(&self) -> usize {
        self.segs.n
    }

    /// Unmaps the packet and gives it back, e.g. to the core after `NETDEV_TX_BUSY`.
    pub(crate) fn unmap(self) -> SkBuff {
        let Self { segs, skb, .. } = self;
        drop(segs);
        skb
    }

    /// The device has read the packet: unmaps it and frees the socket buffer as sent, in the
    /// NAPI `poll` that reaps it (`napi_consume_skb()`), or outside one
    /// (`dev_consume_skb_any()`).
    pub(crate) fn complete(self, poll: Option<&NapiPoll<'_>>) {
        let Self { segs, skb, .. } = self;
        drop(segs);
        match poll {
            Some(poll) => poll.consume_skb(skb),
            None => skb.consume(),
        }
    }
}
