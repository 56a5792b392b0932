// SPDX-License-Identifier: GPL-2.0

//! The offloads of a device: which `NETIF_F_*` features its negotiated virtio features give the
//! stack, as `virtnet_probe()` in `drivers/net/virtio_net.c` sets them.

use crate::{
    features::{self, Features},
    kernel_ext::net::features::NetdevFeatures,
};

/// What the device does for the packets rvnet sends, and what it may do to those it receives.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Offloads {
    /// `CSUM`: the device completes partial checksums.
    tx_csum: bool,
    /// `HOST_TSO4`.
    tso4: bool,
    /// `HOST_TSO6`.
    tso6: bool,
    /// `HOST_ECN`.
    tso_ecn: bool,
    /// `HOST_USO`.
    uso: bool,
    /// `GUEST_TSO4/6` or `GUEST_USO4/6`: the device merges received segments.
    rx_gso: bool,
    /// `CTRL_GUEST_OFFLOADS`: the control queue turns the merging off and on.
    rx_gso_toggle: bool,
    /// The largest packet the stack may hand over for segmentation.
    pub(crate) tso_max_size: u32,
}

impl Offloads {
    /// The offloads of `negotiated`, with packets for segmentation up to `tso_max_size`.
    pub(crate) fn negotiated(negotiated: Features, tso_max_size: u32) -> Self {
        Self {
            tx_csum: negotiated.has(features::CSUM),
            tso4: negotiated.has(features::HOST_TSO4),
            tso6: negotiated.has(features::HOST_TSO6),
            tso_ecn: negotiated.has(features::HOST_ECN),
            uso: negotiated.has(features::HOST_USO),
            rx_gso: negotiated.merges_received_segments(),
            rx_gso_toggle: negotiated.has(features::CTRL_GUEST_OFFLOADS),
            tso_max_size,
        }
    }

    /// The features `ethtool -K` may turn on and off: the transmit offloads, which need
    /// nothing of the device but what each packet's header asks, and the merging of received
    /// segments (`GRO_HW`) where the control queue's `GUEST_OFFLOADS_SET` can change it, as on
    /// `virtio_net`.
    pub(crate) fn hw_features(&self) -> NetdevFeatures {
        NetdevFeatures::EMPTY
            .with_if(self.tx_csum, NetdevFeatures::HW_CSUM.or(NetdevFeatures::SG))
            .with_if(self.tso4, NetdevFeatures::TSO)
            .with_if(self.tso6, NetdevFeatures::TSO6)
            .with_if(self.tso_ecn, NetdevFeatures::TSO_ECN)
            .with_if(self.uso, NetdevFeatures::GSO_UDP_L4)
            .with_if(self.rx_gso && self.rx_gso_toggle, NetdevFeatures::GRO_HW)
    }

    /// The features on at first: every offload; `GSO_ROBUST` as the device checks the
    /// segmentation it is asked for; `RXCSUM` always (without `GUEST_CSUM` every packet comes
    /// fully checksummed) and `GRO_HW` when the device merges segments.
    pub(crate) fn features(&self) -> NetdevFeatures {
        NetdevFeatures::HIGHDMA
            .or(self.hw_features())
            .with_if(self.tx_csum, NetdevFeatures::GSO_ROBUST)
            .or(NetdevFeatures::RXCSUM)
            .with_if(self.rx_gso, NetdevFeatures::GRO_HW)
    }
}
