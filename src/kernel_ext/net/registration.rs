// SPDX-License-Identifier: GPL-2.0

//! Registering a network device: the `net_device`, its driver data and its interrupt, from
//! `register_netdev()` to `free_netdev()`.
//!
//! Shaped like `rust/kernel/irq/request.rs` and `rust/kernel/drm/driver.rs` (`Registration`):
//! the registration hands C a pointer back to Rust data, so `new` is `unsafe` and its value
//! must never be forgotten; `Drop` unregisters.

use core::{
    marker::PhantomData,
    mem::ManuallyDrop,
    ptr::NonNull, //
};

use kernel::{
    device::{
        Bound,
        Device, //
    },
    error::to_result,
    ffi::{
        c_int,
        c_void, //
    },
    irq::{
        self,
        IrqRequest, //
    },
    prelude::*,
};

use super::{
    device::NetDevice,
    ethtool::{
        EthtoolOps,
        EthtoolVTable, //
    },
    features::NetdevFeatures,
    napi::Napi,
    ops::{
        Adapter,
        Operations, //
    },
};
use crate::kernel_ext::ffi;

/// What a network device starts with.
pub(crate) struct Config {
    /// The hardware address, or `None` for a random locally administered one.
    pub(crate) mac: Option<[u8; 6]>,
    /// The initial MTU.
    pub(crate) mtu: u32,
    /// The largest MTU (`dev->max_mtu`).
    pub(crate) max_mtu: u32,
    /// The features `ethtool -K` may turn on and off (`dev->hw_features`).
    pub(crate) hw_features: NetdevFeatures,
    /// The features on at first (`dev->features`).
    pub(crate) features: NetdevFeatures,
    /// The largest packet the stack may hand over for segmentation.
    pub(crate) tso_max_size: u32,
    /// The device filters received frames by address (`IFF_UNICAST_FLT`: secondary unicast
    /// addresses reach the driver's receive mode rather than turning on promiscuous mode).
    pub(crate) rx_filter: bool,
    /// The device filters VLANs (`NETIF_F_HW_VLAN_CTAG_FILTER`: the core calls
    /// [`Operations::vlan_filter`]).
    pub(crate) vlan_filter: bool,
}

/// A registered Ethernet device (`eth%d`) with driver `T`, and its interrupt.
///
/// Dropping it frees the interrupt (after which the handler does not run), unregisters the
/// device (after which no other callback runs), drops the driver data, and frees the
/// `net_device` with its NAPI context, in that order: each step removes a user of what the
/// next one frees (the driver data may hold the NAPI context: [`Operations::napi_added`]).
///
/// # Invariants
///
/// `dev` is a `net_device` allocated by `rvnet_alloc_netdev()` and registered; its private
/// area points to `*data`, which stays pinned and valid until after `unregister_netdev()`;
/// `irq` is a requested interrupt whose handler is an [`IrqTrampoline`] for `dev`.
pub(crate) struct Registration<'a, T: EthtoolOps> {
    dev: NonNull<ffi::net_device>,
    irq: ManuallyDrop<Pin<KBox<irq::Registration<'a, IrqTrampoline<T>>>>>,
    data: ManuallyDrop<Pin<KBox<T::Data<'a>>>>,
}

impl<'a, T: EthtoolOps> Registration<'a, T> {
    /// Allocates and configures a network device whose parent is `parent`, with the carrier
    /// off and `data` as driver data, requests its interrupt `irq` under `parent`'s name
    /// (shared: the handler must tell whether the interrupt was its device's), and registers
    /// it.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the device or the data cannot be allocated, the error of `data`'s
    /// initialiser, of `request_irq()` or of `register_netdev()`. Nothing stays allocated,
    /// requested or registered.
    ///
    /// # Safety
    ///
    /// The returned value must not be forgotten (`mem::forget`) or leaked: the device would
    /// stay registered, calling into `data` after `'a` ends.
    pub(crate) unsafe fn new(
        parent: &'a Device<Bound>,
        irq: IrqRequest<'a>,
        config: &Config,
        data: impl PinInit<T::Data<'a>, Error>,
    ) -> Result<Self> {
        let data = KBox::pin_init(data, GFP_KERNEL)?;

        // The interrupt is named after the platform device, as `virtio_mmio` names it after its
        // virtio device, so that `/proc/interrupts` tells the NICs apart.
        // SAFETY: `request_irq()` keeps the pointer until `free_irq()`, which `Drop` calls
        // before `'a` ends (the interrupt registration goes first). The name is the device's
        // kobject name, valid for as long as the device lives, which is longer than it is
        // bound (`'a`); a platform device is never renamed.
        let irq_name: &'static CStr = unsafe { &*core::ptr::from_ref(parent.name()) };

        // CAST: `Device` is a transparent wrapper of `struct device` (its type invariant).
        let parent = core::ptr::from_ref(parent).cast::<c_void>().cast_mut();
        let ethtool_ops = EthtoolVTable::<T>::build();
        // SAFETY: `parent` is a valid, bound device, which outlives the registration (`'a`);
        // the ethtool table is a constant that lives as long as the module.
        let dev = unsafe { ffi::rvnet_alloc_netdev(parent, ethtool_ops) };
        let dev = NonNull::new(dev).ok_or(ENOMEM)?;
        let raw = dev.as_ptr();

        // SAFETY: `raw` is a freshly allocated, unregistered Ethernet device: setting its address,
        // MTU, features, carrier and driver data needs no lock yet. `data` is pinned in its box
        // and outlives the registration (see `Drop`).
        unsafe {
            match config.mac {
                Some(mac) => ffi::rvnet_netdev_set_addr(raw, mac.as_ptr()),
                None => ffi::rvnet_netdev_random_addr(raw),
            }
            ffi::rvnet_netdev_set_mtu(raw, config.mtu, config.max_mtu);
            ffi::rvnet_netdev_set_features(
                raw,
                config.hw_features.bits(),
                config.features.bits(),
                config.tso_max_size,
            );
            ffi::rvnet_netdev_set_filters(raw, config.rx_filter, config.vlan_filter);
            ffi::netif_carrier_off(raw);
            ffi::rvnet_netdev_set_drvdata(
                raw,
                core::ptr::from_ref::<T::Data<'a>>(&data)
                    .cast_mut()
                    .cast::<c_void>(),
            );
        }

        // netdev netlink lists the interrupt with the NAPI context it schedules.
        let irq_nr = c_int::try_from(irq.irq()).unwrap_or(-1);
        // SAFETY: `raw` is a valid, unregistered device, whose NAPI context was added at
        // allocation.
        unsafe { ffi::rvnet_napi_set_irq(ffi::rvnet_netdev_napi(raw), irq_nr) };
        // SAFETY: The NAPI context was added at allocation and lives until `free_netdev()`,
        // which every path below and `Drop` call only after dropping `data`.
        let napi = unsafe { Napi::from_raw(ffi::rvnet_netdev_napi(raw)) };
        T::napi_added(&data, napi);

        // INVARIANT: The handler is for `dev`, whose data outlives the interrupt registration
        // (see `Drop`).
        let handler = IrqTrampoline::<T> {
            dev,
            _ops: PhantomData,
        };
        let handler = Ok::<_, Error>(handler);
        // SAFETY: The interrupt registration is owned by the returned `Registration`, which drops
        // it first; it is never forgotten (safety requirements).
        let irq = unsafe { irq::Registration::new(irq, irq::Flags::SHARED, irq_name, handler) };
        let irq = match KBox::pin_init(irq, GFP_KERNEL) {
            Ok(irq) => irq,
            Err(e) => {
                // The driver data may hold the NAPI context (`Operations::napi_added`): it goes
                // first.
                drop(data);
                // SAFETY: Not registered, and no handler runs: nothing else knows `raw`.
                unsafe { ffi::free_netdev(raw) };
                return Err(e);
            }
        };

        // SAFETY: `raw` is fully set up; from here on the core may call the ops.
        if let Err(e) = to_result(unsafe { ffi::register_netdev(raw) }) {
            drop(irq);
            // SAFETY: The handler, which may have scheduled the work item, is gone; the work
            // item did nothing for an unregistered device, and is now disabled.
            unsafe { ffi::rvnet_netdev_disable_work(raw) };
            // Before the NAPI context it may hold (`Operations::napi_added`).
            drop(data);
            // SAFETY: Registration failed, the interrupt is freed and the driver data dropped:
            // nothing knows `raw`.
            unsafe { ffi::free_netdev(raw) };
            return Err(e);
        }

        // INVARIANT: `dev` is registered with its private area pointing to `data`, and `irq`
        // calls the trampoline for `dev`.
        Ok(Self {
            dev,
            irq: ManuallyDrop::new(irq),
            data: ManuallyDrop::new(data),
        })
    }

    /// The registered device.
    pub(crate) fn device(&self) -> &NetDevice {
        // SAFETY: By the type invariant, `dev` is valid while `self` lives.
        unsafe { NetDevice::from_raw(self.dev.as_ptr()) }
    }
}

/// The interrupt handler of a [`Registration`]: calls [`Operations::interrupt`].
///
/// # Invariants
///
/// `dev` is the device of the [`Registration<T>`] that owns this handler's interrupt
/// registration; it and its driver data outlive that interrupt registration.
struct IrqTrampoline<T: Operations> {
    dev: NonNull<ffi::net_device>,
    _ops: PhantomData<fn() -> T>,
}

impl<T: Operations> irq::Handler for IrqTrampoline<T> {
    fn handle(&self) -> irq::IrqReturn {
        // SAFETY: By the type invariant, the device and its driver data outlive the interrupt
        // registration, and so every call of this handler.
        let (netdev, data) = unsafe { Adapter::<T>::from_raw(self.dev.as_ptr()) };
        T::interrupt(netdev, data)
    }
}

// SAFETY: The handler only passes the device to `T::interrupt`, which may run on any CPU.
unsafe impl<T: Operations> Send for IrqTrampoline<T> {}
// SAFETY: `T::Data` is `Sync`, and `NetDevice` methods may be called concurrently.
unsafe impl<T: Operations> Sync for IrqTrampoline<T> {}

impl<T: EthtoolOps> Drop for Registration<'_, T> {
    fn drop(&mut self) {
        let raw = self.dev.as_ptr();
        // SAFETY: `raw` is valid; the NAPI context no longer names the interrupt about to go.
        unsafe { ffi::rvnet_napi_set_irq(ffi::rvnet_netdev_napi(raw), -1) };
        // SAFETY: Dropped once, here: `free_irq()` waits for a running handler, and no handler
        // runs after it.
        unsafe { ManuallyDrop::drop(&mut self.irq) };
        // SAFETY: By the type invariant, `raw` is registered. Once this returns, the core has
        // stopped the device and calls none of its ops any more.
        unsafe { ffi::unregister_netdev(raw) };
        // SAFETY: `raw` is valid. The work item, scheduled before or during the unregistration,
        // runs to its end (doing nothing for an unregistered device) and never again: after
        // `unregister_netdev()` released RTNL, which it waits for.
        unsafe { ffi::rvnet_netdev_disable_work(raw) };
        // SAFETY: `data` is dropped once, here; no callback can reach it any more.
        unsafe { ManuallyDrop::drop(&mut self.data) };
        // SAFETY: The device is unregistered and its driver data gone: nothing uses it.
        unsafe { ffi::free_netdev(raw) };
    }
}

// SAFETY: The registration may be dropped on any thread; `T::Data` is `Send`.
unsafe impl<T: EthtoolOps> Send for Registration<'_, T> {}
// SAFETY: `&Registration` gives `&NetDevice` and `&T::Data`, both `Sync`.
unsafe impl<T: EthtoolOps> Sync for Registration<'_, T> {}
