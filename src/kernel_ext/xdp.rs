// SPDX-License-Identifier: GPL-2.0

//! XDP: the program attached to a network device, and running it on a received frame.
//!
//! C headers: [`include/linux/filter.h`](srctree/include/linux/filter.h),
//! [`include/net/xdp.h`](srctree/include/net/xdp.h).
//!
//! The device's private area (`shim.c`) holds the program as an RCU pointer: `ndo_bpf` replaces
//! it under RTNL ([`netdev::Adapter`](super::netdev::Adapter)), the NAPI poll reads it inside an
//! RCU read-side critical section ([`NetDevice::xdp_prog`]). `bpf_prog_put()` frees a replaced
//! program only after a grace period, so a poll that still runs it is safe.

use core::ops::Range;

use kernel::{
    prelude::*,
    sync::rcu, //
};

use super::{ffi, netdev::NetDevice};

pub(crate) use super::ffi::{XDP_HEADROOM, XDP_TAILROOM};

/// Why a driver refuses a program: the error `ndo_bpf` returns, and the message the user sees
/// (netlink extended ack, e.g. from `ip link set ... xdp`).
#[derive(Debug)]
pub(crate) struct XdpRefusal {
    /// The error.
    pub(crate) err: Error,
    /// What to tell the user.
    pub(crate) msg: &'static CStr,
}

/// What a program decided for a frame (`enum xdp_action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XdpAction {
    /// `XDP_ABORTED`: the program failed; drop the frame and trace an exception.
    Aborted,
    /// `XDP_DROP`: drop the frame.
    Drop,
    /// `XDP_PASS`: hand the (possibly modified) frame to the stack.
    Pass,
    /// `XDP_TX`: send the frame back out of the device it came in on.
    Tx,
    /// `XDP_REDIRECT`: send the frame to another device, CPU or socket.
    Redirect,
    /// A value the kernel does not define.
    Invalid(u32),
}

impl XdpAction {
    fn from_raw(act: u32) -> Self {
        match act {
            0 => Self::Aborted,
            1 => Self::Drop,
            2 => Self::Pass,
            3 => Self::Tx,
            4 => Self::Redirect,
            other => Self::Invalid(other),
        }
    }

    fn as_raw(self) -> u32 {
        match self {
            Self::Aborted => 0,
            Self::Drop => 1,
            Self::Pass => 2,
            Self::Tx => 3,
            Self::Redirect => 4,
            Self::Invalid(act) => act,
        }
    }
}

/// An XDP program (`struct bpf_prog`).
///
/// # Invariants
///
/// A `&XdpProg` points to a valid program for its lifetime: one that a caller of `ndo_bpf`
/// holds a reference to, or one attached to a device while an RCU read lock is held.
#[repr(transparent)]
pub(crate) struct XdpProg(kernel::types::Opaque<ffi::bpf_prog>);

impl XdpProg {
    /// Creates a reference to an [`XdpProg`].
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct bpf_prog` for the lifetime `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut ffi::bpf_prog) -> &'a Self {
        // SAFETY: Transparent wrapper; validity from the caller.
        unsafe { &*ptr.cast() }
    }

    fn as_raw(&self) -> *mut ffi::bpf_prog {
        self.0.get()
    }

    /// Runs the program on the frame at `frame` in `buf`, received by `dev` (whose receive
    /// queue is registered for XDP: the device is open). The program may move the start and
    /// the end of the frame within `buf`; returns its verdict and where the frame is now.
    ///
    /// Returns `None`, without running the program, unless the frame leaves the headroom
    /// (`XDP_PACKET_HEADROOM`) free before it and the `skb_shared_info` room after it that XDP
    /// expects, or when `buf` is larger than an XDP frame may be.
    pub(crate) fn run(
        &self,
        dev: &NetDevice,
        buf: &mut [u8],
        frame: Range<usize>,
    ) -> Option<(XdpAction, Range<usize>)> {
        if frame.start < XDP_HEADROOM
            || frame.start > frame.end
            || frame.end.checked_add(XDP_TAILROOM)? > buf.len()
        {
            return None;
        }
        let frame_sz = u32::try_from(buf.len()).ok()?;
        let mut off = u32::try_from(frame.start).ok()?;
        let mut len = u32::try_from(frame.len()).ok()?;
        // SAFETY: By the type invariant, the program is valid; `dev` is a valid device, open
        // (the caller's guarantee), so its receive queue is registered. `buf` is `frame_sz`
        // writable bytes that nothing else uses during the call, with the frame at `off`
        // inside it and the head- and tailroom XDP needs around it (checked above): the
        // program and the XDP helpers access only `buf`.
        let act = unsafe {
            ffi::rvnet_xdp_run(
                self.as_raw(),
                dev.as_raw(),
                buf.as_mut_ptr(),
                frame_sz,
                &mut off,
                &mut len,
            )
        };
        let start = usize::try_from(off).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        // The helpers keep the frame inside the buffer; do not take that on trust either.
        (end <= buf.len()).then_some((XdpAction::from_raw(act), start..end))
    }

    /// Reports a frame the driver dropped because of `act` (`XDP_ABORTED`, or a verdict it
    /// does not support): warns once about an invalid one (`bpf_warn_invalid_xdp_action()`),
    /// and traces `xdp:xdp_exception`.
    pub(crate) fn exception(&self, dev: &NetDevice, act: XdpAction) {
        // SAFETY: By the type invariant, the program is valid; `dev` is a valid device.
        unsafe { ffi::rvnet_xdp_exception(self.as_raw(), dev.as_raw(), act.as_raw()) };
    }
}

impl NetDevice {
    /// The XDP program attached to the device, if any, valid while `guard` is held.
    pub(crate) fn xdp_prog<'g>(&'g self, _guard: &'g rcu::Guard) -> Option<&'g XdpProg> {
        // SAFETY: By the type invariant, `self` is a valid rvnet device; the RCU read lock is
        // held (`_guard`), which `rcu_dereference()` needs.
        let prog = unsafe { ffi::rvnet_xdp_prog(self.as_raw()) };
        // SAFETY: An attached program holds a reference that `ndo_bpf` puts only after
        // replacing the pointer, and `bpf_prog_put()` frees it only after an RCU grace period:
        // the program stays valid while `_guard` is held.
        (!prog.is_null()).then(|| unsafe { XdpProg::from_raw(prog) })
    }

    /// Whether an XDP program is attached.
    pub(crate) fn xdp_attached(&self) -> bool {
        // SAFETY: By the type invariant, `self` is a valid rvnet device; the pointer is only
        // compared, not followed.
        unsafe { ffi::rvnet_xdp_attached(self.as_raw()) }
    }
}
