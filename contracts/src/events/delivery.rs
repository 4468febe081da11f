//! Events of aggregate type `delivery` (topic `<prefix>.deliveries.events`): one
//! parcel's run along its route, from pick-up to delivered or failed.

use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::aggregate_events;
use super::words::{Slot, words};

aggregate_events! {
    pub enum DeliveryEvent for "delivery" {
        "delivery.created.v1" => Created(Created),
        "delivery.driver_assigned.v1" => DriverAssigned(DriverAssigned),
        "delivery.vehicle_assigned.v1" => VehicleAssigned(VehicleAssigned),
        "delivery.status_changed.v1" => StatusChanged(StatusChanged),
        "delivery.checkpoint_reached.v1" => CheckpointReached(CheckpointReached),
        "delivery.incident_reported.v1" => IncidentReported(IncidentReported),
        "delivery.incident_resolved.v1" => IncidentResolved(IncidentResolved),
        "delivery.proof_of_delivery_captured.v1" => ProofOfDeliveryCaptured(ProofOfDeliveryCaptured),
    }
}

words! {
    /// Where a delivery stands: `picked_up` → `in_transit` → `out_for_delivery` →
    /// `delivered`, or `failed` (and from `failed` back to `picked_up` for a retry).
    pub enum DeliveryStatus {
        PickedUp = "picked_up",
        InTransit = "in_transit",
        OutForDelivery = "out_for_delivery",
        Delivered = "delivered",
        Failed = "failed",
    }
}

/// One planned stop of the delivery's route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Checkpoint {
    pub sequence: NonZeroU32,
    pub location: String,
    pub expected_at: DateTime<Utc>,
}

/// A new delivery, `picked_up`, with its route's slot and checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Created {
    pub delivery_id: Uuid,
    pub route_id: Uuid,
    pub slot: Slot,
    pub checkpoints: Vec<Checkpoint>,
}

/// A driver booked for the delivery's slot; `previous_driver_id` is the driver this
/// one replaces, whose slot is freed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DriverAssigned {
    pub delivery_id: Uuid,
    pub driver_id: Uuid,
    pub previous_driver_id: Option<Uuid>,
    pub slot: Slot,
}

/// A van booked for the delivery's slot; `previous_vehicle_license_number` is the
/// van this one replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VehicleAssigned {
    pub delivery_id: Uuid,
    pub vehicle_license_number: String,
    pub previous_vehicle_license_number: Option<String>,
    pub slot: Slot,
}

/// The delivery moved on. `reason` is set when it fails; a change to `picked_up` (a
/// retry) starts a new run: reached checkpoints and the failure reason are cleared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StatusChanged {
    pub delivery_id: Uuid,
    pub from: DeliveryStatus,
    pub to: DeliveryStatus,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// The driver reached one of the route's checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckpointReached {
    pub delivery_id: Uuid,
    pub sequence: NonZeroU32,
    pub location: String,
    pub at: DateTime<Utc>,
}

/// Something went wrong on the way (`incident_type` is free-form, e.g. `delay`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IncidentReported {
    pub delivery_id: Uuid,
    pub incident_id: Uuid,
    pub incident_type: String,
    pub description: String,
    pub at: DateTime<Utc>,
}

/// A reported incident resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IncidentResolved {
    pub delivery_id: Uuid,
    pub incident_id: Uuid,
    pub resolution: String,
    pub at: DateTime<Utc>,
}

/// Who received the parcel; always followed by a status change to `delivered`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProofOfDeliveryCaptured {
    pub delivery_id: Uuid,
    pub receiver_name: String,
    pub signature_reference: String,
    pub at: DateTime<Utc>,
}
