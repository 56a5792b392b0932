// SPDX-License-Identifier: GPL-2.0

//! Read-only procfs files served by a `show` function (`proc_create_single_data()`).
//!
//! C header: [`include/linux/proc_fs.h`](srctree/include/linux/proc_fs.h).

use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

use kernel::{
    bindings,
    error::from_result,
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*,
    seq_file::SeqFile,
    str::CStrExt, //
};

use super::ffi;

/// The contents of a single-`show` procfs file.
pub(crate) trait SeqShow: 'static {
    /// Writes the whole file to `m`.
    fn show(m: &SeqFile) -> Result;
}

/// A file in `/proc`, removed when dropped.
///
/// # Invariants
///
/// `entry` was returned by `proc_create_single_data()` with `show_callback::<T>` and has not
/// been removed.
pub(crate) struct ProcFile<T: SeqShow> {
    entry: NonNull<bindings::proc_dir_entry>,
    _show: PhantomData<T>,
}

impl<T: SeqShow> ProcFile<T> {
    /// Creates `/proc/<path>`, readable by everyone. `path` may name an existing directory,
    /// e.g. `driver/foo`.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when procfs refuses: no memory, a missing directory, or a name already in use.
    pub(crate) fn new(path: &'static CStr) -> Result<Self> {
        // SAFETY: `path` is a NUL-terminated string that outlives the entry; `show_callback::<T>`
        // matches the `show` signature and needs no data.
        let entry = unsafe {
            ffi::proc_create_single_data(
                path.as_char_ptr(),
                0o444,
                core::ptr::null_mut(),
                Some(show_callback::<T>),
                core::ptr::null_mut(),
            )
        };
        // INVARIANT: `entry` was just created with `show_callback::<T>`.
        Ok(Self {
            entry: NonNull::new(entry).ok_or(ENOMEM)?,
            _show: PhantomData,
        })
    }
}

impl<T: SeqShow> Drop for ProcFile<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant, the entry exists. `proc_remove()` waits for readers
        // that are inside `show` to leave before it returns.
        unsafe { ffi::proc_remove(self.entry.as_ptr()) };
    }
}

// SAFETY: A `ProcFile` is only removed, which may happen on any thread.
unsafe impl<T: SeqShow> Send for ProcFile<T> {}
// SAFETY: `&ProcFile` gives access to nothing.
unsafe impl<T: SeqShow> Sync for ProcFile<T> {}

/// The `show` function of every [`ProcFile<T>`].
///
/// # Safety
///
/// Called by the seq_file code only, with a valid `seq_file` used by this thread alone.
unsafe extern "C" fn show_callback<T: SeqShow>(
    m: *mut bindings::seq_file,
    _v: *mut c_void,
) -> c_int {
    // SAFETY: By the safety requirements, `m` is valid and not shared during the call.
    let m = unsafe { SeqFile::from_raw(m) };
    from_result(|| T::show(m).map(|()| 0))
}
