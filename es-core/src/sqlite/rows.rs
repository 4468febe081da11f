//! Reading envelopes and snapshots back out of rows, naming the stream and version of
//! any row that no longer decodes.

use rusqlite::{Connection, Row, params};
use uuid::Uuid;

use crate::envelope::{Actor, EventEnvelope};
use crate::hash::Hash;
use crate::snapshot::Snapshot;
use crate::store::{IdempotencyRecord, StoreError};
use crate::time;

const COLUMNS: &str = "position, event_id, stream_id, aggregate_type, aggregate_id, version, \
     event_type, schema_version, occurred_at, recorded_at, correlation_id, causation_id, \
     actor_subject, actor_role, traceparent, payload, prev_hash, hash";

pub(super) fn read_stream(
    conn: &Connection,
    stream_id: &str,
    from_version: u64,
    limit: usize,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE stream_id = ?1 AND version >= ?2 \
         ORDER BY version LIMIT ?3"
    );
    query(
        conn,
        &sql,
        params![stream_id, from_version as i64, limit as i64],
    )
}

pub(super) fn read_all(
    conn: &Connection,
    after_position: u64,
    limit: usize,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2");
    query(conn, &sql, params![after_position as i64, limit as i64])
}

fn query(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let failed = |e: rusqlite::Error| StoreError::Unavailable(format!("read failed: {e}"));
    let mut stmt = conn.prepare_cached(sql).map_err(failed)?;
    let mut rows = stmt.query(params).map_err(failed)?;
    let mut events = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        events.push(decode_event(row)?);
    }
    Ok(events)
}

/// Decodes one event row; any column that does not decode is a `Corrupt` error that
/// names the stream and version (as far as those two can still be read).
pub(super) fn decode_event(row: &Row<'_>) -> Result<EventEnvelope, StoreError> {
    let stream_id: String = row
        .get(2)
        .unwrap_or_else(|_| "<unreadable stream id>".to_owned());
    let version: u64 = row.get::<_, i64>(5).map(|v| v as u64).unwrap_or(0);
    let corrupt = |column: &str, reason: String| StoreError::Corrupt {
        stream_id: stream_id.clone(),
        version,
        reason: format!("column {column}: {reason}"),
    };
    let text = |i: usize, column: &str| -> Result<String, StoreError> {
        row.get::<_, String>(i)
            .map_err(|e| corrupt(column, e.to_string()))
    };
    let int = |i: usize, column: &str| -> Result<i64, StoreError> {
        row.get::<_, i64>(i)
            .map_err(|e| corrupt(column, e.to_string()))
    };
    let hash = |i: usize, column: &str| -> Result<Hash, StoreError> {
        let bytes: Vec<u8> = row.get(i).map_err(|e| corrupt(column, e.to_string()))?;
        Hash::from_slice(&bytes).map_err(|e| corrupt(column, e))
    };
    let when = |i: usize, column: &str| {
        text(i, column).and_then(|t| time::parse(&t).map_err(|e| corrupt(column, e)))
    };
    let event_id =
        Uuid::parse_str(&text(1, "event_id")?).map_err(|e| corrupt("event_id", e.to_string()))?;
    let payload = serde_json::from_str(&text(15, "payload")?)
        .map_err(|e| corrupt("payload", e.to_string()))?;
    let schema_version = u32::try_from(int(7, "schema_version")?)
        .map_err(|e| corrupt("schema_version", e.to_string()))?;
    Ok(EventEnvelope {
        position: int(0, "position")? as u64,
        event_id,
        stream_id: text(2, "stream_id")?,
        aggregate_type: text(3, "aggregate_type")?,
        aggregate_id: text(4, "aggregate_id")?,
        version: int(5, "version")? as u64,
        event_type: text(6, "event_type")?,
        schema_version,
        occurred_at: when(8, "occurred_at")?,
        recorded_at: when(9, "recorded_at")?,
        correlation_id: text(10, "correlation_id")?,
        causation_id: text(11, "causation_id")?,
        actor: Actor::new(text(12, "actor_subject")?, text(13, "actor_role")?),
        traceparent: row
            .get(14)
            .map_err(|e| corrupt("traceparent", e.to_string()))?,
        payload,
        prev_hash: hash(16, "prev_hash")?,
        hash: hash(17, "hash")?,
    })
}

pub(super) fn load_snapshot(
    conn: &Connection,
    stream_id: &str,
) -> Result<Option<Snapshot>, StoreError> {
    let failed = |e: rusqlite::Error| StoreError::Unavailable(format!("read failed: {e}"));
    let mut stmt = conn
        .prepare_cached(
            "SELECT aggregate_type, version, hash, snapshot_version, state, taken_at \
             FROM snapshots WHERE stream_id = ?1",
        )
        .map_err(failed)?;
    let mut rows = stmt.query(params![stream_id]).map_err(failed)?;
    let Some(row) = rows.next().map_err(failed)? else {
        return Ok(None);
    };
    let version: i64 = row.get(1).map_err(failed)?;
    let corrupt = |reason: String| StoreError::Corrupt {
        stream_id: stream_id.to_owned(),
        version: version as u64,
        reason: format!("snapshot: {reason}"),
    };
    let hash: Vec<u8> = row.get(2).map_err(failed)?;
    let state: String = row.get(4).map_err(failed)?;
    let taken_at: String = row.get(5).map_err(failed)?;
    Ok(Some(Snapshot {
        stream_id: stream_id.to_owned(),
        aggregate_type: row.get(0).map_err(failed)?,
        version: version as u64,
        hash: Hash::from_slice(&hash).map_err(corrupt)?,
        snapshot_version: row.get(3).map_err(failed)?,
        state: serde_json::from_str(&state).map_err(|e| corrupt(e.to_string()))?,
        taken_at: time::parse(&taken_at).map_err(corrupt)?,
    }))
}

pub(super) fn find_idempotency(
    conn: &Connection,
    key: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    let failed = |e: rusqlite::Error| StoreError::Unavailable(format!("read failed: {e}"));
    let mut stmt = conn
        .prepare_cached(
            "SELECT fingerprint, stream_id, version, position FROM idempotency WHERE key = ?1",
        )
        .map_err(failed)?;
    let mut rows = stmt.query(params![key]).map_err(failed)?;
    let Some(row) = rows.next().map_err(failed)? else {
        return Ok(None);
    };
    Ok(Some(IdempotencyRecord {
        key: key.to_owned(),
        fingerprint: row.get(0).map_err(failed)?,
        stream_id: row.get(1).map_err(failed)?,
        version: row.get::<_, i64>(2).map_err(failed)? as u64,
        position: row.get::<_, i64>(3).map_err(failed)? as u64,
    }))
}
