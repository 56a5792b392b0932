// SPDX-License-Identifier: GPL-2.0

//! The network interface: `net_device_ops`, link state and counters.
//!
//! Mirrors `virtnet_open()`, `virtnet_close()`, `start_xmit()` and `virtnet_stats()` of
//! `drivers/net/virtio_net.c`. The data path (virtqueues, interrupt, NAPI) is not there yet:
//! the interface comes up with the device's link state, and transmitted packets are dropped and
//! counted, never reported as sent.

pub(crate) mod config;
pub(crate) mod stats;

use kernel::{
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
    },
};

use crate::{
    features::Features,
    kernel_ext::netdev::{self, LinkStats, NetDevice, SkBuff, TxOutcome},
    transport::Transport,
};

use self::{
    config::{Link, NetConfig},
    stats::{Counter, Snapshot, NR_COUNTERS},
};

/// The device counters, shared by `ndo_get_stats64` and `/proc/driver/network_stats`.
///
/// Each counter is an independent relaxed atomic: a reader sees every increment eventually, and
/// no lock is taken on the data path.
pub(crate) struct Counters([Atomic<u64>; NR_COUNTERS]);

impl Counters {
    /// All counters at zero.
    pub(crate) fn new() -> Self {
        Self(core::array::from_fn(|_| Atomic::new(0)))
    }

    /// Adds `n` to `counter`.
    pub(crate) fn add(&self, counter: Counter, n: u64) {
        // PANIC: `Counter` discriminants index `NR_COUNTERS` entries (host-tested in `stats`).
        self.0[counter as usize].add(n, Relaxed);
    }

    /// Reads every counter.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot(core::array::from_fn(|i| self.0[i].load(Relaxed)))
    }
}

/// Per-device driver data, owned by the netdev [`netdev::Registration`].
///
/// Dropped after the interface is unregistered; dropping `transport` resets the device.
pub(crate) struct Nic<'a> {
    /// The device registers.
    transport: Transport<'a>,
    /// What was negotiated with the device.
    features: Features,
    /// The counters, also listed in procfs.
    counters: Arc<Counters>,
}

impl<'a> Nic<'a> {
    /// Driver data for an initialised device.
    pub(crate) fn new(
        transport: Transport<'a>,
        features: Features,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            transport,
            features,
            counters,
        }
    }

    /// Reads the link state from the device and sets the carrier to match.
    ///
    /// A configuration that cannot be read consistently leaves the carrier as it is.
    pub(crate) fn update_carrier(&self, dev: &NetDevice) {
        if let Ok(raw) = self.transport.read_net_config() {
            let link = NetConfig::parse(self.features, &raw).link;
            dev.set_carrier(link == Link::Up);
        }
    }
}

/// rvnet's `net_device_ops`.
pub(crate) struct RvnetNetdev;

impl netdev::Operations for RvnetNetdev {
    type Data<'a> = Nic<'a>;

    fn open(dev: &NetDevice, nic: &Nic<'_>) -> Result {
        nic.update_carrier(dev);
        Ok(())
    }

    fn stop(_dev: &NetDevice, _nic: &Nic<'_>) -> Result {
        Ok(())
    }

    fn start_xmit(_dev: &NetDevice, nic: &Nic<'_>, skb: SkBuff) -> TxOutcome {
        // No transmit queue yet: drop, count, and say so.
        nic.counters.add(Counter::TxDropped, 1);
        drop(skb);
        TxOutcome::Consumed
    }

    fn get_stats64(_dev: &NetDevice, nic: &Nic<'_>, stats: &mut LinkStats) {
        let s = nic.counters.snapshot();
        *stats = LinkStats {
            rx_packets: s.get(Counter::RxPackets),
            tx_packets: s.get(Counter::TxPackets),
            rx_bytes: s.get(Counter::RxBytes),
            tx_bytes: s.get(Counter::TxBytes),
            rx_errors: s.get(Counter::RxErrors),
            tx_errors: s.get(Counter::TxErrors),
            rx_dropped: s.get(Counter::RxDropped),
            tx_dropped: s.get(Counter::TxDropped),
        };
    }
}

netdev::export_ops!(RvnetNetdev);
