// SPDX-License-Identifier: GPL-2.0

//! `/proc/driver/network_stats`: one section per bound device in the reader's network
//! namespace, in the format of [`stats::write_section`](crate::nic::stats::write_section).
//!
//! Devices enter the list once their interface is registered and leave it before the
//! interface is unregistered ([`Listed`]), so every listed `net_device` is alive. Their place
//! is kept before the interface is registered ([`Reservation`]): entering cannot fail.

use core::{
    fmt,
    mem::MaybeUninit, //
};

use kernel::{
    alloc::kvec::PushError,
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    str::CString,
    sync::{
        aref::ARef,
        Arc,
        UniqueArc, //
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
    pub(crate) unsafe(uninit) static DEVICES: Mutex<Devices> = Devices {
        list: KVec::new(),
        reserved: 0,
    };
}

/// The list behind `/proc/driver/network_stats`.
///
/// # Invariants
///
/// `list` has room for `reserved` more entries: one for each [`Reservation`] alive.
pub(crate) struct Devices {
    list: KVec<Arc<Entry>>,
    reserved: usize,
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

/// A place kept in the list for a device about to be registered, and the memory of its entry,
/// so that listing it cannot fail once its interface exists: probe allocates everything that
/// can fail before `register_netdev()`, and an interface that appeared is never unregistered
/// again for want of memory. Dropping an unused reservation gives the place back.
pub(crate) struct Reservation {
    place: Place,
    entry: UniqueArc<MaybeUninit<Entry>>,
}

/// One of the places [`Devices::reserved`] counts; dropping it gives the place back.
struct Place;

impl Reservation {
    /// Keeps a place in the list, and the memory of its entry.
    ///
    /// # Errors
    ///
    /// `ENOMEM` when the list cannot grow or the entry cannot be allocated.
    pub(crate) fn new() -> Result<Self> {
        let entry = UniqueArc::new_uninit(GFP_KERNEL)?;
        let mut devices = DEVICES.lock();
        let more = devices.reserved + 1;
        devices.list.reserve(more, GFP_KERNEL)?;
        // INVARIANT: The list has room for `more` entries beyond its length.
        devices.reserved = more;
        Ok(Self {
            place: Place,
            entry,
        })
    }

    /// Adds `entry` to the list, in the place kept for it.
    pub(crate) fn commit(self, entry: Entry) -> Listed {
        let Self { place, entry: mem } = self;
        let entry: Arc<Entry> = mem.write(entry).into();
        let mut devices = DEVICES.lock();
        // INVARIANT: The place kept is taken, not given back.
        devices.reserved = devices.reserved.saturating_sub(1);
        core::mem::forget(place);
        if let Err(PushError(entry)) = devices.list.push_within_capacity(entry.clone()) {
            // Not reached: the reservation kept room (the list's invariant). Were it, the
            // device would stay unlisted rather than lose its interface.
            drop(entry);
        }
        Listed(entry)
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut devices = DEVICES.lock();
        // INVARIANT: The place is given back; the room stays.
        devices.reserved = devices.reserved.saturating_sub(1);
        devices.release_if_unused();
    }
}

impl Devices {
    /// A static is never dropped: gives the list's buffer back when no device is listed or
    /// about to be, so that unloading the module (which unbinds every device first) leaks
    /// nothing.
    fn release_if_unused(&mut self) {
        if self.list.is_empty() && self.reserved == 0 {
            self.list = KVec::new();
        }
    }
}

/// A device's place in the list; dropping it takes the device out.
pub(crate) struct Listed(Arc<Entry>);

impl Drop for Listed {
    fn drop(&mut self) {
        let mut devices = DEVICES.lock();
        devices.list.retain(|e| !Arc::ptr_eq(e, &self.0));
        devices.release_if_unused();
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
        // Each reader sees the devices of its own network namespace, as in `/proc/net/dev`:
        // a container learns nothing of another's interfaces.
        let devices = DEVICES.lock();
        for e in devices.list.iter().filter(|e| e.netdev.in_current_net()) {
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
