// SPDX-License-Identifier: GPL-2.0

//! What a driver may do only in process context with RTNL held: stop its interface's data
//! path for a while (to reset the device under it), or close the interface.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h).

use core::marker::PhantomData;

use super::device::{
    IfName,
    NetDevice, //
};
use crate::kernel_ext::ffi;

/// RTNL is held, in process context (a context that may sleep). Made only by the adapters of
/// the callbacks the core calls so: the driver's work item and ethtool's operations.
///
/// # Invariants
///
/// RTNL is held by this task, in process context, while the value lives.
pub(crate) struct Rtnl {
    /// Not sent to another task, which would not hold RTNL.
    _not_send: PhantomData<*mut ()>,
}

impl Rtnl {
    /// The context of a callback that runs under RTNL.
    ///
    /// # Safety
    ///
    /// The caller holds RTNL, in process context, while the value lives.
    pub(super) unsafe fn assume() -> Self {
        // INVARIANT: From the safety requirements.
        Self {
            _not_send: PhantomData,
        }
    }

    /// A copy of `dev`'s interface name ([`NetDevice::name`] takes RTNL, which is held here).
    pub(crate) fn name(&self, dev: &NetDevice) -> IfName {
        // SAFETY: RTNL is held (type invariant).
        unsafe { dev.name_under_rtnl() }
    }
}

/// An interface whose data path is stopped, if it was up: its NAPI context disabled (no poll
/// runs) and its transmit queue disabled (`ndo_start_xmit` is not called), as
/// `virtnet_freeze_down()` leaves them. Dropping it starts both again, and schedules a poll
/// for what arrived meanwhile.
///
/// Nothing but the interrupt handler, which finds NAPI disabled, runs the data path while it
/// lives: the driver may take its queues apart and make them again.
///
/// # Invariants
///
/// While the value lives, RTNL is held (so `ndo_open` and `ndo_stop` cannot run); if `running`,
/// the interface is up, with NAPI and the transmit queue disabled by [`Quiesced::new`].
pub(crate) struct Quiesced<'a> {
    dev: &'a NetDevice,
    running: bool,
    _rtnl: &'a Rtnl,
}

impl<'a> Quiesced<'a> {
    /// Stops `dev`'s data path if the interface is up: NAPI first, so that no poll wakes the
    /// queue again, then the transmit queue. Waits for a poll and a transmit that run.
    pub(crate) fn new(dev: &'a NetDevice, rtnl: &'a Rtnl) -> Self {
        // SAFETY: By the type invariant of `NetDevice`, `dev` is a valid rvnet device; RTNL is
        // held (`rtnl`), so the interface cannot go up or down meanwhile.
        let running = unsafe { ffi::rvnet_netif_running(dev.as_raw()) };
        if running {
            // SAFETY: Under RTNL (`rtnl`), in process context; `ndo_open` enabled NAPI for the
            // running interface and only `ndo_stop`, which RTNL keeps out, disables it.
            unsafe { dev.napi().disable() };
            // SAFETY: `dev` is valid; `netif_tx_disable()` takes the transmit lock, which this
            // process context may (bottom halves are on).
            unsafe { ffi::rvnet_netif_tx_disable(dev.as_raw()) };
        }
        // INVARIANT: RTNL is held for `'a`; if running, both were disabled just above.
        Self {
            dev,
            running,
            _rtnl: rtnl,
        }
    }

    /// Whether the interface is up (and its data path stopped by this value).
    pub(crate) fn running(&self) -> bool {
        self.running
    }

    /// Takes the interface down instead of restarting its data path (`dev_close()`): the
    /// device cannot be used. Its `ndo_stop` runs.
    pub(crate) fn close(self) {
        let this = core::mem::ManuallyDrop::new(self);
        if this.running {
            // `ndo_stop` disables NAPI: enable it again first, without restarting the queue.
            // SAFETY: Under RTNL (type invariant); disabled by `new`.
            unsafe { this.dev.napi().enable() };
            // SAFETY: `dev` is valid, and RTNL is held, as `dev_close()` needs.
            unsafe { ffi::rvnet_dev_close(this.dev.as_raw()) };
        }
    }
}

impl Drop for Quiesced<'_> {
    fn drop(&mut self) {
        if !self.running {
            return;
        }
        // SAFETY: Under RTNL (type invariant); disabled by `new`.
        unsafe { self.dev.napi().enable() };
        // SAFETY: `dev` is valid; the queue may be woken in any context.
        unsafe { ffi::rvnet_netif_tx_wake_all(self.dev.as_raw()) };
        // What arrived while it was stopped has had no interrupt of its own.
        self.dev.napi().schedule();
    }
}
