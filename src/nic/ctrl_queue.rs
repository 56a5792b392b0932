// SPDX-License-Identifier: GPL-2.0

//! The control virtqueue (`VIRTIO_NET_F_CTRL_VQ`): one command at a time, and a bounded wait
//! for the device's answer.
//!
//! `virtnet_send_command_reply()` of `drivers/net/virtio_net.c` spins until the device answers,
//! for as long as it takes; a device that never answers hangs the task, holding RTNL. rvnet
//! waits [`ANSWER_TIMEOUT_MS`], sleeping between looks, then gives the queue up: the unanswered
//! command's buffers stay the device's until it is reset, and every later command fails at
//! once, logged. The wait sleeps, so the queue is only reachable through a [`Mutex`]
//! (`Nic::ctrl`), which may not be taken in atomic context either: commands the core asks for
//! in atomic context (`ndo_set_rx_mode`) are sent from a work item.
//!
//! [`Mutex`]: kernel::sync::Mutex

use kernel::{
    device::{
        Bound,
        Device, //
    },
    io::{
        io_project,
        Io, //
    },
    prelude::*,
    time::{
        delay::fsleep,
        Delta, //
    },
};

use crate::{
    transport::Transport,
    virtqueue::{
        Direction,
        Virtqueue, //
    },
};

use super::ctrl::{
    answer,
    BadAnswer,
    Command,
    MAX_COMMAND, //
};

/// How long the device has to answer a command, in milliseconds: it is looked for every
/// millisecond, so this is also the number of looks after the first. QEMU answers during the
/// notification itself (the MMIO write traps into it), so the first look finds the answer.
const ANSWER_TIMEOUT_MS: u32 = 1000;

/// The control virtqueue of a device.
pub(crate) struct CtrlQueue {
    vq: Virtqueue,
    /// The device left a command unanswered or answered it with something that is not an
    /// answer: no more commands are sent.
    broken: bool,
    /// The 802.1Q VLANs the device was told to let through (`VLAN_ADD`), one bit per id: a
    /// device that is reset forgets them, and is told again.
    vlans: [u64; VLAN_WORDS],
}

/// 64-bit words of a bitmap of the 4096 VLAN ids.
pub(crate) const VLAN_WORDS: usize = 4096 / 64;

/// The VLAN ids set in `bitmap`, in order.
pub(crate) fn vlan_ids(bitmap: &[u64; VLAN_WORDS]) -> impl Iterator<Item = u16> + '_ {
    (0..4096u16).filter(|&vid| {
        bitmap
            .get(usize::from(vid / 64))
            .is_some_and(|word| word & (1 << (vid % 64)) != 0)
    })
}

impl CtrlQueue {
    /// Sets up queue `index` as the control queue.
    ///
    /// # Errors
    ///
    /// The errors of [`Virtqueue::new`].
    pub(crate) fn new(
        transport: &Transport<'_>,
        dev: &Device<Bound>,
        index: u16,
        event_idx: bool,
    ) -> Result<Self> {
        let mut vq = Virtqueue::new(
            transport,
            dev,
            index,
            MAX_COMMAND,
            Direction::DriverWrites,
            event_idx,
        )?;
        // Answers are looked for, not waited on.
        vq.disable_cb();
        Ok(Self {
            vq,
            broken: false,
            vlans: [0; VLAN_WORDS],
        })
    }

    /// Records that VLAN `vid` is let through (`on`) or not any more.
    pub(crate) fn note_vlan(&mut self, vid: u16, on: bool) {
        let bit = 1u64 << (vid % 64);
        if let Some(word) = self.vlans.get_mut(usize::from(vid / 64)) {
            if on {
                *word |= bit;
            } else {
                *word &= !bit;
            }
        }
    }

    /// The VLANs the device was told to let through, as a bitmap ([`vlan_ids`] lists them).
    pub(crate) fn vlans(&self) -> [u64; VLAN_WORDS] {
        self.vlans
    }

    /// Gives the queue again, empty, to a device that was reset (`Virtqueue::restart`): a
    /// queue given up on the old device is usable again.
    ///
    /// # Errors
    ///
    /// The errors of [`Virtqueue::restart`].
    pub(crate) fn restart(&mut self, transport: &Transport<'_>) -> Result {
        self.vq.restart(transport, self.vq.capacity())?;
        self.vq.disable_cb();
        self.broken = false;
        Ok(())
    }

    /// Sends `cmd` and waits for the answer; `pdev` names the device in messages.
    ///
    /// # Errors
    ///
    /// - `EIO` when the device refused the command (`VIRTIO_NET_ERR`), answered garbage, or the
    ///   queue was given up earlier; `ETIMEDOUT` when the device did not answer in time. Each
    ///   is logged.
    /// - `EINVAL` for a command that does not fit (a bug: the callers bound their tables).
    pub(crate) fn send(
        &mut self,
        transport: &Transport<'_>,
        pdev: &Device<Bound>,
        cmd: &Command<'_>,
    ) -> Result {
        if self.broken {
            dev_err!(pdev, "control queue given up: {} not sent\n", cmd.name());
            return Err(EIO);
        }
        let mut bytes = [0u8; MAX_COMMAND];
        let len = cmd.encode(&mut bytes).map_err(|_| EINVAL)?;
        let head = self.vq.alloc_chain(2).ok_or(EIO)?;
        match self.post(transport, head, bytes.get(..len).ok_or(EINVAL)?) {
            Ok(()) => {}
            Err(e) => {
                self.vq.free(head);
                return Err(e);
            }
        }
        let mut looks = 0;
        while self.vq.used_pending().unwrap_or(0) == 0 {
            if looks == ANSWER_TIMEOUT_MS {
                self.broken = true;
                dev_err!(
                    pdev,
                    "the device did not answer {} in {} ms: control queue given up\n",
                    cmd.name(),
                    ANSWER_TIMEOUT_MS
                );
                return Err(ETIMEDOUT);
            }
            fsleep(Delta::from_millis(1));
            looks += 1;
        }
        let outcome = match self.vq.pop_used() {
            Ok(used) if used.id == head => self
                .status(head)
                .map_or(Err(BadAnswer::Garbage(0)), |status| {
                    answer(status, used.len)
                }),
            _ => Err(BadAnswer::Garbage(0)),
        };
        match outcome {
            Ok(()) => {
                self.vq.free(head);
                Ok(())
            }
            Err(BadAnswer::Refused) => {
                self.vq.free(head);
                dev_warn!(pdev, "the device refused {}\n", cmd.name());
                Err(EIO)
            }
            Err(BadAnswer::Garbage(value)) => {
                // Nothing it says about this queue can be believed any more.
                self.broken = true;
                dev_err!(
                    pdev,
                    "the device answered {} with garbage ({:#04x}): control queue given up\n",
                    cmd.name(),
                    value
                );
                Err(EIO)
            }
        }
    }

    /// Writes the command `bytes` and a status byte the device has not written yet into the
    /// chain at `head`, posts it and notifies the device.
    fn post(&mut self, transport: &Transport<'_>, head: u16, bytes: &[u8]) -> Result {
        let reply = self.vq.chain_next(head).ok_or(EINVAL)?;
        let request = self.vq.buf(head, bytes.len())?;
        io_project!(request, [try: 0..bytes.len()]).copy_from_slice(bytes);
        let status = self.vq.buf(reply, 1)?;
        io_project!(status, [try: 0..1]).copy_from_slice(&[u8::MAX]);
        self.vq.post_request(head, bytes.len(), 1)?;
        self.vq.kick(transport);
        Ok(())
    }

    /// The status byte of the chain at `head`.
    fn status(&self, head: u16) -> Result<u8> {
        let reply = self.vq.chain_next(head).ok_or(EINVAL)?;
        let view = self.vq.buf(reply, 1)?;
        let mut status = [u8::MAX];
        io_project!(view, [try: 0..1]).copy_to_slice(&mut status);
        Ok(status[0])
    }
}
