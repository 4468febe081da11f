//! What applying a batch means, whichever backend holds the read models: the members
//! (projection generations) a batch goes to, the fast path through the unit of work,
//! and why it may give up for the careful path (a savepoint per projection and event,
//! which each backend writes in its own SQL, behind [`Careful`]).

use std::collections::HashMap;

use es_core::projection::{BatchReport, Checkpoint};
use es_core::{EventEnvelope, Hash};

use crate::projection::{Outcome, Projection, ProjectionError};
use crate::store::schema::{Names, generation_table};
use crate::store::{DbError, Members, Tx};

/// One projection's generation a batch is applied to, and how far it has got.
pub(crate) struct Member {
    /// The projection's index in the database's projection list.
    pub index: usize,
    pub generation: i64,
    pub checkpoint: u64,
    /// The hash of the event at `checkpoint` (none at 0, or for a checkpoint written
    /// before hashes were kept).
    pub hash: Option<Hash>,
    /// Streams with a parked event in this generation, each with the first parked
    /// position: their later events are parked behind it ([`super::dead_letters`]).
    pub held: HashMap<String, u64>,
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

/// The index of the projection named `name`.
pub(crate) fn index_of(projections: &[Box<dyn Projection>], name: &str) -> Result<usize, DbError> {
    projections
        .iter()
        .position(|p| p.name() == name)
        .ok_or_else(|| DbError::Database(format!("no projection named `{name}`")))
}

/// The projections `which` names, by index, each with the generation it names (a
/// shadow's), or `None` for the active one.
pub(crate) fn wanted(
    projections: &[Box<dyn Projection>],
    which: &Members,
) -> Result<Vec<(usize, Option<i64>)>, DbError> {
    match which {
        Members::Active => Ok((0..projections.len()).map(|i| (i, None)).collect()),
        Members::Shadow(list) => list
            .iter()
            .map(|(name, generation)| Ok((index_of(projections, name)?, Some(*generation))))
            .collect(),
    }
}

/// Logical → physical names of `projection`'s tables in `generation`.
pub(crate) fn generation_names(
    projection: &dyn Projection,
    generation: i64,
) -> impl Iterator<Item = (&'static str, String)> + '_ {
    let tables = projection.tables().iter();
    tables.map(move |t| (t.name, generation_table(t.name, generation)))
}

/// The physical tables of every member's projection, in the member's generation.
pub(crate) fn member_names(projections: &[Box<dyn Projection>], members: &[Member]) -> Names {
    members
        .iter()
        .flat_map(|m| generation_names(projections[m.index].as_ref(), m.generation))
        .collect()
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
    /// A malformed event, or one to park behind an earlier one of its stream: redo the
    /// batch with a savepoint per projection and event.
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

/// A batch applied by `apply_in(careful)`: the fast path first, and the careful one
/// when the fast path met a malformed event (having rolled its transaction back).
pub(crate) fn fast_then_careful(
    mut apply_in: impl FnMut(bool) -> Result<BatchReport, Fallback>,
) -> Result<BatchReport, DbError> {
    match apply_in(false) {
        Err(Fallback::Careful) => apply_in(true),
        other => other,
    }
    .map_err(Fallback::into_db)
}

/// How a batch applies one projection's event.
pub(crate) enum Mode<'t> {
    /// Through `tx` (the backend's unit of work); a malformed event sends the whole
    /// batch to the careful path.
    Fast(&'t mut dyn Tx),
    /// In a savepoint per projection and event, so a malformed event is undone and
    /// parked for the projection that could not read it alone.
    Careful(&'t mut dyn Careful),
}

/// What the careful path needs of a backend's transaction.
pub trait Careful {
    /// `projection` applies `event` in a savepoint of its own, undone if the event is
    /// malformed (a database error fails the whole batch anyway).
    fn apply_alone(
        &mut self,
        projection: &dyn Projection,
        event: &EventEnvelope,
    ) -> Result<Outcome, ProjectionError>;

    /// Parks `event` as a dead letter of `projection`'s `generation`, for `reason`.
    fn park(
        &mut self,
        projection: &str,
        generation: i64,
        event: &EventEnvelope,
        reason: &str,
    ) -> Result<(), DbError>;
}

/// Every event to every member that has not seen it, by `mode`, each member's
/// checkpoint moving past it. Events no member knew are skipped and counted (and
/// logged), never parked.
pub(crate) fn apply_batch(
    projections: &[Box<dyn Projection>],
    members: &mut [Member],
    events: &[EventEnvelope],
    mut mode: Mode<'_>,
) -> Result<BatchReport, Fallback> {
    let mut report = BatchReport::default();
    for event in events {
        let mut unknown = false;
        // The checkpoint rises with each event, so a duplicate later in the same
        // batch is skipped like one from an earlier batch.
        for member in members.iter_mut().filter(|m| event.position > m.checkpoint) {
            member.reached(event);
            let projection = projections[member.index].as_ref();
            if let Some(&behind) = member.held.get(&event.stream_id) {
                let Mode::Careful(tx) = &mut mode else {
                    return Err(Fallback::Careful);
                };
                let reason = super::dead_letters::held_reason(behind);
                tx.park(projection.name(), member.generation, event, &reason)?;
                report.parked += 1;
                continue;
            }
            let outcome = match &mut mode {
                Mode::Fast(tx) => projection.apply(event, *tx),
                Mode::Careful(tx) => tx.apply_alone(projection, event),
            };
            match (outcome, &mut mode) {
                (Ok(Outcome::Unknown), _) => unknown = true,
                (Ok(_), _) => {}
                (Err(ProjectionError::Malformed { .. }), Mode::Fast(_)) => {
                    return Err(Fallback::Careful);
                }
                (Err(ProjectionError::Malformed { reason, .. }), Mode::Careful(tx)) => {
                    tx.park(projection.name(), member.generation, event, &reason)?;
                    member.held.insert(event.stream_id.clone(), event.position);
                    report.parked += 1;
                }
                (Err(ProjectionError::Db(error)), _) => return Err(Fallback::Db(error)),
            }
        }
        if unknown {
            tracing::warn!(event_type = %event.event_type, position = event.position, "unknown event type skipped");
            report.unknown += 1;
        }
    }
    Ok(report)
}
