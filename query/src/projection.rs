//! What a projection is: a named set of tables and a function from one event to writes.
//!
//! Projections are pure with respect to I/O: they only talk to the [`Tx`] they are
//! given, inside the runtime's transaction (which also moves the checkpoint), so a
//! projection never needs its own idempotency bookkeeping.

use es_core::EventEnvelope;
use serde::de::DeserializeOwned;

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

pub trait Projection: Send + Sync + 'static {
    /// Stable name: checkpoints, dead letters, status and rebuilds address it by it.
    fn name(&self) -> &'static str;

    fn tables(&self) -> &'static [&'static Table];

    fn apply(&self, event: &EventEnvelope, tx: &mut dyn Tx) -> Result<Outcome, ProjectionError>;
}

/// Decodes an event's payload into the projection's view of it.
pub fn payload<T: DeserializeOwned>(event: &EventEnvelope) -> Result<T, ProjectionError> {
    // `&Value` is a deserializer: no copy of the payload per projection.
    T::deserialize(&event.payload).map_err(|e| ProjectionError::Malformed {
        event_type: event.event_type.clone(),
        position: event.position,
        reason: e.to_string(),
    })
}
