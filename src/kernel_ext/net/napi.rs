// SPDX-License-Identifier: GPL-2.0

//! NAPI: a device's polling context (`struct napi_struct`), and what only a running poll may
//! do with it.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h).

use core::ptr::NonNull;

use kernel::{
    ffi::c_int,
    types::Opaque, //
};

use super::{
    page_pool::PoolBuf,
    skb::{
        RxSkBuff,
        SkBuff,
        SHINFO_ROOM, //
    },
};
use crate::kernel_ext::ffi;

/// A NAPI context (`struct napi_struct`), as anyone may use it: to schedule a poll.
///
/// # Invariants
///
/// A `&Napi` points to a valid, initialised `struct napi_struct` (added to its device with
/// `netif_napi_add()`) for its lifetime: the one in the private area of an rvnet
/// `net_device`, beside the timer of [`Napi::poll_later`].
#[repr(transparent)]
pub(crate) struct Napi(Opaque<ffi::napi_struct>);

impl Napi {
    /// Creates a reference to a [`Napi`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to the NAPI context of an rvnet `net_device` (`rvnet_netdev_napi()`, or
    /// the one its poll is called with), valid for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut ffi::napi_struct) -> &'a Self {
        // SAFETY: Transparent wrapper; validity from the caller.
        unsafe { &*ptr.cast() }
    }

    pub(super) fn as_raw(&self) -> *mut ffi::napi_struct {
        self.0.get()
    }

    /// Schedules a poll, unless one is pending or NAPI is disabled (`napi_schedule()`). May be
    /// called from interrupt context.
    pub(crate) fn schedule(&self) {
        // SAFETY: By the type invariant, the NAPI context is valid.
        unsafe { ffi::rvnet_napi_schedule(self.as_raw()) };
    }

    /// Asks for a poll for work no interrupt will announce (transmit completions of a
    /// burst's tail), unless another poll does it first and says so
    /// ([`poll_later_done`](Self::poll_later_done)): a timer checks once per tick, and a
    /// request no poll withdrew for a whole tick gets a poll of its own, one to two ticks after
    /// it was made. Asking again while a request stands costs one test. May be called from
    /// any context.
    ///
    /// Calls of this and [`poll_later_done`](Self::poll_later_done) must be serialised (a lock
    /// of the caller's).
    pub(crate) fn poll_later(&self) {
        // SAFETY: By the type invariant, the NAPI context is valid and in an rvnet
        // `net_device`'s private area, with its timer.
        unsafe { ffi::rvnet_napi_poll_later(self.as_raw()) };
    }

    /// Withdraws the request of [`poll_later`](Self::poll_later): a poll did the work. One
    /// store.
    pub(crate) fn poll_later_done(&self) {
        // SAFETY: By the type invariant, the NAPI context is valid and in an rvnet
        // `net_device`'s private area.
        unsafe { ffi::rvnet_napi_poll_later_done(self.as_raw()) };
    }

    /// Enables polling (`napi_enable()`). Only the `ndo_open` adapter calls it.
    ///
    /// # Safety
    ///
    /// NAPI must be disabled, and no other `enable`/`disable` may run concurrently (RTNL).
    pub(super) unsafe fn enable(&self) {
        // SAFETY: By the type invariant, the NAPI context is valid; disabled by the safety
        // requirements.
        unsafe { ffi::napi_enable(self.as_raw()) };
    }

    /// Disables polling and waits for a running poll to finish (`napi_disable()`), then stops
    /// the timer of [`poll_later`](Self::poll_later): no poll starts after this. May
    /// sleep. Only the `ndo_stop` adapter (and a failing `ndo_open`) calls it.
    ///
    /// # Safety
    ///
    /// NAPI must be enabled, and no other `enable`/`disable` may run concurrently (RTNL).
    pub(super) unsafe fn disable(&self) {
        // SAFETY: By the type invariant, the NAPI context is valid; enabled by the safety
        // requirements.
        unsafe { ffi::rvnet_napi_disable(self.as_raw()) };
    }
}

// SAFETY: The methods of `Napi` may be called from any thread.
unsafe impl Send for Napi {}
// SAFETY: `napi_schedule()` may race with itself and with polls; `enable`/`disable` are
// serialised by RTNL (their safety requirements).
unsafe impl Sync for Napi {}

/// A running NAPI poll: the only way to complete it, allocate socket buffers from the NAPI
/// cache and hand packets to GRO. The poll adapter makes one for each poll call.
///
/// # Invariants
///
/// `napi` is being polled on this CPU for the lifetime `'a`, with a budget of `budget`: in
/// softirq context unless the budget is 0 (netpoll may poll from any context).
pub(crate) struct NapiPoll<'a> {
    napi: &'a Napi,
    budget: u32,
}

impl<'a> NapiPoll<'a> {
    /// The context of the poll running `napi`.
    ///
    /// # Safety
    ///
    /// The caller must be `napi`'s poll function, called with `budget`, for the duration of
    /// `'a`.
    pub(super) unsafe fn new(napi: &'a Napi, budget: u32) -> Self {
        // INVARIANT: By the safety requirements.
        Self { napi, budget }
    }

    /// The NAPI context, e.g. to schedule another poll.
    pub(crate) fn napi(&self) -> &'a Napi {
        self.napi
    }

    /// Ends a poll that did `work` (less than its budget) units of work
    /// (`napi_complete_done()`). Returns whether the poll is really over: if not, the core
    /// polls again and interrupts must stay off.
    pub(crate) fn complete_done(&self, work: u32) -> bool {
        let work = c_int::try_from(work).unwrap_or(c_int::MAX);
        // SAFETY: By the type invariant, the context is valid and being polled here.
        unsafe { ffi::napi_complete_done(self.napi.as_raw(), work) }
    }

    /// Allocates a socket buffer for `len` bytes of received packet, from the NAPI cache
    /// (`napi_alloc_skb()`). `None` when memory is short.
    pub(crate) fn alloc_skb(&self, len: u32) -> Option<RxSkBuff> {
        // SAFETY: By the type invariant, the context is valid and being polled here, in
        // softirq context, as `napi_alloc_skb()` requires.
        let skb = NonNull::new(unsafe { ffi::napi_alloc_skb(self.napi.as_raw(), len) })?;
        // SAFETY: A new `sk_buff` with `len` bytes of tail room, owned by nobody else.
        Some(unsafe { RxSkBuff::from_raw(skb, len) })
    }

    /// A socket buffer around `buf` (`napi_build_skb()`), holding the `len` bytes at `at`; the
    /// buffer's last [`SHINFO_ROOM`] bytes take its shared information, and freeing it returns
    /// the buffer to its pool. No copy, and the stack sees one linear packet.
    ///
    /// # Errors
    ///
    /// `buf` back when memory is short or the packet leaves the buffer's end no room.
    pub(crate) fn build_skb(&self, buf: PoolBuf, at: u32, len: u32) -> Result<RxSkBuff, PoolBuf> {
        let fits = at
            .checked_add(len)
            .and_then(|end| end.checked_add(SHINFO_ROOM))
            .is_some_and(|end| end <= buf.len());
        if !fits {
            return Err(buf);
        }
        let (page, offset, truesize) = buf.raw_parts();
        // SAFETY: The page is a pool's, valid while `buf` holds its reference; the buffer is
        // `truesize` bytes at `offset` in it, with the packet at `at..at + len` and
        // `SHINFO_ROOM` bytes after it (checked above). This runs in a NAPI poll, in softirq
        // context, as `napi_build_skb()` requires.
        let skb = unsafe { ffi::rvnet_napi_build_skb(page.as_ptr(), offset, truesize, at, len) };
        let Some(skb) = NonNull::new(skb) else {
            return Err(buf);
        };
        // The skb holds the page reference now.
        let _ = buf.into_raw();
        // SAFETY: A new `sk_buff`, owned by nobody else, its data up to the shared information.
        Ok(unsafe { RxSkBuff::from_raw(skb, 0) })
    }

    /// Frees a packet the device has sent (`napi_consume_skb()`): into the poll's cache of
    /// socket buffers to recycle, or, with a budget of 0, as `dev_consume_skb_any()` does.
    pub(crate) fn consume_skb(&self, skb: SkBuff) {
        let skb = skb.into_raw();
        let budget = c_int::try_from(self.budget).unwrap_or(c_int::MAX);
        // SAFETY: `skb` was owned and is not used again. By the type invariant a non-zero
        // budget means this CPU runs the poll in softirq context, as `napi_consume_skb()`
        // then requires; with 0 it takes the path for any context.
        unsafe { ffi::napi_consume_skb(skb.as_ptr(), budget) };
    }

    /// Hands a received packet to the stack: `eth_type_trans()`, then GRO
    /// (`napi_gro_receive()`).
    pub(crate) fn receive(&self, skb: RxSkBuff) {
        let skb = skb.into_raw();
        // SAFETY: By the type invariants, the context is being polled here and its device is
        // valid; `skb` was owned, and its ownership passes to the stack.
        unsafe { ffi::rvnet_napi_receive(self.napi.as_raw(), skb.as_ptr()) };
    }
}
