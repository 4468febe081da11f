//! Events of aggregate type `vehicle` (topic `<prefix>.fleet.events`): customers'
//! cars the workshop services and the fleet's vans, keyed by license number.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::aggregate_events;
use super::words::words;

aggregate_events! {
    pub enum VehicleEvent for "vehicle" {
        "vehicle.registered.v1" => Registered(Registered),
        "vehicle.updated.v1" => Updated(Updated),
        "vehicle.status_changed.v1" => StatusChanged(StatusChanged),
    }
}

words! {
    /// Whose vehicle it is: a customer's car or a van of the delivery fleet.
    pub enum VehicleUsage {
        Customer = "customer",
        Fleet = "fleet",
    }
}

words! {
    /// A fleet van's availability for deliveries.
    pub enum VehicleStatus {
        Available = "available",
        OutOfService = "out_of_service",
    }
}

/// A vehicle registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Registered {
    pub license_number: String,
    pub brand: String,
    pub model: String,
    /// The customer who owns it (customer vehicles).
    pub owner: Option<Uuid>,
    pub usage: VehicleUsage,
    /// The initial status: `available` for a fleet van, none for a customer vehicle.
    pub status: Option<VehicleStatus>,
}

/// Brand, model and owner replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Updated {
    pub license_number: String,
    pub brand: String,
    pub model: String,
    pub owner: Option<Uuid>,
}

/// A fleet van taken out of service or made available again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StatusChanged {
    pub license_number: String,
    pub status: VehicleStatus,
}
