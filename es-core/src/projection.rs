//! The projector runtime: turns an ordered stream of events into read models.
//!
//! - An [`EventSource`] delivers `$all` from a position (the command service's
//!   subscription stream today, Kafka later; [`StoreSource`] reads a local store).
//! - A [`ProjectionTarget`] applies a batch of events **and** moves its checkpoint in one
//!   transaction, so a crash at any point neither loses nor double-applies an event.
//! - [`run`] loops: subscribe after the checkpoint, take whatever events are ready (up
//!   to a batch), skip what the checkpoint already covers (duplicates), apply, and on a
//!   failure retry with exponential backoff and jitter; an event that still fails after
//!   the retry budget is parked as a dead letter and the projection moves on.
//! - [`StatusBoard`] publishes position, lag, last error and counters, and lets readers
//!   wait until a position is reflected (read-your-writes).

mod runtime;
mod source;
mod status;

pub use runtime::{RetryPolicy, run};
pub use source::{EventSource, LogHeaded, PagedStoreSource, Settlement, SourceError, StoreSource};
pub use status::{ProjectorStatus, RuntimeState, StatusBoard};

use async_trait::async_trait;

use crate::envelope::EventEnvelope;
use crate::hash::Hash;

/// How far a target has applied: the position of the last event applied (or parked),
/// and that event's hash when the target keeps it. The hash lets the runtime notice a
/// *different* event at that position later (a log restored from an older backup that
/// has since grown past it again), which a position alone cannot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checkpoint {
    pub position: u64,
    pub hash: Option<Hash>,
}

impl Checkpoint {
    /// The checkpoint of a target that keeps no hash.
    pub fn at(position: u64) -> Self {
        Checkpoint {
            position,
            hash: None,
        }
    }
}

/// What applying a batch did besides applying events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Events of a type no projection knows: skipped, counted, not parked.
    pub unknown: u64,
    /// Events a projection could not read (malformed payload): parked as dead letters.
    pub parked: u64,
}

/// A batch that failed; nothing of it was applied.
///
/// `transient` says whether trying again later may succeed (disk full, I/O error, a
/// lock timeout, a lost connection): the runtime retries such failures for as long as
/// they last and never parks an event because of one. Only a failure the projection
/// would repeat on the same event (`transient: false`) ends, after its retries, with
/// the event parked as a dead letter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApplyError {
    pub message: String,
    pub transient: bool,
}

impl ApplyError {
    /// A failure the projection would repeat on the same events.
    pub fn new(message: impl Into<String>) -> Self {
        ApplyError {
            message: message.into(),
            transient: false,
        }
    }

    /// A failure of the infrastructure, worth retrying until it passes.
    pub fn transient(message: impl Into<String>) -> Self {
        ApplyError {
            message: message.into(),
            transient: true,
        }
    }
}

/// Where events land. Implementations own their transaction handling.
#[async_trait]
pub trait ProjectionTarget: Send + 'static {
    /// The last event applied (or parked); position 0 when empty.
    async fn checkpoint(&mut self) -> Result<Checkpoint, ApplyError>;

    /// Applies `events` (ascending positions, all after the checkpoint) and moves the
    /// checkpoint to the last one, all or nothing.
    async fn apply(&mut self, events: &[EventEnvelope]) -> Result<BatchReport, ApplyError>;

    /// Records `event` as a dead letter with the reason and attempts, and moves the
    /// checkpoint past it, atomically.
    async fn park(
        &mut self,
        event: &EventEnvelope,
        reason: &str,
        attempts: u32,
    ) -> Result<(), ApplyError>;
}
