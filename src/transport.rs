// SPDX-License-Identifier: GPL-2.0

//! Typed operations on a virtio-mmio device: identification, reset, status handshake, feature
//! negotiation, queue setup, notifications, interrupts, and raw reads of the device-specific
//! configuration, for both register layouts. It knows nothing of virtio-net: `nic` reads the
//! network card's configuration through [`Transport::read_config`].
//!
//! Mirrors `drivers/virtio/virtio_mmio.c` (`virtio_mmio_probe()`, `vm_reset()`,
//! `vm_get_features()`, `vm_finalize_features()`, `vm_get()`, `vm_generation()`); virtio 1.2
//! §3.1 (device initialisation) and §4.2.3 (MMIO-specific initialisation).

use kernel::{
    device,
    dma::DmaAddress,
    io::{
        mem::ExclusiveIoMem,
        poll::read_poll_timeout,
        Io,
        IoCapable,
        IoLoc,
        MmioBackend,
        Region, //
    },
    platform,
    prelude::*,
    time::Delta, //
};

use crate::{
    failed::Failed,
    features::{
        Features,
        Version, //
    },
    regs::{
        self,
        *, //
    },
    virtqueue::ring::LegacyQueue,
};

/// The register window of one device.
type IoMem<'a> = ExclusiveIoMem<'a, { regs::REGION_SIZE }>;

/// Why [`Transport::new`] did not take a device.
pub(crate) enum IdentifyError {
    /// Not a virtio-net device: someone else's business, left untouched.
    NotNetwork(DeviceType),
    /// The device cannot be used; the step and the error say why.
    Failed(Failed),
}

impl IdentifyError {
    fn failed(step: &'static str, err: Error) -> Self {
        Self::Failed(Failed { step, err })
    }
}

/// Where a virtqueue's parts lie in bus memory.
pub(crate) struct QueueAddresses {
    /// The descriptor table.
    pub(crate) desc: DmaAddress,
    /// The available ring.
    pub(crate) avail: DmaAddress,
    /// The used ring.
    pub(crate) used: DmaAddress,
}

/// How long a reset may take before the device is declared broken.
const RESET_TIMEOUT: Delta = Delta::from_millis(100);

/// A mapped, identified virtio-mmio network device.
///
/// Dropping it resets the device, so it stops all DMA and interrupts, before its register window
/// is unmapped and its memory region released. Anything the device may still access (rings,
/// buffers) must therefore be dropped after the `Transport`.
///
/// # Invariants
///
/// When `given_up` is set, the device was reset (or told to) and has only `FAILED` set since.
pub(crate) struct Transport<'a> {
    io: IoMem<'a>,
    version: Version,
    /// The driver gave up on the device ([`give_up`](Self::give_up)): dropping it leaves
    /// `FAILED` set.
    given_up: bool,
}

impl<'a> Transport<'a> {
    /// Claims and maps the device's registers and checks what it is. Nothing is written to a
    /// device that is not a virtio-net device.
    ///
    /// # Errors
    ///
    /// [`IdentifyError::NotNetwork`] for any other virtio device, [`IdentifyError::Failed`]
    /// with `EBUSY` when another driver (`virtio_mmio`) owns the region, `ENODEV` for a
    /// missing region, a bad magic value or an unknown version, and mapping errors.
    pub(crate) fn new(pdev: &'a platform::Device<device::Bound>) -> Result<Self, IdentifyError> {
        let io = pdev
            .io_request_by_index(0)
            .ok_or(IdentifyError::failed("finding the register region", ENODEV))?
            .iomap_exclusive_sized::<{ regs::REGION_SIZE }>()
            .map_err(|e| {
                let step = if e == EBUSY {
                    "claiming the register region (another driver, e.g. virtio_mmio, holds it)"
                } else {
                    "claiming and mapping the register region"
                };
                IdentifyError::failed(step, e)
            })?;

        if io.read(MAGIC_VALUE).value() != VIRTIO_MMIO_MAGIC {
            return Err(IdentifyError::failed("checking the magic value", ENODEV));
        }
        let version = io
            .read(VERSION)
            .version()
            .map_err(|_| IdentifyError::failed("checking the version (not 1 or 2)", ENODEV))?;
        match io.read(DEVICE_ID).device_id() {
            DeviceType::Network => {}
            other => return Err(IdentifyError::NotNetwork(other)),
        }

        let transport = Self {
            io,
            version,
            given_up: false,
        };
        if version == Version::Legacy {
            // Legacy queues are placed by page frame number, in units of the page size the
            // driver gives: 4 KiB, the rings' alignment, whatever the kernel's page size.
            transport
                .io
                .write_reg(GUEST_PAGE_SIZE::from(LegacyQueue::GUEST_PAGE_SIZE));
        }
        Ok(transport)
    }

    /// The register layout of the device.
    pub(crate) fn version(&self) -> Version {
        self.version
    }

    /// Resets the device and waits until it reads back a zero status.
    ///
    /// # Errors
    ///
    /// `ETIMEDOUT` when the device does not finish its reset in time.
    pub(crate) fn reset(&self) -> Result {
        self.io.write_reg(STATUS::zeroed());
        // TIMEOUT: A device that never clears its status is broken; give up after 100 ms.
        read_poll_timeout(
            || Ok(u32::from(self.io.read(STATUS))),
            |status| *status == 0,
            Delta::from_millis(1),
            RESET_TIMEOUT,
        )
        .map(|_| ())
    }

    /// Gives up on the device: resets it, so that it stops, then sets `FAILED`, which it keeps
    /// until a driver resets it again. The VIRTIO specification (§3.1.1): if initialisation
    /// goes irrecoverably wrong, the driver SHOULD set `FAILED` to say it has given up on the
    /// device; `virtio_dev_probe()` sets it when a driver's probe fails.
    pub(crate) fn give_up(mut self) {
        // A device that does not confirm its reset is told all the same.
        let _ = self.reset();
        self.add_status(|s| s.with_failed(true));
        // INVARIANT: Reset, then `FAILED` alone.
        self.given_up = true;
    }

    /// Tells the device to reset (writes 0 to its status) without waiting for it to confirm:
    /// it stops, and drops its interrupt. For the interrupt handler, which cannot wait; the
    /// driver then resets it again with [`reset`](Self::reset) before setting it up.
    pub(crate) fn stop(&self) {
        self.io.write_reg(STATUS::zeroed());
    }

    /// Gives up on a device in use, whose registers stay mapped: resets it, so that it stops
    /// using the memory it was given, and sets `FAILED` (virtio 1.4, 3.1.1), as `give_up`
    /// does at probe. The caller must not use the device's queues again.
    pub(crate) fn fail(&self) {
        // A device that does not confirm its reset is told all the same.
        let _ = self.reset();
        self.add_status(|s| s.with_failed(true));
    }

    /// Adds status bits (`vm_set_status(vm_get_status() | bits)`).
    pub(crate) fn add_status(&self, f: impl FnOnce(STATUS) -> STATUS) {
        self.io.update(STATUS, f);
    }

    /// Reads the device status.
    pub(crate) fn status(&self) -> STATUS {
        self.io.read(STATUS)
    }

    /// Reads the 64 feature bits the device offers (legacy devices have 32).
    pub(crate) fn device_features(&self) -> Features {
        let word = |sel: u32| {
            self.io.write_reg(DEVICE_FEATURES_SEL::from(sel));
            u32::from(self.io.read(DEVICE_FEATURES))
        };
        let low = word(0);
        let high = match self.version {
            Version::Legacy => 0,
            Version::Modern => word(1),
        };
        Features::from_words(low, high)
    }

    /// Writes the features the driver accepts.
    pub(crate) fn set_driver_features(&self, features: Features) {
        let words = match self.version {
            Version::Legacy => 1,
            Version::Modern => 2,
        };
        for sel in 0..words {
            self.io.write_reg(DRIVER_FEATURES_SEL::from(sel));
            self.io.write_reg(DRIVER_FEATURES::from(features.word(sel)));
        }
    }

    /// Selects queue `index` and returns how many entries it may have; 0 when it does not exist.
    ///
    /// # Errors
    ///
    /// `EBUSY` when the queue is already in use, which a freshly reset device never reports.
    pub(crate) fn queue_max(&self, index: u16) -> Result<u32> {
        self.io.write_reg(QUEUE_SEL::from(u32::from(index)));
        let in_use = match self.version {
            Version::Legacy => u32::from(self.io.read(QUEUE_PFN)) != 0,
            Version::Modern => self.io.read(QUEUE_READY).ready(),
        };
        if in_use {
            return Err(EBUSY);
        }
        Ok(u32::from(self.io.read(QUEUE_NUM_MAX)))
    }

    /// Gives queue `index` of `num` entries to the device (virtio 1.2 §4.2.3.2; legacy:
    /// §4.2.4). The legacy layout takes one ring aligned to 4 KiB, whose frame number must
    /// fit in 32 bits (`ring::LegacyQueue`); the driver sets a DMA mask that guarantees it.
    ///
    /// # Errors
    ///
    /// `EINVAL` when a legacy ring is not 4 KiB-aligned or beyond the 32-bit frame range.
    pub(crate) fn queue_activate(&self, index: u16, num: u16, addr: &QueueAddresses) -> Result {
        self.io.write_reg(QUEUE_SEL::from(u32::from(index)));
        self.io.write_reg(QUEUE_NUM::from(u32::from(num)));
        match self.version {
            Version::Legacy => {
                let q = LegacyQueue::new(addr.desc).ok_or(EINVAL)?;
                self.io.write_reg(QUEUE_ALIGN::from(q.queue_align));
                self.io.write_reg(QUEUE_PFN::from(q.pfn));
            }
            Version::Modern => {
                // CAST: Splitting 64-bit addresses into their 32-bit halves.
                let split = |a: DmaAddress| (a as u32, (a >> 32) as u32);
                let (desc, avail, used) = (split(addr.desc), split(addr.avail), split(addr.used));
                self.io.write_reg(QUEUE_DESC_LOW::from(desc.0));
                self.io.write_reg(QUEUE_DESC_HIGH::from(desc.1));
                self.io.write_reg(QUEUE_DRIVER_LOW::from(avail.0));
                self.io.write_reg(QUEUE_DRIVER_HIGH::from(avail.1));
                self.io.write_reg(QUEUE_DEVICE_LOW::from(used.0));
                self.io.write_reg(QUEUE_DEVICE_HIGH::from(used.1));
                self.io.write_reg(QUEUE_READY::zeroed().with_ready(true));
            }
        }
        Ok(())
    }

    /// Tells the device that queue `index` has new buffers (`vm_notify()`).
    pub(crate) fn notify(&self, index: u16) {
        self.io.write_reg(QUEUE_NOTIFY::from(u32::from(index)));
    }

    /// Reads why the device interrupted and acknowledges it (`vm_interrupt()`).
    ///
    /// The acknowledgement is written even when the status is 0, as `vm_interrupt()` does: it
    /// makes the device recompute its interrupt line. QEMU can leave the line of a device that
    /// was reset with an interrupt pending raised with the status at 0; without the write, the
    /// level-triggered line fired 10,000 times in a row after an unbind/bind under traffic,
    /// until the kernel disabled it ("irq N: nobody cared").
    ///
    /// Only the two causes the specification defines are acknowledged: a device that sets
    /// other bits of the status does not have them written back.
    pub(crate) fn ack_interrupt(&self) -> INTERRUPT_STATUS {
        let status = self.io.read(INTERRUPT_STATUS);
        self.io.write_reg(
            INTERRUPT_ACK::zeroed()
                .with_used_buffer(status.used_buffer())
                .with_config_changed(status.config_changed()),
        );
        status
    }

    /// The configuration generation (`ConfigGeneration`); legacy devices have none, so it
    /// never changes. A reader of several configuration fields compares it before and after.
    pub(crate) fn config_generation(&self) -> u32 {
        match self.version {
            Version::Legacy => 0,
            Version::Modern => u32::from(self.io.read(CONFIG_GENERATION)),
        }
    }

    /// Reads a field of the device-specific configuration space, a register of [`regs`] from
    /// `0x100` on (`vm_get()`).
    ///
    /// Legacy configuration space is guest-endian, version 2 little-endian: the same on the
    /// little-endian machines (x86, arm64) that have virtio-mmio NICs.
    pub(crate) fn read_config<T, L>(&self, field: L) -> T
    where
        L: IoLoc<Region<{ regs::REGION_SIZE }>, T>,
        MmioBackend: IoCapable<L::IoType>,
    {
        self.io.read(field)
    }

    /// Writes a field of the device-specific configuration space (`vm_set()`), with the byte
    /// order of [`Self::read_config`].
    pub(crate) fn write_config<T, L>(&self, field: L, value: T)
    where
        L: IoLoc<Region<{ regs::REGION_SIZE }>, T>,
        MmioBackend: IoCapable<L::IoType>,
    {
        self.io.write(field, value)
    }
}

impl Drop for Transport<'_> {
    fn drop(&mut self) {
        // The device must stop touching memory before anything it may access is freed; a
        // device that does not confirm is still told to stop, and nothing better can be done.
        // One given up on was reset already and uses nothing (type invariant): it keeps
        // `FAILED`.
        if !self.given_up {
            let _ = self.reset();
        }
    }
}
