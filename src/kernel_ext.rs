// SPDX-License-Identifier: GPL-2.0

//! Kernel abstractions that mainline 7.3 lacks and rvnet needs: network devices (with NAPI,
//! socket buffers, ethtool, statistics, byte queue limits and XDP) and procfs.
//!
//! All of rvnet's FFI lives here, written like `rust/kernel`: one concept per file, each type
//! documents its invariants, each `unsafe fn` its safety contract, and each `unsafe` block says
//! why it holds. The C side is `kernel_ext/shim.c` (static-inline helpers, and the ops tables
//! that bindgen cannot express), declared in [`ffi`], a leaf. Code outside this module uses
//! only the safe interfaces.
//!
//! Import order (no circles): `ffi` <- `net::{skb, stats}` <- `net::napi` <-
//! `net::{device, skb_dma}` <- `net::{bql, xdp}` <- `net::ops` <- `net::ethtool` <-
//! `net::registration`; `procfs` uses only `ffi`.

mod ffi;
pub(crate) mod net;
pub(crate) mod procfs;
