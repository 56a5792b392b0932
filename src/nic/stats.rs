// SPDX-License-Identifier: GPL-2.0

//! The counters rvnet keeps per device, and the `/proc/driver/network_stats` text format.
//!
//! Pure logic, tested on the host. The counter set follows `struct virtnet_stats` and the
//! `virtnet_*_stats_desc` tables of `drivers/net/virtio_net.c`: one table, so a new counter is
//! one line, and the procfs file and `ndo_get_stats64` read the same numbers.

#![forbid(unsafe_code)]

use core::fmt::{self, Write};

use crate::features::{Features, Version};

/// Declares [`Counter`] and [`COUNTERS`] from one table, so a counter cannot exist without its
/// name and its place: each variant's discriminant is its row.
macro_rules! counters {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// One device counter. The discriminant is its index in [`COUNTERS`] and in a
        /// [`Snapshot`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Counter {
            $($(#[$doc])* $variant,)*
        }

        /// Every counter with its name in the procfs file, in output order.
        pub(crate) const COUNTERS: [(Counter, &str); [$($name),*].len()] =
            [$((Counter::$variant, $name)),*];

        /// The counters' names alone, in output order (`ethtool -S`).
        pub(crate) const COUNTER_NAMES: [&str; NR_COUNTERS] = [$($name),*];
    };
}

counters! {
    /// Packets handed to the stack, whose first layer is the XDP program where one is
    /// attached: a packet it drops or sends back counts too. Counted as frames on the wire,
    /// as the netdev `qstats` define them: segments the device merged count one each.
    RxPackets => "rx_packets",
    /// Bytes of those frames: merged segments count their headers once each.
    RxBytes => "rx_bytes",
    /// Received packets dropped by the driver (no buffer, no memory).
    RxDropped => "rx_dropped",
    /// Receive errors (bad length or bad entry from the device).
    RxErrors => "rx_errors",
    /// Packets the device sent (counted when it completes them), as the frames it sends: a
    /// packet it is to segment counts one per segment.
    TxPackets => "tx_packets",
    /// Bytes of those frames: each segment carries the headers again.
    TxBytes => "tx_bytes",
    /// Packets dropped on transmit: refused, or still in flight when the device was reset.
    TxDropped => "tx_dropped",
    /// Transmit errors.
    TxErrors => "tx_errors",
    /// Interrupts taken.
    Interrupts => "interrupts",
    /// NAPI polls run.
    NapiPolls => "napi_polls",
    /// Times the transmit queue was stopped because the ring was full.
    TxQueueStops => "tx_queue_stops",
    /// Times it was woken again.
    TxQueueWakes => "tx_queue_wakes",
    /// Values from the device that failed validation (used id, length or index); the entry
    /// was dropped.
    BadDeviceEntries => "bad_device_entries",
    /// Notifications of the device that new receive buffers are available.
    RxKicks => "rx_kicks",
    /// Notifications of the device that packets are queued for transmission.
    TxKicks => "tx_kicks",
    /// Received packets an XDP program ran on.
    XdpPackets => "xdp_packets",
    /// Of those, packets the program sent back out (`XDP_TX`).
    XdpTx => "xdp_tx",
    /// Of those, packets dropped: by the program (`XDP_DROP`, `XDP_ABORTED`, an invalid
    /// verdict), for want of room in the transmit ring, or a redirect the kernel refused.
    XdpDrops => "xdp_drops",
    /// Received packets whose `virtio_net_hdr` was refused (`nic/net_hdr.rs`, or the kernel's
    /// `virtio_net_hdr_to_skb()`); each also counts in `rx_errors`.
    RxBadHeaders => "rx_bad_headers",
    /// Received packets of merged segments (`GUEST_TSO4/6`, `GUEST_USO4/6`).
    RxGso => "rx_gso",
    /// Packets handed to the device to segment (`HOST_TSO4/6`, `HOST_USO`): the netdev
    /// `qstats` `tx-hw-gso-packets`, as `rx_gso` is `rx-hw-gro-packets`.
    TxGso => "tx_gso",
    /// Times the watchdog found the transmit queue stopped for too long (`ndo_tx_timeout`).
    TxTimeouts => "tx_timeouts",
    /// Control queue commands the device carried out (`nic/ctrl.rs`).
    CtrlCommands => "ctrl_commands",
    /// Control queue commands that failed: refused, answered with garbage, not answered in
    /// time, or not sent since the queue was given up. Each is also logged.
    CtrlErrors => "ctrl_errors",
    /// Announcements the device asked for (`VIRTIO_NET_S_ANNOUNCE`) and the driver made.
    Announcements => "announcements",
    /// Times the device was reset and the interface restored on it: the device asked for it
    /// (`DEVICE_NEEDS_RESET`), the transmit queue timed out, or the rings were resized
    /// (`ethtool -G`). Each is also logged.
    DeviceResets => "device_resets",
    /// Received packets an XDP program redirected (`XDP_REDIRECT`) and the kernel took: to
    /// another device, a CPU map or an AF_XDP socket.
    XdpRedirects => "xdp_redirects",
    /// Frames redirected to this device (`ndo_xdp_xmit`, from any device, this one
    /// included) and queued for transmission; each also counts in `tx_packets`.
    XdpTxXmit => "xdp_tx_xmit",
    /// Frames redirected to this device that it refused: the interface down, the device
    /// being reset, or the transmit ring full.
    XdpTxXmitDrops => "xdp_tx_xmit_drops",
    /// Allocations that failed on the receive path (the netdev `qstats` `rx-alloc-fail`): a
    /// socket buffer, or a page pool buffer to take a received one's place (the packet was
    /// dropped), or to fill a descriptor after a reset (left empty until a later poll fills
    /// it).
    RxAllocFails => "rx_alloc_fails",
}

/// How many counters there are.
pub(crate) const NR_COUNTERS: usize = COUNTERS.len();

/// `ETH_GSTRING_LEN`: ethtool strings are 32 bytes with their NUL.
const ETH_GSTRING_LEN: usize = 32;

// Every name fits an ethtool string, is a procfs key (`[a-z_]+`), and appears once: checked when
// the table is compiled, not only when a test runs.
const _: () = {
    let mut i = 0;
    while i < NR_COUNTERS {
        let name = COUNTER_NAMES[i].as_bytes();
        assert!(!name.is_empty() && name.len() < ETH_GSTRING_LEN);
        let mut c = 0;
        while c < name.len() {
            assert!(name[c] == b'_' || name[c].is_ascii_lowercase());
            c += 1;
        }
        let mut j = 0;
        while j < i {
            let other = COUNTER_NAMES[j].as_bytes();
            let mut same = other.len() == name.len();
            let mut c = 0;
            while same && c < name.len() {
                same = other[c] == name[c];
                c += 1;
            }
            assert!(!same, "two counters with one name");
            j += 1;
        }
        i += 1;
    }
};

/// A copy of every counter, taken at one time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot(pub(crate) [u64; NR_COUNTERS]);

impl Snapshot {
    /// The value of `counter`.
    pub(crate) fn get(&self, counter: Counter) -> u64 {
        // PANIC: `counters!` numbers the variants from 0 in table order, one per row of the
        // `NR_COUNTERS`-entry table.
        self.0[counter as usize]
    }

    /// Sets `counter` to `value`.
    pub(crate) fn set(&mut self, counter: Counter, value: u64) {
        // PANIC: As in `get`.
        self.0[counter as usize] = value;
    }
}

/// First line of the procfs file: names the format, so scripts can check what they parse.
pub(crate) const HEADER: &str = "# rvnet network statistics, format 3\n";

/// What the procfs file says about a device besides its counters.
pub(crate) struct DeviceInfo<'a> {
    /// The platform device (e.g. `LNRO0005:00`).
    pub(crate) device: &'a str,
    /// The interface name (e.g. `eth0`).
    pub(crate) name: &'a str,
    /// The interface's current MAC address.
    pub(crate) mac: [u8; 6],
    /// The virtio-mmio register layout.
    pub(crate) version: Version,
    /// The negotiated features.
    pub(crate) features: Features,
    /// Whether the carrier is on.
    pub(crate) link_up: bool,
}

/// Writes one device's section: `key: value` lines, then a blank line.
///
/// ```text
/// device: LNRO0005:00
/// name: eth0
/// mac: 52:54:00:12:34:01
/// version: 2
/// features: 0x0000000100010020 MAC STATUS VERSION_1
/// link: up
/// rx_packets: 0
/// ...
/// interrupts: 0
/// napi_polls: 0
/// tx_queue_stops: 0
/// tx_queue_wakes: 0
/// bad_device_entries: 0
/// rx_kicks: 0
/// tx_kicks: 0
/// xdp_packets: 0
/// xdp_tx: 0
/// xdp_drops: 0
/// ```
pub(crate) fn write_section(
    w: &mut impl Write,
    info: &DeviceInfo<'_>,
    snap: &Snapshot,
) -> fmt::Result {
    let m = info.mac;
    writeln!(w, "device: {}", info.device)?;
    writeln!(w, "name: {}", info.name)?;
    writeln!(
        w,
        "mac: {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )?;
    writeln!(w, "version: {}", info.version.number())?;
    writeln!(w, "features: {}", info.features)?;
    writeln!(w, "link: {}", if info.link_up { "up" } else { "down" })?;
    for (counter, name) in COUNTERS {
        writeln!(w, "{name}: {}", snap.get(counter))?;
    }
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{MAC, STATUS, VERSION_1};

    #[test]
    fn each_counter_reads_its_own_slot() {
        // A snapshot whose slot i holds i: `get` must find each counter's own value, in the
        // order procfs prints them.
        let mut snap = Snapshot::default();
        for (i, slot) in snap.0.iter_mut().enumerate() {
            *slot = i as u64 + 100;
        }
        for (i, (counter, _)) in COUNTERS.iter().enumerate() {
            assert_eq!(snap.get(*counter), i as u64 + 100, "{counter:?}");
        }
        assert_eq!(snap.get(Counter::RxPackets), 100);
        assert_eq!(
            snap.get(Counter::RxAllocFails),
            100 + NR_COUNTERS as u64 - 1
        );
    }

    #[test]
    fn section_format_is_stable() {
        let mut snap = Snapshot::default();
        snap.0[Counter::TxDropped as usize] = 7;
        snap.0[Counter::Interrupts as usize] = 3;
        let info = DeviceInfo {
            device: "LNRO0005:01",
            name: "eth1",
            mac: [0x52, 0x54, 0, 0x12, 0x34, 0x02],
            version: Version::Modern,
            features: Features::from_bits(1 << MAC | 1 << STATUS | 1 << VERSION_1),
            link_up: true,
        };
        let mut out = String::new();
        assert!(write_section(&mut out, &info, &snap).is_ok());
        assert_eq!(
            out,
            "device: LNRO0005:01\nname: eth1\nmac: 52:54:00:12:34:02\nversion: 2\n\
             features: 0x0000000100010020 MAC STATUS VERSION_1\nlink: up\n\
             rx_packets: 0\nrx_bytes: 0\nrx_dropped: 0\nrx_errors: 0\n\
             tx_packets: 0\ntx_bytes: 0\ntx_dropped: 7\ntx_errors: 0\ninterrupts: 3\n\
             napi_polls: 0\ntx_queue_stops: 0\ntx_queue_wakes: 0\nbad_device_entries: 0\n\
             rx_kicks: 0\ntx_kicks: 0\nxdp_packets: 0\nxdp_tx: 0\nxdp_drops: 0\n\
             rx_bad_headers: 0\nrx_gso: 0\ntx_gso: 0\ntx_timeouts: 0\nctrl_commands: 0\n\
             ctrl_errors: 0\nannouncements: 0\ndevice_resets: 0\nxdp_redirects: 0\n\
             xdp_tx_xmit: 0\nxdp_tx_xmit_drops: 0\nrx_alloc_fails: 0\n\n"
        );
    }

    #[test]
    fn link_down_and_legacy() {
        let info = DeviceInfo {
            device: "LNRO0005:00",
            name: "eth0",
            mac: [2, 0, 0, 0, 0, 1],
            version: Version::Legacy,
            features: Features::EMPTY,
            link_up: false,
        };
        let mut out = String::new();
        assert!(write_section(&mut out, &info, &Snapshot::default()).is_ok());
        assert!(out.contains("\nversion: 1\n"));
        assert!(out.contains("\nlink: down\n"));
        assert!(out.contains("\nfeatures: 0x0000000000000000\n"));
    }
}
