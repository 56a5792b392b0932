// SPDX-License-Identifier: GPL-2.0

//! cargo fuzz target: `virtio_net_hdr`s from the fuzzer, as a hostile device writes them,
//! against the driver's receive header checks (`src/nic/net_hdr.rs`). The invariants are
//! checked, and any violation panics, in `rvnet_host_tests::hostile_hdr::run`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvnet_host_tests::hostile_hdr::run(data);
});
