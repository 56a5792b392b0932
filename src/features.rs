// SPDX-License-Identifier: GPL-2.0

//! Virtio feature bits that rvnet understands, what it asks for, and how it negotiates them.
//!
//! Pure logic, tested on the host. Mirrors the feature handling of `drivers/virtio/virtio.c`
//! (`virtio_dev_probe`) and `virtnet_validate()` in `drivers/net/virtio_net.c`; bit numbers are
//! from the virtio 1.2 specification, §5.1.3 (network device) and §6 (reserved feature bits).

#![forbid(unsafe_code)]

use core::fmt;

/// The virtio-mmio register layout a device uses (virtio 1.2 §4.2.2 and §4.2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    /// Version 1: the legacy layout (QEMU's default for virtio-mmio).
    Legacy = 1,
    /// Version 2: the virtio 1.0+ layout.
    Modern = 2,
}

impl Version {
    /// Returns the register value that identifies this layout.
    pub(crate) const fn number(self) -> u32 {
        self as u32
    }
}

impl TryFrom<u32> for Version {
    type Error = u32;

    fn try_from(value: u32) -> Result<Self, u32> {
        match value {
            1 => Ok(Self::Legacy),
            2 => Ok(Self::Modern),
            other => Err(other),
        }
    }
}

/// One feature bit that rvnet knows by name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Feature {
    /// Bit number in the 64-bit feature space.
    pub(crate) bit: u32,
    /// Name as in the specification, without the `VIRTIO_NET_F_` / `VIRTIO_F_` prefix.
    pub(crate) name: &'static str,
}

/// `VIRTIO_NET_F_CSUM`: the device completes partial checksums of packets the driver sends.
pub(crate) const CSUM: u32 = 0;
/// `VIRTIO_NET_F_GUEST_CSUM`: the device may send packets with partial checksums, or mark
/// checksums it has validated.
pub(crate) const GUEST_CSUM: u32 = 1;
/// `VIRTIO_NET_F_CTRL_GUEST_OFFLOADS`: the control queue turns the receive offloads
/// (`GUEST_*`) on and off.
pub(crate) const CTRL_GUEST_OFFLOADS: u32 = 2;
/// `VIRTIO_NET_F_GUEST_TSO4`: the device may send TCP/IPv4 packets larger than the MTU.
pub(crate) const GUEST_TSO4: u32 = 7;
/// `VIRTIO_NET_F_GUEST_TSO6`: the same for TCP/IPv6.
pub(crate) const GUEST_TSO6: u32 = 8;
/// `VIRTIO_NET_F_GUEST_ECN`: such packets may carry the ECN CWR flag.
pub(crate) const GUEST_ECN: u32 = 9;
/// `VIRTIO_NET_F_HOST_TSO4`: the device segments TCP/IPv4 packets the driver sends.
pub(crate) const HOST_TSO4: u32 = 11;
/// `VIRTIO_NET_F_HOST_TSO6`: the same for TCP/IPv6.
pub(crate) const HOST_TSO6: u32 = 12;
/// `VIRTIO_NET_F_HOST_ECN`: the device segments packets with the ECN CWR flag.
pub(crate) const HOST_ECN: u32 = 13;
/// `VIRTIO_NET_F_MTU`: the device reports its maximum MTU in `mtu`.
pub(crate) const MTU: u32 = 3;
/// `VIRTIO_NET_F_MAC`: the device has a MAC address in `mac`.
pub(crate) const MAC: u32 = 5;
/// `VIRTIO_NET_F_MRG_RXBUF`: a received packet may span several buffers, the header's
/// `num_buffers` telling how many.
pub(crate) const MRG_RXBUF: u32 = 15;
/// `VIRTIO_NET_F_STATUS`: `status` holds the link state.
pub(crate) const STATUS: u32 = 16;
/// `VIRTIO_NET_F_CTRL_VQ`: the device has a control virtqueue (`nic::ctrl`).
pub(crate) const CTRL_VQ: u32 = 17;
/// `VIRTIO_NET_F_CTRL_RX`: the control queue sets the receive mode (promiscuous,
/// all-multicast) and the MAC address table.
pub(crate) const CTRL_RX: u32 = 18;
/// `VIRTIO_NET_F_CTRL_VLAN`: the control queue sets the VLAN filter; the device drops tagged
/// frames of VLANs it was not told of.
pub(crate) const CTRL_VLAN: u32 = 19;
/// `VIRTIO_NET_F_GUEST_ANNOUNCE`: the device asks the driver (`status`) to announce itself
/// after a migration, and the driver acknowledges through the control queue.
pub(crate) const GUEST_ANNOUNCE: u32 = 21;
/// `VIRTIO_NET_F_CTRL_MAC_ADDR`: the control queue sets the device's MAC address.
pub(crate) const CTRL_MAC_ADDR: u32 = 23;
/// `VIRTIO_RING_F_INDIRECT_DESC`: a descriptor may point to a table of descriptors; rvnet
/// sends a mapped packet (a TSO packet: up to 19 parts) as one descriptor of the transmit ring.
pub(crate) const INDIRECT_DESC: u32 = 28;
/// `VIRTIO_RING_F_EVENT_IDX`: `used_event`/`avail_event` thresholds suppress interrupts and
/// notifications (virtio 1.2 §2.7.7, §2.7.10).
pub(crate) const EVENT_IDX: u32 = 29;
/// `VIRTIO_F_VERSION_1`: the device complies with virtio 1.0+ (mandatory on MMIO version 2).
pub(crate) const VERSION_1: u32 = 32;
/// `VIRTIO_NET_F_GUEST_USO4`: the device may send UDP/IPv4 packets larger than the MTU, to be
/// segmented into datagrams of `gso_size` (`SKB_GSO_UDP_L4`).
pub(crate) const GUEST_USO4: u32 = 54;
/// `VIRTIO_NET_F_GUEST_USO6`: the same for UDP/IPv6.
pub(crate) const GUEST_USO6: u32 = 55;
/// `VIRTIO_NET_F_HOST_USO`: the device segments UDP packets the driver sends
/// (`VIRTIO_NET_HDR_GSO_UDP_L4`, IPv4 and IPv6).
pub(crate) const HOST_USO: u32 = 56;
/// `VIRTIO_F_ACCESS_PLATFORM`: the device reaches memory through the platform's DMA
/// translation (an IOMMU, or a confidential VM's shared bounce buffers), so every address the
/// driver gives it must come from the DMA API. rvnet's always do: the rings are coherent
/// allocations, receive buffers the page pool's mappings, transmitted fragments streaming
/// mappings, synced before the CPU reads what the device wrote.
pub(crate) const ACCESS_PLATFORM: u32 = 33;

/// The receive offloads by which the device merges segments (large receive offload, `GRO_HW`):
/// `GUEST_TSO4/6` and `GUEST_USO4/6`.
pub(crate) const GUEST_MERGING: u64 =
    1 << GUEST_TSO4 | 1 << GUEST_TSO6 | 1 << GUEST_USO4 | 1 << GUEST_USO6;

/// Every feature rvnet drives. Adding a feature is adding a line here (and the code using it).
pub(crate) const SUPPORTED: &[Feature] = &[
    Feature {
        bit: CSUM,
        name: "CSUM",
    },
    Feature {
        bit: GUEST_CSUM,
        name: "GUEST_CSUM",
    },
    Feature {
        bit: CTRL_GUEST_OFFLOADS,
        name: "CTRL_GUEST_OFFLOADS",
    },
    Feature {
        bit: MTU,
        name: "MTU",
    },
    Feature {
        bit: MAC,
        name: "MAC",
    },
    Feature {
        bit: GUEST_TSO4,
        name: "GUEST_TSO4",
    },
    Feature {
        bit: GUEST_TSO6,
        name: "GUEST_TSO6",
    },
    Feature {
        bit: GUEST_ECN,
        name: "GUEST_ECN",
    },
    Feature {
        bit: HOST_TSO4,
        name: "HOST_TSO4",
    },
    Feature {
        bit: HOST_TSO6,
        name: "HOST_TSO6",
    },
    Feature {
        bit: HOST_ECN,
        name: "HOST_ECN",
    },
    Feature {
        bit: MRG_RXBUF,
        name: "MRG_RXBUF",
    },
    Feature {
        bit: STATUS,
        name: "STATUS",
    },
    Feature {
        bit: CTRL_VQ,
        name: "CTRL_VQ",
    },
    Feature {
        bit: CTRL_RX,
        name: "CTRL_RX",
    },
    Feature {
        bit: CTRL_VLAN,
        name: "CTRL_VLAN",
    },
    Feature {
        bit: GUEST_ANNOUNCE,
        name: "GUEST_ANNOUNCE",
    },
    Feature {
        bit: CTRL_MAC_ADDR,
        name: "CTRL_MAC_ADDR",
    },
    Feature {
        bit: INDIRECT_DESC,
        name: "INDIRECT_DESC",
    },
    Feature {
        bit: EVENT_IDX,
        name: "EVENT_IDX",
    },
    Feature {
        bit: VERSION_1,
        name: "VERSION_1",
    },
    Feature {
        bit: ACCESS_PLATFORM,
        name: "ACCESS_PLATFORM",
    },
    Feature {
        bit: GUEST_USO4,
        name: "GUEST_USO4",
    },
    Feature {
        bit: GUEST_USO6,
        name: "GUEST_USO6",
    },
    Feature {
        bit: HOST_USO,
        name: "HOST_USO",
    },
];

/// A set of feature bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Features(u64);

impl Features {
    /// The empty set.
    #[cfg(test)]
    pub(crate) const EMPTY: Self = Self(0);

    /// Makes a set from its 64-bit representation.
    pub(crate) const fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// Makes a set from its two 32-bit feature words, as the transport reads them.
    pub(crate) const fn from_words(low: u32, high: u32) -> Self {
        Self(((high as u64) << 32) | low as u64)
    }

    /// Returns the 64-bit representation.
    pub(crate) const fn bits(self) -> u64 {
        self.0
    }

    /// Returns feature word `index` (0: bits 0-31, 1: bits 32-63).
    pub(crate) const fn word(self, index: u32) -> u32 {
        // CAST: Truncation to the selected 32-bit word is intended.
        (self.0 >> (32 * (index & 1))) as u32
    }

    /// Whether `bit` is in the set. Bits beyond 63 are never set.
    pub(crate) const fn has(self, bit: u32) -> bool {
        bit < 64 && self.0 & (1 << bit) != 0
    }

    /// Whether the set lets the device merge received segments into packets larger than the
    /// MTU (one of [`GUEST_MERGING`]).
    pub(crate) const fn merges_received_segments(self) -> bool {
        self.0 & GUEST_MERGING != 0
    }

    /// The set of every bit in `SUPPORTED`.
    pub(crate) fn supported() -> Self {
        Self(SUPPORTED.iter().fold(0, |acc, f| acc | 1 << f.bit))
    }

    /// The intersection of two sets.
    pub(crate) const fn and(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// This set without `bit`.
    pub(crate) const fn without(self, bit: u32) -> Self {
        if bit < 64 {
            Self(self.0 & !(1 << bit))
        } else {
            self
        }
    }

    /// Names of the known features in the set, in table order.
    pub(crate) fn names(self) -> impl Iterator<Item = &'static str> {
        SUPPORTED
            .iter()
            .filter(move |f| self.has(f.bit))
            .map(|f| f.name)
    }
}

/// Writes `0x<16 hex digits>` followed by the names of the known bits.
impl fmt::Display for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#018x}", self.0)?;
        for name in self.names() {
            write!(f, " {name}")?;
        }
        Ok(())
    }
}

/// Why the negotiation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NegotiationError {
    /// A version 2 device must offer `VIRTIO_F_VERSION_1` (virtio 1.2 §4.2.2.2); the C driver
    /// refuses such a device the same way.
    ModernWithoutVersion1,
}

/// Chooses the features to accept from those a device offers.
///
/// rvnet takes what it supports and the device offers. A legacy device has no feature word 1:
/// whatever it claims there is ignored.
///
/// # Errors
///
/// [`NegotiationError::ModernWithoutVersion1`] for a version 2 device without `VERSION_1`.
pub(crate) fn negotiate(offered: Features, version: Version) -> Result<Features, NegotiationError> {
    let offered = match version {
        Version::Legacy => Features(offered.0 & 0xffff_ffff),
        Version::Modern if !offered.has(VERSION_1) => {
            return Err(NegotiationError::ModernWithoutVersion1)
        }
        Version::Modern => offered,
    };
    Ok(drop_orphans(offered.and(Features::supported())))
}

/// Each feature that needs another, with what it needs: one of the bits in the mask.
///
/// The specification's dependencies (virtio 1.2 §5.1.3.1: TSO and USO need the checksum offload in
/// the same direction, ECN needs TSO, each kind of control command needs the control queue), one
/// the specification states elsewhere (§5.1.6.5.2: without `CTRL_RX` the driver MUST NOT issue
/// commands of the `VIRTIO_NET_CTRL_MAC` class, which `MAC_ADDR_SET` is one of, so `CTRL_MAC_ADDR`
/// needs `CTRL_RX`; `virtio_net` sends it anyway), and two of rvnet's own: it receives packets
/// larger than a buffer only as mergeable buffers (it has no "big packets" mode), so large receive
/// offload needs `MRG_RXBUF`; and the request to announce is a bit of `status`, so `GUEST_ANNOUNCE`
/// needs `STATUS`. Listed so that one pass settles everything: a feature is checked only after
/// those it depends on.
const DEPENDS: &[(u32, u64)] = &[
    (HOST_TSO4, 1 << CSUM),
    (HOST_TSO6, 1 << CSUM),
    (HOST_ECN, 1 << HOST_TSO4 | 1 << HOST_TSO6),
    (GUEST_TSO4, 1 << GUEST_CSUM),
    (GUEST_TSO4, 1 << MRG_RXBUF),
    (GUEST_TSO6, 1 << GUEST_CSUM),
    (GUEST_TSO6, 1 << MRG_RXBUF),
    (GUEST_ECN, 1 << GUEST_TSO4 | 1 << GUEST_TSO6),
    (HOST_USO, 1 << CSUM),
    (GUEST_USO4, 1 << GUEST_CSUM),
    (GUEST_USO4, 1 << MRG_RXBUF),
    (GUEST_USO6, 1 << GUEST_CSUM),
    (GUEST_USO6, 1 << MRG_RXBUF),
    (CTRL_RX, 1 << CTRL_VQ),
    (CTRL_VLAN, 1 << CTRL_VQ),
    (GUEST_ANNOUNCE, 1 << CTRL_VQ),
    (GUEST_ANNOUNCE, 1 << STATUS),
    (CTRL_MAC_ADDR, 1 << CTRL_VQ),
    (CTRL_MAC_ADDR, 1 << CTRL_RX),
    (CTRL_GUEST_OFFLOADS, 1 << CTRL_VQ),
];

/// `set` without the features whose dependencies it lacks (a driver must not accept those,
/// virtio 1.2 §5.1.3.1).
fn drop_orphans(set: Features) -> Features {
    DEPENDS.iter().fold(set, |set, &(bit, needs)| {
        if set.0 & needs == 0 {
            set.without(bit)
        } else {
            set
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modern_takes_only_supported_offered_bits() {
        // Offered: MAC, STATUS, VERSION_1, plus GUEST_UFO (10) and MQ (22), which rvnet
        // lacks.
        let offered =
            Features::from_bits(1 << MAC | 1 << STATUS | 1 << VERSION_1 | 1 << 10 | 1 << 22);
        let got = negotiate(offered, Version::Modern);
        assert_eq!(
            got,
            Ok(Features::from_bits(1 << MAC | 1 << STATUS | 1 << VERSION_1))
        );
    }

    #[test]
    fn access_platform_is_accepted_on_a_modern_device_only() {
        // QEMU's `iommu_platform=on`: refusing it fails FEATURES_OK, and the device is lost.
        let offered = Features::from_bits(1 << MAC | 1 << VERSION_1 | 1 << ACCESS_PLATFORM);
        assert_eq!(negotiate(offered, Version::Modern), Ok(offered));
        // Feature word 1 does not exist on a legacy device.
        let Ok(legacy) = negotiate(offered, Version::Legacy) else {
            panic!("a legacy device needs no VERSION_1");
        };
        assert!(!legacy.has(ACCESS_PLATFORM));
    }

    #[test]
    fn ring_features_are_accepted_on_both_layouts() {
        // Indirect descriptors and event indices are ring features, in feature word 0.
        let ring = 1 << INDIRECT_DESC | 1 << EVENT_IDX;
        for version in [Version::Legacy, Version::Modern] {
            let offered = Features::from_bits(ring | 1 << MAC | 1 << VERSION_1);
            let Ok(got) = negotiate(offered, version) else {
                panic!("offered VERSION_1");
            };
            assert!(got.has(INDIRECT_DESC) && got.has(EVENT_IDX));
        }
    }

    #[test]
    fn modern_without_version_1_is_refused() {
        let offered = Features::from_bits(1 << MAC | 1 << STATUS);
        assert_eq!(
            negotiate(offered, Version::Modern),
            Err(NegotiationError::ModernWithoutVersion1)
        );
    }

    #[test]
    fn legacy_ignores_high_word() {
        let offered = Features::from_words(1 << MAC | 1 << MTU, 1 | 1 << (VERSION_1 - 32));
        let Ok(got) = negotiate(offered, Version::Legacy) else {
            panic!("a legacy device needs no VERSION_1");
        };
        assert!(got.has(MAC) && got.has(MTU));
        assert!(!got.has(VERSION_1));
        assert_eq!(got.word(1), 0);
    }

    #[test]
    fn offloads_without_their_dependencies_are_refused() {
        let all = |bits: &[u32]| Features::from_bits(bits.iter().fold(0, |a, b| a | 1 << b));
        let get = |bits: &[u32]| negotiate(all(bits), Version::Modern).map(Features::bits);
        // Everything with its dependencies: kept.
        let full = [
            CSUM, GUEST_CSUM, GUEST_TSO4, GUEST_TSO6, GUEST_ECN, HOST_TSO4, HOST_TSO6, HOST_ECN,
            MRG_RXBUF, VERSION_1, GUEST_USO4, GUEST_USO6, HOST_USO,
        ];
        assert_eq!(get(&full), Ok(all(&full).bits()));
        // TSO without the checksum offload of its direction, ECN without TSO: dropped.
        assert_eq!(
            get(&[HOST_TSO4, HOST_ECN, GUEST_TSO6, MRG_RXBUF, VERSION_1]),
            Ok(all(&[MRG_RXBUF, VERSION_1]).bits())
        );
        assert_eq!(
            get(&[CSUM, HOST_ECN, GUEST_CSUM, GUEST_ECN, MRG_RXBUF, VERSION_1]),
            Ok(all(&[CSUM, GUEST_CSUM, MRG_RXBUF, VERSION_1]).bits())
        );
        // USO without the checksum offload of its direction, or (receive) without mergeable
        // buffers: dropped.
        assert_eq!(
            get(&[HOST_USO, GUEST_USO4, MRG_RXBUF, VERSION_1]),
            Ok(all(&[MRG_RXBUF, VERSION_1]).bits())
        );
        assert_eq!(
            get(&[CSUM, HOST_USO, GUEST_CSUM, GUEST_USO6, VERSION_1]),
            Ok(all(&[CSUM, HOST_USO, GUEST_CSUM, VERSION_1]).bits())
        );
        // Large receive offload without mergeable buffers (and so its ECN): dropped.
        assert_eq!(
            get(&[GUEST_CSUM, GUEST_TSO4, GUEST_ECN, VERSION_1]),
            Ok(all(&[GUEST_CSUM, VERSION_1]).bits())
        );
        // One of two TSO directions is enough for ECN.
        assert_eq!(
            get(&[CSUM, HOST_TSO6, HOST_ECN, VERSION_1]),
            Ok(all(&[CSUM, HOST_TSO6, HOST_ECN, VERSION_1]).bits())
        );
        // Control commands without the control queue: dropped; with it, kept.
        let base = [STATUS, VERSION_1];
        let commands = [
            CTRL_RX,
            CTRL_VLAN,
            GUEST_ANNOUNCE,
            CTRL_MAC_ADDR,
            CTRL_GUEST_OFFLOADS,
        ];
        let without: Vec<u32> = commands.iter().chain(&base).copied().collect();
        assert_eq!(get(&without), Ok(all(&base).bits()));
        let with: Vec<u32> = without.iter().chain(&[CTRL_VQ]).copied().collect();
        assert_eq!(get(&with), Ok(all(&with).bits()));
        // Setting the MAC address through the control queue without `CTRL_RX`: a command of
        // the MAC class, which needs it. Dropped; the address is then the interface's alone.
        assert_eq!(
            get(&[CTRL_VQ, CTRL_MAC_ADDR, MAC, VERSION_1]),
            Ok(all(&[CTRL_VQ, MAC, VERSION_1]).bits())
        );
        // The announcement request without `status` to carry it: dropped.
        assert_eq!(
            get(&[CTRL_VQ, GUEST_ANNOUNCE, VERSION_1]),
            Ok(all(&[CTRL_VQ, VERSION_1]).bits())
        );
    }

    #[test]
    fn words_round_trip() {
        let f = Features::from_words(0xdead_beef, 0x1234_5678);
        assert_eq!(f.bits(), 0x1234_5678_dead_beef);
        assert_eq!(f.word(0), 0xdead_beef);
        assert_eq!(f.word(1), 0x1234_5678);
    }

    #[test]
    fn out_of_range_bits_are_never_set() {
        let all = Features::from_bits(u64::MAX);
        assert!(!all.has(64));
        assert!(!all.has(u32::MAX));
        assert_eq!(all.without(64), all);
    }

    #[test]
    fn display_lists_names_in_table_order() {
        let f = Features::from_bits(1 << VERSION_1 | 1 << MAC | 1 << MTU);
        assert_eq!(format!("{f}"), "0x0000000100000028 MTU MAC VERSION_1");
    }

    #[test]
    fn version_from_register() {
        assert_eq!(Version::try_from(1), Ok(Version::Legacy));
        assert_eq!(Version::try_from(2), Ok(Version::Modern));
        assert_eq!(Version::try_from(3), Err(3));
        assert_eq!(Version::Modern.number(), 2);
    }
}
