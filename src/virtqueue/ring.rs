// SPDX-License-Identifier: GPL-2.0

//! Split-virtqueue bookkeeping: ring layout, queue size, the free list, wrapping index math,
//! the event-index test, and the validation of every value the device writes back.
//!
//! Pure logic, tested on the host. Virtio 1.2 §2.7 (split virtqueues), §2.7.7.2 and §2.7.10
//! (`used_event`/`avail_event`); `vring_need_event()` of `include/uapi/linux/virtio_ring.h`.
//! The device is not trusted: a used id out of range or not outstanding, a length beyond the
//! posted buffer, or a used index that runs ahead of what was made available is reported as an
//! error and never indexes anything.

#![forbid(unsafe_code)]

/// The largest queue rvnet sets up (entries). Bigger queues buy nothing under the MMIO
/// transport and cost memory: a queue uses `MAX_QUEUE_SIZE * BUF_SIZE` bytes of buffers.
pub(crate) const MAX_QUEUE_SIZE: u16 = 256;

/// Size of a descriptor (`struct vring_desc`: le64 addr, le32 len, le16 flags, le16 next).
pub(crate) const DESC_SIZE: usize = 16;
/// Size of a used element (`struct vring_used_elem`: le32 id, le32 len).
pub(crate) const USED_ELEM_SIZE: usize = 8;
/// Ring alignment of the legacy layout (`VIRTIO_MMIO_QUEUE_ALIGN` written by the driver).
pub(crate) const LEGACY_ALIGN: usize = 4096;

/// `VRING_DESC_F_NEXT`: the chain continues in the descriptor named by `next`.
pub(crate) const VRING_DESC_F_NEXT: u16 = 1;
/// `VRING_DESC_F_WRITE`: the device writes the buffer (receive).
pub(crate) const VRING_DESC_F_WRITE: u16 = 2;
/// `VRING_DESC_F_INDIRECT`: the buffer is a table of descriptors (`VIRTIO_RING_F_INDIRECT_DESC`).
pub(crate) const VRING_DESC_F_INDIRECT: u16 = 4;

/// Where the three parts of a split ring lie in one allocation (the legacy layout, which the
/// version 2 layout can use as well).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Number of entries.
    pub(crate) num: u16,
    /// Offset of the descriptor table (always 0).
    pub(crate) desc: usize,
    /// Offset of the available ring (`flags`, `idx`, `ring[num]`, `used_event`).
    pub(crate) avail: usize,
    /// Offset of the used ring (`flags`, `idx`, `ring[num]`, `avail_event`).
    pub(crate) used: usize,
    /// Bytes in all.
    pub(crate) size: usize,
}

const fn align_up(x: usize, align: usize) -> usize {
    x.div_ceil(align) * align
}

/// What the legacy layout's registers say of a ring whose descriptor table is at `desc`
/// (VIRTIO 1.4, 4.2.4 Legacy interface): the device finds the descriptors at `QueuePFN` times
/// `GuestPageSize`, and the used ring at the next multiple of `QueueAlign` past the available
/// ring. Both are [`LEGACY_ALIGN`] whatever the kernel's page size, as [`Layout::new`] places
/// the used ring for that alignment: a kernel with 16 or 64 KiB pages that wrote its page size
/// would have the device look for the used ring past the end of the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LegacyQueue {
    /// `QueueAlign`.
    pub(crate) queue_align: u32,
    /// `QueuePFN`, in units of [`LegacyQueue::GUEST_PAGE_SIZE`].
    pub(crate) pfn: u32,
}

impl LegacyQueue {
    /// `GuestPageSize`, written once per device.
    // CAST: 4096 fits in `u32`.
    pub(crate) const GUEST_PAGE_SIZE: u32 = LEGACY_ALIGN as u32;

    /// The registers for a ring at `desc`; `None` when `desc` is not a multiple of
    /// [`Self::GUEST_PAGE_SIZE`] or its frame number does not fit in 32 bits (the driver's
    /// 44-bit DMA mask for legacy devices keeps rings below that).
    pub(crate) fn new(desc: u64) -> Option<Self> {
        let page = u64::from(Self::GUEST_PAGE_SIZE);
        if desc % page != 0 {
            return None;
        }
        Some(Self {
            queue_align: Self::GUEST_PAGE_SIZE,
            pfn: u32::try_from(desc / page).ok()?,
        })
    }
}

// The offsets below use wrapping arithmetic: they cannot overflow (a ring of at most
// `MAX_QUEUE_SIZE` entries takes a few pages), and every access through them is
// bounds-checked against the ring's memory, so a wrapped value would only be refused. Checked
// arithmetic would put panic paths on the data path, which objtool flags.
impl Layout {
    /// The layout of a ring of `num` entries whose used ring is aligned to `align`
    /// (`vring_size()`).
    pub(crate) const fn new(num: u16, align: usize) -> Self {
        let n = num as usize;
        let avail = DESC_SIZE * n;
        let used = align_up(avail + 2 * (3 + n), align);
        Self {
            num,
            desc: 0,
            avail,
            used,
            size: used + 2 * 3 + USED_ELEM_SIZE * n,
        }
    }

    /// Offset of descriptor `id`.
    pub(crate) const fn desc_at(&self, id: u16) -> usize {
        self.desc.wrapping_add(DESC_SIZE.wrapping_mul(id as usize))
    }

    /// Offset of the available ring's `idx`.
    pub(crate) const fn avail_idx(&self) -> usize {
        self.avail.wrapping_add(2)
    }

    /// Offset of entry `slot` of the available ring.
    pub(crate) const fn avail_ring(&self, slot: u16) -> usize {
        self.avail.wrapping_add(4).wrapping_add(2 * slot as usize)
    }

    /// Offset of `used_event`, the driver's interrupt threshold (after the available ring).
    pub(crate) const fn used_event(&self) -> usize {
        self.avail
            .wrapping_add(4)
            .wrapping_add(2 * self.num as usize)
    }

    /// Offset of the used ring's `idx`.
    pub(crate) const fn used_idx(&self) -> usize {
        self.used.wrapping_add(2)
    }

    /// Offset of entry `slot` of the used ring.
    pub(crate) const fn used_ring(&self, slot: u16) -> usize {
        self.used
            .wrapping_add(4)
            .wrapping_add(USED_ELEM_SIZE * slot as usize)
    }

    /// Offset of `avail_event`, the device's notification threshold (after the used ring).
    pub(crate) const fn avail_event(&self) -> usize {
        self.used
            .wrapping_add(4)
            .wrapping_add(USED_ELEM_SIZE * self.num as usize)
    }
}

/// The queue size to use when the device allows at most `max` entries: the largest power of
/// two (split rings of legacy devices must be one) not above `max` nor [`MAX_QUEUE_SIZE`].
/// `None` when the queue does not exist (`max` is 0).
pub(crate) fn queue_size(max: u32) -> Option<u16> {
    let cap = max.min(u32::from(MAX_QUEUE_SIZE));
    if cap == 0 {
        return None;
    }
    // CAST: `cap` is at most `MAX_QUEUE_SIZE`, a `u16`.
    Some(1 << (31 - cap.leading_zeros()) as u16)
}

/// Whether the other side asked to be told about index `new`, having last been told about
/// `old`, with `event` as its threshold (`vring_need_event()`): true when `event` lies in the
/// window `[old, new)`, in wrapping arithmetic.
pub(crate) const fn need_event(event: u16, new: u16, old: u16) -> bool {
    new.wrapping_sub(event).wrapping_sub(1) < new.wrapping_sub(old)
}

/// What was wrong with a value the device wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadDevice {
    /// The used index ran ahead of the buffers the device holds.
    UsedIndex {
        /// How far the device's index is ahead of the driver's.
        ahead: u16,
        /// How many buffers the device holds.
        outstanding: u16,
    },
    /// A used id that is not a descriptor of this ring.
    IdOutOfRange(u32),
    /// A used id the device does not hold (stale or duplicate).
    NotOutstanding(u16),
    /// A length beyond the buffer that was posted. The descriptor is back with the driver,
    /// which drops what it holds and reuses it.
    LengthTooLong {
        /// The descriptor.
        id: u16,
        /// What the device claimed.
        len: u32,
    },
}

/// The end of a descriptor chain in [`RingState`]'s links.
const NO_NEXT: u16 = u16::MAX;

/// A validated completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Used {
    /// The descriptor (and buffer) the device is done with.
    pub(crate) id: u16,
    /// How many bytes the device wrote into it (receive) or 0 (transmit).
    pub(crate) len: u32,
}

/// The driver's view of one split ring: which descriptors are free and which the device
/// holds, and the driver's positions in the available and used rings.
///
/// Each descriptor stands for one fixed buffer: descriptor `id` always points to buffer `id`.
/// A packet larger than one buffer takes a chain of descriptors ([`alloc_chain`]), whose links
/// the driver keeps here: what the device sees in the descriptor table is only a copy.
///
/// [`alloc_chain`]: Self::alloc_chain
pub(crate) struct RingState {
    num: u16,
    /// The descriptor after `id` in its chain, or [`NO_NEXT`].
    next: [u16; MAX_QUEUE_SIZE as usize],
    /// Free descriptor ids, a stack: `free[..nr_free]`.
    free: [u16; MAX_QUEUE_SIZE as usize],
    nr_free: u16,
    /// Whether descriptor `id` is on the free stack: freeing is O(1), not a scan of the stack
    /// on every transmit completion.
    on_free_stack: [bool; MAX_QUEUE_SIZE as usize],
    /// Whether the device holds descriptor `id`.
    outstanding: [bool; MAX_QUEUE_SIZE as usize],
    nr_outstanding: u16,
    /// Next available-ring index to publish (free-running, wraps at 2^16).
    next_avail: u16,
    /// Next used-ring index to consume (free-running).
    last_used: u16,
}

impl RingState {
    /// A ring of `num` entries (at most [`MAX_QUEUE_SIZE`]), all free.
    pub(crate) fn new(num: u16) -> Self {
        let num = num.min(MAX_QUEUE_SIZE);
        let mut free = [0; MAX_QUEUE_SIZE as usize];
        let mut on_free_stack = [false; MAX_QUEUE_SIZE as usize];
        // Hand out low ids first: pop from the end of a descending stack.
        for (slot, id) in free.iter_mut().zip((0..num).rev()) {
            *slot = id;
            if let Some(on) = on_free_stack.get_mut(usize::from(id)) {
                *on = true;
            }
        }
        Self {
            num,
            next: [NO_NEXT; MAX_QUEUE_SIZE as usize],
            free,
            nr_free: num,
            on_free_stack,
            outstanding: [false; MAX_QUEUE_SIZE as usize],
            nr_outstanding: 0,
            next_avail: 0,
            last_used: 0,
        }
    }

    /// Number of entries.
    pub(crate) fn num(&self) -> u16 {
        self.num
    }

    /// How many descriptors are free.
    pub(crate) fn nr_free(&self) -> u16 {
        self.nr_free
    }

    /// How many buffers the device holds.
    #[cfg(test)]
    pub(crate) fn nr_outstanding(&self) -> u16 {
        self.nr_outstanding
    }

    /// The `used_event` that asks for an interrupt only once three quarters of the buffers the
    /// device holds are used (`virtqueue_enable_cb_delayed()`): on a busy transmit queue one
    /// interrupt then recycles many descriptors. With a single buffer outstanding it is the
    /// next completion, so the last completions of a burst are still announced.
    pub(crate) fn delayed_used_event(&self) -> u16 {
        // nr_outstanding <= MAX_QUEUE_SIZE, so the product cannot overflow.
        self.last_used
            .wrapping_add(self.nr_outstanding.saturating_mul(3) / 4)
    }

    /// Whether the device, at used index `used_idx`, has gone past the threshold `event`
    /// written after the driver consumed up to [`last_used`](Self::last_used).
    pub(crate) fn passed(&self, event: u16, used_idx: u16) -> bool {
        used_idx.wrapping_sub(self.last_used) > event.wrapping_sub(self.last_used)
    }

    /// The available index the driver publishes next.
    pub(crate) fn next_avail(&self) -> u16 {
        self.next_avail
    }

    /// The used index the driver consumes next: the interrupt threshold to write in
    /// `used_event`.
    pub(crate) fn last_used(&self) -> u16 {
        self.last_used
    }

    /// Takes a free descriptor.
    pub(crate) fn alloc(&mut self) -> Option<u16> {
        self.nr_free = self.nr_free.checked_sub(1)?;
        let id = self.free.get(usize::from(self.nr_free)).copied()?;
        if let Some(on) = self.on_free_stack.get_mut(usize::from(id)) {
            *on = false;
        }
        if let Some(next) = self.next.get_mut(usize::from(id)) {
            *next = NO_NEXT;
        }
        Some(id)
    }

    /// Takes `n` free descriptors, linked into a chain, and returns its head; `None`, taking
    /// nothing, when fewer than `n` (or none) are asked for or free.
    pub(crate) fn alloc_chain(&mut self, n: u16) -> Option<u16> {
        if n == 0 || n > self.nr_free {
            return None;
        }
        let mut head = NO_NEXT;
        for _ in 0..n {
            let id = self.alloc()?;
            if let Some(next) = self.next.get_mut(usize::from(id)) {
                *next = head;
            }
            head = id;
        }
        Some(head)
    }

    /// The descriptor after `id` in its chain.
    pub(crate) fn chain_next(&self, id: u16) -> Option<u16> {
        self.next
            .get(usize::from(id))
            .copied()
            .filter(|&next| next != NO_NEXT)
    }

    /// Gives back a descriptor that is neither free nor outstanding.
    fn release(&mut self, id: u16) {
        if let Some(slot) = self.free.get_mut(usize::from(self.nr_free)) {
            *slot = id;
            self.nr_free += 1;
            if let Some(on) = self.on_free_stack.get_mut(usize::from(id)) {
                *on = true;
            }
        }
    }

    /// Records that descriptor `id` (taken by [`alloc`](Self::alloc), or just completed) is
    /// handed to the device, and returns the available-ring slot to write it in. The caller
    /// then publishes [`next_avail`](Self::next_avail) as the new `idx`.
    ///
    /// Returns `None`, changing nothing, for an id out of range or already held by the device.
    pub(crate) fn make_available(&mut self, id: u16) -> Option<u16> {
        let held = self
            .outstanding
            .get_mut(usize::from(id))
            .filter(|_| id < self.num)?;
        if *held {
            return None;
        }
        // No arithmetic that may panic (objtool, `Virtqueue`): `num > id` is not 0, and at
        // most `num` ids are outstanding.
        let slot = self.next_avail.checked_rem(self.num)?;
        *held = true;
        self.nr_outstanding = self.nr_outstanding.saturating_add(1);
        self.next_avail = self.next_avail.wrapping_add(1);
        Some(slot)
    }

    /// How many completions the device published, given its used index `used_idx`.
    ///
    /// # Errors
    ///
    /// [`BadDevice::UsedIndex`] when that is more than the buffers it holds.
    pub(crate) fn pending(&self, used_idx: u16) -> Result<u16, BadDevice> {
        let ahead = used_idx.wrapping_sub(self.last_used);
        if ahead > self.nr_outstanding {
            return Err(BadDevice::UsedIndex {
                ahead,
                outstanding: self.nr_outstanding,
            });
        }
        Ok(ahead)
    }

    /// The used-ring slot of the next completion to consume.
    pub(crate) fn next_used_slot(&self) -> u16 {
        self.last_used % self.num
    }

    /// Consumes the next used entry, `(id, len)` as the device wrote it, for buffers of
    /// `buf_len` bytes. The entry is consumed even when it is bad: a hostile device cannot make
    /// the driver loop on it. A good entry's descriptor is no longer outstanding: the caller
    /// posts it again ([`make_available`](Self::make_available)) or frees it
    /// ([`free`](Self::free)).
    ///
    /// # Errors
    ///
    /// [`BadDevice::IdOutOfRange`] and [`BadDevice::NotOutstanding`], leaving every
    /// descriptor as it was; [`BadDevice::LengthTooLong`], after which the descriptor is no
    /// longer outstanding (its contents are dropped, the descriptor reused).
    pub(crate) fn complete(&mut self, id: u32, len: u32, buf_len: u32) -> Result<Used, BadDevice> {
        self.last_used = self.last_used.wrapping_add(1);
        let id = u16::try_from(id)
            .ok()
            .filter(|&i| i < self.num)
            .ok_or(BadDevice::IdOutOfRange(id))?;
        let held = self
            .outstanding
            .get_mut(usize::from(id))
            .filter(|held| **held)
            .ok_or(BadDevice::NotOutstanding(id))?;
        *held = false;
        self.nr_outstanding -= 1;
        if len > buf_len {
            return Err(BadDevice::LengthTooLong { id, len });
        }
        Ok(Used { id, len })
    }

    /// Frees a completed descriptor (one that is not outstanding and not free), with the
    /// rest of its chain.
    pub(crate) fn free(&mut self, head: u16) {
        let mut id = Some(head);
        // A chain is at most `num` long: the walk ends even if the links were wrong.
        for _ in 0..self.num {
            let Some(this) = id else { break };
            let held = self.outstanding.get(usize::from(this)).copied();
            if this >= self.num || held != Some(false) || self.is_free(this) {
                break;
            }
            id = self.chain_next(this);
            if let Some(next) = self.next.get_mut(usize::from(this)) {
                *next = NO_NEXT;
            }
            self.release(this);
        }
    }

    fn is_free(&self, id: u16) -> bool {
        self.on_free_stack
            .get(usize::from(id))
            .copied()
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a legacy device finds a ring's used ring, from the registers (QEMU's
    /// `virtio_queue_update_rings()`: the available ring's `flags`, `idx` and `ring[num]`
    /// after the descriptors, then `QueueAlign`).
    fn device_used_ring(q: LegacyQueue, num: u16) -> u64 {
        let desc = u64::from(q.pfn) * u64::from(LegacyQueue::GUEST_PAGE_SIZE);
        let avail_end = desc + 16 * u64::from(num) + 4 + 2 * u64::from(num);
        avail_end.div_ceil(u64::from(q.queue_align)) * u64::from(q.queue_align)
    }

    #[test]
    fn legacy_registers_find_the_used_ring_at_any_page_size() {
        // Rings from dma_alloc_coherent() start on a page of the kernel's page size: 4, 16
        // or 64 KiB.
        for page in [4096_u64, 16384, 65536] {
            for num in [1_u16, 8, 64, 256, 1024, MAX_QUEUE_SIZE] {
                let layout = Layout::new(num, LEGACY_ALIGN);
                for base in [0, page, 7 * page, (1 << 43) - page] {
                    let Some(q) = LegacyQueue::new(base) else {
                        panic!("no registers for a ring at {base:#x}");
                    };
                    let used = device_used_ring(q, num);
                    assert_eq!(used, base + layout.used as u64, "{page} {num} {base:#x}");
                    let used_end = used + 4 + 8 * u64::from(num) + 2;
                    assert!(used_end <= base + layout.size as u64, "{page} {num}");
                }
            }
        }
    }

    #[test]
    fn legacy_registers_refuse_what_the_device_cannot_address() {
        assert_eq!(LegacyQueue::new(4096 + 512), None);
        assert_eq!(LegacyQueue::new(1 << 44), None);
        assert!(LegacyQueue::new((1 << 44) - 4096).is_some());
    }

    /// The ids of the chain starting at `head`.
    fn chain(r: &RingState, head: u16) -> Vec<u16> {
        let mut ids = vec![head];
        while let Some(next) = r.chain_next(*ids.last().unwrap_or(&head)) {
            ids.push(next);
            assert!(ids.len() <= usize::from(r.num()), "chain loops");
        }
        ids
    }

    #[test]
    fn chains_take_and_give_back_exactly_their_descriptors() {
        let mut r = RingState::new(8);
        let Some(a) = r.alloc_chain(3) else {
            panic!("3 of 8 free")
        };
        let ids_a = chain(&r, a);
        assert_eq!(ids_a.len(), 3);
        assert_eq!(r.nr_free(), 5);
        // More than is free: nothing is taken.
        assert_eq!(r.alloc_chain(6), None);
        assert_eq!(r.alloc_chain(0), None);
        assert_eq!(r.nr_free(), 5);
        let Some(b) = r.alloc_chain(5) else {
            panic!("5 of 5 free")
        };
        assert_eq!(r.nr_free(), 0);
        let mut all: Vec<u16> = ids_a.iter().chain(chain(&r, b).iter()).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..8).collect::<Vec<_>>());

        // Posted and completed by its head only; a middle descriptor is not the device's.
        assert!(r.make_available(a).is_some());
        assert_eq!(r.pending(1), Ok(1));
        assert_eq!(
            r.complete(u32::from(ids_a[1]), 0, 2048),
            Err(BadDevice::NotOutstanding(ids_a[1]))
        );
        assert!(r.make_available(a).is_none(), "already held");
        assert!(r.make_available(b).is_some());
        assert_eq!(
            r.complete(u32::from(b), 0, 2048),
            Ok(Used { id: b, len: 0 })
        );
        r.free(b);
        assert_eq!(r.nr_free(), 5);
        // Freeing twice changes nothing.
        r.free(b);
        assert_eq!(r.nr_free(), 5);
        // A single descriptor taken afterwards is not linked to anything.
        let Some(c) = r.alloc() else { panic!("5 free") };
        assert_eq!(r.chain_next(c), None);
        r.free(c);
        assert_eq!(r.nr_free(), 5);
        // The held chain cannot be freed until it completes.
        r.free(a);
        assert_eq!(r.nr_free(), 5);
    }

    #[test]
    fn layout_matches_vring_size() {
        // vring_size(256, 4096) = 4096 (desc) + 518 (avail) -> 8192 + 6 + 2048.
        let l = Layout::new(256, LEGACY_ALIGN);
        assert_eq!(
            (l.desc, l.avail, l.used, l.size),
            (0, 4096, 8192, 8192 + 6 + 2048)
        );
        assert_eq!(l.avail_ring(255), 4096 + 4 + 510);
        assert_eq!(l.used_event(), 4096 + 4 + 512);
        assert_eq!(l.used_ring(1), 8192 + 4 + 8);
        assert_eq!(l.avail_event(), 8192 + 4 + 2048);
        // Small ring: everything in one page.
        let l = Layout::new(8, LEGACY_ALIGN);
        assert_eq!((l.avail, l.used), (128, 4096));
        assert!(l.avail_event() + 2 <= l.size);
    }

    #[test]
    fn queue_size_is_a_capped_power_of_two() {
        assert_eq!(queue_size(0), None);
        assert_eq!(queue_size(1), Some(1));
        assert_eq!(queue_size(255), Some(128));
        assert_eq!(queue_size(256), Some(256));
        assert_eq!(queue_size(1024), Some(256));
        assert_eq!(queue_size(u32::MAX), Some(256));
    }

    /// Takes a free descriptor and hands it to the device; the ring must have room.
    fn post_one(r: &mut RingState) -> u16 {
        let Some(id) = r.alloc() else {
            panic!("no free descriptor")
        };
        assert!(r.make_available(id).is_some(), "id {id} refused");
        id
    }

    /// Completes and frees descriptor `id`, which the device must hold.
    fn complete_one(r: &mut RingState, id: u16) {
        assert!(r.complete(u32::from(id), 0, 0).is_ok(), "id {id} refused");
        r.free(id);
    }

    #[test]
    fn delayed_used_event_waits_for_three_quarters() {
        let mut r = RingState::new(256);
        // Nothing outstanding, or one buffer: the next completion.
        assert_eq!(r.delayed_used_event(), 0);
        let ids: Vec<u16> = (0..200).map(|_| post_one(&mut r)).collect();
        assert_eq!(r.delayed_used_event(), 150);
        // The device is at 100 of 150: not passed; at 151: passed.
        assert!(!r.passed(150, 100));
        assert!(!r.passed(150, 150));
        assert!(r.passed(150, 151));
        // Consume all but one: the threshold is the next completion again.
        for &id in &ids[..199] {
            complete_one(&mut r, id);
        }
        assert_eq!(r.nr_outstanding(), 1);
        assert_eq!(r.delayed_used_event(), 199);
        assert!(r.passed(199, 200));
        // Indices wrap at 2^16.
        let mut w = RingState::new(4);
        for _ in 0..16390 {
            let id = post_one(&mut w);
            complete_one(&mut w, id);
        }
        for _ in 0..4 {
            post_one(&mut w);
        }
        let event = w.delayed_used_event();
        assert_eq!(event, w.last_used().wrapping_add(3));
        assert!(w.passed(event, w.last_used().wrapping_add(4)));
        assert!(!w.passed(event, w.last_used().wrapping_add(3)));
    }

    #[test]
    fn free_is_idempotent_and_alloc_never_hands_out_twice() {
        let mut r = RingState::new(8);
        let (Some(a), Some(b)) = (r.alloc(), r.alloc()) else {
            panic!("a fresh ring of 8 has two free descriptors")
        };
        r.free(a);
        r.free(a);
        assert_eq!(r.nr_free(), 7);
        let mut seen = [false; 8];
        while let Some(id) = r.alloc() {
            assert!(!seen[usize::from(id)], "id {id} handed out twice");
            assert_ne!(id, b);
            seen[usize::from(id)] = true;
        }
    }

    #[test]
    fn need_event_is_true_exactly_when_the_threshold_was_crossed() {
        // What the event index means (virtio 1.2 §2.7.10): notify when the index moved from
        // `old` to `new` past `event`, i.e. one of `old, old + 1, ..., new - 1` (wrapping) is
        // `event`. Checked by walking those indices, near 0 and across the 16-bit wrap.
        fn crossed(event: u16, new: u16, old: u16) -> bool {
            let mut i = old;
            while i != new {
                if i == event {
                    return true;
                }
                i = i.wrapping_add(1);
            }
            false
        }
        for old in [0u16, 1, 1000, 65500, 65535] {
            for moved in 0u16..64 {
                let new = old.wrapping_add(moved);
                for ahead in 0u16..72 {
                    let event = old.wrapping_sub(4).wrapping_add(ahead);
                    assert_eq!(
                        need_event(event, new, old),
                        crossed(event, new, old),
                        "event {event}, new {new}, old {old}"
                    );
                }
            }
        }
        // A few by hand.
        assert!(need_event(0, 1, 0));
        assert!(!need_event(1, 1, 0));
        assert!(need_event(65535, 2, 65534));
        assert!(!need_event(3, 2, 65534));
    }

    #[test]
    fn alloc_and_free_cycle_through_all_ids() {
        let mut r = RingState::new(4);
        let ids: Vec<u16> = core::iter::from_fn(|| r.alloc()).collect();
        assert_eq!(ids, [0, 1, 2, 3]);
        assert_eq!(r.alloc(), None);
        r.free(2);
        assert_eq!(r.nr_free(), 1);
        // Double free is ignored.
        r.free(2);
        assert_eq!(r.nr_free(), 1);
        assert_eq!(r.alloc(), Some(2));
    }

    #[test]
    fn make_available_refuses_out_of_range_and_held_ids() {
        let mut r = RingState::new(4);
        assert_eq!(r.make_available(0), Some(0));
        assert_eq!(r.make_available(0), None);
        assert_eq!(r.make_available(4), None);
        assert_eq!(r.make_available(u16::MAX), None);
        assert_eq!(r.make_available(3), Some(1));
        assert_eq!((r.nr_outstanding(), r.next_avail()), (2, 2));
    }

    #[test]
    fn complete_validates_id_and_length() {
        let mut r = RingState::new(4);
        r.make_available(1);
        assert_eq!(r.pending(1), Ok(1));
        assert_eq!(r.complete(1, 60, 2048), Ok(Used { id: 1, len: 60 }));
        assert_eq!(r.nr_outstanding(), 0);
        // Duplicate completion of the same id.
        r.make_available(2);
        assert_eq!(r.complete(1, 60, 2048), Err(BadDevice::NotOutstanding(1)));
        assert_eq!(r.complete(9, 60, 2048), Err(BadDevice::IdOutOfRange(9)));
        assert_eq!(
            r.complete(1 << 20, 0, 2048),
            Err(BadDevice::IdOutOfRange(1 << 20))
        );
        assert_eq!(
            r.complete(2, 4000, 2048),
            Err(BadDevice::LengthTooLong { id: 2, len: 4000 })
        );
        // Every entry was consumed, good or bad.
        assert_eq!(r.last_used(), 5);
        // Id 2 came back (with a bad length) and can be posted again.
        assert_eq!(r.nr_outstanding(), 0);
        assert_eq!(r.make_available(2), Some(2));
    }

    #[test]
    fn used_index_cannot_run_ahead() {
        let mut r = RingState::new(8);
        r.make_available(0);
        r.make_available(1);
        assert_eq!(r.pending(2), Ok(2));
        assert_eq!(
            r.pending(3),
            Err(BadDevice::UsedIndex {
                ahead: 3,
                outstanding: 2
            })
        );
        // An index that went backwards looks like a huge jump ahead.
        assert!(r.pending(0xffff).is_err());
    }

    #[test]
    fn indices_wrap_at_16_bits() {
        let mut r = RingState::new(4);
        for round in 0..70_000u32 {
            let id = (round % 4) as u16;
            let slot = r.make_available(id);
            assert_eq!(slot, Some((round % 4) as u16));
            assert_eq!(r.pending(r.last_used().wrapping_add(1)), Ok(1));
            assert_eq!(r.next_used_slot(), (round % 4) as u16);
            assert_eq!(r.complete(u32::from(id), 0, 0), Ok(Used { id, len: 0 }));
        }
        assert_eq!(r.next_avail(), (70_000u32 % 65_536) as u16);
        assert_eq!(r.last_used(), r.next_avail());
    }
}
