//! The lean read path for audits of the embedded store: its `events` table read
//! straight from the file, read-only.
//!
//! `read_all` builds a fresh `EventEnvelope` per row, with the payload parsed into a
//! `serde_json::Value`; an audit then serialises that payload back to hash or export
//! it. Here each row overwrites a reused [`Row`] (no allocation once the page buffers
//! have grown) and the payload stays the text the store keeps, which is canonical JSON
//! (ADR 001) and exactly what the hash covers. The column list mirrors
//! `crate::sqlite::rows`; a test compares both paths row for row.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, params};
use uuid::Uuid;

use crate::envelope::{Actor, EventEnvelope};
use crate::hash::Hash;
use crate::store::StoreError;
use crate::time;

use super::source::{Damage, Row};

const COLUMNS: &str = "position, event_id, stream_id, aggregate_type, aggregate_id, version, \
     event_type, schema_version, occurred_at, recorded_at, correlation_id, causation_id, \
     actor_subject, actor_role, traceparent, payload, prev_hash, hash";

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("audit read failed: {e}"))
}

/// A read-only connection to an event store file.
pub(super) struct EventsFile {
    conn: Connection,
}

impl EventsFile {
    /// Opens the file read-only: an audit cannot change the log, not even by migrating
    /// its schema.
    pub(super) fn open(path: &Path) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| {
            StoreError::Unavailable(format!("cannot open {} read-only: {e}", path.display()))
        })?;
        crate::sqlite::stable_plans(&conn)?;
        conn.busy_timeout(Duration::from_secs(5))
            .and_then(|_| conn.pragma_update(None, "cache_size", -65_536))
            .map_err(unavailable)?;
        Ok(Self { conn })
    }

    /// The highest position stored.
    pub(super) fn head(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|p| p as u64)
            .map_err(|e| {
                StoreError::Unavailable(format!("not a Pitlane event store (no events): {e}"))
            })
    }

    /// Up to `limit` rows with `after < position <= until`, into `rows`; the damaged row
    /// that stopped the page, if any.
    pub(super) fn read_all(
        &self,
        after: u64,
        until: u64,
        limit: usize,
        rows: &mut Vec<Row>,
    ) -> Result<Option<Damage>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE position > ?1 AND position <= ?2 \
             ORDER BY position LIMIT ?3"
        );
        self.query(
            &sql,
            params![after as i64, until as i64, limit as i64],
            rows,
        )
    }

    /// Up to `limit` rows after `after` whose correlation id is `correlation_id`, in
    /// position order (through the store's index on correlation ids when it has one).
    pub(super) fn read_correlated(
        &self,
        correlation_id: &str,
        after: u64,
        limit: usize,
        rows: &mut Vec<Row>,
    ) -> Result<Option<Damage>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE correlation_id = ?1 AND position > ?2 \
             ORDER BY position LIMIT ?3"
        );
        self.query(
            &sql,
            params![correlation_id, after as i64, limit as i64],
            rows,
        )
    }

    /// Up to `limit` rows of one stream from `from_version` on, into `rows`.
    pub(super) fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
        rows: &mut Vec<Row>,
    ) -> Result<Option<Damage>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE stream_id = ?1 AND version >= ?2 \
             ORDER BY version LIMIT ?3"
        );
        self.query(
            &sql,
            params![stream_id, from_version as i64, limit as i64],
            rows,
        )
    }

    fn query(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        rows: &mut Vec<Row>,
    ) -> Result<Option<Damage>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(unavailable)?;
        let mut results = stmt.query(params).map_err(unavailable)?;
        let mut filled = 0;
        let mut damage = None;
        while let Some(result) = results.next().map_err(unavailable)? {
            if filled == rows.len() {
                rows.push(Row {
                    event: blank(),
                    payload_text: Some(String::new()),
                });
            }
            if let Err(found) = decode(result, &mut rows[filled]) {
                damage = Some(found);
                break;
            }
            filled += 1;
        }
        rows.truncate(filled);
        Ok(damage)
    }
}

/// Overwrites `into` with the row, reusing its strings' memory. A column that does not
/// decode is damage naming the stream, version and position (as far as they read).
fn decode(row: &rusqlite::Row<'_>, into: &mut Row) -> Result<(), Damage> {
    let position = row.get::<_, i64>(0).map(|p| p as u64).ok();
    let stream = text(row, 2).unwrap_or("<unreadable stream id>");
    let version = row.get::<_, i64>(5).map(|v| v as u64).unwrap_or(0);
    let damage = |column: &str, reason: String| Damage {
        stream_id: stream.to_owned(),
        version,
        position,
        reason: format!("column {column}: {reason}"),
    };
    let text = |i: usize, column: &str| text(row, i).map_err(|e| damage(column, e));
    let int = |i: usize, column: &str| {
        row.get::<_, i64>(i)
            .map_err(|e| damage(column, e.to_string()))
    };
    let hash = |i: usize, column: &str| {
        let bytes = row
            .get_ref(i)
            .and_then(|v| v.as_blob().map_err(Into::into))
            .map_err(|e| damage(column, e.to_string()))?;
        Hash::from_slice(bytes).map_err(|e| damage(column, e))
    };
    let when = |i: usize, column: &str| {
        text(i, column).and_then(|t| time::parse(t).map_err(|e| damage(column, e)))
    };
    let e = &mut into.event;
    e.position = int(0, "position")? as u64;
    e.event_id =
        Uuid::parse_str(text(1, "event_id")?).map_err(|err| damage("event_id", err.to_string()))?;
    set(&mut e.stream_id, text(2, "stream_id")?);
    set(&mut e.aggregate_type, text(3, "aggregate_type")?);
    set(&mut e.aggregate_id, text(4, "aggregate_id")?);
    e.version = int(5, "version")? as u64;
    set(&mut e.event_type, text(6, "event_type")?);
    e.schema_version = u32::try_from(int(7, "schema_version")?)
        .map_err(|err| damage("schema_version", err.to_string()))?;
    e.occurred_at = when(8, "occurred_at")?;
    e.recorded_at = when(9, "recorded_at")?;
    set(&mut e.correlation_id, text(10, "correlation_id")?);
    set(&mut e.causation_id, text(11, "causation_id")?);
    set(&mut e.actor.subject, text(12, "actor_subject")?);
    set(&mut e.actor.role, text(13, "actor_role")?);
    match row.get_ref(14) {
        Ok(ValueRef::Null) => e.traceparent = None,
        _ => set(
            e.traceparent.get_or_insert_with(String::new),
            text(14, "traceparent")?,
        ),
    }
    set(
        into.payload_text.get_or_insert_with(String::new),
        text(15, "payload")?,
    );
    e.prev_hash = hash(16, "prev_hash")?;
    e.hash = hash(17, "hash")?;
    Ok(())
}

/// A text column, borrowed from SQLite's row buffer.
fn text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r str, String> {
    row.get_ref(i)
        .and_then(|v| v.as_str().map_err(Into::into))
        .map_err(|e| e.to_string())
}

fn set(field: &mut String, value: &str) {
    field.clear();
    field.push_str(value);
}

fn blank() -> EventEnvelope {
    EventEnvelope {
        event_id: Uuid::nil(),
        stream_id: String::new(),
        aggregate_type: String::new(),
        aggregate_id: String::new(),
        version: 0,
        position: 0,
        event_type: String::new(),
        schema_version: 0,
        occurred_at: chrono::DateTime::UNIX_EPOCH,
        recorded_at: chrono::DateTime::UNIX_EPOCH,
        correlation_id: String::new(),
        causation_id: String::new(),
        actor: Actor::default(),
        traceparent: None,
        payload: serde_json::Value::Null,
        prev_hash: Hash::ZERO,
        hash: Hash::ZERO,
    }
}
