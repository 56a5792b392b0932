// SPDX-License-Identifier: GPL-2.0

//! The transmit queue: `start_xmit()` and `free_old_xmit()` of `drivers/net/virtio_net.c`.
//!
//! Zero copy for packets larger than a buffer: a packet's linear part and fragments are
//! mapped for the device (`kernel_ext::net::skb_dma::MappedSkb`) and chained after its
//! `virtio_net_hdr` (with virtio 1.0, in the skb's headroom and the same descriptor as the
//! linear part; on a legacy device in the head descriptor's own small buffer); the socket
//! buffer is held, still charged to its socket, until the device completes the chain, then
//! unmapped and freed in the NAPI poll (`napi_consume_skb()`). A packet that fits one 2 KiB buffer
//! with its header (and a frame of `XDP_TX`) is copied instead into that buffer, which is
//! cheaper under TCG than mapping it, and released at once. A device reset with packets in
//! flight drops the queue, which unmaps and frees each of them exactly once.
//!
//! The header asks for the offloads negotiated (`virtio_net_hdr_from_skb()`, as `xmit_skb()`):
//! a partial checksum for the device to complete (`CSUM`), a packet to segment
//! (`HOST_TSO4/6`). Without them the stack sends neither, and the header is zeroes.
//!
//! Completions. `start_xmit()` recycles what the device has finished, and packets are counted
//! in `tx_packets` and `tx_bytes` when the device completes them, as `virtio_net` counts
//! (`free_old_xmit()`): a chain a reset finds still in flight was never sent, and counts in
//! `tx_dropped` instead, so that what one NIC counts as sent, the other received. Byte queue
//! limits (`kernel_ext::net::bql`) count every packet from the stack, copied or mapped, until
//! its completion; frames of `XDP_TX` are not counted, as in virtio_net. A completion
//! interrupt is asked for (once three quarters of what is in flight are done,
//! `enable_cb_delayed`) only when something waits for one: a mapped packet (its memory, its
//! socket's send buffer, pktgen's `count`), or a queue stopped by a full ring or by the
//! limits. Its poll frees what is done and asks again while that holds.
//! So every packet is freed without waiting for more traffic, and traffic of packets that are
//! copied runs without transmit interrupts while the ring has room. (virtio_net with
//! `napi_tx` asks at every notification: measured on the hub with 64-byte pktgen, that gave
//! rvnet 39 transmit interrupts per 1,000 packets against virtio_net's 2.2, and 0.60x its
//! rate.) Copied packets still count in the limits, and every chain in `tx_packets`, only once
//! the device completes them: when nothing else reaps them (no interrupt armed, no reply's
//! poll, the ring not full), a poll of their own does, one to two timer ticks later
//! (`Napi::poll_later`, a timer that checks once per tick whether a poll withdrew the
//! request, in the spirit of stmmac's transmit coalescing timer). So the limits and the
//! counters see every completion once the stack (or an XDP program) stops sending, and
//! traffic that polls anyway (request/response) pays a test per packet, not a poll.

use kernel::{
    alloc::KVVec,
    device::{
        Bound,
        Device, //
    },
    dma::CoherentView,
    io::{io_project, Io},
    prelude::*, //
};

use crate::{
    kernel_ext::{
        fault,
        net::{
            bql::Bql,
            device::{
                self,
                NetDevice, //
            },
            napi::NapiPoll,
            ops::TxOutcome,
            skb::{
                SkBuff,
                Wire, //
            },
            skb_dma::{
                MappedSkb,
                MAX_SEGMENTS, //
            },
            xdp::XdpData,
            xsk::XskPool,
        },
    },
    transport::Transport,
    virtqueue::{
        ring::{BadDevice, Used},
        Virtqueue, MAX_CHAIN,
    },
};

use super::{config, stats::Counter, Counters, QueueWriter};

/// How many times a poll reaps completions before it leaves the rest to the next poll; bounds
/// the work a device that completes as fast as it is asked can cause.
const REAP_ROUNDS: usize = 2;

/// The largest `virtio_net_hdr`: the fields and `num_buffers`, which the driver leaves zero.
const MAX_HDR_LEN: usize = 12;

/// A header of zeroes: no offload is asked for.
const ZERO_HDR: [u8; MAX_HDR_LEN] = [0; MAX_HDR_LEN];

/// Where the header has `gso_type`: not `VIRTIO_NET_HDR_GSO_NONE` (0) for a packet the device
/// segments.
const GSO_TYPE_AT: usize = 1;

// A mapped packet's chain: the header, then its segments.
const _: () = assert!(MAX_SEGMENTS < MAX_CHAIN);

/// What became of a packet handed to the ring.
enum Sent {
    /// Posted, as the chain at this head.
    Posted(u16),
    /// Dropped, and counted.
    Dropped,
    /// The ring is full: the queue is stopped, and the packet goes back to the core.
    Busy(SkBuff),
}

/// What the transmit queue keeps of a chain in flight until the device completes it.
#[derive(Default)]
struct InFlight<'a> {
    /// The packet the chain maps, if it was mapped rather than copied.
    skb: Option<MappedSkb<'a>>,
    /// What the chain counts for once the device completes it.
    tally: Tally,
}

/// What a chain in flight counts for once the device completes it.
#[derive(Clone, Copy, Default)]
struct Tally {
    /// Its length for the byte queue limits: 0 for a frame of `XDP_TX`, which they do not count.
    bql_bytes: u32,
    /// The frames it puts on the wire (a packet the device segments makes several) and their
    /// bytes, for `tx_packets` and `tx_bytes`: 0 for no chain.
    frames: u16,
    bytes: u32,
    /// Whether the chain sends a frame of the bound AF_XDP socket, from its own memory.
    xsk: bool,
}

impl Tally {
    /// A chain of `frames` frames of `bytes` bytes in all, `bql_bytes` of them counted by the
    /// byte queue limits.
    fn new(frames: u64, bytes: u64, bql_bytes: u32) -> Self {
        Self {
            bql_bytes,
            frames: u16::try_from(frames).unwrap_or(u16::MAX),
            bytes: u32::try_from(bytes).unwrap_or(u32::MAX),
            xsk: false,
        }
    }
}

/// The transmit virtqueue.
///
/// Field order is teardown order, after the device's reset: the ring, then the socket buffers
/// of chains still in flight, unmapped and freed. (The device is unregistered by then: its
/// byte queue limits are not told.)
///
/// # Invariants
///
/// `stop_threshold` is at least 1 and at most the ring size. `inflight[id]` holds a packet or
/// a tally only for the head `id` of a posted chain: the packet that chain maps, the bytes
/// `bql` counted for it and the frames it sends. `nr_mapped` is the number of entries that
/// hold a packet, `nr_xsk` the number that send a frame of `xsk`'s socket.
pub(crate) struct TxQueue<'a> {
    vq: Virtqueue,
    /// What each chain in flight holds, by head id.
    inflight: KVVec<InFlight<'a>>,
    /// The byte queue limits of the device's transmit queue.
    bql: Bql,
    /// The queue's packets and bytes, which only it counts.
    counts: QueueWriter,
    /// How many entries of `inflight` hold a mapped packet.
    nr_mapped: u16,
    /// The device the packets are mapped for.
    dev: &'a Device<Bound>,
    /// The descriptors the largest packet takes: with fewer free, the queue is stopped
    /// (`virtio_net` stops below `MAX_SKB_FRAGS + 2`).
    stop_threshold: u16,
    /// The same, before it is bounded by the ring size: with indirect tables a mapped packet
    /// takes one descriptor of the ring, and the largest is a copied frame (`XDP_TX`).
    stop_at: u16,
    /// The descriptors the largest packet takes without indirect tables, which bound the ring
    /// sizes (`config::min_tx_ring`): probe sized the MTU and segmentation for them.
    largest: u16,
    /// Whether the header's fields are little-endian (`net_hdr::little_endian`).
    little_endian: bool,
    /// Whether the header may share a descriptor with the packet (`VERSION_1`).
    any_layout: bool,
    /// The largest frame the device takes (`VIRTIO_NET_F_MTU`'s and the Ethernet header).
    max_frame: usize,
    /// The AF_XDP pool bound to the queue pair, whose socket's frames the poll sends.
    xsk: Option<XskPool>,
    /// How many entries of `inflight` send a frame of the pool's.
    nr_xsk: u16,
}

impl<'a> TxQueue<'a> {
    /// Wraps the transmit virtqueue of `dev`, counting its packets with `counts`, for frames
    /// of up to `max_frame` bytes after a header of `hdr_len` bytes whose fields are
    /// `little_endian` or not (and larger packets to segment, which are mapped), the header in
    /// the packet's first descriptor if `any_layout`, with its interrupts off until the first
    /// packet is sent.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the table of packets in flight cannot be allocated.
    pub(crate) fn new(
        mut vq: Virtqueue,
        counts: QueueWriter,
        dev: &'a Device<Bound>,
        max_frame: usize,
        hdr_len: usize,
        little_endian: bool,
        any_layout: bool,
    ) -> Result<Self> {
        vq.disable_cb();
        // A frame copied (`XDP_TX`) or a packet mapped, whichever takes more; a packet mapped
        // takes one descriptor with indirect tables (`Virtqueue::post_indirect`).
        let copied = (hdr_len + max_frame).div_ceil(vq.buf_size().max(1));
        let largest = u16::try_from(copied.max(MAX_SEGMENTS + 1)).unwrap_or(u16::MAX);
        let stop_at = if vq.has_indirect() {
            u16::try_from(copied).unwrap_or(u16::MAX)
        } else {
            largest
        };
        // INVARIANT: Clamped to 1..=num; probe limits the MTU so that a frame fits anyway.
        let stop_threshold = stop_at.clamp(1, vq.num().max(1));
        let mut inflight = KVVec::with_capacity(usize::from(vq.num()), GFP_KERNEL)?;
        for _ in 0..vq.num() {
            inflight.push(InFlight::default(), GFP_KERNEL)?;
        }
        // INVARIANT: Nothing is in flight.
        Ok(Self {
            vq,
            inflight,
            bql: Bql::new(),
            counts,
            nr_mapped: 0,
            dev,
            stop_threshold,
            stop_at,
            largest,
            little_endian,
            any_layout,
            max_frame,
            xsk: None,
            nr_xsk: 0,
        })
    }
}

impl TxQueue<'_> {
    /// The entries in use, and the most the queue's memory holds.
    pub(crate) fn sizes(&self) -> (u16, u16) {
        (self.vq.num(), self.vq.capacity())
    }

    /// Sends the frames of the AF_XDP pool `xsk` (none, for `None`) from now on, and drops the
    /// handle to the old one. Only after a reset: the frames of the old pool's socket that
    /// were in flight go back to it, as sent.
    pub(crate) fn set_xsk(&mut self, xsk: Option<XskPool>) {
        self.drop_xsk_frames();
        self.xsk = xsk;
    }

    /// The device was reset: the frames of the pool's socket it held go back to the socket,
    /// as sent.
    fn drop_xsk_frames(&mut self) {
        let mut frames = 0;
        for slot in self.inflight.iter_mut() {
            frames += u32::from(core::mem::take(&mut slot.tally.xsk));
        }
        if let (Some(pool), true) = (&self.xsk, frames > 0) {
            pool.tx_completed(frames);
        }
        self.nr_xsk = 0;
    }

    /// The fewest entries the ring may have (`config::min_tx_ring`).
    pub(crate) fn min_size(&self) -> u16 {
        config::min_tx_ring(self.largest)
    }

    /// Gives the queue again to a device that was reset, with `num` entries. The chains the
    /// old device completed are counted as sent; the others it never sent: each counts in
    /// `tx_dropped`. Every packet the old device held is unmapped and freed, once, and the byte
    /// queue limits of `dev` forget them (the device was reset: it reads none of them any
    /// more).
    ///
    /// # Errors
    ///
    /// The errors of [`Virtqueue::restart`].
    pub(crate) fn restart(
        &mut self,
        dev: &NetDevice,
        transport: &Transport<'_>,
        counters: &Counters,
        num: u16,
    ) -> Result {
        self.reap(dev, counters, None);
        self.drop_xsk_frames();
        let mut lost = 0;
        for slot in self.inflight.iter_mut() {
            let InFlight { skb, tally } = core::mem::take(slot);
            if let Some(packet) = skb {
                packet.complete(None);
            }
            lost += u64::from(tally.frames > 0);
        }
        counters.add(Counter::TxDropped, lost);
        self.nr_mapped = 0;
        self.bql.reset(dev);
        // INVARIANT: Nothing is in flight: every entry was emptied above.
        self.vq.restart(transport, num)?;
        self.vq.disable_cb();
        // INVARIANT: Clamped to 1..=num, as in `new`.
        self.stop_threshold = self.stop_at.clamp(1, num.max(1));
        Ok(())
    }

    /// Recycles the descriptors the device is done with (`free_old_xmit()`), freeing their
    /// packets in `poll` if one runs, and tells the byte queue limits of `dev`. Returns
    /// whether the largest packet fits in what is free.
    pub(crate) fn reap(
        &mut self,
        dev: &NetDevice,
        counters: &Counters,
        poll: Option<&NapiPoll<'_>>,
    ) -> bool {
        let pending = match self.vq.used_pending() {
            Ok(pending) => pending,
            Err(_) => {
                counters.add(Counter::BadDeviceEntries, 1);
                counters.add(Counter::TxErrors, 1);
                return self.has_room();
            }
        };
        // For the byte queue limits, the socket and `tx_packets`/`tx_bytes`.
        let (mut packets, mut bytes, mut xsk_frames) = (0u32, 0u64, 0u32);
        let (mut sent, mut sent_bytes) = (0u64, 0u64);
        for _ in 0..pending {
            let head = match self.vq.pop_used() {
                Ok(Used { id, .. }) => id,
                Err(bad) => {
                    counters.add(Counter::BadDeviceEntries, 1);
                    counters.add(Counter::TxErrors, 1);
                    // The device claimed to write into a buffer it may only read: the packet
                    // was sent or not, the descriptor is back either way.
                    let BadDevice::LengthTooLong { id, .. } = bad else {
                        continue;
                    };
                    id
                }
            };
            let tally = self.complete(head, poll);
            if tally.bql_bytes > 0 {
                packets += 1;
                bytes += u64::from(tally.bql_bytes);
            }
            xsk_frames += u32::from(tally.xsk);
            sent += u64::from(tally.frames);
            sent_bytes += u64::from(tally.bytes);
        }
        if sent > 0 {
            self.counts.count_frames(sent, sent_bytes);
        }
        self.bql.completed(dev, packets, bytes);
        if let (Some(pool), true) = (&self.xsk, xsk_frames > 0) {
            // In the order they were taken: the device completes in order, as every device
            // rvnet knows does. One that does not gives the socket an address early, which
            // only its own frames can suffer from.
            pool.tx_completed(xsk_frames);
        }
        self.has_room()
    }

    /// The chain at `head` is done: its packet, if mapped, is unmapped and freed, and its
    /// descriptors are free again. Returns what it counts for.
    fn complete(&mut self, head: u16, poll: Option<&NapiPoll<'_>>) -> Tally {
        let done = self
            .inflight
            .get_mut(usize::from(head))
            .map(core::mem::take)
            .unwrap_or_default();
        if let Some(packet) = done.skb {
            self.nr_mapped = self.nr_mapped.saturating_sub(1);
            packet.complete(poll);
        }
        if done.tally.xsk {
            self.nr_xsk = self.nr_xsk.saturating_sub(1);
        }
        self.vq.free(head);
        done.tally
    }

    /// How many descriptors `total` bytes (header and packet) take.
    fn descs_for(&self, total: usize) -> u16 {
        u16::try_from(total.div_ceil(self.vq.buf_size().max(1))).unwrap_or(u16::MAX)
    }

    /// Whether the largest packet fits in the free descriptors.
    fn has_room(&self) -> bool {
        self.vq.nr_free() >= self.stop_threshold
    }

    /// Asks for an interrupt once three quarters of what is in flight are done
    /// (`virtqueue_enable_cb_delayed()`), for a poll to free them; if the device is already
    /// past that point, schedules the poll at once.
    fn arm(&mut self, dev: &NetDevice) {
        if self.vq.enable_cb_delayed() {
            dev.napi().schedule();
        }
    }

    /// Whether a completion interrupt is needed: a mapped packet is in flight, or the queue is
    /// stopped (by a full ring, or by the byte queue limits, which only completions restart).
    fn needs_interrupt(&self, dev: &NetDevice) -> bool {
        self.nr_mapped > 0 || self.nr_xsk > 0 || dev.xmit_stopped()
    }

    /// Whether chains are in flight: copied packets the byte queue limits still count, and
    /// frames of XDP, which count in `tx_packets` once their completion is reaped.
    fn in_flight(&self) -> bool {
        self.vq.nr_free() < self.vq.num()
    }

    /// Arms what frees the packets in flight: the completion interrupt if something waits for
    /// one ([`needs_interrupt`](Self::needs_interrupt)), otherwise, for the chains of copied
    /// packets and frames still in flight, a poll one to two ticks later unless another poll
    /// frees them first.
    fn arm_completions(&mut self, dev: &NetDevice) {
        if self.needs_interrupt(dev) {
            self.arm(dev);
        } else if self.in_flight() {
            dev.napi().poll_later();
        }
    }

    /// The completions of a NAPI `poll` (`virtnet_poll_cleantx()`): frees what the device has
    /// finished, asks for an interrupt for the rest and wakes a queue that the full ring
    /// stopped once the largest packet fits again.
    pub(crate) fn poll(&mut self, dev: &NetDevice, counters: &Counters, poll: &NapiPoll<'_>) {
        let mut rounds = 0;
        loop {
            self.vq.disable_cb();
            self.reap(dev, counters, Some(poll));
            if dev.queue_stopped() && self.has_room() {
                dev.wake_queue();
                counters.add(Counter::TxQueueWakes, 1);
            }
            if !self.needs_interrupt(dev) {
                // Copied packets and frames the device has not completed yet: a later poll
                // frees and counts them. Nothing left: the poll asked for, if any, has nothing
                // to do.
                if self.in_flight() {
                    poll.napi().poll_later();
                } else {
                    poll.napi().poll_later_done();
                }
                break;
            }
            if !self.vq.enable_cb_delayed() {
                break;
            }
            rounds += 1;
            if rounds == REAP_ROUNDS {
                // The device completes as fast as it is asked: the next poll goes on.
                poll.napi().schedule();
                break;
            }
        }
    }

    /// Stops the queue on a full ring (`tx_may_stop()`), with an interrupt armed for the poll
    /// that will wake it.
    fn stop(&mut self, dev: &NetDevice, counters: &Counters) {
        dev.stop_queue();
        counters.add(Counter::TxQueueStops, 1);
        self.arm(dev);
    }

    /// Queues `skb` for transmission (`start_xmit()`), after a header of `hdr_len` bytes.
    /// Stops the queue when the ring is full, and notifies the device (and arms the
    /// completion interrupt) unless more packets are coming right behind and the queue runs.
    pub(crate) fn xmit(
        &mut self,
        dev: &NetDevice,
        transport: &Transport<'_>,
        counters: &Counters,
        skb: SkBuff,
        hdr_len: usize,
    ) -> TxOutcome {
        let len = skb.len();
        let total = hdr_len + usize::try_from(len).unwrap_or(usize::MAX);
        // Offloads the stack asks for are ones the device was given: an error here is a
        // segmentation type the features never allowed.
        let Ok(fields) = skb.vnet_hdr(self.little_endian) else {
            counters.add(Counter::TxDropped, 1);
            drop(skb);
            self.flush_if(dev, transport, counters, !device::xmit_more());
            return TxOutcome::Consumed;
        };
        // The fields, then a zero `num_buffers`.
        let hdr: [u8; MAX_HDR_LEN] = core::array::from_fn(|i| fields.get(i).copied().unwrap_or(0));
        let gso = hdr.get(GSO_TYPE_AT).is_some_and(|&gso| gso != 0);
        // Counted as the frames the device makes of it, as the netdev `qstats` count.
        let wire = if gso {
            skb.wire()
        } else {
            Wire::one(u64::from(len))
        };
        // A packet that fits one buffer with its header is copied: one descriptor, no mapping
        // to make and undo, freed at once. Measured (make bench, 1514-byte pktgen on the tap
        // backend): copied 0.83x C's rate, mapped 0.76x.
        let sent = if total > self.vq.buf_size() {
            self.xmit_mapped(dev, counters, skb, &hdr, hdr_len)
        } else {
            self.xmit_copy(dev, counters, skb, &hdr, hdr_len, total)
        };
        let id = match sent {
            Sent::Posted(id) => id,
            Sent::Dropped => {
                // Packets queued before it may wait for this notification.
                self.flush_if(dev, transport, counters, !device::xmit_more());
                return TxOutcome::Consumed;
            }
            Sent::Busy(skb) => return TxOutcome::Busy(skb),
        };
        if gso {
            counters.add(Counter::TxGso, 1);
        }

        // Counted before anything is reaped, which may complete this very chain. The limits
        // may stop the queue: the device must then hear of it now.
        let mut kick = self.bql.sent(dev, len, device::xmit_more());
        if let Some(slot) = self.inflight.get_mut(usize::from(id)) {
            // INVARIANT: `id` heads the chain just posted, for which `bql` counted `len`, and
            // which sends `wire`.
            slot.tally = Tally::new(wire.packets, wire.bytes, len);
        }
        if !self.has_room() && !self.reap(dev, counters, None) {
            self.stop(dev, counters);
            kick = true;
        }
        self.flush_if(dev, transport, counters, kick);
        TxOutcome::Consumed
    }

    /// If `now`, notifies the device of the packets queued, and arms what frees them
    /// ([`arm_completions`](Self::arm_completions)).
    fn flush_if(
        &mut self,
        dev: &NetDevice,
        transport: &Transport<'_>,
        counters: &Counters,
        now: bool,
    ) {
        if now {
            if self.vq.kick(transport) {
                counters.add(Counter::TxKicks, 1);
            }
            self.arm_completions(dev);
        }
    }

    /// Maps `skb` and posts it after the first `hdr_len` bytes of `hdr`, holding it until the
    /// device completes it. A packet that cannot be mapped is dropped, counted.
    fn xmit_mapped(
        &mut self,
        dev: &NetDevice,
        counters: &Counters,
        mut skb: SkBuff,
        hdr: &[u8; MAX_HDR_LEN],
        hdr_len: usize,
    ) -> Sent {
        skb.tx_timestamp();
        // With virtio 1.0 the header may share a descriptor with the packet (any layout,
        // virtio 1.2 §2.7.4); a legacy device gets it in a descriptor of its own.
        let push = self.any_layout.then(|| hdr.get(..hdr_len)).flatten();
        let packet = match MappedSkb::map(self.dev, skb, push) {
            Ok(packet) => packet,
            Err((skb, _)) => {
                counters.add(Counter::TxDropped, 1);
                drop(skb);
                return Sent::Dropped;
            }
        };
        let own_hdr = !packet.hdr_pushed();
        // With indirect descriptors a chain of several parts is a table: one descriptor of the
        // ring (as `virtqueue_add_split()` does; one part stays a plain descriptor).
        let parts = u16::try_from(packet.nr_segments() + usize::from(own_hdr)).unwrap_or(u16::MAX);
        let indirect = parts > 1 && self.vq.has_indirect();
        let descs = if indirect { 1 } else { parts };
        let Some(id) = self.vq.alloc_chain(descs) else {
            // The queue is stopped whenever the largest packet no longer fits, so this should
            // not happen; if it does, stop it the same way, with the interrupt that will
            // restart it armed.
            self.stop(dev, counters);
            return Sent::Busy(packet.unmap());
        };
        let hdr_in_own_buf = if own_hdr { hdr_len } else { 0 };
        let posted = self.post_parts(id, hdr, hdr_in_own_buf, packet.segments(), indirect);
        match (posted, self.inflight.get_mut(usize::from(id))) {
            (Ok(()), Some(slot)) => {
                // INVARIANT: `id` heads the posted chain that maps `packet`.
                slot.skb = Some(packet);
                self.nr_mapped = self.nr_mapped.saturating_add(1);
                Sent::Posted(id)
            }
            _ => {
                self.vq.free(id);
                counters.add(Counter::TxDropped, 1);
                drop(packet);
                Sent::Dropped
            }
        }
    }

    /// Posts the chain at `id`: the first `hdr_len` bytes of `hdr` in its head descriptor's own
    /// buffer (none for 0), then `segs`, memory mapped for the device elsewhere; as one
    /// indirect table if `indirect`.
    fn post_parts(
        &mut self,
        id: u16,
        hdr: &[u8; MAX_HDR_LEN],
        hdr_len: usize,
        segs: impl Iterator<Item = (u64, u32)>,
        indirect: bool,
    ) -> Result {
        if hdr_len > 0 {
            self.write_hdr(id, hdr, hdr_len)?;
        }
        if indirect {
            self.vq.post_indirect(id, hdr_len, segs)
        } else {
            self.vq.post_segments(id, hdr_len, segs)
        }
    }

    /// Writes the first `hdr_len` bytes of `hdr` into the buffer of descriptor `id`.
    fn write_hdr(&mut self, id: u16, hdr: &[u8; MAX_HDR_LEN], hdr_len: usize) -> Result {
        let hdr = hdr.get(..hdr_len).ok_or(EINVAL)?;
        let buf = self.vq.buf(id, hdr_len)?;
        io_project!(buf, [try: 0..hdr_len]).copy_from_slice(hdr);
        Ok(())
    }

    /// Copies `skb`, after the first `hdr_len` bytes of `hdr`, `total` bytes in all, into the
    /// buffers of a chain, posts it and releases the socket buffer.
    fn xmit_copy(
        &mut self,
        dev: &NetDevice,
        counters: &Counters,
        mut skb: SkBuff,
        hdr: &[u8; MAX_HDR_LEN],
        hdr_len: usize,
        total: usize,
    ) -> Sent {
        let descs = self.descs_for(total);
        if descs > self.stop_threshold {
            // Larger than the MTU allows: the stack never sends that.
            counters.add(Counter::TxDropped, 1);
            drop(skb);
            return Sent::Dropped;
        }
        let Some(id) = self.vq.alloc_chain(descs) else {
            // As in `xmit_mapped`.
            self.stop(dev, counters);
            return Sent::Busy(skb);
        };
        if self
            .fill(id, hdr, hdr_len, total, |at, dst| skb.copy_to(at, dst))
            .is_err()
        {
            self.vq.free(id);
            counters.add(Counter::TxDropped, 1);
            drop(skb);
            return Sent::Dropped;
        }
        // The copy is in the ring: as far as the socket is concerned, the packet is sent.
        skb.tx_timestamp();
        skb.consume();
        Sent::Posted(id)
    }

    /// Queues a copy of `xdp`, a frame its program sent back (`XDP_TX`, in `poll`) or one
    /// redirected here (`ndo_xdp_xmit`), after a header of `hdr_len` bytes, without notifying
    /// the device: the caller [`flush`](Self::flush)es once for all the frames of a poll or a
    /// call (`__virtnet_xdp_xmit_one()`). Returns `false`, queueing nothing, when the ring has
    /// no room. Stops the queue when the frame fills the ring, as a packet from the stack does.
    pub(crate) fn xdp_xmit(
        &mut self,
        dev: &NetDevice,
        counters: &Counters,
        poll: Option<&NapiPoll<'_>>,
        xdp: &impl XdpData,
        hdr_len: usize,
    ) -> bool {
        self.reap(dev, counters, poll);
        let len = xdp.len();
        let total = hdr_len + len;
        let descs = self.descs_for(total);
        if descs > self.stop_threshold {
            return false;
        }
        let Some(id) = self.vq.alloc_chain(descs) else {
            return false;
        };
        if self
            .fill(id, &ZERO_HDR, hdr_len, total, |at, dst| {
                xdp.copy_to(at, dst)
            })
            .is_err()
        {
            self.vq.free(id);
            return false;
        }
        if let Some(slot) = self.inflight.get_mut(usize::from(id)) {
            // INVARIANT: `id` heads the chain just posted, one frame, which the byte queue
            // limits do not count.
            // CAST: `usize` to `u64` is lossless on 64-bit machines.
            slot.tally = Tally::new(1, len as u64, 0);
        }
        if !self.has_room() && !dev.queue_stopped() && !self.reap(dev, counters, poll) {
            self.stop(dev, counters);
        }
        true
    }

    /// Sends up to `budget` frames from the transmit ring of the bound AF_XDP socket, if any,
    /// without copying them: each is a chain of the header (zeroes: no offload) in the head
    /// descriptor's buffer and the frame in the socket's memory (`virtnet_xsk_xmit()`). Only
    /// while the ring keeps room for the largest packet after it: the stack's traffic is never
    /// stopped by the socket's. A frame the device would have to refuse (shorter than an
    /// Ethernet header, longer than the MTU allows) is dropped, counted, and given back.
    /// Notifies the device once and returns whether the budget ran out: more may wait.
    pub(crate) fn xsk_xmit(
        &mut self,
        dev: &NetDevice,
        transport: &Transport<'_>,
        counters: &Counters,
        hdr_len: usize,
        budget: u32,
    ) -> bool {
        // Out of the queue while it posts, and back after.
        let Some(pool) = self.xsk.take() else {
            return false;
        };
        let descs = if self.vq.has_indirect() { 1 } else { 2 };
        let mut sent = 0;
        while sent < budget && self.vq.nr_free() >= self.stop_threshold.saturating_add(descs) {
            let Some((dma, len)) = pool.tx_peek() else {
                break;
            };
            sent += 1;
            let fits = usize::try_from(len)
                .is_ok_and(|len| (config::ETH_HLEN..=self.max_frame).contains(&len));
            if !fits || self.xsk_post(dma, len, descs, hdr_len).is_err() {
                counters.add(Counter::TxDropped, 1);
                pool.tx_completed(1);
                continue;
            }
        }
        if sent > 0 {
            pool.tx_release();
            self.flush_if(dev, transport, counters, true);
        }
        // The socket wakes the poll for what it queues next.
        pool.need_wakeup(false, true);
        self.xsk = Some(pool);
        sent == budget
    }

    /// Posts a frame of the bound socket's, `len` bytes at `dma`, after a header of zeroes, as
    /// a chain of `descs` descriptors (one: an indirect table).
    fn xsk_post(&mut self, dma: u64, len: u32, descs: u16, hdr_len: usize) -> Result {
        let id = self.vq.alloc_chain(descs).ok_or(ENOSPC)?;
        let frame = core::iter::once((dma, len));
        let posted = self.post_parts(id, &ZERO_HDR, hdr_len, frame, descs == 1);
        match (posted, self.inflight.get_mut(usize::from(id))) {
            (Ok(()), Some(slot)) => {
                // INVARIANT: `id` heads the posted chain that sends a frame of the pool's, one
                // frame of `len` bytes.
                slot.tally = Tally {
                    xsk: true,
                    ..Tally::new(1, u64::from(len), 0)
                };
                self.nr_xsk = self.nr_xsk.saturating_add(1);
                Ok(())
            }
            _ => {
                self.vq.free(id);
                Err(EINVAL)
            }
        }
    }

    /// Notifies the device of the frames [`xdp_xmit`](Self::xdp_xmit) queued (and arms the
    /// completion interrupt if anything waits for one).
    pub(crate) fn flush(
        &mut self,
        dev: &NetDevice,
        transport: &Transport<'_>,
        counters: &Counters,
    ) {
        self.flush_if(dev, transport, counters, true);
    }

    /// Writes the first `hdr_len` bytes of `hdr` and the packet after them, `total` bytes in
    /// all, into the buffers of the chain at `head`, and posts it. `copy(at, dst)` fills `dst`
    /// with the packet's bytes from offset `at` on.
    fn fill(
        &mut self,
        head: u16,
        hdr: &[u8; MAX_HDR_LEN],
        hdr_len: usize,
        total: usize,
        mut copy: impl FnMut(usize, CoherentView<'_, [u8]>) -> Result,
    ) -> Result {
        let size = self.vq.buf_size();
        let hdr = hdr.get(..hdr_len).ok_or(EINVAL)?;
        let first = self.vq.buf(head, hdr_len)?;
        io_project!(first, [try: 0..hdr_len]).copy_from_slice(hdr);
        // Bytes of the chain written so far, and where the current buffer's part starts.
        let (mut done, mut start) = (hdr_len, hdr_len);
        let mut id = Some(head);
        while let Some(this) = id {
            let end = size.min(start + (total - done));
            if end > start {
                let buf = self.vq.buf(this, end)?;
                copy(done - hdr_len, io_project!(buf, [try: start..end]))?;
                done += end - start;
            }
            start = 0;
            id = self.vq.chain_next(this);
        }
        if done != total {
            return Err(EINVAL);
        }
        // A test's fault point: a chain of zero-length buffers, which the device must refuse.
        let len = if fault::bad_descriptor() { 0 } else { total };
        self.vq.post(head, len)
    }
}
