// SPDX-License-Identifier: GPL-2.0

//! The `device=` module parameter: the entries given at load, as strings.
//!
//! The parameter is defined in `shim.c` (`module_param_cb()`: the Rust `module!` macro takes
//! numbers and booleans only); every `device=` adds an entry, as `virtio_mmio.device=` does.
//! What the entries say is `crate::cmdline`'s business.

use kernel::str::{
    CStr,
    CStrExt, //
};

use crate::kernel_ext::ffi;

/// The entries of `device=`, in the order given.
///
/// Only module loading writes them (the parameter is read-only in sysfs), and they are freed
/// with the module, after its last code has run: for its code they live forever.
pub(crate) fn device_args() -> impl Iterator<Item = &'static CStr> {
    // SAFETY: Reads a count that only module loading, before any of the module's code runs,
    // wrote.
    let count = unsafe { ffi::rvnet_device_arg_count() };
    (0..count).filter_map(|i| {
        // SAFETY: `i` is below the count; the entries are not written after load.
        let arg = unsafe { ffi::rvnet_device_arg(i) };
        // SAFETY: A non-null entry is a NUL-terminated copy that lives as long as the
        // module, as above.
        (!arg.is_null()).then(|| unsafe { CStr::from_char_ptr(arg) })
    })
}
