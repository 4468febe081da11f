//! The read-model database the service runs on, whichever backend holds it.
//!
//! An enum rather than a trait object: each call is one `match` per batch or query —
//! never per row — and the SQLite path keeps its concrete, inlined calls (the rebuild
//! benchmark runs through here). Both backends expose the same methods with the same
//! meaning; SQL Server exists only in builds with the `mssql` feature.

use es_core::EventEnvelope;
use es_core::projection::{BatchReport, Checkpoint};

use super::dead_letters::DeadLetterStore;
use super::{
    DbError, DeadLetter, DeadLetterError, Discarded, Members, Reader, Redrive, Redriven, SwapWhen,
    sqlite,
};
use crate::projection::Projection;

#[derive(Clone)]
pub enum ReadModelStore {
    Sqlite(sqlite::ReadModelDb),
    #[cfg(feature = "mssql")]
    SqlServer(super::mssql::ReadModelDb),
}

impl From<sqlite::ReadModelDb> for ReadModelStore {
    fn from(db: sqlite::ReadModelDb) -> Self {
        ReadModelStore::Sqlite(db)
    }
}

#[cfg(feature = "mssql")]
impl From<super::mssql::ReadModelDb> for ReadModelStore {
    fn from(db: super::mssql::ReadModelDb) -> Self {
        ReadModelStore::SqlServer(db)
    }
}

/// `$body` with `$db` bound to the backend's database, whichever it is.
macro_rules! on_backend {
    ($store:expr, $db:ident => $body:expr) => {
        match $store {
            ReadModelStore::Sqlite($db) => $body,
            #[cfg(feature = "mssql")]
            ReadModelStore::SqlServer($db) => $body,
        }
    };
}

impl ReadModelStore {
    /// The bytes of the database file and of its write-ahead log, for a database in a
    /// local file (SQLite); `None` for a server database.
    pub fn storage(&self) -> Option<(u64, u64)> {
        match self {
            ReadModelStore::Sqlite(db) => Some(es_core::sqlite::storage_of(db.path())),
            #[cfg(feature = "mssql")]
            ReadModelStore::SqlServer(_) => None,
        }
    }

    /// Which backend, for logs and status.
    pub fn backend(&self) -> &'static str {
        match self {
            ReadModelStore::Sqlite(_) => "sqlite",
            #[cfg(feature = "mssql")]
            ReadModelStore::SqlServer(_) => "sqlserver",
        }
    }

    pub fn projections(&self) -> &[Box<dyn Projection>] {
        on_backend!(self, db => db.projections())
    }

    /// The lowest position every member has applied (where to resubscribe).
    pub fn checkpoint(&self, which: &Members) -> Result<Checkpoint, DbError> {
        on_backend!(self, db => db.checkpoint(which))
    }

    /// One batch, with the members' checkpoints, in one transaction.
    pub fn apply(&self, which: &Members, events: &[EventEnvelope]) -> Result<BatchReport, DbError> {
        on_backend!(self, db => db.apply(which, events))
    }

    pub fn park(
        &self,
        which: &Members,
        event: &EventEnvelope,
        reason: &str,
        attempts: u32,
    ) -> Result<(), DbError> {
        on_backend!(self, db => db.park(which, event, reason, attempts))
    }

    /// Runs `query` on one consistent snapshot of the active generations.
    pub async fn read<T: Send + 'static, E: From<DbError> + Send + 'static>(
        &self,
        query: impl FnOnce(&mut dyn Reader) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        on_backend!(self, db => db.read(query).await)
    }

    pub fn begin_rebuild(&self, names: &[String]) -> Result<Members, DbError> {
        on_backend!(self, db => db.begin_rebuild(names))
    }

    pub fn try_swap(&self, shadow: &Members, when: SwapWhen) -> Result<Members, DbError> {
        on_backend!(self, db => db.try_swap(shadow, when))
    }

    /// Per projection: name, active generation, position, dead letters.
    pub fn positions(&self) -> Result<Vec<(String, i64, u64, u64)>, DbError> {
        on_backend!(self, db => db.positions())
    }

    /// The parked events of a projection's active generation, oldest first.
    pub fn dead_letters(&self, projection: &str) -> Result<Vec<DeadLetter>, DbError> {
        on_backend!(self, db => db.dead_letters(projection))
    }

    /// The discarded dead letters of a projection's active generation.
    pub fn discarded(&self, projection: &str) -> Result<Vec<Discarded>, DbError> {
        on_backend!(self, db => db.discarded(projection))
    }

    /// Applies parked events after a fix ([`super::dead_letters::redrive`]).
    pub fn redrive(&self, projection: &str, which: Redrive) -> Result<Redriven, DeadLetterError> {
        on_backend!(self, db => db.redrive(projection, which))
    }

    /// Discards a parked event, recording who and why ([`super::dead_letters::discard`]).
    pub fn discard(
        &self,
        projection: &str,
        position: u64,
        reason: &str,
        by: &str,
    ) -> Result<Discarded, DeadLetterError> {
        on_backend!(self, db => db.discard(projection, position, reason, by))
    }
}
