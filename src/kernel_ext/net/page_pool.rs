// SPDX-License-Identifier: GPL-2.0

//! Page pools (`struct page_pool`): receive buffers in pages that the pool maps for the device
//! and recycles when the stack frees them.
//!
//! C header: [`include/net/page_pool/helpers.h`](srctree/include/net/page_pool/helpers.h).

use core::{
    mem::ManuallyDrop,
    ptr::NonNull, //
};

use kernel::{
    device::{
        Bound,
        Device, //
    },
    ffi::{
        c_uint,
        c_void, //
    },
    prelude::*,
};

use crate::kernel_ext::{
    fault,
    ffi,
    net::napi::Napi, //
};

/// A page pool for one receive queue: order-0 pages, DMA-mapped for `DMA_FROM_DEVICE` by the
/// pool. Allocation needs `&mut` (the pool's allocation side is not thread-safe: one NAPI
/// context, or probe before there is one). Destroyed when dropped; pages still out (in socket
/// buffers, in [`PoolBuf`]s) keep it alive until they come back, and the kernel unmaps them
/// (`page_pool_destroy()`).
///
/// # Invariants
///
/// `pool` is a page pool created by `rvnet_page_pool_create()` and not yet destroyed.
pub(crate) struct PagePool {
    pool: NonNull<ffi::page_pool>,
}

impl PagePool {
    /// A pool of pages mapped for `dev`, sized for a ring of `size` buffers.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the pool cannot be created.
    pub(crate) fn new(dev: &Device<Bound>, size: u32) -> Result<Self> {
        // CAST: `Device` is a transparent wrapper of `struct device` (its type invariant).
        let dev = core::ptr::from_ref(dev).cast::<c_void>().cast_mut();
        // SAFETY: `dev` is a valid, bound device; the pool maps pages for it until it is
        // destroyed, which the driver does before the device is unbound (the pool is part of
        // the driver data), and the kernel unmaps pages still out then.
        let pool = unsafe { ffi::rvnet_page_pool_create(dev, size) };
        // INVARIANT: A new pool.
        Ok(Self {
            pool: NonNull::new(pool).ok_or(ENOMEM)?,
        })
    }

    /// A buffer of `size` bytes (at most a page; several share a page when they fit), mapped
    /// for the device. `None` when memory is short, or a test's fault point said so.
    pub(crate) fn alloc(&mut self, size: u32) -> Option<PoolBuf> {
        if fault::rx_alloc() {
            return None;
        }
        let (mut offset, mut dma): (c_uint, u64) = (0, 0);
        let pool = self.pool.as_ptr();
        // SAFETY: By the type invariant the pool is valid; `&mut self` makes this the only
        // allocation running on it. `offset` and `dma` are valid for writing.
        let page = unsafe { ffi::rvnet_page_pool_alloc(pool, size, &mut offset, &mut dma) };
        // INVARIANT: A fragment of a pool page, whose reference passes to the buffer.
        Some(PoolBuf {
            pool: self.pool,
            page: NonNull::new(page)?,
            offset,
            len: size,
            dma,
        })
    }
}

impl PagePool {
    /// The means to attach a NAPI context to the pool later, when the pool may already sit
    /// behind a spinlock: attaching takes a mutex.
    pub(crate) fn napi_attach(&self) -> NapiAttach {
        // INVARIANT: Taken from this pool.
        NapiAttach { pool: self.pool }
    }
}

/// Attaches a NAPI context to a [`PagePool`] (from [`PagePool::napi_attach`]), so that pages
/// the stack frees inside that context's poll, on the CPU running it, go straight back to the
/// pool's cache, without its ring's lock (`page_pool_enable_direct_recycling()`, what
/// `page_pool_params.napi` does for a pool made after its NAPI context).
///
/// # Invariants
///
/// `pool` is the pool this was taken from.
pub(crate) struct NapiAttach {
    pool: NonNull<ffi::page_pool>,
}

impl NapiAttach {
    /// Attaches `napi`; attaching it again does nothing. Sleeps (the kernel's page pool
    /// mutex): process context, no spinlock held.
    ///
    /// # Safety
    ///
    /// The pool must not be dropped yet, and `napi` must stay valid until it is: the pool's
    /// destruction detaches it, with its NAPI context disabled
    /// (`page_pool_disable_direct_recycling()`).
    pub(crate) unsafe fn attach(&self, napi: &Napi) {
        // SAFETY: By the type invariant and the caller's guarantee the pool is valid, and the
        // NAPI context outlives it. The function serialises with other attachments through
        // the kernel's page pool mutex and only publishes the pointer, which the pool's users
        // read with `READ_ONCE()`.
        unsafe { ffi::page_pool_enable_direct_recycling(self.pool.as_ptr(), napi.as_raw()) };
    }
}

// SAFETY: `NapiAttach` is a pointer to a page pool, whose attachment may be made from any thread.
unsafe impl Send for NapiAttach {}
// SAFETY: `attach` takes `&self` and the kernel serialises attachments with a mutex.
unsafe impl Sync for NapiAttach {}

impl Drop for PagePool {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the pool is valid and not yet destroyed; it is not used
        // again. Buffers still out hold it until they return (`PoolBuf`'s invariant).
        unsafe { ffi::rvnet_page_pool_destroy(self.pool.as_ptr()) };
    }
}

// SAFETY: The pool may be used from any thread; allocation is serialised by `&mut`.
unsafe impl Send for PagePool {}

/// One buffer from a [`PagePool`]: `len` bytes at `offset` in `page`, at `dma` for the device.
/// Returned to the pool when dropped, or handed to a socket buffer as a fragment.
///
/// # Invariants
///
/// The buffer holds one reference of `page`, a page of `pool`; that reference keeps the pool
/// alive, destroyed or not, until the page returns. The page is an order-0 page mapped in the
/// kernel's address space (the pool allocates no high memory), and `offset + len` is at most
/// its size. `dma` is where the device sees byte `offset`.
pub(crate) struct PoolBuf {
    pool: NonNull<ffi::page_pool>,
    page: NonNull<ffi::page>,
    offset: c_uint,
    len: c_uint,
    dma: u64,
}

impl PoolBuf {
    /// Where the device sees the buffer.
    pub(crate) fn dma_address(&self) -> u64 {
        self.dma
    }

    /// Size of the buffer, in bytes.
    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    /// Makes the first `len` bytes, which the device wrote, visible to the CPU (a no-op on
    /// coherent machines).
    pub(crate) fn sync_for_cpu(&self, len: u32) {
        // SAFETY: By the type invariant the page is the pool's, which is alive, and the range
        // lies within the buffer.
        unsafe {
            ffi::rvnet_page_pool_sync_for_cpu(
                self.pool.as_ptr(),
                self.page.as_ptr(),
                self.offset,
                len.min(self.len),
            )
        };
    }

    /// Copies bytes `at..at + dst.len()` of the buffer into `dst`.
    ///
    /// # Errors
    ///
    /// `ERANGE` when the range is not within the buffer.
    pub(crate) fn read(&self, at: usize, dst: &mut [u8]) -> Result {
        let len = usize::try_from(self.len).map_err(|_| ERANGE)?;
        if at.checked_add(dst.len()).is_none_or(|end| end > len) {
            return Err(ERANGE);
        }
        // SAFETY: By the type invariant the page is mapped in the kernel's address space.
        let base = unsafe { ffi::rvnet_page_address(self.page.as_ptr()) }.cast::<u8>();
        // CAST: `offset` is below the page size.
        let start = self.offset as usize + at;
        // SAFETY: `start + dst.len()` lies within the page (checked above, and the type
        // invariant), which nothing frees while the buffer holds it. The device has returned
        // the buffer; one that writes it anyway can change only bytes this copies, and the
        // driver checks what it copied, never the page.
        unsafe { core::ptr::copy_nonoverlapping(base.add(start), dst.as_mut_ptr(), dst.len()) };
        Ok(())
    }

    /// The buffer's page, its offset in it and its length, the reference still held.
    pub(super) fn raw_parts(&self) -> (NonNull<ffi::page>, c_uint, c_uint) {
        (self.page, self.offset, self.len)
    }

    /// Gives up the buffer's page reference, to a socket buffer: `(page, offset, len)`.
    pub(super) fn into_raw(self) -> (NonNull<ffi::page>, c_uint, c_uint) {
        let this = ManuallyDrop::new(self);
        (this.page, this.offset, this.len)
    }
}

impl Drop for PoolBuf {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the buffer holds a reference of a page of `pool`,
        // which is alive; it is given back once. Any context may return a page this way.
        unsafe { ffi::rvnet_page_pool_put(self.pool.as_ptr(), self.page.as_ptr()) };
    }
}

// SAFETY: A page reference may be used and given back on any thread.
unsafe impl Send for PoolBuf {}
