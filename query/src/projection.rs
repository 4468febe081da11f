//! What a projection is: a named set of tables and a function from one event to writes.
//!
//! Projections are pure with respect to I/O: they only talk to the [`Tx`] they are
//! given, inside the runtime's transaction (which also moves the checkpoint), so a
//! projection never needs its own idempotency bookkeeping.

use contracts::events::AggregateEvents;
use es_core::EventEnvelope;

use crate::store::{DbError, Table, Tx};

/// What applying one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Not for this projection (another aggregate type, or a type it does not need).
    Ignored,
    /// An event type of an aggregate this projection follows, that it does not know
    /// (a newer producer): skipped and counted, never parked.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectionError {
    /// The payload does not have the shape its event type promises: parked at once as a
    /// dead letter (retrying cannot help).
    #[error("malformed {event_type} at position {position}: {reason}")]
    Malformed {
        event_type: String,
        position: u64,
        reason: String,
    },
    /// The store failed: retried with backoff, parked only when retries run out.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ProjectionError {
    /// `event`'s payload does not have the shape its type promises, for `reason`.
    pub fn malformed(event: &EventEnvelope, reason: impl std::fmt::Display) -> Self {
        ProjectionError::Malformed {
            event_type: event.event_type.clone(),
            position: event.position,
            reason: reason.to_string(),
        }
    }
}

pub trait Projection: Send + Sync + 'static {
    /// Stable name: checkpoints, dead letters, status and rebuilds address it by it.
    fn name(&self) -> &'static str;

    fn tables(&self) -> &'static [&'static Table];

    fn apply(&self, event: &EventEnvelope, tx: &mut dyn Tx) -> Result<Outcome, ProjectionError>;
}

/// What an event is to a projection that follows aggregate events `E`.
pub enum Decoded<E> {
    Event(E),
    /// Another aggregate type's event ([`Outcome::Ignored`]), or an event type this
    /// code does not know ([`Outcome::Unknown`]).
    Skip(Outcome),
}

/// Decodes an event into its contract type ([`contracts::events`]); a payload that
/// does not have its type's shape is [`ProjectionError::Malformed`].
pub fn decode<E: AggregateEvents>(event: &EventEnvelope) -> Result<Decoded<E>, ProjectionError> {
    if event.aggregate_type != E::AGGREGATE_TYPE {
        return Ok(Decoded::Skip(Outcome::Ignored));
    }
    match E::from_payload(&event.event_type, &event.payload) {
        Ok(Some(decoded)) => Ok(Decoded::Event(decoded)),
        Ok(None) => Ok(Decoded::Skip(Outcome::Unknown)),
        Err(e) => Err(ProjectionError::malformed(event, e)),
    }
}
