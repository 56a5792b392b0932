// SPDX-License-Identifier: GPL-2.0

//! The receive queue: `try_fill_recv()`, `virtnet_receive()` and `receive_buf()` of
//! `drivers/net/virtio_net.c`, for small buffers and, with `VIRTIO_NET_F_MRG_RXBUF`, packets
//! spread over several of them (`receive_mergeable()`): the header's `num_buffers` says how
//! many used entries the packet takes.
//!
//! Copy, not page flipping: each descriptor owns a fixed buffer that stays posted; a received
//! packet is copied into a socket buffer from the NAPI cache and the descriptor is posted again
//! at once. A device that lies about a length can therefore never make the stack see memory it
//! still writes, refilling never allocates, and a failed allocation drops one packet, counted,
//! without losing the ring slot.
//!
//! The header says what the device did for the packet (`GUEST_CSUM`, `GUEST_TSO4/6`): it is
//! checked against what was negotiated (`net_hdr`) before anything in it is used, and the
//! kernel's `virtio_net_hdr_to_skb()` then checks it against the packet; a refused header
//! drops the packet, counted. Merged segments (up to 64 KiB) arrive as mergeable buffers.
//!
//! With an XDP program attached, the packet is copied instead into the queue's XDP buffer
//! (`kernel_ext::net::xdp::XdpBuf`): a page with the head- and tailroom XDP expects (as
//! `xdp_linearize_page()` does for merged packets) and, for a frame larger than that and a
//! program that takes fragments (`xdp.frags`), pages for the rest. The program runs on that:
//! `XDP_PASS` copies the frame it leaves into a socket buffer, `XDP_TX` into the transmit
//! ring, `XDP_DROP` and `XDP_ABORTED` drop it. `XDP_REDIRECT` is not supported
//! (`xdp_features` says so): the frame is dropped and traced.

use kernel::{
    dma::CoherentView,
    io::{io_project, Io},
    prelude::*,
    sync::{rcu, SpinLock}, //
};

use crate::{
    features::{
        self,
        Features, //
    },
    kernel_ext::net::{
        device::NetDevice,
        napi::NapiPoll,
        skb::{
            RxSkBuff,
            VNET_HDR_LEN, //
        },
        xdp::{
            XdpAction,
            XdpBuf,
            XdpProg, //
        },
    },
    span,
    transport::Transport,
    virtqueue::{
        ring::{BadDevice, Used},
        Virtqueue,
    },
};

use super::{
    config::{
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
};

// The header fields are what the kernel's `struct virtio_net_hdr` holds.
const _: () = assert!(VNET_HDR_LEN == net_hdr::HDR_FIELDS_LEN);

/// Offset of `num_buffers` in `struct virtio_net_hdr_mrg_rxbuf`.
const NUM_BUFFERS_OFFSET: usize = 10;

/// Where the packets of a poll go, and what they need on the way.
pub(crate) struct Sink<'a> {
    /// The receiving device.
    pub(crate) dev: &'a NetDevice,
    /// The poll that runs, for socket buffers and GRO.
    pub(crate) poll: &'a NapiPoll<'a>,
    /// Its counters.
    pub(crate) counters: &'a Counters,
    /// Its transmit queue, for `XDP_TX`; taken after the receive queue, never before.
    pub(crate) tx: &'a SpinLock<TxQueue>,
    /// Size of the `virtio_net_hdr` in front of each packet.
    pub(crate) hdr_len: usize,
}

impl Sink<'_> {
    /// Hands a packet of `len` bytes, which `fill` writes into a socket buffer from the NAPI
    /// cache, to the stack, and counts it: received, or dropped for want of memory, or an
    /// error if `fill` fails.
    fn deliver(&self, len: usize, fill: impl FnOnce(&mut RxSkBuff) -> Result) {
        let Some(mut skb) = u32::try_from(len).ok().and_then(|l| self.poll.alloc_skb(l)) else {
            self.counters.add(Counter::RxDropped, 1);
            return;
        };
        if fill(&mut skb).is_err() {
            self.counters.add(Counter::RxErrors, 1);
            return;
        }
        self.counters.add(Counter::RxPackets, 1);
        // CAST: `usize` to `u64` is lossless on 64-bit machines.
        self.counters.add(Counter::RxBytes, len as u64);
        self.poll.receive(skb);
    }
}

/// The receive virtqueue.
pub(crate) struct RxQueue {
    vq: Virtqueue,
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
    /// Wraps the receive virtqueue, for frames of up to `max_frame` bytes, spread over
    /// several buffers with mergeable buffers, and the offloads `negotiated`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the XDP buffer cannot be allocated.
    pub(crate) fn new(vq: Virtqueue, negotiated: Features, max_frame: usize) -> Result<Self> {
        Ok(Self {
            vq,
            mergeable: negotiated.has(features::MRG_RXBUF),
            offloads: RxOffloads::negotiated(negotiated),
            little_endian: net_hdr::little_endian(negotiated),
            max_frame,
            xdp: XdpBuf::new()?,
        })
    }

    /// Number of ring entries.
    pub(crate) fn ring_size(&self) -> u16 {
        self.vq.num()
    }

    /// Posts every buffer (`try_fill_recv()`); the device learns of them at the next kick.
    ///
    /// # Errors
    ///
    /// `EINVAL` if a buffer was posted already.
    pub(crate) fn fill(&mut self) -> Result {
        let size = self.vq.buf_size();
        (0..self.vq.num()).try_for_each(|id| self.vq.post(id, size))
    }

    /// Notifies the device of posted buffers, if it wants to know.
    pub(crate) fn kick(&mut self, transport: &Transport<'_>) {
        self.vq.kick(transport);
    }

    /// Receives up to `budget` packets into the stack (`virtnet_receive()`), reposting each
    /// buffer, and returns how many packets it took.
    pub(crate) fn receive(
        &mut self,
        sink: &Sink<'_>,
        transport: &Transport<'_>,
        budget: u32,
    ) -> u32 {
        let (counters, hdr_len) = (sink.counters, sink.hdr_len);
        self.vq.disable_cb();
        let mut pending = match self.vq.used_pending() {
            Ok(pending) => pending,
            Err(_) => {
                counters.add(Counter::BadDeviceEntries, 1);
                counters.add(Counter::RxErrors, 1);
                return 0;
            }
        };
        let mut done = 0;
        let mut consumed = false;
        let mut xdp_tx = false;
        while done < budget && pending > 0 {
            let mut bufs = Bufs::new();
            let taken = self.take_packet(counters, pending, hdr_len, &mut bufs);
            pending = pending.saturating_sub(taken);
            consumed = true;
            if let Some(bufs) = bufs.good() {
                xdp_tx |= self.receive_buf(sink, bufs);
            }
            for &(id, _) in bufs.all() {
                if self.vq.post(id, self.vq.buf_size()).is_err() {
                    counters.add(Counter::BadDeviceEntries, 1);
                }
            }
            done += 1;
        }
        if consumed && self.vq.kick(transport) {
            counters.add(Counter::RxKicks, 1);
        }
        if xdp_tx && sink.tx.lock().kick(transport) {
            // One notification for the frames of the whole poll, as `virtnet_poll()` kicks
            // once for `VIRTIO_XDP_TX`.
            counters.add(Counter::TxKicks, 1);
        }
        done
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
                Ok(Used { id, len }) => bufs.push(id, len),
                Err(BadDevice::LengthTooLong { id, .. }) => {
                    bufs.push(id, 0);
                    bad(bufs);
                }
                Err(_) => bad(bufs),
            }
        }
        num
    }

    /// The `num_buffers` field of the header in buffer `id`.
    fn num_buffers(&self, id: u16, hdr_len: usize) -> Result<u16> {
        let buf = self.vq.buf(id, hdr_len)?;
        let at = NUM_BUFFERS_OFFSET..NUM_BUFFERS_OFFSET + 2;
        Ok(io_project!(buf, [try: at]).try_cast::<u16>()?.copy_read())
    }

    /// Passes the packet in `bufs` (`(id, len)` of each buffer, the header at the start of the
    /// first) to the stack (`receive_buf()`), or to the XDP program. Returns whether the
    /// program sent it out again (`XDP_TX`): the transmit queue then needs a kick.
    fn receive_buf(&mut self, sink: &Sink<'_>, bufs: &[(u16, u32)]) -> bool {
        let (counters, hdr_len) = (sink.counters, sink.hdr_len);
        let len: usize = bufs
            .iter()
            .map(|&(_, len)| usize::try_from(len).unwrap_or(usize::MAX))
            .fold(0, usize::saturating_add);
        let (first, first_len) = bufs.first().copied().unwrap_or((0, 0));
        if usize::try_from(first_len).map_or(true, |l| l < hdr_len + ETH_HLEN) {
            // "rx error: len less than header" in the C driver.
            counters.add(Counter::RxErrors, 1);
            return false;
        }
        let pkt_len = len - hdr_len;
        let Ok(fields) = self.hdr_fields(first) else {
            counters.add(Counter::RxErrors, 1);
            return false;
        };
        let hdr = RxHdr::parse(&fields, self.little_endian);
        let csum = match hdr.check(self.offloads, pkt_len, self.max_frame) {
            Ok(csum) => csum,
            Err(err) => {
                // A frame the MTU forbids is a length error, as before offloads; anything
                // else is a header the device had no right to write.
                if err != HdrError::TooLong {
                    counters.add(Counter::RxBadHeaders, 1);
                }
                counters.add(Counter::RxErrors, 1);
                return false;
            }
        };
        let guard = rcu::read_lock();
        if let Some(prog) = sink.dev.xdp_prog(&guard) {
            return self.receive_xdp(sink, prog, bufs, pkt_len);
        }
        drop(guard);
        // Without receive offloads the header says nothing the stack needs.
        let offloaded = self.offloads.any() && (hdr != RxHdr::default() || csum == RxCsum::Valid);
        let little_endian = self.little_endian;
        sink.deliver(pkt_len, |skb| {
            for_each_part(&self.vq, bufs, hdr_len, |_, part| skb.put_from(part))?;
            if offloaded {
                skb.set_vnet_hdr(&fields, csum == RxCsum::Valid, little_endian)
                    .inspect_err(|_| counters.add(Counter::RxBadHeaders, 1))?;
                if hdr.gso_type != net_hdr::GSO_NONE {
                    counters.add(Counter::RxGso, 1);
                }
            }
            Ok(())
        });
        false
    }

    /// The header fields (before `num_buffers`) in buffer `id`.
    fn hdr_fields(&self, id: u16) -> Result<[u8; VNET_HDR_LEN]> {
        let buf = self.vq.buf(id, VNET_HDR_LEN)?;
        let mut fields = [0; VNET_HDR_LEN];
        io_project!(buf, [try: 0..VNET_HDR_LEN]).copy_to_slice(&mut fields);
        Ok(fields)
    }

    /// Runs `prog` on the `pkt_len`-byte packet in `bufs` (`receive_small_xdp()`,
    /// `receive_mergeable_xdp()`) and carries out its verdict. Returns whether the frame was
    /// queued for transmission.
    fn receive_xdp(
        &mut self,
        sink: &Sink<'_>,
        prog: &XdpProg,
        bufs: &[(u16, u32)],
        pkt_len: usize,
    ) -> bool {
        let counters = sink.counters;
        counters.add(Counter::XdpPackets, 1);
        let loaded = self.xdp.load(pkt_len, prog.has_frags(), |at, dst| {
            copy_range(&self.vq, bufs, sink.hdr_len, at, dst)
        });
        if loaded.is_err() {
            // Longer than the program takes (no fragments) and so than the MTU (`xdp_setup`):
            // a peer with a larger one sent it, and the C driver drops it too; or no page for
            // the fragments.
            counters.add(Counter::RxDropped, 1);
            return false;
        }
        let Some(act) = self.xdp.run(prog, sink.dev) else {
            counters.add(Counter::XdpDrops, 1);
            return false;
        };
        let xdp = &self.xdp;
        match act {
            XdpAction::Pass => {
                let len = xdp.len();
                if len < ETH_HLEN {
                    // The helpers keep a whole Ethernet header; `eth_type_trans()` needs one.
                    counters.add(Counter::XdpDrops, 1);
                    return false;
                }
                sink.deliver(len, |skb| xdp.for_each_chunk(|chunk| skb.put_slice(chunk)));
                false
            }
            XdpAction::Tx => {
                if sink
                    .tx
                    .lock()
                    .xdp_xmit(sink.dev, counters, xdp, sink.hdr_len)
                {
                    counters.add(Counter::XdpTx, 1);
                    true
                } else {
                    // `__virtnet_xdp_xmit_one()` failed: as the C driver, an exception.
                    prog.exception(sink.dev, act);
                    counters.add(Counter::XdpDrops, 1);
                    false
                }
            }
            XdpAction::Drop => {
                counters.add(Counter::XdpDrops, 1);
                false
            }
            XdpAction::Aborted | XdpAction::Redirect | XdpAction::Invalid(_) => {
                prog.exception(sink.dev, act);
                counters.add(Counter::XdpDrops, 1);
                false
            }
        }
    }

    /// Asks for an interrupt at the next packet; returns `true` when packets arrived
    /// meanwhile, which nobody will announce.
    pub(crate) fn enable_cb(&mut self) -> bool {
        self.vq.enable_cb()
    }
}

/// Calls `f` on each part of the packet in `bufs` (buffers of `vq`) after its `hdr_len`-byte
/// header, in order, with the packet offset it starts at.
fn for_each_part(
    vq: &Virtqueue,
    bufs: &[(u16, u32)],
    hdr_len: usize,
    mut f: impl FnMut(usize, CoherentView<'_, [u8]>) -> Result,
) -> Result {
    let (mut start, mut at) = (hdr_len, 0);
    for &(id, len) in bufs {
        let len = usize::try_from(len).map_err(|_| EINVAL)?;
        let buf = vq.buf(id, len)?;
        f(at, io_project!(buf, [try: start..len]))?;
        at += len - start;
        start = 0;
    }
    Ok(())
}

/// Fills `dst` with the bytes of the packet in `bufs` (buffers of `vq`, after a header of
/// `hdr_len` bytes) from packet offset `at` on.
fn copy_range(
    vq: &Virtqueue,
    bufs: &[(u16, u32)],
    hdr_len: usize,
    at: usize,
    dst: &mut [u8],
) -> Result {
    let want = at..at + dst.len();
    let mut done = 0;
    for_each_part(vq, bufs, hdr_len, |start, part| {
        if let Some((src, into)) = span::overlap(&want, start, part.len()) {
            let into = dst.get_mut(into).ok_or(EINVAL)?;
            done += into.len();
            // PANIC: `overlap` gives ranges of the same length.
            io_project!(part, [try: src]).copy_to_slice(into);
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
