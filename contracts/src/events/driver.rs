//! Events of aggregate type `driver` (topic `<prefix>.fleet.events`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::aggregate_events;
use super::words::words;

aggregate_events! {
    pub enum DriverEvent for "driver" {
        "driver.registered.v1" => Registered(Registered),
        "driver.updated.v1" => Updated(Updated),
        "driver.suspended.v1" => Suspended(Suspended),
        "driver.reinstated.v1" => Reinstated(Reinstated),
    }
}

words! {
    /// Only an active driver can be booked for deliveries.
    pub enum DriverStatus {
        Active = "active",
        Suspended = "suspended",
    }
}

/// A driver joined the fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Registered {
    pub driver_id: Uuid,
    pub name: String,
    pub driving_licence_number: String,
    /// Always `active`; recorded so readers need not know the rule.
    pub status: DriverStatus,
}

/// The driver's name and licence replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Updated {
    pub driver_id: Uuid,
    pub name: String,
    pub driving_licence_number: String,
}

/// The driver may no longer be booked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Suspended {
    pub driver_id: Uuid,
}

/// A suspended driver is active again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reinstated {
    pub driver_id: Uuid,
}
