// SPDX-License-Identifier: GPL-2.0

//! The receive mode of an interface: its `IFF_PROMISC`/`IFF_ALLMULTI` flags and its unicast
//! and multicast address lists, as `ndo_set_rx_mode` would find them.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h).

use kernel::prelude::*;

use super::device::NetDevice;
use crate::kernel_ext::ffi::{self, rvnet_rx_lists, RVNET_RX_LIST_MAX};

/// A copy of an interface's receive flags and of the first [`RxLists::MAX`] addresses of each
/// list, taken at once under the lists' lock.
pub(crate) struct RxLists(rvnet_rx_lists);

impl RxLists {
    /// The most addresses of each kind copied.
    pub(crate) const MAX: usize = RVNET_RX_LIST_MAX;

    /// Copies `dev`'s flags and lists (about 800 bytes: allocated, since the work item that
    /// reads them may be deep in a call chain).
    ///
    /// # Errors
    ///
    /// `ENOMEM` when memory is short.
    pub(crate) fn read(dev: &NetDevice) -> Result<KBox<Self>> {
        let mut lists = KBox::new(
            Self(rvnet_rx_lists {
                promisc: 0,
                allmulti: 0,
                pad: [0; 2],
                n_uc: 0,
                n_mc: 0,
                uc: [[0; 6]; RVNET_RX_LIST_MAX],
                mc: [[0; 6]; RVNET_RX_LIST_MAX],
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `dev` is a valid rvnet `net_device` (`NetDevice`'s invariant); the helper
        // fills the structure, copying at most `RVNET_RX_LIST_MAX` addresses of each kind, under
        // `netif_addr_lock_bh()`.
        unsafe { ffi::rvnet_netdev_rx_lists(dev.as_raw(), &mut lists.0) };
        Ok(lists)
    }

    /// `IFF_PROMISC`.
    pub(crate) fn promisc(&self) -> bool {
        self.0.promisc != 0
    }

    /// `IFF_ALLMULTI`.
    pub(crate) fn allmulti(&self) -> bool {
        self.0.allmulti != 0
    }

    /// How many unicast addresses the interface has, copied or not.
    pub(crate) fn unicast_count(&self) -> usize {
        // CAST: `u32` to `usize` is lossless on 64-bit machines.
        self.0.n_uc as usize
    }

    /// How many multicast addresses the interface has, copied or not.
    pub(crate) fn multicast_count(&self) -> usize {
        // CAST: See `unicast_count`.
        self.0.n_mc as usize
    }

    /// The first `n` unicast addresses (fewer if fewer were copied).
    pub(crate) fn unicast(&self, n: usize) -> &[[u8; 6]] {
        let copied = self.unicast_count().min(Self::MAX);
        self.0.uc.get(..n.min(copied)).unwrap_or(&[])
    }

    /// The first `n` multicast addresses (fewer if fewer were copied).
    pub(crate) fn multicast(&self, n: usize) -> &[[u8; 6]] {
        let copied = self.multicast_count().min(Self::MAX);
        self.0.mc.get(..n.min(copied)).unwrap_or(&[])
    }
}
