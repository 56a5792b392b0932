// SPDX-License-Identifier: GPL-2.0

//! Kernel abstractions that mainline 7.3 lacks and rvnet needs: network devices (with NAPI,
//! socket buffers, ethtool, statistics, byte queue limits and XDP), procfs, and devices from
//! the command line (the `device=` parameter, a look at a register region, platform devices
//! a module creates).
//!
//! All of rvnet's FFI lives here, written like `rust/kernel`: one concept per file, each type
//! documents its invariants, each `unsafe fn` its safety contract, and each `unsafe` block says
//! why it holds. The C side is `kernel_ext/shim.c` (static-inline helpers, and the ops tables
//! that bindgen cannot express), declared in [`ffi`], a leaf. Code outside this module uses
//! only the safe interfaces.
//!
//! Import order (no circles): `ffi` <- `net::{skb, stats}` <- `net::napi` <-
//! `net::{device, skb_dma}` <- `net::{bql, xdp}` <- `net::ops` <- `net::ethtool` <-
//! `net::registration`; `net::rtnl` uses `net::{device, napi}`, and `bh` uses `net::rtnl`; `device_param`, `fault`, `mmio_peek`, `platform_device` and `procfs` use only
//! `ffi`.

pub(crate) mod bh;
pub(crate) mod device_param;
pub(crate) mod fault;
mod ffi;
pub(crate) mod mmio_peek;
pub(crate) mod net;
pub(crate) mod platform_device;
pub(crate) mod procfs;
