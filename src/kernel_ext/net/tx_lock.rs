// SPDX-License-Identifier: GPL-2.0

//! Data guarded by a network device's transmit lock: the `_xmit_lock` of its only transmit
//! queue, which the core holds around `ndo_start_xmit` (`HARD_TX_LOCK`) and a NAPI poll takes
//! with `__netif_tx_lock()`, as `virtnet_poll_cleantx()` does.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h).
//!
//! A driver that kept its own lock for its transmit ring would take two locks for each packet:
//! the core's and its own. With [`TxLocked`], `ndo_start_xmit` reaches the ring under the lock
//! the core already holds ([`Xmit`]), and only the poll takes it.

use core::{
    cell::UnsafeCell,
    marker::PhantomData,
    ops::{
        Deref,
        DerefMut, //
    },
    ptr, //
};

use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};

use super::{
    device::NetDevice,
    napi::NapiPoll,
    rtnl::Rtnl, //
};
use crate::kernel_ext::ffi;

/// `T`, guarded by the transmit lock of one network device: the first one it is reached
/// through.
///
/// The device is recorded, never dereferenced: each access names its device by a live
/// reference, and is refused unless it is the recorded one. Two accesses at once therefore go
/// through one live device and take one lock.
///
/// # Invariants
///
/// `dev` is null until the first access, then the address of the device whose transmit lock
/// every access to `data` has held since.
pub(crate) struct TxLocked<T> {
    dev: Atomic<*mut ffi::net_device>,
    data: UnsafeCell<T>,
}

// SAFETY: `T` moves with the value; sending it is safe when `T: Send`.
unsafe impl<T: Send> Send for TxLocked<T> {}
// SAFETY: `data` is reached only under one device's transmit lock (type invariant), one CPU at
// a time, so sharing needs only `T: Send`, as for `kernel::sync::Lock`.
unsafe impl<T: Send> Sync for TxLocked<T> {}

impl<T> TxLocked<T> {
    /// `data`, for the device it is first reached through.
    pub(crate) fn new(data: T) -> Self {
        Self {
            dev: Atomic::new(ptr::null_mut()),
            data: UnsafeCell::new(data),
        }
    }

    /// Whether `dev`'s lock guards the data: it does if `dev` is the recorded device, or, on
    /// the first access, once recorded.
    fn guarded_by(&self, dev: &NetDevice) -> bool {
        let raw = dev.as_raw();
        match self.dev.load(Relaxed) {
            // Recorded: a plain load, no locked instruction per packet.
            recorded if !recorded.is_null() => recorded == raw,
            _ => match self.dev.cmpxchg(ptr::null_mut(), raw, Relaxed) {
                Ok(_) => true,
                Err(recorded) => recorded == raw,
            },
        }
    }

    /// The data, in `ndo_start_xmit`, under the lock the core holds for it. `None` if the data
    /// belongs to another device.
    pub(crate) fn in_xmit<'t>(&'t self, xmit: &'t mut Xmit<'_>) -> Option<&'t mut T> {
        if !self.guarded_by(xmit.dev) {
            return None;
        }
        // SAFETY: The core holds `xmit.dev`'s transmit lock while `xmit` lives (its type
        // invariant), which guards the data (type invariant); `xmit` is borrowed mutably for as
        // long as the reference lives, so no other reference comes from it meanwhile.
        Some(unsafe { &mut *self.data.get() })
    }

    /// Takes `dev`'s transmit lock, spinning, where bottom halves are off (a NAPI poll,
    /// `ndo_xdp_xmit`). `None` if the data belongs to another device.
    pub(crate) fn lock<'t>(
        &'t self,
        dev: &'t NetDevice,
        _bh: &impl BhOff,
    ) -> Option<TxGuard<'t, T>> {
        if !self.guarded_by(dev) {
            return None;
        }
        // SAFETY: `dev` is a valid device of rvnet's, with one transmit queue (type invariant
        // of `NetDevice`); bottom halves are off (`BhOff`), as the lock needs.
        unsafe { ffi::rvnet_tx_lock(dev.as_raw()) };
        // INVARIANT: The lock is held.
        Some(TxGuard {
            lock: self,
            dev,
            bh: false,
        })
    }

    /// Takes `dev`'s transmit lock, spinning, in process context (under RTNL: a device reset),
    /// with bottom halves off while it is held. `None` if the data belongs to another device.
    pub(crate) fn lock_bh<'t>(
        &'t self,
        dev: &'t NetDevice,
        _rtnl: &Rtnl,
    ) -> Option<TxGuard<'t, T>> {
        if !self.guarded_by(dev) {
            return None;
        }
        // SAFETY: `dev` is a valid device of rvnet's, with one transmit queue (type invariant
        // of `NetDevice`); process context (`Rtnl`) may turn bottom halves off.
        unsafe { ffi::rvnet_tx_lock_bh(dev.as_raw()) };
        // INVARIANT: The lock is held, with bottom halves off.
        Some(TxGuard {
            lock: self,
            dev,
            bh: true,
        })
    }

    /// Takes `dev`'s transmit lock if it is free, in a NAPI poll. `None` if it is held, or if
    /// the data belongs to another device.
    pub(crate) fn try_lock<'t>(
        &'t self,
        dev: &'t NetDevice,
        _poll: &NapiPoll<'_>,
    ) -> Option<TxGuard<'t, T>> {
        if !self.guarded_by(dev) {
            return None;
        }
        // SAFETY: As in `lock`.
        if !unsafe { ffi::rvnet_tx_trylock(dev.as_raw()) } {
            return None;
        }
        // INVARIANT: The lock is held.
        Some(TxGuard {
            lock: self,
            dev,
            bh: false,
        })
    }
}

/// A context in which bottom halves are off on this CPU while the value lives, so that the
/// transmit lock, which NAPI polls take, may be taken with a plain spin.
///
/// # Safety
///
/// An implementor is made only where bottom halves are off, and not sent to another CPU.
pub(crate) unsafe trait BhOff {}

// SAFETY: The core runs a NAPI poll in a softirq (or with bottom halves off, netpoll and busy
// polling), on one CPU; `NapiPoll` lives only for the poll.
unsafe impl BhOff for NapiPoll<'_> {}

/// `ndo_xdp_xmit` is running for a device: frames redirected to it, from a NAPI poll of any
/// device (`xdp_do_flush()`) or `BPF_PROG_RUN`, both with bottom halves off. Made by the
/// callback's adapter only.
///
/// # Invariants
///
/// Bottom halves are off on this CPU while the value lives.
pub(crate) struct XdpXmit {
    /// Not sent to another CPU.
    _not_send: PhantomData<*mut ()>,
}

impl XdpXmit {
    /// The context of `ndo_xdp_xmit`.
    ///
    /// # Safety
    ///
    /// The caller is `ndo_xdp_xmit`, called with bottom halves off (every caller in the
    /// kernel: the devmap's flush, `BPF_PROG_RUN`'s live frames), and the value does not
    /// outlive the call.
    pub(super) unsafe fn new() -> Self {
        // INVARIANT: From the safety requirements.
        Self {
            _not_send: PhantomData,
        }
    }
}

// SAFETY: Bottom halves are off while an `XdpXmit` lives (type invariant); it is not `Send`.
unsafe impl BhOff for XdpXmit {}

/// `ndo_start_xmit` is running for `dev`: the core holds the device's transmit lock. Made by
/// the callback's adapter only.
///
/// # Invariants
///
/// The transmit lock of `dev`'s only queue is held while this value lives.
pub(crate) struct Xmit<'a> {
    dev: &'a NetDevice,
    /// Not sent to another CPU, which would not hold the lock.
    _not_send: PhantomData<*mut ()>,
}

impl<'a> Xmit<'a> {
    /// The context of `ndo_start_xmit` on `dev`.
    ///
    /// # Safety
    ///
    /// The caller holds `dev`'s transmit lock while the value lives: it is `ndo_start_xmit`,
    /// which the core calls with it held (`HARD_TX_LOCK`; rvnet's devices are not `LLTX`).
    pub(super) unsafe fn new(dev: &'a NetDevice) -> Self {
        // INVARIANT: From the safety requirements.
        Self {
            dev,
            _not_send: PhantomData,
        }
    }
}

/// The data of a [`TxLocked`], with its device's transmit lock held; dropping it unlocks.
///
/// # Invariants
///
/// This guard holds `dev`'s transmit lock, which guards `lock`'s data; if `bh`, it turned
/// bottom halves off to take it.
pub(crate) struct TxGuard<'a, T> {
    lock: &'a TxLocked<T>,
    dev: &'a NetDevice,
    bh: bool,
}

impl<T> Deref for TxGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The lock is held (type invariant).
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for TxGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: The lock is held (type invariant), and `&mut self` makes this the only
        // reference.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for TxGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: This guard holds the lock of the valid device `dev`, taken with bottom halves
        // off if `bh` (type invariant).
        unsafe {
            if self.bh {
                ffi::rvnet_tx_unlock_bh(self.dev.as_raw())
            } else {
                ffi::rvnet_tx_unlock(self.dev.as_raw())
            }
        };
    }
}
