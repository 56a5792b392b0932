// SPDX-License-Identifier: GPL-2.0

//! Network device features (`netdev_features_t`): the offloads a device offers the stack.
//!
//! C header: [`include/linux/netdev_features.h`](srctree/include/linux/netdev_features.h).

use kernel::bindings;

/// A set of `NETIF_F_*` bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NetdevFeatures(u64);

/// Declares the features by the bit numbers of `enum netdev_features`.
macro_rules! netdev_features {
    ($($(#[$meta:meta])* $name:ident = $bit:ident;)*) => {
        impl NetdevFeatures {
            $(
                $(#[$meta])*
                pub(crate) const $name: Self = Self(1 << bindings::$bit);
            )*
        }
    };
}

netdev_features! {
    /// `NETIF_F_SG`: scatter-gather transmit (socket buffers with fragments).
    SG = NETIF_F_SG_BIT;
    /// `NETIF_F_HW_CSUM`: any checksum, given where it starts and where it goes.
    HW_CSUM = NETIF_F_HW_CSUM_BIT;
    /// `NETIF_F_HIGHDMA`: buffers may be anywhere in memory.
    HIGHDMA = NETIF_F_HIGHDMA_BIT;
    /// `NETIF_F_TSO`: TCP/IPv4 segmentation.
    TSO = NETIF_F_TSO_BIT;
    /// `NETIF_F_TSO6`: TCP/IPv6 segmentation.
    TSO6 = NETIF_F_TSO6_BIT;
    /// `NETIF_F_TSO_ECN`: segmentation of packets with the CWR flag.
    TSO_ECN = NETIF_F_TSO_ECN_BIT;
    /// `NETIF_F_GSO_ROBUST`: the device checks the segmentation requests of untrusted sources.
    GSO_ROBUST = NETIF_F_GSO_ROBUST_BIT;
    /// `NETIF_F_RXCSUM`: received checksums are validated or left partial.
    RXCSUM = NETIF_F_RXCSUM_BIT;
    /// `NETIF_F_GRO_HW`: the device merges received TCP (and UDP) segments.
    GRO_HW = NETIF_F_GRO_HW_BIT;
    /// `NETIF_F_GSO_UDP_L4`: UDP segmentation (`UDP_SEGMENT`), IPv4 and IPv6.
    GSO_UDP_L4 = NETIF_F_GSO_UDP_L4_BIT;
}

impl NetdevFeatures {
    /// The empty set.
    pub(crate) const EMPTY: Self = Self(0);

    /// Returns the 64-bit representation, as C has it.
    pub(crate) const fn bits(self) -> u64 {
        self.0
    }

    /// This set with `other`'s features added, if `cond` holds.
    #[must_use]
    pub(crate) const fn with_if(self, cond: bool, other: Self) -> Self {
        if cond {
            Self(self.0 | other.0)
        } else {
            self
        }
    }

    /// The union of two sets.
    #[must_use]
    pub(crate) const fn or(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The set of a `netdev_features_t` value.
    pub(crate) const fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// Whether every feature of `other` is in this set.
    pub(crate) const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The features in one of the two sets but not both.
    #[must_use]
    pub(crate) const fn xor(self, other: Self) -> Self {
        Self(self.0 ^ other.0)
    }
}
