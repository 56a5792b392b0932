// SPDX-License-Identifier: GPL-2.0

//! Commands of the control virtqueue: how each is laid out, what the device's answer means, and
//! which receive filter the interface's flags and address lists become.
//!
//! Pure logic, tested on the host. Virtio 1.2 §5.1.6.5 (control virtqueue); the commands
//! `virtnet_set_rx_mode()`, `virtnet_set_mac_address()`, `virtnet_vlan_rx_add_vid()`,
//! `virtnet_ack_link_announce()` and `virtnet_set_guest_offloads()` of
//! `drivers/net/virtio_net.c` send. The device is not trusted: an answer other than
//! `VIRTIO_NET_OK` or `VIRTIO_NET_ERR`, or one the device did not write, is garbage.

#![forbid(unsafe_code)]

use crate::features::{self, Features};

/// `VIRTIO_NET_OK`: the device carried out the command.
pub(crate) const VIRTIO_NET_OK: u8 = 0;
/// `VIRTIO_NET_ERR`: the device refused the command.
pub(crate) const VIRTIO_NET_ERR: u8 = 1;

/// The device's table holds this many addresses (QEMU's `MAC_TABLE_ENTRIES`); beyond it a
/// device falls back to receiving every address of the kind, and so does rvnet, saying so.
pub(crate) const MAC_TABLE_ENTRIES: usize = 64;

/// The longest command: the class and command bytes, then two tables (a `le32` count and
/// six bytes per address) holding [`MAC_TABLE_ENTRIES`] addresses between them.
pub(crate) const MAX_COMMAND: usize = 2 + 4 + 4 + 6 * MAC_TABLE_ENTRIES;

/// A command for the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command<'a> {
    /// `VIRTIO_NET_CTRL_RX_PROMISC`: receive every frame, or not.
    Promisc(bool),
    /// `VIRTIO_NET_CTRL_RX_ALLMULTI`: receive every multicast frame, or not.
    AllMulti(bool),
    /// `VIRTIO_NET_CTRL_MAC_TABLE_SET`: the unicast and multicast addresses to receive, besides
    /// the device's own.
    MacTable {
        /// The unicast addresses.
        unicast: &'a [[u8; 6]],
        /// The multicast addresses.
        multicast: &'a [[u8; 6]],
    },
    /// `VIRTIO_NET_CTRL_MAC_ADDR_SET`: the device's own address.
    MacAddrSet([u8; 6]),
    /// `VIRTIO_NET_CTRL_VLAN_ADD`: receive frames of this VLAN.
    VlanAdd(u16),
    /// `VIRTIO_NET_CTRL_VLAN_DEL`: no longer receive frames of this VLAN.
    VlanDel(u16),
    /// `VIRTIO_NET_CTRL_ANNOUNCE_ACK`: the driver announced itself, as the device asked.
    AnnounceAck,
    /// `VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET`: the receive offloads the device may use, as
    /// feature bits ([`guest_offloads`]).
    GuestOffloads(Features),
}

/// Why a command did not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TooLong;

impl Command<'_> {
    /// The command's class and command numbers.
    pub(crate) const fn class_cmd(&self) -> (u8, u8) {
        match self {
            Self::Promisc(_) => (0, 0),
            Self::AllMulti(_) => (0, 1),
            Self::MacTable { .. } => (1, 0),
            Self::MacAddrSet(_) => (1, 1),
            Self::VlanAdd(_) => (2, 0),
            Self::VlanDel(_) => (2, 1),
            Self::AnnounceAck => (3, 0),
            Self::GuestOffloads(_) => (5, 0),
        }
    }

    /// The command's name, for messages.
    pub(crate) const fn name(&self) -> &'static str {
        match self {
            Self::Promisc(_) => "RX_PROMISC",
            Self::AllMulti(_) => "RX_ALLMULTI",
            Self::MacTable { .. } => "MAC_TABLE_SET",
            Self::MacAddrSet(_) => "MAC_ADDR_SET",
            Self::VlanAdd(_) => "VLAN_ADD",
            Self::VlanDel(_) => "VLAN_DEL",
            Self::AnnounceAck => "ANNOUNCE_ACK",
            Self::GuestOffloads(_) => "GUEST_OFFLOADS_SET",
        }
    }

    /// Writes the command (its header, then its data, little-endian) to the start of `out`
    /// and returns its length.
    ///
    /// # Errors
    ///
    /// [`TooLong`] when `out` cannot hold it.
    pub(crate) fn encode(&self, out: &mut [u8]) -> Result<usize, TooLong> {
        let mut w = Writer { out, len: 0 };
        let (class, cmd) = self.class_cmd();
        w.put(&[class, cmd])?;
        match *self {
            Self::Promisc(on) | Self::AllMulti(on) => w.put(&[u8::from(on)])?,
            Self::MacTable { unicast, multicast } => {
                for table in [unicast, multicast] {
                    let entries = u32::try_from(table.len()).map_err(|_| TooLong)?;
                    w.put(&entries.to_le_bytes())?;
                    for mac in table {
                        w.put(mac)?;
                    }
                }
            }
            Self::MacAddrSet(mac) => w.put(&mac)?,
            Self::VlanAdd(vid) | Self::VlanDel(vid) => w.put(&vid.to_le_bytes())?,
            Self::AnnounceAck => {}
            Self::GuestOffloads(offloads) => w.put(&offloads.bits().to_le_bytes())?,
        }
        Ok(w.len)
    }
}

/// Appends bytes to a buffer, refusing what does not fit.
struct Writer<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), TooLong> {
        let end = self.len.checked_add(bytes.len()).ok_or(TooLong)?;
        self.out
            .get_mut(self.len..end)
            .ok_or(TooLong)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

/// The receive offloads of `GUEST_OFFLOADS_SET` (`virtnet_set_features()`,
/// `virtnet_xdp_set()`): those `negotiated` grants the device (`GUEST_CSUM`, `GUEST_TSO4/6`,
/// `GUEST_ECN`, `GUEST_USO4/6`), without the merging of segments (TSO and its ECN, USO) when
/// `gro_hw` is off
/// (`ethtool -K ... rx-gro-hw off`), and none at all while an XDP program is attached (`xdp`):
/// it sees neither partial checksums nor merged segments.
pub(crate) fn guest_offloads(negotiated: Features, gro_hw: bool, xdp: bool) -> Features {
    const CSUM: u64 = 1 << features::GUEST_CSUM;
    const GRO_HW: u64 = features::GUEST_MERGING | 1 << features::GUEST_ECN;
    let wanted = match (xdp, gro_hw) {
        (true, _) => 0,
        (false, true) => CSUM | GRO_HW,
        (false, false) => CSUM,
    };
    negotiated.and(Features::from_bits(wanted))
}

/// What the device answered, when it was not `VIRTIO_NET_OK`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadAnswer {
    /// `VIRTIO_NET_ERR`.
    Refused,
    /// Another value, or none written (the used length short of the status byte).
    Garbage(u8),
}

/// The outcome of a command from the status byte `ack` and the number of bytes the device says
/// it wrote, `written`. A status the device did not write is not believed, whatever it holds.
///
/// # Errors
///
/// [`BadAnswer`] for anything but a written `VIRTIO_NET_OK`.
pub(crate) fn answer(ack: u8, written: u32) -> Result<(), BadAnswer> {
    match (ack, written) {
        (_, 0) => Err(BadAnswer::Garbage(ack)),
        (VIRTIO_NET_OK, _) => Ok(()),
        (VIRTIO_NET_ERR, _) => Err(BadAnswer::Refused),
        (other, _) => Err(BadAnswer::Garbage(other)),
    }
}

/// The interface's receive flags (`IFF_PROMISC`, `IFF_ALLMULTI`) and the sizes of its address
/// lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RxFlags {
    /// `IFF_PROMISC`.
    pub(crate) promisc: bool,
    /// `IFF_ALLMULTI`.
    pub(crate) allmulti: bool,
    /// Secondary unicast addresses.
    pub(crate) unicast: usize,
    /// Multicast addresses.
    pub(crate) multicast: usize,
}

/// The receive filter for the device (`virtnet_rx_mode_work()`): promiscuous when asked or when
/// the unicast addresses do not fit the table, all-multicast when asked or when the multicast
/// addresses do not fit beside them; the table holds the addresses of each kind that fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RxFilter {
    /// Send `RX_PROMISC` on.
    pub(crate) promisc: bool,
    /// Send `RX_ALLMULTI` on.
    pub(crate) allmulti: bool,
    /// How many unicast addresses go into the table.
    pub(crate) unicast: usize,
    /// How many multicast addresses go into the table.
    pub(crate) multicast: usize,
}

impl RxFilter {
    /// The filter for `flags`, with a table of [`MAC_TABLE_ENTRIES`].
    pub(crate) fn plan(flags: RxFlags) -> Self {
        let uc_overflow = flags.unicast > MAC_TABLE_ENTRIES;
        let unicast = if uc_overflow { 0 } else { flags.unicast };
        let mc_overflow = flags.multicast > MAC_TABLE_ENTRIES - unicast;
        Self {
            promisc: flags.promisc || uc_overflow,
            allmulti: flags.allmulti || mc_overflow,
            unicast,
            multicast: if mc_overflow { 0 } else { flags.multicast },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(cmd: Command<'_>) -> Vec<u8> {
        let mut buf = [0u8; MAX_COMMAND];
        let len = cmd.encode(&mut buf);
        assert!(len.is_ok(), "{cmd:?} does not fit");
        buf[..len.unwrap_or(0)].to_vec()
    }

    #[test]
    fn layouts_follow_the_specification() {
        assert_eq!(encoded(Command::Promisc(true)), [0, 0, 1]);
        assert_eq!(encoded(Command::AllMulti(false)), [0, 1, 0]);
        assert_eq!(
            encoded(Command::MacAddrSet([2, 0, 0, 0, 0, 0xaa])),
            [1, 1, 2, 0, 0, 0, 0, 0xaa]
        );
        assert_eq!(encoded(Command::VlanAdd(0x123)), [2, 0, 0x23, 0x01]);
        assert_eq!(encoded(Command::VlanDel(4095)), [2, 1, 0xff, 0x0f]);
        assert_eq!(encoded(Command::AnnounceAck), [3, 0]);
        assert_eq!(
            encoded(Command::GuestOffloads(Features::from_bits(0x0102))),
            [5, 0, 0x02, 0x01, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn guest_offloads_drop_merging_with_gro_hw_off() {
        use crate::features::{GUEST_CSUM, GUEST_ECN, GUEST_TSO4, GUEST_TSO6, MRG_RXBUF};
        let bits = |b: &[u32]| Features::from_bits(b.iter().fold(0, |a, b| a | 1 << b));
        let all = bits(&[GUEST_CSUM, GUEST_TSO4, GUEST_TSO6, GUEST_ECN, MRG_RXBUF]);
        assert_eq!(
            guest_offloads(all, true, false),
            bits(&[GUEST_CSUM, GUEST_TSO4, GUEST_TSO6, GUEST_ECN])
        );
        assert_eq!(guest_offloads(all, false, false), bits(&[GUEST_CSUM]));
        // Only what was negotiated: a device never gets an offload it was not granted.
        assert_eq!(
            guest_offloads(bits(&[GUEST_CSUM, GUEST_TSO6]), true, false),
            bits(&[GUEST_CSUM, GUEST_TSO6])
        );
        assert_eq!(
            guest_offloads(bits(&[MRG_RXBUF]), true, false),
            Features::EMPTY
        );
    }

    #[test]
    fn guest_offloads_none_under_xdp() {
        use crate::features::{GUEST_CSUM, GUEST_ECN, GUEST_TSO4, GUEST_TSO6};
        let bits = |b: &[u32]| Features::from_bits(b.iter().fold(0, |a, b| a | 1 << b));
        let all = bits(&[GUEST_CSUM, GUEST_TSO4, GUEST_TSO6, GUEST_ECN]);
        assert_eq!(guest_offloads(all, true, true), Features::EMPTY);
        assert_eq!(guest_offloads(all, false, true), Features::EMPTY);
    }

    #[test]
    fn mac_table_is_two_counted_lists() {
        let uc = [[2, 0, 0, 0, 0, 1]];
        let mc = [[0x33, 0x33, 0, 0, 0, 1], [1, 0, 0x5e, 0, 0, 1]];
        let got = encoded(Command::MacTable {
            unicast: &uc,
            multicast: &mc,
        });
        let mut want = vec![1, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0];
        want.extend_from_slice(&[0x33, 0x33, 0, 0, 0, 1, 1, 0, 0x5e, 0, 0, 1]);
        assert_eq!(got, want);
        let empty = encoded(Command::MacTable {
            unicast: &[],
            multicast: &[],
        });
        assert_eq!(empty, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn a_full_table_fits_and_one_more_address_does_not() {
        let macs = [[1u8; 6]; MAC_TABLE_ENTRIES + 1];
        let mut buf = [0u8; MAX_COMMAND];
        let full = Command::MacTable {
            unicast: &macs[..10],
            multicast: &macs[10..MAC_TABLE_ENTRIES],
        };
        assert_eq!(full.encode(&mut buf), Ok(MAX_COMMAND));
        let over = Command::MacTable {
            unicast: &macs[..10],
            multicast: &macs[10..],
        };
        assert_eq!(over.encode(&mut buf), Err(TooLong));
        assert_eq!(Command::Promisc(true).encode(&mut buf[..2]), Err(TooLong));
    }

    #[test]
    fn only_a_written_ok_is_success() {
        assert_eq!(answer(VIRTIO_NET_OK, 1), Ok(()));
        assert_eq!(answer(VIRTIO_NET_ERR, 1), Err(BadAnswer::Refused));
        assert_eq!(answer(7, 1), Err(BadAnswer::Garbage(7)));
        assert_eq!(answer(0xff, 1), Err(BadAnswer::Garbage(0xff)));
        // The status byte says OK, but the device wrote nothing: not believed.
        assert_eq!(answer(VIRTIO_NET_OK, 0), Err(BadAnswer::Garbage(0)));
        // Every status byte and written length a device can give: success only for a
        // written OK, a refusal only for a written ERR.
        for ack in 0..=u8::MAX {
            for written in [0, 1, 2, 4096, u32::MAX] {
                let got = answer(ack, written);
                match (ack, written) {
                    (_, 0) => assert_eq!(got, Err(BadAnswer::Garbage(ack))),
                    (VIRTIO_NET_OK, _) => assert_eq!(got, Ok(())),
                    (VIRTIO_NET_ERR, _) => assert_eq!(got, Err(BadAnswer::Refused)),
                    _ => assert_eq!(got, Err(BadAnswer::Garbage(ack))),
                }
            }
        }
    }

    #[test]
    fn filter_keeps_addresses_that_fit() {
        let f = RxFilter::plan(RxFlags {
            unicast: 2,
            multicast: 5,
            ..RxFlags::default()
        });
        assert_eq!(
            f,
            RxFilter {
                promisc: false,
                allmulti: false,
                unicast: 2,
                multicast: 5
            }
        );
        let asked = RxFilter::plan(RxFlags {
            promisc: true,
            allmulti: true,
            unicast: 1,
            multicast: 1,
        });
        assert!(asked.promisc && asked.allmulti);
        assert_eq!((asked.unicast, asked.multicast), (1, 1));
    }

    #[test]
    fn filter_overflow_falls_back_to_receiving_all() {
        // Multicast addresses beyond what the unicast ones leave: all-multicast.
        let mc = RxFilter::plan(RxFlags {
            unicast: 60,
            multicast: 5,
            ..RxFlags::default()
        });
        assert_eq!(
            mc,
            RxFilter {
                promisc: false,
                allmulti: true,
                unicast: 60,
                multicast: 0
            }
        );
        // Too many unicast addresses: promiscuous, the multicast ones still listed.
        let uc = RxFilter::plan(RxFlags {
            unicast: MAC_TABLE_ENTRIES + 1,
            multicast: 3,
            ..RxFlags::default()
        });
        assert_eq!(
            uc,
            RxFilter {
                promisc: true,
                allmulti: false,
                unicast: 0,
                multicast: 3
            }
        );
        // Whatever the plan, the table fits the command.
        for u in [0, 1, 63, 64, 65, 200] {
            for m in [0, 1, 63, 64, 65, 200] {
                let f = RxFilter::plan(RxFlags {
                    unicast: u,
                    multicast: m,
                    ..RxFlags::default()
                });
                assert!(f.unicast + f.multicast <= MAC_TABLE_ENTRIES, "{u} {m}");
            }
        }
    }
}
