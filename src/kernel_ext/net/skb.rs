// SPDX-License-Identifier: GPL-2.0

//! Socket buffers (`struct sk_buff`): one handed to the driver for transmission, and one the
//! driver fills with a received packet.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h).

use core::{
    mem::ManuallyDrop,
    ptr::NonNull, //
};

use kernel::{
    bindings,
    dma::CoherentView,
    error::to_result,
    ffi::{
        c_int,
        c_void, //
    },
    io::Io,
    prelude::*,
};

use super::page_pool::PoolBuf;
use crate::kernel_ext::ffi;

/// Size of `struct virtio_net_hdr` without `num_buffers` (`shim.c` asserts it).
pub(crate) const VNET_HDR_LEN: usize = 10;

/// Bytes at the end of a buffer that a socket buffer built around it takes for its shared
/// information (`skb_shared_info`; `shim.c` asserts that they suffice).
pub(crate) const SHINFO_ROOM: u32 = 320;

/// `MAX_SKB_FRAGS`: the fragments a socket buffer holds.
pub(crate) const MAX_SKB_FRAGS: usize = bindings::MAX_SKB_FRAGS as usize;

/// What a packet is on the wire: a packet of segments (`TSO`, `USO`, or merged by the device)
/// is one frame per segment, each carrying the headers again, as the netdev `qstats` count
/// packets and bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Wire {
    /// Frames.
    pub(crate) packets: u64,
    /// Their bytes.
    pub(crate) bytes: u64,
}

impl Wire {
    /// One frame of `len` bytes.
    pub(crate) fn one(len: u64) -> Self {
        Self {
            packets: 1,
            bytes: len,
        }
    }

    /// The frames of `skb`, of `len` bytes (`rvnet_skb_wire_segs()`).
    ///
    /// # Safety
    ///
    /// `skb` must be a valid `struct sk_buff` of `len` bytes, not changed meanwhile.
    unsafe fn of(skb: *const ffi::sk_buff, len: u32) -> Self {
        let mut hdr_len = 0;
        // SAFETY: `skb` is valid (the caller's guarantee); `hdr_len` is valid for writing.
        let segs = unsafe { ffi::rvnet_skb_wire_segs(skb, &mut hdr_len) };
        Self {
            packets: u64::from(segs),
            bytes: u64::from(len) + u64::from(segs.saturating_sub(1)) * u64::from(hdr_len),
        }
    }
}

/// A socket buffer being filled with a received packet; freed when dropped. Only a NAPI poll
/// makes one (`NapiPoll::alloc_skb`) and hands it up (`NapiPoll::receive`).
///
/// # Invariants
///
/// `skb` is a valid `struct sk_buff` owned by this value, with at least `room` bytes of tail
/// room.
pub(crate) struct RxSkBuff {
    skb: NonNull<ffi::sk_buff>,
    room: u32,
}

impl RxSkBuff {
    /// Takes ownership of a new `skb` with `room` bytes of tail room.
    ///
    /// # Safety
    ///
    /// `skb` must be a valid `struct sk_buff` with at least `room` bytes of tail room, whose
    /// ownership passes to the returned value.
    pub(super) unsafe fn from_raw(skb: NonNull<ffi::sk_buff>, room: u32) -> Self {
        // INVARIANT: By the safety requirements.
        Self { skb, room }
    }

    /// Gives up ownership of the buffer, e.g. to the stack.
    pub(super) fn into_raw(self) -> NonNull<ffi::sk_buff> {
        ManuallyDrop::new(self).skb
    }

    /// Extends the buffer by `len` bytes (`skb_put()`) and returns them, to be written.
    ///
    /// # Errors
    ///
    /// `EMSGSIZE` when `len` is more than the room the buffer was allocated with.
    fn put(&mut self, len: usize) -> Result<&mut [u8]> {
        let room = u32::try_from(len).map_err(|_| EMSGSIZE)?;
        if room > self.room {
            return Err(EMSGSIZE);
        }
        // SAFETY: By the type invariant, the skb has `self.room >= room` bytes of tail room,
        // which `skb_put()` hands out.
        let data = unsafe { ffi::skb_put(self.skb.as_ptr(), room) }.cast::<u8>();
        self.room -= room;
        // SAFETY: `skb_put()` returned `len` writable bytes that nothing else references; the
        // slice borrows `self`, which owns the skb.
        Ok(unsafe { core::slice::from_raw_parts_mut(data, len) })
    }

    /// Sets the checksum state and segmentation of the packet from the `virtio_net_hdr` the
    /// device sent with it (`virtio_net_hdr_to_skb()`): a partial checksum, segments for the
    /// stack to check (`SKB_GSO_DODGY`); `csum_valid` marks the checksums validated
    /// (`CHECKSUM_UNNECESSARY`). Call after the packet is in, before it is received.
    ///
    /// # Errors
    ///
    /// `EINVAL` when the header does not match the packet's own headers (the kernel's checks).
    pub(crate) fn set_vnet_hdr(
        &mut self,
        hdr: &[u8; VNET_HDR_LEN],
        csum_valid: bool,
        little_endian: bool,
    ) -> Result {
        // SAFETY: By the type invariant, `self.skb` is a valid, owned skb; `hdr` is valid for
        // reading `VNET_HDR_LEN` bytes, the size of `struct virtio_net_hdr`, which the shim
        // copies before use.
        to_result(unsafe {
            ffi::rvnet_skb_set_vnet_hdr(self.skb.as_ptr(), hdr.as_ptr(), csum_valid, little_endian)
        })
    }

    /// The frames the packet was on the wire: several for segments the device merged, once
    /// [`set_vnet_hdr`](Self::set_vnet_hdr) has set them.
    pub(crate) fn wire(&self) -> Wire {
        let skb = self.skb.as_ptr();
        // SAFETY: By the type invariant, `skb` is a valid, owned skb, whose length is read
        // just before and which nothing changes meanwhile (`&self`).
        unsafe { Wire::of(skb, ffi::rvnet_skb_len(skb)) }
    }

    /// Appends bytes `at..at + len` of `buf`, a received packet's buffer, to the linear part
    /// (`skb_put()` + copy).
    ///
    /// # Errors
    ///
    /// `EMSGSIZE` when `len` is more than the room left, `ERANGE` when the range is not in
    /// `buf`.
    pub(crate) fn put_from_buf(&mut self, buf: &PoolBuf, at: usize, len: usize) -> Result {
        buf.read(at, self.put(len)?)
    }

    /// Adds bytes `at..at + len` of `buf` as the next fragment (`skb_add_rx_frag()`), the whole
    /// buffer counting towards the socket's memory, and marks the buffer for recycling into
    /// its page pool when the stack frees it.
    ///
    /// # Errors
    ///
    /// `buf` back when the buffer has `MAX_SKB_FRAGS` fragments already or the range is not
    /// within `buf`.
    pub(crate) fn add_frag(&mut self, buf: PoolBuf, at: u32, len: u32) -> Result<(), PoolBuf> {
        // SAFETY: By the type invariant, `self.skb` is a valid, owned skb.
        let nr_frags = unsafe { ffi::rvnet_skb_nr_frags(self.skb.as_ptr()) };
        if nr_frags >= bindings::MAX_SKB_FRAGS || at.checked_add(len).is_none_or(|e| e > buf.len())
        {
            return Err(buf);
        }
        let (page, offset, truesize) = buf.into_raw();
        // SAFETY: `self.skb` is valid and owned, with fewer than `MAX_SKB_FRAGS` fragments;
        // the page reference, a page of a pool, passes to the skb, which returns it to the pool
        // when freed; `offset + at + len` lies within the buffer, so within the page.
        unsafe {
            ffi::rvnet_skb_add_rx_frag(self.skb.as_ptr(), page.as_ptr(), offset + at, len, truesize)
        };
        Ok(())
    }

    /// Appends `src` to the buffer (`skb_put_data()`).
    ///
    /// # Errors
    ///
    /// `EMSGSIZE` when `src` is larger than the room the buffer was allocated with.
    pub(crate) fn put_slice(&mut self, src: &[u8]) -> Result {
        // PANIC: Both sides are `src.len()` bytes long.
        self.put(src.len())?.copy_from_slice(src);
        Ok(())
    }
}

impl Drop for RxSkBuff {
    fn drop(&mut self) {
        // SAFETY: By the type invariant, the `sk_buff` is owned and valid.
        unsafe { ffi::rvnet_kfree_skb_any(self.skb.as_ptr()) };
    }
}

// SAFETY: An owned `sk_buff` may be used or freed on any thread.
unsafe impl Send for RxSkBuff {}

/// A socket buffer handed to the driver for transmission; freed when dropped.
///
/// # Invariants
///
/// `self.0` is a valid `struct sk_buff` owned by this value.
pub(crate) struct SkBuff(NonNull<ffi::sk_buff>);

impl SkBuff {
    /// Takes ownership of `skb`.
    ///
    /// # Safety
    ///
    /// `skb` must be a valid `struct sk_buff` whose ownership passes to the returned value.
    pub(super) unsafe fn from_raw(skb: NonNull<ffi::sk_buff>) -> Self {
        // INVARIANT: By the safety requirements.
        Self(skb)
    }

    /// Gives up ownership of the buffer, e.g. back to the core after `NETDEV_TX_BUSY`.
    pub(super) fn into_raw(self) -> NonNull<ffi::sk_buff> {
        ManuallyDrop::new(self).0
    }

    /// The `sk_buff`, still owned by `self`.
    pub(super) fn as_raw(&self) -> *mut ffi::sk_buff {
        self.0.as_ptr()
    }

    /// Length of the packet in bytes (`skb->len`).
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: By the type invariant, `self.0` is a valid `sk_buff`.
        unsafe { ffi::rvnet_skb_len(self.0.as_ptr()) }
    }

    /// The frames the packet makes on the wire: several when the device is to segment it.
    pub(crate) fn wire(&self) -> Wire {
        // SAFETY: By the type invariant, `self.0` is a valid, owned skb, of `self.len()`
        // bytes, which nothing changes meanwhile (`&self`).
        unsafe { Wire::of(self.0.as_ptr(), self.len()) }
    }

    /// Fills `dst` with the packet's bytes from `offset` on, linear part and fragments alike
    /// (`skb_copy_bits()`).
    ///
    /// # Errors
    ///
    /// `EMSGSIZE` when the packet has fewer than `dst.len()` bytes past `offset`.
    pub(crate) fn copy_to(&self, offset: usize, dst: CoherentView<'_, [u8]>) -> Result {
        let len = usize::try_from(self.len()).map_err(|_| EMSGSIZE)?;
        if offset.checked_add(dst.len()).is_none_or(|end| end > len) {
            return Err(EMSGSIZE);
        }
        let offset = c_int::try_from(offset).map_err(|_| EMSGSIZE)?;
        let count = c_int::try_from(dst.len()).map_err(|_| EMSGSIZE)?;
        let to = dst.as_sys_mem().as_ptr().cast::<c_void>();
        // SAFETY: `to` is valid for writing `count` bytes of DMA memory that the device does
        // not own (the caller posts it only afterwards); `self.0` is a valid skb with at least
        // `offset + count` bytes.
        to_result(unsafe { ffi::skb_copy_bits(self.0.as_ptr(), offset, to, count) })
    }

    /// The `virtio_net_hdr` that asks the device for this packet's offloads
    /// (`virtio_net_hdr_from_skb()`): its partial checksum, its segmentation.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a segmentation type virtio cannot express (never one of the features the
    /// device was given).
    pub(crate) fn vnet_hdr(&self, little_endian: bool) -> Result<[u8; VNET_HDR_LEN]> {
        let mut hdr = [0; VNET_HDR_LEN];
        // SAFETY: By the type invariant, `self.0` is a valid skb; `hdr` is valid for writing
        // `VNET_HDR_LEN` bytes, the size of `struct virtio_net_hdr`.
        to_result(unsafe {
            ffi::rvnet_skb_vnet_hdr(self.0.as_ptr(), hdr.as_mut_ptr(), little_endian)
        })?;
        Ok(hdr)
    }

    /// Takes the software transmit timestamp, if the socket asked for one
    /// (`skb_tx_timestamp()`): call once the packet is handed to the device, as ethtool's
    /// `get_ts_info` promises.
    pub(crate) fn tx_timestamp(&mut self) {
        // SAFETY: By the type invariant, `self.0` is a valid, owned skb.
        unsafe { ffi::rvnet_skb_tx_timestamp(self.0.as_ptr()) };
    }

    /// Frees the buffer after a successful transmission, not counted as a drop: into this
    /// CPU's NAPI cache with bottom halves off (`napi_consume_skb()`), else as the context
    /// allows (`dev_consume_skb_any()`).
    pub(crate) fn consume(self) {
        let skb = self.into_raw();
        // SAFETY: By the type invariant, the `sk_buff` was owned and valid; it is not used
        // again.
        unsafe { ffi::rvnet_consume_skb_any(skb.as_ptr()) };
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: By the type invariant, the `sk_buff` is owned and valid; `dev_kfree_skb_any()`
        // may be called in any context.
        unsafe { ffi::rvnet_kfree_skb_any(self.0.as_ptr()) };
    }
}

// SAFETY: An owned `sk_buff` may be freed or used on any thread.
unsafe impl Send for SkBuff {}
