// SPDX-License-Identifier: GPL-2.0

//! Network devices: `struct net_device`, its registration, and `struct sk_buff`.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/etherdevice.h`](srctree/include/linux/etherdevice.h).
//!
//! Shaped like `rust/kernel/net/phy.rs`: a driver implements [`Operations`]; [`Adapter`] has one
//! `extern "C"` callback per `net_device_ops` entry; [`export_ops!`] gives them the names the C
//! ops table in `shim.c` uses. [`Registration`] owns the `net_device` and the driver's data from
//! `register_netdev()` to `free_netdev()`.

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
    dma::CoherentView,
    error::{
        from_result,
        to_result, //
    },
    ffi::{
        c_int,
        c_void, //
    },
    io::Io,
    irq::{self, IrqRequest},
    prelude::*,
    str::CStrExt,
    sync::aref::AlwaysRefCounted,
    types::Opaque, //
};

use super::{
    ffi,
    xdp::{XdpProg, XdpRefusal}, //
};

/// A network device (`struct net_device`).
///
/// # Invariants
///
/// A `&NetDevice` points to a valid, allocated `struct net_device` for its lifetime.
#[repr(transparent)]
pub(crate) struct NetDevice(Opaque<ffi::net_device>);

impl NetDevice {
    /// Creates a reference to a [`NetDevice`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct net_device` for the lifetime `'a`.
    unsafe fn from_raw<'a>(ptr: *mut ffi::net_device) -> &'a Self {
        // SAFETY: `NetDevice` is a transparent wrapper of the C struct; the caller guarantees
        // validity for `'a`.
        unsafe { &*ptr.cast() }
    }

    pub(super) fn as_raw(&self) -> *mut ffi::net_device {
        self.0.get()
    }

    /// The current MTU (`dev->mtu`).
    pub(crate) fn mtu(&self) -> u32 {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`; the MTU is
        // read with `READ_ONCE()`.
        unsafe { ffi::rvnet_netdev_mtu(self.as_raw()) }
    }

    /// The interface name (`dev->name`), e.g. `eth0`.
    ///
    /// A rename takes effect under RTNL while the interface is down; a reader racing with one
    /// sees the old or the new name, as `/proc/net/dev` does.
    pub(crate) fn name(&self) -> &CStr {
        // SAFETY: `dev->name` is a NUL-terminated array inside the valid `net_device`.
        unsafe { CStr::from_char_ptr(ffi::rvnet_netdev_name(self.as_raw())) }
    }

    /// The current hardware address (`dev->dev_addr`).
    pub(crate) fn mac(&self) -> [u8; 6] {
        // SAFETY: `dev_addr` of an Ethernet device holds `ETH_ALEN` (6) bytes.
        let addr = unsafe { ffi::rvnet_netdev_addr(self.as_raw()) };
        // SAFETY: `addr` is valid for reading 6 bytes (see above); `[u8; 6]` has alignment 1.
        unsafe { addr.cast::<[u8; 6]>().read() }
    }

    /// Whether the carrier is on (`netif_carrier_ok()`).
    pub(crate) fn carrier_ok(&self) -> bool {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`.
        unsafe { ffi::rvnet_carrier_ok(self.as_raw()) }
    }

    /// The device's NAPI context.
    pub(crate) fn napi(&self) -> &Napi {
        // SAFETY: Every rvnet `net_device` has a NAPI context in its private area
        // (`rvnet_alloc_netdev()`), which lives as long as the device.
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

    /// Whether the transmit queue is stopped (`netif_queue_stopped()`).
    pub(crate) fn queue_stopped(&self) -> bool {
        // SAFETY: By the type invariant, `self.as_raw()` is a valid `net_device`.
        unsafe { ffi::rvnet_netif_queue_stopped(self.as_raw()) }
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

/// Whether the core has more packets for this queue right behind the current one
/// (`netdev_xmit_more()`): the driver may then delay notifying the device. Only meaningful
/// inside `ndo_start_xmit`.
pub(crate) fn xmit_more() -> bool {
    // SAFETY: Reads a per-CPU flag; valid in any context.
    unsafe { ffi::rvnet_netdev_xmit_more() }
}

/// A NAPI context (`struct napi_struct`).
///
/// # Invariants
///
/// A `&Napi` points to a valid, initialised `struct napi_struct` (added to its device with
/// `netif_napi_add()`) for its lifetime.
#[repr(transparent)]
pub(crate) struct Napi(Opaque<ffi::napi_struct>);

impl Napi {
    /// Creates a reference to a [`Napi`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a NAPI context added to a device, valid for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut ffi::napi_struct) -> &'a Self {
        // SAFETY: Transparent wrapper; validity from the caller.
        unsafe { &*ptr.cast() }
    }

    fn as_raw(&self) -> *mut ffi::napi_struct {
        self.0.get()
    }

    /// Schedules a poll, unless one is pending or NAPI is disabled (`napi_schedule()`). May be
    /// called from interrupt context.
    pub(crate) fn schedule(&self) {
        // SAFETY: By the type invariant, the NAPI context is valid.
        unsafe { ffi::rvnet_napi_schedule(self.as_raw()) };
    }

    /// Enables polling (`napi_enable()`); from `ndo_open`.
    pub(crate) fn enable(&self) {
        // SAFETY: By the type invariant, the NAPI context is valid and, from `ndo_open`, disabled.
        unsafe { ffi::napi_enable(self.as_raw()) };
    }

    /// Disables polling and waits for a running poll to finish (`napi_disable()`); from
    /// `ndo_stop`. May sleep.
    pub(crate) fn disable(&self) {
        // SAFETY: By the type invariant, the NAPI context is valid.
        unsafe { ffi::napi_disable(self.as_raw()) };
    }

    /// Ends a poll that did `work` (less than its budget) units of work
    /// (`napi_complete_done()`). Returns whether the poll is really over: if not, the core
    /// polls again and interrupts must stay off.
    pub(crate) fn complete_done(&self, work: u32) -> bool {
        let work = c_int::try_from(work).unwrap_or(c_int::MAX);
        // SAFETY: By the type invariant, the NAPI context is valid; called from its poll.
        unsafe { ffi::napi_complete_done(self.as_raw(), work) }
    }

    /// Allocates a socket buffer for `len` bytes of received packet, from the NAPI cache
    /// (`napi_alloc_skb()`). `None` when memory is short.
    pub(crate) fn alloc_skb(&self, len: u32) -> Option<RxSkBuff> {
        // SAFETY: By the type invariant, the NAPI context is valid; called from its poll.
        let skb = NonNull::new(unsafe { ffi::napi_alloc_skb(self.as_raw(), len) })?;
        // INVARIANT: A new `sk_buff` with `len` bytes of tail room, owned here.
        Some(RxSkBuff { skb, room: len })
    }

    /// Hands a received packet to the stack: `eth_type_trans()`, then GRO
    /// (`napi_gro_receive()`).
    pub(crate) fn receive(&self, skb: RxSkBuff) {
        let skb = ManuallyDrop::new(skb);
        // SAFETY: By the type invariants, the NAPI context and its device are valid and `skb`
        // is owned; its ownership passes to the stack.
        unsafe { ffi::rvnet_napi_receive(self.as_raw(), skb.skb.as_ptr()) };
    }
}

// SAFETY: The methods of `Napi` may be called from any thread.
unsafe impl Send for Napi {}
// SAFETY: `napi_schedule()` may race with itself and with polls; the other methods are called
// only from the poll or from `ndo_open`/`ndo_stop`, which the core serialises.
unsafe impl Sync for Napi {}

/// A socket buffer being filled with a received packet; freed when dropped.
///
/// # Invariants
///
/// `skb` is a valid `struct sk_buff` owned by this value, with at least `room` bytes of tail
/// room.
pub(crate) struct RxSkBuff {
    skb: NonNull<ffi::sk_buff>,
    room: u32,
}

impl RxSkBuff {
    /// Extends the buffer by `len` bytes (`skb_put()`) and returns them, to be written.
    ///
    /// # Errors
    ///
    /// `EMSGSIZE` when `len` is more than the room the buffer was allocated with.
    fn put(&mut self, len: usize) -> Result<&mut [u8]> {
        let room = u32::try_from(len).map_err(|_| EMSGSIZE)?;
        if room > self.room {
            return Err(EMSGSIZE);
        }
        // SAFETY: By the type invariant, the skb has `self.room >= room` bytes of tail room,
        // which `skb_put()` hands out.
        let data = unsafe { ffi::skb_put(self.skb.as_ptr(), room) }.cast::<u8>();
        self.room -= room;
        // SAFETY: `skb_put()` returned `len` writable bytes that nothing else references; the
        // slice borrows `self`, which owns the skb.
        Ok(unsafe { core::slice::from_raw_parts_mut(data, len) })
    }

    /// Appends `src`, a received packet in DMA memory, to the buffer (`skb_put()` + copy).
    ///
    /// # Errors
    ///
    /// `EMSGSIZE` when `src` is larger than the room the buffer was allocated with.
    pub(crate) fn put_from(&mut self, src: CoherentView<'_, [u8]>) -> Result {
        let data = self.put(src.len())?;
        // PANIC: Both sides are `src.len()` bytes long.
        src.copy_to_slice(data);
        Ok(())
    }

    /// Appends `src` to the buffer (`skb_put_data()`).
    ///
    /// # Errors
    ///
    /// `EMSGSIZE` when `src` is larger than the room the buffer was allocated with.
    pub(crate) fn put_slice(&mut self, src: &[u8]) -> Result {
        // PANIC: Both sides are `src.len()` bytes long.
        self.put(src.len())?.copy_from_slice(src);
        Ok(())
    }
}

impl Drop for RxSkBuff {
    fn drop(&mut self) {
        // SAFETY: By the type invariant, the `sk_buff` is owned and valid.
        unsafe { ffi::rvnet_kfree_skb_any(self.skb.as_ptr()) };
    }
}

// SAFETY: An owned `sk_buff` may be used or freed on any thread.
unsafe impl Send for RxSkBuff {}

/// A socket buffer handed to the driver for transmission; freed when dropped.
///
/// # Invariants
///
/// `self.0` is a valid `struct sk_buff` owned by this value.
pub(crate) struct SkBuff(NonNull<ffi::sk_buff>);

impl SkBuff {
    /// Length of the packet in bytes (`skb->len`).
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: By the type invariant, `self.0` is a valid `sk_buff`.
        unsafe { ffi::rvnet_skb_len(self.0.as_ptr()) }
    }

    /// Fills `dst` with the packet's bytes from `offset` on, linear part and fragments alike
    /// (`skb_copy_bits()`).
    ///
    /// # Errors
    ///
    /// `EMSGSIZE` when the packet has fewer than `dst.len()` bytes past `offset`.
    pub(crate) fn copy_to(&self, offset: usize, dst: CoherentView<'_, [u8]>) -> Result {
        let len = usize::try_from(self.len()).map_err(|_| EMSGSIZE)?;
        if offset.checked_add(dst.len()).is_none_or(|end| end > len) {
            return Err(EMSGSIZE);
        }
        let offset = c_int::try_from(offset).map_err(|_| EMSGSIZE)?;
        let count = c_int::try_from(dst.len()).map_err(|_| EMSGSIZE)?;
        let to = dst.as_sys_mem().as_ptr().cast::<c_void>();
        // SAFETY: `to` is valid for writing `count` bytes of DMA memory that the device does
        // not own (the caller posts it only afterwards); `self.0` is a valid skb with at least
        // `offset + count` bytes.
        to_result(unsafe { ffi::skb_copy_bits(self.0.as_ptr(), offset, to, count) })
    }

    /// Frees the buffer after a successful transmission (`dev_consume_skb_any()`: not counted
    /// as a drop).
    pub(crate) fn consume(self) {
        let skb = ManuallyDrop::new(self);
        // SAFETY: By the type invariant, the `sk_buff` is owned and valid; it is not used again.
        unsafe { ffi::rvnet_consume_skb_any(skb.0.as_ptr()) };
    }

    /// Takes ownership of `skb`.
    ///
    /// # Safety
    ///
    /// `skb` must be a valid `struct sk_buff` whose ownership passes to the returned value.
    unsafe fn from_raw(skb: NonNull<ffi::sk_buff>) -> Self {
        // INVARIANT: By the safety requirements.
        Self(skb)
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: By the type invariant, the `sk_buff` is owned and valid; `dev_kfree_skb_any()`
        // may be called in any context.
        unsafe { ffi::rvnet_kfree_skb_any(self.0.as_ptr()) };
    }
}

// SAFETY: An owned `sk_buff` may be freed or used on any thread.
unsafe impl Send for SkBuff {}

/// What `ndo_start_xmit` did with a packet.
pub(crate) enum TxOutcome {
    /// The packet was consumed: queued to the device, or dropped and counted
    /// (`NETDEV_TX_OK`).
    Consumed,
    /// The ring is full and the queue was stopped; the core keeps the packet and retries
    /// (`NETDEV_TX_BUSY`). The packet is given back.
    Busy(SkBuff),
}

/// Interface statistics, reported by `ndo_get_stats64` (`ip -s link`): the prefix of
/// `struct rtnl_link_stats64` (UAPI, `include/uapi/linux/if_link.h`), written in place. UAPI
/// layout cannot change; `shim.c` asserts the offsets at build time.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LinkStats {
    /// Packets received.
    pub(crate) rx_packets: u64,
    /// Packets transmitted.
    pub(crate) tx_packets: u64,
    /// Bytes received.
    pub(crate) rx_bytes: u64,
    /// Bytes transmitted.
    pub(crate) tx_bytes: u64,
    /// Receive errors.
    pub(crate) rx_errors: u64,
    /// Transmit errors.
    pub(crate) tx_errors: u64,
    /// Received packets dropped.
    pub(crate) rx_dropped: u64,
    /// Transmitted packets dropped.
    pub(crate) tx_dropped: u64,
}

/// The driver side of a network device: its `net_device_ops`.
///
/// The implementing type is a marker; the per-device state is [`Operations::Data`], owned by the
/// [`Registration`] and handed to every callback.
pub(crate) trait Operations: 'static {
    /// The driver's per-device data. It may borrow from the bound device (`'a`).
    type Data<'a>: Send + Sync + 'a;

    /// `ndo_open`: the interface is brought up.
    fn open(dev: &NetDevice, data: &Self::Data<'_>) -> Result;

    /// `ndo_stop`: the interface is brought down.
    fn stop(dev: &NetDevice, data: &Self::Data<'_>) -> Result;

    /// `ndo_start_xmit`: transmit `skb`.
    fn start_xmit(dev: &NetDevice, data: &Self::Data<'_>, skb: SkBuff) -> TxOutcome;

    /// `ndo_get_stats64`: report the interface counters.
    fn get_stats64(dev: &NetDevice, data: &Self::Data<'_>, stats: &mut LinkStats);

    /// The NAPI poll: do at most `budget` units of receive work and return how many were done.
    /// A budget of 0 (netpoll) allows transmit completions only.
    fn poll(dev: &NetDevice, data: &Self::Data<'_>, napi: &Napi, budget: u32) -> u32;

    /// The device's interrupt, in hard interrupt context. It may come before the device is
    /// registered, and until it is unregistered.
    fn interrupt(dev: &NetDevice, data: &Self::Data<'_>) -> irq::IrqReturn;

    /// ethtool `get_channels`: how many queue pairs the device has and uses.
    fn channels(data: &Self::Data<'_>) -> Channels;

    /// ethtool `set_channels`: use `combined` queue pairs. The core has checked that it is
    /// between 1 and [`Channels::max_combined`].
    fn set_channels(dev: &NetDevice, data: &Self::Data<'_>, combined: u32) -> Result;

    /// ethtool `get_ringparam`: the ring sizes.
    fn rings(data: &Self::Data<'_>) -> Rings;

    /// The names of the statistics `ethtool -S` shows, in order; each shorter than
    /// `ETH_GSTRING_LEN` (32) bytes, or it is cut.
    const ETHTOOL_STATS: &'static [&'static str];

    /// ethtool `get_ethtool_stats`: the values of [`Self::ETHTOOL_STATS`], in the same order
    /// (`values` has as many entries).
    fn ethtool_stats(data: &Self::Data<'_>, values: &mut [u64]);

    /// The counters of queue pair `queue` (netdev netlink `qstats`), which is below
    /// [`Channels::combined`].
    fn queue_stats(data: &Self::Data<'_>, queue: u32) -> QueueStats;

    /// `ndo_change_mtu`: the core has checked `mtu` against the device's range; the driver may
    /// still refuse it (the device's MTU is then unchanged) or prepare for it.
    fn change_mtu(dev: &NetDevice, data: &Self::Data<'_>, mtu: u32) -> Result;

    /// `ndo_bpf` with `XDP_SETUP_PROG`: may `prog` (or, with `None`, no program) be attached,
    /// replacing the current one? Detaching must always be allowed. On `Ok`, the adapter
    /// attaches it; the poll then finds it with [`NetDevice::xdp_prog`].
    fn xdp_setup(
        dev: &NetDevice,
        data: &Self::Data<'_>,
        prog: Option<&XdpProg>,
    ) -> Result<(), XdpRefusal>;
}

/// Queue pairs (ethtool `get_channels`): rvnet has combined receive/transmit pairs only.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Channels {
    /// How many the device has.
    pub(crate) max_combined: u32,
    /// How many are in use.
    pub(crate) combined: u32,
}

/// Ring sizes (ethtool `get_ringparam`), in entries.
#[repr(C)]
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

/// The counters of one queue pair, as netdev netlink reports them (`struct
/// netdev_queue_stats_rx`/`_tx`, of which rvnet fills these fields).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct QueueStats {
    /// Packets received.
    pub(crate) rx_packets: u64,
    /// Bytes received.
    pub(crate) rx_bytes: u64,
    /// Packets transmitted.
    pub(crate) tx_packets: u64,
    /// Bytes transmitted.
    pub(crate) tx_bytes: u64,
    /// Times the transmit queue was stopped.
    pub(crate) tx_stop: u64,
    /// Times it was woken.
    pub(crate) tx_wake: u64,
}

// `shim.c` asserts the same sizes for its copies of these structures.
const _: () = assert!(size_of::<Channels>() == 8);
const _: () = assert!(size_of::<Rings>() == 16);
const _: () = assert!(size_of::<QueueStats>() == 48);

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
    unsafe fn from_raw<'a>(dev: *mut ffi::net_device) -> (&'a NetDevice, &'a T::Data<'a>) {
        // SAFETY: By the safety requirements, `dev` is valid for the call.
        let netdev = unsafe { NetDevice::from_raw(dev) };
        // SAFETY: `Registration::new` stored a pointer to the pinned `T::Data` before
        // registering, and frees it only after `unregister_netdev()` has returned.
        let data = unsafe { &*ffi::rvnet_netdev_drvdata(dev).cast::<T::Data<'a>>() };
        (netdev, data)
    }

    /// `ndo_open`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`].
    pub(crate) unsafe fn open_callback(dev: *mut ffi::net_device) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        from_result(|| {
            // The receive queue is described to XDP programs before a poll can run one
            // (`virtnet_enable_queue_pair()`).
            // SAFETY: `ndo_open` runs under RTNL, the queue is not registered (it is
            // unregistered at every `ndo_stop` and when `ndo_open` fails) and no poll runs.
            to_result(unsafe { ffi::rvnet_xdp_rxq_reg(dev) })?;
            if let Err(e) = T::open(netdev, data) {
                // SAFETY: Registered above, and `T::open` failed: NAPI is not running.
                unsafe { ffi::rvnet_xdp_rxq_unreg(dev) };
                return Err(e);
            }
            // The queue pair is served by the device's NAPI context: netdev netlink lists it
            // with the queues (`virtnet_napi_enable()`).
            // SAFETY: `ndo_open` runs under RTNL, which `netif_queue_set_napi()` needs; the
            // NAPI context is the device's own.
            unsafe { ffi::rvnet_queues_set_napi(dev, ffi::rvnet_netdev_napi(dev)) };
            Ok(0)
        })
    }

    /// `ndo_stop`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`].
    pub(crate) unsafe fn stop_callback(dev: *mut ffi::net_device) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: `ndo_stop` runs under RTNL; a null NAPI unlinks the queues.
        unsafe { ffi::rvnet_queues_set_napi(dev, core::ptr::null_mut()) };
        let ret = from_result(|| T::stop(netdev, data).map(|()| 0));
        // SAFETY: Registered by the `ndo_open` this closes; `T::stop` disabled NAPI, so no
        // poll runs a program on the queue any more.
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
            unsafe { ffi::bpf_prog_put(old) };
        }
        0
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
        match T::start_xmit(netdev, data, skb) {
            TxOutcome::Consumed => ffi::NETDEV_TX_OK,
            TxOutcome::Busy(skb) => {
                // The core still owns the packet after `NETDEV_TX_BUSY`.
                core::mem::forget(skb);
                ffi::NETDEV_TX_BUSY
            }
        }
    }

    /// `ndo_get_stats64`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `stats` points to a writable `struct rtnl_link_stats64`.
    pub(crate) unsafe fn get_stats64_callback(
        dev: *mut ffi::net_device,
        stats: *mut ffi::rtnl_link_stats64_head,
    ) {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        let mut s = LinkStats::default();
        T::get_stats64(netdev, data, &mut s);
        // SAFETY: `stats` is a valid `rtnl_link_stats64`, whose head has the layout of
        // `LinkStats` (checked in `shim.c`); the rest of the structure is left as the caller
        // zeroed it.
        unsafe { stats.write(s) };
    }
}

/// `ETH_SS_STATS`, the string set of `ethtool -S`.
const ETH_SS_STATS: u32 = 1;
/// `ETH_GSTRING_LEN`: the size of each ethtool string.
const ETH_GSTRING_LEN: usize = 32;

/// The ethtool and netdev netlink callbacks of `shim.c`.
impl<T: Operations> Adapter<T> {
    /// `get_channels`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `out` is valid for writing.
    pub(crate) unsafe fn channels_callback(dev: *mut ffi::net_device, out: *mut Channels) {
        // SAFETY: Forwarded from the caller.
        let (_, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: `out` is valid for writing (safety requirements).
        unsafe { out.write(T::channels(data)) };
    }

    /// `set_channels`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`].
    pub(crate) unsafe fn set_channels_callback(dev: *mut ffi::net_device, combined: u32) -> c_int {
        // SAFETY: Forwarded from the caller.
        let (netdev, data) = unsafe { Self::from_raw(dev) };
        from_result(|| T::set_channels(netdev, data, combined).map(|()| 0))
    }

    /// `get_ringparam`.
    ///
    /// # Safety
    ///
    /// As for [`Self::from_raw`]; `out` is valid for writing.
    pub(crate) unsafe fn rings_callback(dev: *mut ffi::net_device, out: *mut Rings) {
        // SAFETY: Forwarded from the caller.
        let (_, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: `out` is valid for writing (safety requirements).
        unsafe { out.write(T::rings(data)) };
    }

    /// `get_sset_count`: the number of strings in string set `sset`.
    pub(crate) fn sset_count_callback(sset: c_int) -> c_int {
        match u32::try_from(sset) {
            Ok(ETH_SS_STATS) => c_int::try_from(T::ETHTOOL_STATS.len()).unwrap_or(0),
            _ => EOPNOTSUPP.to_errno(),
        }
    }

    /// `get_strings`: the names of string set `sset`, `ETH_GSTRING_LEN` bytes each.
    ///
    /// # Safety
    ///
    /// `data` is valid for writing as many strings as [`Self::sset_count_callback`] gives for
    /// `sset` (the ethtool core sizes it so).
    pub(crate) unsafe fn strings_callback(sset: u32, data: *mut u8) {
        if sset != ETH_SS_STATS {
            return;
        }
        let names = T::ETHTOOL_STATS;
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
    /// [`Operations::ETHTOOL_STATS`] (the ethtool core sizes it from `get_sset_count`).
    pub(crate) unsafe fn stats_callback(dev: *mut ffi::net_device, values: *mut u64) {
        // SAFETY: Forwarded from the caller.
        let (_, data) = unsafe { Self::from_raw(dev) };
        // SAFETY: By the safety requirements; nothing else uses the buffer during the call.
        let values = unsafe { core::slice::from_raw_parts_mut(values, T::ETHTOOL_STATS.len()) };
        T::ethtool_stats(data, values);
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
            Ok(queue) if queue < T::channels(data).combined => T::queue_stats(data, queue),
            _ => QueueStats::default(),
        };
        // SAFETY: `out` is valid for writing (safety requirements).
        unsafe { out.write(stats) };
    }
}

impl<T: Operations> Adapter<T> {
    /// The NAPI poll.
    ///
    /// # Safety
    ///
    /// `napi` is the NAPI context of a `net_device` of a live [`Registration<T>`]; NAPI polls
    /// run only while NAPI is enabled, between `ndo_open` and `ndo_stop`.
    pub(crate) unsafe fn poll_callback(napi: *mut ffi::napi_struct, budget: c_int) -> c_int {
        // SAFETY: `napi->dev` of a valid context is its device, a live registration's
        // (safety requirements).
        let (netdev, data) = unsafe { Self::from_raw(ffi::rvnet_napi_dev(napi)) };
        // SAFETY: `napi` is valid for the call (safety requirements).
        let napi = unsafe { Napi::from_raw(napi) };
        let budget = u32::try_from(budget).unwrap_or(0);
        let done = T::poll(netdev, data, napi, budget).min(budget);
        // CAST: `done <= budget`, which came from a `c_int`.
        done as c_int
    }
}

/// Gives the [`Adapter`] callbacks of `$t` the symbol names that the `net_device_ops` table in
/// `shim.c` refers to. Used once, by the driver, for its [`Operations`] type.
macro_rules! export_ops {
    ($t:ty) => {
        /// `ndo_open` of the `net_device_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by the networking core only, as `ndo_open`.
        #[no_mangle]
        unsafe extern "C" fn rvnet_ndo_open(
            dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: The core calls `ndo_open` with a registered device of this driver.
            unsafe { $crate::kernel_ext::netdev::Adapter::<$t>::open_callback(dev) }
        }

        /// `ndo_stop` of the `net_device_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by the networking core only, as `ndo_stop`.
        #[no_mangle]
        unsafe extern "C" fn rvnet_ndo_stop(
            dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: The core calls `ndo_stop` with a registered device of this driver.
            unsafe { $crate::kernel_ext::netdev::Adapter::<$t>::stop_callback(dev) }
        }

        /// `ndo_start_xmit` of the `net_device_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by the networking core only, as `ndo_start_xmit`.
        #[no_mangle]
        unsafe extern "C" fn rvnet_ndo_start_xmit(
            skb: *mut $crate::kernel_ext::netdev::RawSkBuff,
            dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: The core calls `ndo_start_xmit` with a registered device of this driver
            // and hands over `skb`.
            unsafe { $crate::kernel_ext::netdev::Adapter::<$t>::start_xmit_callback(skb, dev) }
        }

        /// `ndo_get_stats64` of the `net_device_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by the networking core only, as `ndo_get_stats64`.
        #[no_mangle]
        unsafe extern "C" fn rvnet_ndo_get_stats64(
            dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
            stats: *mut $crate::kernel_ext::netdev::RawLinkStats,
        ) {
            // SAFETY: The core calls `ndo_get_stats64` with a registered device of this driver
            // and a valid `rtnl_link_stats64`.
            unsafe { $crate::kernel_ext::netdev::Adapter::<$t>::get_stats64_callback(dev, stats) }
        }

        /// The NAPI poll function `shim.c` registers with `netif_napi_add()`.
        ///
        /// # Safety
        ///
        /// Called by the networking core only, as the poll of an rvnet device's NAPI context.
        #[no_mangle]
        unsafe extern "C" fn rvnet_napi_poll(
            napi: *mut $crate::kernel_ext::netdev::RawNapi,
            budget: ::kernel::ffi::c_int,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: The core polls only enabled contexts of registered rvnet devices.
            unsafe { $crate::kernel_ext::netdev::Adapter::<$t>::poll_callback(napi, budget) }
        }

        /// `ndo_change_mtu` of the `net_device_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by the networking core only, as `ndo_change_mtu`.
        #[no_mangle]
        unsafe extern "C" fn rvnet_ndo_change_mtu(
            dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
            new_mtu: ::kernel::ffi::c_int,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: The core calls `ndo_change_mtu` under RTNL with a registered device of
            // this driver.
            unsafe { $crate::kernel_ext::netdev::Adapter::<$t>::change_mtu_callback(dev, new_mtu) }
        }

        /// `ndo_bpf` (`XDP_SETUP_PROG`) of the `net_device_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by `shim.c` only, from `ndo_bpf`.
        #[no_mangle]
        unsafe extern "C" fn rvnet_ndo_xdp_setup(
            dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
            prog: *mut $crate::kernel_ext::netdev::RawBpfProg,
            extack: *mut $crate::kernel_ext::netdev::RawExtack,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: The core calls `ndo_bpf` under RTNL with a registered device of this
            // driver, a program it holds a reference to (or none), and its extack.
            unsafe {
                $crate::kernel_ext::netdev::Adapter::<$t>::xdp_setup_callback(dev, prog, extack)
            }
        }

        /// `get_channels` of the `ethtool_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by `shim.c` only, from the ethtool core, with a registered rvnet device.
        #[no_mangle]
        unsafe extern "C" fn rvnet_ethtool_channels(
            dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
            out: *mut $crate::kernel_ext::netdev::Channels,
        ) {
            // SAFETY: A registered device of this driver and a writable result.
            unsafe { $crate::kernel_ext::netdev::Adapter::<$t>::channels_callback(dev, out) }
        }

        /// `set_channels` of the `ethtool_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by `shim.c` only, from the ethtool core, with a registered rvnet device.
        #[no_mangle]
        unsafe extern "C" fn rvnet_ethtool_set_channels(
            dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
            combined: u32,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: A registered device of this driver.
            unsafe {
                $crate::kernel_ext::netdev::Adapter::<$t>::set_channels_callback(dev, combined)
            }
        }

        /// `get_ringparam` of the `ethtool_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by `shim.c` only, from the ethtool core, with a registered rvnet device.
        #[no_mangle]
        unsafe extern "C" fn rvnet_ethtool_rings(
            dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
            out: *mut $crate::kernel_ext::netdev::Rings,
        ) {
            // SAFETY: A registered device of this driver and a writable result.
            unsafe { $crate::kernel_ext::netdev::Adapter::<$t>::rings_callback(dev, out) }
        }

        /// `get_sset_count` of the `ethtool_ops` table in `shim.c`.
        #[no_mangle]
        extern "C" fn rvnet_ethtool_sset_count(
            _dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
            sset: ::kernel::ffi::c_int,
        ) -> ::kernel::ffi::c_int {
            $crate::kernel_ext::netdev::Adapter::<$t>::sset_count_callback(sset)
        }

        /// `get_strings` of the `ethtool_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by the ethtool core only, with a buffer sized by `get_sset_count`.
        #[no_mangle]
        unsafe extern "C" fn rvnet_ethtool_strings(
            _dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
            sset: u32,
            data: *mut u8,
        ) {
            // SAFETY: The ethtool core sizes `data` from `get_sset_count` for `sset`.
            unsafe { $crate::kernel_ext::netdev::Adapter::<$t>::strings_callback(sset, data) }
        }

        /// `get_ethtool_stats` of the `ethtool_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by the ethtool core only, with a registered rvnet device and a buffer sized
        /// by `get_sset_count`.
        #[no_mangle]
        unsafe extern "C" fn rvnet_ethtool_stats(
            dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
            _stats: *mut ::kernel::ffi::c_void,
            data: *mut u64,
        ) {
            // SAFETY: A registered device of this driver; `data` sized by `get_sset_count`.
            unsafe { $crate::kernel_ext::netdev::Adapter::<$t>::stats_callback(dev, data) }
        }

        /// The per-queue counters behind the `netdev_stat_ops` table in `shim.c`.
        ///
        /// # Safety
        ///
        /// Called by `shim.c` only, from the netdev netlink core, with a registered rvnet
        /// device and a writable result.
        #[no_mangle]
        unsafe extern "C" fn rvnet_queue_stats(
            dev: *mut $crate::kernel_ext::netdev::RawNetDevice,
            queue: ::kernel::ffi::c_int,
            out: *mut $crate::kernel_ext::netdev::QueueStats,
        ) {
            // SAFETY: A registered device of this driver and a writable result.
            unsafe {
                $crate::kernel_ext::netdev::Adapter::<$t>::queue_stats_callback(dev, queue, out)
            }
        }
    };
}
pub(crate) use export_ops;

/// The C `struct net_device`, for [`export_ops!`].
pub(crate) type RawNetDevice = ffi::net_device;
/// The C `struct sk_buff`, for [`export_ops!`].
pub(crate) type RawSkBuff = ffi::sk_buff;
/// The C `struct napi_struct`, for [`export_ops!`].
pub(crate) type RawNapi = ffi::napi_struct;
/// The C `struct rtnl_link_stats64`, for [`export_ops!`].
pub(crate) type RawLinkStats = ffi::rtnl_link_stats64_head;
/// The C `struct bpf_prog`, for [`export_ops!`].
pub(crate) type RawBpfProg = ffi::bpf_prog;
/// The C `struct netlink_ext_ack`, for [`export_ops!`].
pub(crate) type RawExtack = ffi::netlink_ext_ack;

/// What a network device starts with.
pub(crate) struct Config {
    /// The hardware address, or `None` for a random locally administered one.
    pub(crate) mac: Option<[u8; 6]>,
    /// The initial MTU.
    pub(crate) mtu: u32,
    /// The largest MTU (`dev->max_mtu`).
    pub(crate) max_mtu: u32,
}

/// A registered Ethernet device (`eth%d`) with driver `T`, and its interrupt.
///
/// Dropping it frees the interrupt (after which the handler does not run), unregisters the
/// device (after which no other callback runs), drops the driver data, and frees the
/// `net_device`, in that order: each step removes a user of what the next one frees.
///
/// # Invariants
///
/// `dev` is a `net_device` allocated by `rvnet_alloc_netdev()` and registered; its private
/// area points to `*data`, which stays pinned and valid until after `unregister_netdev()`;
/// `irq` is a requested interrupt whose handler is an [`IrqTrampoline`] for `dev`.
pub(crate) struct Registration<'a, T: Operations> {
    dev: NonNull<ffi::net_device>,
    irq: ManuallyDrop<Pin<KBox<irq::Registration<'a, IrqTrampoline<T>>>>>,
    data: ManuallyDrop<Pin<KBox<T::Data<'a>>>>,
}

impl<'a, T: Operations> Registration<'a, T> {
    /// Allocates and configures a network device whose parent is `parent`, with the carrier
    /// off and `data` as driver data, requests its interrupt `irq` (shared: the handler must
    /// tell whether the interrupt was its device's), and registers it.
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

        // CAST: `Device` is a transparent wrapper of `struct device` (its type invariant).
        let parent = core::ptr::from_ref(parent).cast::<c_void>().cast_mut();
        // SAFETY: `parent` is a valid, bound device, which outlives the registration (`'a`).
        let dev = NonNull::new(unsafe { ffi::rvnet_alloc_netdev(parent) }).ok_or(ENOMEM)?;
        let raw = dev.as_ptr();

        // SAFETY: `raw` is a freshly allocated, unregistered Ethernet device: setting its address,
        // MTU and carrier and its driver data needs no lock yet. `data` is pinned in its box
        // and outlives the registration (see `Drop`).
        unsafe {
            match config.mac {
                Some(mac) => ffi::rvnet_netdev_set_addr(raw, mac.as_ptr()),
                None => ffi::rvnet_netdev_random_addr(raw),
            }
            ffi::rvnet_netdev_set_mtu(raw, config.mtu, config.max_mtu);
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

        // INVARIANT: The handler is for `dev`, whose data outlives the interrupt registration
        // (see `Drop`).
        let handler = IrqTrampoline::<T> {
            dev,
            _ops: PhantomData,
        };
        let handler = Ok::<_, Error>(handler);
        // SAFETY: The interrupt registration is owned by the returned `Registration`, which drops
        // it first; it is never forgotten (safety requirements).
        let irq = unsafe { irq::Registration::new(irq, irq::Flags::SHARED, c"rvnet", handler) };
        let irq = match KBox::pin_init(irq, GFP_KERNEL) {
            Ok(irq) => irq,
            Err(e) => {
                // SAFETY: Not registered, and no handler runs: nothing else knows `raw`.
                unsafe { ffi::free_netdev(raw) };
                return Err(e);
            }
        };

        // SAFETY: `raw` is fully set up; from here on the core may call the ops.
        if let Err(e) = to_result(unsafe { ffi::register_netdev(raw) }) {
            drop(irq);
            // SAFETY: Registration failed and the interrupt is freed: nothing knows `raw`.
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

impl<T: Operations> Drop for Registration<'_, T> {
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
        // SAFETY: `data` is dropped once, here; no callback can reach it any more.
        unsafe { ManuallyDrop::drop(&mut self.data) };
        // SAFETY: The device is unregistered and its driver data gone: nothing uses it.
        unsafe { ffi::free_netdev(raw) };
    }
}

// SAFETY: The registration may be dropped on any thread; `T::Data` is `Send`.
unsafe impl<T: Operations> Send for Registration<'_, T> {}
// SAFETY: `&Registration` gives `&NetDevice` and `&T::Data`, both `Sync`.
unsafe impl<T: Operations> Sync for Registration<'_, T> {}
