//! What applying a batch means, whichever backend holds the read models: the members
//! (projection generations) a batch goes to, the fast path through the unit of work,
//! and why it may give up for the careful path (a savepoint per projection and event,
//! which each backend writes in its own SQL).

use es_core::projection::{BatchReport, Checkpoint};
use es_core::{EventEnvelope, Hash};

use crate::projection::{Outcome, Projection, ProjectionError};
use crate::store::{DbError, Tx};

/// One projection's generation a batch is applied to, and how far it has got.
pub(crate) struct Member {
    /// The projection's index in the database's projection list.
    pub index: usize,
    pub generation: i64,
    pub checkpoint: u64,
    /// The hash of the event at `checkpoint` (none at 0, or for a checkpoint written
    /// before hashes were kept).
    pub hash: Option<Hash>,
}

impl Member {
    /// Records that this member has applied (or parked) `event`.
    pub fn reached(&mut self, event: &EventEnvelope) {
        self.checkpoint = event.position;
        self.hash = Some(event.hash);
    }

    pub fn at(&self) -> Checkpoint {
        Checkpoint {
            position: self.checkpoint,
            hash: self.hash,
        }
    }
}

/// When a rebuilt (shadow) generation replaces the live one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapWhen {
    /// Once it has applied as far as the live generation, so queries never go back.
    CaughtUp,
    /// Once it has applied this position (the log's head when the rebuild began): the
    /// live generation holds a history the log no longer has (a rewound or replaced
    /// log), so catching up with it means nothing and might never happen.
    Reached(u64),
}

impl SwapWhen {
    /// Whether a shadow at `shadow` must wait, the live generation being at `live`.
    pub fn behind(self, shadow: u64, live: u64) -> bool {
        match self {
            SwapWhen::CaughtUp => shadow < live,
            SwapWhen::Reached(position) => shadow < position,
        }
    }
}

/// Where to resubscribe: the lowest checkpoint of all members, with its hash.
pub(crate) fn lowest(members: &[Member]) -> Checkpoint {
    members
        .iter()
        .min_by_key(|m| m.checkpoint)
        .map_or(Checkpoint::default(), Member::at)
}

/// A checkpoint's hash as the read-model databases keep it (hex text), read back.
pub(crate) fn stored_hash(text: Option<String>) -> Result<Option<Hash>, DbError> {
    text.map(|t| Hash::from_hex(&t).map_err(|e| DbError::Database(format!("checkpoint hash: {e}"))))
        .transpose()
}

/// Why the fast path gave up.
pub(crate) enum Fallback {
    /// A malformed event: redo the batch with a savepoint per projection and event.
    Careful,
    Db(DbError),
}

impl From<DbError> for Fallback {
    fn from(error: DbError) -> Self {
        Fallback::Db(error)
    }
}

impl Fallback {
    pub fn into_db(self) -> DbError {
        match self {
            Fallback::Db(error) => error,
            Fallback::Careful => DbError::Database("malformed event in careful mode".into()),
        }
    }
}

/// Every event to every member that has not seen it, through `tx` (the backend's unit
/// of work). A malformed event sends the whole batch to the careful path.
pub(crate) fn apply_fast(
    projections: &[Box<dyn Projection>],
    tx: &mut dyn Tx,
    members: &mut [Member],
    events: &[EventEnvelope],
) -> Result<BatchReport, Fallback> {
    let mut report = BatchReport::default();
    for event in events {
        let mut unknown = false;
        // The checkpoint rises with each event, so a duplicate later in the same
        // batch is skipped like one from an earlier batch.
        for member in members.iter_mut().filter(|m| event.position > m.checkpoint) {
            member.reached(event);
            match projections[member.index].apply(event, tx) {
                Ok(Outcome::Unknown) => unknown = true,
                Ok(_) => {}
                Err(ProjectionError::Malformed { .. }) => return Err(Fallback::Careful),
                Err(ProjectionError::Db(error)) => return Err(Fallback::Db(error)),
            }
        }
        count_unknown(&mut report, event, unknown);
    }
    Ok(report)
}

/// Counts (and logs) an event no member knew: skipped, never a dead letter.
pub(crate) fn count_unknown(report: &mut BatchReport, event: &EventEnvelope, unknown: bool) {
    if unknown {
        tracing::warn!(event_type = %event.event_type, position = event.position, "unknown event type skipped");
        report.unknown += 1;
    }
}
