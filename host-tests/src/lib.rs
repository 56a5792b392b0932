// SPDX-License-Identifier: GPL-2.0

//! Host build of rvnet's pure modules, so `cargo test` runs their unit tests.
//!
//! The files are the driver's own (`#[path]`), compiled unchanged: they use only `core` and
//! forbid `unsafe`. The module tree mirrors the driver crate's, so `crate::` paths resolve.

// The driver uses these items from kernel code that is not built here.
#![allow(dead_code)]

pub mod hostile;
pub mod hostile_hdr;

#[path = "../../src/cmdline.rs"]
mod cmdline;

#[path = "../../src/features.rs"]
mod features;

#[path = "../../src/span.rs"]
mod span;

#[path = "../../src/virtqueue"]
mod virtqueue {
    pub(crate) mod ring;
}

#[path = "../../src/nic"]
mod nic {
    pub(crate) mod config;
    pub(crate) mod ctrl;
    pub(crate) mod net_hdr;
    pub(crate) mod stats;
}

#[path = "../../src/kernel_ext"]
mod kernel_ext {
    #[path = "net"]
    pub(crate) mod net {
        pub(crate) mod xdp_layout;
    }
}
