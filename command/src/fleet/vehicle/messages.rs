//! What a vehicle is told (commands, parsed values only), what it records (events)
//! and how it refuses (errors, each with a stable reason), with the usage and status
//! they carry.

use es_core::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::shared::{CustomerId, DomainRule, LicenseNumber, RuleKind, Text};

/// Whose a vehicle is: a customer's car, or one of the operator's own fleet vans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VehicleUsage {
    Customer,
    Fleet,
}

/// The hand-set status of a fleet van.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VehicleStatus {
    Available,
    OutOfService,
}

#[derive(Debug, Clone, PartialEq)]
pub enum VehicleCommand {
    Register {
        license_number: LicenseNumber,
        brand: Text<200>,
        model: Text<200>,
        owner: Option<CustomerId>,
        usage: VehicleUsage,
    },
    /// Replaces brand, model and owner.
    Update {
        brand: Text<200>,
        model: Text<200>,
        owner: Option<CustomerId>,
    },
    ChangeStatus {
        status: VehicleStatus,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum VehicleEvent {
    #[serde(rename = "vehicle.registered.v1")]
    Registered {
        license_number: LicenseNumber,
        brand: Text<200>,
        model: Text<200>,
        owner: Option<CustomerId>,
        usage: VehicleUsage,
        /// The initial status: `available` for a fleet van, none for a customer vehicle.
        status: Option<VehicleStatus>,
    },
    #[serde(rename = "vehicle.updated.v1")]
    Updated {
        license_number: LicenseNumber,
        brand: Text<200>,
        model: Text<200>,
        owner: Option<CustomerId>,
    },
    #[serde(rename = "vehicle.status_changed.v1")]
    StatusChanged {
        license_number: LicenseNumber,
        status: VehicleStatus,
    },
}

impl DomainEvent for VehicleEvent {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VehicleError {
    #[error("vehicle is not registered")]
    NotFound,
    #[error("a vehicle with this license number is already registered")]
    AlreadyRegistered,
    #[error("a customer vehicle needs an owner")]
    OwnerRequired,
    #[error("a fleet vehicle cannot have an owner")]
    FleetVehicleWithOwner,
    #[error("only fleet vehicles have a status")]
    NotAFleetVehicle,
}

impl DomainRule for VehicleError {
    fn reason(&self) -> &'static str {
        match self {
            VehicleError::NotFound => "vehicle_not_found",
            VehicleError::AlreadyRegistered => "vehicle_already_registered",
            VehicleError::OwnerRequired => "customer_vehicle_requires_owner",
            VehicleError::FleetVehicleWithOwner => "fleet_vehicle_cannot_have_owner",
            VehicleError::NotAFleetVehicle => "not_a_fleet_vehicle",
        }
    }

    fn kind(&self) -> RuleKind {
        match self {
            VehicleError::NotFound => RuleKind::NotFound,
            VehicleError::AlreadyRegistered => RuleKind::AlreadyExists,
            _ => RuleKind::Violation,
        }
    }
}
