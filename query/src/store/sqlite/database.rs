//! The embedded read-model database: one SQLite file holding every projection's tables,
//! their checkpoints and their dead letters.
//!
//! - Each projection's tables exist in *generations* (`customers__g1`, `customers__g2`):
//!   `rm_generations` says which one queries read. A rebuild fills the next generation
//!   while queries keep reading the active one, then switches in one transaction.
//! - `rm_checkpoints` holds the position each projection generation has applied; it is
//!   written in the same transaction as the rows, so a crash neither loses nor
//!   double-applies an event. `synchronous = NORMAL` is enough for that: a power cut may
//!   lose the last transactions, but rows and checkpoint go together, and the events
//!   are replayed from the log.
//! - `rm_dead_letters` keeps parked events, inspectable and redriven or discarded by
//!   operators ([`crate::store::dead_letters`]); `rm_discarded_letters` records discards.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use es_core::projection::{BatchReport, Checkpoint};
use es_core::{EventEnvelope, Hash};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::checkpointer::Checkpointer;
use super::readers::Readers;
use super::render::{create_table, quoted};
use super::tx::{Names, SqliteReader, SqliteTx, db_error};
use super::unit_of_work::UnitOfWork;
use crate::projection::{Outcome, Projection, ProjectionError};
use crate::store::batch::{
    Careful, Fallback, Member, Mode, SwapWhen, apply_batch, fast_then_careful, generation_names,
    index_of, lowest, member_names, stored_hash, wanted,
};
use crate::store::dead_letters::{
    self, DeadLetter, DeadLetterError, DeadLetterStore, Discarded, HeldStreams, Letters,
};
use crate::store::schema::generation_table;
use crate::store::{DbError, Reader};

const META: &str = "
    CREATE TABLE IF NOT EXISTS rm_generations (
        projection TEXT PRIMARY KEY, generation INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS rm_checkpoints (
        projection TEXT NOT NULL, generation INTEGER NOT NULL, position INTEGER NOT NULL,
        hash TEXT, PRIMARY KEY (projection, generation));
    CREATE TABLE IF NOT EXISTS rm_dead_letters (
        projection TEXT NOT NULL, generation INTEGER NOT NULL, position INTEGER NOT NULL,
        event_id TEXT NOT NULL, stream_id TEXT NOT NULL, version INTEGER NOT NULL,
        event_type TEXT NOT NULL, reason TEXT NOT NULL, attempts INTEGER NOT NULL,
        envelope TEXT NOT NULL, parked_at TEXT NOT NULL,
        PRIMARY KEY (projection, generation, position));
    CREATE TABLE IF NOT EXISTS rm_discarded_letters (
        projection TEXT NOT NULL, generation INTEGER NOT NULL, position INTEGER NOT NULL,
        event_id TEXT NOT NULL, stream_id TEXT NOT NULL, version INTEGER NOT NULL,
        event_type TEXT NOT NULL, reason TEXT NOT NULL, attempts INTEGER NOT NULL,
        envelope TEXT NOT NULL, parked_at TEXT NOT NULL, discarded_at TEXT NOT NULL,
        discarded_by TEXT NOT NULL, discard_reason TEXT NOT NULL,
        PRIMARY KEY (projection, generation, position));
";

/// Which projection generations a writer applies events to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Members {
    /// Every projection, at whatever generation is active when each batch starts.
    Active,
    /// These projections at this (shadow) generation, for a rebuild.
    Shadow(Vec<(String, i64)>),
}

#[derive(Clone)]
pub struct ReadModelDb {
    path: PathBuf,
    projections: Arc<[Box<dyn Projection>]>,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Readers>,
    /// The physical table names queries read, with the schema version they were read
    /// at. Generations switch only together with a schema change (the old tables are
    /// dropped in the switching transaction), so while `PRAGMA schema_version` is
    /// unchanged these names are exact — one pragma per query instead of a lookup per
    /// projection.
    read_names: Arc<Mutex<Option<NamesAt>>>,
    /// Copies the WAL into the database file; stops with the last clone.
    _checkpointer: Arc<Checkpointer>,
    /// This process is the file's only writer while a clone is open.
    _lock: Arc<es_core::sqlite::lock::WriterLock>,
}

/// Physical table names and the schema version they were read at.
type NamesAt = (i64, Arc<Names>);

impl ReadModelDb {
    /// Opens (creating if needed) the database and every projection's active tables.
    pub fn open(
        path: impl AsRef<Path>,
        projections: Vec<Box<dyn Projection>>,
    ) -> Result<Self, DbError> {
        let path = path.as_ref().to_path_buf();
        let lock = es_core::sqlite::lock::WriterLock::acquire(&path).map_err(DbError::Database)?;
        es_core::files::create_private_file(&path)
            .map_err(|e| DbError::Database(format!("cannot create {}: {e}", path.display())))?;
        let mut conn = Connection::open(&path).map_err(db_error)?;
        // Read models are rebuilt from the log, so favour throughput: a 256 MiB page
        // cache (allocated as used), memory-mapped reads, and no checkpoint in the
        // writer: the checkpointer copies the WAL back on a thread of its own.
        conn.pragma_update(None, "page_size", 16_384)
            .map_err(db_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| conn.pragma_update(None, "cache_size", -262_144))
            .and_then(|_| conn.pragma_update(None, "mmap_size", 268_435_456))
            .and_then(|_| conn.pragma_update(None, "wal_autocheckpoint", 0))
            .and_then(|_| conn.pragma_update(None, "temp_store", "MEMORY"))
            .and_then(|_| conn.busy_timeout(std::time::Duration::from_secs(5)))
            .map_err(db_error)?;
        conn.set_prepared_statement_cache_capacity(512);
        stable_plans(&conn)?;
        conn.execute_batch(META).map_err(db_error)?;
        add_checkpoint_hashes(&conn)?;
        let tx = conn.transaction().map_err(db_error)?;
        for projection in &projections {
            let generation: Option<i64> = tx
                .query_row(
                    "SELECT generation FROM rm_generations WHERE projection = ?1",
                    params![projection.name()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_error)?;
            let generation = generation.unwrap_or(1);
            create_generation(&tx, projection.as_ref(), generation)?;
            tx.execute(
                "INSERT OR IGNORE INTO rm_generations (projection, generation) VALUES (?1, ?2)",
                params![projection.name(), generation],
            )
            .map_err(db_error)?;
        }
        tx.commit().map_err(db_error)?;
        let readers = Arc::new(Readers::new(path.clone()));
        let checkpointer = Arc::new(Checkpointer::start(&path)?);
        Ok(Self {
            path,
            projections: projections.into(),
            writer: Arc::new(Mutex::new(conn)),
            readers,
            read_names: Arc::default(),
            _checkpointer: checkpointer,
            _lock: Arc::new(lock),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn projections(&self) -> &[Box<dyn Projection>] {
        &self.projections
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic inside a transaction drops it (rolled back): the connection is fine.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn members(&self, tx: &Transaction<'_>, which: &Members) -> Result<Vec<Member>, DbError> {
        let mut held = held_streams(tx)?;
        wanted(&self.projections, which)?
            .into_iter()
            .map(|(index, generation)| {
                let name = self.projections[index].name();
                let generation = match generation {
                    Some(g) => g,
                    None => active_generation(tx, name)?,
                };
                let (checkpoint, hash) = checkpoint_of(tx, name, generation)?;
                Ok(Member {
                    index,
                    generation,
                    checkpoint,
                    hash,
                    held: held
                        .remove(&(name.to_owned(), generation))
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The lowest position every member has applied (where to resubscribe).
    pub fn checkpoint(&self, which: &Members) -> Result<Checkpoint, DbError> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(db_error)?;
        Ok(lowest(&self.members(&tx, which)?))
    }

    /// Applies a batch to every member that has not seen each event, and moves their
    /// checkpoints, in one transaction. A malformed event is parked for the projection
    /// that could not read it; the others still apply it.
    pub fn apply(&self, which: &Members, events: &[EventEnvelope]) -> Result<BatchReport, DbError> {
        let mut conn = self.writer();
        fast_then_careful(|careful| self.apply_in(&mut conn, which, events, careful))
    }

    fn apply_in(
        &self,
        conn: &mut Connection,
        which: &Members,
        events: &[EventEnvelope],
        careful: bool,
    ) -> Result<BatchReport, Fallback> {
        let mut tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| Fallback::Db(db_error(e)))?;
        let mut members = self.members(&tx, which)?;
        let names = member_names(&self.projections, &members);
        let report = if careful {
            let mut savepoints = Savepoints {
                tx: &mut tx,
                names: &names,
            };
            let mode = Mode::Careful(&mut savepoints);
            apply_batch(&self.projections, &mut members, events, mode)?
        } else {
            let mut direct = SqliteTx {
                conn: &tx,
                names: &names,
            };
            let mut work = UnitOfWork::new(&mut direct);
            let mode = Mode::Fast(&mut work);
            let report = apply_batch(&self.projections, &mut members, events, mode)?;
            work.flush()?;
            report
        };
        for member in &members {
            let name = self.projections[member.index].name();
            set_checkpoint(&tx, name, member.generation, member.at())?;
        }
        tx.commit().map_err(|e| Fallback::Db(db_error(e)))?;
        Ok(report)
    }

    /// Applies one event to every active projection in its own transaction, returning
    /// the first projection error instead of parking it (for projection unit tests).
    #[cfg(any(test, feature = "test-util"))]
    pub fn apply_for_test(&self, event: &EventEnvelope) -> Result<Outcome, ProjectionError> {
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(|e| ProjectionError::Db(db_error(e)))?;
        let members = self.members(&tx, &Members::Active)?;
        let names = member_names(&self.projections, &members);
        let mut result = Outcome::Ignored;
        for member in &members {
            let outcome = self.projections[member.index].apply(
                event,
                &mut SqliteTx {
                    conn: &tx,
                    names: &names,
                },
            )?;
            if outcome == Outcome::Applied || result == Outcome::Ignored {
                result = outcome;
            }
        }
        tx.commit().map_err(|e| ProjectionError::Db(db_error(e)))?;
        Ok(result)
    }

    /// Runs `work` in a write transaction on the active tables (contract tests).
    #[cfg(any(test, feature = "test-util"))]
    pub fn write_for_test<T>(
        &self,
        work: impl FnOnce(&mut dyn crate::store::Tx) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(db_error)?;
        let members = self.members(&tx, &Members::Active)?;
        let names = member_names(&self.projections, &members);
        let result = work(&mut SqliteTx {
            conn: &tx,
            names: &names,
        })?;
        tx.commit().map_err(db_error)?;
        Ok(result)
    }

    /// Settles an event the runtime gave up on (its batch kept failing): each member
    /// that has not applied it tries it once more in a savepoint of its own, and only
    /// those it still fails for (or whose stream already waits behind a parked event)
    /// park it; the others apply it. Every member moves past it.
    pub fn park(
        &self,
        which: &Members,
        event: &EventEnvelope,
        reason: &str,
        attempts: u32,
    ) -> Result<(), DbError> {
        let mut conn = self.writer();
        let mut tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let members = self.members(&tx, which)?;
        let names = member_names(&self.projections, &members);
        for mut member in members {
            if event.position <= member.checkpoint {
                continue;
            }
            let projection = self.projections[member.index].as_ref();
            let mut savepoints = Savepoints {
                tx: &mut tx,
                names: &names,
            };
            let why = match member.held.get(&event.stream_id) {
                Some(&behind) => Some(dead_letters::held_reason(behind)),
                None => match savepoints.apply_alone(projection, event) {
                    Ok(_) => None,
                    Err(ProjectionError::Db(DbError::Unavailable(error))) => {
                        return Err(DbError::Unavailable(error));
                    }
                    Err(ProjectionError::Malformed { reason, .. }) => Some(reason),
                    Err(ProjectionError::Db(_)) => Some(reason.to_owned()),
                },
            };
            if let Some(why) = why {
                park_in(
                    &tx,
                    projection.name(),
                    member.generation,
                    event,
                    &why,
                    attempts,
                )?;
            }
            member.reached(event);
            set_checkpoint(&tx, projection.name(), member.generation, member.at())?;
        }
        tx.commit().map_err(db_error)
    }

    /// Runs `query` on one consistent snapshot of the active generations.
    pub async fn read<T: Send + 'static, E: From<DbError> + Send + 'static>(
        &self,
        query: impl FnOnce(&mut dyn Reader) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let projections = self.projections.clone();
        let cache = self.read_names.clone();
        self.readers.with(move |conn| {
            let snapshot = ReadSnapshot::begin(conn)?;
            let version: i64 = conn
                .prepare_cached("PRAGMA schema_version")
                .and_then(|mut s| s.query_row([], |r| r.get(0)))
                .map_err(db_error)?;
            let cached = {
                let cache = cache.lock().unwrap_or_else(|p| p.into_inner());
                cache
                    .as_ref()
                    .filter(|(at, _)| *at == version)
                    .map(|(_, names)| names.clone())
            };
            let names = match cached {
                Some(names) => names,
                None => {
                    let mut names = Names::default();
                    for projection in projections.iter() {
                        let generation = active_generation(conn, projection.name())?;
                        names.extend(generation_names(projection.as_ref(), generation));
                    }
                    let names = Arc::new(names);
                    *cache.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some((version, names.clone()));
                    names
                }
            };
            let mut reader = SqliteReader {
                conn,
                names: &names,
            };
            let result = query(&mut reader);
            snapshot.end()?;
            result
        })?
    }

    /// Creates the next generation of these projections' tables for a rebuild.
    pub fn begin_rebuild(&self, names: &[String]) -> Result<Members, DbError> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(db_error)?;
        let mut shadow = Vec::new();
        for name in names {
            let projection = self.projections[index_of(&self.projections, name)?].as_ref();
            let generation = active_generation(&tx, name)? + 1;
            for table in projection.tables() {
                tx.execute_batch(&format!(
                    "DROP TABLE IF EXISTS {}",
                    quoted(&generation_table(table.name, generation))
                ))
                .map_err(db_error)?;
            }
            create_generation(&tx, projection, generation)?;
            tx.execute(
                "DELETE FROM rm_dead_letters WHERE projection = ?1 AND generation = ?2",
                params![name, generation],
            )
            .map_err(db_error)?;
            set_checkpoint(&tx, name, generation, Checkpoint::default())?;
            shadow.push((name.clone(), generation));
        }
        tx.commit().map_err(db_error)?;
        Ok(Members::Shadow(shadow))
    }

    /// Switches every shadow member that has caught up with its active generation
    /// (same position or further) to active, drops the old tables, and returns the
    /// members still behind.
    pub fn try_swap(&self, shadow: &Members, when: SwapWhen) -> Result<Members, DbError> {
        let Members::Shadow(list) = shadow else {
            return Ok(shadow.clone());
        };
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let mut behind = Vec::new();
        for (name, generation) in list {
            let active = active_generation(&tx, name)?;
            if active == *generation {
                continue; // already switched: dropping "the old" tables would drop these
            }
            let (live, _) = checkpoint_of(&tx, name, active)?;
            if when.behind(checkpoint_of(&tx, name, *generation)?.0, live) {
                behind.push((name.clone(), *generation));
                continue;
            }
            tx.execute(
                "UPDATE rm_generations SET generation = ?2 WHERE projection = ?1",
                params![name, generation],
            )
            .map_err(db_error)?;
            let projection = self.projections[index_of(&self.projections, name)?].as_ref();
            for table in projection.tables() {
                tx.execute_batch(&format!(
                    "DROP TABLE IF EXISTS {}",
                    quoted(&generation_table(table.name, active))
                ))
                .map_err(db_error)?;
            }
            tx.execute(
                "DELETE FROM rm_checkpoints WHERE projection = ?1 AND generation = ?2",
                params![name, active],
            )
            .map_err(db_error)?;
            tx.execute(
                "DELETE FROM rm_dead_letters WHERE projection = ?1 AND generation = ?2",
                params![name, active],
            )
            .map_err(db_error)?;
            tracing::info!(projection = %name, generation, "rebuilt read model is now active");
        }
        tx.commit().map_err(db_error)?;
        Ok(Members::Shadow(behind))
    }

    /// Per projection: name, active generation, position, dead letters.
    ///
    /// Read through a reader connection, not the writer: the status must answer while
    /// a slow or stuck projection holds the writer for as long as its batch takes.
    pub fn positions(&self) -> Result<Vec<(String, i64, u64, u64)>, DbError> {
        self.readers.with(|conn| {
            let tx = conn.transaction().map_err(db_error)?;
            self.positions_in(&tx)
        })?
    }

    fn positions_in(&self, tx: &Transaction<'_>) -> Result<Vec<(String, i64, u64, u64)>, DbError> {
        self.projections
            .iter()
            .map(|p| {
                let generation = active_generation(tx, p.name())?;
                let (position, _) = checkpoint_of(tx, p.name(), generation)?;
                let dead: i64 = tx
                    .query_row(
                        "SELECT COUNT(*) FROM rm_dead_letters WHERE projection = ?1 AND generation = ?2",
                        params![p.name(), generation],
                        |r| r.get(0),
                    )
                    .map_err(db_error)?;
                Ok((p.name().to_owned(), generation, position, dead as u64))
            })
            .collect()
    }

    /// The parked events of a projection's active generation, oldest first.
    pub fn dead_letters(&self, projection: &str) -> Result<Vec<DeadLetter>, DbError> {
        index_of(&self.projections, projection)?;
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(db_error)?;
        let generation = active_generation(&tx, projection)?;
        let mut letters = parked_in(&tx, projection, generation)?;
        dead_letters::mark_held(&mut letters);
        Ok(letters)
    }

    /// The discarded dead letters of a projection's active generation, oldest first.
    pub fn discarded(&self, projection: &str) -> Result<Vec<Discarded>, DbError> {
        index_of(&self.projections, projection)?;
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(db_error)?;
        let generation = active_generation(&tx, projection)?;
        let mut stmt = tx
            .prepare(&format!(
                "SELECT {LETTER_COLUMNS}, discarded_at, discarded_by, discard_reason \
                 FROM rm_discarded_letters WHERE projection = ?1 AND generation = ?2 ORDER BY position"
            ))
            .map_err(db_error)?;
        let rows = stmt
            .query_map(params![projection, generation], |r| {
                Ok(Discarded {
                    letter: letter_of(projection, r)?,
                    discarded_at: r.get(9)?,
                    discarded_by: r.get(10)?,
                    discard_reason: r.get(11)?,
                })
            })
            .map_err(db_error)?;
        rows.collect::<Result<_, _>>().map_err(db_error)
    }
}

/// The columns of a dead letter, in the order [`letter_of`] reads them.
const LETTER_COLUMNS: &str =
    "position, event_id, stream_id, version, event_type, reason, attempts, parked_at, envelope";

fn letter_of(projection: &str, r: &rusqlite::Row<'_>) -> rusqlite::Result<DeadLetter> {
    Ok(DeadLetter {
        projection: projection.to_owned(),
        position: r.get::<_, i64>(0)? as u64,
        event_id: r.get(1)?,
        stream_id: r.get(2)?,
        version: r.get::<_, i64>(3)? as u64,
        event_type: r.get(4)?,
        reason: r.get(5)?,
        attempts: r.get(6)?,
        parked_at: r.get(7)?,
        held_behind: None,
        envelope: r.get(8)?,
    })
}

fn parked_in(
    conn: &Connection,
    projection: &str,
    generation: i64,
) -> Result<Vec<DeadLetter>, DbError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {LETTER_COLUMNS} FROM rm_dead_letters \
             WHERE projection = ?1 AND generation = ?2 ORDER BY position"
        ))
        .map_err(db_error)?;
    let rows = stmt
        .query_map(params![projection, generation], |r| {
            letter_of(projection, r)
        })
        .map_err(db_error)?;
    rows.collect::<Result<_, _>>().map_err(db_error)
}

/// Per projection generation, the streams with a parked event and the first parked
/// position of each.
fn held_streams(conn: &Connection) -> Result<HeldStreams, DbError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT projection, generation, stream_id, MIN(position) FROM rm_dead_letters \
             GROUP BY projection, generation, stream_id",
        )
        .map_err(db_error)?;
    let mut held = HeldStreams::new();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .map_err(db_error)?;
    for row in rows {
        let (projection, generation, stream, position) = row.map_err(db_error)?;
        held.entry((projection, generation))
            .or_default()
            .insert(stream, position as u64);
    }
    Ok(held)
}

/// Keeps each prepared statement's plan whatever values are bound (SQLite's query
/// planner stability guarantee). Without it, a bound `LIMIT ?` (every select renders
/// one) marks the statement expired on each new binding, and SQLite parses and plans
/// it again on the next step: 13 % of a rebuild's time was spent re-preparing cached
/// statements. The plans stay those chosen for the first binding, which for these
/// key and index lookups is the same plan.
pub(super) fn stable_plans(conn: &Connection) -> Result<(), DbError> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(|_| ())
    .map_err(db_error)
}

fn create_generation(
    tx: &Transaction<'_>,
    projection: &dyn Projection,
    generation: i64,
) -> Result<(), DbError> {
    for table in projection.tables() {
        for statement in create_table(table, &generation_table(table.name, generation)) {
            tx.execute_batch(&statement).map_err(db_error)?;
        }
    }
    tx.execute(
        "INSERT OR IGNORE INTO rm_checkpoints (projection, generation, position) VALUES (?1, ?2, 0)",
        params![projection.name(), generation],
    )
    .map_err(db_error)?;
    Ok(())
}

/// A read transaction begun and ended with cached statements (`Transaction` prepares
/// `BEGIN` and `COMMIT` anew each time); dropped unfinished, it rolls back.
struct ReadSnapshot<'c> {
    conn: &'c Connection,
    open: bool,
}

impl<'c> ReadSnapshot<'c> {
    fn begin(conn: &'c Connection) -> Result<Self, DbError> {
        conn.prepare_cached("BEGIN")
            .and_then(|mut s| s.execute([]))
            .map_err(db_error)?;
        Ok(ReadSnapshot { conn, open: true })
    }

    fn end(mut self) -> Result<(), DbError> {
        self.open = false;
        self.conn
            .prepare_cached("COMMIT")
            .and_then(|mut s| s.execute([]))
            .map(drop)
            .map_err(db_error)
    }
}

impl Drop for ReadSnapshot<'_> {
    fn drop(&mut self) {
        if self.open && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

fn active_generation(conn: &Connection, projection: &str) -> Result<i64, DbError> {
    conn.prepare_cached("SELECT generation FROM rm_generations WHERE projection = ?1")
        .and_then(|mut s| s.query_row(params![projection], |r| r.get(0)))
        .map_err(db_error)
}

/// A database made before checkpoints kept their event's hash gets the column (empty:
/// those checkpoints are not compared until they next move).
fn add_checkpoint_hashes(conn: &Connection) -> Result<(), DbError> {
    let has_it: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('rm_checkpoints') WHERE name = 'hash'",
            [],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )
        .map_err(db_error)?;
    if !has_it {
        conn.execute_batch("ALTER TABLE rm_checkpoints ADD COLUMN hash TEXT")
            .map_err(db_error)?;
    }
    Ok(())
}

/// A generation's checkpoint: position and the hash of the event there.
fn checkpoint_of(
    conn: &Connection,
    projection: &str,
    generation: i64,
) -> Result<(u64, Option<Hash>), DbError> {
    let (position, hash) = conn
        .prepare_cached(
            "SELECT position, hash FROM rm_checkpoints WHERE projection = ?1 AND generation = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![projection, generation], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
            })
        })
        .optional()
        .map_err(db_error)?
        .unwrap_or((0, None));
    Ok((position as u64, stored_hash(hash)?))
}

fn set_checkpoint(
    conn: &Connection,
    projection: &str,
    generation: i64,
    to: Checkpoint,
) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO rm_checkpoints (projection, generation, position, hash) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (projection, generation) \
         DO UPDATE SET position = excluded.position, hash = excluded.hash",
    )
    .and_then(|mut s| {
        s.execute(params![
            projection,
            generation,
            to.position as i64,
            to.hash.map(|h| h.to_hex())
        ])
    })
    .map(|_| ())
    .map_err(db_error)
}

/// The careful path's savepoints, in the batch's transaction.
struct Savepoints<'t, 'c> {
    tx: &'t mut Transaction<'c>,
    names: &'t Names,
}

impl Careful for Savepoints<'_, '_> {
    fn apply_alone(
        &mut self,
        projection: &dyn Projection,
        event: &EventEnvelope,
    ) -> Result<Outcome, ProjectionError> {
        let savepoint = self.tx.savepoint().map_err(db_error)?;
        let outcome = projection.apply(
            event,
            &mut SqliteTx {
                conn: &savepoint,
                names: self.names,
            },
        );
        // Dropped uncommitted, the savepoint rolls back.
        if outcome.is_ok() {
            savepoint.commit().map_err(db_error)?;
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
        park_in(self.tx, projection, generation, event, reason, 1)
    }
}

impl Letters for Savepoints<'_, '_> {
    fn parked(&mut self, projection: &str, generation: i64) -> Result<Vec<DeadLetter>, DbError> {
        parked_in(self.tx, projection, generation)
    }

    fn unpark(&mut self, projection: &str, generation: i64, position: u64) -> Result<(), DbError> {
        self.tx
            .execute(
                "DELETE FROM rm_dead_letters WHERE projection = ?1 AND generation = ?2 AND position = ?3",
                params![projection, generation, position as i64],
            )
            .map(drop)
            .map_err(db_error)
    }

    fn repark(
        &mut self,
        projection: &str,
        generation: i64,
        letter: &DeadLetter,
    ) -> Result<(), DbError> {
        self.tx
            .execute(
                "UPDATE rm_dead_letters SET reason = ?4, attempts = ?5, parked_at = ?6 \
                 WHERE projection = ?1 AND generation = ?2 AND position = ?3",
                params![
                    projection,
                    generation,
                    letter.position as i64,
                    letter.reason,
                    letter.attempts,
                    es_core::time::format(&es_core::envelope::now()),
                ],
            )
            .map(drop)
            .map_err(db_error)
    }

    fn record_discard(&mut self, generation: i64, discarded: &Discarded) -> Result<(), DbError> {
        let letter = &discarded.letter;
        self.tx
            .execute(
                "INSERT OR REPLACE INTO rm_discarded_letters (projection, generation, position, \
                 event_id, stream_id, version, event_type, reason, attempts, envelope, parked_at, \
                 discarded_at, discarded_by, discard_reason) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    letter.projection,
                    generation,
                    letter.position as i64,
                    letter.event_id,
                    letter.stream_id,
                    letter.version as i64,
                    letter.event_type,
                    letter.reason,
                    letter.attempts,
                    letter.envelope,
                    letter.parked_at,
                    discarded.discarded_at,
                    discarded.discarded_by,
                    discarded.discard_reason,
                ],
            )
            .map(drop)
            .map_err(db_error)
    }
}

fn park_in(
    conn: &Connection,
    projection: &str,
    generation: i64,
    event: &EventEnvelope,
    reason: &str,
    attempts: u32,
) -> Result<(), DbError> {
    let envelope = serde_json::to_string(event).map_err(|e| DbError::Database(e.to_string()))?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO rm_dead_letters (projection, generation, position, event_id, \
         stream_id, version, event_type, reason, attempts, envelope, parked_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .and_then(|mut s| {
        s.execute(params![
            projection,
            generation,
            event.position as i64,
            event.event_id.to_string(),
            event.stream_id,
            event.version as i64,
            event.event_type,
            reason,
            attempts,
            envelope,
            es_core::time::format(&es_core::envelope::now()),
        ])
    })
    .map(|_| ())
    .map_err(db_error)
}

impl DeadLetterStore for ReadModelDb {
    /// Runs `work` on `projection`'s active generation in one immediate transaction.
    fn on_letters<T>(
        &self,
        projection: &str,
        work: impl FnOnce(&mut dyn Letters, &dyn Projection, i64) -> Result<T, DeadLetterError>,
    ) -> Result<T, DeadLetterError> {
        let index = index_of(&self.projections, projection)
            .map_err(|_| DeadLetterError::NoProjection(projection.to_owned()))?;
        let projection = self.projections[index].as_ref();
        let mut conn = self.writer();
        let mut tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let generation = active_generation(&tx, projection.name())?;
        let names: Names = generation_names(projection, generation).collect();
        let done = work(
            &mut Savepoints {
                tx: &mut tx,
                names: &names,
            },
            projection,
            generation,
        )?;
        tx.commit().map_err(db_error)?;
        Ok(done)
    }
}
