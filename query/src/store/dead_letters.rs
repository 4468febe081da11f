//! Dead letters: the events a projection could not apply, parked in the read-model
//! store beside its tables (ADR 021), and what operators do with them — look, redrive
//! after a fix, or discard with a reason that stays recorded.
//!
//! Parking is *sequenced*, per projection and stream: once an event of a stream is
//! parked, the projection's later events of that stream are parked behind it ("held")
//! instead of applied, because a projection applying `renamed` before the `registered`
//! it follows would build a row that a later redrive of `registered` overwrites with
//! stale values. A redrive applies a stream's parked events in position order and
//! stops at the first that fails again, so a read model never sees a stream's events
//! out of order. Every backend runs the same rules (here) over its own SQL (behind
//! [`Letters`]); a redrive or discard is one transaction, serialized with projection
//! batches by the database, so it is safe while projections run, and applying an event
//! and forgetting its dead letter commit together, so an event is applied exactly once.

use std::collections::HashMap;

use es_core::EventEnvelope;

use super::DbError;
use super::batch::Careful;
use crate::projection::{Projection, ProjectionError};

/// A parked event, as operators list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub projection: String,
    pub position: u64,
    pub event_id: String,
    pub stream_id: String,
    pub version: u64,
    pub event_type: String,
    /// Why the projection could not apply it, as of the last attempt.
    pub reason: String,
    /// Attempts so far, redrives included.
    pub attempts: u32,
    /// When it was parked (RFC 3339), or last failed again on a redrive.
    pub parked_at: String,
    /// The position of an earlier parked event of the same stream this one waits
    /// behind; `None` for the first of its stream.
    pub held_behind: Option<u64>,
    /// The envelope as the projection received it (JSON).
    pub envelope: String,
}

/// A discarded dead letter, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discarded {
    pub letter: DeadLetter,
    pub discarded_at: String,
    /// The subject of the operator who discarded it.
    pub discarded_by: String,
    pub discard_reason: String,
}

/// What a redrive settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redrive {
    /// Every parked event of the projection.
    All,
    /// The parked event at this position and those of its stream held behind it.
    From(u64),
}

/// What a redrive did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redriven {
    /// Events applied and no longer parked, in the order applied.
    pub applied: Vec<DeadLetter>,
    /// Events that failed again (still parked, their reason and attempts updated);
    /// each one's later events stay held behind it.
    pub failed: Vec<DeadLetter>,
}

/// Why an operator's request on the dead letters was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeadLetterError {
    #[error("no read model named `{0}`")]
    NoProjection(String),
    #[error("no parked event at position {position} of `{projection}`")]
    NotParked { projection: String, position: u64 },
    /// Redriving it first would apply its stream out of order.
    #[error(
        "the event at position {position} waits behind the parked event at position {behind} \
         of the same stream: redrive that one first"
    )]
    Held { position: u64, behind: u64 },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Per projection generation, the streams with a parked event and the first parked
/// position of each (what a batch's members hold, see `batch::Member::held`).
pub(crate) type HeldStreams = HashMap<(String, i64), HashMap<String, u64>>;

/// Reason recorded for an event parked because an earlier one of its stream is.
pub fn held_reason(behind: u64) -> String {
    format!("held behind the parked event at position {behind} of the same stream")
}

/// What each backend's transaction offers the rules above.
pub trait Letters: Careful {
    /// `projection`'s parked events in `generation`, oldest first (`held_behind` unset).
    fn parked(&mut self, projection: &str, generation: i64) -> Result<Vec<DeadLetter>, DbError>;

    /// Forgets the dead letter at `position`.
    fn unpark(&mut self, projection: &str, generation: i64, position: u64) -> Result<(), DbError>;

    /// Writes `letter` back as parked, with its new reason and attempts.
    fn repark(
        &mut self,
        projection: &str,
        generation: i64,
        letter: &DeadLetter,
    ) -> Result<(), DbError>;

    /// Records `discarded` (kept across redrives and rebuilds).
    fn record_discard(&mut self, generation: i64, discarded: &Discarded) -> Result<(), DbError>;
}

/// A read-model database whose dead letters operators settle: each backend says how
/// to run work on a projection's active generation in one transaction
/// ([`DeadLetterStore::on_letters`]); the settling is the same everywhere.
pub trait DeadLetterStore {
    /// Runs `work` on `projection`'s active generation in one transaction, serialized
    /// with the projections' batches.
    #[doc(hidden)]
    fn on_letters<T>(
        &self,
        projection: &str,
        work: impl FnOnce(&mut dyn Letters, &dyn Projection, i64) -> Result<T, DeadLetterError>,
    ) -> Result<T, DeadLetterError>;

    /// Applies parked events after a fix ([`redrive`]).
    fn redrive(&self, projection: &str, which: Redrive) -> Result<Redriven, DeadLetterError> {
        self.on_letters(projection, |tx, projection, generation| {
            redrive(tx, projection, generation, which)
        })
    }

    /// Discards a parked event, recording who and why ([`discard`]).
    fn discard(
        &self,
        projection: &str,
        position: u64,
        reason: &str,
        by: &str,
    ) -> Result<Discarded, DeadLetterError> {
        self.on_letters(projection, |tx, projection, generation| {
            discard(tx, projection.name(), generation, position, reason, by)
        })
    }
}

/// Sets each letter's `held_behind`: the first parked position of its stream, when
/// that is an earlier one.
pub fn mark_held(letters: &mut [DeadLetter]) {
    let mut first: HashMap<String, u64> = HashMap::new();
    for letter in letters.iter_mut() {
        let head = *first
            .entry(letter.stream_id.clone())
            .or_insert(letter.position);
        letter.held_behind = (head < letter.position).then_some(head);
    }
}

/// Applies `projection`'s parked events that `which` names, stream by stream in
/// position order, each in a savepoint: one that applies is forgotten; one that fails
/// again stays parked with its reason and attempts updated, and the rest of its stream
/// stays held behind it. A store that cannot be written fails the whole redrive (its
/// transaction rolls back: nothing half done).
pub(crate) fn redrive(
    tx: &mut dyn Letters,
    projection: &dyn Projection,
    generation: i64,
    which: Redrive,
) -> Result<Redriven, DeadLetterError> {
    let mut parked = tx.parked(projection.name(), generation)?;
    mark_held(&mut parked);
    let selected: Vec<DeadLetter> = match which {
        Redrive::All => parked,
        Redrive::From(position) => {
            let letter = parked
                .iter()
                .find(|l| l.position == position)
                .ok_or_else(|| DeadLetterError::NotParked {
                    projection: projection.name().to_owned(),
                    position,
                })?;
            if let Some(behind) = letter.held_behind {
                return Err(DeadLetterError::Held { position, behind });
            }
            let stream = letter.stream_id.clone();
            parked
                .into_iter()
                .filter(|l| l.stream_id == stream)
                .collect()
        }
    };
    let mut report = Redriven::default();
    let mut stopped: Vec<String> = Vec::new();
    for mut letter in selected {
        if stopped.contains(&letter.stream_id) {
            continue;
        }
        let failure = match serde_json::from_str::<EventEnvelope>(&letter.envelope) {
            Err(error) => Some(format!("the parked envelope does not read back: {error}")),
            Ok(event) => match tx.apply_alone(projection, &event) {
                Ok(_) => None,
                Err(ProjectionError::Db(error @ DbError::Unavailable(_))) => {
                    return Err(error.into());
                }
                Err(error) => Some(error.to_string()),
            },
        };
        match failure {
            None => {
                tx.unpark(projection.name(), generation, letter.position)?;
                report.applied.push(letter);
            }
            Some(reason) => {
                letter.attempts = letter.attempts.saturating_add(1);
                letter.reason = reason;
                tx.repark(projection.name(), generation, &letter)?;
                stopped.push(letter.stream_id.clone());
                report.failed.push(letter);
            }
        }
    }
    Ok(report)
}

/// Discards the parked event at `position` of `projection`: forgotten as a dead
/// letter, recorded with who discarded it and why. Events of its stream held behind
/// it stay parked (redrive them once its absence is understood).
pub(crate) fn discard(
    tx: &mut dyn Letters,
    projection: &str,
    generation: i64,
    position: u64,
    reason: &str,
    by: &str,
) -> Result<Discarded, DeadLetterError> {
    let mut parked = tx.parked(projection, generation)?;
    mark_held(&mut parked);
    let letter = parked
        .into_iter()
        .find(|l| l.position == position)
        .ok_or_else(|| DeadLetterError::NotParked {
            projection: projection.to_owned(),
            position,
        })?;
    let discarded = Discarded {
        letter,
        discarded_at: es_core::time::format(&es_core::envelope::now()),
        discarded_by: by.to_owned(),
        discard_reason: reason.to_owned(),
    };
    tx.record_discard(generation, &discarded)?;
    tx.unpark(projection, generation, position)?;
    Ok(discarded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(position: u64, stream: &str) -> DeadLetter {
        DeadLetter {
            projection: "p".into(),
            position,
            event_id: format!("e{position}"),
            stream_id: stream.into(),
            version: position,
            event_type: "t".into(),
            reason: "r".into(),
            attempts: 1,
            parked_at: String::new(),
            held_behind: None,
            envelope: String::new(),
        }
    }

    #[test]
    fn a_letter_is_held_behind_the_first_parked_event_of_its_stream() {
        let mut letters = vec![
            letter(3, "a"),
            letter(5, "b"),
            letter(8, "a"),
            letter(9, "a"),
        ];
        mark_held(&mut letters);
        let held: Vec<Option<u64>> = letters.iter().map(|l| l.held_behind).collect();
        assert_eq!(held, vec![None, None, Some(3), Some(3)]);
    }
}
