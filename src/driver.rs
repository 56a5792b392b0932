// SPDX-License-Identifier: GPL-2.0

//! The platform driver: matches virtio-mmio devices, identifies the network cards among them,
//! initialises each one and registers its interface.
//!
//! Probe follows `virtio_mmio_probe()` (`drivers/virtio/virtio_mmio.c`), `virtio_dev_probe()`
//! (`drivers/virtio/virtio.c`) and `virtnet_probe()` (`drivers/net/virtio_net.c`), in the order of
//! virtio 1.2 §3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, configuration,
//! DRIVER_OK. Every failure unwinds through `Drop` (resetting the device), leaves the device
//! `FAILED` once it has been touched, and is logged once.

use kernel::{
    acpi,
    device::{
        self,
        Core, //
    },
    dma::{
        Device as _,
        DmaMask, //
    },
    of,
    platform,
    prelude::*,
    str::CStrExt, //
};

use crate::{
    failed::{
        During,
        Failed, //
    },
    features::{
        self,
        NegotiationError,
        Version, //
    },
    kernel_ext::net::{
        page_pool::PagePool,
        registration::{
            self,
            Registration, //
        },
        xdp::{
            XDP_BUF_SIZE,
            XDP_HEADROOM,
            XDP_TAILROOM, //
        },
    },
    nic::{
        self,
        config::{
            self,
            Link,
            NetConfig,
            BUF_SIZE,
            MAX_BUFS_PER_PACKET, //
        },
        ctrl_queue::CtrlQueue,
        net_hdr,
        offloads::Offloads,
        rx::RxQueue,
        tx::TxQueue,
        Counters,
        Nic,
        Queues,
        RvnetNetdev, //
    },
    procfs::{
        Entry,
        Listed,
        Reservation, //
    },
    regs::DeviceType,
    transport::{
        IdentifyError,
        Transport, //
    },
    virtqueue::{
        Direction,
        Virtqueue, //
    },
};

/// The rvnet platform driver.
pub(crate) struct RvnetDriver;

kernel::of_device_table!(
    OF_TABLE,
    <RvnetDriver as platform::Driver>::IdInfo,
    [(of::DeviceId::new(c"virtio,mmio"), ())]
);

kernel::acpi_device_table!(
    ACPI_TABLE,
    <RvnetDriver as platform::Driver>::IdInfo,
    [(acpi::DeviceId::new(c"LNRO0005"), ())]
);

impl platform::Driver for RvnetDriver {
    type IdInfo = ();
    type Data<'bound> = RvnetDevice<'bound>;
    const OF_ID_TABLE: Option<of::IdTable<Self::IdInfo>> = Some(&OF_TABLE);
    const ACPI_ID_TABLE: Option<acpi::IdTable<Self::IdInfo>> = Some(&ACPI_TABLE);

    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        RvnetDevice::probe(pdev)
    }
}

/// Virtqueue indices of a virtio-net device (virtio 1.2 §5.1.2).
const RX_QUEUE: u16 = 0;
/// See [`RX_QUEUE`].
const TX_QUEUE: u16 = 1;
/// The control queue, after the one queue pair (`VIRTIO_NET_F_MQ` is not negotiated).
const CTRL_QUEUE: u16 = 2;

/// A bound rvnet device.
///
/// Field order is teardown order. The procfs entry goes first: it holds a reference on the
/// interface, which `unregister_netdev()` waits for. Then the registration frees the interrupt,
/// unregisters the interface (closing it: NAPI off), drops the [`Nic`] (whose transport resets
/// the device before the queues' memory goes) and frees the `net_device`.
pub(crate) struct RvnetDevice<'bound> {
    _listed: Listed,
    _netdev: Registration<'bound, RvnetNetdev>,
}

impl<'bound> RvnetDevice<'bound> {
    /// Probes `pdev`; logs why when it fails (not for devices that are not network cards).
    fn probe(pdev: &'bound platform::Device<Core<'_>>) -> Result<Self> {
        let bound: &'bound platform::Device<device::Bound> = pdev;
        let dev = bound.as_ref();
        let transport = match Transport::new(bound) {
            Ok(transport) => transport,
            // An empty slot: nothing to say, as in virtio_mmio.
            Err(IdentifyError::NotNetwork(DeviceType::Empty)) => return Err(ENODEV),
            Err(IdentifyError::NotNetwork(kind)) => {
                dev_info!(
                    dev,
                    "virtio device {kind:?} is not a network card: not binding\n"
                );
                return Err(ENODEV);
            }
            Err(IdentifyError::Failed(failed)) => return Err(failed.log(dev)),
        };
        Self::init(pdev, transport).map_err(|failed| {
            // `init` has dropped its transport, which reset the device. Through the registers
            // mapped again, the device learns that rvnet gave up on it (`FAILED`), rather than
            // seeing no driver at all.
            if let Ok(transport) = Transport::new(bound) {
                transport.give_up();
            }
            failed.log(dev)
        })
    }

    /// Initialises an identified device, registers its interface and requests its interrupt.
    ///
    /// Every step that can fail without the registered interface (the rings, the interrupt
    /// lookup, the procfs name and place) comes before `DRIVER_OK` and the first
    /// notification, as in `virtnet_probe()`: only registering the interface follows, and a
    /// failure of it resets the device (the transport's `Drop`). Listing the device in procfs
    /// cannot fail: an interface that appeared stays.
    fn init(
        pdev: &'bound platform::Device<Core<'_>>,
        transport: Transport<'bound>,
    ) -> Result<Self, Failed> {
        let bound: &'bound platform::Device<device::Bound> = pdev;
        let dev = bound.as_ref();
        let version = transport.version();

        transport.reset().during("resetting the device")?;
        transport.add_status(|s| s.with_acknowledge(true));
        transport.add_status(|s| s.with_driver(true));

        let offered = transport.device_features();
        let accepted = features::negotiate(offered, version).map_err(|e| match e {
            NegotiationError::ModernWithoutVersion1 => Failed {
                step: "negotiating features (version 2 device without VERSION_1)",
                err: EINVAL,
            },
        })?;
        // The MTU must be checked before the features are final (`virtnet_validate()`).
        let raw = nic::read_net_config(&transport, accepted)
            .map_err(|_| EIO)
            .during("reading the configuration (generation never settled)")?;
        let accepted = config::validate_mtu_feature(accepted, raw.mtu);
        transport.set_driver_features(accepted);
        if version == Version::Modern {
            transport.add_status(|s| s.with_features_ok(true));
            if !transport.status().features_ok() {
                return Err(ENODEV).during("setting FEATURES_OK (the device refused the features)");
            }
        }
        let cfg = NetConfig::parse(accepted, &raw);
        let hdr_len = config::net_hdr_len(accepted);

        // Legacy rings are given by 32-bit page frame numbers.
        let mask = match version {
            Version::Legacy => DmaMask::new::<44>(),
            Version::Modern => DmaMask::new::<64>(),
        };
        // SAFETY: Probe runs before this device has any DMA allocation or mapping, and nothing
        // else allocates for it concurrently.
        unsafe { pdev.dma_set_mask_and_coherent(mask) }.during("setting the DMA mask")?;

        // The small allocations first: the queues' allocations may fall back (to single pages,
        // from the page pool's), so their number varies from bind to bind, and a fault sweep
        // (qemu/guest/faults.sh) reaches what comes before them at fixed points.
        let (counters, rx_counts, tx_counts) = Counters::new().during("allocating counters")?;
        let (name, listing) = dev
            .name()
            .to_cstring()
            .map_err(Error::from)
            .and_then(|name| Ok((name, Reservation::new()?)))
            .during("allocating the procfs entry")?;

        let event_idx = accepted.has(features::EVENT_IDX);
        let rx_vq = Virtqueue::new(
            &transport,
            dev,
            RX_QUEUE,
            config::rx_buf_size(accepted),
            Direction::DeviceWrites,
            event_idx,
        )
        .during("setting up the receive queue")?;
        let pool = PagePool::new(dev, rx_vq.num().into()).during("creating the page pool")?;
        let mut tx_vq = Virtqueue::new(
            &transport,
            dev,
            TX_QUEUE,
            BUF_SIZE,
            Direction::DriverWrites,
            event_idx,
        )
        .during("setting up the transmit queue")?;
        if accepted.has(features::INDIRECT_DESC) {
            tx_vq
                .add_indirect_tables(dev)
                .during("setting up the transmit queue")?;
        }
        let ctrl = accepted
            .has(features::CTRL_VQ)
            .then(|| CtrlQueue::new(&transport, dev, CTRL_QUEUE, event_idx))
            .transpose()
            .during("setting up the control queue")?;
        // Jumbo frames need mergeable receive buffers; the transmit ring chains its buffers.
        let max_frame = config::max_frame(
            accepted.has(features::MRG_RXBUF),
            BUF_SIZE,
            hdr_len,
            MAX_BUFS_PER_PACKET,
            tx_vq.num(),
        );
        let max_mtu = config::max_mtu(cfg.max_mtu, max_frame);
        let max_frame = config::frame_len(max_mtu);
        let tso_max_size = config::tso_max_size(BUF_SIZE, hdr_len, tx_vq.num());
        let offloads = Offloads::negotiated(accepted, tso_max_size);
        let mut rx = RxQueue::new(rx_vq, pool, rx_counts, accepted, max_frame)
            .during("allocating the receive buffer table")?;
        let tx = TxQueue::new(
            tx_vq,
            tx_counts,
            dev,
            max_frame,
            hdr_len,
            net_hdr::little_endian(accepted),
            accepted.has(features::VERSION_1),
        )
        .during("allocating the transmit buffer table")?;

        let nd_config = registration::Config {
            mac: cfg.mac,
            mtu: cfg.initial_mtu().min(max_mtu).into(),
            max_mtu: max_mtu.into(),
            hw_features: offloads.hw_features(),
            features: offloads.features(),
            tso_max_size: offloads.tso_max_size,
            rx_filter: accepted.has(features::CTRL_RX),
            vlan_filter: accepted.has(features::CTRL_VLAN),
        };
        let irq = bound.irq_by_index(0).during("finding the interrupt")?;
        // At probe the ring is filled whole, or the probe fails: the pool is out of memory.
        rx.fill()
            .and_then(|full| if full { Ok(()) } else { Err(ENOMEM) })
            .during("posting receive buffers")?;

        // The device is ready before its interface can be opened (`virtio_device_ready()`),
        // and learns of the receive buffers.
        transport.add_status(|s| s.with_driver_ok(true));
        rx.kick(&transport);
        let xdp_max_mtu = config::xdp_max_mtu(XDP_BUF_SIZE, XDP_HEADROOM, XDP_TAILROOM);
        let nic = Nic::new(
            dev,
            transport,
            Queues { rx, tx, ctrl },
            accepted,
            xdp_max_mtu.min(max_mtu),
            counters.clone(),
        );
        // SAFETY: The registration is stored in the driver data and dropped at unbind; it is
        // never forgotten.
        let registration = unsafe { Registration::new(dev, irq, &nd_config, nic) }
            .during("registering the network device and its interrupt")?;
        let netdev = registration.device();
        netdev.set_carrier(cfg.link == Link::Up);

        // Its place was kept: nothing fails once the interface exists.
        let listed = listing.commit(Entry::new(name, netdev.into(), version, accepted, counters));

        let m = netdev.mac();
        dev_info!(
            dev,
            "{}: virtio-mmio v{}, MAC {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}{}, MTU {} (max {}), \
             link {}, features {}\n",
            netdev.name().as_str(),
            version.number(),
            m[0],
            m[1],
            m[2],
            m[3],
            m[4],
            m[5],
            if cfg.mac.is_some() { "" } else { " (random)" },
            nd_config.mtu,
            nd_config.max_mtu,
            if netdev.carrier_ok() { "up" } else { "down" },
            accepted,
        );

        Ok(Self {
            _listed: listed,
            _netdev: registration,
        })
    }
}

/// Lets the kernel's logging macros print feature sets as procfs does.
impl kernel::fmt::Display for features::Features {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}
