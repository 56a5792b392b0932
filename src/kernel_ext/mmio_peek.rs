// SPDX-License-Identifier: GPL-2.0

//! A look at a virtio-mmio register region before any device is made for it.
//!
//! C header: [`include/linux/io.h`](srctree/include/linux/io.h).

use kernel::{
    error::to_result,
    prelude::*, //
};

use crate::kernel_ext::ffi;

/// Reads the first three registers of the region of `size` bytes at physical address `base`
/// (`MagicValue`, `Version`, `DeviceID`), claiming the region for as long as that takes.
///
/// # Errors
///
/// `EBUSY` when a driver holds (part of) the region, `ENOMEM` when it cannot be mapped.
pub(crate) fn peek_identity(base: u64, size: u64) -> Result<[u32; 3]> {
    let mut regs = [0u32; 3];
    // SAFETY: `regs` has room for the three values the helper writes. The helper maps the
    // region only while it holds it (`request_mem_region()`), so no driver's registers are
    // read from under it.
    to_result(unsafe { ffi::rvnet_mmio_peek(base, size, regs.as_mut_ptr()) })?;
    Ok(regs)
}
