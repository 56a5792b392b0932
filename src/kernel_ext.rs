// SPDX-License-Identifier: GPL-2.0

//! Kernel abstractions that mainline 7.3 lacks and rvnet needs: network devices, XDP and
//! procfs.
//!
//! All of rvnet's FFI lives here, written like `rust/kernel`: each type documents its
//! invariants, each `unsafe fn` its safety contract, and each `unsafe` block says why it holds.
//! The C side is `kernel_ext/shim.c` (static-inline helpers and the `net_device_ops` table),
//! declared in [`ffi`]. Code outside this module uses only the safe interfaces.

mod ffi;
pub(crate) mod netdev;
pub(crate) mod procfs;
pub(crate) mod xdp;
