//! The `Driver` aggregate (stream type `driver`, id = [`DriverId`]).
//!
//! Rules it enforces:
//! - Registering an id that already exists is rejected (`driver_already_registered`).
//! - A command on a driver that was never registered is not found (`driver_not_found`).
//! - A new driver is `active`.
//! - Only an active driver can be suspended (`driver_already_suspended`), and only a
//!   suspended one reinstated (`driver_not_suspended`). No reason is recorded: the proto
//!   carries none.
//! - An update replaces name and driving licence number, whatever the status; an update
//!   that changes nothing appends nothing.
//!
//! That a suspended driver cannot be assigned to a delivery is checked by the BFF
//! against the read model (DOMAIN.md, cross-aggregate rules).

pub mod messages;

use es_core::Aggregate;
use serde::{Deserialize, Serialize};

pub use messages::{DriverCommand, DriverError, DriverEvent, DriverStatus};

use crate::shared::{DriverId, Text};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredDriver {
    pub id: DriverId,
    pub name: Text<200>,
    pub driving_licence_number: Text<50>,
    pub status: DriverStatus,
}

/// The state: `None` until the driver is registered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Driver(Option<RegisteredDriver>);

impl Driver {
    pub fn registered(&self) -> Option<&RegisteredDriver> {
        self.0.as_ref()
    }

    fn set_status(&mut self, status: DriverStatus) {
        if let Some(driver) = &mut self.0 {
            driver.status = status;
        }
    }
}

impl Aggregate for Driver {
    const TYPE: &'static str = "driver";

    type Command = DriverCommand;
    type Event = DriverEvent;
    type Error = DriverError;

    fn handle(&self, command: DriverCommand) -> Result<Vec<DriverEvent>, DriverError> {
        let Some(driver) = &self.0 else {
            return match command {
                DriverCommand::Register {
                    driver_id,
                    name,
                    driving_licence_number,
                } => Ok(vec![DriverEvent::Registered {
                    driver_id,
                    name,
                    driving_licence_number,
                    status: DriverStatus::Active,
                }]),
                _ => Err(DriverError::NotFound),
            };
        };
        let driver_id = driver.id;
        match command {
            DriverCommand::Register { .. } => Err(DriverError::AlreadyRegistered),
            DriverCommand::Update {
                name,
                driving_licence_number,
            } => {
                if (&driver.name, &driver.driving_licence_number)
                    == (&name, &driving_licence_number)
                {
                    return Ok(vec![]);
                }
                Ok(vec![DriverEvent::Updated {
                    driver_id,
                    name,
                    driving_licence_number,
                }])
            }
            DriverCommand::Suspend => match driver.status {
                DriverStatus::Active => Ok(vec![DriverEvent::Suspended { driver_id }]),
                DriverStatus::Suspended => Err(DriverError::AlreadySuspended),
            },
            DriverCommand::Reinstate => match driver.status {
                DriverStatus::Suspended => Ok(vec![DriverEvent::Reinstated { driver_id }]),
                DriverStatus::Active => Err(DriverError::NotSuspended),
            },
        }
    }

    fn apply(&mut self, event: &DriverEvent) {
        match event {
            DriverEvent::Registered {
                driver_id,
                name,
                driving_licence_number,
                status,
            } => {
                self.0 = Some(RegisteredDriver {
                    id: *driver_id,
                    name: name.clone(),
                    driving_licence_number: driving_licence_number.clone(),
                    status: *status,
                });
            }
            DriverEvent::Updated {
                name,
                driving_licence_number,
                ..
            } => {
                if let Some(driver) = &mut self.0 {
                    driver.name = name.clone();
                    driver.driving_licence_number = driving_licence_number.clone();
                }
            }
            DriverEvent::Suspended { .. } => self.set_status(DriverStatus::Suspended),
            DriverEvent::Reinstated { .. } => self.set_status(DriverStatus::Active),
        }
    }
}

#[cfg(test)]
mod tests;
