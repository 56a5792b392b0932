// SPDX-License-Identifier: GPL-2.0

//! `/proc/driver/network_stats`: one section per bound device, in the format of
//! [`stats::write_section`](crate::nic::stats::write_section).
//!
//! Devices enter the list once their interface is registered and leave it before the
//! interface is unregistered ([`Listed`]), so every listed `net_device` is alive.

use core::fmt;

use kernel::{
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    str::CString,
    sync::{
        aref::ARef,
        Arc, //
    },
};

use crate::{
    features::{Features, Version},
    kernel_ext::{
        net::device::NetDevice,
        procfs::SeqShow, //
    },
    nic::{
        stats::{self, DeviceInfo},
        Counters,
    },
};

kernel::sync::global_lock! {
    // SAFETY: Initialised by the module initialiser (`RvnetModule::init`) before the driver is
    // registered or the procfs file created, the only users of the lock.
    /// The bound devices. The module initialiser must call `DEVICES.init()` once, first.
    pub(crate) unsafe(uninit) static DEVICES: Mutex<KVec<Arc<Entry>>> = KVec::new();
}

/// What procfs shows of one device.
pub(crate) struct Entry {
    /// The platform device name.
    device: CString,
    /// The interface; a counted reference, given back before the interface is unregistered.
    netdev: ARef<NetDevice>,
    /// The register layout.
    version: Version,
    /// The negotiated features.
    features: Features,
    /// The live counters.
    counters: Arc<Counters>,
}

impl Entry {
    /// Describes a device.
    pub(crate) fn new(
        device: CString,
        netdev: ARef<NetDevice>,
        version: Version,
        features: Features,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            device,
            netdev,
            version,
            features,
            counters,
        }
    }
}

/// A device's place in the list; dropping it takes the device out.
pub(crate) struct Listed(Arc<Entry>);

impl Listed {
    /// Adds `entry` to the list.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the list cannot grow.
    pub(crate) fn add(entry: Entry) -> Result<Self> {
        let entry = Arc::new(entry, GFP_KERNEL)?;
        DEVICES.lock().push(entry.clone(), GFP_KERNEL)?;
        Ok(Self(entry))
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        let mut devices = DEVICES.lock();
        devices.retain(|e| !Arc::ptr_eq(e, &self.0));
        // A static is never dropped: give the list's buffer back when the last device leaves,
        // so that unloading the module (which unbinds every device first) leaks nothing.
        if devices.is_empty() {
            *devices = KVec::new();
        }
    }
}

/// Adapts a [`SeqFile`] to [`fmt::Write`].
struct SeqWriter<'a>(&'a SeqFile);

impl fmt::Write for SeqWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        seq_print!(self.0, "{s}");
        Ok(())
    }
}

/// The contents of `/proc/driver/network_stats`.
pub(crate) struct NetworkStats;

impl SeqShow for NetworkStats {
    fn show(m: &SeqFile) -> Result {
        let mut w = SeqWriter(m);
        seq_print!(m, "{}", stats::HEADER);
        for e in DEVICES.lock().iter() {
            let name = e.netdev.name();
            let info = DeviceInfo {
                device: e.device.to_str().unwrap_or("?"),
                name: name.as_str(),
                mac: e.netdev.mac(),
                version: e.version,
                features: e.features,
                link_up: e.netdev.carrier_ok(),
            };
            // A full buffer is not an error: seq_file retries with a larger one.
            let _ = stats::write_section(&mut w, &info, &e.counters.snapshot());
        }
        Ok(())
    }
}
