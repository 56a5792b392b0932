// SPDX-License-Identifier: GPL-2.0

//! AF_XDP zero-copy: the buffer pool (`struct xsk_buff_pool`) of an AF_XDP socket bound to the
//! device's queue pair, whose memory (the socket's UMEM) the device then reads and writes.
//!
//! C headers: [`include/net/xdp_sock_drv.h`](srctree/include/net/xdp_sock_drv.h),
//! [`include/net/xsk_buff_pool.h`](srctree/include/net/xsk_buff_pool.h).
//!
//! `ndo_bpf` with `XDP_SETUP_XSK_POOL` hands the driver a pool to bind, then a null one to
//! unbind it; the core keeps the pool alive in between. [`XskBinding`] is that binding: made
//! by the adapter ([`Adapter::xsk_setup_callback`]), it registers the receive queue's XDP info
//! for the pool's memory model and maps the pool for the device; the driver drops it when told
//! to unbind, before the callback returns. The receive ring then holds the pool's buffers
//! ([`XskBuf`]), with the `virtio_net_hdr` in the last bytes of each one's headroom, and the
//! socket's transmit ring is read from the NAPI poll ([`XskPool::tx_peek`]).
//!
//! The UMEM is mapped into the socket's process, which may write it at any time: Rust never
//! makes a reference to it. The header is copied out by C, a frame for the stack or for
//! `XDP_TX` is copied by C into memory of the kernel's.

use core::ptr::NonNull;

use kernel::{
    error::from_result,
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*,
};

use super::{
    device::NetDevice,
    napi::{
        Napi,
        NapiPoll, //
    },
    ops::{
        Adapter,
        Operations, //
    },
    rtnl::Rtnl,
    skb::RxSkBuff,
    xdp::{
        XdpAction,
        XdpData,
        XdpFrame,
        XdpProg, //
    },
};
use crate::kernel_ext::ffi;

/// `XDP_WAKEUP_RX`: the socket has filled its fill ring.
pub(crate) const XDP_WAKEUP_RX: u32 = 1;
/// `XDP_WAKEUP_TX`: the socket has frames in its transmit ring.
pub(crate) const XDP_WAKEUP_TX: u32 = 2;

/// A pool bound to the device's queue pair and mapped for its DMA device; unbound when
/// dropped.
///
/// # Invariants
///
/// `pool` is the pool the core handed `ndo_bpf` to bind to `dev`, registered with the receive
/// queue's XDP info and mapped by `rvnet_xsk_bind()`. The core keeps it alive until it asks
/// to unbind it, and the driver drops this before that call returns.
pub(crate) struct XskBinding {
    dev: NonNull<ffi::net_device>,
    pool: XskPool,
}

// SAFETY: The binding is a pair of pointers to objects the kernel shares between CPUs; what is
// done with them is serialised by the driver's locks and RTNL, as the C API expects.
unsafe impl Send for XskBinding {}
// SAFETY: As above; `&XskBinding` gives no access to either object.
unsafe impl Sync for XskBinding {}

impl XskBinding {
    /// Binds `pool` to `dev`, mapping it for the device that does DMA: the device's parent.
    ///
    /// # Safety
    ///
    /// Called from `ndo_bpf` under RTNL; `pool` is the pool the core hands it to bind to
    /// `dev`, which it keeps alive until it asks `ndo_bpf` to unbind it.
    unsafe fn new(dev: &NetDevice, pool: NonNull<ffi::xsk_buff_pool>) -> Result<Self> {
        let raw_dev = NonNull::new(dev.as_raw()).ok_or(EINVAL)?;
        // SAFETY: `dev` is a valid device; its parent is the bound platform device.
        let dma_dev = unsafe { ffi::rvnet_netdev_parent(dev.as_raw()) };
        // SAFETY: Under RTNL, with a valid device and the pool to bind (safety requirements);
        // `dma_dev` is the device the driver maps its DMA memory for.
        kernel::error::to_result(unsafe {
            ffi::rvnet_xsk_bind(dev.as_raw(), pool.as_ptr(), dma_dev.cast::<c_void>())
        })?;
        // INVARIANT: Bound and mapped above; the pool's lifetime is the core's promise.
        Ok(Self {
            dev: raw_dev,
            pool: XskPool(pool),
        })
    }

    /// The pool, bound while `self` lives.
    pub(crate) fn pool(&self) -> &XskPool {
        &self.pool
    }

    /// A second handle to the pool, for the transmit queue.
    ///
    /// # Safety
    ///
    /// The handle must be dropped before `self` is.
    pub(crate) unsafe fn share(&self) -> XskPool {
        // INVARIANT: Bound until `self` is dropped, which the caller waits for.
        XskPool(self.pool.0)
    }
}

impl Drop for XskBinding {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the pool is bound to the device and mapped; the
        // driver holds none of its buffers any more (it drops every `XskBuf` first).
        unsafe { ffi::rvnet_xsk_unbind(self.dev.as_ptr(), self.pool.as_raw()) };
    }
}

/// A bound pool, as the queues use it.
///
/// # Invariants
///
/// The pool is bound to the device ([`XskBinding`]) while the handle lives.
pub(crate) struct XskPool(NonNull<ffi::xsk_buff_pool>);

// SAFETY: As for `XskBinding`: the pool's ring operations are serialised by the queue locks.
unsafe impl Send for XskPool {}
// SAFETY: As above.
unsafe impl Sync for XskPool {}

impl XskPool {
    fn as_raw(&self) -> *mut ffi::xsk_buff_pool {
        self.0.as_ptr()
    }

    /// How many bytes of frame a buffer takes (`xsk_pool_get_rx_frame_size()`).
    pub(crate) fn rx_frame_size(&self) -> u32 {
        // SAFETY: The pool is bound (type invariant).
        unsafe { ffi::rvnet_xsk_rx_frame_size(self.as_raw()) }
    }

    /// A buffer from the socket's fill ring, or `None` when it is empty. Called under the
    /// receive queue's lock.
    pub(crate) fn alloc(&self) -> Option<XskBuf> {
        // SAFETY: The pool is bound (type invariant); the receive queue's lock serialises
        // allocations.
        let xdp = NonNull::new(unsafe { ffi::rvnet_xsk_alloc(self.as_raw()) })?;
        // INVARIANT: A buffer the pool gave, owned now.
        Some(XskBuf(xdp))
    }

    /// The next frame in the socket's transmit ring, if any: the DMA address of its bytes,
    /// synced for the device, and its length. Its address is reserved in the completion ring:
    /// [`tx_completed`](Self::tx_completed) gives it back. Called under the transmit lock.
    pub(crate) fn tx_peek(&self) -> Option<(u64, u32)> {
        let (mut dma, mut len) = (0, 0);
        // SAFETY: The pool is bound (type invariant); the transmit lock serialises the
        // transmit ring's reader. `dma` and `len` are writable.
        unsafe { ffi::rvnet_xsk_tx_peek(self.as_raw(), &mut dma, &mut len) }.then_some((dma, len))
    }

    /// Tells the socket the frames [`tx_peek`](Self::tx_peek) took are taken: their slots in
    /// the transmit ring are free.
    pub(crate) fn tx_release(&self) {
        // SAFETY: The pool is bound (type invariant); under the transmit lock.
        unsafe { ffi::rvnet_xsk_tx_release(self.as_raw()) };
    }

    /// Gives the socket back the next `n` frames taken, in the order they were taken, through
    /// its completion ring.
    pub(crate) fn tx_completed(&self, n: u32) {
        // SAFETY: The pool is bound (type invariant); under the transmit lock.
        unsafe { ffi::rvnet_xsk_tx_completed(self.as_raw(), n) };
    }

    /// Whether the socket asked to be told when the driver needs a wake-up
    /// (`XDP_USE_NEED_WAKEUP`).
    pub(crate) fn uses_need_wakeup(&self) -> bool {
        // SAFETY: The pool is bound (type invariant).
        unsafe { ffi::rvnet_xsk_uses_need_wakeup(self.as_raw()) }
    }

    /// Tells a socket that uses it whether the driver needs a wake-up (`sendto()`, `poll()`)
    /// to go on receiving (`rx`: the fill ring ran dry) or sending.
    pub(crate) fn need_wakeup(&self, rx: bool, need: bool) {
        // SAFETY: The pool is bound (type invariant); the flags are the socket's rings'.
        unsafe { ffi::rvnet_xsk_need_wakeup(self.as_raw(), rx, need) };
    }
}

/// A receive buffer of a bound pool (`struct xdp_buff` of a `struct xdp_buff_xsk`), given back
/// to the pool when dropped.
///
/// # Invariants
///
/// The buffer was allocated from a bound pool and is owned by this value.
pub(crate) struct XskBuf(NonNull<ffi::xdp_buff>);

// SAFETY: A buffer of the pool may be freed on any CPU; its owner is the receive queue.
unsafe impl Send for XskBuf {}

/// What became of a pool's buffer that a program ran on.
pub(crate) enum XskRun {
    /// Redirected (`XDP_REDIRECT`): to an AF_XDP socket without a copy, elsewhere copied.
    Redirected,
    /// Any other verdict (a refused redirect is `XDP_DROP`), with the buffer.
    Verdict(XdpAction, XskBuf),
}

impl XskBuf {
    fn as_raw(&self) -> *mut ffi::xdp_buff {
        self.0.as_ptr()
    }

    /// The DMA address for the device to write to: `hdr_len` bytes before the frame, for the
    /// `virtio_net_hdr`, within the headroom (`XDP_PACKET_HEADROOM`, 256 bytes, which
    /// [`XskBinding`]'s caller checks `hdr_len` against).
    pub(crate) fn dma_address(&self, hdr_len: u32) -> u64 {
        // SAFETY: The buffer is valid and owned (type invariant).
        unsafe { ffi::rvnet_xsk_dma(self.as_raw(), hdr_len) }
    }

    /// The device wrote `len` bytes of frame after a `hdr_len`-byte header: the buffer holds
    /// the frame, visible to the CPU, and returns the header's first bytes (as many as `hdr`
    /// has, at most `hdr_len`). `len` is at most what the buffer was posted for.
    pub(crate) fn received(&mut self, len: u32, hdr_len: u32, hdr: &mut [u8]) {
        let n = u32::try_from(hdr.len()).unwrap_or(0);
        // SAFETY: The buffer is valid and owned (type invariant), posted for its frame size
        // after `hdr_len` bytes of headroom, so `len` bytes fit; `hdr` is writable for `n`.
        unsafe { ffi::rvnet_xsk_received(self.as_raw(), len, hdr_len, hdr.as_mut_ptr(), n) };
    }

    /// Runs `prog` on the frame, received by `dev` in its NAPI poll (`_poll`: a redirect needs
    /// the poll's context and a flush at its end), and carries out `XDP_REDIRECT`.
    pub(crate) fn run(self, prog: &XdpProg, dev: &NetDevice, _poll: &NapiPoll<'_>) -> XskRun {
        let mut redirected = false;
        // SAFETY: The program and `dev` are valid; the buffer is owned, its `rxq` the XDP info
        // of the device's receive queue registered for the pool ([`XskBinding`]); this runs in
        // the device's NAPI poll. On a redirect the buffer passed to the kernel.
        let act = unsafe {
            ffi::rvnet_xsk_run(prog.as_raw(), dev.as_raw(), self.as_raw(), &mut redirected)
        };
        if redirected {
            core::mem::forget(self);
            return XskRun::Redirected;
        }
        match XdpAction::from_raw(act) {
            XdpAction::Redirect => XskRun::Verdict(XdpAction::Drop, self),
            act => XskRun::Verdict(act, self),
        }
    }

    /// The frame, copied into a socket buffer from the poll's cache; the buffer goes back to
    /// the pool. `None` when memory is short.
    pub(crate) fn into_skb(self, poll: &NapiPoll<'_>) -> Option<RxSkBuff> {
        // SAFETY: The buffer is valid and owned; this runs in the NAPI poll of `poll`, in
        // softirq context, as `napi_alloc_skb()` needs. The buffer stays the caller's.
        let skb = unsafe { ffi::rvnet_xsk_to_skb(poll.napi().as_raw(), self.as_raw()) };
        // SAFETY: A new socket buffer, owned by nobody else, filled to its end.
        NonNull::new(skb).map(|skb| unsafe { RxSkBuff::from_raw(skb, 0) })
    }

    /// The frame, copied into a frame of its own in a page of the kernel's, for `XDP_TX`; the
    /// buffer goes back to the pool. `None` when memory is short.
    pub(crate) fn into_frame(self) -> Option<OwnedXdpFrame> {
        // SAFETY: The buffer is valid and owned; the helper frees it when it made a frame.
        let frame = NonNull::new(unsafe { ffi::rvnet_xsk_to_frame(self.as_raw()) })?;
        core::mem::forget(self);
        // INVARIANT: A new frame, owned by nobody else.
        Some(OwnedXdpFrame(frame))
    }
}

impl Drop for XskBuf {
    fn drop(&mut self) {
        // SAFETY: The buffer is valid and owned (type invariant); it goes back to its pool.
        unsafe { ffi::rvnet_xsk_free(self.as_raw()) };
    }
}

/// A frame of the driver's (`struct xdp_frame`), given back to its memory model when
/// dropped.
///
/// # Invariants
///
/// The frame is valid and owned by this value.
pub(crate) struct OwnedXdpFrame(NonNull<ffi::xdp_frame>);

impl OwnedXdpFrame {
    fn frame(&self) -> &XdpFrame {
        // SAFETY: Valid while `self` is (type invariant); `XdpFrame` is a transparent wrapper.
        unsafe { XdpFrame::from_raw(self.0.as_ptr()) }
    }
}

impl XdpData for OwnedXdpFrame {
    fn len(&self) -> usize {
        self.frame().len()
    }

    fn for_each_chunk(&self, f: impl FnMut(&[u8]) -> Result) -> Result {
        self.frame().for_each_chunk(f)
    }
}

impl Drop for OwnedXdpFrame {
    fn drop(&mut self) {
        // SAFETY: Owned and valid (type invariant); nothing refers to it after this.
        unsafe { ffi::rvnet_xdp_return_frame(self.0.as_ptr()) };
    }
}

impl Napi {
    /// Schedules a poll from process context (`ndo_xsk_wakeup`): if one runs already, it polls
    /// again; otherwise the softirq runs it as bottom halves come back on.
    pub(crate) fn schedule_from_process(&self) {
        // SAFETY: By the type invariant of `Napi`, the context is valid.
        unsafe { ffi::rvnet_napi_schedule_bh(self.as_raw()) };
    }
}

impl<T: Operations> Adapter<T> {
    /// `ndo_bpf` with `XDP_SETUP_XSK_POOL`: bind `pool` (or, null, unbind the one bound) to
    /// queue pair `queue`.
    ///
    /// # Safety
    ///
    /// As for [`Adapter::from_raw`]; called under RTNL, with a pool the core keeps alive until
    /// it asks to unbind it.
    pub(crate) unsafe fn xsk_setup_callback(
        dev: *mut ffi::net_device,
        pool: *mut ffi::xsk_buff_pool,
        queue: u16,
    ) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: `ndo_bpf` runs under RTNL, in process context.
        let rtnl = unsafe { Rtnl::assume() };
        from_result(|| {
            if u32::from(queue) >= T::queue_pairs(data) {
                return Err(EINVAL);
            }
            let binding = match NonNull::new(pool) {
                // SAFETY: Under RTNL, the pool the core hands `ndo_bpf` to bind.
                Some(pool) => Some(unsafe { XskBinding::new(netdev, pool) }?),
                None => None,
            };
            T::xsk_setup(netdev, data, &rtnl, binding)?;
            Ok(0)
        })
    }

    /// `ndo_xsk_wakeup`.
    ///
    /// # Safety
    ///
    /// As for [`Adapter::from_raw`].
    pub(crate) unsafe fn xsk_wakeup_callback(
        dev: *mut ffi::net_device,
        queue: u32,
        flags: u32,
    ) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        from_result(|| {
            if queue >= T::queue_pairs(data) {
                return Err(EINVAL);
            }
            T::xsk_wakeup(netdev, data, flags)?;
            Ok(0)
        })
    }
}
