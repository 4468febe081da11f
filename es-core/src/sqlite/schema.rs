//! The event store's tables and their migrations, keyed by `PRAGMA user_version`.

use std::path::Path;

use rusqlite::Connection;

use crate::store::StoreError;

/// Each entry moves the schema one version up; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE events (
        position        INTEGER PRIMARY KEY,
        event_id        TEXT    NOT NULL UNIQUE,
        stream_id       TEXT    NOT NULL,
        aggregate_type  TEXT    NOT NULL,
        aggregate_id    TEXT    NOT NULL,
        version         INTEGER NOT NULL,
        event_type      TEXT    NOT NULL,
        schema_version  INTEGER NOT NULL,
        occurred_at     TEXT    NOT NULL,
        recorded_at     TEXT    NOT NULL,
        correlation_id  TEXT    NOT NULL,
        causation_id    TEXT    NOT NULL,
        actor_subject   TEXT    NOT NULL,
        actor_role      TEXT    NOT NULL,
        traceparent     TEXT,
        payload         TEXT    NOT NULL,
        prev_hash       BLOB    NOT NULL,
        hash            BLOB    NOT NULL,
        UNIQUE (stream_id, version)
    );
    CREATE TABLE snapshots (
        stream_id        TEXT    PRIMARY KEY,
        aggregate_type   TEXT    NOT NULL,
        version          INTEGER NOT NULL,
        hash             BLOB    NOT NULL,
        snapshot_version INTEGER NOT NULL,
        state            TEXT    NOT NULL,
        taken_at         TEXT    NOT NULL
    );
"#,
    r#"
    CREATE TABLE idempotency (
        key          TEXT    PRIMARY KEY,
        fingerprint  TEXT    NOT NULL,
        stream_id    TEXT    NOT NULL,
        version      INTEGER NOT NULL,
        position     INTEGER NOT NULL,
        recorded_at  TEXT    NOT NULL
    );
"#,
    // Auditors trace one request (all events of a correlation id) without a full scan.
    r#"
    CREATE INDEX events_by_correlation ON events (correlation_id, position);
"#,
];

/// WAL pages between automatic checkpoints (4 KiB each). The hot index pages are
/// rewritten by almost every commit; a longer WAL copies each of them into the database
/// once per checkpoint instead of many times, at the cost of a larger `-wal` file.
const WAL_CHECKPOINT_PAGES: i64 = 16_384;

fn unavailable(context: &str, error: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("{context}: {error}"))
}

/// Opens the write connection: WAL, fsync on every commit, schema migrated.
pub(super) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    crate::files::create_private_file(path)
        .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", path.display())))?;
    let mut conn = Connection::open(path)
        .map_err(|e| unavailable(&format!("cannot open {}", path.display()), e))?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .and_then(|_| conn.pragma_update(None, "synchronous", "FULL"))
        .and_then(|_| conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES))
        .and_then(|_| conn.pragma_update(None, "cache_size", -65_536))
        .and_then(|_| conn.busy_timeout(std::time::Duration::from_secs(5)))
        .map_err(|e| unavailable("cannot configure the connection", e))?;
    migrate(&mut conn)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| unavailable("cannot read the schema version", e))?;
    if current < 0 || current as usize > MIGRATIONS.len() {
        return Err(StoreError::Unavailable(format!(
            "the store's schema version {current} is newer than this build knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn
            .transaction()
            .map_err(|e| unavailable("cannot migrate", e))?;
        tx.execute_batch(sql)
            .and_then(|_| tx.pragma_update(None, "user_version", i as i64 + 1))
            .and_then(|_| tx.commit())
            .map_err(|e| unavailable(&format!("migration {} failed", i + 1), e))?;
    }
    Ok(())
}
