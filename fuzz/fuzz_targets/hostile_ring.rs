// SPDX-License-Identifier: GPL-2.0

//! cargo fuzz target: a device whose every answer comes from the fuzzer, against the driver's
//! split-ring bookkeeping (`src/virtqueue/ring.rs`). The invariants are checked, and any
//! violation panics, in `rvnet_host_tests::hostile::run`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvnet_host_tests::hostile::run(data);
});
