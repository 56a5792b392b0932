// SPDX-License-Identifier: GPL-2.0

//! Devices described on the command line: the `device=` module parameter, in the syntax of
//! `virtio_mmio.device=` (`drivers/virtio/virtio_mmio.c`), which Firecracker, QEMU `microvm`
//! with `acpi=off` and libkrun put on the guest kernel's command line:
//!
//! ```text
//! <size>@<base>:<irq>[:<id>]      e.g. 512@0xfeb00e00:12, 4K@0xd0000000:5:3
//! ```
//!
//! `size` takes a `K`, `M` or `G` suffix (`memparse()`); `size` and `base` are C integer
//! literals (`0x` hexadecimal, a leading `0` octal, else decimal), `irq` and `id` decimal.
//! An `id` numbers the entry's platform device, and the ones after it count on from there,
//! as in `virtio_mmio`; without one, the first is 0.
//!
//! Pure logic, tested on the host: parsing, the checks that need no device (a region large
//! enough for the registers, no overflow, no two entries overlapping or sharing an id), and
//! what the first registers of a region say ([`Slot::identify`]).

#![forbid(unsafe_code)]

use core::fmt;

/// The size of the register region rvnet maps (`regs::REGION_SIZE`): a smaller one cannot be
/// a virtio-mmio device.
pub(crate) const MIN_SIZE: u64 = 0x100;

/// The most entries the parameter takes (`shim.c` keeps as many).
pub(crate) const MAX_ENTRIES: usize = 32;

/// One device from the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Size of the register region in bytes.
    pub(crate) size: u64,
    /// Its physical address.
    pub(crate) base: u64,
    /// The interrupt line.
    pub(crate) irq: u32,
    /// The platform device number the entry asks for, if any.
    pub(crate) id: Option<u32>,
}

/// Why an entry is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryError {
    /// No size where one is expected, or a size of 0.
    Size,
    /// A suffix other than K, M or G, or a size that overflows with it.
    Suffix,
    /// No `@` after the size.
    NoAt,
    /// No base address after `@`.
    Base,
    /// No `:` after the base.
    NoIrq,
    /// No interrupt number, or 0.
    Irq,
    /// Something other than `:` and an id after the interrupt.
    Id,
    /// Characters left after the entry.
    Trailing,
    /// A region smaller than the registers.
    TooSmall,
    /// A region that wraps around the address space.
    Overflow,
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Size => "no size (a non-zero number, before '@')",
            Self::Suffix => "a bad size suffix (K, M or G) or a size too large",
            Self::NoAt => "no '@' after the size",
            Self::Base => "no base address after '@'",
            Self::NoIrq => "no ':<irq>' after the base address",
            Self::Irq => "no interrupt number (a non-zero decimal number, after ':')",
            Self::Id => "something other than ':<id>' after the interrupt number",
            Self::Trailing => "characters after the entry",
            Self::TooSmall => "a region smaller than the 256 bytes of virtio-mmio registers",
            Self::Overflow => "a region past the end of the address space",
        })
    }
}

/// Reads an unsigned number at the start of `s` in base `radix`; returns it and the rest.
/// `None` without a digit, or on overflow.
fn digits(s: &[u8], radix: u32) -> Option<(u64, &[u8])> {
    let end = s
        .iter()
        .position(|c| !char::from(*c).is_digit(radix))
        .unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    let (num, rest) = s.split_at(end);
    let mut value: u64 = 0;
    for &c in num {
        let d = char::from(c).to_digit(radix)?;
        value = value
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(d))?;
    }
    Some((value, rest))
}

/// Reads a C integer literal at the start of `s` (`simple_strtoull(s, _, 0)`): `0x` hex, a
/// leading `0` octal, else decimal.
fn number(s: &[u8]) -> Option<(u64, &[u8])> {
    match s {
        [b'0', b'x' | b'X', rest @ ..] => digits(rest, 16),
        [b'0', rest @ ..] if rest.first().is_some_and(u8::is_ascii_digit) => digits(rest, 8),
        _ => digits(s, 10),
    }
}

/// Reads a decimal `u32` at the start of `s`.
fn decimal_u32(s: &[u8]) -> Option<(u32, &[u8])> {
    let (value, rest) = digits(s, 10)?;
    Some((u32::try_from(value).ok()?, rest))
}

impl Entry {
    /// Parses one entry.
    ///
    /// # Errors
    ///
    /// The first thing wrong with it.
    pub(crate) fn parse(s: &[u8]) -> Result<Self, EntryError> {
        let (size, rest) = number(s).ok_or(EntryError::Size)?;
        let (shift, rest) = match rest {
            [b'k' | b'K', rest @ ..] => (10, rest),
            [b'm' | b'M', rest @ ..] => (20, rest),
            [b'g' | b'G', rest @ ..] => (30, rest),
            [b'@', ..] => (0, rest),
            [] => return Err(EntryError::NoAt),
            _ => return Err(EntryError::Suffix),
        };
        let size = size.checked_mul(1 << shift).ok_or(EntryError::Suffix)?;
        if size == 0 {
            return Err(EntryError::Size);
        }
        let rest = rest.strip_prefix(b"@").ok_or(EntryError::NoAt)?;
        let (base, rest) = number(rest).ok_or(EntryError::Base)?;
        let rest = rest.strip_prefix(b":").ok_or(EntryError::NoIrq)?;
        let (irq, rest) = decimal_u32(rest).ok_or(EntryError::Irq)?;
        if irq == 0 {
            return Err(EntryError::Irq);
        }
        let (id, rest) = match rest {
            [] => (None, rest),
            [b':', id @ ..] => {
                let (id, rest) = decimal_u32(id).ok_or(EntryError::Id)?;
                (Some(id), rest)
            }
            _ => return Err(EntryError::Id),
        };
        if !rest.is_empty() {
            return Err(EntryError::Trailing);
        }
        if size < MIN_SIZE {
            return Err(EntryError::TooSmall);
        }
        base.checked_add(size - 1).ok_or(EntryError::Overflow)?;
        Ok(Self {
            size,
            base,
            irq,
            id,
        })
    }

    /// The last byte of the region.
    pub(crate) fn end(&self) -> u64 {
        // Checked by `parse`.
        self.base.saturating_add(self.size - 1)
    }

    /// Whether the two regions share a byte.
    fn overlaps(&self, other: &Self) -> bool {
        self.base <= other.end() && other.base <= self.end()
    }
}

/// Why a set of entries is refused as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SetError {
    /// More entries than [`MAX_ENTRIES`].
    TooMany,
    /// Entry `.0` overlaps entry `.1`, an earlier one.
    Overlap(usize, usize),
    /// Entry `.0` would get the same device number as entry `.1`, an earlier one.
    SameId(usize, usize),
}

/// The platform device number of each entry: its own `id`, else one more than the entry
/// before it (0 for the first), as `virtio_mmio` counts. Checks that the regions are
/// disjoint and the numbers distinct.
///
/// # Errors
///
/// The first pair of entries in conflict.
pub(crate) fn assign_ids(entries: &[Entry], ids: &mut [u32; MAX_ENTRIES]) -> Result<(), SetError> {
    if entries.len() > MAX_ENTRIES {
        return Err(SetError::TooMany);
    }
    let mut next: u32 = 0;
    for (i, entry) in entries.iter().enumerate() {
        let id = entry.id.unwrap_or(next);
        next = id.wrapping_add(1);
        for (j, earlier) in entries.iter().enumerate().take(i) {
            if entry.overlaps(earlier) {
                return Err(SetError::Overlap(i, j));
            }
            if ids.get(j) == Some(&id) {
                return Err(SetError::SameId(i, j));
            }
        }
        if let Some(slot) = ids.get_mut(i) {
            *slot = id;
        }
    }
    Ok(())
}

/// `MagicValue` of a virtio-mmio device: "virt".
const MAGIC: u32 = 0x7472_6976;

/// The virtio device type of a network card.
const NET: u32 = 1;

/// What the first three registers of a region (`MagicValue`, `Version`, `DeviceID`) say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// A virtio network device: rvnet's.
    Net,
    /// A transport with no device behind it (`DeviceID` 0).
    Empty,
    /// Another kind of virtio device, left alone.
    Other(u32),
    /// No virtio-mmio device: the magic value is wrong.
    NotVirtio(u32),
    /// A virtio-mmio device of a version rvnet does not know (not 1 or 2).
    BadVersion(u32),
}

impl Slot {
    /// Classifies a region by its first three registers.
    pub(crate) fn identify(magic: u32, version: u32, device_id: u32) -> Self {
        match (magic, version, device_id) {
            (MAGIC, 1 | 2, NET) => Self::Net,
            (MAGIC, 1 | 2, 0) => Self::Empty,
            (MAGIC, 1 | 2, other) => Self::Other(other),
            (MAGIC, version, _) => Self::BadVersion(version),
            (magic, _, _) => Self::NotVirtio(magic),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Entry, EntryError> {
        Entry::parse(s.as_bytes())
    }

    #[test]
    fn the_forms_vmms_write() {
        // QEMU microvm (acpi=off).
        assert_eq!(
            parse("512@0xfeb00e00:12"),
            Ok(Entry {
                size: 512,
                base: 0xfeb0_0e00,
                irq: 12,
                id: None
            })
        );
        // Firecracker.
        assert_eq!(
            parse("4K@0xd0000000:5"),
            Ok(Entry {
                size: 4096,
                base: 0xd000_0000,
                irq: 5,
                id: None
            })
        );
        assert_eq!(
            parse("0x1000@3489660928:5:7"),
            Ok(Entry {
                size: 4096,
                base: 0xd000_0000,
                irq: 5,
                id: Some(7)
            })
        );
        assert_eq!(
            parse("1m@0100:3").map(|e| (e.size, e.base)),
            Ok((1 << 20, 0o100))
        );
        assert_eq!(parse("1G@0:3").map(|e| e.size), Ok(1 << 30));
    }

    #[test]
    fn malformed_entries_say_what_is_wrong() {
        for (s, why) in [
            ("", EntryError::Size),
            ("@0x1000:5", EntryError::Size),
            ("0@0x1000:5", EntryError::Size),
            ("4X@0x1000:5", EntryError::Suffix),
            ("17179869184G@0:5", EntryError::Suffix),
            ("4K", EntryError::NoAt),
            ("4K0x1000:5", EntryError::NoAt),
            ("4K@:5", EntryError::Base),
            ("4K@0x:5", EntryError::Base),
            ("4K@0x1000", EntryError::NoIrq),
            ("4K@0x1000;5", EntryError::NoIrq),
            ("4K@0x1000:", EntryError::Irq),
            ("4K@0x1000:0", EntryError::Irq),
            ("4K@0x1000:-5", EntryError::Irq),
            ("4K@0x1000:4294967296", EntryError::Irq),
            ("4K@0x1000:5:", EntryError::Id),
            ("4K@0x1000:5x", EntryError::Id),
            ("4K@0x1000:5:1:2", EntryError::Trailing),
            ("4K@0x1000:5:1 ", EntryError::Trailing),
            ("255@0x1000:5", EntryError::TooSmall),
            ("4K@0xfffffffffffff001:5", EntryError::Overflow),
            ("4K@0x10000000000000000:5", EntryError::Base),
        ] {
            assert_eq!(parse(s), Err(why), "{s:?}");
        }
        // The last byte of the address space is a region's last byte, not past it.
        assert!(parse("4K@0xfffffffffffff000:5").is_ok());
    }

    #[test]
    fn ids_count_on_and_conflicts_are_named() {
        let e = |base: u64, id| Entry {
            size: 512,
            base,
            irq: 5,
            id,
        };
        let mut ids = [0; MAX_ENTRIES];
        let set = [e(0x1000, None), e(0x2000, Some(5)), e(0x3000, None)];
        assert_eq!(assign_ids(&set, &mut ids), Ok(()));
        assert_eq!(ids[..3], [0, 5, 6]);
        // Adjacent regions are fine; one byte shared is not.
        let set = [e(0x1000, None), e(0x1200, None), e(0x13ff, None)];
        assert_eq!(assign_ids(&set, &mut ids), Err(SetError::Overlap(2, 1)));
        let set = [
            e(0x1000, Some(3)),
            e(0x2000, Some(1)),
            e(0x3000, None),
            e(0x4000, None),
        ];
        assert_eq!(assign_ids(&set, &mut ids), Err(SetError::SameId(3, 0)));
        let many = [e(0, None); MAX_ENTRIES + 1];
        assert_eq!(assign_ids(&many, &mut ids), Err(SetError::TooMany));
    }

    #[test]
    fn slots_are_told_apart() {
        assert_eq!(Slot::identify(MAGIC, 2, 1), Slot::Net);
        assert_eq!(Slot::identify(MAGIC, 1, 1), Slot::Net);
        assert_eq!(Slot::identify(MAGIC, 2, 0), Slot::Empty);
        assert_eq!(Slot::identify(MAGIC, 2, 4), Slot::Other(4));
        assert_eq!(Slot::identify(MAGIC, 3, 1), Slot::BadVersion(3));
        assert_eq!(
            Slot::identify(0xffff_ffff, 2, 1),
            Slot::NotVirtio(0xffff_ffff)
        );
        assert_eq!(Slot::identify(0, 0, 0), Slot::NotVirtio(0));
    }
}
