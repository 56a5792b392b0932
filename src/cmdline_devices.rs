// SPDX-License-Identifier: GPL-2.0

//! The devices of the `device=` module parameter: checked, then made into `rvnet.<id>` platform
//! devices that the driver binds, and removed again when the module goes.
//!
//! For guests whose VMM describes its devices on the kernel command line (Firecracker, QEMU
//! `microvm` with `acpi=off`): their `virtio_mmio.device=` entries, given to `insmod rvnet.ko`
//! as `device=`. A device that is not a network card is left alone. Any other entry that
//! cannot be served (malformed, overlapping another, no virtio device there, held by another
//! driver, an interrupt the probe cannot have) fails the load with one message naming it, and
//! the devices made before it are removed again: nothing is loaded half-way.

use kernel::{
    alloc::KVec,
    prelude::*,
    str::{
        BStr,
        CStr, //
    },
};

use crate::{
    cmdline::{
        assign_ids,
        Entry,
        EntryError,
        SetError,
        Slot,
        MAX_ENTRIES, //
    },
    kernel_ext::{
        device_param::device_args, mmio_peek::peek_identity, platform_device::PlatformDevice,
    },
};

/// The devices made from the `device=` entries, each bound to rvnet.
pub(crate) struct CmdlineDevices {
    _devices: KVec<PlatformDevice>,
}

/// Lets the kernel's logging macros print why an entry is refused.
impl kernel::fmt::Display for EntryError {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

/// An entry as the user wrote it, for messages.
fn shown(arg: &CStr) -> &BStr {
    BStr::from_bytes(arg.to_bytes())
}

impl CmdlineDevices {
    /// Makes a platform device for each network card among the `device=` entries; the driver,
    /// registered before, binds each as it is made.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a malformed entry or two in conflict, `ENODEV` where no virtio device
    /// answers or rvnet could not bind the card, `EBUSY` for a region a driver holds; each with
    /// one message naming the entry.
    pub(crate) fn new() -> Result<Self> {
        let mut args = KVec::new();
        let mut entries = KVec::new();
        for arg in device_args() {
            let entry = Entry::parse(arg.to_bytes()).map_err(|why| {
                pr_err!("device={}: {}\n", shown(arg), why);
                EINVAL
            })?;
            args.push(arg, GFP_KERNEL)?;
            entries.push(entry, GFP_KERNEL)?;
        }
        let arg = |i: usize| args.get(i).map_or(BStr::from_bytes(b"?"), |a| shown(a));
        let mut ids = [0; MAX_ENTRIES];
        assign_ids(&entries, &mut ids).map_err(|conflict| {
            match conflict {
                SetError::TooMany => pr_err!("more than {} device= entries\n", MAX_ENTRIES),
                SetError::Overlap(i, j) => {
                    pr_err!("device={}: overlaps device={}\n", arg(i), arg(j))
                }
                SetError::SameId(i, j) => pr_err!(
                    "device={}: the same device number as device={}\n",
                    arg(i),
                    arg(j)
                ),
            }
            EINVAL
        })?;

        // Dropped on any error below: the devices made so far are removed again.
        let mut devices = KVec::new();
        for (i, (entry, &id)) in entries.iter().zip(ids.iter()).enumerate() {
            let regs = peek_identity(entry.base, entry.size).inspect_err(|e| {
                if *e == EBUSY {
                    pr_err!(
                        "device={}: the region is held by another driver (virtio_mmio?)\n",
                        arg(i)
                    );
                } else {
                    pr_err!("device={}: the region cannot be mapped\n", arg(i));
                }
            })?;
            let [magic, version, device_id] = regs;
            match Slot::identify(magic, version, device_id) {
                Slot::Net => {}
                Slot::Empty => {
                    pr_info!(
                        "device={}: no device behind the transport, left alone\n",
                        arg(i)
                    );
                    continue;
                }
                Slot::Other(kind) => {
                    pr_info!(
                        "device={}: virtio device type {}, not a network card, left alone\n",
                        arg(i),
                        kind
                    );
                    continue;
                }
                Slot::NotVirtio(magic) => {
                    pr_err!(
                        "device={}: no virtio-mmio device answers there (magic value {:#x})\n",
                        arg(i),
                        magic
                    );
                    return Err(ENODEV);
                }
                Slot::BadVersion(version) => {
                    pr_err!(
                        "device={}: virtio-mmio version {}, not 1 or 2\n",
                        arg(i),
                        version
                    );
                    return Err(ENODEV);
                }
            }
            let dev = PlatformDevice::register(id, entry.base, entry.size, entry.irq).inspect_err(
                |e| {
                    pr_err!(
                        "device={}: making platform device rvnet.{} failed: {:?}\n",
                        arg(i),
                        id,
                        e
                    );
                },
            )?;
            if !dev.is_bound() {
                // The probe said why (e.g. the interrupt could not be had).
                pr_err!(
                    "device={}: rvnet could not bind rvnet.{} (see the message before)\n",
                    arg(i),
                    id
                );
                return Err(ENODEV);
            }
            devices.push(dev, GFP_KERNEL)?;
        }
        Ok(Self { _devices: devices })
    }
}
