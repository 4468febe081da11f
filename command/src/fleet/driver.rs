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

use es_core::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::shared::{DomainRule, DriverId, RuleKind, Text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriverStatus {
    Active,
    Suspended,
}

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

#[derive(Debug, Clone, PartialEq)]
pub enum DriverCommand {
    Register {
        driver_id: DriverId,
        name: Text<200>,
        driving_licence_number: Text<50>,
    },
    /// Replaces name and driving licence number.
    Update {
        name: Text<200>,
        driving_licence_number: Text<50>,
    },
    Suspend,
    Reinstate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum DriverEvent {
    #[serde(rename = "driver.registered.v1")]
    Registered {
        driver_id: DriverId,
        name: Text<200>,
        driving_licence_number: Text<50>,
        /// Always `active`; recorded so projectors need not know the rule.
        status: DriverStatus,
    },
    #[serde(rename = "driver.updated.v1")]
    Updated {
        driver_id: DriverId,
        name: Text<200>,
        driving_licence_number: Text<50>,
    },
    #[serde(rename = "driver.suspended.v1")]
    Suspended { driver_id: DriverId },
    #[serde(rename = "driver.reinstated.v1")]
    Reinstated { driver_id: DriverId },
}

impl DomainEvent for DriverEvent {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    #[error("driver is not registered")]
    NotFound,
    #[error("a driver with this id is already registered")]
    AlreadyRegistered,
    #[error("the driver is already suspended")]
    AlreadySuspended,
    #[error("the driver is not suspended")]
    NotSuspended,
}

impl DomainRule for DriverError {
    fn reason(&self) -> &'static str {
        match self {
            DriverError::NotFound => "driver_not_found",
            DriverError::AlreadyRegistered => "driver_already_registered",
            DriverError::AlreadySuspended => "driver_already_suspended",
            DriverError::NotSuspended => "driver_not_suspended",
        }
    }

    fn kind(&self) -> RuleKind {
        match self {
            DriverError::NotFound => RuleKind::NotFound,
            DriverError::AlreadyRegistered => RuleKind::AlreadyExists,
            DriverError::AlreadySuspended | DriverError::NotSuspended => RuleKind::Violation,
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
mod tests {
    use es_core::testing::AggregateTest;
    use uuid::Uuid;

    use super::*;

    fn id() -> DriverId {
        DriverId::from(Uuid::from_u128(0xd1))
    }

    fn name(raw: &str) -> Text<200> {
        Text::parse("name", raw).unwrap()
    }

    fn licence(raw: &str) -> Text<50> {
        Text::parse("driving_licence_number", raw).unwrap()
    }

    fn registered() -> DriverEvent {
        DriverEvent::Registered {
            driver_id: id(),
            name: name("Lewis Hamilton"),
            driving_licence_number: licence("HAMIL850107LH9"),
            status: DriverStatus::Active,
        }
    }

    fn suspended() -> DriverEvent {
        DriverEvent::Suspended { driver_id: id() }
    }

    #[test]
    fn a_new_driver_is_registered_active() {
        AggregateTest::<Driver>::given_no_previous_events()
            .when(DriverCommand::Register {
                driver_id: id(),
                name: name("Lewis Hamilton"),
                driving_licence_number: licence("HAMIL850107LH9"),
            })
            .then_expect_events(vec![registered()]);
    }

    #[test]
    fn registering_an_existing_id_is_rejected() {
        AggregateTest::<Driver>::given(vec![registered()])
            .when(DriverCommand::Register {
                driver_id: id(),
                name: name("George Russell"),
                driving_licence_number: licence("RUSSE980215GR1"),
            })
            .then_expect_error(DriverError::AlreadyRegistered);
    }

    #[test]
    fn commands_on_an_unregistered_driver_are_not_found() {
        for command in [
            DriverCommand::Update {
                name: name("Lewis Hamilton"),
                driving_licence_number: licence("HAMIL850107LH9"),
            },
            DriverCommand::Suspend,
            DriverCommand::Reinstate,
        ] {
            AggregateTest::<Driver>::given_no_previous_events()
                .when(command)
                .then_expect_error(DriverError::NotFound);
        }
    }

    #[test]
    fn an_update_replaces_name_and_driving_licence_number() {
        AggregateTest::<Driver>::given(vec![registered()])
            .when(DriverCommand::Update {
                name: name("Sir Lewis Hamilton"),
                driving_licence_number: licence("HAMIL850107LH0"),
            })
            .then_expect_events(vec![DriverEvent::Updated {
                driver_id: id(),
                name: name("Sir Lewis Hamilton"),
                driving_licence_number: licence("HAMIL850107LH0"),
            }]);
    }

    #[test]
    fn an_update_that_changes_nothing_appends_nothing() {
        AggregateTest::<Driver>::given(vec![registered()])
            .when(DriverCommand::Update {
                name: name("Lewis Hamilton"),
                driving_licence_number: licence("HAMIL850107LH9"),
            })
            .then_expect_events(vec![]);
    }

    #[test]
    fn a_suspended_driver_can_still_be_updated() {
        AggregateTest::<Driver>::given(vec![registered(), suspended()])
            .when(DriverCommand::Update {
                name: name("Lewis Hamilton"),
                driving_licence_number: licence("HAMIL850107LH0"),
            })
            .then_expect_events(vec![DriverEvent::Updated {
                driver_id: id(),
                name: name("Lewis Hamilton"),
                driving_licence_number: licence("HAMIL850107LH0"),
            }]);
    }

    #[test]
    fn an_active_driver_can_be_suspended() {
        AggregateTest::<Driver>::given(vec![registered()])
            .when(DriverCommand::Suspend)
            .then_expect_events(vec![suspended()]);
    }

    #[test]
    fn suspending_a_suspended_driver_is_rejected() {
        AggregateTest::<Driver>::given(vec![registered(), suspended()])
            .when(DriverCommand::Suspend)
            .then_expect_error(DriverError::AlreadySuspended);
    }

    #[test]
    fn a_suspended_driver_can_be_reinstated() {
        AggregateTest::<Driver>::given(vec![registered(), suspended()])
            .when(DriverCommand::Reinstate)
            .then_expect_events(vec![DriverEvent::Reinstated { driver_id: id() }]);
    }

    #[test]
    fn reinstating_an_active_driver_is_rejected() {
        AggregateTest::<Driver>::given(vec![registered()])
            .when(DriverCommand::Reinstate)
            .then_expect_error(DriverError::NotSuspended);
    }

    #[test]
    fn a_reinstated_driver_can_be_suspended_again() {
        AggregateTest::<Driver>::given(vec![
            registered(),
            suspended(),
            DriverEvent::Reinstated { driver_id: id() },
        ])
        .when(DriverCommand::Suspend)
        .then_expect_events(vec![suspended()]);
    }

    #[test]
    fn every_error_has_a_stable_reason_and_kind() {
        let cases = [
            (
                DriverError::NotFound,
                "driver_not_found",
                RuleKind::NotFound,
            ),
            (
                DriverError::AlreadyRegistered,
                "driver_already_registered",
                RuleKind::AlreadyExists,
            ),
            (
                DriverError::AlreadySuspended,
                "driver_already_suspended",
                RuleKind::Violation,
            ),
            (
                DriverError::NotSuspended,
                "driver_not_suspended",
                RuleKind::Violation,
            ),
        ];
        for (error, reason, kind) in cases {
            assert_eq!((error.reason(), error.kind()), (reason, kind));
        }
    }
}
