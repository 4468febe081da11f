//! The SQL Server read-model database: every projection's tables, their checkpoints
//! and their dead letters in one database, with the same generations, batches and
//! careful path as the SQLite backend (`store::sqlite::ReadModelDb`), so the projector
//! runtime, rebuilds and queries drive either alike.
//!
//! - One writer connection, behind a mutex: batches, rebuild switches and parking are
//!   serialised as SQLite's single writer serialises them. Each batch is one
//!   transaction (`XACT_ABORT ON`) in which rows and checkpoints commit together, and
//!   the checkpoints are read under `UPDLOCK, HOLDLOCK`, so a second query service on
//!   the same database waits for the first one's batch instead of applying it again.
//! - Queries read through a pool of connections, each query in one `SNAPSHOT`
//!   transaction that resolves the active generations first.

use std::sync::{Arc, Mutex};

use es_core::EventEnvelope;
use es_core::projection::{BatchReport, Checkpoint};

use super::connect::{Connector, ReaderPool, reader_pool, tiberius_config};
use super::generations::create_generation;
use super::io::Io;
use super::meta;
use super::render::{self, Read};
use super::session::{Conn, Session};
use super::tx::{MssqlReader, MssqlTx, Names};
use crate::config::SqlServerUrl;
use crate::projection::{Outcome, Projection, ProjectionError};
use crate::store::batch::{
    Careful, Fallback, Member, Mode, apply_batch, fast_then_careful, generation_names, lowest,
    member_names, wanted,
};
use crate::store::dead_letters::{HeldStreams, Letters};
use crate::store::sqlite::UnitOfWork;
use crate::store::{DbError, DeadLetter, Discarded, Members, Reader};

#[derive(Clone)]
pub struct ReadModelDb {
    pub(super) projections: Arc<[Box<dyn Projection>]>,
    /// Shared: the driver's settings are a few hundred bytes.
    connector: Arc<Connector>,
    /// `None` after a connection broke; reopened by the next writer.
    writer: Arc<Mutex<Option<Conn>>>,
    readers: ReaderPool,
    /// Last, so connections close before the runtime they belong to stops.
    io: Arc<Io>,
}

impl ReadModelDb {
    /// Connects (waiting for a server still starting), then creates whatever tables,
    /// indexes and generation records are missing: the schema migration at start.
    pub async fn open(
        url: &SqlServerUrl,
        projections: Vec<Box<dyn Projection>>,
    ) -> Result<Self, DbError> {
        let io = Arc::new(Io::new()?);
        let connector = Connector::new(tiberius_config(url), io.handle().clone());
        let writer = connector.connect_patiently().await?;
        let db = Self {
            projections: projections.into(),
            readers: reader_pool(connector.clone())?,
            io: io.clone(),
            connector: Arc::new(connector),
            writer: Arc::new(Mutex::new(Some(writer))),
        };
        let migrating = db.clone();
        io.handle()
            .spawn_blocking(move || migrating.migrate())
            .await
            .map_err(|e| {
                DbError::Database(format!("the schema migration did not finish: {e}"))
            })??;
        Ok(db)
    }

    pub fn projections(&self) -> &[Box<dyn Projection>] {
        &self.projections
    }

    fn migrate(&self) -> Result<(), DbError> {
        self.write(|session| {
            // ALTER DATABASE cannot run inside a transaction.
            session.batch(render::ALLOW_SNAPSHOT)?;
            in_transaction(session, |session| {
                session.batch(render::MIGRATION_LOCK)?;
                meta::create_tables(session)?;
                let generations = meta::generations(session)?;
                for projection in self.projections.iter() {
                    let generation = generations.get(projection.name()).copied().unwrap_or(1);
                    create_generation(session, projection.as_ref(), generation)?;
                    session.execute(&meta::adopt_generation(projection.name(), generation)?)?;
                }
                Ok(())
            })
        })
    }

    /// Runs `work` on the writer connection, reopening it if it broke.
    pub(super) fn write<T, E: From<DbError>>(
        &self,
        work: impl FnOnce(&mut Session<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        // After a panic the connection is marked as inside its transaction (see
        // `in_transaction`) and replaced here, so the poisoned lock is safe to take.
        let mut slot = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let conn = match slot.take() {
            Some(conn) if conn.reusable() => conn,
            _ => self.io.wait(self.connector.connect())?,
        };
        let conn = slot.insert(conn);
        work(&mut Session { io: &self.io, conn })
    }

    /// Runs `work` in one write transaction on the writer connection.
    pub(super) fn transaction<T, E: From<DbError>>(
        &self,
        work: impl FnOnce(&mut Session<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.write(|session| in_transaction(session, work))
    }

    pub(super) fn members(
        &self,
        session: &mut Session<'_>,
        which: &Members,
        read: Read,
    ) -> Result<Vec<Member>, DbError> {
        // Checkpoints first: when they are locked, a writer that had to wait reads the
        // generations as they are after the batch or switch it waited for.
        let checkpoints = meta::checkpoints(session, read)?;
        let generations = meta::generations(session)?;
        let mut held = HeldStreams::new();
        for row in meta::all_dead_letters(session)? {
            let streams = held
                .entry((row.text("projection")?, row.int("generation")?))
                .or_default();
            let first = streams.entry(row.text("stream_id")?).or_insert(u64::MAX);
            *first = (*first).min(row.uint("position")?);
        }
        wanted(&self.projections, which)?
            .into_iter()
            .map(|(index, generation)| {
                let name = self.projections[index].name();
                let generation = match generation.or_else(|| generations.get(name).copied()) {
                    Some(generation) => generation,
                    None => {
                        return Err(DbError::Database(format!(
                            "no generation recorded for `{name}`"
                        )));
                    }
                };
                let at = checkpoints
                    .get(&(name.to_owned(), generation))
                    .copied()
                    .unwrap_or_default();
                Ok(Member {
                    index,
                    generation,
                    checkpoint: at.position,
                    hash: at.hash,
                    held: held
                        .remove(&(name.to_owned(), generation))
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The lowest position every member has applied (where to resubscribe).
    pub fn checkpoint(&self, which: &Members) -> Result<Checkpoint, DbError> {
        self.write(|session| Ok(lowest(&self.members(session, which, Read::Rows)?)))
    }

    /// Applies a batch to every member that has not seen each event, and moves their
    /// checkpoints, in one transaction. A malformed event is parked for the projection
    /// that could not read it; the others still apply it.
    pub fn apply(&self, which: &Members, events: &[EventEnvelope]) -> Result<BatchReport, DbError> {
        fast_then_careful(|careful| self.apply_in(which, events, careful))
    }

    fn apply_in(
        &self,
        which: &Members,
        events: &[EventEnvelope],
        careful: bool,
    ) -> Result<BatchReport, Fallback> {
        self.transaction(|session| {
            let mut members = self.members(session, which, Read::RowsForUpdate)?;
            let names = member_names(&self.projections, &members);
            let mut direct = MssqlTx {
                session: &mut *session,
                names: &names,
            };
            let report = if careful {
                let mode = Mode::Careful(&mut direct);
                apply_batch(&self.projections, &mut members, events, mode)?
            } else {
                let mut work = UnitOfWork::new(&mut direct);
                let mode = Mode::Fast(&mut work);
                let report = apply_batch(&self.projections, &mut members, events, mode)?;
                work.flush()?;
                report
            };
            for member in &members {
                let name = self.projections[member.index].name();
                session.execute(&meta::set_checkpoint(name, member.generation, member.at())?)?;
            }
            Ok(report)
        })
    }

    /// Parks `event` for every member that has not applied it, and moves past it.
    pub fn park(
        &self,
        which: &Members,
        event: &EventEnvelope,
        reason: &str,
        attempts: u32,
    ) -> Result<(), DbError> {
        self.transaction(|session| {
            for mut member in self.members(session, which, Read::RowsForUpdate)? {
                if event.position > member.checkpoint {
                    let name = self.projections[member.index].name();
                    let generation = member.generation;
                    session.execute(&meta::park(name, generation, event, reason, attempts)?)?;
                    member.reached(event);
                    session.execute(&meta::set_checkpoint(name, generation, member.at())?)?;
                }
            }
            Ok(())
        })
    }

    /// Runs `query` on one consistent snapshot of the active generations, on a pooled
    /// connection and a blocking thread (a query is several network round trips).
    pub async fn read<T: Send + 'static, E: From<DbError> + Send + 'static>(
        &self,
        query: impl FnOnce(&mut dyn Reader) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let mut conn = self.readers.get().await.map_err(|e| {
            DbError::Unavailable(format!("no SQL Server connection to read on: {e}"))
        })?;
        let (io, projections) = (self.io.clone(), self.projections.clone());
        let read = self.io.handle().spawn_blocking(move || {
            let mut session = Session {
                io: &io,
                conn: &mut conn,
            };
            read_snapshot(&mut session, &projections, query)
        });
        read.await
            .map_err(|e| DbError::Unavailable(format!("a read did not finish: {e}")))?
    }

    /// Runs `work` in a write transaction on the active tables (contract tests).
    #[cfg(any(test, feature = "test-util"))]
    pub fn write_for_test<T>(
        &self,
        work: impl FnOnce(&mut dyn crate::store::Tx) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.transaction(|session| {
            let members = self.members(session, &Members::Active, Read::Rows)?;
            let names = member_names(&self.projections, &members);
            work(&mut MssqlTx {
                session,
                names: &names,
            })
        })
    }
}

/// `work` between `begin` and `COMMIT`, rolled back if it fails. The connection counts
/// as inside the transaction until a commit or rollback has gone through.
fn transaction_with<T, E: From<DbError>>(
    session: &mut Session<'_>,
    begin: &str,
    work: impl FnOnce(&mut Session<'_>) -> Result<T, E>,
) -> Result<T, E> {
    session.conn.in_transaction = true;
    session.batch(begin)?;
    let result = work(session).and_then(|value| {
        session.batch(render::COMMIT)?;
        Ok(value)
    });
    let ended = result.is_ok() || session.batch(render::ROLLBACK).is_ok();
    if ended {
        session.conn.in_transaction = false;
    }
    result
}

/// `work` in one write transaction (`XACT_ABORT ON`).
pub(super) fn in_transaction<T, E: From<DbError>>(
    session: &mut Session<'_>,
    work: impl FnOnce(&mut Session<'_>) -> Result<T, E>,
) -> Result<T, E> {
    transaction_with(session, render::BEGIN, work)
}

/// One query on one snapshot of the active generations.
fn read_snapshot<T, E: From<DbError>>(
    session: &mut Session<'_>,
    projections: &[Box<dyn Projection>],
    query: impl FnOnce(&mut dyn Reader) -> Result<T, E>,
) -> Result<T, E> {
    transaction_with(session, render::BEGIN_SNAPSHOT, |session| {
        let names = active_names(session, projections)?;
        query(&mut MssqlReader {
            session,
            names: &names,
        })
    })
}

/// The careful path's savepoints, in the batch's transaction.
impl Careful for MssqlTx<'_, '_> {
    fn apply_alone(
        &mut self,
        projection: &dyn Projection,
        event: &EventEnvelope,
    ) -> Result<Outcome, ProjectionError> {
        self.session.batch(render::SAVEPOINT)?;
        let outcome = projection.apply(event, self);
        // A database error fails the batch whole (XACT_ABORT may have rolled it back
        // already); after a malformed event no SQL failed, so the transaction is intact
        // and the savepoint can be rolled back to.
        if let Err(ProjectionError::Malformed { .. }) = outcome {
            self.session.batch(render::UNDO_SAVEPOINT)?;
        }
        outcome
    }

    fn park(
        &mut self,
        projection: &str,
        generation: i64,
        event: &EventEnvelope,
        reason: &str,
    ) -> Result<(), DbError> {
        let park = meta::park(projection, generation, event, reason, 1)?;
        self.session.execute(&park).map(drop)
    }
}

impl Letters for MssqlTx<'_, '_> {
    fn parked(&mut self, projection: &str, generation: i64) -> Result<Vec<DeadLetter>, DbError> {
        meta::dead_letters(self.session, projection, generation)?
            .iter()
            .map(|row| meta::letter(projection, row))
            .collect()
    }

    fn unpark(&mut self, projection: &str, generation: i64, position: u64) -> Result<(), DbError> {
        let statement = meta::delete_dead_letters(projection, generation, Some(position))?;
        self.session.execute(&statement).map(drop)
    }

    fn repark(
        &mut self,
        projection: &str,
        generation: i64,
        letter: &DeadLetter,
    ) -> Result<(), DbError> {
        let statement = meta::repark(projection, generation, letter)?;
        self.session.execute(&statement).map(drop)
    }

    fn record_discard(&mut self, generation: i64, discarded: &Discarded) -> Result<(), DbError> {
        let statement = meta::record_discard(generation, discarded)?;
        self.session.execute(&statement).map(drop)
    }
}

fn active_names(
    session: &mut Session<'_>,
    projections: &[Box<dyn Projection>],
) -> Result<Names, DbError> {
    let generations = meta::generations(session)?;
    let mut names = Names::default();
    for projection in projections {
        let generation = generations.get(projection.name()).copied().ok_or_else(|| {
            DbError::Database(format!(
                "no generation recorded for `{}`",
                projection.name()
            ))
        })?;
        names.extend(generation_names(projection.as_ref(), generation));
    }
    Ok(names)
}
