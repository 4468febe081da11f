//! The two checkpoint ordering checks the route shares between adding and updating a
//! checkpoint.

use chrono::{DateTime, Utc};

use super::messages::RouteError;
use crate::deliveries::checkpoint::{Checkpoint, Sequence};

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
