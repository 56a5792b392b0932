// SPDX-License-Identifier: GPL-2.0

//! The network interface: `net_device_ops`, the interrupt handler, the NAPI poll, link state
//! and counters.
//!
//! Mirrors `virtnet_open()`, `virtnet_close()`, `virtnet_poll()`, `skb_recv_done()`,
//! `virtnet_config_changed_work()` and `virtnet_stats()` of `drivers/net/virtio_net.c`, and
//! `vm_interrupt()` of `drivers/virtio/virtio_mmio.c`, for one queue pair that shares one NAPI
//! context and one interrupt.
//!
//! # Locking
//!
//! - `rx` guards the receive queue. Only the NAPI poll takes it (and probe, before the device
//!   is visible): it is never contended, and exists because the poll needs `&mut`. Holding it,
//!   the poll takes the transmit lock to send the frames of `XDP_TX`: `rx` first.
//! - The device's transmit lock (the `_xmit_lock` of its only queue) guards the transmit queue
//!   (`kernel_ext::net::tx_lock`): the core holds it around `ndo_start_xmit`, and the NAPI poll
//!   takes it for completions and `XDP_TX`, as `virtio_net` does, so a packet takes one lock,
//!   not two. Both run in softirq context or with bottom halves off, never the interrupt
//!   handler. The poll only try-locks it while the queue runs (xmit then reaps for itself)
//!   and waits for it only when the queue is stopped.
//! - `link` serialises configuration reads, carrier changes and the writes of a new MAC address
//!   between the interrupt handler (configuration change), `ndo_open` and
//!   `ndo_set_mac_address`; the handler takes it, so it disables interrupts.
//!
//! - `ctrl` serialises the control queue's commands, each of which waits for the device's
//!   answer, sleeping: a mutex, taken in process context only (with RTNL held: the MAC
//!   address, VLAN filter and work item callbacks), and never with a spinlock held.
//!
//! - A device reset ([`Nic::reset_and_restore`]: the device asked for one, the transmit queue
//!   timed out, or `ethtool -G`) runs under RTNL in process context, with the data path
//!   stopped ([`Quiesced`]: no poll, no `ndo_start_xmit`). It takes `ctrl` alone, then, with
//!   bottom halves off, `rx` and the transmit lock, in the poll's order.
//!
//! The interrupt handler reads and acknowledges the interrupt status, schedules NAPI and, on a
//! configuration change, takes `link`; it takes neither queue lock. `ndo_start_xmit` holds only
//! the transmit lock, and nothing takes `rx` while holding it. So the handler cannot deadlock with
//! `ndo_start_xmit`, and the only two locks ever held at once are taken in one order.
//!
//! The XDP program is an RCU pointer in the device (`kernel_ext::net::xdp`): `ndo_bpf` replaces it
//! under RTNL, the poll reads it under the RCU read lock, and neither needs a driver lock.

pub(crate) mod config;
pub(crate) mod ctrl;
pub(crate) mod ctrl_queue;
pub(crate) mod net_hdr;
pub(crate) mod offloads;
pub(crate) mod rx;
pub(crate) mod stats;
pub(crate) mod tx;

use kernel::{
    device::{
        Bound,
        Device, //
    },
    io::register::Array,
    irq::IrqReturn,
    new_mutex, new_spinlock, new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        rcu,
        Arc,
        Mutex,
        SpinLock,
        SpinLockIrq, //
    },
};

use crate::{
    failed::{
        During,
        Failed, //
    },
    features::{
        self,
        Features, //
    },
    kernel_ext::{
        bh::BhDisabled,
        fault,
        net::{
            device::NetDevice,
            ethtool::{
                Channels,
                EthtoolOps,
                Rings, //
            },
            exports::export_ops,
            features::NetdevFeatures,
            napi::{
                Napi,
                NapiPoll, //
            },
            ops::{
                Operations,
                TxOutcome, //
            },
            page_pool::NapiAttach,
            rtnl::{
                Quiesced,
                Rtnl, //
            },
            rx_mode::RxLists,
            skb::SkBuff,
            stats::{
                LinkStats,
                QueueStats, //
            },
            tx_lock::{
                TxLocked,
                XdpXmit, //
                Xmit,
            },
            xdp::{
                XdpFrames,
                XdpProg,
                XdpRefusal, //
            },
            xsk::{
                XskBinding,
                XskPool,
                XDP_WAKEUP_RX,
                XDP_WAKEUP_TX, //
            },
        },
    },
    regs::{
        NET_MAC,
        NET_MTU,
        NET_STATUS, //
    },
    transport::Transport,
};

use self::{
    config::{
        Link,
        MacWrite,
        NetConfig,
        RawNetConfig,
        Unstable, //
    },
    ctrl::{
        guest_offloads,
        Command,
        RxFilter,
        RxFlags, //
    },
    ctrl_queue::{
        vlan_ids,
        CtrlQueue, //
    },
    net_hdr::RxOffloads,
    rx::{
        RxQueue,
        Sink,
        XskRx, //
    },
    stats::{
        Counter,
        Snapshot,
        COUNTER_NAMES,
        NR_COUNTERS, //
    },
    tx::TxQueue,
};

/// Reads the virtio-net configuration fields as one consistent snapshot: inside one
/// configuration generation, retried a bounded number of times (`config::read_consistent`).
/// The optional fields are read only when `negotiated` (a subset of what the device offered)
/// has their feature: "the driver MUST check that the corresponding feature is offered before
/// accessing that part of the configuration space" (VIRTIO 1.4, 2.5.1). `status` exists only
/// with `VIRTIO_NET_F_STATUS` and `mtu` only with `VIRTIO_NET_F_MTU`; without them the link
/// is up and the MTU is not the device's to say (`NetConfig::parse`). `mac` always exists.
///
/// # Errors
///
/// [`Unstable`] when the device changed its configuration on every try.
pub(crate) fn read_net_config(
    transport: &Transport<'_>,
    negotiated: Features,
) -> Result<RawNetConfig, Unstable> {
    let (status, mtu) = (
        negotiated.has(features::STATUS),
        negotiated.has(features::MTU),
    );
    config::read_consistent(
        || transport.config_generation(),
        || RawNetConfig {
            mac: read_mac(transport),
            link_up: status && transport.read_config(NET_STATUS).link_up(),
            mtu: if mtu {
                transport.read_config(NET_MTU).mtu()
            } else {
                0
            },
        },
    )
}

/// Reads the configuration space's `mac`, a byte at a time as the field's width requires.
fn read_mac(transport: &Transport<'_>) -> [u8; 6] {
    core::array::from_fn(|i| {
        NET_MAC::try_at(i).map_or(0, |reg| u8::from(transport.read_config(reg)))
    })
}

/// Writes `mac` into the configuration space's `mac`, a byte at a time (`virtio_cwrite8()`).
fn write_mac(transport: &Transport<'_>, mac: &[u8; 6]) {
    for (i, &byte) in mac.iter().enumerate() {
        if let Some(reg) = NET_MAC::try_at(i) {
            transport.write_config(reg, NET_MAC::from(byte));
        }
    }
}

/// The device counters, shared by `ndo_get_stats64` and `/proc/driver/network_stats`.
///
/// Each counter is an independent relaxed atomic: a reader sees every increment eventually, and
/// no lock is taken on the data path. The four a packet moves (`rx_packets`, `rx_bytes`,
/// `tx_packets`, `tx_bytes`) each have one writer, a [`QueueWriter`] kept by its queue, and
/// are updated with a plain load and store rather than a locked read-modify-write, as
/// `u64_stats_t` is on 64-bit machines: no `LOCK`-prefixed instruction per packet. Each
/// queue's pair has a cache line of its own, so that the CPU receiving and the CPU sending do
/// not take the line from each other.
pub(crate) struct Counters {
    rx: QueueCounters,
    tx: QueueCounters,
    rest: [Atomic<u64>; NR_COUNTERS],
}

/// The packets and bytes of one queue, on a cache line of their own.
#[repr(C, align(64))]
struct QueueCounters {
    packets: Atomic<u64>,
    bytes: Atomic<u64>,
}

impl QueueCounters {
    fn new() -> Self {
        Self {
            packets: Atomic::new(0),
            bytes: Atomic::new(0),
        }
    }
}

/// Which queue's packets and bytes a [`QueueWriter`] counts.
#[derive(Clone, Copy)]
enum Queue {
    Rx,
    Tx,
}

/// The only writer of one queue's packets and bytes: made with the counters, one per queue,
/// neither cloned nor copied, and kept by its queue, whose lock serialises the updates.
///
/// # Invariants
///
/// No other [`QueueWriter`] for the same `counters` and `queue` exists, and nothing else
/// writes that queue's [`QueueCounters`].
pub(crate) struct QueueWriter {
    counters: Arc<Counters>,
    queue: Queue,
}

impl QueueWriter {
    /// Counts a packet of `bytes` bytes.
    pub(crate) fn count(&mut self, bytes: u64) {
        self.count_frames(1, bytes);
    }

    /// Counts `packets` packets of `bytes` bytes in all.
    pub(crate) fn count_frames(&mut self, packets: u64, bytes: u64) {
        let c = self.counters.queue(self.queue);
        // By the type invariant, `&mut self` is the only writer: a load and a store lose no
        // update, and readers see either value whole.
        c.packets
            .store(c.packets.load(Relaxed).wrapping_add(packets), Relaxed);
        c.bytes
            .store(c.bytes.load(Relaxed).wrapping_add(bytes), Relaxed);
    }
}

impl Counters {
    /// All counters at zero, and the writers of the receive and transmit queues' packets and
    /// bytes.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the counters cannot be allocated.
    pub(crate) fn new() -> Result<(Arc<Self>, QueueWriter, QueueWriter)> {
        let counters = Arc::new(
            Self {
                rx: QueueCounters::new(),
                tx: QueueCounters::new(),
                rest: core::array::from_fn(|_| Atomic::new(0)),
            },
            GFP_KERNEL,
        )?;
        // INVARIANT: The two writers, the only ones there will be.
        let rx = QueueWriter {
            counters: counters.clone(),
            queue: Queue::Rx,
        };
        let tx = QueueWriter {
            counters: counters.clone(),
            queue: Queue::Tx,
        };
        Ok((counters, rx, tx))
    }

    fn queue(&self, queue: Queue) -> &QueueCounters {
        match queue {
            Queue::Rx => &self.rx,
            Queue::Tx => &self.tx,
        }
    }

    /// Adds `n` to `counter`, which is none of the ones a [`QueueWriter`] writes.
    pub(crate) fn add(&self, counter: Counter, n: u64) {
        debug_assert!(!matches!(
            counter,
            Counter::RxPackets | Counter::RxBytes | Counter::TxPackets | Counter::TxBytes
        ));
        // PANIC: `Counter` discriminants index `NR_COUNTERS` entries (host-tested in `stats`).
        self.rest[counter as usize].add(n, Relaxed);
    }

    /// Reads every counter.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let mut s = Snapshot(core::array::from_fn(|i| self.rest[i].load(Relaxed)));
        s.set(Counter::RxPackets, self.rx.packets.load(Relaxed));
        s.set(Counter::RxBytes, self.rx.bytes.load(Relaxed));
        s.set(Counter::TxPackets, self.tx.packets.load(Relaxed));
        s.set(Counter::TxBytes, self.tx.bytes.load(Relaxed));
        s
    }
}

/// Per-device driver data, owned by the netdev registration; see the module
/// documentation for what each lock guards.
///
/// Field order is teardown order: `transport` resets the device, which then stops using the
/// queues' memory, before `rx`, `tx` and `ctrl` free it.
#[pin_data]
pub(crate) struct Nic<'a> {
    /// The platform device, for messages.
    pdev: &'a Device<Bound>,
    transport: Transport<'a>,
    #[pin]
    rx: SpinLock<RxQueue>,
    /// Under the device's transmit lock, which the core holds in `ndo_start_xmit`.
    tx: TxLocked<TxQueue<'a>>,
    /// The control queue, if `VIRTIO_NET_F_CTRL_VQ` was negotiated.
    #[pin]
    ctrl: Mutex<Option<CtrlQueue>>,
    #[pin]
    link: SpinLockIrq<()>,
    /// What was negotiated with the device.
    features: Features,
    /// Size of the `virtio_net_hdr` in front of each packet.
    hdr_len: usize,
    /// The ring sizes allowed: the most the queues' memory holds (what the device allowed at
    /// probe) and the fewest the largest packet needs.
    ring_limits: RingLimits,
    /// The ring sizes in use, receive in the high half and transmit in the low one: changed
    /// only by a reset, under RTNL ([`Nic::reset_and_restore`]).
    ring_sizes: Atomic<u32>,
    /// Why the device must be reset ([`ResetCause`] bits): the work item does it.
    reset_requested: Atomic<u32>,
    /// A reset failed: the device is left `FAILED`, and the interface stays down.
    failed: Atomic<bool>,
    /// Interrupts in a row that found nothing to do: only the interrupt handler, which does
    /// not run twice at once for one line, writes it.
    unclaimed: Atomic<u32>,
    /// The largest MTU with an XDP program attached (`config::xdp_max_mtu`).
    xdp_max_mtu: u32,
    /// The counters, also listed in procfs.
    counters: Arc<Counters>,
    /// The device asked to be announced (`VIRTIO_NET_S_ANNOUNCE`): the work item does it.
    announce: Atomic<bool>,
    /// An AF_XDP pool is bound: written under RTNL, with the queues' locks held.
    xsk_bound: Atomic<bool>,
    /// Attaches the NAPI context to the receive queue's page pool, outside the queue's lock
    /// (attaching sleeps).
    pool_attach: NapiAttach,
}

/// The virtqueues of a device, set up by probe.
pub(crate) struct Queues<'a> {
    /// The receive queue.
    pub(crate) rx: RxQueue,
    /// The transmit queue.
    pub(crate) tx: TxQueue<'a>,
    /// The control queue, if `VIRTIO_NET_F_CTRL_VQ` was negotiated.
    pub(crate) ctrl: Option<CtrlQueue>,
}

impl<'a> Nic<'a> {
    /// Driver data for an initialised device with its queues.
    pub(crate) fn new(
        pdev: &'a Device<Bound>,
        transport: Transport<'a>,
        Queues { rx, tx, ctrl }: Queues<'a>,
        features: Features,
        xdp_max_mtu: u16,
        counters: Arc<Counters>,
    ) -> impl PinInit<Self, Error> + 'a {
        let ((rx_size, rx_max), (tx_size, tx_max)) = (rx.sizes(), tx.sizes());
        let pool_attach = rx.napi_attach();
        // The rings start as large as the device allows (`Virtqueue::new`); a reset may make
        // them smaller (`ethtool -G`), down to what the largest packet needs.
        let ring_limits = RingLimits {
            rx_min: config::min_rx_ring(features.has(features::MRG_RXBUF)).min(rx_max),
            rx_max,
            tx_min: tx.min_size().min(tx_max),
            tx_max,
        };
        try_pin_init!(Self {
            pdev,
            transport,
            rx <- new_spinlock!(rx, "rvnet_rx"),
            tx: TxLocked::new(tx),
            ctrl <- new_mutex!(ctrl, "rvnet_ctrl"),
            link <- new_spinlock_irq!((), "rvnet_link"),
            hdr_len: config::net_hdr_len(features),
            ring_limits,
            ring_sizes: Atomic::new(pack_sizes(rx_size, tx_size)),
            reset_requested: Atomic::new(0),
            failed: Atomic::new(false),
            unclaimed: Atomic::new(0),
            xdp_max_mtu: xdp_max_mtu.into(),
            features,
            counters,
            announce: Atomic::new(false),
            xsk_bound: Atomic::new(false),
            pool_attach,
        })
    }

    /// Reads the link state from the device and sets the carrier to match.
    ///
    /// A configuration that cannot be read consistently leaves the carrier as it is.
    pub(crate) fn update_carrier(&self, dev: &NetDevice) {
        let _link = self.link.lock();
        if let Ok(raw) = read_net_config(&self.transport, self.features) {
            let link = NetConfig::parse(self.features, &raw).link;
            dev.set_carrier(link == Link::Up);
        }
    }

    /// Tells the device of the MAC address `mac` before the interface takes it, where the
    /// device can be told ([`MacWrite`]).
    ///
    /// # Errors
    ///
    /// `EOPNOTSUPP` when a legacy device does not keep the address written to it: its own is
    /// written back, and the interface keeps its address.
    fn set_mac(&self, mac: &[u8; 6]) -> Result {
        match MacWrite::for_device(self.features) {
            MacWrite::InterfaceOnly => Ok(()),
            MacWrite::ControlQueue => self.command(&Command::MacAddrSet(*mac)),
            MacWrite::ConfigSpace => {
                let taken = {
                    let _link = self.link.lock();
                    let old = read_mac(&self.transport);
                    // Six writes, and the device may use a mix of both addresses in between,
                    // as with `virtio_net`: the field has no generation on a legacy device.
                    write_mac(&self.transport, mac);
                    let taken = read_mac(&self.transport) == *mac;
                    if !taken {
                        write_mac(&self.transport, &old);
                    }
                    taken
                };
                if taken {
                    return Ok(());
                }
                // The platform device names the card: the interface name is read under RTNL,
                // which the caller holds.
                dev_warn!(
                    self.pdev,
                    "the device did not take the new MAC address; it keeps its own\n"
                );
                Err(EOPNOTSUPP)
            }
        }
    }

    /// Leaves the announcement the device asks for (`virtnet_config_changed_work()`) to the
    /// work item: it takes RTNL, and the control queue sleeps.
    fn check_announce(&self, dev: &NetDevice) {
        if self.features.has(features::GUEST_ANNOUNCE)
            && self.features.has(features::STATUS)
            && self.transport.read_config(NET_STATUS).announce()
        {
            self.announce.store(true, Relaxed);
            dev.schedule_work();
        }
    }

    /// Announces the interface and tells the device it is done, if the device asked and still
    /// asks: a configuration interrupt that came after the last announcement, but before the
    /// device saw its acknowledgement, asked again for what is done (QEMU refuses a second
    /// `ANNOUNCE_ACK`).
    fn announce(&self, dev: &NetDevice) {
        // `announce` is only set with `STATUS` negotiated (`check_announce`).
        if self.announce.xchg(false, Relaxed) && self.transport.read_config(NET_STATUS).announce() {
            dev.notify_peers();
            self.counters.add(Counter::Announcements, 1);
            // A failure is logged by `CtrlQueue::send`.
            let _ = self.command(&Command::AnnounceAck);
        }
    }

    /// Sends `cmd` on the control queue and waits for the answer ([`CtrlQueue::send`]).
    ///
    /// # Errors
    ///
    /// `EOPNOTSUPP` without a control queue, and the errors of [`CtrlQueue::send`].
    fn command(&self, cmd: &Command<'_>) -> Result {
        let mut guard = self.ctrl.lock();
        let ctrl = guard.as_mut().get_mut().as_mut().ok_or(EOPNOTSUPP)?;
        let sent = ctrl.send(&self.transport, self.pdev, cmd);
        let counter = match sent {
            Ok(()) => Counter::CtrlCommands,
            Err(_) => Counter::CtrlErrors,
        };
        self.counters.add(counter, 1);
        sent
    }

    /// Gives the device the interface's receive mode (`virtnet_rx_mode_work()`): promiscuous,
    /// all-multicast, and the address table ([`RxFilter::plan`]). Each command the device
    /// refuses is logged and the others are still sent, as in `virtio_net`.
    fn apply_rx_mode(&self, dev: &NetDevice) {
        if !self.features.has(features::CTRL_RX) {
            return;
        }
        let lists = match RxLists::read(dev) {
            Ok(lists) => lists,
            Err(e) => {
                dev_warn!(self.pdev, "receive mode not set: {e:?}\n");
                return;
            }
        };
        let filter = RxFilter::plan(RxFlags {
            promisc: lists.promisc(),
            allmulti: lists.allmulti(),
            unicast: lists.unicast_count(),
            multicast: lists.multicast_count(),
        });
        // Each failure is logged by `CtrlQueue::send`.
        let _ = self.command(&Command::Promisc(filter.promisc));
        let _ = self.command(&Command::AllMulti(filter.allmulti));
        let _ = self.command(&Command::MacTable {
            unicast: lists.unicast(filter.unicast),
            multicast: lists.multicast(filter.multicast),
        });
    }

    /// Turns the device's merging of received segments on or off with the interface's
    /// `GRO_HW` (`virtnet_set_features()`); other features need nothing of the device.
    ///
    /// # Errors
    ///
    /// `EBUSY` while an XDP program is attached, as in `virtio_net`: the device has no receive
    /// offload on then ([`Self::set_xdp_offloads`]) and must not get one back. Otherwise the
    /// errors of [`CtrlQueue::send`]. The features stay as they were.
    fn set_features(&self, dev: &NetDevice, wanted: NetdevFeatures) -> Result {
        if !dev.features().xor(wanted).contains(NetdevFeatures::GRO_HW) {
            return Ok(());
        }
        if self.raw_buffers(dev) {
            return Err(EBUSY);
        }
        let gro_hw = wanted.contains(NetdevFeatures::GRO_HW);
        self.command(&Command::GuestOffloads(guest_offloads(
            self.features,
            gro_hw,
            false,
        )))
    }

    /// Turns every receive offload of the device off before the first XDP program is attached
    /// (`attach`), and those the interface's features ask for back on when the last one is
    /// detached (`virtnet_xdp_set()`): a program sees neither partial checksums nor merged
    /// segments. Nothing to do for a device without receive offloads, or when one program
    /// replaces another. Called under RTNL, before the program is swapped.
    ///
    /// # Errors
    ///
    /// The errors of [`CtrlQueue::send`]: the device's offloads stay as they were.
    fn set_xdp_offloads(&self, dev: &NetDevice, attach: bool) -> Result {
        // A bound AF_XDP pool keeps them off.
        let bound = self.xsk_bound.load(Relaxed);
        if !RxOffloads::negotiated(self.features).any() || xdp_attached(dev) == attach || bound {
            return Ok(());
        }
        let gro_hw = dev.features().contains(NetdevFeatures::GRO_HW);
        self.command(&Command::GuestOffloads(guest_offloads(
            self.features,
            gro_hw,
            attach,
        )))
    }

    /// Whether packets must come without receive offloads: an XDP program is attached or an
    /// AF_XDP pool bound. Called under RTNL.
    fn raw_buffers(&self, dev: &NetDevice) -> bool {
        xdp_attached(dev) || self.xsk_bound.load(Relaxed)
    }

    /// Binds the AF_XDP pool of `binding` to the queue pair, or unbinds the bound one
    /// (`None`): the device is reset and set up again with the pool's buffers in its receive
    /// ring, or the page pool's, the interface restored ([`Nic::reset_and_restore`]), the
    /// receive offloads off while a pool is bound. `virtio_net` resets one queue pair with
    /// `VIRTIO_F_RING_RESET`, which virtio-mmio does not have; rvnet owns the whole device.
    ///
    /// # Errors
    ///
    /// `EOPNOTSUPP` for a device whose receive offloads cannot be turned off (no control
    /// queue), as for XDP programs; `ENOMEM`; the errors of the reset. Unbinding never fails:
    /// whatever happens to the device, the pool is the driver's no longer.
    fn xsk_setup(&self, dev: &NetDevice, rtnl: &Rtnl, binding: Option<XskBinding>) -> Result {
        let bind = binding.is_some();
        if bind
            && RxOffloads::negotiated(self.features).any()
            && !self.features.has(features::CTRL_GUEST_OFFLOADS)
        {
            return Err(EOPNOTSUPP);
        }
        let mut swap = match binding {
            Some(binding) => {
                let rx = XskRx::new(binding, self.ring_limits.rx_max, self.hdr_len)?;
                // SAFETY: The transmit queue drops this handle before the receive queue's side
                // of the pool is dropped: both change together under the queues' locks
                // (`Nic::swap_xsk`), and the side given back is dropped only after that.
                let tx = unsafe { rx.binding().share() };
                XskSwap {
                    rx: Some(rx),
                    tx: Some(tx),
                }
            }
            None => XskSwap { rx: None, tx: None },
        };
        let (rx, tx) = self.ring_sizes();
        let reset = self.reset_and_restore(dev, rtnl, ResetCause::Xsk, rx, tx, Some(&mut swap));
        if reset.is_err() {
            // The device failed or was given up on: the queues let go of any pool.
            let mut none = XskSwap { rx: None, tx: None };
            self.swap_xsk(dev, rtnl, &mut none);
            drop(none);
        }
        // The old pool's side unbinds it now, after the queues let go of it.
        drop(swap);
        if bind {
            reset
        } else {
            Ok(())
        }
    }

    /// Gives the queues the AF_XDP pool of `swap` (none, with `None`) and `swap` the old one's,
    /// under both queues' locks, for the caller to drop. Only with the device reset (or
    /// given up on): it holds none of the buffers.
    fn swap_xsk(&self, dev: &NetDevice, rtnl: &Rtnl, swap: &mut XskSwap) {
        let _bh = BhDisabled::new(rtnl);
        let mut rx_queue = self.rx.lock();
        if let Some(mut tx_queue) = self.tx.lock_bh(dev, rtnl) {
            self.swap_locked(&mut rx_queue, &mut tx_queue, swap);
        }
    }

    /// [`swap_xsk`](Self::swap_xsk) with the queues locked.
    fn swap_locked(&self, rx: &mut RxQueue, tx: &mut TxQueue<'_>, swap: &mut XskSwap) {
        tx.set_xsk(swap.tx.take());
        rx.swap_xsk(&mut swap.rx);
        self.xsk_bound.store(rx.xsk().is_some(), Relaxed);
    }

    /// `ndo_xsk_wakeup`: a poll, which fills the receive ring from the fill ring and sends
    /// from the transmit ring.
    fn xsk_wakeup(&self, dev: &NetDevice, flags: u32) -> Result {
        if !dev.is_running() {
            return Err(ENETDOWN);
        }
        if !self.xsk_bound.load(Relaxed) {
            return Err(ENXIO);
        }
        if flags & (XDP_WAKEUP_RX | XDP_WAKEUP_TX) != 0 {
            dev.napi().schedule_from_process();
        }
        Ok(())
    }

    /// Frees transmit completions in `poll` and restarts a queue that the full ring or the
    /// byte queue limits stopped; then sends up to `budget` frames of a bound AF_XDP socket.
    /// Returns whether the budget ran out on those: more may wait.
    fn tx_complete(&self, dev: &NetDevice, poll: &NapiPoll<'_>, budget: u32) -> bool {
        // As `virtnet_poll_cleantx()`: while `ndo_start_xmit` holds the queue it recycles
        // completions itself and arms the interrupt when it is done, so a running queue is not
        // worth spinning for (the profile of a TCP run showed 10% of guest time in the
        // spinlock slow path). A stopped queue is: the interrupt that brought us here may be
        // the only one that will restart it. Stopped by the byte queue limits too: xmit stops
        // it so while holding the lock, arms the interrupt and, if the device is already done,
        // schedules this poll, which must not give up on the lock then.
        // Nor is a bound socket's transmit ring, which only polls send from.
        let tx = match self.tx.try_lock(dev, poll) {
            Some(tx) => Some(tx),
            None if dev.xmit_stopped() || self.xsk_bound.load(Relaxed) => self.tx.lock(dev, poll),
            None => None,
        };
        let Some(mut tx) = tx else {
            return false;
        };
        tx.poll(dev, &self.counters, poll);
        budget > 0 && tx.xsk_xmit(dev, &self.transport, &self.counters, self.hdr_len, budget)
    }

    /// The interrupt (`vm_interrupt()`): acknowledge, then NAPI for used buffers and the
    /// carrier for a configuration change.
    fn interrupt(&self, dev: &NetDevice) -> IrqReturn {
        let status = self.transport.ack_interrupt();
        let (used, config) = (status.used_buffer(), status.config_changed());
        if !used && !config {
            // A device that broke with an interrupt pending: QEMU keeps its line raised,
            // whatever is acknowledged, until a reset (a legacy device has no other sign of
            // it), and the kernel turns a line off after 99,900 unclaimed interrupts of
            // 100,000 ("nobody cared"). rvnet stops the device well before and resets it.
            // (The lines of QEMU's and Firecracker's virtio-mmio devices are not shared.)
            let unclaimed = self.unclaimed.load(Relaxed).wrapping_add(1);
            self.unclaimed.store(unclaimed, Relaxed);
            if unclaimed == STUCK_LINE {
                self.transport.stop();
                self.request_reset(dev, ResetCause::StuckInterrupt);
            }
            return IrqReturn::None;
        }
        if self.unclaimed.load(Relaxed) != 0 {
            self.unclaimed.store(0, Relaxed);
        }
        self.counters.add(Counter::Interrupts, 1);
        if used {
            dev.napi().schedule();
        }
        if config {
            // A device that hit an error (QEMU's `virtio_error()`) says so in its status, on
            // the modern layout only, and stops using its queues: rvnet resets it (virtio 1.4,
            // 2.1.2: it SHOULD NOT rely on completions meanwhile). At once, here: QEMU keeps
            // the interrupt line of a broken device raised whatever is acknowledged, and the
            // interrupt would fire until the reset (and the kernel then turn it off, "nobody
            // cared"). The device is set up again by the work item.
            if self.features.has(features::VERSION_1)
                && self.transport.status().device_needs_reset()
            {
                self.transport.stop();
                self.request_reset(dev, ResetCause::DeviceNeedsReset);
                return IrqReturn::Handled;
            }
            self.update_carrier(dev);
            self.check_announce(dev);
        }
        IrqReturn::Handled
    }

    /// Asks the work item to reset the device for `cause`; several requests make one reset.
    fn request_reset(&self, dev: &NetDevice, cause: ResetCause) {
        let mut bits = self.reset_requested.load(Relaxed);
        while let Err(now) = self
            .reset_requested
            .cmpxchg(bits, bits | cause as u32, Relaxed)
        {
            bits = now;
        }
        dev.schedule_work();
    }

    /// The cause of a reset asked for since the last one, if any (the first, if several).
    fn take_reset_request(&self) -> Option<ResetCause> {
        ResetCause::first_of(self.reset_requested.xchg(0, Relaxed))
    }

    /// Whether what a reset was asked for still holds: a device that stopped may say so twice
    /// (another configuration interrupt, the watchdog) before the reset it asked for, which
    /// did what the second request asks.
    fn still_needed(&self, dev: &NetDevice, cause: ResetCause) -> bool {
        match cause {
            // The interrupt handler stopped it: it is not running until it is set up again.
            ResetCause::DeviceNeedsReset | ResetCause::StuckInterrupt => {
                !self.transport.status().driver_ok()
            }
            ResetCause::TxTimeout => dev.xmit_stopped(),
            ResetCause::Rings | ResetCause::Xsk => true,
        }
    }

    /// The ring sizes in use: receive, transmit.
    fn ring_sizes(&self) -> (u16, u16) {
        unpack_sizes(self.ring_sizes.load(Relaxed))
    }

    /// Resets the device for `cause` and sets it up again with rings of `rx` and `tx` entries,
    /// restoring on it everything the interface had asked of the old one: the MAC address,
    /// the receive mode, the VLANs, the receive offloads (off under an XDP program), the link
    /// state. The data path is stopped meanwhile ([`Quiesced`]); the packets in flight are
    /// dropped, each freed once. Counted in `device_resets` and logged once.
    ///
    /// # Errors
    ///
    /// `EIO` for a device given up on earlier. When a step of setting it up again fails, the
    /// device is left `FAILED` and the interface down, and the step and error are logged: the
    /// step's error.
    fn reset_and_restore(
        &self,
        dev: &NetDevice,
        rtnl: &Rtnl,
        cause: ResetCause,
        rx: u16,
        tx: u16,
        xsk: Option<&mut XskSwap>,
    ) -> Result {
        if self.failed.load(Relaxed) {
            return Err(EIO);
        }
        let quiesced = Quiesced::new(dev, rtnl);
        match self.reinit(dev, rtnl, rx, tx, xsk) {
            Ok(()) => {
                self.ring_sizes.store(pack_sizes(rx, tx), Relaxed);
                self.restore(dev);
                self.counters.add(Counter::DeviceResets, 1);
                dev_warn!(
                    self.pdev,
                    "{}: device reset ({}), rings {}/{}: interface restored\n",
                    rtnl.name(dev).as_str(),
                    cause.describe(),
                    rx,
                    tx
                );
                let running = quiesced.running();
                drop(quiesced);
                if running {
                    self.update_carrier(dev);
                }
                Ok(())
            }
            Err(failed) => {
                self.failed.store(true, Relaxed);
                self.transport.fail();
                dev.set_carrier(false);
                let err = failed.log_reset(self.pdev, rtnl.name(dev).as_str(), cause.describe());
                quiesced.close();
                Err(err)
            }
        }
    }

    /// Resets the device and takes it through initialisation again, as probe did (virtio
    /// 1.4, 3.1.1), with the features negotiated then and the queues given again, empty; with
    /// `xsk`, the queues take its AF_XDP pool (or none) and it gets the old one.
    fn reinit(
        &self,
        dev: &NetDevice,
        rtnl: &Rtnl,
        rx: u16,
        tx: u16,
        xsk: Option<&mut XskSwap>,
    ) -> Result<(), Failed> {
        let transport = &self.transport;
        fault::reset()
            .and_then(|()| transport.reset())
            .during("resetting the device")?;
        // The device uses none of the queues' memory any more.
        transport.add_status(|s| s.with_acknowledge(true));
        transport.add_status(|s| s.with_driver(true));
        transport.set_driver_features(self.features);
        if self.features.has(features::VERSION_1) {
            transport.add_status(|s| s.with_features_ok(true));
            if !transport.status().features_ok() {
                return Err(ENODEV).during("setting FEATURES_OK (the device refused the features)");
            }
        }
        // The control queue first: its mutex may sleep.
        let mut ctrl = self.ctrl.lock();
        if let Some(ctrl) = ctrl.as_mut().get_mut().as_mut() {
            ctrl.restart(transport)
                .during("setting up the control queue")?;
        }
        drop(ctrl);
        // The poll takes `rx`, then the transmit lock: so here, with bottom halves off.
        let _bh = BhDisabled::new(rtnl);
        let mut rx_queue = self.rx.lock();
        let mut tx_queue = self
            .tx
            .lock_bh(dev, rtnl)
            .ok_or(EINVAL)
            .during("setting up the transmit queue")?;
        if let Some(swap) = xsk {
            // First, so that a failure below leaves the queues agreeing on the pool.
            self.swap_locked(&mut rx_queue, &mut tx_queue, swap);
        }
        rx_queue
            .restart(transport, rx, &self.counters, self.hdr_len)
            .during("setting up the receive queue")?;
        tx_queue
            .restart(dev, transport, &self.counters, tx)
            .during("setting up the transmit queue")?;
        drop(tx_queue);
        transport.add_status(|s| s.with_driver_ok(true));
        rx_queue.kick(transport);
        Ok(())
    }

    /// Tells a device that was reset what the interface had told the old one. Each command
    /// the device refuses is logged (and counted in `ctrl_errors`), and the rest still sent.
    fn restore(&self, dev: &NetDevice) {
        // The device went back to its own MAC address.
        if MacWrite::for_device(self.features) != MacWrite::InterfaceOnly {
            let _ = self.set_mac(&dev.mac());
        }
        self.apply_rx_mode(dev);
        let vlans = self.ctrl.lock().as_ref().map(CtrlQueue::vlans);
        if let Some(vlans) = vlans {
            for vid in vlan_ids(&vlans) {
                let _ = self.command(&Command::VlanAdd(vid));
            }
        }
        // The device starts with every receive offload negotiated on.
        if self.features.has(features::CTRL_GUEST_OFFLOADS)
            && RxOffloads::negotiated(self.features).any()
        {
            let gro_hw = dev.features().contains(NetdevFeatures::GRO_HW);
            let xdp = self.raw_buffers(dev);
            if xdp || !gro_hw {
                let _ = self.command(&Command::GuestOffloads(guest_offloads(
                    self.features,
                    gro_hw,
                    xdp,
                )));
            }
        }
    }
}

/// Why rvnet resets a device: a bit each, for [`Nic::request_reset`].
#[derive(Clone, Copy)]
#[repr(u32)]
enum ResetCause {
    /// The device set `DEVICE_NEEDS_RESET`.
    DeviceNeedsReset = 1,
    /// The transmit queue was stopped for longer than the watchdog allows.
    TxTimeout = 2,
    /// `ethtool -G` asked for other ring sizes.
    Rings = 4,
    /// The interrupt fired [`STUCK_LINE`] times in a row with nothing to do.
    StuckInterrupt = 8,
    /// An AF_XDP pool was bound or unbound.
    Xsk = 16,
}

/// Interrupts in a row with nothing to do after which the device's line is taken for stuck
/// (a tenth of what the kernel allows before it turns the line off).
const STUCK_LINE: u32 = 10_000;

impl ResetCause {
    /// The first cause whose bit is in `bits`.
    fn first_of(bits: u32) -> Option<Self> {
        [
            Self::DeviceNeedsReset,
            Self::StuckInterrupt,
            Self::TxTimeout,
            Self::Rings,
            Self::Xsk,
        ]
        .into_iter()
        .find(|&cause| bits & cause as u32 != 0)
    }

    /// For the log.
    fn describe(self) -> &'static str {
        match self {
            Self::DeviceNeedsReset => "the device needs a reset",
            Self::TxTimeout => "transmit timeout",
            Self::Rings => "new ring sizes",
            Self::StuckInterrupt => "its interrupt stuck",
            Self::Xsk => "AF_XDP pool bound or unbound",
        }
    }
}

/// The ring sizes the device's queues may have: powers of two in these bounds.
#[derive(Clone, Copy)]
struct RingLimits {
    rx_min: u16,
    rx_max: u16,
    tx_min: u16,
    tx_max: u16,
}

/// Both ring sizes in one word, receive in the high half.
fn pack_sizes(rx: u16, tx: u16) -> u32 {
    u32::from(rx) << 16 | u32::from(tx)
}

/// The ring sizes of [`pack_sizes`].
fn unpack_sizes(sizes: u32) -> (u16, u16) {
    // CAST: Each half is a `u16`.
    ((sizes >> 16) as u16, sizes as u16)
}

/// rvnet's `net_device_ops`, NAPI poll and ethtool operations.
pub(crate) struct RvnetNetdev;

impl Operations for RvnetNetdev {
    type Data<'a> = Nic<'a>;

    /// NAPI is on (the adapter enabled it): the carrier, the queue, and a first poll. Refused
    /// for a device given up on after a failed reset.
    fn open(dev: &NetDevice, nic: &Nic<'_>) -> Result {
        if nic.failed.load(Relaxed) {
            return Err(EIO);
        }
        nic.update_carrier(dev);
        dev.start_queue();
        // Whatever arrived while the interface was down was not announced to anyone.
        dev.napi().schedule();
        Ok(())
    }

    /// The receive queue's page pool takes back pages freed in the poll without its ring's
    /// lock, as `virtio_net`'s does (`page_pool_params.napi`).
    fn napi_added(nic: &Nic<'_>, napi: &Napi) {
        // SAFETY: The pool lives as long as the receive queue, in the driver data, which the
        // NAPI context outlives (`Operations::napi_added`). This runs in process context with
        // no lock held, as attaching needs.
        unsafe { nic.pool_attach.attach(napi) };
    }

    /// NAPI is off (the adapter disabled it), so no poll can wake the queue again.
    fn stop(dev: &NetDevice, _nic: &Nic<'_>) -> Result {
        dev.stop_queue();
        Ok(())
    }

    fn start_xmit(dev: &NetDevice, nic: &Nic<'_>, xmit: &mut Xmit<'_>, skb: SkBuff) -> TxOutcome {
        let Some(tx) = nic.tx.in_xmit(xmit) else {
            // Not this device's queue: cannot happen, the driver data is the device's own.
            nic.counters.add(Counter::TxDropped, 1);
            return TxOutcome::Consumed;
        };
        tx.reap(dev, &nic.counters, None);
        tx.xmit(dev, &nic.transport, &nic.counters, skb, nic.hdr_len)
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

    /// `virtnet_poll()`: transmit completions first (even with a zero budget, as netpoll
    /// needs), then up to `budget` packets, then interrupts back on without losing a wake-up.
    fn poll(dev: &NetDevice, nic: &Nic<'_>, poll: &NapiPoll<'_>, budget: u32) -> u32 {
        nic.counters.add(Counter::NapiPolls, 1);
        let xsk_more = nic.tx_complete(dev, poll, budget);
        if budget == 0 {
            return 0;
        }
        let sink = Sink {
            dev,
            poll,
            counters: &nic.counters,
            tx: &nic.tx,
            hdr_len: nic.hdr_len,
        };
        let mut rx = nic.rx.lock();
        let done = rx.receive(&sink, &nic.transport, budget);
        if xsk_more {
            // A bound socket has more to send: the poll goes on.
            return budget;
        }
        // Packets that arrive between the last look and re-enabling interrupts would wait for
        // the next interrupt, which does not come: look again after enabling them.
        if done < budget && poll.complete_done(done) && rx.enable_cb() {
            poll.napi().schedule();
        }
        done
    }

    fn interrupt(dev: &NetDevice, nic: &Nic<'_>) -> IrqReturn {
        nic.interrupt(dev)
    }

    /// As `virtnet_tx_timeout()`: counted and reported. Then a poll, in case the device's
    /// completion interrupt was lost: it frees what is done and wakes the queue; and a reset
    /// of the device, which may have stopped for good (a legacy device that hit an error says
    /// nothing: it only stops).
    fn tx_timeout(dev: &NetDevice, nic: &Nic<'_>, queue: u32, stalled_usecs: u32) {
        nic.counters.add(Counter::TxTimeouts, 1);
        // The platform device names the card: the interface name is read under RTNL, which
        // this softirq cannot take.
        dev_err!(
            nic.pdev,
            "TX timeout on queue {}, {} usecs ago\n",
            queue,
            stalled_usecs
        );
        dev.napi().schedule();
        nic.request_reset(dev, ResetCause::TxTimeout);
    }

    /// One queue pair: rvnet does not negotiate `VIRTIO_NET_F_MQ`.
    fn queue_pairs(_nic: &Nic<'_>) -> u32 {
        1
    }

    /// Queue pair 0 has carried every packet since probe.
    fn queue_stats(nic: &Nic<'_>, _queue: u32) -> QueueStats {
        let s = nic.counters.snapshot();
        QueueStats {
            rx_packets: s.get(Counter::RxPackets),
            rx_bytes: s.get(Counter::RxBytes),
            tx_packets: s.get(Counter::TxPackets),
            tx_bytes: s.get(Counter::TxBytes),
            tx_stop: s.get(Counter::TxQueueStops),
            tx_wake: s.get(Counter::TxQueueWakes),
            tx_hw_gso_packets: s.get(Counter::TxGso),
            rx_hw_gro_packets: s.get(Counter::RxGso),
            rx_alloc_fail: s.get(Counter::RxAllocFails),
        }
    }

    /// With an XDP program attached that needs linear frames, frames must still fit in the
    /// linear XDP buffer.
    fn change_mtu(dev: &NetDevice, nic: &Nic<'_>, mtu: u32) -> Result {
        if dev.xdp_needs_linear() && mtu > nic.xdp_max_mtu {
            return Err(EINVAL);
        }
        // A bound AF_XDP pool's buffers were sized for the MTU at binding (`xp_assign_dev()`).
        if nic.xsk_bound.load(Relaxed) && mtu > dev.mtu() {
            return Err(EBUSY);
        }
        Ok(())
    }

    /// The device first, where it can be told (`Nic::set_mac`); the adapter then gives the
    /// interface the address.
    fn set_mac_address(_dev: &NetDevice, nic: &Nic<'_>, mac: &[u8; 6]) -> Result {
        nic.set_mac(mac)
    }

    fn set_features(dev: &NetDevice, nic: &Nic<'_>, features: NetdevFeatures) -> Result {
        nic.set_features(dev, features)
    }

    /// A reset the device needs, the receive mode, which `ndo_set_rx_mode` left for the work
    /// item, and an announcement the device asked for.
    fn work(dev: &NetDevice, nic: &Nic<'_>, rtnl: &Rtnl) {
        if let Some(cause) = nic
            .take_reset_request()
            .filter(|&c| nic.still_needed(dev, c))
        {
            let (rx, tx) = nic.ring_sizes();
            // A failure is logged, and leaves the interface down.
            let _ = nic.reset_and_restore(dev, rtnl, cause, rx, tx, None);
        }
        if nic.failed.load(Relaxed) {
            return;
        }
        nic.apply_rx_mode(dev);
        nic.announce(dev);
    }

    /// Only set up with `VIRTIO_NET_F_CTRL_VLAN` (`registration::Config::vlan_filter`).
    /// The VLANs let through are recorded, for a reset device to be told again.
    fn vlan_filter(_dev: &NetDevice, nic: &Nic<'_>, vid: u16, add: bool) -> Result {
        let sent = nic.command(&if add {
            Command::VlanAdd(vid)
        } else {
            Command::VlanDel(vid)
        });
        // A VLAN the device refused is refused to the stack too; one removed is gone either way.
        let mut ctrl = nic.ctrl.lock();
        if let Some(ctrl) = ctrl.as_mut().get_mut().as_mut() {
            ctrl.note_vlan(vid, add && sent.is_ok());
        }
        sent
    }

    /// A multi-buffer program (`xdp.frags`) at any MTU; another as long as the MTU keeps
    /// frames within the linear XDP buffer. The device's receive offloads go off first
    /// ([`Nic::set_xdp_offloads`]), and come back after the last program. The program runs
    /// from the next packet on; nothing needs to stop.
    fn xdp_setup(dev: &NetDevice, nic: &Nic<'_>, prog: Option<&XdpProg>) -> Result<(), XdpRefusal> {
        let rx_offloads = RxOffloads::negotiated(nic.features).any();
        match prog {
            // XDP programs see neither partial checksums nor merged segments, which only the
            // control queue can turn off: refused without it, as virtio_net refuses them.
            Some(_) if rx_offloads && !nic.features.has(features::CTRL_GUEST_OFFLOADS) => {
                Err(XdpRefusal {
                    err: EOPNOTSUPP,
                    msg: c"Can't set XDP while host is implementing GRO_HW/CSUM",
                })
            }
            Some(prog) if !prog.has_frags() && dev.mtu() > nic.xdp_max_mtu => Err(XdpRefusal {
                err: EINVAL,
                msg: c"MTU too large for XDP without frags (frames must fit in one page)",
            }),
            Some(_) => nic.set_xdp_offloads(dev, true).map_err(|err| XdpRefusal {
                err,
                msg: c"The device did not turn its receive offloads off (control queue)",
            }),
            None => {
                // Detaching is always allowed. Should the device not take its offloads back
                // (logged, and counted in `ctrl_errors`), it stays without them.
                let _ = nic.set_xdp_offloads(dev, false);
                Ok(())
            }
        }
    }

    fn xsk_setup(
        dev: &NetDevice,
        nic: &Nic<'_>,
        rtnl: &Rtnl,
        binding: Option<XskBinding>,
    ) -> Result {
        nic.xsk_setup(dev, rtnl, binding)
    }

    fn xsk_wakeup(dev: &NetDevice, nic: &Nic<'_>, flags: u32) -> Result {
        nic.xsk_wakeup(dev, flags)
    }

    /// `virtnet_xdp_xmit()`: each frame copied into the transmit ring, as `XDP_TX` frames are,
    /// under the transmit lock that the stack's packets take too. None while the interface is
    /// down; none while the queue is stopped: by a full ring, or by a reset, which must not
    /// see the ring used before the device is live again. Counted per frame.
    fn xdp_xmit(
        dev: &NetDevice,
        nic: &Nic<'_>,
        ctx: &XdpXmit,
        frames: &XdpFrames<'_>,
        flush: bool,
    ) -> Result<usize> {
        let n = frames.iter().count();
        let refused = |sent: usize| {
            // CAST: `usize` to `u64` is lossless on 64-bit machines.
            nic.counters.add(Counter::XdpTxXmitDrops, (n - sent) as u64);
        };
        if !dev.is_running() {
            refused(0);
            return Err(ENETDOWN);
        }
        let Some(mut tx) = nic.tx.lock(dev, ctx) else {
            refused(0);
            return Err(ENXIO);
        };
        let mut sent = 0;
        if !dev.queue_stopped() {
            for frame in frames.iter() {
                if !tx.xdp_xmit(dev, &nic.counters, None, frame, nic.hdr_len) {
                    break;
                }
                sent += 1;
            }
        }
        if flush {
            tx.flush(dev, &nic.transport, &nic.counters);
        }
        drop(tx);
        // CAST: As above.
        nic.counters.add(Counter::XdpTxXmit, sent as u64);
        refused(sent);
        Ok(sent)
    }
}

#[vtable]
impl EthtoolOps for RvnetNetdev {
    const DRIVER_NAME: &'static CStr = c"rvnet";

    /// `ethtool -S` lists the counters of `/proc/driver/network_stats`, by the same names.
    const STATS: &'static [&'static str] = &COUNTER_NAMES;

    fn channels(nic: &Nic<'_>) -> Channels {
        let pairs = <Self as Operations>::queue_pairs(nic);
        Channels {
            max_combined: pairs,
            combined: pairs,
        }
    }

    /// The core has checked `combined` against the one pair there is: nothing changes.
    fn set_channels(_dev: &NetDevice, nic: &Nic<'_>, combined: u32) -> Result {
        if combined == <Self as Operations>::queue_pairs(nic) {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }

    fn rings(nic: &Nic<'_>) -> Rings {
        let (rx, tx) = nic.ring_sizes();
        Rings {
            rx_max: nic.ring_limits.rx_max.into(),
            rx: rx.into(),
            tx_max: nic.ring_limits.tx_max.into(),
            tx: tx.into(),
        }
    }

    /// Other ring sizes: the device is reset and set up again with them, the interface
    /// restored ([`Nic::reset_and_restore`]). `virtio_net` resizes one queue at a time with
    /// `VIRTIO_F_RING_RESET`, which virtio-mmio does not have, so it cannot resize there;
    /// rvnet owns the whole device and resets it. Split rings are powers of two; each must
    /// hold the largest packet the interface was set up for, twice on transmit.
    fn set_rings(dev: &NetDevice, nic: &Nic<'_>, rtnl: &Rtnl, rx: u32, tx: u32) -> Result {
        let (rx, tx) = (u16::try_from(rx)?, u16::try_from(tx)?);
        let limits = nic.ring_limits;
        let fits = |n: u16, min: u16, max: u16| n.is_power_of_two() && (min..=max).contains(&n);
        if !fits(rx, limits.rx_min, limits.rx_max) || !fits(tx, limits.tx_min, limits.tx_max) {
            return Err(EINVAL);
        }
        if (rx, tx) == nic.ring_sizes() {
            return Ok(());
        }
        nic.reset_and_restore(dev, rtnl, ResetCause::Rings, rx, tx, None)
    }

    fn stats(nic: &Nic<'_>, values: &mut [u64]) {
        let s = nic.counters.snapshot();
        for (value, counter) in values.iter_mut().zip(s.0) {
            *value = counter;
        }
    }
}

export_ops!(RvnetNetdev);

/// An AF_XDP pool for the queues to take at a reset: its receive side and the transmit
/// queue's handle; the old pool's after the swap.
///
/// Field order is teardown order, if it was never swapped: nothing uses a handle once dropped.
struct XskSwap {
    rx: Option<XskRx>,
    tx: Option<XskPool>,
}

/// Whether an XDP program is attached to `dev`.
fn xdp_attached(dev: &NetDevice) -> bool {
    let guard = rcu::read_lock();
    dev.xdp_prog(&guard).is_some()
}
