//! The checks on the delivery's checkpoints and incidents.

use super::messages::{DeliveryError, Incident, ReachedCheckpoint};
use crate::deliveries::checkpoint::{Checkpoint, Location, Sequence};
use crate::shared::IncidentId;

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
