// SPDX-License-Identifier: GPL-2.0

//! The virtio-net device configuration space: layout, validation, and consistent reads.
//!
//! Pure logic, tested on the host. The fields are those of `struct virtio_net_config` (virtio
//! 1.2 §5.1.4; where they lie is `regs.rs`'s business); validation mirrors `virtnet_validate()`
//! and `virtnet_probe()` in `drivers/net/virtio_net.c`; the generation loop is virtio 1.2
//! §2.5.1 (`virtio_cread_bytes()` in C). Also the sizes the rings and buffers are built with.

#![forbid(unsafe_code)]

use crate::features::{self, Features};

/// Size of every receive and transmit buffer: a header and a standard Ethernet frame with a
/// VLAN tag fit in one; larger frames take several ([`max_frame`]).
pub(crate) const BUF_SIZE: usize = 2048;

/// Size of a receive buffer when the device merges received segments (`GUEST_TSO4/6`,
/// `GUEST_USO4/6`): a
/// page, so that 64 KiB of segments take no more than `MAX_SKB_FRAGS` (17) buffers.
pub(crate) const BIG_RX_BUF_SIZE: usize = 4096;

/// The size of the receive buffers: a page with merged segments, else [`BUF_SIZE`], which a
/// standard frame fits.
pub(crate) fn rx_buf_size(negotiated: Features) -> usize {
    if negotiated.merges_received_segments() {
        BIG_RX_BUF_SIZE
    } else {
        BUF_SIZE
    }
}

/// The most buffers one received packet may take: enough for the largest frame in
/// [`BUF_SIZE`] buffers ([`max_frame`]); a device claiming more is not believed.
pub(crate) const MAX_BUFS_PER_PACKET: usize = 34;

/// Smallest MTU an Ethernet device may have (`ETH_MIN_MTU`).
pub(crate) const ETH_MIN_MTU: u16 = 68;
/// The Ethernet MTU, the initial one (`ETH_DATA_LEN`).
pub(crate) const ETH_DATA_LEN: u16 = 1500;
/// The largest MTU there is (`ETH_MAX_MTU`), the device's limit when it reports none
/// (`MAX_MTU` in `virtnet_probe()`).
pub(crate) const ETH_MAX_MTU: u16 = 65535;

/// `ETH_HLEN`: Ethernet header.
pub(crate) const ETH_HLEN: usize = 14;
/// `VLAN_HLEN`: one 802.1Q tag.
pub(crate) const VLAN_HLEN: usize = 4;

/// Size of `struct virtio_net_hdr` in front of every packet: 12 bytes (with `num_buffers`)
/// for a virtio 1.0 device or with mergeable buffers, 10 for a legacy one without (virtio 1.2
/// §5.1.6, "Legacy Interface: Device Operation").
pub(crate) fn net_hdr_len(negotiated: Features) -> usize {
    if negotiated.has(features::VERSION_1) || negotiated.has(features::MRG_RXBUF) {
        12
    } else {
        10
    }
}

/// The largest frame (Ethernet header, VLAN tag and payload) the rings carry, with buffers of
/// `buf_size` bytes after a header of `hdr_len`: one buffer; or, with mergeable receive
/// buffers, the `max_bufs` a packet may take, as long as the transmit ring of `tx_ring`
/// entries holds two such frames chained.
pub(crate) fn max_frame(
    mergeable: bool,
    buf_size: usize,
    hdr_len: usize,
    max_bufs: usize,
    tx_ring: u16,
) -> usize {
    let bufs = if mergeable {
        max_bufs.min(usize::from(tx_ring / 2)).max(1)
    } else {
        1
    };
    (bufs * buf_size).saturating_sub(hdr_len)
}

/// `GSO_LEGACY_MAX_SIZE`: the largest packet a device is handed to segment (64 KiB, as the
/// virtio header's 16-bit fields allow).
pub(crate) const GSO_MAX_SIZE: u32 = 65536;

/// The largest packet the stack may hand over for the device to segment: 64 KiB, as far as
/// half the transmit ring of `tx_ring` entries, chained buffers of `buf_size` bytes after a
/// header of `hdr_len`, holds one (as for [`max_frame`]).
pub(crate) fn tso_max_size(buf_size: usize, hdr_len: usize, tx_ring: u16) -> u32 {
    let fits = (usize::from(tx_ring / 2) * buf_size).saturating_sub(hdr_len);
    u32::try_from(fits).unwrap_or(u32::MAX).min(GSO_MAX_SIZE)
}

/// The largest MTU: what the device allows, as far as frames of `max_frame` bytes, with their
/// Ethernet header and a VLAN tag, hold.
pub(crate) fn max_mtu(device_max: u16, max_frame: usize) -> u16 {
    let fits = max_frame.saturating_sub(ETH_HLEN + VLAN_HLEN);
    device_max.min(u16::try_from(fits).unwrap_or(u16::MAX))
}

/// The fewest entries a receive ring may have (`ethtool -G`): with mergeable buffers, a
/// packet may take [`MAX_BUFS_PER_PACKET`] buffers, which the ring must hold at once (rounded
/// up to a power of two, as split rings are); otherwise one buffer each, and 16 of them.
pub(crate) fn min_rx_ring(mergeable: bool) -> u16 {
    if mergeable {
        u16::try_from(MAX_BUFS_PER_PACKET.next_power_of_two()).unwrap_or(u16::MAX)
    } else {
        16
    }
}

/// The fewest entries a transmit ring may have (`ethtool -G`) when the largest packet takes
/// `largest` descriptors: twice that, as probe sized the MTU and the largest packet to segment
/// for ([`max_frame`], [`tso_max_size`]: half the ring), rounded up to a power of two.
pub(crate) fn min_tx_ring(largest: u16) -> u16 {
    largest
        .saturating_mul(2)
        .max(1)
        .checked_next_power_of_two()
        .unwrap_or(u16::MAX)
}

/// The frame size an MTU allows: payload, Ethernet header and a VLAN tag.
pub(crate) fn frame_len(mtu: u16) -> usize {
    usize::from(mtu) + ETH_HLEN + VLAN_HLEN
}

/// The largest MTU with an XDP program attached: a frame of that MTU ([`frame_len`]) must fit
/// in an XDP buffer of `buf_size` bytes between the `headroom` and `tailroom` XDP reserves
/// (virtio_net's "MTU too large to enable XDP without frags").
pub(crate) fn xdp_max_mtu(buf_size: usize, headroom: usize, tailroom: usize) -> u16 {
    let frame = buf_size.saturating_sub(headroom + tailroom);
    let mtu = frame.saturating_sub(ETH_HLEN + VLAN_HLEN);
    u16::try_from(mtu).unwrap_or(u16::MAX)
}

/// How many times a configuration read is retried while the device keeps changing it.
pub(crate) const GENERATION_RETRIES: u32 = 16;

/// Link state, as the device reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Link {
    /// Carrier present.
    Up,
    /// Carrier absent.
    Down,
}

impl Link {
    /// Decodes the `VIRTIO_NET_S_LINK_UP` bit of `status`. Without `VIRTIO_NET_F_STATUS` the
    /// link is assumed up (virtio 1.2 §5.1.4.2), as the C driver does.
    pub(crate) fn from_status(negotiated: Features, link_up: bool) -> Self {
        if !negotiated.has(features::STATUS) || link_up {
            Self::Up
        } else {
            Self::Down
        }
    }
}

/// What the raw configuration fields mean, once validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NetConfig {
    /// The device's MAC address, or `None` when it has none (not offered, or not a valid
    /// unicast address): the driver then picks a random one.
    pub(crate) mac: Option<[u8; 6]>,
    /// Link state.
    pub(crate) link: Link,
    /// Largest MTU the device accepts.
    pub(crate) max_mtu: u16,
}

/// The raw fields, as read from the device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawNetConfig {
    /// `mac`.
    pub(crate) mac: [u8; 6],
    /// `VIRTIO_NET_S_LINK_UP` of `status`.
    pub(crate) link_up: bool,
    /// `mtu`.
    pub(crate) mtu: u16,
}

/// Whether `mac` is a valid unicast Ethernet address (`is_valid_ether_addr()`).
pub(crate) fn is_valid_ether_addr(mac: &[u8; 6]) -> bool {
    mac[0] & 1 == 0 && mac.iter().any(|&b| b != 0)
}

/// Where a new MAC address goes before the interface takes it (`virtnet_set_mac_address()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MacWrite {
    /// Through the control queue's `MAC_ADDR_SET` (`VIRTIO_NET_F_CTRL_MAC_ADDR`), on any
    /// device that has it: the device's receive filter then follows the new address. A device
    /// that refuses the command keeps its address, and so does the interface.
    ControlQueue,
    /// Into the configuration space's `mac`: a legacy device that offered `VIRTIO_NET_F_MAC`
    /// takes the address written there (how drivers set it before the control queue's
    /// `MAC_ADDR_SET`). The driver reads it back: a device that kept its own refuses the change.
    ConfigSpace,
    /// Nowhere: a version 1 device's `mac` is the device's to write (virtio 1.2 §5.1.4), and
    /// without `VIRTIO_NET_F_CTRL_MAC_ADDR` it cannot be told. Such a device usually has no
    /// receive filter the driver set either (that takes the control queue's `CTRL_RX`):
    /// Firecracker has none. The interface changes its address alone, as `virtio_net` does.
    InterfaceOnly,
}

impl MacWrite {
    /// How a new address reaches a device with `negotiated` features.
    pub(crate) fn for_device(negotiated: Features) -> Self {
        if negotiated.has(features::CTRL_MAC_ADDR) {
            Self::ControlQueue
        } else if negotiated.has(features::MAC) && !negotiated.has(features::VERSION_1) {
            Self::ConfigSpace
        } else {
            Self::InterfaceOnly
        }
    }
}

/// Drops `VIRTIO_NET_F_MTU` from `negotiated` when the device's MTU is below the Ethernet
/// minimum, before the features are committed (`virtnet_validate()`).
pub(crate) fn validate_mtu_feature(negotiated: Features, mtu: u16) -> Features {
    if negotiated.has(features::MTU) && mtu < ETH_MIN_MTU {
        negotiated.without(features::MTU)
    } else {
        negotiated
    }
}

impl NetConfig {
    /// Interprets the raw fields under the negotiated features.
    pub(crate) fn parse(negotiated: Features, raw: &RawNetConfig) -> Self {
        let mac =
            (negotiated.has(features::MAC) && is_valid_ether_addr(&raw.mac)).then_some(raw.mac);
        let max_mtu = if negotiated.has(features::MTU) && raw.mtu >= ETH_MIN_MTU {
            raw.mtu
        } else {
            ETH_MAX_MTU
        };
        Self {
            mac,
            link: Link::from_status(negotiated, raw.link_up),
            max_mtu,
        }
    }

    /// The MTU the interface starts with: the Ethernet default, or less when the device
    /// cannot take that much.
    pub(crate) fn initial_mtu(&self) -> u16 {
        self.max_mtu.min(ETH_DATA_LEN)
    }
}

/// The device kept changing its configuration while it was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unstable;

/// Reads a consistent snapshot of the configuration space: reads `generation`, then the
/// fields with `read`, then `generation` again, and retries while the two differ, at most
/// [`GENERATION_RETRIES`] times, so that a device that never settles cannot hang the driver.
///
/// # Errors
///
/// [`Unstable`] when the generation changed on every try.
pub(crate) fn read_consistent<T>(
    mut generation: impl FnMut() -> u32,
    mut read: impl FnMut() -> T,
) -> Result<T, Unstable> {
    for _ in 0..GENERATION_RETRIES {
        let before = generation();
        let value = read();
        if generation() == before {
            return Ok(value);
        }
    }
    Err(Unstable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        features::{CTRL_MAC_ADDR, CTRL_VQ, MAC, MTU, STATUS, VERSION_1},
        kernel_ext::net::xdp_layout::{XDP_BUF_SIZE, XDP_HEADROOM, XDP_LINEAR_MAX, XDP_TAILROOM},
        virtqueue::ring::MAX_QUEUE_SIZE,
    };
    use core::cell::Cell;

    #[test]
    fn smallest_rings_keep_what_probe_sized_for() {
        // Probe with QEMU's and Firecracker's 256 entries: jumbo frames with mergeable buffers.
        let hdr = 12;
        let frame = max_frame(true, BUF_SIZE, hdr, MAX_BUFS_PER_PACKET, MAX_QUEUE_SIZE);
        let tso = tso_max_size(BUF_SIZE, hdr, MAX_QUEUE_SIZE);
        // The descriptors the largest frame takes, as `TxQueue::new` counts them.
        let largest = u16::try_from((hdr + frame).div_ceil(BUF_SIZE)).unwrap_or(u16::MAX);
        let tx = min_tx_ring(largest);
        assert!(tx.is_power_of_two() && tx <= MAX_QUEUE_SIZE && tx >= 2 * largest);
        // At the smallest transmit ring, the same frames and segmentation size still fit.
        assert_eq!(
            max_frame(true, BUF_SIZE, hdr, MAX_BUFS_PER_PACKET, tx),
            frame
        );
        assert_eq!(tso_max_size(BUF_SIZE, hdr, tx), tso);
        // Half of it would not hold the largest frame twice.
        assert!(max_frame(true, BUF_SIZE, hdr, MAX_BUFS_PER_PACKET, tx / 2) < frame);
        // A received packet of mergeable buffers takes up to `MAX_BUFS_PER_PACKET` of them.
        let rx = min_rx_ring(true);
        assert!(rx.is_power_of_two() && usize::from(rx) >= MAX_BUFS_PER_PACKET);
        assert!(min_rx_ring(false).is_power_of_two());
        assert_eq!(min_tx_ring(0), 1);
        assert_eq!(min_tx_ring(u16::MAX), u16::MAX);
    }

    #[test]
    fn xdp_mtu_leaves_room_for_the_frame() {
        // The driver's XDP buffer: a page less XDP's headroom and the tailroom for
        // `skb_shared_info` holds 3456 bytes of frame, so an MTU of 3438.
        let mtu = xdp_max_mtu(XDP_BUF_SIZE, XDP_HEADROOM, XDP_TAILROOM);
        assert_eq!(mtu, 3438);
        assert_eq!(frame_len(mtu), XDP_LINEAR_MAX);
        assert!(mtu >= ETH_DATA_LEN);
        assert_eq!(xdp_max_mtu(100, XDP_HEADROOM, XDP_TAILROOM), 0);
    }

    const MAC_A: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x01];

    fn feats(bits: &[u32]) -> Features {
        Features::from_bits(bits.iter().fold(0, |acc, b| acc | 1 << b))
    }

    #[test]
    fn mac_written_to_legacy_config_space_only() {
        assert_eq!(MacWrite::for_device(feats(&[MAC])), MacWrite::ConfigSpace);
        // A version 1 device's `mac` is read-only; one without a MAC has nothing to update.
        assert_eq!(
            MacWrite::for_device(feats(&[MAC, VERSION_1])),
            MacWrite::InterfaceOnly
        );
        assert_eq!(MacWrite::for_device(feats(&[])), MacWrite::InterfaceOnly);
        assert_eq!(
            MacWrite::for_device(feats(&[VERSION_1])),
            MacWrite::InterfaceOnly
        );
        // The control queue's command, where negotiated, on either layout.
        for f in [
            &[CTRL_VQ, CTRL_MAC_ADDR, MAC][..],
            &[CTRL_VQ, CTRL_MAC_ADDR, VERSION_1],
        ] {
            assert_eq!(MacWrite::for_device(feats(f)), MacWrite::ControlQueue);
        }
    }

    #[test]
    fn mac_used_only_when_offered_and_valid() {
        let raw = RawNetConfig {
            mac: MAC_A,
            link_up: true,
            mtu: 0,
        };
        assert_eq!(NetConfig::parse(feats(&[MAC]), &raw).mac, Some(MAC_A));
        assert_eq!(NetConfig::parse(feats(&[]), &raw).mac, None);
        let zero = RawNetConfig { mac: [0; 6], ..raw };
        assert_eq!(NetConfig::parse(feats(&[MAC]), &zero).mac, None);
        let multicast = RawNetConfig {
            mac: [1, 0, 0x5e, 0, 0, 1],
            ..raw
        };
        assert_eq!(NetConfig::parse(feats(&[MAC]), &multicast).mac, None);
    }

    #[test]
    fn link_follows_status_bit_only_with_status_feature() {
        assert_eq!(Link::from_status(feats(&[STATUS]), true), Link::Up);
        assert_eq!(Link::from_status(feats(&[STATUS]), false), Link::Down);
        assert_eq!(Link::from_status(feats(&[]), false), Link::Up);
        let down = RawNetConfig {
            link_up: false,
            ..Default::default()
        };
        assert_eq!(NetConfig::parse(feats(&[STATUS]), &down).link, Link::Down);
        assert_eq!(NetConfig::parse(feats(&[]), &down).link, Link::Up);
    }

    #[test]
    fn mtu_from_device_or_ethernet_default() {
        let raw = RawNetConfig {
            mtu: 9000,
            ..Default::default()
        };
        let cfg = NetConfig::parse(feats(&[MTU]), &raw);
        assert_eq!((cfg.max_mtu, cfg.initial_mtu()), (9000, 1500));
        let small = RawNetConfig { mtu: 576, ..raw };
        let cfg = NetConfig::parse(feats(&[MTU]), &small);
        assert_eq!((cfg.max_mtu, cfg.initial_mtu()), (576, 576));
        assert_eq!(NetConfig::parse(feats(&[]), &raw).max_mtu, ETH_MAX_MTU);
        assert_eq!(
            NetConfig::parse(feats(&[]), &raw).initial_mtu(),
            ETH_DATA_LEN
        );
    }

    #[test]
    fn header_length_depends_on_version_1() {
        use crate::features::VERSION_1;
        assert_eq!(net_hdr_len(feats(&[VERSION_1])), 12);
        assert_eq!(net_hdr_len(feats(&[MAC])), 10);
        assert_eq!(net_hdr_len(feats(&[MAC, crate::features::MRG_RXBUF])), 12);
    }

    #[test]
    fn segmentation_size_is_what_half_the_ring_chains() {
        // 256 entries: 128 buffers of 2 KiB hold far more than 64 KiB.
        assert_eq!(tso_max_size(BUF_SIZE, 12, 256), GSO_MAX_SIZE);
        // 16 entries: 8 buffers less the header.
        assert_eq!(tso_max_size(BUF_SIZE, 12, 16), 8 * 2048 - 12);
        assert_eq!(tso_max_size(BUF_SIZE, 12, 1), 0);
        // The largest merged packet a device may send, after its header, fits in the buffers
        // a packet may take, and in the 17 fragments of a socket buffer.
        let frame = crate::nic::net_hdr::MAX_GSO_FRAME + 12;
        for merging in [
            crate::features::GUEST_TSO4,
            crate::features::GUEST_TSO6,
            crate::features::GUEST_USO4,
            crate::features::GUEST_USO6,
        ] {
            let gso = feats(&[merging]);
            assert!(frame <= MAX_BUFS_PER_PACKET * rx_buf_size(gso));
            assert!(frame <= 17 * rx_buf_size(gso));
        }
        assert_eq!(rx_buf_size(feats(&[])), BUF_SIZE);
    }

    #[test]
    fn max_mtu_is_what_the_buffers_hold() {
        let (buf, max_bufs, ring) = (BUF_SIZE, MAX_BUFS_PER_PACKET, MAX_QUEUE_SIZE);
        // One 2 KiB buffer per packet, after a 12-byte header (10 for legacy devices).
        let small = max_frame(false, buf, 12, max_bufs, ring);
        assert_eq!(max_mtu(9000, small), 2018);
        assert_eq!(max_mtu(1500, small), 1500);
        assert_eq!(
            max_mtu(9000, max_frame(false, buf, 10, max_bufs, ring)),
            2020
        );
        assert_eq!(max_mtu(1500, max_frame(false, 20, 12, max_bufs, ring)), 0);
        // Mergeable buffers: the device's limit, up to the largest MTU there is, which the
        // driver's buffers must hold.
        let big = max_frame(true, buf, 12, max_bufs, ring);
        assert_eq!(max_mtu(9000, big), 9000);
        assert_eq!(max_mtu(ETH_MAX_MTU, big), ETH_MAX_MTU);
        assert!(frame_len(ETH_MAX_MTU) <= big);
        // A small transmit ring must hold two chained frames.
        assert_eq!(max_frame(true, buf, 12, max_bufs, 8), 4 * buf - 12);
        assert_eq!(max_frame(true, buf, 12, max_bufs, 1), buf - 12);
    }

    #[test]
    fn tiny_mtu_drops_the_feature() {
        assert!(!validate_mtu_feature(feats(&[MTU, MAC]), 67).has(MTU));
        assert!(validate_mtu_feature(feats(&[MTU, MAC]), 68).has(MTU));
        assert!(validate_mtu_feature(feats(&[MTU, MAC]), 67).has(MAC));
    }

    #[test]
    fn consistent_read_retries_until_generation_settles() {
        // The generation changes during the first two reads, then holds.
        let gens = [0u32, 1, 1, 2, 2, 2];
        let i = Cell::new(0);
        let reads = Cell::new(0);
        let got = read_consistent(
            || {
                let g = gens[i.get()];
                i.set(i.get() + 1);
                g
            },
            || {
                reads.set(reads.get() + 1);
                reads.get()
            },
        );
        assert_eq!(got, Ok(3));
    }

    #[test]
    fn consistent_read_gives_up_on_a_device_that_never_settles() {
        let g = Cell::new(0u32);
        let got = read_consistent(
            || {
                g.set(g.get().wrapping_add(1));
                g.get()
            },
            || (),
        );
        assert_eq!(got, Err(Unstable));
        assert_eq!(g.get(), 2 * GENERATION_RETRIES);
    }
}
