// SPDX-License-Identifier: GPL-2.0

//! A hostile device's `virtio_net_hdr`s against the driver's header checks (`nic/net_hdr.rs`).
//!
//! Each input is a header as the device writes it (the ten bytes of its fields), a length the
//! device reports, and the offloads the driver negotiated. Whatever [`RxHdr::check`] accepts
//! must be something that device was allowed to send: a known flag, a negotiated segmentation
//! type with segments of a size, a checksum field inside the packet and after the Ethernet
//! header, and a length within the MTU's frame (or 64 KiB for merged segments). Any violation
//! panics, which the unit test and the fuzz target report.

use crate::nic::{
    config::ETH_HLEN,
    net_hdr::{
        RxCsum, RxHdr, RxOffloads, F_DATA_VALID, F_NEEDS_CSUM, GSO_ECN, GSO_NONE, GSO_TCPV4,
        GSO_TCPV6, GSO_UDP_L4, HDR_FIELDS_LEN, MAX_GSO_FRAME,
    },
};

/// The MTU's frame the checks are run with: 1500 bytes, a VLAN tag and the Ethernet header.
const MAX_FRAME: usize = 1518;

/// Checks the header in `data` (fields, 3 bytes of length, 1 byte of offloads); panics on any
/// header accepted that the device had no right to write. Returns whether it was accepted.
pub fn run(data: &[u8]) -> bool {
    let mut fields = [0u8; HDR_FIELDS_LEN];
    for (f, b) in fields.iter_mut().zip(data) {
        *f = *b;
    }
    let rest = data.get(HDR_FIELDS_LEN..).unwrap_or(&[]);
    let byte = |i: usize| rest.get(i).copied().unwrap_or(0);
    let len = usize::from(byte(0)) | usize::from(byte(1)) << 8 | usize::from(byte(2) & 1) << 16;
    let bits = byte(3);
    let offloads = RxOffloads {
        csum: bits & 1 != 0,
        tso4: bits & 2 != 0,
        tso6: bits & 4 != 0,
        ecn: bits & 8 != 0,
        uso: bits & 32 != 0,
    };
    let little_endian = bits & 16 == 0;
    let hdr = RxHdr::parse(&fields, little_endian);
    let Ok(csum) = hdr.check(offloads, len, MAX_FRAME) else {
        return false;
    };
    // Known flags only.
    assert_eq!(hdr.flags & !(F_NEEDS_CSUM | F_DATA_VALID), 0, "{hdr:?}");
    // Segmentation: negotiated, with its ECN, and a segment size.
    let tso = hdr.gso_type & !GSO_ECN;
    if hdr.gso_type == GSO_NONE {
        assert!(len <= MAX_FRAME, "{hdr:?} {len}");
    } else {
        assert!(
            (tso == GSO_TCPV4 && offloads.tso4)
                || (tso == GSO_TCPV6 && offloads.tso6)
                || (hdr.gso_type == GSO_UDP_L4 && offloads.uso),
            "{hdr:?} {offloads:?}"
        );
        assert!(hdr.gso_type & GSO_ECN == 0 || offloads.ecn, "{hdr:?}");
        assert!(tso != GSO_UDP_L4 || hdr.gso_type & GSO_ECN == 0, "{hdr:?}");
        assert!(hdr.gso_size > 0 && len <= MAX_GSO_FRAME, "{hdr:?} {len}");
    }
    match csum {
        RxCsum::Partial => {
            assert!(offloads.csum && hdr.flags & F_NEEDS_CSUM != 0, "{hdr:?}");
            let start = usize::from(hdr.csum_start);
            assert!(start >= ETH_HLEN, "{hdr:?}");
            assert!(
                start + usize::from(hdr.csum_offset) + 2 <= len,
                "{hdr:?} {len}"
            );
        }
        RxCsum::Valid => assert!(offloads.csum && hdr.flags & F_DATA_VALID != 0, "{hdr:?}"),
        RxCsum::None => assert!(hdr.flags & F_NEEDS_CSUM == 0, "{hdr:?}"),
    }
    true
}

#[cfg(test)]
mod tests {
    /// A deterministic sweep: headers from a linear congruential generator, every fourth one
    /// built to pass (so that acceptance is exercised too).
    #[test]
    fn hostile_headers() {
        let steps: u64 = std::env::var("RVNET_HOSTILE_STEPS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200_000);
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut accepted = 0;
        for i in 0..steps {
            let mut data = [0u8; 14];
            for b in &mut data {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *b = (x >> 56) as u8;
            }
            if i % 4 == 0 {
                // Plausible: a known flag, a TCP type, a checksum field near the start.
                data[0] &= 3;
                data[1] = [0, 1, 4, 0x81][usize::from(data[1] & 3)];
                data[7] = 0;
                data[9] = 0;
                data[13] |= 0x0f;
            }
            accepted += u64::from(super::run(&data));
        }
        assert!(accepted > steps / 20, "only {accepted} of {steps} accepted");
    }
}
