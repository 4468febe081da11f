//! A projection that counts: each `tally.added.v1` adds its `amount` to its tally's
//! total and 1 to `applied`, so an event applied twice, or lost, shows in the row. The
//! runtime's and the backends' tests drive batches, crashes, retries and rebuilds
//! through it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use es_core::EventEnvelope;
use serde::Deserialize as _;

use crate::projection::{Outcome, Projection, ProjectionError};
use crate::store::{Column, DbError, Reader, Table, Tx, Value};

pub const AGGREGATE_TYPE: &str = "tally";
pub const ADDED: &str = "tally.added.v1";
/// Added like `tally.added.v1`, but failing with a database error while
/// [`Tallies::failures_left`] is above zero (a flaky disk).
pub const POISONED: &str = "tally.poisoned.v1";

pub static TALLIES: Table = Table {
    name: "tallies",
    columns: &[
        Column::text("tally_id"),
        Column::int("total"),
        Column::int("applied"),
        Column::int("version"),
    ],
    key: &["tally_id"],
    indexes: &[],
};

/// Projects the `tally` aggregate's events into [`TALLIES`].
#[derive(Default)]
pub struct Tallies {
    /// How many more `tally.poisoned.v1` events fail (shared with the test).
    pub failures_left: Arc<AtomicU32>,
}

#[derive(serde::Deserialize)]
struct Added {
    amount: i64,
}

impl Projection for Tallies {
    fn name(&self) -> &'static str {
        "tallies"
    }

    fn tables(&self) -> &'static [&'static Table] {
        static TABLES: [&Table; 1] = [&TALLIES];
        &TABLES
    }

    fn apply(&self, event: &EventEnvelope, tx: &mut dyn Tx) -> Result<Outcome, ProjectionError> {
        if event.aggregate_type != AGGREGATE_TYPE {
            return Ok(Outcome::Ignored);
        }
        match event.event_type.as_str() {
            ADDED => {}
            POISONED => {
                if self.failures_left.load(Ordering::SeqCst) > 0 {
                    self.failures_left.fetch_sub(1, Ordering::SeqCst);
                    return Err(DbError::Database("disk hiccup".into()).into());
                }
            }
            _ => return Ok(Outcome::Unknown),
        }
        let added =
            Added::deserialize(&event.payload).map_err(|e| ProjectionError::malformed(event, e))?;
        let key = [("tally_id", Value::from(&event.aggregate_id))];
        let (total, applied) = tally_of(tx.get(&TALLIES, &key)?)?.unwrap_or_default();
        tx.upsert(
            &TALLIES,
            &[
                ("tally_id", Value::from(&event.aggregate_id)),
                ("total", Value::from(total + added.amount)),
                ("applied", Value::from(applied + 1)),
                ("version", Value::from(event.version)),
            ],
        )?;
        Ok(Outcome::Applied)
    }
}

/// `(total, applied)` of tally `id`, as queries see it.
pub fn tally(reader: &mut dyn Reader, id: &str) -> Result<Option<(i64, i64)>, DbError> {
    tally_of(reader.get(&TALLIES, &[("tally_id", id.into())])?)
}

fn tally_of(row: Option<crate::store::Row>) -> Result<Option<(i64, i64)>, DbError> {
    row.map(|row| Ok((row.int("total")?, row.int("applied")?)))
        .transpose()
}
