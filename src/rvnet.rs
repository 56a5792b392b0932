// SPDX-License-Identifier: GPL-2.0

//! rvnet: a virtio-net driver for the virtio-mmio transport, in Rust.
//!
//! A platform driver for the network card of QEMU's `microvm` machine and of Firecracker
//! microVMs (the virtio-mmio transport): what `drivers/virtio/virtio_mmio.c` and
//! `drivers/net/virtio_net.c` do together for such a device. It matches ACPI `LNRO0005` and OF
//! `virtio,mmio` devices, and makes devices for the `device=` module parameter
//! ([`cmdline_devices`]),
//! binds to those whose virtio device type is network (1), and registers an `eth%d` interface
//! for each. `/proc/driver/network_stats` lists the bound devices and their counters.
//!
//! Layout:
//! - [`driver`]: the platform driver and probe, whose steps fail with a [`failed::Failed`];
//! - [`transport`] and [`regs`]: the virtio-mmio registers, both layouts;
//! - [`features`], [`nic::config`], [`nic::stats`], [`span`]: pure logic, host-tested;
//! - [`nic`]: the interface (`net_device_ops`), link state, counters and XDP;
//! - [`procfs`]: the statistics file;
//! - [`kernel_ext`]: every FFI wrapper rvnet needs that the kernel crate lacks (network
//!   devices with NAPI, socket buffers, ethtool and XDP; procfs).
//!
//! To try it: `make run` (see README.md).

mod cmdline;
mod cmdline_devices;
mod driver;
mod failed;
mod features;
mod kernel_ext;
mod nic;
mod procfs;
mod regs;
mod span;
mod transport;
mod virtqueue;

use kernel::{
    driver::Registration,
    platform,
    prelude::*, //
};

use crate::kernel_ext::procfs::ProcFile;

module! {
    type: RvnetModule,
    name: "rvnet",
    authors: ["The rvnet developers"],
    description: "virtio-net driver for the virtio-mmio transport, in Rust",
    license: "GPL",
}

/// The module: the statistics file, the platform driver and the devices of `device=`.
///
/// Field order is teardown order: the devices of `device=` are removed first (unbinding them),
/// then the driver is unregistered, which unbinds every other device and so empties the device
/// list; then the procfs file goes, waiting for any reader. They are made in the reverse
/// order: the driver must exist for the devices to bind as they are made.
#[pin_data]
struct RvnetModule {
    _devices: cmdline_devices::CmdlineDevices,
    #[pin]
    _driver: Registration<platform::Adapter<driver::RvnetDriver>>,
    _stats: ProcFile<procfs::NetworkStats>,
}

impl kernel::InPlaceModule for RvnetModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: Module initialisation runs once, before the driver or the procfs file exist.
        unsafe { procfs::DEVICES.init() };
        try_pin_init!(Self {
            _stats: ProcFile::new(c"driver/network_stats")?,
            _driver <- Registration::new(c"rvnet", module),
            _devices: cmdline_devices::CmdlineDevices::new()?,
        })
    }
}
