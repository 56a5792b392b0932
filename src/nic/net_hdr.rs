// SPDX-License-Identifier: GPL-2.0

//! The `virtio_net_hdr` in front of every packet: what the driver asks of the device for the
//! packets it sends, and what it believes of the device for the packets it receives.
//!
//! Pure logic, tested on the host and fuzzed: the device writes every received header, so
//! nothing in one is used before [`RxHdr::check`] has accepted it against what was negotiated
//! and the length the device reported. The kernel's `virtio_net_hdr_to_skb()` then checks the
//! header against the packet's own headers, as in `receive_buf()` of
//! `drivers/net/virtio_net.c`. Layout: virtio 1.2 §5.1.6.

#![forbid(unsafe_code)]

use crate::features::{self, Features};

use super::config::{
    ETH_HLEN,
    VLAN_HLEN, //
};

/// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: the checksum at `csum_start + csum_offset` is partial.
pub(crate) const F_NEEDS_CSUM: u8 = 1;
/// `VIRTIO_NET_HDR_F_DATA_VALID`: the device validated the packet's checksums.
pub(crate) const F_DATA_VALID: u8 = 2;
/// The flags rvnet knows. The rest it ignores, as the driver MUST ("The driver MUST ignore
/// flag bits that it does not recognize", VIRTIO 1.4, Network Device, Processing of Incoming
/// Packets): `RSC_INFO` and the tunnel and IPsec flags belong to features rvnet does not
/// negotiate.
pub(crate) const KNOWN_FLAGS: u8 = F_NEEDS_CSUM | F_DATA_VALID;

/// The header fields as the device wrote them (`bytes`), with the flag bits rvnet does not
/// know cleared: what rvnet reads and what it hands to the stack.
pub(crate) fn known_flags_only(mut bytes: [u8; HDR_FIELDS_LEN]) -> [u8; HDR_FIELDS_LEN] {
    bytes[0] &= KNOWN_FLAGS;
    bytes
}

/// `VIRTIO_NET_HDR_GSO_NONE`.
pub(crate) const GSO_NONE: u8 = 0;
/// `VIRTIO_NET_HDR_GSO_TCPV4`.
pub(crate) const GSO_TCPV4: u8 = 1;
/// `VIRTIO_NET_HDR_GSO_TCPV6`.
pub(crate) const GSO_TCPV6: u8 = 4;
/// `VIRTIO_NET_HDR_GSO_UDP_L4`: UDP segmentation, IPv4 or IPv6.
pub(crate) const GSO_UDP_L4: u8 = 5;
/// `VIRTIO_NET_HDR_GSO_ECN`: a flag on the segmentation type.
pub(crate) const GSO_ECN: u8 = 0x80;

/// The fields of `struct virtio_net_hdr` before `num_buffers`.
pub(crate) const HDR_FIELDS_LEN: usize = 10;

/// The largest packet a device may merge received segments into: an IP packet of 64 KiB with
/// its Ethernet header and a VLAN tag (`GSO_LEGACY_MAX_SIZE`).
pub(crate) const MAX_GSO_FRAME: usize = 65536 + ETH_HLEN + VLAN_HLEN;

/// Whether header fields are little-endian: always on a virtio 1.0 device, in the driver's
/// byte order on a legacy one (virtio 1.2 §5.1.6, `virtio_is_little_endian()`).
pub(crate) fn little_endian(negotiated: Features) -> bool {
    negotiated.has(features::VERSION_1) || cfg!(target_endian = "little")
}

/// What the device may put into a received header, by the features negotiated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RxOffloads {
    /// `GUEST_CSUM`: partial checksums, and checksums marked valid.
    pub(crate) csum: bool,
    /// `GUEST_TSO4`.
    pub(crate) tso4: bool,
    /// `GUEST_TSO6`.
    pub(crate) tso6: bool,
    /// `GUEST_ECN`.
    pub(crate) ecn: bool,
    /// `GUEST_USO4` or `GUEST_USO6` (one segmentation type serves both).
    pub(crate) uso: bool,
}

impl RxOffloads {
    /// The offloads `negotiated` grants the device.
    pub(crate) fn negotiated(negotiated: Features) -> Self {
        Self {
            csum: negotiated.has(features::GUEST_CSUM),
            tso4: negotiated.has(features::GUEST_TSO4),
            tso6: negotiated.has(features::GUEST_TSO6),
            ecn: negotiated.has(features::GUEST_ECN),
            uso: negotiated.has(features::GUEST_USO4) || negotiated.has(features::GUEST_USO6),
        }
    }

    /// Whether the device may merge segments into packets larger than the MTU.
    pub(crate) fn gso(self) -> bool {
        self.tso4 || self.tso6 || self.uso
    }

    /// Whether any offload is on: the device may write headers that are not all zeroes.
    pub(crate) fn any(self) -> bool {
        self.csum || self.gso()
    }
}

/// A received header, as the device wrote it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RxHdr {
    /// `flags`.
    pub(crate) flags: u8,
    /// `gso_type`.
    pub(crate) gso_type: u8,
    /// `gso_size`.
    pub(crate) gso_size: u16,
    /// `csum_start`.
    pub(crate) csum_start: u16,
    /// `csum_offset`.
    pub(crate) csum_offset: u16,
}

/// Why a received header was refused; the packet is dropped and counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HdrError {
    /// A partial checksum without `GUEST_CSUM`.
    CsumNotNegotiated,
    /// A partial checksum whose field is not inside the packet, or starts inside the Ethernet
    /// header.
    CsumOutside,
    /// A segmentation type that was not negotiated (or is unknown).
    GsoNotNegotiated,
    /// A segmented packet with segments of size zero.
    GsoSizeZero,
    /// Longer than the MTU allows, or than 64 KiB for a segmented packet.
    TooLong,
}

/// What an accepted header tells about its packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RxCsum {
    /// Nothing: the stack checks the checksums.
    None,
    /// The device checked them (`DATA_VALID`).
    Valid,
    /// The checksum is partial and the packet never left this host (`NEEDS_CSUM`).
    Partial,
}

impl RxHdr {
    /// Reads the header fields from the bytes the device wrote, ignoring the flags rvnet does
    /// not know ([`KNOWN_FLAGS`]).
    pub(crate) fn parse(bytes: &[u8; HDR_FIELDS_LEN], little_endian: bool) -> Self {
        // `hdr_len` (bytes 2-3) is only a hint, and not used.
        let [flags, gso_type, _, _, size @ .., start_0, start_1, offset_0, offset_1] = *bytes;
        let u16_of = |b: [u8; 2]| {
            if little_endian {
                u16::from_le_bytes(b)
            } else {
                u16::from_be_bytes(b)
            }
        };
        Self {
            flags: flags & KNOWN_FLAGS,
            gso_type,
            gso_size: u16_of(size),
            csum_start: u16_of([start_0, start_1]),
            csum_offset: u16_of([offset_0, offset_1]),
        }
    }

    /// Accepts the header of a `pkt_len`-byte packet (after the header) if the device was
    /// allowed to write it: segmentation types and checksum flags, each negotiated; a checksum
    /// field inside the packet; a length within `max_frame` (the MTU's frame), or
    /// [`MAX_GSO_FRAME`] for a segmented packet.
    ///
    /// Without `GUEST_CSUM`, `DATA_VALID` is ignored rather than believed: the stack checks
    /// the checksums itself.
    ///
    /// # Errors
    ///
    /// The first [`HdrError`] found.
    pub(crate) fn check(
        &self,
        offloads: RxOffloads,
        pkt_len: usize,
        max_frame: usize,
    ) -> Result<RxCsum, HdrError> {
        let (tso, ecn) = (self.gso_type & !GSO_ECN, self.gso_type & GSO_ECN != 0);
        let gso = match tso {
            GSO_NONE if !ecn => false,
            GSO_TCPV4 if offloads.tso4 && (!ecn || offloads.ecn) => true,
            GSO_TCPV6 if offloads.tso6 && (!ecn || offloads.ecn) => true,
            // ECN is TCP's flag: never on a UDP packet.
            GSO_UDP_L4 if offloads.uso && !ecn => true,
            _ => return Err(HdrError::GsoNotNegotiated),
        };
        if gso && self.gso_size == 0 {
            return Err(HdrError::GsoSizeZero);
        }
        if pkt_len > if gso { MAX_GSO_FRAME } else { max_frame } {
            return Err(HdrError::TooLong);
        }
        if self.flags & F_NEEDS_CSUM != 0 {
            if !offloads.csum {
                return Err(HdrError::CsumNotNegotiated);
            }
            let start = usize::from(self.csum_start);
            let field_end = start + usize::from(self.csum_offset) + 2;
            if start < ETH_HLEN || field_end > pkt_len {
                return Err(HdrError::CsumOutside);
            }
            return Ok(RxCsum::Partial);
        }
        if self.flags & F_DATA_VALID != 0 && offloads.csum {
            return Ok(RxCsum::Valid);
        }
        Ok(RxCsum::None)
    }

    /// May an XDP program run on this accepted packet? Not on segments the device merged,
    /// larger than any frame XDP takes, nor on a partial checksum, which nothing after the
    /// program would complete: such packets come only from before the program was attached
    /// (which turns the receive offloads off), and `virtio_net` drops both.
    pub(crate) fn fits_xdp(&self, csum: RxCsum) -> bool {
        self.gso_type == GSO_NONE && csum != RxCsum::Partial
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: RxOffloads = RxOffloads {
        csum: true,
        tso4: true,
        tso6: true,
        ecn: true,
        uso: true,
    };
    const NONE: RxOffloads = RxOffloads {
        csum: false,
        tso4: false,
        tso6: false,
        ecn: false,
        uso: false,
    };
    const FRAME: usize = 1518;

    fn hdr(flags: u8, gso_type: u8, gso_size: u16, start: u16, offset: u16) -> RxHdr {
        RxHdr {
            flags,
            gso_type,
            gso_size,
            csum_start: start,
            csum_offset: offset,
        }
    }

    #[test]
    fn parse_reads_each_field_in_its_byte_order() {
        let bytes = [1, 0x81, 0x11, 0x22, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00];
        let le = RxHdr::parse(&bytes, true);
        assert_eq!(le, hdr(1, 0x81, 0x05a8, 0x0022, 0x0010));
        let be = RxHdr::parse(&bytes, false);
        assert_eq!(be, hdr(1, 0x81, 0xa805, 0x2200, 0x1000));
    }

    #[test]
    fn a_zero_header_is_a_plain_packet() {
        assert_eq!(RxHdr::default().check(NONE, 60, FRAME), Ok(RxCsum::None));
        assert_eq!(RxHdr::default().check(ALL, FRAME, FRAME), Ok(RxCsum::None));
        assert_eq!(
            RxHdr::default().check(ALL, FRAME + 1, FRAME),
            Err(HdrError::TooLong)
        );
    }

    #[test]
    fn what_the_device_may_write_with_every_offload() {
        // A TCP/IPv4 segment train: checksum at 14 + 20 + 16.
        let tso = hdr(F_NEEDS_CSUM, GSO_TCPV4, 1448, 34, 16);
        assert_eq!(tso.check(ALL, 65000, FRAME), Ok(RxCsum::Partial));
        let tso6 = hdr(F_NEEDS_CSUM, GSO_TCPV6 | GSO_ECN, 1428, 54, 16);
        assert_eq!(tso6.check(ALL, MAX_GSO_FRAME, FRAME), Ok(RxCsum::Partial));
        let valid = hdr(F_DATA_VALID, GSO_NONE, 0, 0, 0);
        assert_eq!(valid.check(ALL, 100, FRAME), Ok(RxCsum::Valid));
        // The checksum field's last byte is the packet's last byte.
        let edge = hdr(F_NEEDS_CSUM, GSO_NONE, 0, 34, 6);
        assert_eq!(edge.check(ALL, 42, FRAME), Ok(RxCsum::Partial));
        // A UDP/IPv4 datagram train (USO): checksum at 14 + 20 + 6.
        let uso = hdr(F_NEEDS_CSUM, GSO_UDP_L4, 1472, 34, 6);
        assert_eq!(uso.check(ALL, 60000, FRAME), Ok(RxCsum::Partial));
    }

    #[test]
    fn what_was_not_negotiated_is_refused() {
        let partial = hdr(F_NEEDS_CSUM, GSO_NONE, 0, 34, 16);
        assert_eq!(
            partial.check(NONE, 100, FRAME),
            Err(HdrError::CsumNotNegotiated)
        );
        let tso4 = hdr(F_NEEDS_CSUM, GSO_TCPV4, 1448, 34, 16);
        let no_tso4 = RxOffloads { tso4: false, ..ALL };
        assert_eq!(
            tso4.check(no_tso4, 3000, FRAME),
            Err(HdrError::GsoNotNegotiated)
        );
        let ecn = hdr(F_NEEDS_CSUM, GSO_TCPV6 | GSO_ECN, 1448, 54, 16);
        let no_ecn = RxOffloads { ecn: false, ..ALL };
        assert_eq!(
            ecn.check(no_ecn, 3000, FRAME),
            Err(HdrError::GsoNotNegotiated)
        );
        let uso = hdr(F_NEEDS_CSUM, GSO_UDP_L4, 1472, 34, 6);
        let no_uso = RxOffloads { uso: false, ..ALL };
        assert_eq!(
            uso.check(no_uso, 3000, FRAME),
            Err(HdrError::GsoNotNegotiated)
        );
        // ECN is TCP's: a UDP train with the flag is refused even with GUEST_ECN.
        let uso_ecn = hdr(F_NEEDS_CSUM, GSO_UDP_L4 | GSO_ECN, 1472, 34, 6);
        assert_eq!(
            uso_ecn.check(ALL, 3000, FRAME),
            Err(HdrError::GsoNotNegotiated)
        );
        // DATA_VALID without GUEST_CSUM is not believed, and not an error.
        let valid = hdr(F_DATA_VALID, GSO_NONE, 0, 0, 0);
        assert_eq!(valid.check(NONE, 100, FRAME), Ok(RxCsum::None));
    }

    #[test]
    fn unknown_flags_are_ignored() {
        // RSC_INFO (4), the tunnel and IPsec flags, bits nobody defined: ignored, the rest of
        // the header read as without them.
        for unknown in [4, 8, 0x10, 0x20, 0x40, 0x80, 0xfc] {
            for known in [0, F_NEEDS_CSUM, F_DATA_VALID] {
                let bytes = [known | unknown, GSO_NONE, 0, 0, 0, 0, 34, 0, 16, 0];
                let h = RxHdr::parse(&bytes, true);
                assert_eq!(h.flags, known);
                assert_eq!(h, RxHdr::parse(&known_flags_only(bytes), true));
                assert_eq!(known_flags_only(bytes)[0], known);
                let expect = match known {
                    F_NEEDS_CSUM => RxCsum::Partial,
                    F_DATA_VALID => RxCsum::Valid,
                    _ => RxCsum::None,
                };
                assert_eq!(h.check(ALL, 100, FRAME), Ok(expect));
            }
        }
        // Only the flags byte changes.
        let bytes = [0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(
            known_flags_only(bytes),
            [KNOWN_FLAGS, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        // UDP (UFO, 3, never negotiated), unknown types, and ECN on nothing.
        for gso_type in [3, 2, 6, 0x7f, GSO_ECN] {
            let h = hdr(F_NEEDS_CSUM, gso_type, 1448, 34, 6);
            assert_eq!(h.check(ALL, 3000, FRAME), Err(HdrError::GsoNotNegotiated));
        }
        let zero = hdr(F_NEEDS_CSUM, GSO_TCPV4, 0, 34, 16);
        assert_eq!(zero.check(ALL, 3000, FRAME), Err(HdrError::GsoSizeZero));
        let huge = hdr(F_NEEDS_CSUM, GSO_TCPV4, 1448, 34, 16);
        assert_eq!(
            huge.check(ALL, MAX_GSO_FRAME + 1, FRAME),
            Err(HdrError::TooLong)
        );
        // The checksum field one byte past the end, at the largest offsets, in the Ethernet
        // header.
        let past = hdr(F_NEEDS_CSUM, GSO_NONE, 0, 34, 7);
        assert_eq!(past.check(ALL, 42, FRAME), Err(HdrError::CsumOutside));
        let far = hdr(F_NEEDS_CSUM, GSO_NONE, 0, u16::MAX, u16::MAX);
        assert_eq!(far.check(ALL, FRAME, FRAME), Err(HdrError::CsumOutside));
        let mac = hdr(F_NEEDS_CSUM, GSO_NONE, 0, 13, 16);
        assert_eq!(mac.check(ALL, 100, FRAME), Err(HdrError::CsumOutside));
    }

    #[test]
    fn every_header_is_accepted_only_within_bounds() {
        // Exhaustive over flags and types, sampled over the 16-bit fields: whatever is
        // accepted keeps its checksum field inside the packet and its length within bounds.
        for flags in 0..=u8::MAX {
            for gso_type in 0..=u8::MAX {
                for &(size, start, offset, len) in &[
                    (0, 0, 0, 60),
                    (1448, 34, 16, 1514),
                    (1, 14, 0, 16),
                    (u16::MAX, u16::MAX - 1, 0, MAX_GSO_FRAME),
                    (536, 60_000, 5_000, 65_000),
                ] {
                    let h = hdr(flags, gso_type, size, start, offset);
                    for offloads in [ALL, NONE] {
                        let Ok(csum) = h.check(offloads, len, FRAME) else {
                            continue;
                        };
                        assert!(len <= MAX_GSO_FRAME);
                        assert!(gso_type == GSO_NONE || (offloads.gso() && size > 0));
                        assert!(gso_type != GSO_NONE || len <= FRAME);
                        if csum == RxCsum::Partial {
                            assert!(offloads.csum);
                            let end = usize::from(start) + usize::from(offset) + 2;
                            assert!(usize::from(start) >= ETH_HLEN && end <= len);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn xdp_takes_neither_merged_segments_nor_partial_checksums() {
        let plain = hdr(0, GSO_NONE, 0, 0, 0);
        let valid = hdr(F_DATA_VALID, GSO_NONE, 0, 0, 0);
        let partial = hdr(F_NEEDS_CSUM, GSO_NONE, 0, 34, 16);
        let tso = hdr(F_NEEDS_CSUM, GSO_TCPV4, 1448, 34, 16);
        let check = |h: RxHdr| h.check(ALL, 1514, FRAME).map(|csum| h.fits_xdp(csum));
        assert_eq!(check(plain), Ok(true));
        assert_eq!(check(valid), Ok(true));
        assert_eq!(check(partial), Ok(false));
        assert_eq!(check(tso), Ok(false));
    }
}
