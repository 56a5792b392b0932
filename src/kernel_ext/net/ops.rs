// SPDX-License-Identifier: GPL-2.0

//! The driver side of a network device: its `net_device_ops`, its NAPI poll and its
//! per-queue statistics.
//!
//! Shaped like `rust/kernel/net/phy.rs`: a driver implements [`Operations`]; [`Adapter`] has one
//! `extern "C"` callback per entry; [`export_ops!`](super::exports::export_ops) gives them the
//! names the C tables in `shim.c` use (bindgen cannot express `struct net_device_ops` or
//! `struct netdev_stat_ops`, so those tables stay in C, and only they).

use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

use kernel::{
    error::{
        from_result,
        to_result, //
    },
    ffi::{
        c_int,
        c_uint, //
    },
    irq,
    prelude::*,
    str::CStrExt, //
};

use super::{
    device::NetDevice,
    features::NetdevFeatures,
    napi::{
        Napi,
        NapiPoll, //
    },
    rtnl::Rtnl,
    skb::SkBuff,
    stats::{
        LinkStats,
        QueueStats, //
    },
    tx_lock::{
        XdpXmit, //
        Xmit,
    },
    xdp::{
        XdpFrames,
        XdpProg,
        XdpRefusal, //
    },
    xsk::XskBinding,
};
use crate::kernel_ext::ffi;

/// What `ndo_start_xmit` did with a packet.
pub(crate) enum TxOutcome {
    /// The packet was consumed: queued to the device, or dropped and counted
    /// (`NETDEV_TX_OK`).
    Consumed,
    /// The ring is full and the queue was stopped; the core keeps the packet and retries
    /// (`NETDEV_TX_BUSY`). The packet is given back.
    Busy(SkBuff),
}

/// The driver side of a network device: its `net_device_ops` and NAPI poll.
///
/// The implementing type is a marker; the per-device state is [`Operations::Data`], owned by the
/// [`Registration`](super::registration::Registration) and handed to every callback.
pub(crate) trait Operations: 'static {
    /// The driver's per-device data. It may borrow from the bound device (`'a`).
    type Data<'a>: Send + Sync + 'a;

    /// `ndo_open`: the interface is brought up. NAPI is enabled just before (and disabled
    /// again if this fails).
    fn open(dev: &NetDevice, data: &Self::Data<'_>) -> Result;

    /// `ndo_stop`: the interface is brought down. NAPI is disabled just before: no poll runs.
    fn stop(dev: &NetDevice, data: &Self::Data<'_>) -> Result;

    /// `ndo_start_xmit`: transmit `skb`, under the device's transmit lock (`xmit`).
    fn start_xmit(
        dev: &NetDevice,
        data: &Self::Data<'_>,
        xmit: &mut Xmit<'_>,
        skb: SkBuff,
    ) -> TxOutcome;

    /// `ndo_get_stats64`: report the interface counters.
    fn get_stats64(dev: &NetDevice, data: &Self::Data<'_>, stats: &mut LinkStats);

    /// The NAPI poll: do at most `budget` units of receive work and return how many were done.
    /// A budget of 0 (netpoll) allows transmit completions only.
    fn poll(dev: &NetDevice, data: &Self::Data<'_>, poll: &NapiPoll<'_>, budget: u32) -> u32;

    /// The device's interrupt, in hard interrupt context. It may come before the device is
    /// registered, and until it is unregistered.
    fn interrupt(dev: &NetDevice, data: &Self::Data<'_>) -> irq::IrqReturn;

    /// The device's NAPI context exists: called once, in process context, before the device
    /// is registered (no callback and no poll runs yet). `napi` outlives `data`: the
    /// registration drops the driver data before it frees the device, which deletes the
    /// context, on every path.
    fn napi_added(_data: &Self::Data<'_>, _napi: &Napi) {}

    /// How many queue pairs are in use.
    fn queue_pairs(data: &Self::Data<'_>) -> u32;

    /// The counters of queue pair `queue` (netdev netlink `qstats`), which is below
    /// [`Self::queue_pairs`].
    fn queue_stats(data: &Self::Data<'_>, queue: u32) -> QueueStats;

    /// `ndo_change_mtu`: the core has checked `mtu` against the device's range; the driver may
    /// still refuse it (the device's MTU is then unchanged) or prepare for it.
    fn change_mtu(dev: &NetDevice, data: &Self::Data<'_>, mtu: u32) -> Result;

    /// `ndo_set_mac_address`, under RTNL: `mac` is a valid unicast address and the interface
    /// may change its address now (down, or running with `IFF_LIVE_ADDR_CHANGE`), as
    /// `eth_prepare_mac_addr_change()` checked. On `Ok` the adapter gives it to the
    /// interface; on an error the interface keeps its address.
    fn set_mac_address(dev: &NetDevice, data: &Self::Data<'_>, mac: &[u8; 6]) -> Result;

    /// `ndo_tx_timeout`: transmit queue `queue` has been stopped, without taking a packet, for
    /// longer than the watchdog allows (5 s); it last took one `stalled_usecs` ago. Called
    /// by the watchdog timer, in softirq context, with the queue's transmit lock held.
    fn tx_timeout(dev: &NetDevice, data: &Self::Data<'_>, queue: u32, stalled_usecs: u32);

    /// `ndo_set_features`, under RTNL: the stack (`ethtool -K`) asks for `features`, which the
    /// core has checked against `hw_features`. On `Ok` the core makes them the device's
    /// features; on an error they stay as they are.
    fn set_features(dev: &NetDevice, data: &Self::Data<'_>, features: NetdevFeatures) -> Result;

    /// The driver's work item, in process context under RTNL, with the interface registered:
    /// scheduled by [`NetDevice::schedule_work`] and by `ndo_set_rx_mode` (the receive mode
    /// is applied here, since `ndo_set_rx_mode` runs in atomic context). Several requests
    /// before it runs make one run. `rtnl` is the proof.
    fn work(dev: &NetDevice, data: &Self::Data<'_>, rtnl: &Rtnl);

    /// `ndo_vlan_rx_add_vid` (`add`) or `ndo_vlan_rx_kill_vid`, for 802.1Q VLAN `vid`, in
    /// process context under RTNL; called only if the driver set the VLAN filter feature. An
    /// error refuses the VLAN (on add) or is logged by the core (on kill).
    fn vlan_filter(dev: &NetDevice, data: &Self::Data<'_>, vid: u16, add: bool) -> Result;

    /// `ndo_bpf` with `XDP_SETUP_PROG`: may `prog` (or, with `None`, no program) be attached,
    /// replacing the current one? Detaching must always be allowed. On `Ok`, the adapter
    /// attaches it; the poll then finds it with [`NetDevice::xdp_prog`].
    fn xdp_setup(
        dev: &NetDevice,
        data: &Self::Data<'_>,
        prog: Option<&XdpProg>,
    ) -> Result<(), XdpRefusal>;

    /// `ndo_xdp_xmit`, with bottom halves off (`ctx`): frames redirected to the device, from
    /// any device. The driver copies the first ones it has room for into its transmit ring,
    /// in order, and returns how many; it notifies the device if `flush`. The adapter gives
    /// the copied frames back to their owner, the core frees the rest. An error sends none.
    fn xdp_xmit(
        dev: &NetDevice,
        data: &Self::Data<'_>,
        ctx: &XdpXmit,
        frames: &XdpFrames<'_>,
        flush: bool,
    ) -> Result<usize>;

    /// `ndo_bpf` with `XDP_SETUP_XSK_POOL`, under RTNL (`rtnl`): the queue pair's receive
    /// buffers and transmit frames are to come from the AF_XDP pool `binding` holds, or, with
    /// `None`, from the driver again. On `None` the driver drops the binding it was given
    /// before, before it returns; on an error with `Some`, the binding is dropped.
    fn xsk_setup(
        dev: &NetDevice,
        data: &Self::Data<'_>,
        rtnl: &Rtnl,
        binding: Option<XskBinding>,
    ) -> Result;

    /// `ndo_xsk_wakeup`: the socket filled its fill ring or its transmit ring (`flags`,
    /// `XDP_WAKEUP_RX`/`_TX`) and asks for a poll.
    fn xsk_wakeup(dev: &NetDevice, data: &Self::Data<'_>, flags: u32) -> Result;
}

/// The `extern "C"` callbacks of the `net_device_ops` table, for driver `T`.
pub(crate) struct Adapter<T: Operations>(PhantomData<T>);

impl<T: Operations> Adapter<T> {
    /// Returns the device and its driver data.
    ///
    /// # Safety
    ///
    /// `dev` must be a `net_device` of a live [`Registration<T>`] (every `net_device_ops`
    /// callback is called only between `register_netdev()` and the return of
    /// `unregister_netdev()`, which the registration brackets).
    ///
    /// [`Registration<T>`]: super::registration::Registration
    pub(super) unsafe fn from_raw<'a>(
        dev: *mut ffi::net_device,
    ) -> (&'a NetDevice, &'a T::Data<'a>) {
        // SAFETY: By the safety requirements, `dev` is a valid rvnet device for the call.
        let netdev = unsafe { NetDevice::from_raw(dev) };
        // SAFETY: `Registration::new` stored a pointer to the pinned `T::Data` before
        // registering, and frees it only after `unregister_netdev()` has returned.
        let data = unsafe { &*netdev.drvdata().cast::<T::Data<'a>>() };
        (netdev, data)
    }

    /// `ndo_open`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; called by the core under RTNL.
    pub(crate) unsafe fn open_callback(dev: *mut ffi::net_device) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        from_result(|| {
            // The receive queue is described to XDP programs before a poll can run one
            // (`virtnet_enable_queue_pair()`).
            // SAFETY: `ndo_open` runs under RTNL, the queue is not registered (it is
            // unregistered at every `ndo_stop` and when `ndo_open` fails) and no poll runs.
            to_result(unsafe { ffi::rvnet_xdp_rxq_reg(dev) })?;
            // SAFETY: Under RTNL; NAPI is disabled while the interface is down (allocation, and
            // every `ndo_stop` or failed `ndo_open`).
            unsafe { netdev.napi().enable() };
            if let Err(e) = T::open(netdev, data) {
                // SAFETY: Under RTNL; enabled just above.
                unsafe { netdev.napi().disable() };
                // SAFETY: Registered above, and NAPI is off: no poll runs a program.
                unsafe { ffi::rvnet_xdp_rxq_unreg(dev) };
                return Err(e);
            }
            // The queue pair is served by the device's NAPI context: netdev netlink lists it
            // with the queues (`virtnet_napi_enable()`).
            // SAFETY: `ndo_open` runs under RTNL, which `netif_queue_set_napi()` needs; the
            // NAPI context is the device's own.
            unsafe { ffi::rvnet_queues_set_napi(dev, netdev.napi().as_raw()) };
            Ok(0)
        })
    }

    /// `ndo_stop`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; called by the core under RTNL, for an open device.
    pub(crate) unsafe fn stop_callback(dev: *mut ffi::net_device) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: `ndo_stop` runs under RTNL; a null NAPI unlinks the queues.
        unsafe { ffi::rvnet_queues_set_napi(dev, core::ptr::null_mut()) };
        // No poll runs after this, so none can wake the queue or run a program again.
        // SAFETY: Under RTNL; `ndo_open` enabled NAPI for the open device.
        unsafe { netdev.napi().disable() };
        let ret = from_result(|| T::stop(netdev, data).map(|()| 0));
        // SAFETY: Registered by the `ndo_open` this closes; NAPI is disabled, so no poll runs
        // a program on the queue any more.
        unsafe { ffi::rvnet_xdp_rxq_unreg(dev) };
        ret
    }

    /// `ndo_change_mtu`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; called under RTNL.
    pub(crate) unsafe fn change_mtu_callback(dev: *mut ffi::net_device, mtu: c_int) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        from_result(|| {
            let mtu = u32::try_from(mtu).map_err(|_| EINVAL)?;
            T::change_mtu(netdev, data, mtu)?;
            // SAFETY: `dev` is valid; RTNL serialises MTU changes, readers use `READ_ONCE()`.
            unsafe { ffi::rvnet_netdev_write_mtu(dev, mtu) };
            Ok(0)
        })
    }

    /// `ndo_set_mac_address`, between `shim.c`'s checks and its commit of the address.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; called under RTNL. `mac` points to six readable bytes.
    pub(crate) unsafe fn set_mac_address_callback(
        dev: *mut ffi::net_device,
        mac: *const [u8; 6],
    ) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: `mac` points to six readable bytes (safety requirements), copied here.
        let mac = unsafe { mac.read() };
        from_result(|| T::set_mac_address(netdev, data, &mac).map(|()| 0))
    }

    /// `ndo_set_features`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; called under RTNL.
    pub(crate) unsafe fn set_features_callback(dev: *mut ffi::net_device, features: u64) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        from_result(|| {
            T::set_features(netdev, data, NetdevFeatures::from_bits(features)).map(|()| 0)
        })
    }

    /// The work item of `shim.c` (`rvnet_netdev_work_fn()`).
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; called in process context under RTNL, with `dev` registered.
    pub(crate) unsafe fn work_callback(dev: *mut ffi::net_device) {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: The work item runs in process context under RTNL (safety requirements),
        // until it returns.
        let rtnl = unsafe { Rtnl::assume() };
        T::work(netdev, data, &rtnl);
    }

    /// `ndo_vlan_rx_add_vid`/`ndo_vlan_rx_kill_vid`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; called in process context under RTNL.
    pub(crate) unsafe fn vlan_filter_callback(
        dev: *mut ffi::net_device,
        vid: u16,
        add: bool,
    ) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        from_result(|| T::vlan_filter(netdev, data, vid, add).map(|()| 0))
    }

    /// `ndo_tx_timeout`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `txqueue` is one of the device's transmit queues.
    pub(crate) unsafe fn tx_timeout_callback(dev: *mut ffi::net_device, txqueue: c_uint) {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: `dev` is valid and `txqueue` one of its transmit queues (safety requirements).
        let stalled_usecs = unsafe { ffi::rvnet_tx_stalled_usecs(dev, txqueue) };
        T::tx_timeout(netdev, data, txqueue, stalled_usecs);
    }

    /// `ndo_bpf` with `XDP_SETUP_PROG`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; called under RTNL. `prog` is null or a valid program whose
    /// reference passes to the driver if, and only if, this returns 0 (`dev_xdp_install()`).
    /// `extack` is null or valid for writing.
    pub(crate) unsafe fn xdp_setup_callback(
        dev: *mut ffi::net_device,
        prog: *mut ffi::bpf_prog,
        extack: *mut ffi::netlink_ext_ack,
    ) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: The caller holds a reference to a non-null `prog` for the call.
        let new = (!prog.is_null()).then(|| unsafe { XdpProg::from_raw(prog) });
        if let Err(refusal) = T::xdp_setup(netdev, data, new) {
            // SAFETY: `extack` is null (which the helper checks) or valid; the message is a
            // static string, copied.
            unsafe { ffi::rvnet_set_err_msg(extack, refusal.msg.as_char_ptr()) };
            return refusal.err.to_errno();
        }
        // SAFETY: Under RTNL, which serialises writers of the pointer; the reference of `prog`
        // passes to the device, and the old program's reference comes back.
        let old = unsafe { ffi::rvnet_xdp_swap(dev, prog) };
        if !old.is_null() {
            // SAFETY: The reference the device held on `old`, which no reader can find any
            // more; `bpf_prog_put()` frees it after an RCU grace period, when polls that still
            // run it are done.
            unsafe { ffi::rvnet_bpf_prog_put(old) };
        }
        0
    }

    /// `ndo_xdp_xmit`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; called by the core with bottom halves off, `frames` pointing
    /// to `n` valid frames that it hands over for the call.
    pub(crate) unsafe fn xdp_xmit_callback(
        dev: *mut ffi::net_device,
        n: c_int,
        frames: *mut *mut ffi::xdp_frame,
        flags: u32,
    ) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        let Ok(n) = usize::try_from(n) else {
            return EINVAL.to_errno();
        };
        if flags & !ffi::XDP_XMIT_FLUSH != 0 {
            return EINVAL.to_errno();
        }
        // SAFETY: `n` valid frames, handed over for this call (safety requirements).
        let frames = unsafe { XdpFrames::from_raw(frames, n) };
        // SAFETY: This is `ndo_xdp_xmit`, called with bottom halves off; `ctx` is dropped
        // before it returns.
        let ctx = unsafe { XdpXmit::new() };
        match T::xdp_xmit(
            netdev,
            data,
            &ctx,
            &frames,
            flags & ffi::XDP_XMIT_FLUSH != 0,
        ) {
            Ok(sent) => {
                let sent = sent.min(n);
                frames.release(sent);
                // CAST: `sent <= n`, which came from a `c_int`.
                sent as c_int
            }
            Err(err) => err.to_errno(),
        }
    }

    /// `ndo_start_xmit`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `skb` is a valid `sk_buff` whose ownership passes to the
    /// driver.
    pub(crate) unsafe fn start_xmit_callback(
        skb: *mut ffi::sk_buff,
        dev: *mut ffi::net_device,
    ) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        let Some(skb) = NonNull::new(skb) else {
            return ffi::NETDEV_TX_OK;
        };
        // SAFETY: The stack hands over a valid `sk_buff` (safety requirements).
        let skb = unsafe { SkBuff::from_raw(skb) };
        // SAFETY: The core calls `ndo_start_xmit` holding the queue's transmit lock, and it is
        // held until this returns, after `xmit` is gone.
        let mut xmit = unsafe { Xmit::new(netdev) };
        match T::start_xmit(netdev, data, &mut xmit, skb) {
            TxOutcome::Consumed => ffi::NETDEV_TX_OK,
            TxOutcome::Busy(skb) => {
                // The core still owns the packet after `NETDEV_TX_BUSY`.
                let _ = skb.into_raw();
                ffi::NETDEV_TX_BUSY
            }
        }
    }

    /// `ndo_get_stats64`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `stats` points to a writable `struct rtnl_link_stats64`.
    pub(crate) unsafe fn get_stats64_callback(dev: *mut ffi::net_device, stats: *mut LinkStats) {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        let mut s = LinkStats::default();
        T::get_stats64(netdev, data, &mut s);
        // SAFETY: `stats` is a valid `rtnl_link_stats64`, whose head has the layout of
        // `LinkStats` (checked in `shim.c`); the rest of the structure is left as the caller
        // zeroed it.
        unsafe { stats.write(s) };
    }

    /// The NAPI poll.
    ///
    /// # Safety
    ///
    /// Called by the core only, as the poll of the NAPI context of a live
    /// [`Registration<T>`](super::registration::Registration)'s device.
    pub(crate) unsafe fn poll_callback(napi: *mut ffi::napi_struct, budget: c_int) -> c_int {
        // SAFETY: `napi->dev` of a valid context is its device, a live registration's
        // (safety requirements).
        let (netdev, data) = unsafe { Self::from_raw(ffi::rvnet_napi_dev(napi)) };
        // SAFETY: `napi` is valid for the call, the NAPI context of a registration's device,
        // an rvnet `net_device` (safety requirements).
        let napi = unsafe { Napi::from_raw(napi) };
        let budget = u32::try_from(budget).unwrap_or(0);
        // SAFETY: This is the context's poll function, with this budget, running for the rest
        // of this call.
        let poll = unsafe { NapiPoll::new(napi, budget) };
        let done = T::poll(netdev, data, &poll, budget).min(budget);
        // CAST: `done <= budget`, which came from a `c_int`.
        done as c_int
    }

    /// `get_queue_stats_rx`/`_tx` of `netdev_stat_ops`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `out` is valid for writing.
    pub(crate) unsafe fn queue_stats_callback(
        dev: *mut ffi::net_device,
        queue: c_int,
        out: *mut QueueStats,
    ) {
        // SAFETY: Forwarded from the caller.
        let (_, data) = unsafe { Self::from_raw(dev) };
        // The core asks only for active queues; anything else reads as zero.
        let stats = match u32::try_from(queue) {
            Ok(queue) if queue < T::queue_pairs(data) => T::queue_stats(data, queue),
            _ => QueueStats::default(),
        };
        // SAFETY: `out` is valid for writing (safety requirements).
        unsafe { out.write(stats) };
    }
}
