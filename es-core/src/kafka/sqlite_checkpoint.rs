//! The relay checkpoint in its own SQLite file (`relay.db` beside `events.db`).
//!
//! Its own file, not a table in the event store: the store's file has one writer (its
//! group-commit thread, ADR 003) that a second writing connection would contend with,
//! and nothing needs the checkpoint in the store's transactions (see
//! [`super::checkpoint`]: a stale checkpoint only causes duplicates).

use std::path::Path;

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::checkpoint::{CheckpointError, RelayCheckpoint};
use crate::envelope::now;
use crate::sqlite::small_file::{SmallFile, SmallFileError};
use crate::time;

const SCHEMA: &str = r#"
    CREATE TABLE IF NOT EXISTS relay_checkpoints (
        relay       TEXT PRIMARY KEY,
        position    INTEGER NOT NULL,
        updated_at  TEXT NOT NULL
    );
"#;

pub struct SqliteRelayCheckpoint {
    file: SmallFile,
}

fn failed(error: SmallFileError) -> CheckpointError {
    CheckpointError(error.to_string())
}

impl SqliteRelayCheckpoint {
    /// Opens (creating if needed) the checkpoint file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CheckpointError> {
        let file = SmallFile::open(path, &[("synchronous", "NORMAL")], SCHEMA).map_err(failed)?;
        Ok(Self { file })
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

#[async_trait]
impl RelayCheckpoint for SqliteRelayCheckpoint {
    async fn load(&self, relay: &str) -> Result<u64, CheckpointError> {
        let relay = relay.to_owned();
        let position = self
            .file
            .run(move |conn| {
                conn.prepare_cached("SELECT position FROM relay_checkpoints WHERE relay = ?1")?
                    .query_row([&relay], |row| row.get::<_, i64>(0))
                    .optional()
            })
            .await
            .map_err(failed)?;
        Ok(position.map_or(0, |p| p.max(0) as u64))
    }

    async fn save(&self, relay: &str, position: u64) -> Result<(), CheckpointError> {
        let relay = relay.to_owned();
        let position = i64::try_from(position)
            .map_err(|_| CheckpointError(format!("position {position} is out of range")))?;
        let at = time::format(&now());
        self.file
            .run(move |conn| {
                conn.prepare_cached(
                "INSERT INTO relay_checkpoints (relay, position, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (relay) DO UPDATE SET position = excluded.position, \
                 updated_at = excluded.updated_at",
            )?
            .execute(params![relay, position, at])
            .map(|_| ())
            })
            .await
            .map_err(failed)
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
