// SPDX-License-Identifier: GPL-2.0

//! The virtio-mmio register block and the virtio-net configuration space in it: the one place
//! that knows where each register is.
//!
//! Layout from virtio 1.2 §4.2.2 (version 2) and §4.2.4 (legacy, version 1), as
//! `include/uapi/linux/virtio_mmio.h` names it; the configuration space at `0x100` is
//! `struct virtio_net_config` (§5.1.4). Registers are 32 bits wide and little-endian; the
//! configuration fields are accessed at their natural width, as §4.2.2.2 requires. Values with
//! a meaning are typed at this edge, as nova-core does: booleans, the [`Version`] and the
//! [`DeviceType`].

use kernel::{
    io::register,
    num::Bounded, //
};

use crate::features::Version;

/// Size of the register window rvnet maps: control registers plus the configuration fields
/// it reads. QEMU gives each virtio-mmio device `0x200` bytes, Firecracker `0x1000`.
pub(crate) const REGION_SIZE: usize = 0x200;

/// `MagicValue`: `0x74726976`, "virt" in little-endian.
pub(crate) const VIRTIO_MMIO_MAGIC: u32 = 0x7472_6976;

register! {
    /// Magic value; identifies a virtio-mmio device.
    pub(crate) MAGIC_VALUE(u32) @ 0x000 {
        31:0 value;
    }

    /// Device version number: 1 (legacy) or 2; anything else is not a device rvnet knows.
    pub(crate) VERSION(u32) @ 0x004 {
        31:0 version ?=> Version;
    }

    /// Virtio subsystem device ID (1 is a network card, 0 an empty slot).
    pub(crate) DEVICE_ID(u32) @ 0x008 {
        31:0 device_id => DeviceType;
    }

    /// Flags representing features the device supports, 32 at a time (`DeviceFeatures`).
    pub(crate) DEVICE_FEATURES(u32) @ 0x010 {
        31:0 value;
    }

    /// Which 32 feature bits `DEVICE_FEATURES` shows (`DeviceFeaturesSel`).
    pub(crate) DEVICE_FEATURES_SEL(u32) @ 0x014 {
        31:0 value;
    }

    /// Flags representing the features the driver accepts, 32 at a time (`DriverFeatures`).
    pub(crate) DRIVER_FEATURES(u32) @ 0x020 {
        31:0 value;
    }

    /// Which 32 feature bits `DRIVER_FEATURES` sets (`DriverFeaturesSel`).
    pub(crate) DRIVER_FEATURES_SEL(u32) @ 0x024 {
        31:0 value;
    }

    /// Legacy only: the guest page size, in bytes, used for `QueuePFN` (`GuestPageSize`).
    pub(crate) GUEST_PAGE_SIZE(u32) @ 0x028 {
        31:0 value;
    }

    /// Which virtqueue the `QUEUE_*` registers refer to (`QueueSel`).
    pub(crate) QUEUE_SEL(u32) @ 0x030 {
        31:0 value;
    }

    /// Largest size of the selected queue the device supports, 0 if it does not exist
    /// (`QueueNumMax`).
    pub(crate) QUEUE_NUM_MAX(u32) @ 0x034 {
        31:0 value;
    }

    /// Size of the selected queue the driver uses (`QueueNum`).
    pub(crate) QUEUE_NUM(u32) @ 0x038 {
        31:0 value;
    }

    /// Legacy only: alignment of the used ring, in bytes (`QueueAlign`).
    pub(crate) QUEUE_ALIGN(u32) @ 0x03c {
        31:0 value;
    }

    /// Legacy only: page frame number of the selected queue's ring, 0 when unused
    /// (`QueuePFN`).
    pub(crate) QUEUE_PFN(u32) @ 0x040 {
        31:0 value;
    }

    /// Version 2 only: the selected queue is in use (`QueueReady`).
    pub(crate) QUEUE_READY(u32) @ 0x044 {
        0:0 ready => bool;
    }

    /// Writing a queue index tells the device there are new buffers in it (`QueueNotify`).
    pub(crate) QUEUE_NOTIFY(u32) @ 0x050 {
        31:0 value;
    }

    /// Why the device interrupted (`InterruptStatus`).
    pub(crate) INTERRUPT_STATUS(u32) @ 0x060 {
        /// The configuration space changed.
        1:1 config_changed => bool;
        /// A queue has new used buffers.
        0:0 used_buffer => bool;
    }

    /// Acknowledges the interrupt causes written (`InterruptACK`): the bits of
    /// [`INTERRUPT_STATUS`], and no other (the VIRTIO specification, 4.2.2.2: the driver MUST
    /// NOT set any of the undefined bits).
    pub(crate) INTERRUPT_ACK(u32) @ 0x064 {
        /// The configuration change was handled.
        1:1 config_changed => bool;
        /// The used buffers were seen.
        0:0 used_buffer => bool;
    }

    /// Device status (`Status`); writing 0 resets the device.
    pub(crate) STATUS(u32) @ 0x070 {
        /// The driver gave up on the device.
        7:7 failed => bool;
        /// The device hit an error it cannot recover from without a reset.
        6:6 device_needs_reset => bool;
        /// The driver accepted the features (not on legacy devices).
        3:3 features_ok => bool;
        /// The driver is ready to drive the device.
        2:2 driver_ok => bool;
        /// The driver knows how to drive the device.
        1:1 driver => bool;
        /// The driver noticed the device.
        0:0 acknowledge => bool;
    }

    /// Version 2 only: bus address of the selected queue's descriptor table, low 32 bits.
    pub(crate) QUEUE_DESC_LOW(u32) @ 0x080 {
        31:0 value;
    }

    /// Version 2 only: bus address of the descriptor table, high 32 bits.
    pub(crate) QUEUE_DESC_HIGH(u32) @ 0x084 {
        31:0 value;
    }

    /// Version 2 only: bus address of the available ring ("driver area"), low 32 bits.
    pub(crate) QUEUE_DRIVER_LOW(u32) @ 0x090 {
        31:0 value;
    }

    /// Version 2 only: bus address of the available ring, high 32 bits.
    pub(crate) QUEUE_DRIVER_HIGH(u32) @ 0x094 {
        31:0 value;
    }

    /// Version 2 only: bus address of the used ring ("device area"), low 32 bits.
    pub(crate) QUEUE_DEVICE_LOW(u32) @ 0x0a0 {
        31:0 value;
    }

    /// Version 2 only: bus address of the used ring, high 32 bits.
    pub(crate) QUEUE_DEVICE_HIGH(u32) @ 0x0a4 {
        31:0 value;
    }

    /// Version 2 only: changes whenever the configuration space changes (`ConfigGeneration`).
    pub(crate) CONFIG_GENERATION(u32) @ 0x0fc {
        31:0 value;
    }

    // The virtio-net configuration space (`struct virtio_net_config`, virtio 1.2 §5.1.4) at
    // `0x100`: `u8 mac[6]` at 0, `le16 status` at 6, `le16 max_virtqueue_pairs` at 8, `le16 mtu`
    // at 10. Read through `Transport::read_config`, inside a generation check (`nic`).

    /// virtio-net `mac[6]`.
    pub(crate) NET_MAC(u8)[6] @ 0x100 {
        7:0 value;
    }

    /// virtio-net `status` (valid with `VIRTIO_NET_F_STATUS`).
    pub(crate) NET_STATUS(u16) @ 0x106 {
        /// `VIRTIO_NET_S_ANNOUNCE`: the driver should announce itself (`GUEST_ANNOUNCE`).
        1:1 announce => bool;
        /// `VIRTIO_NET_S_LINK_UP`: the link is up.
        0:0 link_up => bool;
    }

    /// virtio-net `mtu` (valid with `VIRTIO_NET_F_MTU`).
    pub(crate) NET_MTU(u16) @ 0x10a {
        15:0 mtu => u16;
    }
}

// The last register read must lie inside the window that is mapped.
const _: () = {
    use kernel::io::register::Register;
    assert!(<NET_MTU as Register>::OFFSET + 2 <= REGION_SIZE);
};

/// Virtio device types (virtio 1.2 §5), as `DeviceID` reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeviceType {
    /// 0: a placeholder slot with no device behind it.
    Empty,
    /// 1: a network card, the only type rvnet drives.
    Network,
    /// 2: a block device.
    Block,
    /// 3: a console.
    Console,
    /// 4: an entropy source.
    Entropy,
    /// Any other type.
    Other(u32),
}

impl From<Bounded<u32, 32>> for DeviceType {
    fn from(id: Bounded<u32, 32>) -> Self {
        match id.get() {
            0 => Self::Empty,
            1 => Self::Network,
            2 => Self::Block,
            3 => Self::Console,
            4 => Self::Entropy,
            other => Self::Other(other),
        }
    }
}

impl From<DeviceType> for Bounded<u32, 32> {
    fn from(kind: DeviceType) -> Self {
        Bounded::from(match kind {
            DeviceType::Empty => 0,
            DeviceType::Network => 1,
            DeviceType::Block => 2,
            DeviceType::Console => 3,
            DeviceType::Entropy => 4,
            DeviceType::Other(id) => id,
        })
    }
}

impl TryFrom<Bounded<u32, 32>> for Version {
    type Error = u32;

    fn try_from(value: Bounded<u32, 32>) -> Result<Self, u32> {
        Self::try_from(value.get())
    }
}

impl From<Version> for Bounded<u32, 32> {
    fn from(version: Version) -> Self {
        Bounded::from(version.number())
    }
}
