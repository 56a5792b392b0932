// SPDX-License-Identifier: GPL-2.0

//! Byte queue limits of a device's transmit queue (`netdev_tx_sent_queue()`,
//! `netdev_tx_completed_queue()`): the core stops the queue while more bytes wait in the
//! device's ring than the completion rate needs, which keeps the latency of the queue
//! discipline in front of it low.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/dynamic_queue_limits.h`](srctree/include/linux/dynamic_queue_limits.h).

use super::device::NetDevice;
use crate::kernel_ext::ffi;

/// The most bytes one packet may count for (`DQL_MAX_OBJECT`; `dql_queued()` stops the kernel
/// above it).
const DQL_MAX_OBJECT: u32 = u32::MAX / 16;

/// The byte queue limits of transmit queue 0 of one device, as its driver's transmit queue
/// keeps them: every call takes `&mut self`, so the owner's lock serialises them, as the
/// dynamic queue limits require.
///
/// # Invariants
///
/// Every call is for the same device, whose queue limits were reset when it was allocated,
/// and `outstanding` is the number of bytes given to `dql_queued()` there and not yet to
/// `dql_completed()`, which count them in `unsigned int`s too. So a completion of at most
/// `outstanding` bytes cannot trip `dql_completed()`'s `BUG_ON`, whatever a device reports.
pub(crate) struct Bql {
    outstanding: u32,
}

impl Bql {
    /// The limits of a device that has sent nothing yet.
    pub(crate) fn new() -> Self {
        // INVARIANT: Nothing was queued since the device's allocation reset its limits.
        Self { outstanding: 0 }
    }

    /// Accounts a packet of `len` bytes handed to the device (`__netdev_tx_sent_queue()`).
    /// Returns whether the device must be notified now: `more` is false (no packet follows
    /// at once), or the queue is stopped, by the driver or by the limits.
    pub(crate) fn sent(&mut self, dev: &NetDevice, len: u32, more: bool) -> bool {
        // Both bounds are far above any packet (64 KiB and a header, with `tso_max_size`):
        // they keep the accounting within what the limits can count.
        let len = len.min(DQL_MAX_OBJECT).min(u32::MAX - self.outstanding);
        self.outstanding += len;
        // SAFETY: `dev` is a valid device; the caller's exclusive access serialises the
        // limits' writers (type invariant). INVARIANT: `len` bytes are queued and counted.
        unsafe { ffi::rvnet_bql_sent(dev.as_raw(), len, more) }
    }

    /// Accounts `packets` packets of `bytes` bytes that the device has finished
    /// (`netdev_tx_completed_queue()`), which may restart a queue the limits stopped. Bytes
    /// beyond those outstanding are not counted.
    pub(crate) fn completed(&mut self, dev: &NetDevice, packets: u32, bytes: u64) {
        let bytes = u32::try_from(bytes)
            .unwrap_or(u32::MAX)
            .min(self.outstanding);
        if bytes == 0 {
            return;
        }
        self.outstanding -= bytes;
        // SAFETY: As in `sent`; `bytes` is at most what was queued and not yet completed.
        unsafe { ffi::rvnet_bql_completed(dev.as_raw(), packets, bytes) };
    }

    /// Forgets every byte in flight (`netdev_tx_reset_queue()`): the device was reset and the
    /// packets dropped. Also restarts a queue the limits stopped.
    pub(crate) fn reset(&mut self, dev: &NetDevice) {
        self.outstanding = 0;
        // SAFETY: As in `sent`. INVARIANT: The limits are reset, and nothing is outstanding.
        unsafe { ffi::rvnet_bql_reset(dev.as_raw()) };
    }
}
