// SPDX-License-Identifier: GPL-2.0

//! Byte ranges of a packet that lies in several buffers: which bytes of one buffer a wanted
//! range of the packet takes, and where in the range they go. Used to copy packets between the
//! ring buffers, XDP buffers and socket buffers, none of which line up with the others.
//!
//! Pure logic, tested on the host.

#![forbid(unsafe_code)]

use core::ops::Range;

/// Where the packet bytes `want` and a part of the packet meet: the part holds `part_len`
/// bytes from packet offset `part_at` on. Returns the bytes in common as a range within the
/// part and as a range within `want` (the same length), or `None` when there are none.
pub(crate) fn overlap(
    want: &Range<usize>,
    part_at: usize,
    part_len: usize,
) -> Option<(Range<usize>, Range<usize>)> {
    let from = want.start.max(part_at);
    let to = want.end.min(part_at.checked_add(part_len)?);
    (from < to).then(|| {
        (
            from - part_at..to - part_at,
            from - want.start..to - want.start,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_before_after_and_inside() {
        let want = 100..200;
        assert_eq!(overlap(&want, 0, 100), None);
        assert_eq!(overlap(&want, 200, 50), None);
        assert_eq!(overlap(&want, 50, 100), Some((50..100, 0..50)));
        assert_eq!(overlap(&want, 150, 100), Some((0..50, 50..100)));
        assert_eq!(overlap(&want, 120, 10), Some((0..10, 20..30)));
        assert_eq!(overlap(&want, 0, 1000), Some((100..200, 0..100)));
        assert_eq!(overlap(&want, 100, 0), None);
        assert_eq!(overlap(&(5..5), 0, 10), None);
        assert_eq!(overlap(&want, usize::MAX, 2), None);
    }

    #[test]
    fn parts_cover_the_range_exactly_once() {
        // Parts of every size from 1 to 40 bytes, end to end, against many ranges: the pieces
        // they give are as long as the range, in order, without a gap or an overlap.
        for size in 1..40 {
            for start in 0..60 {
                for len in 0..70 {
                    let want = start..start + len;
                    let mut next = 0;
                    for at in (0..200).step_by(size) {
                        if let Some((in_part, in_want)) = overlap(&want, at, size) {
                            assert_eq!(in_part.len(), in_want.len());
                            assert_eq!(in_want.start, next);
                            assert_eq!(at + in_part.start, want.start + in_want.start);
                            assert!(in_part.end <= size);
                            next = in_want.end;
                        }
                    }
                    assert_eq!(next, len);
                }
            }
        }
    }
}
