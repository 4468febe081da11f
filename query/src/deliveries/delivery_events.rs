//! The deliveries read model's view of `delivery.*` payloads: only the fields it uses,
//! decoded once (extra fields are tolerated, missing or mistyped ones are malformed).

use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use es_core::EventEnvelope;
use serde::Deserialize;
use uuid::Uuid;

use super::status::DeliveryStatus;
use crate::projection::{ProjectionError, payload};

/// One decoded delivery event.
pub enum DeliveryChange {
    Created(Created),
    DriverAssigned(DriverAssigned),
    VehicleAssigned(VehicleAssigned),
    StatusChanged(StatusChanged),
    CheckpointReached(CheckpointReached),
    IncidentReported(IncidentReported),
    IncidentResolved(IncidentResolved),
    ProofCaptured(ProofCaptured),
}

#[derive(Deserialize)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Deserialize)]
pub struct PlannedCheckpoint {
    pub sequence: NonZeroU32,
    pub location: String,
    pub expected_at: DateTime<Utc>,
}

#[derive(Deserialize)]
pub struct Created {
    pub delivery_id: Uuid,
    pub route_id: Uuid,
    pub slot: Slot,
    pub checkpoints: Vec<PlannedCheckpoint>,
}

#[derive(Deserialize)]
pub struct DriverAssigned {
    pub delivery_id: Uuid,
    pub driver_id: Uuid,
    pub previous_driver_id: Option<Uuid>,
}

#[derive(Deserialize)]
pub struct VehicleAssigned {
    pub delivery_id: Uuid,
    pub vehicle_license_number: String,
    pub previous_vehicle_license_number: Option<String>,
}

#[derive(Deserialize)]
pub struct StatusChanged {
    pub delivery_id: Uuid,
    pub from: DeliveryStatus,
    pub to: DeliveryStatus,
    pub reason: Option<String>,
}

#[derive(Deserialize)]
pub struct CheckpointReached {
    pub delivery_id: Uuid,
    pub sequence: NonZeroU32,
    pub location: String,
    pub at: DateTime<Utc>,
}

#[derive(Deserialize)]
pub struct IncidentReported {
    pub delivery_id: Uuid,
    pub incident_id: Uuid,
    pub incident_type: String,
    pub description: String,
    pub at: DateTime<Utc>,
}

#[derive(Deserialize)]
pub struct IncidentResolved {
    pub delivery_id: Uuid,
    pub incident_id: Uuid,
    pub resolution: String,
    pub at: DateTime<Utc>,
}

#[derive(Deserialize)]
pub struct ProofCaptured {
    pub delivery_id: Uuid,
    pub receiver_name: String,
    pub signature_reference: String,
    pub at: DateTime<Utc>,
}

impl DeliveryChange {
    /// Decodes a `delivery.*` event; `Ok(None)` for a type this read model does not
    /// know (a newer producer).
    pub fn decode(event: &EventEnvelope) -> Result<Option<DeliveryChange>, ProjectionError> {
        let change = match event.event_type.as_str() {
            "delivery.created.v1" => DeliveryChange::Created(payload(event)?),
            "delivery.driver_assigned.v1" => DeliveryChange::DriverAssigned(payload(event)?),
            "delivery.vehicle_assigned.v1" => DeliveryChange::VehicleAssigned(payload(event)?),
            "delivery.status_changed.v1" => DeliveryChange::StatusChanged(payload(event)?),
            "delivery.checkpoint_reached.v1" => DeliveryChange::CheckpointReached(payload(event)?),
            "delivery.incident_reported.v1" => DeliveryChange::IncidentReported(payload(event)?),
            "delivery.incident_resolved.v1" => DeliveryChange::IncidentResolved(payload(event)?),
            "delivery.proof_of_delivery_captured.v1" => {
                DeliveryChange::ProofCaptured(payload(event)?)
            }
            _ => return Ok(None),
        };
        Ok(Some(change))
    }

    pub fn delivery_id(&self) -> Uuid {
        match self {
            DeliveryChange::Created(e) => e.delivery_id,
            DeliveryChange::DriverAssigned(e) => e.delivery_id,
            DeliveryChange::VehicleAssigned(e) => e.delivery_id,
            DeliveryChange::StatusChanged(e) => e.delivery_id,
            DeliveryChange::CheckpointReached(e) => e.delivery_id,
            DeliveryChange::IncidentReported(e) => e.delivery_id,
            DeliveryChange::IncidentResolved(e) => e.delivery_id,
            DeliveryChange::ProofCaptured(e) => e.delivery_id,
        }
    }
}
