// SPDX-License-Identifier: GPL-2.0

//! The receive queue: `try_fill_recv()`, `virtnet_receive()` and `receive_buf()` of
//! `drivers/net/virtio_net.c`, for small (non-mergeable) buffers.
//!
//! Copy, not page flipping: each descriptor owns a fixed buffer that stays posted; a received
//! packet is copied into a socket buffer from the NAPI cache and the descriptor is posted again
//! at once. A device that lies about a length can therefore never make the stack see memory it
//! still writes, refilling never allocates, and a failed allocation drops one packet, counted,
//! without losing the ring slot.

use kernel::{io::io_project, prelude::*};

use crate::{
    kernel_ext::netdev::Napi,
    transport::Transport,
    virtqueue::{
        ring::{BadDevice, Used},
        Virtqueue,
    },
};

use super::{config::ETH_HLEN, stats::Counter, Counters};

/// The receive virtqueue.
pub(crate) struct RxQueue {
    vq: Virtqueue,
}

impl RxQueue {
    /// Wraps the receive virtqueue.
    pub(crate) fn new(vq: Virtqueue) -> Self {
        Self { vq }
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
    /// buffer, and returns how many entries it consumed.
    pub(crate) fn receive(
        &mut self,
        napi: &Napi,
        transport: &Transport<'_>,
        counters: &Counters,
        budget: u32,
        hdr_len: usize,
    ) -> u32 {
        self.vq.disable_cb();
        let pending = match self.vq.used_pending() {
            Ok(pending) => u32::from(pending),
            Err(_) => {
                counters.add(Counter::BadDeviceEntries, 1);
                counters.add(Counter::RxErrors, 1);
                return 0;
            }
        };
        let todo = pending.min(budget);
        for _ in 0..todo {
            let id = match self.vq.pop_used() {
                Ok(Used { id, len }) => {
                    self.receive_buf(napi, counters, id, len, hdr_len);
                    id
                }
                Err(bad) => {
                    counters.add(Counter::BadDeviceEntries, 1);
                    counters.add(Counter::RxErrors, 1);
                    match bad {
                        BadDevice::LengthTooLong { id, .. } => id,
                        _ => continue,
                    }
                }
            };
            let size = self.vq.buf_size();
            if self.vq.post(id, size).is_err() {
                counters.add(Counter::BadDeviceEntries, 1);
            }
        }
        if todo > 0 && self.vq.kick(transport) {
            counters.add(Counter::RxKicks, 1);
        }
        todo
    }

    /// Passes the packet in buffer `id` (`len` bytes with the header) to the stack
    /// (`receive_buf()`).
    fn receive_buf(&self, napi: &Napi, counters: &Counters, id: u16, len: u32, hdr_len: usize) {
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len < hdr_len + ETH_HLEN {
            // "rx error: len less than header" in the C driver.
            counters.add(Counter::RxErrors, 1);
            return;
        }
        let pkt_len = len - hdr_len;
        let Some(mut skb) = u32::try_from(pkt_len).ok().and_then(|l| napi.alloc_skb(l)) else {
            counters.add(Counter::RxDropped, 1);
            return;
        };
        let copied = self
            .vq
            .buf(id, len)
            .and_then(|buf| skb.put_from(io_project!(buf, [try: hdr_len..len])));
        if copied.is_err() {
            counters.add(Counter::RxErrors, 1);
            return;
        }
        counters.add(Counter::RxPackets, 1);
        // CAST: `usize` to `u64` is lossless on 64-bit machines.
        counters.add(Counter::RxBytes, pkt_len as u64);
        napi.receive(skb);
    }

    /// Asks for an interrupt at the next packet; returns `true` when packets arrived
    /// meanwhile, which nobody will announce.
    pub(crate) fn enable_cb(&mut self) -> bool {
        self.vq.enable_cb()
    }
}
