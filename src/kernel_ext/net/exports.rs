// SPDX-License-Identifier: GPL-2.0

//! The entry points of a driver's operations under the names `shim.c`'s C tables call
//! (`rvnet_ndo_*`, `rvnet_napi_poll`, `rvnet_queue_stats`): [`export_ops!`] makes one
//! `#[no_mangle]` function per callback of [`ops::Adapter`](super::ops::Adapter), for the
//! driver type it is given, and the C types they take.

use crate::kernel_ext::ffi;

/// Exports the [`Adapter`](super::ops::Adapter) callbacks of driver `$t` under the names
/// `shim.c`'s tables call: `rvnet_ndo_*`, `rvnet_napi_poll` and `rvnet_queue_stats`. Invoke
/// once, in the driver.
macro_rules! export_ops {
    ($t:ty) => {
        const _: () = {
            use $crate::kernel_ext::net::{
                exports::{RawNapi, RawNetDevice},
                ops::Adapter,
            };

            /// `ndo_open` of the `net_device_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by the networking core only, as `ndo_open`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_open(dev: *mut RawNetDevice) -> ::kernel::ffi::c_int {
                // SAFETY: The core calls `ndo_open` under RTNL with a registered device of this
                // driver.
                unsafe { Adapter::<$t>::open_callback(dev) }
            }

            /// `ndo_stop` of the `net_device_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by the networking core only, as `ndo_stop`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_stop(dev: *mut RawNetDevice) -> ::kernel::ffi::c_int {
                // SAFETY: The core calls `ndo_stop` under RTNL with an open device of this
                // driver.
                unsafe { Adapter::<$t>::stop_callback(dev) }
            }

            /// `ndo_start_xmit` of the `net_device_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by the networking core only, as `ndo_start_xmit`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_start_xmit(
                skb: *mut $crate::kernel_ext::net::exports::RawSkBuff,
                dev: *mut RawNetDevice,
            ) -> ::kernel::ffi::c_int {
                // SAFETY: The core hands over a packet for a registered device of this driver.
                unsafe { Adapter::<$t>::start_xmit_callback(skb, dev) }
            }

            /// `ndo_get_stats64` of the `net_device_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by the networking core only, as `ndo_get_stats64`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_get_stats64(
                dev: *mut RawNetDevice,
                stats: *mut $crate::kernel_ext::net::stats::LinkStats,
            ) {
                // SAFETY: The core calls `ndo_get_stats64` with a registered device of this
                // driver and a valid `rtnl_link_stats64`.
                unsafe { Adapter::<$t>::get_stats64_callback(dev, stats) }
            }

            /// The NAPI poll function `shim.c` registers with `netif_napi_add()`.
            ///
            /// # Safety
            ///
            /// Called by the networking core only, as the poll of an rvnet device's NAPI context.
            #[no_mangle]
            unsafe extern "C" fn rvnet_napi_poll(
                napi: *mut RawNapi,
                budget: ::kernel::ffi::c_int,
            ) -> ::kernel::ffi::c_int {
                // SAFETY: The core polls only enabled contexts of registered rvnet devices.
                unsafe { Adapter::<$t>::poll_callback(napi, budget) }
            }

            /// `ndo_change_mtu` of the `net_device_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by the networking core only, as `ndo_change_mtu`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_change_mtu(
                dev: *mut RawNetDevice,
                new_mtu: ::kernel::ffi::c_int,
            ) -> ::kernel::ffi::c_int {
                // SAFETY: The core calls `ndo_change_mtu` under RTNL with a registered device of
                // this driver.
                unsafe { Adapter::<$t>::change_mtu_callback(dev, new_mtu) }
            }

            /// What `ndo_set_mac_address` of the `net_device_ops` table in `shim.c` asks of
            /// the driver.
            ///
            /// # Safety
            ///
            /// Called by `shim.c` only, from `ndo_set_mac_address`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_set_mac(
                dev: *mut RawNetDevice,
                mac: *const [u8; 6],
            ) -> ::kernel::ffi::c_int {
                // SAFETY: The core calls `ndo_set_mac_address` under RTNL with a registered
                // device of this driver; `shim.c` passes the six bytes of the address.
                unsafe { Adapter::<$t>::set_mac_address_callback(dev, mac) }
            }

            /// `ndo_tx_timeout` of the `net_device_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by the networking core only, as `ndo_tx_timeout`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_tx_timeout(
                dev: *mut RawNetDevice,
                txqueue: ::kernel::ffi::c_uint,
            ) {
                // SAFETY: The watchdog calls `ndo_tx_timeout` with a registered device of this
                // driver and one of its transmit queues.
                unsafe { Adapter::<$t>::tx_timeout_callback(dev, txqueue) }
            }

            /// `ndo_set_features` of the `net_device_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by the networking core only, as `ndo_set_features`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_set_features(
                dev: *mut RawNetDevice,
                features: u64,
            ) -> ::kernel::ffi::c_int {
                // SAFETY: The core calls `ndo_set_features` under RTNL with a registered device
                // of this driver.
                unsafe { Adapter::<$t>::set_features_callback(dev, features) }
            }

            /// The driver's work item, run by `shim.c`'s `rvnet_netdev_work_fn()`.
            ///
            /// # Safety
            ///
            /// Called by `shim.c` only, from the work item.
            #[no_mangle]
            unsafe extern "C" fn rvnet_netdev_work(dev: *mut RawNetDevice) {
                // SAFETY: `shim.c` runs the work item in process context under RTNL, for a
                // registered device of this driver.
                unsafe { Adapter::<$t>::work_callback(dev) }
            }

            /// What `ndo_vlan_rx_add_vid` and `ndo_vlan_rx_kill_vid` of the `net_device_ops`
            /// table in `shim.c` ask of the driver.
            ///
            /// # Safety
            ///
            /// Called by `shim.c` only, from those two operations.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_vlan_filter(
                dev: *mut RawNetDevice,
                vid: u16,
                add: bool,
            ) -> ::kernel::ffi::c_int {
                // SAFETY: The core calls both under RTNL with a registered device of this
                // driver.
                unsafe { Adapter::<$t>::vlan_filter_callback(dev, vid, add) }
            }

            /// `ndo_bpf` (`XDP_SETUP_PROG`) of the `net_device_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by `shim.c` only, from `ndo_bpf`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_xdp_setup(
                dev: *mut RawNetDevice,
                prog: *mut $crate::kernel_ext::net::exports::RawBpfProg,
                extack: *mut $crate::kernel_ext::net::exports::RawExtack,
            ) -> ::kernel::ffi::c_int {
                // SAFETY: The core calls `ndo_bpf` under RTNL with a registered device of this
                // driver, a program it holds a reference to (or none), and its extack.
                unsafe { Adapter::<$t>::xdp_setup_callback(dev, prog, extack) }
            }

            /// `ndo_xdp_xmit` of the `net_device_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by the networking core only, as `ndo_xdp_xmit`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_xdp_xmit(
                dev: *mut RawNetDevice,
                n: ::kernel::ffi::c_int,
                frames: *mut *mut $crate::kernel_ext::net::exports::RawXdpFrame,
                flags: u32,
            ) -> ::kernel::ffi::c_int {
                // SAFETY: The devmap's flush calls `ndo_xdp_xmit` with bottom halves off, for
                // a registered device of this driver, with `n` frames it hands over.
                unsafe { Adapter::<$t>::xdp_xmit_callback(dev, n, frames, flags) }
            }

            /// `ndo_bpf` (`XDP_SETUP_XSK_POOL`) of the `net_device_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by `shim.c` only, from `ndo_bpf`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_xsk_setup(
                dev: *mut RawNetDevice,
                pool: *mut $crate::kernel_ext::net::exports::RawXskPool,
                queue: u16,
            ) -> ::kernel::ffi::c_int {
                // SAFETY: The core calls `ndo_bpf` under RTNL with a registered device of this
                // driver and a pool it keeps alive until it asks to unbind it.
                unsafe { Adapter::<$t>::xsk_setup_callback(dev, pool, queue) }
            }

            /// `ndo_xsk_wakeup` of the `net_device_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by the AF_XDP core only, as `ndo_xsk_wakeup`.
            #[no_mangle]
            unsafe extern "C" fn rvnet_ndo_xsk_wakeup(
                dev: *mut RawNetDevice,
                queue: u32,
                flags: u32,
            ) -> ::kernel::ffi::c_int {
                // SAFETY: A registered device of this driver.
                unsafe { Adapter::<$t>::xsk_wakeup_callback(dev, queue, flags) }
            }

            /// The per-queue counters behind the `netdev_stat_ops` table in `shim.c`.
            ///
            /// # Safety
            ///
            /// Called by `shim.c` only, from the netdev netlink core, with a registered rvnet
            /// device and a writable result.
            #[no_mangle]
            unsafe extern "C" fn rvnet_queue_stats(
                dev: *mut RawNetDevice,
                queue: ::kernel::ffi::c_int,
                out: *mut $crate::kernel_ext::net::stats::QueueStats,
            ) {
                // SAFETY: A registered device of this driver and a writable result.
                unsafe { Adapter::<$t>::queue_stats_callback(dev, queue, out) }
            }
        };
    };
}
pub(crate) use export_ops;

/// The C `struct net_device`, for [`export_ops!`].
pub(crate) type RawNetDevice = ffi::net_device;
/// The C `struct sk_buff`, for [`export_ops!`].
pub(crate) type RawSkBuff = ffi::sk_buff;
/// The C `struct napi_struct`, for [`export_ops!`].
pub(crate) type RawNapi = ffi::napi_struct;
/// The C `struct bpf_prog`, for [`export_ops!`].
pub(crate) type RawBpfProg = ffi::bpf_prog;
/// The C `struct xdp_frame`, for [`export_ops!`].
pub(crate) type RawXdpFrame = ffi::xdp_frame;
/// The C `struct xsk_buff_pool`, for [`export_ops!`].
pub(crate) type RawXskPool = ffi::xsk_buff_pool;
/// The C `struct netlink_ext_ack`, for [`export_ops!`].
pub(crate) type RawExtack = ffi::netlink_ext_ack;
