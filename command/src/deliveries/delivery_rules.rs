//! The delivery's refusals, each with a stable reason code, and the checks on its
//! checkpoints and incidents.

use super::checkpoint::{Checkpoint, Location, Sequence};
use super::delivery_records::{Incident, ReachedCheckpoint};
use super::delivery_status::DeliveryStatus;
use super::route::RouteStatus;
use crate::shared::{DeliveryId, DomainRule, IncidentId, RouteId, RuleKind};

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

/// The checkpoint to reach is the route's checkpoint with this sequence and location,
/// not reached yet in this run, and the first one not reached (`reached` is always a
/// prefix of `checkpoints`, which are ordered by sequence).
pub(super) fn check_reach(
    checkpoints: &[Checkpoint],
    reached: &[ReachedCheckpoint],
    sequence: Sequence,
    location: &Location,
) -> Result<(), DeliveryError> {
    let checkpoint = checkpoints
        .iter()
        .find(|c| c.sequence == sequence)
        .ok_or(DeliveryError::CheckpointNotFound { sequence })?;
    if checkpoint.location != *location {
        return Err(DeliveryError::WrongLocation {
            sequence,
            expected: checkpoint.location.clone(),
        });
    }
    if reached.iter().any(|r| r.sequence == sequence) {
        return Err(DeliveryError::CheckpointAlreadyReached { sequence });
    }
    match checkpoints.get(reached.len()) {
        Some(next) if next.sequence != sequence => Err(DeliveryError::CheckpointOutOfSequence {
            sequence,
            next: next.sequence,
        }),
        _ => Ok(()),
    }
}

/// An incident id is reported at most once per delivery.
pub(super) fn check_new_incident(
    incidents: &[Incident],
    incident_id: IncidentId,
) -> Result<(), DeliveryError> {
    if incidents.iter().any(|i| i.incident_id == incident_id) {
        return Err(DeliveryError::IncidentAlreadyReported { incident_id });
    }
    Ok(())
}

/// Only a reported, unresolved incident can be resolved.
pub(super) fn check_resolvable(
    incidents: &[Incident],
    incident_id: IncidentId,
) -> Result<(), DeliveryError> {
    let incident = incidents
        .iter()
        .find(|i| i.incident_id == incident_id)
        .ok_or(DeliveryError::IncidentNotFound { incident_id })?;
    if incident.resolved.is_some() {
        return Err(DeliveryError::IncidentAlreadyResolved { incident_id });
    }
    Ok(())
}
