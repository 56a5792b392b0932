// SPDX-License-Identifier: GPL-2.0

//! Fault points for tests, driven by the kernel's function error injection
//! (`Documentation/fault-injection/fault-injection.rst`, `fail_function`).
//!
//! `shim.c`'s `rvnet_fault_bad_desc()` and `rvnet_fault_rx_alloc()` return false and
//! `rvnet_fault_reset()` 0; a test kernel with `CONFIG_FUNCTION_ERROR_INJECTION` lets a test
//! change that (through `/sys/kernel/debug/fail_function`): rvnet then posts one malformed
//! descriptor chain, so that the device breaks (QEMU's `virtio_error()`) and rvnet's recovery
//! can be tested, fails a device reset, so that giving up on the device can be, or fails a
//! receive buffer allocation, so that running short of memory can be. Without that option they
//! are never called: the points cost nothing.

use kernel::prelude::*;

/// Whether a test asked that the next transmitted chain be malformed.
#[inline]
pub(crate) fn bad_descriptor() -> bool {
    #[cfg(CONFIG_FUNCTION_ERROR_INJECTION)]
    {
        // SAFETY: The function takes nothing and may be called in any context.
        unsafe { super::ffi::rvnet_fault_bad_desc() }
    }
    #[cfg(not(CONFIG_FUNCTION_ERROR_INJECTION))]
    {
        false
    }
}

/// The error a test asked the next device reset to fail with, if any.
#[inline]
pub(crate) fn reset() -> Result {
    #[cfg(CONFIG_FUNCTION_ERROR_INJECTION)]
    {
        // SAFETY: The function takes nothing and may be called in any context.
        kernel::error::to_result(unsafe { super::ffi::rvnet_fault_reset() })
    }
    #[cfg(not(CONFIG_FUNCTION_ERROR_INJECTION))]
    {
        Ok(())
    }
}

/// Whether a test asked that the next receive buffer allocation fail.
#[inline]
pub(crate) fn rx_alloc() -> bool {
    #[cfg(CONFIG_FUNCTION_ERROR_INJECTION)]
    {
        // SAFETY: The function takes nothing and may be called in any context.
        unsafe { super::ffi::rvnet_fault_rx_alloc() }
    }
    #[cfg(not(CONFIG_FUNCTION_ERROR_INJECTION))]
    {
        false
    }
}
