// SPDX-License-Identifier: GPL-2.0

//! The transmit queue: `start_xmit()` and `free_old_xmit()` of `drivers/net/virtio_net.c`.
//!
//! Each packet is copied, after a zeroed `virtio_net_hdr` (no offloads are negotiated), into
//! the fixed buffer of a free descriptor, and the socket buffer is released at once: the
//! device never reads memory the stack owns, completions only recycle descriptors, and nothing
//! is left to free when the device is reset with packets in flight. Under the MMIO transport
//! the copy costs far less than the exit that every notification takes.

use kernel::prelude::*;

use crate::{
    kernel_ext::netdev::{self, NetDevice, SkBuff, TxOutcome},
    transport::Transport,
    virtqueue::{
        ring::{BadDevice, Used, MAX_QUEUE_SIZE},
        Virtqueue,
    },
};

use super::{stats::Counter, Counters};

/// How many times completions are reaped before interrupts are trusted again; bounds the
/// work a device that completes as fast as it is asked can cause.
const REAP_ROUNDS: usize = 2;

/// The transmit virtqueue and the length of the packet in each busy descriptor.
pub(crate) struct TxQueue {
    vq: Virtqueue,
    /// Packet length (without header) per descriptor, for the byte counter.
    lens: KBox<[u32; MAX_QUEUE_SIZE as usize]>,
}

impl TxQueue {
    /// Wraps the transmit virtqueue.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when memory is short.
    pub(crate) fn new(vq: Virtqueue) -> Result<Self> {
        Ok(Self {
            vq,
            lens: KBox::new([0; MAX_QUEUE_SIZE as usize], GFP_KERNEL)?,
        })
    }

    /// Counts and recycles the descriptors the device is done with (`free_old_xmit()`), then
    /// asks for an interrupt at the next completion, so the last completions of a burst are
    /// counted too. Returns whether descriptors are free.
    pub(crate) fn reap(&mut self, counters: &Counters) -> bool {
        for _ in 0..REAP_ROUNDS {
            self.reap_pending(counters);
            if !self.vq.enable_cb() {
                break;
            }
        }
        self.vq.nr_free() > 0
    }

    fn reap_pending(&mut self, counters: &Counters) {
        let pending = match self.vq.used_pending() {
            Ok(pending) => pending,
            Err(_) => {
                counters.add(Counter::BadDeviceEntries, 1);
                counters.add(Counter::TxErrors, 1);
                return;
            }
        };
        let (mut packets, mut bytes) = (0, 0);
        for _ in 0..pending {
            match self.vq.pop_used() {
                Ok(Used { id, .. }) => {
                    packets += 1;
                    bytes += u64::from(self.lens.get(usize::from(id)).copied().unwrap_or(0));
                    self.vq.free(id);
                }
                Err(bad) => {
                    counters.add(Counter::BadDeviceEntries, 1);
                    counters.add(Counter::TxErrors, 1);
                    // The device claimed to write into a buffer it may only read: the packet
                    // was sent or not, the descriptor is back either way.
                    if let BadDevice::LengthTooLong { id, .. } = bad {
                        self.vq.free(id);
                    }
                }
            }
        }
        counters.add(Counter::TxPackets, packets);
        counters.add(Counter::TxBytes, bytes);
    }

    /// Queues `skb` for transmission (`start_xmit()`), after a header of `hdr_len` bytes.
    /// Stops the queue when the ring is full and notifies the device unless more packets are
    /// coming right behind.
    pub(crate) fn xmit(
        &mut self,
        dev: &NetDevice,
        transport: &Transport<'_>,
        counters: &Counters,
        skb: SkBuff,
        hdr_len: usize,
    ) -> TxOutcome {
        let Some(id) = self.vq.alloc() else {
            // The queue is stopped when the ring fills: this is a race with a completion.
            dev.stop_queue();
            counters.add(Counter::TxQueueStops, 1);
            return TxOutcome::Busy(skb);
        };
        if self.fill(id, &skb, hdr_len).is_err() {
            self.vq.free(id);
            counters.add(Counter::TxDropped, 1);
            drop(skb);
            return TxOutcome::Consumed;
        }
        skb.consume();

        if self.vq.nr_free() == 0 {
            dev.stop_queue();
            counters.add(Counter::TxQueueStops, 1);
            // Completions that came in before the stop would wake nobody: look again.
            if self.reap(counters) {
                dev.wake_queue();
                counters.add(Counter::TxQueueWakes, 1);
            }
        }
        if !netdev::xmit_more() || dev.queue_stopped() {
            self.vq.kick(transport);
        }
        TxOutcome::Consumed
    }

    /// Copies `skb` after the (always zero) header of buffer `id` and posts it.
    fn fill(&mut self, id: u16, skb: &SkBuff, hdr_len: usize) -> Result {
        let len = skb.len();
        let total = hdr_len + usize::try_from(len)?;
        let buf = self.vq.buf(id, total)?;
        skb.copy_to(kernel::io::io_project!(buf, [try: hdr_len..total]))?;
        self.vq.post(id, total)?;
        if let Some(slot) = self.lens.get_mut(usize::from(id)) {
            *slot = len;
        }
        Ok(())
    }
}
