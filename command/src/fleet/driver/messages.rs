//! What a driver is told (commands, parsed values only), what it records (events)
//! and how it refuses (errors, each with a stable reason), with the status they carry.

use es_core::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::shared::{DomainRule, DriverId, RuleKind, Text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriverStatus {
    Active,
    Suspended,
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
