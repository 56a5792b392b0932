// SPDX-License-Identifier: GPL-2.0

//! Platform devices that a module creates (`platform_device_register_resndata()`), unregistered
//! when dropped.
//!
//! C header: [`include/linux/platform_device.h`](srctree/include/linux/platform_device.h).

use core::ptr::NonNull;

use kernel::{
    ffi::{
        c_int,
        c_uint, //
    },
    prelude::*,
};

use crate::kernel_ext::ffi;

/// A registered platform device named `rvnet`, with one memory region and one interrupt: the
/// driver of that name binds it as it is registered.
///
/// # Invariants
///
/// `self.0` is a platform device registered by this value and not yet unregistered.
pub(crate) struct PlatformDevice(NonNull<ffi::platform_device>);

impl PlatformDevice {
    /// Registers `rvnet.<id>` for the register region of `size` bytes at `base` and interrupt
    /// `irq`.
    ///
    /// # Errors
    ///
    /// What `platform_device_register_resndata()` says: e.g. `EBUSY` when the region overlaps
    /// one of another device, `EEXIST` when the name is taken, `ENOMEM`.
    pub(crate) fn register(id: u32, base: u64, size: u64, irq: u32) -> Result<Self> {
        let id = c_int::try_from(id).map_err(|_| EINVAL)?;
        let irq = c_uint::from(irq);
        let mut err: c_int = 0;
        // SAFETY: Plain values; `err` is valid for writing.
        let pdev = unsafe { ffi::rvnet_platform_device_register(id, base, size, irq, &mut err) };
        match NonNull::new(pdev) {
            // INVARIANT: Registered just now.
            Some(pdev) => Ok(Self(pdev)),
            None => Err(Error::from_errno(err)),
        }
    }

    /// Whether a driver is bound to the device (`device_is_bound()`).
    pub(crate) fn is_bound(&self) -> bool {
        // SAFETY: By the type invariant the device is registered, so valid.
        unsafe { ffi::rvnet_platform_device_bound(self.0.as_ptr()) }
    }
}

impl Drop for PlatformDevice {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the device is registered, and it is unregistered only
        // here, once; its driver is unbound first.
        unsafe { ffi::platform_device_unregister(self.0.as_ptr()) };
    }
}

// SAFETY: The device is the driver core's, which serialises unregistration with its own use;
// this value only holds the registration.
unsafe impl Send for PlatformDevice {}
// SAFETY: `is_bound` may be called from any thread.
unsafe impl Sync for PlatformDevice {}
