// SPDX-License-Identifier: GPL-2.0

//! Bottom halves (softirqs, NAPI polls among them) off on this CPU for a while:
//! `local_bh_disable()`/`local_bh_enable()`.
//!
//! C header: [`include/linux/bottom_half.h`](srctree/include/linux/bottom_half.h).
//!
//! A lock that a NAPI poll takes must be taken with bottom halves off everywhere else too, or
//! a poll on the same CPU could spin on it forever (and lockdep says so).

use core::marker::PhantomData;

use super::{ffi, net::rtnl::Rtnl};

/// Bottom halves are off on this CPU while the value lives.
///
/// # Invariants
///
/// `local_bh_disable()` was called by [`BhDisabled::new`] on this CPU, in process context, and
/// is undone once, when the value is dropped, on the same CPU (the value is not `Send`, and a
/// task with bottom halves off does not migrate).
pub(crate) struct BhDisabled {
    _not_send: PhantomData<*mut ()>,
}

impl BhDisabled {
    /// Turns bottom halves off, in the process context `_rtnl` proves.
    pub(crate) fn new(_rtnl: &Rtnl) -> Self {
        // SAFETY: Process context (`Rtnl`), where bottom halves may be turned off.
        unsafe { ffi::rvnet_local_bh_disable() };
        // INVARIANT: Turned off just above, in process context.
        Self {
            _not_send: PhantomData,
        }
    }
}

impl Drop for BhDisabled {
    fn drop(&mut self) {
        // SAFETY: Turned off by `new` on this CPU (type invariant); this undoes it once, and
        // runs the softirqs that were raised meanwhile.
        unsafe { ffi::rvnet_local_bh_enable() };
    }
}
