// SPDX-License-Identifier: GPL-2.0

//! The receive queue: `try_fill_recv()`, `virtnet_receive()` and `receive_buf()` of
//! `drivers/net/virtio_net.c`, for small buffers and, with `VIRTIO_NET_F_MRG_RXBUF`, packets
//! spread over several of them (`receive_mergeable()`): the header's `num_buffers` says how
//! many used entries the packet takes.
//!
//! Zero copy, with a copybreak: each descriptor holds a buffer from the queue's page pool
//! (2 KiB, or a page when the device merges segments, so that 64 KiB fit in `MAX_SKB_FRAGS`
//! fragments). A packet of up to [`COPYBREAK`] bytes is copied into a socket buffer from the
//! NAPI cache and its buffers go straight back to the device. A larger one in one buffer that
//! leaves the room a socket buffer's shared information takes at its end (a 1,514-byte frame
//! in 2 KiB) gets a socket buffer built around that buffer (`napi_build_skb()`, as
//! `virtnet_build_skb()`): one linear packet, nothing copied. Any other gets its first
//! [`HDR_COPY`] bytes copied (the headers the stack reads) and the rest of its buffers
//! attached as fragments. The stack returns those buffers to the pool; a fresh buffer from the
//! pool takes each one's place in the ring first. A failed allocation drops the packet, counted,
//! and leaves the old buffers posted: a descriptor the device holds is never emptied. A device
//! that lies about a length can make the stack see only bytes of the buffers it owned.
//!
//! A device reset keeps the buffers: each descriptor the ring still has is posted again with
//! its own, so that resizing the ring or binding an AF_XDP pool needs no memory for those. A
//! descriptor the pool has no buffer for (a larger ring) stays empty, counted in
//! `rx_alloc_fails`, and every poll tries again; without packets a poll comes one to two ticks
//! later.
//!
//! The header says what the device did for the packet (`GUEST_CSUM`, `GUEST_TSO4/6`,
//! `GUEST_USO4/6`): it is checked against what was negotiated (`net_hdr`) before anything in it is
//! used, and the kernel's `virtio_net_hdr_to_skb()` then checks it against the packet; a refused
//! header drops the packet, counted. Merged segments (up to 64 KiB) arrive as mergeable buffers.
//!
//! With an XDP program attached, the packet is copied instead into the queue's XDP buffer
//! (`kernel_ext::net::xdp::XdpBuf`): a page with the head- and tailroom XDP expects (as
//! `xdp_linearize_page()` does for merged packets) and, for a frame larger than that and a
//! program that takes fragments (`xdp.frags`), pages for the rest. The program runs on that:
//! `XDP_PASS` copies the frame it leaves into a socket buffer, `XDP_TX` into the transmit
//! ring, `XDP_DROP` and `XDP_ABORTED` drop it. `XDP_REDIRECT` hands the frame, with the
//! buffer's pages, to the kernel (`xdp_do_redirect()`): to another device's `ndo_xdp_xmit`
//! (rvnet's copies it into its transmit ring), a CPU map or an AF_XDP socket; the poll flushes
//! once at its end.

use kernel::{
    prelude::*,
    sync::rcu, //
};

use crate::{
    features::{
        self,
        Features, //
    },
    kernel_ext::net::{
        device::NetDevice,
        napi::NapiPoll,
        page_pool::{
            NapiAttach,
            PagePool,
            PoolBuf, //
        },
        skb::{
            RxSkBuff,
            MAX_SKB_FRAGS,
            SHINFO_ROOM,
            VNET_HDR_LEN, //
        },
        tx_lock::TxLocked,
        xdp::{
            self,
            XdpAction,
            XdpBuf,
            XdpData,
            XdpProg, //
        },
        xsk::{
            XskBinding,
            XskBuf,
            XskRun, //
        },
    },
    span,
    transport::Transport,
    virtqueue::{
        ring::{BadDevice, Used},
        Virtqueue,
    },
};

/// `XDP_PACKET_HEADROOM`: the headroom before a frame in an AF_XDP pool's buffer.
const XDP_PACKET_HEADROOM: usize = kernel::bindings::XDP_PACKET_HEADROOM as usize;

// A page-sized receive buffer is a page.
const _: () = assert!(BIG_RX_BUF_SIZE <= kernel::page::PAGE_SIZE);

/// Packets up to this size are copied whole into a socket buffer; their buffers stay in the
/// ring.
pub(crate) const COPYBREAK: usize = 256;

/// How much of a larger packet is copied into the socket buffer's linear part: its headers
/// (`GOOD_COPY_LEN` in `drivers/net/virtio_net.c`).
pub(crate) const HDR_COPY: usize = 128;

use super::{
    config::{
        BIG_RX_BUF_SIZE,
        ETH_HLEN,
        MAX_BUFS_PER_PACKET, //
    },
    net_hdr::{
        self,
        HdrError,
        RxCsum,
        RxHdr,
        RxOffloads, //
    },
    stats::Counter,
    tx::TxQueue,
    Counters,
    QueueWriter, //
};

// The header fields are what the kernel's `struct virtio_net_hdr` holds.
const _: () = assert!(VNET_HDR_LEN == net_hdr::HDR_FIELDS_LEN);

/// Offset of `num_buffers` in `struct virtio_net_hdr_mrg_rxbuf`.
const NUM_BUFFERS_OFFSET: usize = 10;

/// Where the packets of a poll go, and what they need on the way.
pub(crate) struct Sink<'a, 'd> {
    /// The receiving device.
    pub(crate) dev: &'a NetDevice,
    /// The poll that runs, for socket buffers and GRO.
    pub(crate) poll: &'a NapiPoll<'a>,
    /// Its counters.
    pub(crate) counters: &'a Counters,
    /// Its transmit queue, for `XDP_TX`; locked after the receive queue, never before.
    pub(crate) tx: &'a TxLocked<TxQueue<'d>>,
    /// Size of the `virtio_net_hdr` in front of each packet.
    pub(crate) hdr_len: usize,
}

impl Sink<'_, '_> {
    /// Hands a packet, which `fill` puts into a socket buffer from the NAPI cache with
    /// `linear` bytes of room, to the stack. Returns whether it went; if not, it is counted:
    /// dropped for want of memory (no socket buffer, or `fill` failing with `ENOMEM`), or an
    /// error if `fill` fails otherwise.
    fn deliver(&self, linear: usize, fill: impl FnOnce(&mut RxSkBuff) -> Result) -> bool {
        let skb = u32::try_from(linear)
            .ok()
            .and_then(|l| self.poll.alloc_skb(l));
        self.deliver_skb(skb, fill)
    }

    /// As [`deliver`](Self::deliver), for a socket buffer made already (`None`: none could
    /// be).
    fn deliver_skb(
        &self,
        skb: Option<RxSkBuff>,
        fill: impl FnOnce(&mut RxSkBuff) -> Result,
    ) -> bool {
        let Some(mut skb) = skb else {
            self.counters.add(Counter::RxAllocFails, 1);
            self.counters.add(Counter::RxDropped, 1);
            return false;
        };
        match fill(&mut skb) {
            Ok(()) => {}
            Err(e) if e == ENOMEM => {
                self.counters.add(Counter::RxDropped, 1);
                return false;
            }
            Err(_) => {
                self.counters.add(Counter::RxErrors, 1);
                return false;
            }
        }
        self.poll.receive(skb);
        true
    }

    /// Carries out `XDP_TX` for `frame` (`None`: no copy of it could be made): queued in the
    /// transmit ring, counted; or, where `__virtnet_xdp_xmit_one()` fails in the C driver, an
    /// exception and a drop.
    fn xdp_tx(&self, prog: &XdpProg, frame: Option<&impl XdpData>) -> XdpSent {
        let sent = frame.is_some_and(|frame| {
            self.tx.lock(self.dev, self.poll).is_some_and(|mut tx| {
                tx.xdp_xmit(
                    self.dev,
                    self.counters,
                    Some(self.poll),
                    frame,
                    self.hdr_len,
                )
            })
        });
        if sent {
            self.counters.add(Counter::XdpTx, 1);
            XdpSent::Tx
        } else {
            self.xdp_drop(prog, XdpAction::Tx)
        }
    }

    /// Ends a poll whose programs `redirected` frames or sent them back (`xdp_tx`).
    fn xdp_done(&self, transport: &Transport<'_>, redirected: bool, xdp_tx: bool) {
        if redirected {
            // Frames redirected in this poll leave now, as `virtnet_poll()` flushes for
            // `VIRTIO_XDP_REDIR` (to an rvnet device: its `ndo_xdp_xmit`, this one's included).
            xdp::flush_redirects(self.poll);
        }
        if xdp_tx {
            // One notification for the frames of the whole poll, as `virtnet_poll()` kicks
            // once for `VIRTIO_XDP_TX`.
            if let Some(mut tx) = self.tx.lock(self.dev, self.poll) {
                tx.flush(self.dev, transport, self.counters);
            }
        }
    }

    /// Drops a frame for verdict `act`, counted: an exception (traced, an invalid verdict
    /// warned about once) unless the program asked for the drop.
    fn xdp_drop(&self, prog: &XdpProg, act: XdpAction) -> XdpSent {
        if act != XdpAction::Drop {
            prog.exception(self.dev, act);
        }
        self.counters.add(Counter::XdpDrops, 1);
        XdpSent::Nothing
    }
}

/// The receive virtqueue.
///
/// Field order is teardown order: the buffers go back to the pool before it is destroyed (the
/// device was reset before, by the transport dropped ahead of this queue).
pub(crate) struct RxQueue {
    vq: Virtqueue,
    /// The buffer posted in each descriptor, by id; `None` only before [`fill`](Self::fill),
    /// for one in [`empty`](Self::empty), past the ring's size, and with an AF_XDP pool bound.
    bufs: KVec<Option<PoolBuf>>,
    /// The descriptors left without a buffer when the pool had none: [`refill`](Self::refill)
    /// posts them.
    empty: KVec<u16>,
    /// The bound AF_XDP pool, whose buffers the descriptors hold instead.
    xsk: Option<XskRx>,
    /// Where the buffers come from.
    pool: PagePool,
    /// The queue's packets and bytes, which only it counts.
    counts: QueueWriter,
    /// Size of each buffer.
    buf_len: u32,
    /// Whether `VIRTIO_NET_F_MRG_RXBUF` was negotiated.
    mergeable: bool,
    /// What the device may do for a packet, by the features negotiated.
    offloads: RxOffloads,
    /// Whether the header's fields are little-endian.
    little_endian: bool,
    /// The largest frame the interface accepts (MTU and Ethernet header); a longer packet is
    /// a device error, unless it is merged segments.
    max_frame: usize,
    /// Where XDP programs run: a packet is copied here.
    xdp: XdpBuf,
}

impl RxQueue {
    /// Wraps the receive virtqueue, whose buffers of `vq.buf_size()` bytes come from `pool`,
    /// for frames of up to `max_frame` bytes, spread over several buffers with mergeable
    /// buffers, and the offloads `negotiated`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the buffer table or the XDP buffer cannot be allocated.
    pub(crate) fn new(
        vq: Virtqueue,
        pool: PagePool,
        counts: QueueWriter,
        negotiated: Features,
        max_frame: usize,
    ) -> Result<Self> {
        let buf_len = u32::try_from(vq.buf_size()).map_err(|_| EINVAL)?;
        let capacity = usize::from(vq.capacity());
        let mut bufs = KVec::with_capacity(capacity, GFP_KERNEL)?;
        for _ in 0..capacity {
            bufs.push(None, GFP_KERNEL)?;
        }
        Ok(Self {
            vq,
            bufs,
            empty: KVec::with_capacity(capacity, GFP_KERNEL)?,
            xsk: None,
            pool,
            counts,
            buf_len,
            mergeable: negotiated.has(features::MRG_RXBUF),
            offloads: RxOffloads::negotiated(negotiated),
            little_endian: net_hdr::little_endian(negotiated),
            max_frame,
            xdp: XdpBuf::new()?,
        })
    }

    /// Counts a received packet of `len` bytes (`rx_packets`, `rx_bytes`).
    fn count_rx(&mut self, len: usize) {
        // CAST: `usize` to `u64` is lossless on 64-bit machines.
        self.counts.count(len as u64);
    }

    /// The means to attach a NAPI context to the queue's page pool, which is dropped with the
    /// queue.
    pub(crate) fn napi_attach(&self) -> NapiAttach {
        self.pool.napi_attach()
    }

    /// Posts a buffer in every descriptor of the ring (`try_fill_recv()`): the one it holds,
    /// else a fresh one from the pool. Returns whether every descriptor has one: those the pool
    /// had none for are left empty, for [`refill`](Self::refill). The device learns of the
    /// buffers at the next kick.
    ///
    /// # Errors
    ///
    /// `EINVAL` if a buffer was posted already.
    pub(crate) fn fill(&mut self) -> Result<bool> {
        self.empty.clear();
        if let Some(xsk) = &mut self.xsk {
            xsk.fill(&mut self.vq);
            return Ok(true);
        }
        for id in (0..self.vq.num()).rev() {
            match self.bufs.get(usize::from(id)).ok_or(EINVAL)? {
                Some(buf) => self.vq.post_at(id, buf.dma_address(), buf.len())?,
                // Room for every descriptor was reserved (`new`).
                None => self.empty.push(id, GFP_KERNEL)?,
            }
        }
        Ok(self.refill().1)
    }

    /// Posts a fresh buffer from the pool in each empty descriptor, while the pool has them.
    /// Returns whether it posted any, and whether none is left empty.
    fn refill(&mut self) -> (bool, bool) {
        let mut posted = false;
        while let Some(&id) = self.empty.last() {
            let Some(buf) = self.pool.alloc(self.buf_len) else {
                return (posted, false);
            };
            self.empty.pop();
            let Some(slot) = self.bufs.get_mut(usize::from(id)) else {
                continue;
            };
            // Only an id posted already fails, which then has its buffer.
            if self.vq.post_at(id, buf.dma_address(), buf.len()).is_ok() {
                *slot = Some(buf);
                posted = true;
            }
        }
        (posted, true)
    }

    /// Gives the queue again to a device that was reset, with `num` entries, for the device to
    /// hear of at the next [`kick`](Self::kick), after `DRIVER_OK`: each of the `num`
    /// descriptors is posted again with the buffer it held, or a fresh one; the buffers of the
    /// others (all, with an AF_XDP pool bound) go back to the pool. A buffer the pool does not
    /// give is counted in `rx_alloc_fails`, its descriptor left for a poll to fill. The
    /// packets the device had delivered that no poll took (headers of `hdr_len` bytes) are
    /// lost: they are counted in `rx_dropped`.
    ///
    /// # Errors
    ///
    /// The errors of [`Virtqueue::restart`].
    pub(crate) fn restart(
        &mut self,
        transport: &Transport<'_>,
        num: u16,
        counters: &Counters,
        hdr_len: usize,
    ) -> Result {
        counters.add(Counter::RxDropped, self.undelivered(hdr_len));
        // The device was reset: it writes into none of the buffers any more.
        let keep = if self.xsk.is_some() { 0 } else { num };
        for slot in self.bufs.iter_mut().skip(usize::from(keep)) {
            *slot = None;
        }
        if let Some(xsk) = &mut self.xsk {
            xsk.clear();
        }
        self.vq.restart(transport, num)?;
        if !self.fill()? {
            counters.add(Counter::RxAllocFails, 1);
        }
        Ok(())
    }

    /// How many packets the used ring holds that no poll took, after a reset: one per entry,
    /// or, with mergeable buffers, per packet (its header's `num_buffers`). A bad entry ends
    /// the count; nothing else is counted for it, the device being reset anyway.
    fn undelivered(&mut self, hdr_len: usize) -> u64 {
        let Ok(mut pending) = self.vq.used_pending() else {
            return 0;
        };
        let mut lost = 0;
        while pending > 0 {
            let Ok(Used { id, len }) = self.vq.pop_used() else {
                break;
            };
            pending -= 1;
            lost += 1;
            if self.mergeable && self.xsk.is_none() {
                self.sync(id, len);
                let num = self.num_buffers(id, hdr_len).unwrap_or(1).max(1);
                for _ in 1..num.min(pending + 1) {
                    if self.vq.pop_used().is_err() {
                        return lost;
                    }
                    pending -= 1;
                }
            }
        }
        lost
    }

    /// Takes the buffers of the AF_XDP pool in `xsk` (none, for `None`) from the next
    /// [`restart`](Self::restart) on, and gives `xsk` the old pool's side, its buffers back in
    /// that pool: the caller drops it once nothing else uses the pool. Only after a reset:
    /// the device holds none of the buffers.
    pub(crate) fn swap_xsk(&mut self, xsk: &mut Option<XskRx>) {
        if let Some(old) = &mut self.xsk {
            old.clear();
        }
        core::mem::swap(&mut self.xsk, xsk);
    }

    /// The AF_XDP pool bound, if any.
    pub(crate) fn xsk(&self) -> Option<&XskRx> {
        self.xsk.as_ref()
    }

    /// The entries in use, and the most the queue's memory holds.
    pub(crate) fn sizes(&self) -> (u16, u16) {
        (self.vq.num(), self.vq.capacity())
    }

    /// Posts descriptor `id` again with the buffer it holds.
    fn repost(&mut self, id: u16) -> Result {
        let buf = self
            .bufs
            .get(usize::from(id))
            .and_then(Option::as_ref)
            .ok_or(EINVAL)?;
        self.vq.post_at(id, buf.dma_address(), buf.len())
    }

    /// Notifies the device of posted buffers, if it wants to know.
    pub(crate) fn kick(&mut self, transport: &Transport<'_>) {
        self.vq.kick(transport);
    }

    /// Receives up to `budget` packets into the stack (`virtnet_receive()`), reposting each
    /// buffer, and returns how many packets it took.
    pub(crate) fn receive(
        &mut self,
        sink: &Sink<'_, '_>,
        transport: &Transport<'_>,
        budget: u32,
    ) -> u32 {
        if self.xsk.is_some() {
            return self.receive_xsk(sink, transport, budget);
        }
        let (counters, hdr_len) = (sink.counters, sink.hdr_len);
        self.vq.disable_cb();
        let Some(mut pending) = self.used_pending(counters) else {
            return 0;
        };
        let mut done = 0;
        let mut consumed = false;
        let (mut xdp_tx, mut redirected) = (false, false);
        // The program is looked up once per poll, under one RCU read lock: one replaced
        // meanwhile takes over at the next poll.
        let guard = rcu::read_lock();
        let prog = sink.dev.xdp_prog(&guard);
        // One table for the buffers of every packet of the poll, emptied for each.
        let mut bufs = Bufs::new();
        while done < budget {
            if pending == 0 {
                // As `virtqueue_get_buf()`: what arrived during the poll is taken in it too, so
                // that a busy queue stays in polling mode instead of interrupting per batch.
                pending = match self.used_pending(counters) {
                    Some(0) | None => break,
                    Some(pending) => pending,
                };
            }
            bufs.clear();
            let taken = self.take_packet(counters, pending, hdr_len, &mut bufs);
            pending = pending.saturating_sub(taken);
            consumed = true;
            if let Some(bufs) = bufs.good() {
                match self.receive_buf(sink, prog, bufs) {
                    XdpSent::Tx => xdp_tx = true,
                    XdpSent::Redirected => redirected = true,
                    XdpSent::Nothing => {}
                }
            }
            for &(id, _) in bufs.all() {
                if self.repost(id).is_err() {
                    counters.add(Counter::BadDeviceEntries, 1);
                }
            }
            done += 1;
        }
        drop(guard);
        if !self.empty.is_empty() {
            let (posted, full) = self.refill();
            consumed |= posted;
            if !full {
                counters.add(Counter::RxAllocFails, 1);
                // Nobody says when memory is back: a poll in a tick or two tries again (the
                // transmit lock serialises these requests).
                if let Some(_tx) = sink.tx.lock(sink.dev, sink.poll) {
                    sink.poll.napi().poll_later();
                }
            }
        }
        if consumed && self.vq.kick(transport) {
            counters.add(Counter::RxKicks, 1);
        }
        sink.xdp_done(transport, redirected, xdp_tx);
        done
    }

    /// How many used entries the device added that the driver has not taken; `None`, counted,
    /// for a used index that cannot be.
    fn used_pending(&self, counters: &Counters) -> Option<u16> {
        let pending = self.vq.used_pending().ok();
        if pending.is_none() {
            counters.add(Counter::BadDeviceEntries, 1);
            counters.add(Counter::RxErrors, 1);
        }
        pending
    }

    /// Consumes the used entries of one packet, at most `pending` of them, into `bufs`, and
    /// returns how many it consumed. A bad entry is counted and makes the packet bad; its
    /// buffers still go back to the device.
    fn take_packet(
        &mut self,
        counters: &Counters,
        pending: u16,
        hdr_len: usize,
        bufs: &mut Bufs,
    ) -> u16 {
        let bad = |bufs: &mut Bufs| {
            counters.add(Counter::BadDeviceEntries, 1);
            counters.add(Counter::RxErrors, 1);
            bufs.bad = true;
        };
        let first = match self.vq.pop_used() {
            Ok(Used { id, len }) => {
                self.sync(id, len);
                bufs.push(id, len);
                id
            }
            Err(BadDevice::LengthTooLong { id, .. }) => {
                bufs.push(id, 0);
                bad(bufs);
                return 1;
            }
            Err(_) => {
                bad(bufs);
                return 1;
            }
        };
        if !self.mergeable {
            return 1;
        }
        // `num_buffers` of the header: how many entries, this one included, the packet takes.
        let num = self.num_buffers(first, hdr_len).unwrap_or(0);
        if num == 0 || usize::from(num) > MAX_BUFS_PER_PACKET || num > pending {
            // "rx error: %d buffers out of %d missing" and worse; the entries that follow are
            // taken as packets of their own, as in the C driver, and fail their own checks.
            bad(bufs);
            return 1;
        }
        for _ in 1..num {
            match self.vq.pop_used() {
                Ok(Used { id, len }) => {
                    self.sync(id, len);
                    bufs.push(id, len);
                }
                Err(BadDevice::LengthTooLong { id, .. }) => {
                    bufs.push(id, 0);
                    bad(bufs);
                }
                Err(_) => bad(bufs),
            }
        }
        num
    }

    /// Makes the `len` bytes the device wrote into buffer `id` visible to the CPU.
    fn sync(&self, id: u16, len: u32) {
        if let Some(buf) = self.bufs.get(usize::from(id)).and_then(Option::as_ref) {
            buf.sync_for_cpu(len);
        }
    }

    /// The buffer of descriptor `id`.
    fn buf(&self, id: u16) -> Result<&PoolBuf> {
        buf_of(&self.bufs, id)
    }

    /// The `num_buffers` field of the header in buffer `id`.
    fn num_buffers(&self, id: u16, hdr_len: usize) -> Result<u16> {
        if hdr_len < NUM_BUFFERS_OFFSET + 2 {
            return Err(EINVAL);
        }
        let mut num = [0; 2];
        self.buf(id)?.read(NUM_BUFFERS_OFFSET, &mut num)?;
        // The header is little-endian with VERSION_1, and in the driver's (little-endian)
        // order on a legacy device.
        Ok(u16::from_le_bytes(num))
    }

    /// Passes the packet in `bufs` (`(id, len)` of each buffer, the header at the start of the
    /// first) to the stack (`receive_buf()`), or to the XDP program `prog`. Returns whether the
    /// program sent it out again (`XDP_TX`: the transmit queue then needs a kick) or elsewhere
    /// (`XDP_REDIRECT`: the poll flushes redirects).
    fn receive_buf(
        &mut self,
        sink: &Sink<'_, '_>,
        prog: Option<&XdpProg>,
        bufs: &[(u16, u32)],
    ) -> XdpSent {
        let (counters, hdr_len) = (sink.counters, sink.hdr_len);
        let len: usize = bufs
            .iter()
            .map(|&(_, len)| usize::try_from(len).unwrap_or(usize::MAX))
            .fold(0, usize::saturating_add);
        let (first, first_len) = bufs.first().copied().unwrap_or((0, 0));
        if usize::try_from(first_len).map_or(true, |l| l < hdr_len + ETH_HLEN) {
            // "rx error: len less than header" in the C driver.
            counters.add(Counter::RxErrors, 1);
            return XdpSent::Nothing;
        }
        let pkt_len = len - hdr_len;
        let Ok(fields) = self.hdr_fields(first) else {
            counters.add(Counter::RxErrors, 1);
            return XdpSent::Nothing;
        };
        let Some((fields, hdr, csum)) = self.check_hdr(counters, fields, pkt_len) else {
            return XdpSent::Nothing;
        };
        if let Some(prog) = prog {
            if !hdr.fits_xdp(csum) {
                // From before the program was attached: merged, or with a partial checksum
                // the stack would find wrong after an `XDP_PASS`.
                counters.add(Counter::RxDropped, 1);
                return XdpSent::Nothing;
            }
            return self.receive_xdp(sink, prog, bufs, pkt_len);
        }
        // Without receive offloads the header says nothing the stack needs.
        let offloaded = self.offloads.any() && (hdr != RxHdr::default() || csum == RxCsum::Valid);
        let little_endian = self.little_endian;
        // Counted as the frames it was on the wire, as the netdev `qstats` count.
        let mut wire = None;
        let mut finish = |skb: &mut RxSkBuff| -> Result {
            if offloaded {
                skb.set_vnet_hdr(&fields, csum == RxCsum::Valid, little_endian)
                    .inspect_err(|_| counters.add(Counter::RxBadHeaders, 1))?;
                if hdr.gso_type != net_hdr::GSO_NONE {
                    counters.add(Counter::RxGso, 1);
                    wire = Some(skb.wire());
                }
            }
            Ok(())
        };
        let in_place = pkt_len > COPYBREAK && bufs.len() == 1 && fits_in_place(len, self.buf_len);
        let delivered = if in_place {
            self.deliver_in_place(sink, first, pkt_len, finish)
        } else {
            // More buffers than a socket buffer has fragments (jumbo frames in 2 KiB buffers):
            // copied.
            let zero_copy = pkt_len > COPYBREAK && bufs.len() <= MAX_SKB_FRAGS;
            let linear = if zero_copy { HDR_COPY } else { pkt_len };
            sink.deliver(linear, |skb| {
                if zero_copy {
                    self.fill_frags(skb, bufs, hdr_len, counters)?;
                } else {
                    for_each_part(&self.bufs, bufs, hdr_len, |_, buf, start, len| {
                        skb.put_from_buf(buf, start, len)
                    })?;
                }
                finish(skb)
            })
        };
        if delivered {
            match wire {
                Some(wire) => self.counts.count_frames(wire.packets, wire.bytes),
                None => self.count_rx(pkt_len),
            }
        }
        XdpSent::Nothing
    }

    /// The header `fields` of a packet of `pkt_len` bytes, its flags reduced to those rvnet
    /// knows, parsed and checked against what was negotiated (`net_hdr`). `None` for a header
    /// the device had no right to write, or a frame longer than the MTU allows, counted.
    fn check_hdr(
        &self,
        counters: &Counters,
        fields: [u8; VNET_HDR_LEN],
        pkt_len: usize,
    ) -> Option<([u8; VNET_HDR_LEN], RxHdr, RxCsum)> {
        // Flags rvnet does not know are ignored, in what it reads and what the stack gets.
        let fields = net_hdr::known_flags_only(fields);
        let hdr = RxHdr::parse(&fields, self.little_endian);
        match hdr.check(self.offloads, pkt_len, self.max_frame) {
            Ok(csum) => Some((fields, hdr, csum)),
            Err(err) => {
                // A frame the MTU forbids is a length error, as before offloads; anything
                // else is a header the device had no right to write.
                if err != HdrError::TooLong {
                    counters.add(Counter::RxBadHeaders, 1);
                }
                counters.add(Counter::RxErrors, 1);
                None
            }
        }
    }

    /// Hands the packet of `pkt_len` bytes in buffer `id` to the stack in a socket buffer
    /// built around the buffer (which leaves it the room at its end), as `virtio_net` builds
    /// one around a mergeable buffer: no copy, one linear packet. A fresh buffer from the pool
    /// takes its place in the ring; without one the packet is dropped, counted, and the buffer
    /// stays. `finish` completes the socket buffer, as for [`Sink::deliver`].
    fn deliver_in_place(
        &mut self,
        sink: &Sink<'_, '_>,
        id: u16,
        pkt_len: usize,
        finish: impl FnOnce(&mut RxSkBuff) -> Result,
    ) -> bool {
        let Some(buf) = self.take_buf(id) else {
            sink.counters.add(Counter::RxAllocFails, 1);
            sink.counters.add(Counter::RxDropped, 1);
            return false;
        };
        let skb = match (u32::try_from(sink.hdr_len), u32::try_from(pkt_len)) {
            (Ok(at), Ok(len)) => sink.poll.build_skb(buf, at, len).ok(),
            _ => None,
        };
        sink.deliver_skb(skb, finish)
    }

    /// Takes the buffer of descriptor `id` for a socket buffer built around it; a fresh one from
    /// the pool takes its place. `None` when the pool has none: the buffer stays.
    fn take_buf(&mut self, id: u16) -> Option<PoolBuf> {
        let fresh = self.pool.alloc(self.buf_len)?;
        self.bufs.get_mut(usize::from(id))?.replace(fresh)
    }

    /// Fills `skb` with the packet in `bufs` (after a `hdr_len`-byte header) without copying
    /// it: the first [`HDR_COPY`] bytes into the linear part, every buffer holding bytes after
    /// them as a fragment, a fresh buffer from the pool taking its place in the ring.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the pool has no buffer to take a fragment's place (counted in
    /// `rx_alloc_fails`; the buffers not yet attached stay posted), `EMSGSIZE` for more
    /// fragments than a socket buffer holds.
    fn fill_frags(
        &mut self,
        skb: &mut RxSkBuff,
        bufs: &[(u16, u32)],
        hdr_len: usize,
        counters: &Counters,
    ) -> Result {
        // The headers, wherever they lie.
        let mut head = [0; HDR_COPY];
        copy_range(&self.bufs, bufs, hdr_len, 0, &mut head)?;
        skb.put_slice(&head)?;
        let (mut start, mut at) = (hdr_len, 0);
        for &(id, len) in bufs {
            let len = usize::try_from(len).map_err(|_| EINVAL)?;
            let part = len.checked_sub(start).ok_or(EINVAL)?;
            // Bytes of this part after the copied headers.
            let skip = HDR_COPY.saturating_sub(at).min(part);
            if skip < part {
                let Some(fresh) = self.pool.alloc(self.buf_len) else {
                    counters.add(Counter::RxAllocFails, 1);
                    return Err(ENOMEM);
                };
                let slot = self.bufs.get_mut(usize::from(id)).ok_or(EINVAL)?;
                let old = slot.replace(fresh).ok_or(EINVAL)?;
                let (off, frag) = (start + skip, part - skip);
                let (off, frag) = (u32::try_from(off)?, u32::try_from(frag)?);
                // A buffer that does not fit goes back to the pool, and the packet with it.
                skb.add_frag(old, off, frag).map_err(|_| EMSGSIZE)?;
            }
            at += part;
            start = 0;
        }
        Ok(())
    }

    /// The header fields (before `num_buffers`) in buffer `id`.
    fn hdr_fields(&self, id: u16) -> Result<[u8; VNET_HDR_LEN]> {
        let mut fields = [0; VNET_HDR_LEN];
        self.buf(id)?.read(0, &mut fields)?;
        Ok(fields)
    }

    /// Runs `prog` on the `pkt_len`-byte packet in `bufs` (`receive_small_xdp()`,
    /// `receive_mergeable_xdp()`) and carries out its verdict. Returns whether the frame was
    /// queued for transmission here or redirected.
    fn receive_xdp(
        &mut self,
        sink: &Sink<'_, '_>,
        prog: &XdpProg,
        bufs: &[(u16, u32)],
        pkt_len: usize,
    ) -> XdpSent {
        let counters = sink.counters;
        // XDP is the stack's first layer (the netdev `qstats` rules, which `drivers/net/xdp.py`
        // checks): whatever the program decides, the packet was received. One that it
        // passes and that then finds no socket buffer counts as received and dropped.
        self.count_rx(pkt_len);
        counters.add(Counter::XdpPackets, 1);
        let pkt_bufs = &self.bufs;
        let loaded = self.xdp.load(pkt_len, prog.has_frags(), |at, dst| {
            copy_range(pkt_bufs, bufs, sink.hdr_len, at, dst)
        });
        if loaded.is_err() {
            // Longer than the program takes (no fragments) and so than the MTU (`xdp_setup`):
            // a peer with a larger one sent it, and the C driver drops it too; or no page for
            // the fragments.
            counters.add(Counter::RxDropped, 1);
            return XdpSent::Nothing;
        }
        let Some(act) = self.xdp.run(prog, sink.dev, sink.poll) else {
            counters.add(Counter::XdpDrops, 1);
            return XdpSent::Nothing;
        };
        let xdp = &self.xdp;
        match act {
            XdpAction::Pass => {
                let len = xdp.len();
                if len < ETH_HLEN {
                    // The helpers keep a whole Ethernet header; `eth_type_trans()` needs one.
                    counters.add(Counter::XdpDrops, 1);
                    return XdpSent::Nothing;
                }
                sink.deliver(len, |skb| xdp.for_each_chunk(|chunk| skb.put_slice(chunk)));
                XdpSent::Nothing
            }
            XdpAction::Tx => sink.xdp_tx(prog, Some(xdp)),
            XdpAction::Redirect => {
                // The frame left with its pages (`XdpBuf::run`); the poll flushes.
                counters.add(Counter::XdpRedirects, 1);
                XdpSent::Redirected
            }
            XdpAction::Drop | XdpAction::Aborted | XdpAction::Invalid(_) => {
                sink.xdp_drop(prog, act)
            }
        }
    }

    /// [`receive`](Self::receive) with an AF_XDP pool bound (`virtnet_receive_xsk_bufs()`):
    /// each packet is in one of the pool's buffers, the header in its headroom. The program
    /// runs on that buffer: redirected to the socket, the frame goes without a copy; passed,
    /// it is copied into a socket buffer; sent back (`XDP_TX`), copied into a frame of the
    /// kernel's, then into the transmit ring. Without a program every packet is passed. The
    /// descriptors get fresh buffers from the socket's fill ring at the end of the poll; one
    /// the ring has none for stays empty until a later poll.
    fn receive_xsk(&mut self, sink: &Sink<'_, '_>, transport: &Transport<'_>, budget: u32) -> u32 {
        let counters = sink.counters;
        self.vq.disable_cb();
        let (mut done, mut xdp_tx, mut redirected) = (0, false, false);
        let guard = rcu::read_lock();
        let prog = sink.dev.xdp_prog(&guard);
        while done < budget {
            let pending = match self.used_pending(counters) {
                Some(0) | None => break,
                Some(pending) => pending,
            };
            for _ in 0..pending {
                if done == budget {
                    break;
                }
                done += 1;
                let Some((buf, len)) = self.take_xsk(counters) else {
                    continue;
                };
                match self.receive_xsk_buf(sink, prog, buf, len) {
                    XdpSent::Tx => xdp_tx = true,
                    XdpSent::Redirected => redirected = true,
                    XdpSent::Nothing => {}
                }
            }
        }
        drop(guard);
        if let Some(xsk) = &mut self.xsk {
            let (posted, full) = xsk.refill(&mut self.vq);
            if posted && self.vq.kick(transport) {
                counters.add(Counter::RxKicks, 1);
            }
            if !full && !xsk.binding.pool().uses_need_wakeup() {
                // Nobody tells the driver when the socket fills its ring: a poll in a tick or
                // two looks again (the transmit lock serialises these requests).
                if let Some(_tx) = sink.tx.lock(sink.dev, sink.poll) {
                    sink.poll.napi().poll_later();
                }
            }
        }
        sink.xdp_done(transport, redirected, xdp_tx);
        done
    }

    /// Takes the next used entry, with an AF_XDP pool bound: its buffer and the length the
    /// device wrote. A bad entry, or one for a descriptor that has no buffer, is counted; a
    /// buffer it names goes back to the pool.
    fn take_xsk(&mut self, counters: &Counters) -> Option<(XskBuf, u32)> {
        let xsk = self.xsk.as_mut()?;
        let bad = || {
            counters.add(Counter::BadDeviceEntries, 1);
            counters.add(Counter::RxErrors, 1);
        };
        let (id, len) = match self.vq.pop_used() {
            Ok(Used { id, len }) => (id, len),
            Err(BadDevice::LengthTooLong { id, .. }) => {
                drop(xsk.take(id));
                bad();
                return None;
            }
            Err(_) => {
                bad();
                return None;
            }
        };
        let Some(buf) = xsk.take(id) else {
            bad();
            return None;
        };
        Some((buf, len))
    }

    /// Receives the packet of `len` bytes (header included) in `buf`, a buffer of the bound
    /// pool. Returns where a program sent it.
    fn receive_xsk_buf(
        &mut self,
        sink: &Sink<'_, '_>,
        prog: Option<&XdpProg>,
        mut buf: XskBuf,
        len: u32,
    ) -> XdpSent {
        let counters = sink.counters;
        let hdr_len = u32::try_from(sink.hdr_len).unwrap_or(u32::MAX);
        let Some(pkt_len) = len
            .checked_sub(hdr_len)
            .filter(|&l| usize::try_from(l).is_ok_and(|l| l >= ETH_HLEN))
        else {
            // "rx error: len less than header" in the C driver.
            counters.add(Counter::RxErrors, 1);
            return XdpSent::Nothing;
        };
        let mut raw = [0; NUM_BUFFERS_OFFSET + 2];
        buf.received(pkt_len, hdr_len, &mut raw);
        if self.mergeable && raw.get(NUM_BUFFERS_OFFSET..) != Some(&[1, 0][..]) {
            // Only a frame longer than the MTU takes several buffers; the socket's frames
            // are sized for the MTU (`xp_assign_dev()`): the rest of it comes as packets of
            // their own, which fail their own checks, as in the C driver.
            counters.add(Counter::RxErrors, 1);
            return XdpSent::Nothing;
        }
        let mut fields = [0; VNET_HDR_LEN];
        fields.copy_from_slice(raw.get(..VNET_HDR_LEN).unwrap_or(&[0; VNET_HDR_LEN]));
        // CAST: `u32` to `usize` is lossless on 64-bit machines.
        let pkt_len = pkt_len as usize;
        let Some((_, hdr, csum)) = self.check_hdr(counters, fields, pkt_len) else {
            return XdpSent::Nothing;
        };
        if !hdr.fits_xdp(csum) {
            // From before the receive offloads went off with the binding.
            counters.add(Counter::RxDropped, 1);
            return XdpSent::Nothing;
        }
        let Some(prog) = prog else {
            if sink.deliver_skb(buf.into_skb(sink.poll), |_| Ok(())) {
                self.count_rx(pkt_len);
            }
            return XdpSent::Nothing;
        };
        // Received, whatever the program decides (as `receive_xdp`).
        self.count_rx(pkt_len);
        counters.add(Counter::XdpPackets, 1);
        let (act, buf) = match buf.run(prog, sink.dev, sink.poll) {
            XskRun::Redirected => {
                counters.add(Counter::XdpRedirects, 1);
                return XdpSent::Redirected;
            }
            XskRun::Verdict(act, buf) => (act, buf),
        };
        match act {
            XdpAction::Pass => {
                sink.deliver_skb(buf.into_skb(sink.poll), |_| Ok(()));
                XdpSent::Nothing
            }
            XdpAction::Tx => sink.xdp_tx(prog, buf.into_frame().as_ref()),
            // A refused redirect came back as `XDP_DROP` (`XskBuf::run`).
            XdpAction::Drop | XdpAction::Redirect | XdpAction::Aborted | XdpAction::Invalid(_) => {
                sink.xdp_drop(prog, act)
            }
        }
    }

    /// Asks for an interrupt at the next packet; returns `true` when packets arrived
    /// meanwhile, which nobody will announce.
    pub(crate) fn enable_cb(&mut self) -> bool {
        self.vq.enable_cb()
    }
}

/// The receive side of a bound AF_XDP pool: the pool's buffers take the descriptors instead of
/// the page pool's.
///
/// Field order is teardown order: the buffers go back to the pool before it is unbound.
pub(crate) struct XskRx {
    /// The buffer posted in each descriptor, by id; `None` for one not posted.
    bufs: KVec<Option<XskBuf>>,
    /// The descriptors without a buffer, to post when the fill ring has buffers.
    empty: KVec<u16>,
    /// Size of the `virtio_net_hdr` the device writes into each buffer's headroom.
    hdr_len: u32,
    /// The binding, which unbinds the pool when dropped.
    binding: XskBinding,
}

impl XskRx {
    /// The receive side of `binding`, for a queue of up to `capacity` descriptors and headers
    /// of `hdr_len` bytes; nothing posted yet.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the tables cannot be allocated, `EINVAL` for a header longer than the
    /// headroom XDP leaves before a frame.
    pub(crate) fn new(binding: XskBinding, capacity: u16, hdr_len: usize) -> Result<Self> {
        if hdr_len > XDP_PACKET_HEADROOM {
            return Err(EINVAL);
        }
        let n = usize::from(capacity);
        let mut bufs = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            bufs.push(None, GFP_KERNEL)?;
        }
        Ok(Self {
            bufs,
            empty: KVec::with_capacity(n, GFP_KERNEL)?,
            hdr_len: u32::try_from(hdr_len)?,
            binding,
        })
    }

    /// The binding.
    pub(crate) fn binding(&self) -> &XskBinding {
        &self.binding
    }

    /// Gives every buffer back to the pool: the device was reset.
    fn clear(&mut self) {
        for slot in self.bufs.iter_mut() {
            *slot = None;
        }
        self.empty.clear();
    }

    /// Takes the buffer of descriptor `id`, which the device returned: the descriptor is
    /// empty until [`refill`](Self::refill) posts it again.
    fn take(&mut self, id: u16) -> Option<XskBuf> {
        let buf = self.bufs.get_mut(usize::from(id))?.take()?;
        // Room for every descriptor was reserved (`new`); an id is taken once per posting.
        let _ = self.empty.push(id, GFP_ATOMIC);
        Some(buf)
    }

    /// Makes every descriptor of `vq` empty and posts what the fill ring has buffers for.
    fn fill(&mut self, vq: &mut Virtqueue) {
        self.clear();
        for id in (0..vq.num()).rev() {
            let _ = self.empty.push(id, GFP_ATOMIC);
        }
        self.refill(vq);
    }

    /// Posts a buffer from the fill ring in each empty descriptor, for the header in its
    /// headroom and a frame after it, while the ring has buffers. Returns whether it posted
    /// any, and whether no descriptor is left empty. Tells a socket that asked whether it must
    /// wake the driver once it fills the ring (`xsk_set_rx_need_wakeup()`).
    fn refill(&mut self, vq: &mut Virtqueue) -> (bool, bool) {
        let pool = self.binding.pool();
        let hdr_len = self.hdr_len;
        let len = pool.rx_frame_size().saturating_add(hdr_len);
        let mut posted = false;
        while let Some(&id) = self.empty.last() {
            let Some(buf) = pool.alloc() else {
                break;
            };
            let Some(slot) = self.bufs.get_mut(usize::from(id)) else {
                break;
            };
            if vq.post_at(id, buf.dma_address(hdr_len), len).is_err() {
                break;
            }
            *slot = Some(buf);
            self.empty.pop();
            posted = true;
        }
        let full = self.empty.is_empty();
        pool.need_wakeup(true, !full);
        (posted, full)
    }
}

/// Where the frames of a poll went that the poll must send on after it.
#[derive(Clone, Copy)]
enum XdpSent {
    /// Nowhere.
    Nothing,
    /// Into the transmit ring (`XDP_TX`): the device needs a notification.
    Tx,
    /// Elsewhere (`XDP_REDIRECT`): redirects need a flush.
    Redirected,
}

/// Whether a packet of `len` bytes (its header included) leaves the room a socket buffer built
/// around its `buf_len`-byte buffer takes at the end ([`SHINFO_ROOM`]).
fn fits_in_place(len: usize, buf_len: u32) -> bool {
    u32::try_from(len)
        .ok()
        .and_then(|len| len.checked_add(SHINFO_ROOM))
        .is_some_and(|end| end <= buf_len)
}

/// The buffer descriptor `id` holds, in `table`.
fn buf_of(table: &[Option<PoolBuf>], id: u16) -> Result<&PoolBuf> {
    table
        .get(usize::from(id))
        .and_then(Option::as_ref)
        .ok_or(EINVAL)
}

/// Calls `f(at, buf, start, len)` on each part of the packet in `bufs` (descriptors of
/// `table`) after its `hdr_len`-byte header, in order: `len` bytes from `start` in `buf`,
/// which are the packet's bytes from `at` on.
fn for_each_part(
    table: &[Option<PoolBuf>],
    bufs: &[(u16, u32)],
    hdr_len: usize,
    mut f: impl FnMut(usize, &PoolBuf, usize, usize) -> Result,
) -> Result {
    let (mut start, mut at) = (hdr_len, 0);
    for &(id, len) in bufs {
        let len = usize::try_from(len).map_err(|_| EINVAL)?;
        let part = len.checked_sub(start).ok_or(EINVAL)?;
        f(at, buf_of(table, id)?, start, part)?;
        at += part;
        start = 0;
    }
    Ok(())
}

/// Fills `dst` with the bytes of the packet in `bufs` (descriptors of `table`, after a header
/// of `hdr_len` bytes) from packet offset `at` on.
fn copy_range(
    table: &[Option<PoolBuf>],
    bufs: &[(u16, u32)],
    hdr_len: usize,
    at: usize,
    dst: &mut [u8],
) -> Result {
    let want = at..at + dst.len();
    let mut done = 0;
    for_each_part(table, bufs, hdr_len, |from, buf, start, len| {
        if let Some((src, into)) = span::overlap(&want, from, len) {
            let into = dst.get_mut(into).ok_or(EINVAL)?;
            done += into.len();
            buf.read(start + src.start, into)?;
        }
        Ok(())
    })?;
    if done == dst.len() {
        Ok(())
    } else {
        Err(EMSGSIZE)
    }
}

/// The buffers of one received packet, as `(id, len)`.
struct Bufs {
    bufs: [(u16, u32); MAX_BUFS_PER_PACKET],
    n: usize,
    /// Whether an entry was bad: the packet is dropped.
    bad: bool,
}

impl Bufs {
    fn new() -> Self {
        Self {
            bufs: [(0, 0); MAX_BUFS_PER_PACKET],
            n: 0,
            bad: false,
        }
    }

    /// Empties the table for the next packet. The entries past `n` stay as they were and are
    /// never read: the table is made once per poll, not zeroed per packet.
    fn clear(&mut self) {
        self.n = 0;
        self.bad = false;
    }

    /// Adds a buffer; there is room for as many as `take_packet` accepts.
    fn push(&mut self, id: u16, len: u32) {
        if let Some(slot) = self.bufs.get_mut(self.n) {
            *slot = (id, len);
            self.n += 1;
        }
    }

    /// Every buffer taken, to post again.
    fn all(&self) -> &[(u16, u32)] {
        self.bufs.get(..self.n).unwrap_or(&[])
    }

    /// The buffers, unless the packet is bad.
    fn good(&self) -> Option<&[(u16, u32)]> {
        (!self.bad && self.n > 0).then(|| self.all())
    }
}
