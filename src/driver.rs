// SPDX-License-Identifier: GPL-2.0

//! The platform driver: matches virtio-mmio devices, identifies the network cards among them,
//! initialises each one and registers its interface.
//!
//! Probe follows `virtio_mmio_probe()` (`drivers/virtio/virtio_mmio.c`), `virtio_dev_probe()`
//! (`drivers/virtio/virtio.c`) and `virtnet_probe()` (`drivers/net/virtio_net.c`), in the order of
//! virtio 1.2 §3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, configuration,
//! DRIVER_OK. Every failure unwinds through `Drop` (resetting the device) and is logged once.

use kernel::{
    acpi,
    device::{self, Core},
    of, platform,
    prelude::*,
    str::CStrExt,
    sync::Arc,
};

use crate::{
    features::{self, NegotiationError, Version},
    kernel_ext::netdev,
    nic::{
        config::{self, Link, NetConfig},
        Counters, Nic, RvnetNetdev,
    },
    procfs::{Entry, Listed},
    transport::{DeviceType, IdentifyError, Transport},
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

/// A probe step that failed, and how.
struct Failed {
    /// What the driver was doing, for the log.
    step: &'static str,
    /// The error probe returns.
    err: Error,
}

/// Names the probe step a [`Result`] comes from.
trait During<T> {
    /// Tags an error with `step`.
    fn during(self, step: &'static str) -> Result<T, Failed>;
}

impl<T, E: Into<Error>> During<T> for Result<T, E> {
    fn during(self, step: &'static str) -> Result<T, Failed> {
        self.map_err(|e| Failed {
            step,
            err: e.into(),
        })
    }
}

/// A bound rvnet device.
///
/// Field order is teardown order. The procfs entry goes first: it holds a reference on the
/// interface, which `unregister_netdev()` waits for. Then the registration unregisters the
/// interface, drops the [`Nic`] (whose transport resets the device) and frees the `net_device`.
pub(crate) struct RvnetDevice<'bound> {
    _listed: Listed,
    _netdev: netdev::Registration<'bound, RvnetNetdev>,
}

impl<'bound> RvnetDevice<'bound> {
    /// Probes `pdev`; logs why when it fails (not for devices that are not network cards).
    fn probe(pdev: &'bound platform::Device<Core<'_>>) -> Result<Self> {
        let pdev: &'bound platform::Device<device::Bound> = pdev;
        let dev = pdev.as_ref();
        let transport = match Transport::new(pdev) {
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
            Err(IdentifyError::Failed(step, err)) => {
                dev_err!(dev, "{step} failed: {err:?}\n");
                return Err(err);
            }
        };
        Self::init(pdev, transport).map_err(|Failed { step, err }| {
            dev_err!(dev, "{step} failed: {err:?}\n");
            err
        })
    }

    /// Initialises an identified device and registers its interface.
    fn init(
        pdev: &'bound platform::Device<device::Bound>,
        transport: Transport<'bound>,
    ) -> Result<Self, Failed> {
        let dev = pdev.as_ref();
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
        let raw = transport
            .read_net_config()
            .map_err(|_| EIO)
            .during("reading the configuration (generation never settled)")?;
        let accepted = config::validate_mtu_feature(accepted, raw.mtu);
        transport.set_driver_features(accepted);
        if version == Version::Modern {
            transport.add_status(|s| s.with_features_ok(true));
            if !transport.status().features_ok().into_bool() {
                return Err(ENODEV).during("setting FEATURES_OK (the device refused the features)");
            }
        }
        let cfg = NetConfig::parse(accepted, &raw);

        let counters = Arc::new(Counters::new(), GFP_KERNEL).during("allocating counters")?;
        let nd_config = netdev::Config {
            mac: cfg.mac,
            mtu: cfg.initial_mtu().into(),
            max_mtu: cfg.max_mtu.into(),
        };
        // The device is ready before its interface can be opened (`virtio_device_ready()`).
        transport.add_status(|s| s.with_driver_ok(true));
        let nic = Nic::new(transport, accepted, counters.clone());
        // SAFETY: The registration is stored in the driver data and dropped at unbind; it is
        // never forgotten.
        let registration =
            unsafe { netdev::Registration::new(dev, &nd_config, Ok::<_, Error>(nic)) }
                .during("registering the network device")?;
        let netdev = registration.device();
        netdev.set_carrier(cfg.link == Link::Up);

        let name = dev
            .name()
            .to_cstring()
            .during("allocating the procfs entry")?;
        let listed = Listed::add(Entry::new(name, netdev.into(), version, accepted, counters))
            .during("adding the device to procfs")?;

        let m = netdev.mac();
        dev_info!(
            dev,
            "{}: virtio-mmio v{}, MAC {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}{}, MTU {} (max {}), link {}, features {}\n",
            netdev.name().to_str().unwrap_or("?"),
            version.number(),
            m[0], m[1], m[2], m[3], m[4], m[5],
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
