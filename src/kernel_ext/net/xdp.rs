// SPDX-License-Identifier: GPL-2.0

//! XDP: the program attached to a network device, and running it on a received frame.
//!
//! C headers: [`include/linux/filter.h`](srctree/include/linux/filter.h),
//! [`include/net/xdp.h`](srctree/include/net/xdp.h).
//!
//! The device's private area (`shim.c`) holds the program as an RCU pointer: `ndo_bpf` replaces
//! it under RTNL ([`ops::Adapter`](super::ops::Adapter)), the NAPI poll reads it inside an
//! RCU read-side critical section ([`NetDevice::xdp_prog`]). `bpf_prog_put()` frees a replaced
//! program only after a grace period, so a poll that still runs it is safe.

use core::ops::Range;

use kernel::{
    bindings,
    dma::CoherentView,
    io::{io_project, Io},
    page::{Page, PAGE_SIZE},
    prelude::*,
    sync::rcu, //
};

use super::{
    device::NetDevice,
    napi::NapiPoll, //
};
use crate::{kernel_ext::ffi, span};

pub(crate) use super::xdp_layout::{
    XDP_BUF_SIZE, XDP_HEADROOM, XDP_LINEAR_MAX, XDP_MAX_FRAGS, XDP_TAILROOM,
};

/// `SKB_DATA_ALIGN()`: sizes rounded up to the cache line, as `skb_shared_info` is reserved.
const fn skb_data_align(size: usize) -> usize {
    let align = bindings::SMP_CACHE_BYTES as usize;
    size.div_ceil(align) * align
}

// The layout of `xdp_layout.rs` against the kernel's values: what `xdp_prepare_buff()` and the
// helpers assume about a buffer.
const _: () = {
    assert!(XDP_HEADROOM >= bindings::XDP_PACKET_HEADROOM as usize);
    assert!(XDP_TAILROOM >= skb_data_align(size_of::<bindings::skb_shared_info>()));
    assert!(XDP_MAX_FRAGS <= bindings::MAX_SKB_FRAGS as usize);
    assert!(XDP_BUF_SIZE == PAGE_SIZE);
    assert!(XDP_HEADROOM + XDP_TAILROOM < XDP_BUF_SIZE);
};

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
    pub(super) fn from_raw(act: u32) -> Self {
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

    pub(super) fn as_raw(&self) -> *mut ffi::bpf_prog {
        self.0.get()
    }

    /// Whether the program takes frames in several buffers (`SEC("xdp.frags")`).
    pub(crate) fn has_frags(&self) -> bool {
        // SAFETY: By the type invariant, the program is valid.
        unsafe { ffi::rvnet_xdp_has_frags(self.as_raw()) }
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

    /// Whether an XDP program that needs linear frames (no `xdp.frags`) is attached. Called
    /// under RTNL (`ndo_change_mtu`), which keeps the program from changing meanwhile.
    pub(crate) fn xdp_needs_linear(&self) -> bool {
        // SAFETY: By the type invariant, `self` is a valid rvnet device; the caller holds RTNL,
        // under which `rtnl_dereference()` reads the program and its flag.
        unsafe { ffi::rvnet_xdp_attached_linear(self.as_raw()) }
    }
}

/// Memory an XDP program runs on: a page for the linear part, with the head- and tailroom XDP
/// expects around the frame, and pages for the rest of a frame too large for it (multi-buffer
/// XDP, for `xdp.frags` programs). The driver copies a received packet in ([`XdpBuf::load`]),
/// runs the program ([`XdpBuf::run`]) and copies out what it left ([`XdpBuf::for_each_chunk`]).
/// A frame the program redirects leaves with its pages, and the buffer takes new ones at the
/// next [`load`](XdpBuf::load).
///
/// # Invariants
///
/// Each page of `head` and `pages` is owned, allocated without `__GFP_HIGHMEM` (so
/// `page_address()` maps it for good) and referenced nowhere else outside [`XdpBuf::run`].
/// `linear` lies within `head`'s page, and is empty without one; each `frags[..nr_frags]`
/// entry is `(page index, offset, length)` within a page of `pages`.
pub(crate) struct XdpBuf {
    head: Option<Page>,
    pages: KVec<Page>,
    linear: Range<usize>,
    frags: [(usize, usize, usize); XDP_MAX_FRAGS],
    nr_frags: usize,
}

impl XdpBuf {
    /// An empty buffer; fragment pages are allocated when a frame first needs them.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the linear buffer cannot be allocated.
    pub(crate) fn new() -> Result<Self> {
        // INVARIANT: An owned lowmem page, no fragment pages, an empty frame.
        Ok(Self {
            head: Some(Page::alloc_page(GFP_KERNEL)?),
            pages: KVec::new(),
            linear: XDP_HEADROOM..XDP_HEADROOM,
            frags: [(0, 0, 0); XDP_MAX_FRAGS],
            nr_frags: 0,
        })
    }

    /// The largest frame a buffer holds: in its linear part only, or with fragments.
    pub(crate) const fn capacity(frags: bool) -> usize {
        if frags {
            XDP_LINEAR_MAX + XDP_MAX_FRAGS * XDP_BUF_SIZE
        } else {
            XDP_LINEAR_MAX
        }
    }

    /// The bytes of `page`, one of the buffer's, mutable.
    fn bytes_mut(page: &mut Page) -> &mut [u8] {
        // SAFETY: The page is valid and owned (type invariant).
        let addr = unsafe { ffi::rvnet_page_address(page.as_ptr().cast()) }.cast::<u8>();
        // SAFETY: By the type invariant, the page is mapped at `addr` for good and is
        // `XDP_BUF_SIZE` bytes; `&mut Page` makes this the only reference to its memory.
        unsafe { core::slice::from_raw_parts_mut(addr, XDP_BUF_SIZE) }
    }

    /// The bytes of `page`, one of the buffer's.
    fn bytes(page: &Page) -> &[u8] {
        // SAFETY: The page is valid and owned (type invariant).
        let addr = unsafe { ffi::rvnet_page_address(page.as_ptr().cast()) }
            .cast::<u8>()
            .cast_const();
        // SAFETY: As in `bytes_mut`; `&Page` allows no writer meanwhile.
        unsafe { core::slice::from_raw_parts(addr, XDP_BUF_SIZE) }
    }

    /// The bytes of fragment page `index`, mutable.
    fn page_mut(&mut self, index: usize) -> Option<&mut [u8]> {
        self.pages.get_mut(index).map(Self::bytes_mut)
    }

    /// The bytes of fragment page `index`.
    fn page(&self, index: usize) -> Option<&[u8]> {
        self.pages.get(index).map(Self::bytes)
    }

    /// Makes the buffer a frame of `len` bytes, which `fill(at, dst)` writes: `dst` is the part
    /// of the frame from byte `at` on, the linear part first, then one page after another.
    /// Fragments are used only when `frags` allows them. Called from the NAPI poll: pages are
    /// allocated atomically.
    ///
    /// # Errors
    ///
    /// `EMSGSIZE` when the frame exceeds [`Self::capacity`], `ENOMEM` when a page cannot be
    /// allocated, or `fill`'s error; the buffer then holds no frame.
    pub(crate) fn load(
        &mut self,
        len: usize,
        frags: bool,
        mut fill: impl FnMut(usize, &mut [u8]) -> Result,
    ) -> Result {
        self.linear = XDP_HEADROOM..XDP_HEADROOM;
        self.nr_frags = 0;
        if len > Self::capacity(frags) {
            return Err(EMSGSIZE);
        }
        let linear = len.min(XDP_LINEAR_MAX);
        let nr_frags = (len - linear).div_ceil(XDP_BUF_SIZE);
        while self.pages.len() < nr_frags {
            let page = Page::alloc_page(GFP_ATOMIC)?;
            self.pages.push(page, GFP_ATOMIC)?;
        }
        let head = XDP_HEADROOM..XDP_HEADROOM + linear;
        let head_page = match &mut self.head {
            Some(page) => page,
            // INVARIANT: An owned lowmem page, as in `new`.
            none => none.insert(Page::alloc_page(GFP_ATOMIC)?),
        };
        fill(
            0,
            Self::bytes_mut(head_page)
                .get_mut(head.clone())
                .ok_or(EINVAL)?,
        )?;
        let mut at = linear;
        for i in 0..nr_frags {
            let n = (len - at).min(XDP_BUF_SIZE);
            fill(
                at,
                self.page_mut(i)
                    .and_then(|p| p.get_mut(..n))
                    .ok_or(EINVAL)?,
            )?;
            if let Some(frag) = self.frags.get_mut(i) {
                *frag = (i, 0, n);
            }
            at += n;
        }
        // INVARIANT: The linear part and the fragments lie within `head` and the pages.
        self.linear = head;
        self.nr_frags = nr_frags;
        Ok(())
    }

    /// The length of the frame.
    pub(crate) fn len(&self) -> usize {
        self.frags
            .iter()
            .take(self.nr_frags)
            .fold(self.linear.len(), |sum, &(_, _, len)| sum + len)
    }

    /// Runs `prog` on the frame, received by `dev` (whose receive queue is registered for XDP:
    /// the device is open), in its NAPI poll (`_poll`: `xdp_do_redirect()` needs the poll's
    /// context, and [`flush_redirects`] at its end). The program may change the frame within
    /// the buffer; returns its verdict, or `None` (no frame left) if the frame it left cannot
    /// be accounted for.
    ///
    /// `XDP_REDIRECT` is carried out here: the frame leaves with its pages (the buffer is
    /// empty after it). A redirect the kernel refuses (it traces `xdp:xdp_redirect_err`)
    /// returns `XDP_DROP`, the frame left in the buffer.
    pub(crate) fn run(
        &mut self,
        prog: &XdpProg,
        dev: &NetDevice,
        _poll: &NapiPoll<'_>,
    ) -> Option<XdpAction> {
        let mut pages = [core::ptr::null_mut(); XDP_MAX_FRAGS];
        let mut offs = [0u32; XDP_MAX_FRAGS];
        let mut lens = [0u32; XDP_MAX_FRAGS];
        let frags = self.frags.iter().take(self.nr_frags);
        for ((raw, raw_len), &(page, _, len)) in pages.iter_mut().zip(&mut lens).zip(frags) {
            *raw = self.pages.get(page)?.as_ptr().cast();
            *raw_len = u32::try_from(len).ok()?;
        }
        let mut nr_frags = u32::try_from(self.nr_frags).ok()?;
        let mut off = u32::try_from(self.linear.start).ok()?;
        let mut len = u32::try_from(self.linear.len()).ok()?;
        // CAST: `XDP_BUF_SIZE` is a page.
        let frame_sz = XDP_BUF_SIZE as u32;
        let head = Self::bytes_mut(self.head.as_mut()?).as_mut_ptr();
        let mut redirected = false;
        // No frame unless the program leaves one that checks out below.
        let nr = core::mem::replace(&mut self.nr_frags, 0);
        // SAFETY: By the type invariants, the program and `dev` are valid, and the device is
        // open (the caller's guarantee), so its receive queue is registered; this is its NAPI
        // poll (`_poll`), as a redirect needs. `head` is the owned head page, `frame_sz` bytes
        // with the frame at `off`, `XDP_HEADROOM` before it and `XDP_TAILROOM` after it
        // (`load`), for the `skb_shared_info` that XDP keeps at its end; `pages[..nr]` are
        // owned pages holding `lens[..nr]` bytes each, which the helper references for the
        // run. `&mut self` keeps everything else away from this memory; the program and the
        // XDP helpers touch only it, and the arrays have `XDP_MAX_FRAGS` entries, at least
        // `nr_frags`.
        let act = unsafe {
            ffi::rvnet_xdp_run(
                prog.as_raw(),
                dev.as_raw(),
                head,
                frame_sz,
                &mut off,
                &mut len,
                pages.as_mut_ptr(),
                offs.as_mut_ptr(),
                lens.as_mut_ptr(),
                &mut nr_frags,
                &mut redirected,
            )
        };
        let nr_frags = usize::try_from(nr_frags).ok()?;
        if redirected {
            // The frame took the head page with the buffer's reference, and each fragment it
            // kept with the run's: the buffer forgets the one and puts its own on the others.
            // The frame may be gone already (another CPU); its pages are not touched again.
            if let Some(page) = self.head.take() {
                core::mem::forget(page);
            }
            let kept = pages.get(..nr_frags.min(nr)).unwrap_or_default();
            self.pages
                .retain(|p| !kept.contains(&p.as_ptr().cast::<ffi::page>()));
            // INVARIANT: No head page, so an empty frame.
            self.linear = XDP_HEADROOM..XDP_HEADROOM;
            return Some(XdpAction::Redirect);
        }
        // The helpers keep the frame inside the buffer and fragments inside their pages; do
        // not take that on trust either.
        let start = usize::try_from(off).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        if end > XDP_BUF_SIZE || nr_frags > nr {
            return None;
        }
        let left = pages.iter().zip(&offs).zip(&lens).take(nr_frags);
        for (frag, ((&raw, &off), &len)) in self.frags.iter_mut().zip(left) {
            let page = self.pages.iter().position(|p| p.as_ptr().cast() == raw)?;
            let (off, len) = (usize::try_from(off).ok()?, usize::try_from(len).ok()?);
            if off.checked_add(len)? > XDP_BUF_SIZE {
                return None;
            }
            *frag = (page, off, len);
        }
        // INVARIANT: Checked above.
        self.linear = start..end;
        self.nr_frags = nr_frags;
        match XdpAction::from_raw(act) {
            // Refused by the kernel: dropped.
            XdpAction::Redirect => Some(XdpAction::Drop),
            act => Some(act),
        }
    }
}

impl XdpData for XdpBuf {
    fn len(&self) -> usize {
        XdpBuf::len(self)
    }

    /// The linear part, then the fragments.
    fn for_each_chunk(&self, mut f: impl FnMut(&[u8]) -> Result) -> Result {
        let head = self.head.as_ref().map(Self::bytes).unwrap_or_default();
        f(head.get(self.linear.clone()).ok_or(EINVAL)?)?;
        for &(page, off, len) in self.frags.iter().take(self.nr_frags) {
            f(self
                .page(page)
                .and_then(|p| p.get(off..off + len))
                .ok_or(EINVAL)?)?;
        }
        Ok(())
    }
}

/// A frame in parts, to be copied out: the linear part, then its fragments.
pub(crate) trait XdpData {
    /// The length of the frame.
    fn len(&self) -> usize;

    /// Calls `f` on each part of the frame in order.
    ///
    /// # Errors
    ///
    /// The first error of `f`.
    fn for_each_chunk(&self, f: impl FnMut(&[u8]) -> Result) -> Result;

    /// Fills `dst` with the frame's bytes from offset `at` on.
    ///
    /// # Errors
    ///
    /// `EMSGSIZE` when the frame has fewer than `dst.len()` bytes past `at`.
    fn copy_to(&self, at: usize, dst: CoherentView<'_, [u8]>) -> Result {
        let want = at..at.checked_add(dst.len()).ok_or(EMSGSIZE)?;
        let (mut pos, mut done) = (0, 0);
        self.for_each_chunk(|chunk| {
            let part_at = pos;
            pos += chunk.len();
            if let Some((src, into)) = span::overlap(&want, part_at, chunk.len()) {
                let src = chunk.get(src).ok_or(EINVAL)?;
                done += src.len();
                // PANIC: `overlap` gives ranges of the same length.
                io_project!(dst, [try: into]).copy_from_slice(src);
            }
            Ok(())
        })?;
        if done == dst.len() {
            Ok(())
        } else {
            Err(EMSGSIZE)
        }
    }
}

/// Sends what `XDP_REDIRECT` queued during a NAPI poll (`xdp_do_flush()`): once, at the end of
/// a poll that redirected a frame.
pub(crate) fn flush_redirects(_poll: &NapiPoll<'_>) {
    // SAFETY: In a NAPI poll (`_poll`), whose redirects this sends.
    unsafe { ffi::rvnet_xdp_do_flush() };
}

/// A frame redirected to a device of rvnet's (`struct xdp_frame`), as `ndo_xdp_xmit` gets it.
///
/// # Invariants
///
/// A `&XdpFrame` points to a valid frame, with its data and fragments, for its lifetime.
#[repr(transparent)]
pub(crate) struct XdpFrame(kernel::types::Opaque<ffi::xdp_frame>);

impl XdpFrame {
    /// Creates a reference to an [`XdpFrame`].
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid frame, with its data and fragments, for the lifetime `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut ffi::xdp_frame) -> &'a Self {
        // SAFETY: Transparent wrapper; validity from the caller.
        unsafe { &*ptr.cast() }
    }

    fn as_raw(&self) -> *mut ffi::xdp_frame {
        self.0.get()
    }

    /// Part `i` of the frame: 0 is the linear part, then its fragments; `None` past the last.
    fn part(&self, i: u32) -> Option<&[u8]> {
        let (mut data, mut len) = (core::ptr::null(), 0);
        // SAFETY: By the type invariant, the frame is valid; `data` and `len` are writable.
        if !unsafe { ffi::rvnet_xdp_frame_part(self.as_raw(), i, &mut data, &mut len) } {
            return None;
        }
        let len = usize::try_from(len).ok()?;
        // SAFETY: The helper returned a mapped part of the frame, `len` bytes at `data`, valid
        // while the frame is (type invariant); nothing writes a frame handed to a driver.
        Some(unsafe { core::slice::from_raw_parts(data, len) })
    }
}

impl XdpData for XdpFrame {
    fn len(&self) -> usize {
        // SAFETY: By the type invariant, the frame is valid.
        let len = unsafe { ffi::rvnet_xdp_frame_len(self.as_raw()) };
        usize::try_from(len).unwrap_or(usize::MAX)
    }

    fn for_each_chunk(&self, mut f: impl FnMut(&[u8]) -> Result) -> Result {
        let mut i = 0;
        while let Some(part) = self.part(i) {
            f(part)?;
            i += 1;
        }
        Ok(())
    }
}

/// The frames of one `ndo_xdp_xmit` call, which the driver copies into its transmit ring.
///
/// # Invariants
///
/// `frames` are valid frames handed over by the core for this call, which no one else reads
/// or frees meanwhile.
pub(crate) struct XdpFrames<'a> {
    frames: &'a [&'a XdpFrame],
}

impl<'a> XdpFrames<'a> {
    /// The `n` frames at `frames`.
    ///
    /// # Safety
    ///
    /// `frames` points to `n` pointers to valid frames that the core hands to `ndo_xdp_xmit`
    /// for the call, which lasts `'a`.
    pub(super) unsafe fn from_raw(frames: *mut *mut ffi::xdp_frame, n: usize) -> Self {
        let frames = if n == 0 || frames.is_null() {
            &[]
        } else {
            // SAFETY: `n` non-null pointers to valid frames (safety requirements), each with
            // the layout of a `&XdpFrame` (`repr(transparent)`), valid for `'a`.
            unsafe { core::slice::from_raw_parts(frames.cast::<&XdpFrame>().cast_const(), n) }
        };
        // INVARIANT: From the safety requirements.
        Self { frames }
    }

    /// The frames, in the order the core gave them.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a XdpFrame> + '_ {
        self.frames.iter().copied()
    }

    /// Gives the first `sent` frames back to their owner: the driver copied them and keeps
    /// none. The core frees the rest (the `ndo_xdp_xmit` contract).
    pub(super) fn release(self, sent: usize) {
        for frame in self.frames.iter().take(sent) {
            // SAFETY: A frame of this call (type invariant), which the driver took and copied;
            // `self` is consumed, so it is not read again here.
            unsafe { ffi::rvnet_xdp_return_frame(frame.as_raw()) };
        }
    }
}
