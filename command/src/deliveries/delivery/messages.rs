//! What a delivery is told (commands, parsed values only) and what it records
//! (events, each payload complete enough for a projector to use on its own), its
//! refusals (errors, each with a stable reason code), and the values they carry: the
//! delivery status, and what a delivery records along the way — reached checkpoints,
//! incidents and the proof of delivery.

use chrono::{DateTime, Utc};
use es_core::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::deliveries::checkpoint::{Checkpoint, Location, Sequence};
use crate::deliveries::route::messages::{RouteStatus, RouteSummary};
use crate::shared::{
    DeliveryId, DomainRule, DriverId, IncidentId, LicenseNumber, RouteId, RuleKind, Text, Timeslot,
};

/// The delivery status machine: `picked_up → in_transit → out_for_delivery →
/// delivered`; any non-terminal status → `failed`; `failed → picked_up` (retry);
/// `delivered` is terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    PickedUp,
    InTransit,
    OutForDelivery,
    Delivered,
    Failed,
}

/// Every transition the machine allows, as `(from, to)`.
pub const TRANSITIONS: [(DeliveryStatus, DeliveryStatus); 7] = {
    use DeliveryStatus::*;
    [
        (PickedUp, InTransit),
        (InTransit, OutForDelivery),
        (OutForDelivery, Delivered),
        (PickedUp, Failed),
        (InTransit, Failed),
        (OutForDelivery, Failed),
        (Failed, PickedUp),
    ]
};

impl DeliveryStatus {
    pub fn can_become(self, to: DeliveryStatus) -> bool {
        TRANSITIONS.contains(&(self, to))
    }

    /// `delivered` is the only status nothing leaves (a failed delivery can be retried).
    pub fn is_terminal(self) -> bool {
        self == DeliveryStatus::Delivered
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::PickedUp => "picked_up",
            DeliveryStatus::InTransit => "in_transit",
            DeliveryStatus::OutForDelivery => "out_for_delivery",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}

impl std::fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A free-form incident type such as `delay` or `damage`: at most 100 characters.
pub type IncidentType = Text<100>;
/// A description, resolution or failure reason: at most 2000 characters.
pub type LongText = Text<2000>;
/// The person who received the delivery: at most 200 characters.
pub type ReceiverName = Text<200>;
/// A reference to the stored signature image: at most 500 characters.
pub type SignatureReference = Text<500>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReachedCheckpoint {
    pub sequence: Sequence,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub incident_id: IncidentId,
    pub incident_type: IncidentType,
    pub description: LongText,
    pub reported_at: DateTime<Utc>,
    /// Set once resolved; a resolution is final.
    pub resolved: Option<IncidentResolution>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentResolution {
    pub resolution: LongText,
    pub resolved_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofOfDelivery {
    pub receiver_name: ReceiverName,
    pub signature_reference: SignatureReference,
    pub captured_at: DateTime<Utc>,
}

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("delivery {delivery_id} already exists")]
    AlreadyExists { delivery_id: DeliveryId },
    #[error("delivery not found")]
    NotFound,
    #[error("route {route_id} is {status}; deliveries are created only for active routes")]
    RouteNotActive {
        route_id: RouteId,
        status: RouteStatus,
    },
    #[error("a delivery cannot go from {from} to {to}")]
    InvalidTransition {
        from: DeliveryStatus,
        to: DeliveryStatus,
    },
    #[error("the delivery is {status}; driver and vehicle are assigned only while picked up")]
    NotPickedUp { status: DeliveryStatus },
    #[error("a delivery needs a driver to go in transit")]
    DriverNotAssigned,
    #[error("a delivery needs a vehicle to go in transit")]
    VehicleNotAssigned,
    #[error("the delivery is {status}; checkpoints are reached only in transit")]
    NotInTransit { status: DeliveryStatus },
    #[error("the route has no checkpoint {sequence}")]
    CheckpointNotFound { sequence: Sequence },
    #[error("checkpoint {sequence} is at {expected}")]
    WrongLocation {
        sequence: Sequence,
        expected: Location,
    },
    #[error("checkpoint {sequence} was already reached")]
    CheckpointAlreadyReached { sequence: Sequence },
    #[error("checkpoint {sequence} is out of sequence; the next one is {next}")]
    CheckpointOutOfSequence { sequence: Sequence, next: Sequence },
    #[error("checkpoint {next} has not been reached yet")]
    CheckpointsNotAllReached { next: Sequence },
    #[error("the delivery is {status}; proof of delivery needs out_for_delivery")]
    NotOutForDelivery { status: DeliveryStatus },
    #[error("incident {incident_id} was already reported")]
    IncidentAlreadyReported { incident_id: IncidentId },
    #[error("incident {incident_id} not found")]
    IncidentNotFound { incident_id: IncidentId },
    #[error("incident {incident_id} is already resolved")]
    IncidentAlreadyResolved { incident_id: IncidentId },
}

impl DomainRule for DeliveryError {
    fn reason(&self) -> &'static str {
        match self {
            DeliveryError::AlreadyExists { .. } => "delivery_already_exists",
            DeliveryError::NotFound => "delivery_not_found",
            DeliveryError::RouteNotActive { .. } => "route_not_active",
            DeliveryError::InvalidTransition { .. } => "invalid_delivery_transition",
            DeliveryError::NotPickedUp { .. } => "delivery_not_picked_up",
            DeliveryError::DriverNotAssigned => "driver_not_assigned",
            DeliveryError::VehicleNotAssigned => "vehicle_not_assigned",
            DeliveryError::NotInTransit { .. } => "delivery_not_in_transit",
            DeliveryError::CheckpointNotFound { .. } => "checkpoint_not_found",
            DeliveryError::WrongLocation { .. } => "checkpoint_location_mismatch",
            DeliveryError::CheckpointAlreadyReached { .. } => "checkpoint_already_reached",
            DeliveryError::CheckpointOutOfSequence { .. } => "checkpoint_out_of_sequence",
            DeliveryError::CheckpointsNotAllReached { .. } => "checkpoints_not_all_reached",
            DeliveryError::NotOutForDelivery { .. } => "delivery_not_out_for_delivery",
            DeliveryError::IncidentAlreadyReported { .. } => "incident_already_reported",
            DeliveryError::IncidentNotFound { .. } => "incident_not_found",
            DeliveryError::IncidentAlreadyResolved { .. } => "incident_already_resolved",
        }
    }

    fn kind(&self) -> RuleKind {
        match self {
            DeliveryError::AlreadyExists { .. } | DeliveryError::IncidentAlreadyReported { .. } => {
                RuleKind::AlreadyExists
            }
            DeliveryError::NotFound
            | DeliveryError::CheckpointNotFound { .. }
            | DeliveryError::IncidentNotFound { .. } => RuleKind::NotFound,
            _ => RuleKind::Violation,
        }
    }
}
