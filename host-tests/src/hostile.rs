// SPDX-License-Identifier: GPL-2.0

//! A hostile device, simulated against the driver's ring bookkeeping (`virtqueue/ring.rs`).
//!
//! The "device" answers with whatever a byte stream says: used ids in range, out of range,
//! stale or duplicated, arbitrary lengths, used indices that jump ahead or go back. The
//! "driver" runs the same sequence rvnet's receive and transmit paths run, transmit chains
//! included. A shadow model
//! checks after every step that the ring never hands out an id twice, never accepts a
//! completion for an id the device does not hold or a length beyond the buffer, and never
//! loses an id. Any violation panics, which the unit tests and the fuzz target report.

use crate::virtqueue::ring::{queue_size, BadDevice, RingState, Used};

/// Where each descriptor is, in the shadow model.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Slot {
    Free,
    WithDevice,
    WithDriver,
    /// A descriptor after the head of a chain: it goes wherever its head goes.
    Member,
}

/// Reads bytes from the input, then zeros.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What one run saw.
#[derive(Default, Debug)]
pub struct Outcome {
    /// Steps executed.
    pub steps: u64,
    /// Completions accepted.
    pub accepted: u64,
    /// Device values refused.
    pub refused: u64,
}

const BUF_LEN: u32 = 2048;

/// Runs the driver against the device described by `data`; panics on any broken invariant.
pub fn run(data: &[u8]) -> Outcome {
    let mut input = Input(data);
    let num = queue_size(u32::from(input.u16()).max(1)).unwrap_or(1);
    let mut ring = RingState::new(num);
    let mut shadow = vec![Slot::Free; usize::from(num)];
    // The rest of the chain each head carries (transmit of a packet larger than a buffer).
    let mut members: Vec<Vec<u16>> = vec![Vec::new(); usize::from(num)];
    // Ids in the order the driver made them available: what an honest device would return.
    let mut posted: Vec<u16> = Vec::new();
    let mut out = Outcome::default();

    while !input.is_empty() {
        out.steps += 1;
        match input.byte() % 4 {
            // The driver posts a free buffer, or a chain of up to 4 (transmit path).
            0 => {
                let n = 1 + u16::from(input.byte() % 4);
                let free_before = ring.nr_free();
                if let Some(id) = ring.alloc_chain(n) {
                    let mut chain = vec![id];
                    while let Some(next) = ring.chain_next(*chain.last().unwrap_or(&id)) {
                        chain.push(next);
                        assert!(chain.len() <= usize::from(n), "chain longer than asked");
                    }
                    assert_eq!(chain.len(), usize::from(n), "chain shorter than asked");
                    for &c in &chain {
                        assert_eq!(shadow[usize::from(c)], Slot::Free, "alloc gave a busy id");
                        shadow[usize::from(c)] = Slot::Member;
                    }
                    let slot = ring.make_available(id).expect("a fresh id can be posted");
                    assert!(slot < num);
                    shadow[usize::from(id)] = Slot::WithDevice;
                    members[usize::from(id)] = chain[1..].to_vec();
                    posted.push(id);
                } else {
                    assert!(free_before < n, "a chain that fits was refused");
                    assert_eq!(
                        ring.nr_free(),
                        free_before,
                        "a refused chain took descriptors"
                    );
                }
            }
            // The device publishes completions, honest or not.
            1 | 2 => {
                let honest = input.byte() & 1 == 0;
                let jump = input.u16();
                let used_idx = if honest {
                    ring.last_used()
                        .wrapping_add(jump % (posted.len() as u16 + 1))
                } else {
                    jump
                };
                let pending = match ring.pending(used_idx) {
                    Ok(n) => n,
                    Err(BadDevice::UsedIndex { .. }) => {
                        out.refused += 1;
                        continue;
                    }
                    Err(e) => panic!("pending() returned {e:?}"),
                };
                let with_device = shadow.iter().filter(|s| **s == Slot::WithDevice).count();
                assert!(
                    usize::from(pending) <= with_device,
                    "more pending than outstanding"
                );
                for _ in 0..pending {
                    let (id, len) = if honest && !posted.is_empty() {
                        (
                            u32::from(posted.remove(0)),
                            u32::from(input.u16()) % (BUF_LEN + 1),
                        )
                    } else {
                        (input.u32() % (u32::from(num) * 2 + 1), input.u32())
                    };
                    let before = ring.last_used();
                    match ring.complete(id, len, BUF_LEN) {
                        Ok(Used { id, len }) => {
                            out.accepted += 1;
                            assert_eq!(
                                shadow[usize::from(id)],
                                Slot::WithDevice,
                                "accepted an id the device did not hold"
                            );
                            assert!(len <= BUF_LEN);
                            shadow[usize::from(id)] = Slot::WithDriver;
                            posted.retain(|p| *p != id);
                        }
                        Err(BadDevice::LengthTooLong { id, len }) => {
                            out.refused += 1;
                            assert!(len > BUF_LEN);
                            assert_eq!(shadow[usize::from(id)], Slot::WithDevice);
                            shadow[usize::from(id)] = Slot::WithDriver;
                            posted.retain(|p| *p != id);
                        }
                        Err(BadDevice::IdOutOfRange(bad)) => {
                            out.refused += 1;
                            assert!(bad >= u32::from(num));
                        }
                        Err(BadDevice::NotOutstanding(bad)) => {
                            out.refused += 1;
                            assert_ne!(shadow[usize::from(bad)], Slot::WithDevice);
                        }
                        Err(e) => panic!("complete() returned {e:?}"),
                    }
                    assert_eq!(
                        ring.last_used(),
                        before.wrapping_add(1),
                        "entry not consumed"
                    );
                }
            }
            // The driver frees or reposts what it holds (transmit / receive path), and tries a
            // double free.
            _ => {
                let repost = input.byte() & 1 == 0;
                for id in 0..num {
                    if shadow[usize::from(id)] != Slot::WithDriver {
                        continue;
                    }
                    // Chains are transmit buffers: freed, never reposted.
                    if repost && members[usize::from(id)].is_empty() {
                        ring.make_available(id)
                            .expect("a completed id can be posted again");
                        shadow[usize::from(id)] = Slot::WithDevice;
                        posted.push(id);
                    } else {
                        ring.free(id);
                        ring.free(id);
                        shadow[usize::from(id)] = Slot::Free;
                        for m in std::mem::take(&mut members[usize::from(id)]) {
                            assert_eq!(shadow[usize::from(m)], Slot::Member);
                            shadow[usize::from(m)] = Slot::Free;
                        }
                    }
                }
            }
        }
        // Every id is in exactly one place, and the ring agrees about the free ones.
        let free = shadow.iter().filter(|s| **s == Slot::Free).count();
        assert_eq!(
            usize::from(ring.nr_free()),
            free,
            "free list and shadow disagree"
        );
        // Posting an id the device holds must be refused.
        if let Some(held) = shadow.iter().position(|s| *s == Slot::WithDevice) {
            assert_eq!(ring.make_available(held as u16), None, "posted an id twice");
        }
    }
    out
}

/// A small deterministic generator for the unit tests (xorshift64*).
pub struct XorShift(u64);

impl XorShift {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// Fills `buf` with pseudo-random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            *b = (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steps per run of `hostile_device_never_breaks_the_ring`; `RVNET_HOSTILE_STEPS` raises it
    /// (`make fuzz-host` runs 10^7).
    fn steps() -> u64 {
        std::env::var("RVNET_HOSTILE_STEPS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1_000_000)
    }

    #[test]
    fn hostile_device_never_breaks_the_ring() {
        let want = steps();
        let mut rng = XorShift::new(0x5eed_0f_2b_4e_7e);
        let mut total = Outcome::default();
        let mut buf = vec![0u8; 4096];
        while total.steps < want {
            rng.fill(&mut buf);
            let o = run(&buf);
            total.steps += o.steps;
            total.accepted += o.accepted;
            total.refused += o.refused;
        }
        eprintln!("hostile device: {total:?}");
        // Both kinds of answer were exercised.
        assert!(total.accepted > 0 && total.refused > 0);
    }

    #[test]
    fn empty_and_tiny_inputs() {
        run(&[]);
        run(&[0]);
        run(&[0xff, 0xff, 1, 1, 0xff, 0xff]);
    }
}
