//! The route's refusals and the two checkpoint ordering checks it shares between
//! adding and updating a checkpoint.

use chrono::{DateTime, Utc};

use super::checkpoint::{Checkpoint, Sequence};
use super::route::RouteStatus;
use crate::shared::{DomainRule, RouteId, RuleKind};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("route {route_id} already exists")]
    AlreadyExists { route_id: RouteId },
    #[error("route not found")]
    NotFound,
    #[error("the route is {status}; it can be changed only while planning")]
    NotPlanning { status: RouteStatus },
    #[error("a route cannot go from {from} to {to}")]
    InvalidTransition { from: RouteStatus, to: RouteStatus },
    #[error("a route needs at least one checkpoint to be activated")]
    NoCheckpoints,
    #[error("checkpoint {sequence} already exists")]
    SequenceTaken { sequence: Sequence },
    #[error("checkpoint {sequence} must come after the last checkpoint, {last}")]
    SequenceNotIncreasing { sequence: Sequence, last: Sequence },
    #[error("checkpoint {sequence} not found")]
    CheckpointNotFound { sequence: Sequence },
    #[error("checkpoint {sequence} must be expected after the scheduled start")]
    NotAfterScheduledStart { sequence: Sequence },
    #[error("checkpoint {sequence} must be expected after checkpoint {previous}")]
    NotAfterPrevious {
        sequence: Sequence,
        previous: Sequence,
    },
    #[error("checkpoint {sequence} must be expected before checkpoint {next}")]
    NotBeforeNext { sequence: Sequence, next: Sequence },
    #[error("the scheduled start must be before the first checkpoint, {first}")]
    StartNotBeforeFirstCheckpoint { first: Sequence },
}

impl DomainRule for RouteError {
    fn reason(&self) -> &'static str {
        match self {
            RouteError::AlreadyExists { .. } => "route_already_exists",
            RouteError::NotFound => "route_not_found",
            RouteError::NotPlanning { .. } => "route_not_planning",
            RouteError::InvalidTransition { .. } => "invalid_route_transition",
            RouteError::NoCheckpoints => "route_has_no_checkpoints",
            RouteError::SequenceTaken { .. } => "checkpoint_sequence_taken",
            RouteError::SequenceNotIncreasing { .. } => "checkpoint_sequence_not_increasing",
            RouteError::CheckpointNotFound { .. } => "checkpoint_not_found",
            RouteError::NotAfterScheduledStart { .. } => "checkpoint_not_after_scheduled_start",
            RouteError::NotAfterPrevious { .. } => "checkpoint_not_after_previous",
            RouteError::NotBeforeNext { .. } => "checkpoint_not_before_next",
            RouteError::StartNotBeforeFirstCheckpoint { .. } => {
                "scheduled_start_not_before_first_checkpoint"
            }
        }
    }

    fn kind(&self) -> RuleKind {
        match self {
            RouteError::AlreadyExists { .. } => RuleKind::AlreadyExists,
            RouteError::NotFound | RouteError::CheckpointNotFound { .. } => RuleKind::NotFound,
            _ => RuleKind::Violation,
        }
    }
}

/// A new checkpoint's sequence is unused and greater than every existing one
/// (`checkpoints` is ordered by sequence, so the last one is the greatest).
pub(super) fn check_new_sequence(
    checkpoints: &[Checkpoint],
    sequence: Sequence,
) -> Result<(), RouteError> {
    if checkpoints.iter().any(|c| c.sequence == sequence) {
        return Err(RouteError::SequenceTaken { sequence });
    }
    match checkpoints.last() {
        Some(last) if last.sequence > sequence => Err(RouteError::SequenceNotIncreasing {
            sequence,
            last: last.sequence,
        }),
        _ => Ok(()),
    }
}

/// A checkpoint's expected time lies strictly after the scheduled start and the
/// previous checkpoint's, and strictly before the next one's.
pub(super) fn check_checkpoint_times(
    scheduled_start: DateTime<Utc>,
    previous: Option<&Checkpoint>,
    next: Option<&Checkpoint>,
    sequence: Sequence,
    expected_at: DateTime<Utc>,
) -> Result<(), RouteError> {
    if expected_at <= scheduled_start {
        return Err(RouteError::NotAfterScheduledStart { sequence });
    }
    if let Some(previous) = previous
        && expected_at <= previous.expected_at
    {
        return Err(RouteError::NotAfterPrevious {
            sequence,
            previous: previous.sequence,
        });
    }
    if let Some(next) = next
        && expected_at >= next.expected_at
    {
        return Err(RouteError::NotBeforeNext {
            sequence,
            next: next.sequence,
        });
    }
    Ok(())
}
