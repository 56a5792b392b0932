// SPDX-License-Identifier: GPL-2.0

//! A probe step that failed, and how: the one error type of every step of identifying and
//! initialising a device (at probe, or again after a reset), logged once, where rvnet gives up.

use kernel::{
    device,
    prelude::*, //
};

/// A probe step that failed, and how.
pub(crate) struct Failed {
    /// What the driver was doing, for the log.
    pub(crate) step: &'static str,
    /// The error probe returns.
    pub(crate) err: Error,
}

impl Failed {
    /// Logs the failure, the one message a failed probe leaves, and returns its error: the
    /// errno's name where the kernel knows names (`CONFIG_SYMBOLIC_ERRNAME`), else its number.
    pub(crate) fn log(self, dev: &device::Device) -> Error {
        match self.err.name().and_then(|name| name.to_str().ok()) {
            Some(name) => dev_err!(dev, "{} failed: {}\n", self.step, name),
            None => dev_err!(dev, "{} failed: {}\n", self.step, self.err.to_errno()),
        }
        self.err
    }

    /// Logs the failure of a step of resetting interface `name`'s device (for `why`), after
    /// which rvnet gives up on the device, and returns its error.
    pub(crate) fn log_reset(self, dev: &device::Device, name: &str, why: &str) -> Error {
        let tail = "the device is left FAILED and the interface down";
        match self.err.name().and_then(|e| e.to_str().ok()) {
            Some(e) => dev_err!(
                dev,
                "{name}: device reset ({why}): {} failed: {e}; {tail}\n",
                self.step
            ),
            None => dev_err!(
                dev,
                "{name}: device reset ({why}): {} failed: {}; {tail}\n",
                self.step,
                self.err.to_errno()
            ),
        }
        self.err
    }
}

/// Names the probe step a [`Result`] comes from.
pub(crate) trait During<T> {
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
