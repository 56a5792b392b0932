// SPDX-License-Identifier: GPL-2.0

//! A split virtqueue in DMA-coherent memory: for transmission with one fixed buffer per
//! descriptor, for reception with buffers the driver brings (pages of a page pool).
//!
//! Virtio 1.2 §2.7 (split virtqueues); the driver side of `drivers/virtio/virtio_ring.c`
//! (`virtqueue_add_split()`, `virtqueue_kick_prepare_split()`, `virtqueue_get_buf_ctx_split()`,
//! `virtqueue_enable_cb_prepare_split()`), reduced to what rvnet needs: descriptor `id` always
//! points to buffer `id` of the queue's buffer area, so descriptors are written once and posting
//! a buffer is publishing its id. The bookkeeping and every check of what the device writes
//! live in [`ring`], host-tested; this file only moves values to and from the rings, with the
//! barriers of §2.7.13.
//!
//! Memory barriers: virtio-mmio devices use the "weak barriers" of `virtio_ring.c`, i.e. SMP
//! barriers, since the device is another CPU as far as coherent memory goes.

pub(crate) mod ring;

use kernel::{
    device::{Bound, Device},
    dma::{Coherent, CoherentView},
    io::{io_project, Io},
    prelude::*,
    sync::barrier::{smp_mb, Full, Read, Write},
};

use crate::transport::{QueueAddresses, Transport};

use self::ring::{
    BadDevice, Layout, RingState, Used, DESC_SIZE, LEGACY_ALIGN, VRING_DESC_F_INDIRECT,
    VRING_DESC_F_NEXT, VRING_DESC_F_WRITE,
};

#[cfg(target_endian = "big")]
compile_error!("rvnet writes ring values in CPU order: little-endian CPUs only");

/// The longest chain [`Virtqueue::post_segments`] writes: a header and the 19 segments of a
/// socket buffer with a linear part and `MAX_SKB_FRAGS` (17) fragments, and one to spare.
pub(crate) const MAX_CHAIN: usize = 20;

/// `VRING_AVAIL_F_NO_INTERRUPT`: the driver does not want interrupts (without event index).
const VRING_AVAIL_F_NO_INTERRUPT: u16 = 1;
/// `VRING_USED_F_NO_NOTIFY`: the device does not want notifications (without event index).
const VRING_USED_F_NO_NOTIFY: u16 = 1;

/// A descriptor (`struct vring_desc`).
#[derive(FromBytes, IntoBytes)]
#[repr(C)]
struct Desc {
    addr: u64,
    len: u32,
    flags: u16,
    next: u16,
}

/// A used element (`struct vring_used_elem`).
#[derive(FromBytes, IntoBytes)]
#[repr(C)]
struct UsedElem {
    id: u32,
    len: u32,
}

/// Who writes a queue's buffers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// The device fills them (receive queue); the driver brings them, each at its own address
    /// ([`Virtqueue::post_at`]).
    DeviceWrites,
    /// The driver fills them (transmit queue); each descriptor has a fixed buffer of its own
    /// ([`Virtqueue::buf`], [`Virtqueue::post`]).
    DriverWrites,
}

/// One split virtqueue and its buffers.
///
/// The device may access `ring` and `bufs` from [`Transport::queue_activate`] until it is
/// reset: a `Virtqueue` must be dropped after the device's [`Transport`], which resets it.
pub(crate) struct Virtqueue {
    /// Queue index, for notifications.
    index: u16,
    /// Where the parts of the ring are in `ring`.
    layout: Layout,
    /// Descriptor table, available ring and used ring, in the legacy layout.
    ring: Coherent<[u8]>,
    /// `num` buffers of `buf_size` bytes, descriptor `id` pointing to buffer `id`; none for a
    /// receive queue, whose buffers the driver brings.
    bufs: Option<Coherent<[u8]>>,
    /// Size of each buffer: the longest completion the device may report.
    buf_size: usize,
    /// `VRING_DESC_F_WRITE` for a receive queue, 0 for a transmit queue.
    flags: u16,
    /// Driver-side bookkeeping.
    state: KBox<RingState>,
    /// Whether `VIRTIO_RING_F_EVENT_IDX` was negotiated.
    event_idx: bool,
    /// The available index at the last notification.
    kicked_avail: u16,
    /// The entries `ring` and `bufs` have room for ([`Virtqueue::capacity`]).
    capacity: u16,
    /// With `VIRTIO_RING_F_INDIRECT_DESC`, a table of [`MAX_CHAIN`] descriptors for each head
    /// id ([`Virtqueue::post_indirect`]): a chain then takes one descriptor of the ring.
    indirect: Option<Coherent<[u8]>>,
}

/// Bytes of one indirect table: room for the longest chain.
const INDIRECT_TABLE_SIZE: usize = MAX_CHAIN * DESC_SIZE;

/// The bytes of a `T` at byte `offset`, or `ERANGE` past the end of the address space. (No
/// arithmetic on the data path may panic: objtool then finds a function falling through into
/// the next one, and a panic is no answer to a device anyway.)
fn span_of<T>(offset: usize) -> Result<core::ops::Range<usize>> {
    Ok(offset..offset.checked_add(size_of::<T>()).ok_or(ERANGE)?)
}

/// Reads a `T` at byte `offset` of `ring`.
fn read_at<T: FromBytes + IntoBytes>(ring: &Coherent<[u8]>, offset: usize) -> Result<T> {
    let span = span_of::<T>(offset)?;
    Ok(io_project!(ring, [try: span]).try_cast::<T>()?.copy_read())
}

/// Writes a `T` at byte `offset` of `ring`.
fn write_at<T: FromBytes + IntoBytes>(ring: &Coherent<[u8]>, offset: usize, value: T) -> Result {
    let span = span_of::<T>(offset)?;
    io_project!(ring, [try: span])
        .try_cast::<T>()?
        .copy_write(value);
    Ok(())
}

impl Virtqueue {
    /// Allocates queue `index` with buffers of `buf_size` bytes, as large as the device allows
    /// up to [`ring::MAX_QUEUE_SIZE`], and gives it to the device.
    ///
    /// # Errors
    ///
    /// `ENOENT` when the device has no such queue, `ENOMEM` when memory is short, and the
    /// errors of [`Transport::queue_max`] and [`Transport::queue_activate`].
    pub(crate) fn new(
        transport: &Transport<'_>,
        dev: &Device<Bound>,
        index: u16,
        buf_size: usize,
        direction: Direction,
        event_idx: bool,
    ) -> Result<Self> {
        let num = ring::queue_size(transport.queue_max(index)?).ok_or(ENOENT)?;
        let layout = Layout::new(num, LEGACY_ALIGN);
        let ring = Coherent::<u8>::zeroed_slice(dev, layout.size, GFP_KERNEL)?;
        let state = KBox::new(RingState::new(num), GFP_KERNEL)?;
        let (bufs, flags) = match direction {
            Direction::DeviceWrites => (None, VRING_DESC_F_WRITE),
            Direction::DriverWrites => {
                let size = usize::from(num) * buf_size;
                (
                    Some(Coherent::<u8>::zeroed_slice(dev, size, GFP_KERNEL)?),
                    0,
                )
            }
        };
        let mut vq = Self {
            index,
            layout,
            ring,
            bufs,
            buf_size,
            flags,
            state,
            event_idx,
            kicked_avail: 0,
            capacity: num,
            indirect: None,
        };
        vq.activate(transport)?;
        Ok(vq)
    }

    /// Points each descriptor of a transmit queue at its buffer and gives the ring, empty, to
    /// the device.
    fn activate(&mut self, transport: &Transport<'_>) -> Result {
        let num = self.state.num();
        let buf_len = u32::try_from(self.buf_size).map_err(|_| EINVAL)?;
        if let Some(bufs) = &self.bufs {
            for id in 0..num {
                // CAST: `usize` to `u64` is lossless on 64-bit machines.
                let offset = (usize::from(id) * self.buf_size) as u64;
                let desc = Desc {
                    addr: bufs.dma_address() + offset,
                    len: buf_len,
                    flags: self.flags,
                    next: 0,
                };
                write_at(&self.ring, self.layout.desc_at(id), desc)?;
            }
        }
        let base = self.ring.dma_address();
        // CAST: Ring offsets are below a few pages.
        let at = |offset: usize| base + offset as u64;
        transport.queue_activate(
            self.index,
            num,
            &QueueAddresses {
                desc: at(self.layout.desc),
                avail: at(self.layout.avail),
                used: at(self.layout.used),
            },
        )
    }

    /// Gives the queue again, empty and with `num` entries, to a device that was reset and is
    /// being set up again: every descriptor is free, both rings zeroed (a used index left
    /// from before would announce completions), and the indices back at 0. Whatever the
    /// device held is the caller's to release, before this.
    ///
    /// The memory stays: `num` is a power of two no larger than the [`capacity`] it was
    /// allocated for, whose layout holds every smaller ring.
    ///
    /// # Errors
    ///
    /// `EINVAL` for another `num`, and the errors of [`Transport::queue_activate`]. The queue
    /// is then empty, and not given to the device.
    ///
    /// [`capacity`]: Self::capacity
    pub(crate) fn restart(&mut self, transport: &Transport<'_>, num: u16) -> Result {
        if num == 0 || num > self.capacity || !num.is_power_of_two() {
            return Err(EINVAL);
        }
        let size = Layout::new(self.capacity, LEGACY_ALIGN).size;
        let mut at = 0;
        while at + size_of::<u64>() <= size {
            write_at(&self.ring, at, 0u64)?;
            at += size_of::<u64>();
        }
        while at < size {
            write_at(&self.ring, at, 0u8)?;
            at += 1;
        }
        self.layout = Layout::new(num, LEGACY_ALIGN);
        *self.state = RingState::new(num);
        self.kicked_avail = 0;
        self.activate(transport)
    }

    /// Gives the queue a table of indirect descriptors per head id (a queue the driver writes,
    /// with `VIRTIO_RING_F_INDIRECT_DESC` negotiated): chains posted by
    /// [`post_indirect`](Self::post_indirect) then take one descriptor of the ring each.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the tables cannot be allocated.
    pub(crate) fn add_indirect_tables(&mut self, dev: &Device<Bound>) -> Result {
        let size = usize::from(self.capacity) * INDIRECT_TABLE_SIZE;
        self.indirect = Some(Coherent::<u8>::zeroed_slice(dev, size, GFP_KERNEL)?);
        Ok(())
    }

    /// Whether chains go through indirect tables ([`post_indirect`](Self::post_indirect)).
    pub(crate) fn has_indirect(&self) -> bool {
        self.indirect.is_some()
    }

    /// The most entries the queue's memory holds: the size the device allowed at probe, up to
    /// [`ring::MAX_QUEUE_SIZE`].
    pub(crate) fn capacity(&self) -> u16 {
        self.capacity
    }

    /// Number of entries.
    pub(crate) fn num(&self) -> u16 {
        self.state.num()
    }

    /// Size of each buffer.
    pub(crate) fn buf_size(&self) -> usize {
        self.buf_size
    }

    /// How many descriptors are free (transmit queue).
    pub(crate) fn nr_free(&self) -> u16 {
        self.state.nr_free()
    }

    /// Takes a chain of `n` free descriptors, for a packet of up to `n` buffers, and returns
    /// its head (transmit queue).
    pub(crate) fn alloc_chain(&mut self, n: u16) -> Option<u16> {
        self.state.alloc_chain(n)
    }

    /// The descriptor after `id` in its chain.
    pub(crate) fn chain_next(&self, id: u16) -> Option<u16> {
        self.state.chain_next(id)
    }

    /// Frees a completed descriptor and the rest of its chain (transmit queue).
    pub(crate) fn free(&mut self, id: u16) {
        self.state.free(id);
    }

    /// The first `len` bytes of buffer `id`.
    ///
    /// # Errors
    ///
    /// `ERANGE` when `id` or `len` is beyond the queue's buffers.
    pub(crate) fn buf(&self, id: u16, len: usize) -> Result<CoherentView<'_, [u8]>> {
        let start = usize::from(id) * self.buf_size;
        let bufs = self.bufs.as_ref().ok_or(ERANGE)?;
        if len > self.buf_size {
            return Err(ERANGE);
        }
        Ok(io_project!(bufs, [try: start..start + len]))
    }

    /// Hands the device `len` bytes at `addr`, a buffer the driver brought, as descriptor
    /// `id` (receive queue). The device learns about it at the next [`kick`](Self::kick).
    ///
    /// # Errors
    ///
    /// `EINVAL` when `id` is out of range or already posted, or `len` more than the queue's
    /// buffer size.
    pub(crate) fn post_at(&mut self, id: u16, addr: u64, len: u32) -> Result {
        if usize::try_from(len).map_or(true, |len| len > self.buf_size) {
            return Err(EINVAL);
        }
        let at = self.layout.desc_at(id);
        let slot = self.state.make_available(id).ok_or(EINVAL)?;
        let desc = Desc {
            addr,
            len,
            flags: self.flags,
            next: 0,
        };
        write_at(&self.ring, at, desc)?;
        self.publish(slot, id)
    }

    /// Puts `head` into available slot `slot` and publishes the new available index.
    fn publish(&mut self, slot: u16, head: u16) -> Result {
        write_at(&self.ring, self.layout.avail_ring(slot), head)?;
        // The device must see the descriptor and ring entry before the new index.
        smp_mb(Write);
        write_at(&self.ring, self.layout.avail_idx(), self.state.next_avail())
    }

    /// Hands the buffers of the chain at `head`, holding `len` bytes in all (transmit: full
    /// buffers, the last one holding the rest) or room for `buf_size` (receive), to the
    /// device. The device learns about them at the next [`kick`](Self::kick).
    ///
    /// # Errors
    ///
    /// `EINVAL` when `head` is out of range or already posted, or `len` more than the chain
    /// holds.
    pub(crate) fn post(&mut self, head: u16, len: usize) -> Result {
        // The chain's length, at most `num` descriptors even if the links were to cycle.
        let mut descs: u16 = 0;
        let mut id = Some(head);
        while let Some(this) = id.take() {
            descs = descs.saturating_add(1);
            id = self
                .state
                .chain_next(this)
                .filter(|_| descs < self.state.num());
        }
        let room = usize::from(descs).checked_mul(self.buf_size);
        if room.is_none_or(|room| len > room) {
            return Err(EINVAL);
        }
        let slot = self.state.make_available(head).ok_or(EINVAL)?;
        let mut left = len;
        let mut id = Some(head);
        for _ in 0..descs {
            let Some(this) = id else { break };
            id = self.state.chain_next(this);
            let here = left.min(self.buf_size);
            left = left.saturating_sub(here);
            let desc = Desc {
                // A descriptor of a zero-copy chain pointed elsewhere: back to its buffer.
                addr: self.buf_address(this)?,
                // CAST: `here <= buf_size`, which fits a `u32` (`Virtqueue::new`).
                len: here as u32,
                flags: self.flags | if id.is_some() { VRING_DESC_F_NEXT } else { 0 },
                next: id.unwrap_or(0),
            };
            write_at(&self.ring, self.layout.desc_at(this), desc)?;
        }
        self.publish(slot, head)
    }

    /// Where the device sees buffer `id`.
    fn buf_address(&self, id: u16) -> Result<u64> {
        let bufs = self.bufs.as_ref().ok_or(EINVAL)?;
        // CAST: `usize` to `u64` is lossless on 64-bit machines.
        Ok(bufs.dma_address() + (usize::from(id) * self.buf_size) as u64)
    }

    /// Hands the chain at `head` to the device (transmit queue): the first `hdr_len` bytes of
    /// the head's own buffer (the header, written by the caller; none when `hdr_len` is 0),
    /// then each of `segs`, `(address, length)` of memory the caller keeps mapped until the
    /// chain completes. The chain must have a descriptor for each part.
    ///
    /// # Errors
    ///
    /// `EINVAL` when `head` is out of range or already posted, or the chain's length does not
    /// match.
    pub(crate) fn post_segments(
        &mut self,
        head: u16,
        hdr_len: usize,
        segs: impl Iterator<Item = (u64, u32)>,
    ) -> Result {
        let hdr_len = u32::try_from(hdr_len.min(self.buf_size)).map_err(|_| EINVAL)?;
        let mut descs = [(0u16, 0u64, 0u32); MAX_CHAIN];
        let mut n = 0;
        let mut id = Some(head);
        let first = (hdr_len > 0).then_some((self.buf_address(head)?, hdr_len));
        for (addr, len) in Iterator::chain(first.into_iter(), segs) {
            let (Some(this), Some(slot)) = (id, descs.get_mut(n)) else {
                return Err(EINVAL);
            };
            *slot = (this, addr, len);
            n += 1;
            id = self.state.chain_next(this);
        }
        if id.is_some() {
            return Err(EINVAL);
        }
        let slot = self.state.make_available(head).ok_or(EINVAL)?;
        let chain = descs.get(..n).ok_or(EINVAL)?;
        for (i, &(this, addr, len)) in chain.iter().enumerate() {
            let next = chain.get(i + 1).map(|&(next, _, _)| next);
            let desc = Desc {
                addr,
                len,
                flags: self.flags | if next.is_some() { VRING_DESC_F_NEXT } else { 0 },
                next: next.unwrap_or(0),
            };
            write_at(&self.ring, self.layout.desc_at(this), desc)?;
        }
        self.publish(slot, head)
    }

    /// Hands the device, as the single descriptor `head` (from `alloc_chain(1)`), an indirect
    /// table (virtio 1.4, 2.7.5.3) of what [`post_segments`](Self::post_segments) would chain:
    /// the first `hdr_len` bytes of the head's own buffer (none when 0), then each of `segs`.
    /// A TSO packet of 17 fragments takes one descriptor of the ring, not 18.
    ///
    /// # Errors
    ///
    /// `EINVAL` without indirect tables, when `head` is out of range, already posted or heads
    /// a longer chain, or there are more than [`MAX_CHAIN`] parts.
    pub(crate) fn post_indirect(
        &mut self,
        head: u16,
        hdr_len: usize,
        mut segs: impl Iterator<Item = (u64, u32)>,
    ) -> Result {
        if head >= self.state.num() || self.state.chain_next(head).is_some() {
            return Err(EINVAL);
        }
        let hdr_len = u32::try_from(hdr_len.min(self.buf_size)).map_err(|_| EINVAL)?;
        let first = (hdr_len > 0).then_some((self.buf_address(head)?, hdr_len));
        let mut parts = [(0u64, 0u32); MAX_CHAIN];
        let mut n = 0;
        for (slot, part) in parts
            .iter_mut()
            .zip(Iterator::chain(first.into_iter(), segs.by_ref()))
        {
            *slot = part;
            n += 1;
        }
        if segs.next().is_some() {
            return Err(EINVAL);
        }
        let tables = self.indirect.as_ref().ok_or(EINVAL)?;
        // No arithmetic here may panic (see `span_of`): the table's offset is checked.
        let table = usize::from(head)
            .checked_mul(INDIRECT_TABLE_SIZE)
            .ok_or(ERANGE)?;
        let mut at = table;
        for (i, &(addr, len)) in parts.iter().take(n).enumerate() {
            let next = i + 1;
            let last = next == n;
            let desc = Desc {
                addr,
                len,
                // Inside a table only `NEXT` (and `WRITE`, for a device that writes): never
                // `INDIRECT` (virtio 1.4, 2.7.5.3.1). CAST: `next < n <= MAX_CHAIN`.
                flags: self.flags | if last { 0 } else { VRING_DESC_F_NEXT },
                next: if last { 0 } else { next as u16 },
            };
            write_at(tables, at, desc)?;
            at = at.checked_add(DESC_SIZE).ok_or(ERANGE)?;
        }
        // CAST: `usize` to `u64` is lossless on 64-bit machines; `at - table` is `n` entries,
        // `n <= MAX_CHAIN`.
        let desc = Desc {
            addr: tables
                .dma_address()
                .checked_add(table as u64)
                .ok_or(ERANGE)?,
            len: at.wrapping_sub(table) as u32,
            // `INDIRECT` without `NEXT`, and not `WRITE` (2.7.5.3.1).
            flags: VRING_DESC_F_INDIRECT,
            next: 0,
        };
        let slot = self.state.make_available(head).ok_or(EINVAL)?;
        write_at(&self.ring, self.layout.desc_at(head), desc)?;
        self.publish(slot, head)
    }

    /// Hands the device a request in the two-descriptor chain at `head` (a queue the driver
    /// writes, used as the control queue): the first `out_len` bytes of the head's buffer for
    /// the device to read, then `in_len` bytes of the next one's for it to write. The device
    /// learns about it at the next [`kick`](Self::kick).
    ///
    /// # Errors
    ///
    /// `EINVAL` when `head` is out of range or already posted, the chain is not two
    /// descriptors long, or a length is beyond a buffer.
    pub(crate) fn post_request(&mut self, head: u16, out_len: usize, in_len: usize) -> Result {
        let reply = self.state.chain_next(head).ok_or(EINVAL)?;
        if self.state.chain_next(reply).is_some() || out_len.max(in_len) > self.buf_size {
            return Err(EINVAL);
        }
        let slot = self.state.make_available(head).ok_or(EINVAL)?;
        let request = Desc {
            addr: self.buf_address(head)?,
            // CAST: Both lengths are at most `buf_size`, which fits a `u32` (`Virtqueue::new`).
            len: out_len as u32,
            flags: VRING_DESC_F_NEXT,
            next: reply,
        };
        let answer = Desc {
            addr: self.buf_address(reply)?,
            // CAST: See above.
            len: in_len as u32,
            flags: VRING_DESC_F_WRITE,
            next: 0,
        };
        write_at(&self.ring, self.layout.desc_at(head), request)?;
        write_at(&self.ring, self.layout.desc_at(reply), answer)?;
        self.publish(slot, head)
    }

    /// Notifies the device of posted buffers if it asked for it (`virtqueue_kick()`): with
    /// event index, when `avail_event` lies between the last notification and now; otherwise
    /// unless it set `VRING_USED_F_NO_NOTIFY`. Returns whether it notified.
    pub(crate) fn kick(&mut self, transport: &Transport<'_>) -> bool {
        let new = self.state.next_avail();
        if new == self.kicked_avail {
            return false;
        }
        // The new index must be visible before the device's wish is read.
        smp_mb(Full);
        let needed = if self.event_idx {
            read_at::<u16>(&self.ring, self.layout.avail_event()).map_or(true, |event| {
                ring::need_event(event, new, self.kicked_avail)
            })
        } else {
            read_at::<u16>(&self.ring, self.layout.used)
                .map_or(true, |flags| flags & VRING_USED_F_NO_NOTIFY == 0)
        };
        self.kicked_avail = new;
        if needed {
            transport.notify(self.index);
        }
        needed
    }

    /// How many completions the device has published.
    ///
    /// # Errors
    ///
    /// [`BadDevice::UsedIndex`] when the device's used index is not believable.
    pub(crate) fn used_pending(&self) -> Result<u16, BadDevice> {
        let used_idx = read_at::<u16>(&self.ring, self.layout.used_idx()).unwrap_or(0);
        let pending = self.state.pending(used_idx);
        // Used entries must be read after the index that covers them.
        smp_mb(Read);
        pending
    }

    /// Consumes the next used entry, one of those [`used_pending`](Self::used_pending)
    /// counted, validated against buffers of `buf_size` bytes.
    ///
    /// # Errors
    ///
    /// [`BadDevice`] for an entry that failed validation; it is consumed anyway.
    pub(crate) fn pop_used(&mut self) -> Result<Used, BadDevice> {
        let slot = self.state.next_used_slot();
        let elem =
            read_at::<UsedElem>(&self.ring, self.layout.used_ring(slot)).unwrap_or(UsedElem {
                id: u32::MAX,
                len: 0,
            });
        let buf_len = u32::try_from(self.buf_size).unwrap_or(u32::MAX);
        self.state.complete(elem.id, elem.len, buf_len)
    }

    /// Asks the device not to interrupt for this queue (`virtqueue_disable_cb()`). With event
    /// index that is implicit: the device interrupts only when it passes `used_event`, which
    /// the driver leaves behind until [`enable_cb`](Self::enable_cb).
    pub(crate) fn disable_cb(&mut self) {
        if !self.event_idx {
            let _ = write_at(&self.ring, self.layout.avail, VRING_AVAIL_F_NO_INTERRUPT);
        }
    }

    /// Asks for an interrupt once three quarters of the outstanding buffers are used
    /// (`virtqueue_enable_cb_delayed()`; without `EVENT_IDX` at the next completion, as
    /// [`enable_cb`](Self::enable_cb)), then checks whether the device is already past that
    /// point: returns `true` when it is, and the caller must look again since no interrupt
    /// will come for it.
    pub(crate) fn enable_cb_delayed(&mut self) -> bool {
        if !self.event_idx {
            return self.enable_cb();
        }
        let event = self.state.delayed_used_event();
        let _ = write_at(&self.ring, self.layout.used_event(), event);
        // The threshold must be visible before the used index is read again.
        smp_mb(Full);
        read_at::<u16>(&self.ring, self.layout.used_idx())
            .is_ok_and(|idx| self.state.passed(event, idx))
    }

    /// Asks for an interrupt at the next completion (`virtqueue_enable_cb()`), then checks for
    /// completions that came in meanwhile: returns `true` when there are some, which the
    /// caller must process since no interrupt will announce them.
    pub(crate) fn enable_cb(&mut self) -> bool {
        let last_used = self.state.last_used();
        let _ = if self.event_idx {
            write_at(&self.ring, self.layout.used_event(), last_used)
        } else {
            write_at(&self.ring, self.layout.avail, 0u16)
        };
        // The threshold must be visible before the used index is read again.
        smp_mb(Full);
        read_at::<u16>(&self.ring, self.layout.used_idx()).is_ok_and(|idx| idx != last_used)
    }
}
