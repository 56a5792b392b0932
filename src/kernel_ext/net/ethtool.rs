// SPDX-License-Identifier: GPL-2.0

//! ethtool: `struct ethtool_ops`, built in Rust from the `#[vtable]` trait [`EthtoolOps`], as
//! `rust/kernel/net/phy.rs` builds `struct phy_driver` and `rust/kernel/miscdevice.rs` its
//! `struct file_operations`.
//!
//! C header: [`include/linux/ethtool.h`](srctree/include/linux/ethtool.h).

use core::{
    marker::PhantomData,
    mem::MaybeUninit, //
};

use kernel::{
    bindings,
    device::Device,
    error::{
        from_result,
        VTABLE_DEFAULT_ERROR, //
    },
    ffi::{
        c_char,
        c_int, //
    },
    prelude::*,
};

use super::{
    device::NetDevice,
    ops::{
        Adapter,
        Operations, //
    },
    rtnl::Rtnl,
};
use crate::kernel_ext::ffi;

/// `ETH_SS_STATS`, the string set of `ethtool -S`.
const ETH_SS_STATS: u32 = bindings::ethtool_stringset_ETH_SS_STATS;
/// `ETH_GSTRING_LEN`: the size of each ethtool string, NUL included.
const ETH_GSTRING_LEN: usize = bindings::ETH_GSTRING_LEN as usize;

/// Queue pairs (ethtool `get_channels`): rvnet has combined receive/transmit pairs only.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Channels {
    /// How many the device has.
    pub(crate) max_combined: u32,
    /// How many are in use.
    pub(crate) combined: u32,
}

/// Ring sizes (ethtool `get_ringparam`), in entries.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rings {
    /// The largest receive ring possible.
    pub(crate) rx_max: u32,
    /// The receive ring in use.
    pub(crate) rx: u32,
    /// The largest transmit ring possible.
    pub(crate) tx_max: u32,
    /// The transmit ring in use.
    pub(crate) tx: u32,
}

/// A driver's ethtool operations. `get_drvinfo`, `get_link` and `get_ts_info` (software
/// timestamps) are always there; the others when the driver implements them.
#[vtable]
pub(crate) trait EthtoolOps: Operations {
    /// The driver's name, as `ethtool -i` shows it.
    const DRIVER_NAME: &'static CStr;

    /// The names of the statistics `ethtool -S` shows, in order; each shorter than
    /// `ETH_GSTRING_LEN` (32) bytes, or it is cut. Used with [`EthtoolOps::stats`].
    const STATS: &'static [&'static str] = &[];

    /// `get_channels`: how many queue pairs the device has and uses.
    fn channels(_data: &Self::Data<'_>) -> Channels {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `set_channels`: use `combined` queue pairs. The core has checked that it is between 1
    /// and [`Channels::max_combined`]; separate receive or transmit queues are refused before.
    fn set_channels(_dev: &NetDevice, _data: &Self::Data<'_>, _combined: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `get_ringparam`: the ring sizes.
    fn rings(_data: &Self::Data<'_>) -> Rings {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `set_ringparam`: use rings of `rx` and `tx` entries. The core has checked them against
    /// [`Rings::rx_max`] and [`Rings::tx_max`], refused mini and jumbo rings, and calls this
    /// only when something changes. Under RTNL, in process context (`rtnl`).
    fn set_rings(
        _dev: &NetDevice,
        _data: &Self::Data<'_>,
        _rtnl: &Rtnl,
        _rx: u32,
        _tx: u32,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `get_ethtool_stats`: the values of [`EthtoolOps::STATS`], in the same order (`values`
    /// has as many entries).
    fn stats(_data: &Self::Data<'_>, _values: &mut [u64]) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// Copies `src` into the C string array `dst`, cut to fit with its NUL (`strscpy()`).
fn copy_cstr(dst: &mut [c_char], src: &CStr) {
    let src = src.to_bytes();
    let len = src.len().min(dst.len().saturating_sub(1));
    for (d, &s) in dst.iter_mut().zip(src.iter().take(len)) {
        // CAST: A byte of a C string, as the C side's `char`.
        *d = s as c_char;
    }
    if let Some(nul) = dst.get_mut(len) {
        *nul = 0;
    }
}

/// The `ethtool_ops` table of driver `T`, and its callbacks.
pub(crate) struct EthtoolVTable<T: EthtoolOps>(PhantomData<T>);

impl<T: EthtoolOps> EthtoolVTable<T> {
    const VTABLE: bindings::ethtool_ops = bindings::ethtool_ops {
        get_drvinfo: Some(Self::get_drvinfo_callback),
        get_link: Some(bindings::ethtool_op_get_link),
        get_ts_info: Some(bindings::ethtool_op_get_ts_info),
        get_channels: if T::HAS_CHANNELS {
            Some(Self::get_channels_callback)
        } else {
            None
        },
        set_channels: if T::HAS_SET_CHANNELS {
            Some(Self::set_channels_callback)
        } else {
            None
        },
        get_ringparam: if T::HAS_RINGS {
            Some(Self::get_ringparam_callback)
        } else {
            None
        },
        set_ringparam: if T::HAS_SET_RINGS {
            Some(Self::set_ringparam_callback)
        } else {
            None
        },
        get_sset_count: if T::HAS_STATS {
            Some(Self::get_sset_count_callback)
        } else {
            None
        },
        get_strings: if T::HAS_STATS {
            Some(Self::get_strings_callback)
        } else {
            None
        },
        get_ethtool_stats: if T::HAS_STATS {
            Some(Self::get_ethtool_stats_callback)
        } else {
            None
        },
        // SAFETY: All-zero is a valid `ethtool_ops`: no flags, every other operation absent.
        ..unsafe { MaybeUninit::<bindings::ethtool_ops>::zeroed().assume_init() }
    };

    /// The table, for `dev->ethtool_ops`; it lives as long as the module.
    pub(super) fn build() -> &'static bindings::ethtool_ops {
        &Self::VTABLE
    }

    /// The device and its driver data.
    ///
    /// # Safety
    ///
    /// `dev` must be a registered device of a live `Registration<T>`: the ethtool core calls
    /// these callbacks only for registered devices, under RTNL.
    unsafe fn from_raw<'a>(dev: *mut bindings::net_device) -> (&'a NetDevice, &'a T::Data<'a>) {
        // SAFETY: Forwarded from the caller; `bindings::net_device` is the same C structure.
        unsafe { Adapter::<T>::from_raw(dev.cast::<ffi::net_device>()) }
    }

    /// `get_drvinfo`: the driver's name and the parent device's, as
    /// `virtnet_get_drvinfo()` reports them.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `info` is valid for writing.
    unsafe extern "C" fn get_drvinfo_callback(
        dev: *mut bindings::net_device,
        info: *mut bindings::ethtool_drvinfo,
    ) {
        // SAFETY: `info` is valid for writing, and nothing else uses it during the call.
        let info = unsafe { &mut *info };
        copy_cstr(&mut info.driver, T::DRIVER_NAME);
        // SAFETY: `dev` is a valid rvnet device (safety requirements); it has the parent
        // `Registration::new` gave it, which outlives the registration.
        let parent = unsafe { ffi::rvnet_netdev_parent(dev.cast::<ffi::net_device>()) }
            .cast::<bindings::device>();
        if !parent.is_null() {
            // SAFETY: A valid, live `struct device` (see above).
            let parent: &Device = unsafe { Device::from_raw(parent) };
            copy_cstr(&mut info.bus_info, parent.name());
        }
    }

    /// `get_channels`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `ch` is valid for writing.
    unsafe extern "C" fn get_channels_callback(
        dev: *mut bindings::net_device,
        ch: *mut bindings::ethtool_channels,
    ) {
        // SAFETY: Forwarded from the caller.
        let (_, data) = unsafe { Self::from_raw(dev) };
        let channels = T::channels(data);
        // SAFETY: `ch` is valid for writing (safety requirements), used by nobody else.
        let ch = unsafe { &mut *ch };
        ch.max_combined = channels.max_combined;
        ch.combined_count = channels.combined;
    }

    /// `set_channels`: combined queue pairs only.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `ch` is valid for reading.
    unsafe extern "C" fn set_channels_callback(
        dev: *mut bindings::net_device,
        ch: *mut bindings::ethtool_channels,
    ) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: `ch` is valid for reading (safety requirements).
        let ch = unsafe { &*ch };
        from_result(|| {
            if ch.rx_count != 0 || ch.tx_count != 0 || ch.other_count != 0 {
                return Err(EINVAL);
            }
            T::set_channels(netdev, data, ch.combined_count)?;
            Ok(0)
        })
    }

    /// `get_ringparam`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `ring` is valid for writing.
    unsafe extern "C" fn get_ringparam_callback(
        dev: *mut bindings::net_device,
        ring: *mut bindings::ethtool_ringparam,
        _kring: *mut bindings::kernel_ethtool_ringparam,
        _extack: *mut bindings::netlink_ext_ack,
    ) {
        // SAFETY: Forwarded from the caller.
        let (_, data) = unsafe { Self::from_raw(dev) };
        let rings = T::rings(data);
        // SAFETY: `ring` is valid for writing (safety requirements), used by nobody else.
        let ring = unsafe { &mut *ring };
        ring.rx_max_pending = rings.rx_max;
        ring.rx_pending = rings.rx;
        ring.tx_max_pending = rings.tx_max;
        ring.tx_pending = rings.tx;
    }

    /// `set_ringparam`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `ring` is valid for reading.
    unsafe extern "C" fn set_ringparam_callback(
        dev: *mut bindings::net_device,
        ring: *mut bindings::ethtool_ringparam,
        _kring: *mut bindings::kernel_ethtool_ringparam,
        _extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: `ring` is valid for reading (safety requirements).
        let ring = unsafe { &*ring };
        from_result(|| {
            if ring.rx_mini_pending != 0 || ring.rx_jumbo_pending != 0 {
                return Err(EINVAL);
            }
            // SAFETY: ethtool calls `set_ringparam` in process context with RTNL held
            // (`ethnl_set_rings()`, `ethtool_set_ringparam()`), until it returns.
            let rtnl = unsafe { Rtnl::assume() };
            T::set_rings(netdev, data, &rtnl, ring.rx_pending, ring.tx_pending)?;
            Ok(0)
        })
    }

    /// `get_sset_count`: the number of strings in string set `sset`.
    extern "C" fn get_sset_count_callback(_dev: *mut bindings::net_device, sset: c_int) -> c_int {
        match u32::try_from(sset) {
            Ok(ETH_SS_STATS) => c_int::try_from(T::STATS.len()).unwrap_or(0),
            _ => EOPNOTSUPP.to_errno(),
        }
    }

    /// `get_strings`: the names of string set `sset`, `ETH_GSTRING_LEN` bytes each.
    ///
    /// # Safety
    ///
    /// `data` is valid for writing as many strings as `get_sset_count` gives for `sset` (the
    /// ethtool core sizes it so).
    unsafe extern "C" fn get_strings_callback(
        _dev: *mut bindings::net_device,
        sset: u32,
        data: *mut u8,
    ) {
        if sset != ETH_SS_STATS {
            return;
        }
        let names = T::STATS;
        // SAFETY: `data` holds one `ETH_GSTRING_LEN`-byte string per name (safety
        // requirements), and nothing else uses it during the call.
        let out = unsafe { core::slice::from_raw_parts_mut(data, names.len() * ETH_GSTRING_LEN) };
        out.fill(0);
        for (i, name) in names.iter().enumerate() {
            // Leave room for the NUL.
            let len = name.len().min(ETH_GSTRING_LEN - 1);
            let at = i * ETH_GSTRING_LEN;
            if let (Some(slot), Some(name)) = (out.get_mut(at..at + len), name.get(..len)) {
                slot.copy_from_slice(name.as_bytes());
            }
        }
    }

    /// `get_ethtool_stats`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `values` is valid for writing one `u64` per name of
    /// [`EthtoolOps::STATS`] (the ethtool core sizes it from `get_sset_count`).
    unsafe extern "C" fn get_ethtool_stats_callback(
        dev: *mut bindings::net_device,
        _stats: *mut bindings::ethtool_stats,
        values: *mut u64,
    ) {
        // SAFETY: Forwarded from the caller.
        let (_, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: By the safety requirements; nothing else uses the buffer during the call.
        let values = unsafe { core::slice::from_raw_parts_mut(values, T::STATS.len()) };
        T::stats(data, values);
    }
}
