//! What a delivery is told (commands, parsed values only) and what it records
//! (events, each payload complete enough for a projector to use on its own).

use chrono::{DateTime, Utc};
use es_core::DomainEvent;
use serde::{Deserialize, Serialize};

use super::checkpoint::{Checkpoint, Location, Sequence};
use super::delivery_records::{IncidentType, LongText, ReceiverName, SignatureReference};
use super::delivery_status::DeliveryStatus;
use super::route::RouteSummary;
use crate::shared::{DeliveryId, DriverId, IncidentId, LicenseNumber, RouteId, Timeslot};

#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryCommand {
    Create {
        delivery_id: DeliveryId,
        route: RouteSummary,
    },
    AssignDriver {
        driver: DriverId,
    },
    AssignVehicle {
        vehicle: LicenseNumber,
    },
    StartTransit {
        at: DateTime<Utc>,
    },
    ReachCheckpoint {
        sequence: Sequence,
        location: Location,
        at: DateTime<Utc>,
    },
    MarkOutForDelivery {
        at: DateTime<Utc>,
    },
    CaptureProofOfDelivery {
        receiver_name: ReceiverName,
        signature_reference: SignatureReference,
        at: DateTime<Utc>,
    },
    Fail {
        reason: LongText,
        at: DateTime<Utc>,
    },
    Retry {
        at: DateTime<Utc>,
    },
    ReportIncident {
        incident_id: IncidentId,
        incident_type: IncidentType,
        description: LongText,
        at: DateTime<Utc>,
    },
    ResolveIncident {
        incident_id: IncidentId,
        resolution: LongText,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum DeliveryEvent {
    /// A new delivery, `picked_up`, with its route's slot and checkpoints.
    #[serde(rename = "delivery.created.v1")]
    Created {
        delivery_id: DeliveryId,
        route_id: RouteId,
        slot: Timeslot,
        checkpoints: Vec<Checkpoint>,
    },
    /// `previous_driver_id` is the driver this one replaces, whose slot is freed.
    #[serde(rename = "delivery.driver_assigned.v1")]
    DriverAssigned {
        delivery_id: DeliveryId,
        driver_id: DriverId,
        previous_driver_id: Option<DriverId>,
        slot: Timeslot,
    },
    /// `previous_vehicle_license_number` is the vehicle this one replaces.
    #[serde(rename = "delivery.vehicle_assigned.v1")]
    VehicleAssigned {
        delivery_id: DeliveryId,
        vehicle_license_number: LicenseNumber,
        previous_vehicle_license_number: Option<LicenseNumber>,
        slot: Timeslot,
    },
    /// `reason` is set when the delivery fails. A change to `picked_up` (a retry)
    /// starts a new run: the reached checkpoints and the failure reason are cleared.
    #[serde(rename = "delivery.status_changed.v1")]
    StatusChanged {
        delivery_id: DeliveryId,
        from: DeliveryStatus,
        to: DeliveryStatus,
        at: DateTime<Utc>,
        reason: Option<LongText>,
    },
    #[serde(rename = "delivery.checkpoint_reached.v1")]
    CheckpointReached {
        delivery_id: DeliveryId,
        sequence: Sequence,
        location: Location,
        at: DateTime<Utc>,
    },
    #[serde(rename = "delivery.incident_reported.v1")]
    IncidentReported {
        delivery_id: DeliveryId,
        incident_id: IncidentId,
        incident_type: IncidentType,
        description: LongText,
        at: DateTime<Utc>,
    },
    #[serde(rename = "delivery.incident_resolved.v1")]
    IncidentResolved {
        delivery_id: DeliveryId,
        incident_id: IncidentId,
        resolution: LongText,
        at: DateTime<Utc>,
    },
    /// Always followed by a status change to `delivered`.
    #[serde(rename = "delivery.proof_of_delivery_captured.v1")]
    ProofOfDeliveryCaptured {
        delivery_id: DeliveryId,
        receiver_name: ReceiverName,
        signature_reference: SignatureReference,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for DeliveryEvent {}
