// SPDX-License-Identifier: GPL-2.0

//! A network device: `struct net_device`, as a driver's callbacks see it.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h).

use core::ptr::NonNull;

use kernel::{
    bindings,
    ffi::c_void,
    sync::aref::AlwaysRefCounted,
    types::Opaque, //
};

use super::{
    features::NetdevFeatures,
    napi::Napi, //
};
use crate::kernel_ext::ffi;

/// `IFNAMSIZ`: the size of an interface name, NUL included.
const IFNAMSIZ: usize = bindings::IFNAMSIZ as usize;

/// A network device (`struct net_device`).
///
/// # Invariants
///
/// A `&NetDevice` points to a valid, allocated `struct net_device` of rvnet's (allocated by
/// `rvnet_alloc_netdev()`, with its private area) for its lifetime.
#[repr(transparent)]
pub(crate) struct NetDevice(Opaque<ffi::net_device>);

impl NetDevice {
    /// Creates a reference to a [`NetDevice`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a `struct net_device` allocated by `rvnet_alloc_netdev()`, valid for
    /// the lifetime `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut ffi::net_device) -> &'a Self {
        // SAFETY: `NetDevice` is a transparent wrapper of the C struct; the caller guarantees
        // validity for `'a`.
        unsafe { &*ptr.cast() }
    }

    pub(super) fn as_raw(&self) -> *mut ffi::net_device {
        self.0.get()
    }

    /// The driver data stored in the private area (`Registration::new`).
    pub(super) fn drvdata(&self) -> *mut c_void {
        // SAFETY: By the type invariant, the device has rvnet's private area.
        unsafe { ffi::rvnet_netdev_drvdata(self.as_raw()) }
    }

    /// The current MTU (`dev->mtu`).
    pub(crate) fn mtu(&self) -> u32 {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`; the MTU is
        // read with `READ_ONCE()`.
        unsafe { ffi::rvnet_netdev_mtu(self.as_raw()) }
    }

    /// A copy of the interface name (`dev->name`), e.g. `eth0`.
    ///
    /// A copy, not a reference: `dev_change_name()` rewrites the name in place. It is taken
    /// under RTNL, which renames hold, so it is never half old and half new.
    ///
    /// # Context
    ///
    /// Process context: may sleep (RTNL).
    pub(crate) fn name(&self) -> IfName {
        let mut name = [0u8; IFNAMSIZ];
        // SAFETY: By the type invariant, `self.as_raw()` is valid; `name` has `IFNAMSIZ`
        // bytes, which the helper fills with a NUL-terminated string.
        unsafe { ffi::rvnet_netdev_copy_name(self.as_raw(), name.as_mut_ptr().cast()) };
        IfName(name)
    }

    /// A copy of the interface name, for a caller that holds RTNL already ([`Rtnl::name`]).
    ///
    /// # Safety
    ///
    /// The caller holds RTNL.
    ///
    /// [`Rtnl::name`]: super::rtnl::Rtnl::name
    pub(super) unsafe fn name_under_rtnl(&self) -> IfName {
        let mut name = [0u8; IFNAMSIZ];
        // SAFETY: By the type invariant, `self.as_raw()` is valid; `name` has `IFNAMSIZ`
        // bytes, which the helper fills with a NUL-terminated string; RTNL, which renames
        // hold, is held (safety requirements).
        unsafe { ffi::rvnet_netdev_copy_name_rtnl(self.as_raw(), name.as_mut_ptr().cast()) };
        IfName(name)
    }

    /// The current hardware address (`dev->dev_addr`).
    pub(crate) fn mac(&self) -> [u8; 6] {
        // SAFETY: `dev_addr` of an Ethernet device holds `ETH_ALEN` (6) bytes.
        let addr = unsafe { ffi::rvnet_netdev_addr(self.as_raw()) };
        // SAFETY: `addr` is valid for reading 6 bytes (see above); `[u8; 6]` has alignment 1.
        unsafe { addr.cast::<[u8; 6]>().read() }
    }

    /// Whether the device is in the calling task's network namespace: what a reader of
    /// `/proc/net/dev` sees. Process context.
    pub(crate) fn in_current_net(&self) -> bool {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`; the helper
        // only compares its namespace with the caller's.
        unsafe { ffi::rvnet_netdev_in_current_net(self.as_raw()) }
    }

    /// Whether the carrier is on (`netif_carrier_ok()`).
    pub(crate) fn carrier_ok(&self) -> bool {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`.
        unsafe { ffi::rvnet_carrier_ok(self.as_raw()) }
    }

    /// The device's NAPI context.
    pub(crate) fn napi(&self) -> &Napi {
        // SAFETY: Every rvnet `net_device` has a NAPI context in its private area
        // (`rvnet_alloc_netdev()`), added there and living as long as the device.
        unsafe { Napi::from_raw(ffi::rvnet_netdev_napi(self.as_raw())) }
    }

    /// Allows the core to call `ndo_start_xmit` (`netif_start_queue()`).
    pub(crate) fn start_queue(&self) {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`.
        unsafe { ffi::rvnet_netif_start_queue(self.as_raw()) };
    }

    /// Stops the transmit queue: the ring is full (`netif_stop_queue()`).
    pub(crate) fn stop_queue(&self) {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`.
        unsafe { ffi::rvnet_netif_stop_queue(self.as_raw()) };
    }

    /// Restarts a stopped transmit queue (`netif_wake_queue()`).
    pub(crate) fn wake_queue(&self) {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`.
        unsafe { ffi::rvnet_netif_wake_queue(self.as_raw()) };
    }

    /// Whether the interface is up (`netif_running()`).
    pub(crate) fn is_running(&self) -> bool {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`.
        unsafe { ffi::rvnet_netif_running(self.as_raw()) }
    }

    /// Whether the transmit queue is stopped (`netif_queue_stopped()`).
    pub(crate) fn queue_stopped(&self) -> bool {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`.
        unsafe { ffi::rvnet_netif_queue_stopped(self.as_raw()) }
    }

    /// Whether the transmit queue is stopped by the driver or by its byte queue limits
    /// (`netif_xmit_stopped()`).
    pub(crate) fn xmit_stopped(&self) -> bool {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`, which has a
        // transmit queue 0.
        unsafe { ffi::rvnet_netif_xmit_stopped(self.as_raw()) }
    }

    /// Turns the carrier on or off (`netif_carrier_on()`/`netif_carrier_off()`).
    pub(crate) fn set_carrier(&self, on: bool) {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`; both
        // functions may be called in any context.
        unsafe {
            if on {
                ffi::netif_carrier_on(self.as_raw())
            } else {
                ffi::netif_carrier_off(self.as_raw())
            }
        }
    }

    /// The features on now (`dev->features`).
    pub(crate) fn features(&self) -> NetdevFeatures {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`; the helper
        // reads `dev->features`.
        NetdevFeatures::from_bits(unsafe { ffi::rvnet_netdev_features(self.as_raw()) })
    }

    /// Announces the interface to its neighbours (gratuitous ARP, unsolicited neighbour
    /// advertisements), as after a migration (`__netdev_notify_peers()`).
    ///
    /// # Context
    ///
    /// RTNL held: only from [`Operations::work`].
    ///
    /// [`Operations::work`]: super::ops::Operations::work
    pub(crate) fn notify_peers(&self) {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`; the caller
        // holds RTNL, which the function asserts.
        unsafe { ffi::__netdev_notify_peers(self.as_raw()) }
    }

    /// Schedules the driver's work item ([`Operations::work`]), which runs in process context
    /// under RTNL; once if scheduled again before it runs. Any context.
    ///
    /// [`Operations::work`]: super::ops::Operations::work
    pub(crate) fn schedule_work(&self) {
        // SAFETY: By the type invariant, the device has rvnet's private area, whose work item
        // `rvnet_alloc_netdev()` initialised; `schedule_work()` may be called in any context,
        // and on a disabled work item does nothing.
        unsafe { ffi::rvnet_netdev_schedule_work(self.as_raw()) }
    }
}

// SAFETY: The methods of `NetDevice` may be called from any thread.
unsafe impl Send for NetDevice {}
// SAFETY: The methods of `NetDevice` may be called from several threads at once.
unsafe impl Sync for NetDevice {}

// SAFETY: `dev_hold()`/`dev_put()` count references to the `net_device`, and
// `unregister_netdev()` waits until every such reference is gone: the memory stays valid while a
// reference is held.
unsafe impl AlwaysRefCounted for NetDevice {
    fn inc_ref(&self) {
        // SAFETY: A shared reference means the `net_device` is valid.
        unsafe { ffi::rvnet_netdev_hold(self.as_raw()) };
    }

    /// # Safety
    ///
    /// As for [`AlwaysRefCounted::dec_ref`]: `obj` carries a reference the caller owns.
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference, taken by `inc_ref`.
        unsafe { ffi::rvnet_netdev_put(obj.cast().as_ptr()) };
    }
}

/// An interface name, copied out of its device ([`NetDevice::name`]).
///
/// # Invariants
///
/// The bytes hold a NUL-terminated string.
#[derive(Clone, Copy)]
pub(crate) struct IfName([u8; IFNAMSIZ]);

impl IfName {
    /// The name, up to its NUL; `"?"` if it is not UTF-8 (the kernel allows any byte but `/`,
    /// `:`, whitespace and NUL).
    pub(crate) fn as_str(&self) -> &str {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ);
        self.0
            .get(..len)
            .and_then(|name| core::str::from_utf8(name).ok())
            .unwrap_or("?")
    }
}

/// Whether the core has more packets for this queue right behind the current one
/// (`netdev_xmit_more()`): the driver may then delay notifying the device. Only meaningful
/// inside `ndo_start_xmit`.
pub(crate) fn xmit_more() -> bool {
    // SAFETY: Reads a per-CPU flag; valid in any context.
    unsafe { ffi::rvnet_netdev_xmit_more() }
}
