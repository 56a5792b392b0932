// SPDX-License-Identifier: GPL-2.0

//! The transmit queue: `start_xmit()` and `free_old_xmit()` of `drivers/net/virtio_net.c`.
//!
//! Each packet is copied, after a zeroed `virtio_net_hdr` (no offloads are negotiated), into
//! the fixed buffer of a free descriptor, and the socket buffer is released at once: the
//! device never reads memory the stack owns, completions only recycle descriptors, and nothing
//! is left to free when the device is reset with packets in flight. Under the MMIO transport
//! the copy costs far less than the exit that every notification takes.
//!
//! Since a completion frees nothing the stack waits for, transmit interrupts are off while
//! the queue runs (as in virtio_net's mode without `napi_tx`): `start_xmit()` recycles what
//! the device has finished, and packets are counted when they are handed to the device. Only
//! a full ring asks for an interrupt, once three quarters of it are done, to wake the queue.
//! Measured under pktgen (64-byte frames, `make bench`): an interrupt every 27 packets when
//! every completion was announced, every 50 with the threshold at three quarters, and none
//! while the ring has room now.

use kernel::prelude::*;

use crate::{
    kernel_ext::netdev::{self, NetDevice, SkBuff, TxOutcome},
    transport::Transport,
    virtqueue::{
        ring::{BadDevice, Used},
        Virtqueue,
    },
};

use super::{stats::Counter, Counters};

/// How many times completions are reaped before interrupts are trusted again; bounds the
/// work a device that completes as fast as it is asked can cause.
const REAP_ROUNDS: usize = 2;

/// The transmit virtqueue.
pub(crate) struct TxQueue {
    vq: Virtqueue,
}

impl TxQueue {
    /// Wraps the transmit virtqueue, with its interrupts off until the ring first fills.
    pub(crate) fn new(mut vq: Virtqueue) -> Self {
        vq.disable_cb();
        Self { vq }
    }

    /// Recycles the descriptors the device is done with (`free_old_xmit()`). Returns whether
    /// descriptors are free.
    pub(crate) fn reap(&mut self, counters: &Counters) -> bool {
        let pending = match self.vq.used_pending() {
            Ok(pending) => pending,
            Err(_) => {
                counters.add(Counter::BadDeviceEntries, 1);
                counters.add(Counter::TxErrors, 1);
                return self.vq.nr_free() > 0;
            }
        };
        for _ in 0..pending {
            match self.vq.pop_used() {
                Ok(Used { id, .. }) => self.vq.free(id),
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
        self.vq.nr_free() > 0
    }

    /// For a stopped queue: recycles what the device finished and returns `true` when
    /// descriptors are free, for the caller to wake the queue (interrupts are then off
    /// again); otherwise asks for an interrupt once three quarters of the ring are done and
    /// returns `false`.
    pub(crate) fn restart(&mut self, counters: &Counters) -> bool {
        for _ in 0..REAP_ROUNDS {
            if self.reap(counters) {
                // Without EVENT_IDX the flag must be set again; with it, the threshold the
                // device just passed stays behind and asks for nothing.
                self.vq.disable_cb();
                return true;
            }
            if !self.vq.enable_cb_delayed() {
                return false;
            }
        }
        let free = self.reap(counters);
        if free {
            self.vq.disable_cb();
        }
        free
    }

    /// Stops the queue on a full ring, then [`restart`](Self::restart)s it at once if
    /// completions came in meanwhile; otherwise the armed interrupt will.
    fn stop(&mut self, dev: &NetDevice, counters: &Counters) {
        dev.stop_queue();
        counters.add(Counter::TxQueueStops, 1);
        if self.restart(counters) {
            dev.wake_queue();
            counters.add(Counter::TxQueueWakes, 1);
        }
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
            // The queue is stopped whenever the ring fills, so this should not happen; if it
            // does, stop it the same way, with the interrupt that will restart it armed.
            self.stop(dev, counters);
            return TxOutcome::Busy(skb);
        };
        let len = skb.len();
        if self.fill(id, &skb, hdr_len).is_err() {
            self.vq.free(id);
            counters.add(Counter::TxDropped, 1);
            drop(skb);
            return TxOutcome::Consumed;
        }
        skb.consume();
        counters.add(Counter::TxPackets, 1);
        counters.add(Counter::TxBytes, u64::from(len));

        if self.vq.nr_free() == 0 && !self.reap(counters) {
            self.stop(dev, counters);
        }
        if (!netdev::xmit_more() || dev.queue_stopped()) && self.vq.kick(transport) {
            counters.add(Counter::TxKicks, 1);
        }
        TxOutcome::Consumed
    }

    /// Copies `skb` after the (always zero) header of buffer `id` and posts it.
    fn fill(&mut self, id: u16, skb: &SkBuff, hdr_len: usize) -> Result {
        let total = hdr_len + usize::try_from(skb.len())?;
        let buf = self.vq.buf(id, total)?;
        skb.copy_to(kernel::io::io_project!(buf, [try: hdr_len..total]))?;
        self.vq.post(id, total)
    }
}
