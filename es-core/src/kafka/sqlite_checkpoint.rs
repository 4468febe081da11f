//! The relay checkpoint in its own SQLite file (`relay.db` beside `events.db`).
//!
//! Its own file, not a table in the event store: the store's file has one writer (its
//! group-commit thread, ADR 003) that a second writing connection would contend with,
//! and nothing needs the checkpoint in the store's transactions (see
//! [`super::checkpoint`]: a stale checkpoint only causes duplicates).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::checkpoint::{CheckpointError, RelayCheckpoint};
use crate::envelope::now;
use crate::time;

const SCHEMA: &str = r#"
    CREATE TABLE IF NOT EXISTS relay_checkpoints (
        relay       TEXT PRIMARY KEY,
        position    INTEGER NOT NULL,
        updated_at  TEXT NOT NULL
    );
"#;

pub struct SqliteRelayCheckpoint {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
}

fn failed(context: &str, error: impl std::fmt::Display) -> CheckpointError {
    CheckpointError(format!("{context}: {error}"))
}

impl SqliteRelayCheckpoint {
    /// Opens (creating if needed) the checkpoint file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CheckpointError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)
            .map_err(|e| failed(&format!("cannot open {}", path.display()), e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| conn.busy_timeout(std::time::Duration::from_secs(5)))
            .and_then(|_| conn.execute_batch(SCHEMA))
            .map_err(|e| failed("cannot prepare the relay checkpoint", e))?;
        Ok(Self {
            path,
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn with_conn<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, CheckpointError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // SQLite rolls back a statement a panic interrupted: the connection is fine.
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            work(&conn)
        })
        .await
        .map_err(|e| failed("the checkpoint task failed", e))?
        .map_err(|e| failed("relay checkpoint", e))
    }
}

#[async_trait]
impl RelayCheckpoint for SqliteRelayCheckpoint {
    async fn load(&self, relay: &str) -> Result<u64, CheckpointError> {
        let relay = relay.to_owned();
        let position = self
            .with_conn(move |conn| {
                conn.prepare_cached("SELECT position FROM relay_checkpoints WHERE relay = ?1")?
                    .query_row([&relay], |row| row.get::<_, i64>(0))
                    .optional()
            })
            .await?;
        Ok(position.map_or(0, |p| p.max(0) as u64))
    }

    async fn save(&self, relay: &str, position: u64) -> Result<(), CheckpointError> {
        let relay = relay.to_owned();
        let position = i64::try_from(position)
            .map_err(|_| CheckpointError(format!("position {position} is out of range")))?;
        let at = time::format(&now());
        self.with_conn(move |conn| {
            conn.prepare_cached(
                "INSERT INTO relay_checkpoints (relay, position, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (relay) DO UPDATE SET position = excluded.position, \
                 updated_at = excluded.updated_at",
            )?
            .execute(params![relay, position, at])
            .map(|_| ())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::checkpoint::checkpoint_contract;

    #[tokio::test]
    async fn the_sqlite_checkpoint_keeps_the_contract() {
        let dir = tempfile::tempdir().unwrap();
        checkpoint_contract(&SqliteRelayCheckpoint::open(dir.path().join("relay.db")).unwrap())
            .await;
    }

    #[tokio::test]
    async fn a_saved_position_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.db");
        SqliteRelayCheckpoint::open(&path)
            .unwrap()
            .save("relay", 99)
            .await
            .unwrap();
        let reopened = SqliteRelayCheckpoint::open(&path).unwrap();
        assert_eq!(reopened.load("relay").await.unwrap(), 99);
    }
}
