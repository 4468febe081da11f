//! Keys in their own SQLite file (`keys.db` beside `events.db`): the key table lives
//! outside the event log, so erasing a key never touches the log.
//!
//! - `PRAGMA secure_delete = ON`: SQLite overwrites a deleted key's bytes with zeros
//!   instead of leaving them in a free page; after every erasure a
//!   `wal_checkpoint(TRUNCATE)` writes the zeroed page into the database file and
//!   empties the write-ahead log that still held older copies of it. (What a file
//!   system, an SSD's wear levelling or a backup keeps of the old bytes is outside
//!   SQLite's reach: see ADR 010.)
//! - `synchronous = FULL`: a key is durable before anything sealed with it is appended
//!   to the log, or that data could outlive its key.
//! - Erased subjects are remembered (without any key material) so nothing is ever
//!   sealed for them again.
//!
//! One connection behind a mutex, used on the blocking pool: the [`super::Vault`]
//! caches keys, so the store sees a key's first use, creations and erasures only.

use std::path::Path;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::{DataKey, KeyStore, VaultError};
use crate::envelope::now;
use crate::sqlite::small_file::{SmallFile, SmallFileError};

const SCHEMA: &str = r#"
    CREATE TABLE IF NOT EXISTS keys (
        subject     TEXT PRIMARY KEY,
        key         BLOB NOT NULL,
        alg         TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS erased (
        subject     TEXT PRIMARY KEY,
        erased_at   TEXT NOT NULL
    );
"#;

pub struct SqliteKeyStore {
    file: SmallFile,
}

impl SqliteKeyStore {
    /// Opens (creating if needed) the key store in the file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, VaultError> {
        let pragmas = [("synchronous", "FULL"), ("secure_delete", "ON")];
        let file = SmallFile::open(path, &pragmas, SCHEMA)?;
        Ok(Self { file })
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    async fn with_conn<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, VaultError> {
        Ok(self.file.run(work).await?)
    }
}

impl From<SmallFileError> for VaultError {
    fn from(error: SmallFileError) -> Self {
        VaultError::Unavailable(format!("key store: {error}"))
    }
}

fn stored_key(subject: &str, bytes: Vec<u8>) -> Result<DataKey, VaultError> {
    DataKey::from_bytes(&bytes).ok_or_else(|| {
        VaultError::Unavailable(format!("the stored key of {subject} is not 32 bytes"))
    })
}

#[async_trait]
impl KeyStore for SqliteKeyStore {
    async fn get(&self, subject: &str) -> Result<Option<DataKey>, VaultError> {
        let owned = subject.to_owned();
        let bytes = self
            .with_conn(move |conn| {
                conn.prepare_cached("SELECT key FROM keys WHERE subject = ?1")?
                    .query_row([&owned], |row| row.get::<_, Vec<u8>>(0))
                    .optional()
            })
            .await?;
        bytes.map(|b| stored_key(subject, b)).transpose()
    }

    async fn get_or_create(
        &self,
        subject: &str,
        candidate: DataKey,
    ) -> Result<DataKey, VaultError> {
        let owned = subject.to_owned();
        let found = self
            .with_conn(move |conn| {
                let tx = conn.transaction()?;
                let erased = tx
                    .prepare_cached("SELECT 1 FROM erased WHERE subject = ?1")?
                    .exists([&owned])?;
                if erased {
                    return Ok(None);
                }
                tx.prepare_cached(
                    "INSERT INTO keys (subject, key, alg, created_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (subject) DO NOTHING",
                )?
                .execute(params![
                    owned,
                    &candidate.as_bytes()[..],
                    super::ALGORITHM,
                    crate::time::format(&now())
                ])?;
                let key = tx
                    .prepare_cached("SELECT key FROM keys WHERE subject = ?1")?
                    .query_row([&owned], |row| row.get::<_, Vec<u8>>(0))?;
                tx.commit()?;
                Ok(Some(key))
            })
            .await?;
        match found {
            Some(bytes) => stored_key(subject, bytes),
            None => Err(VaultError::Erased {
                subject: subject.to_owned(),
            }),
        }
    }

    async fn erase(&self, subject: &str) -> Result<(), VaultError> {
        let owned = subject.to_owned();
        self.with_conn(move |conn| {
            let tx = conn.transaction()?;
            tx.prepare_cached("DELETE FROM keys WHERE subject = ?1")?
                .execute([&owned])?;
            tx.prepare_cached(
                "INSERT INTO erased (subject, erased_at) VALUES (?1, ?2)
                 ON CONFLICT (subject) DO NOTHING",
            )?
            .execute(params![owned, crate::time::format(&now())])?;
            tx.commit()?;
            // The zeroed page into the file, the older copies out of the WAL.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADA: &str = "customer-0190f5a4-7b1c-7c3e-9d2a-5f0e8b6c4a21";

    fn on_disk(dir: &Path) -> Vec<u8> {
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        bytes
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[tokio::test]
    async fn an_erased_keys_bytes_are_overwritten_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let keys = SqliteKeyStore::open(dir.path().join("keys.db")).unwrap();
        let key = keys
            .get_or_create(ADA, DataKey::generate().unwrap())
            .await
            .unwrap();
        let bytes = *key.as_bytes();
        assert!(contains(&on_disk(dir.path()), &bytes), "the key is stored");

        keys.erase(ADA).await.unwrap();
        assert!(
            !contains(&on_disk(dir.path()), &bytes),
            "no copy of the key is left in keys.db or its WAL"
        );
    }

    #[tokio::test]
    async fn keys_and_erasures_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.db");
        let key = {
            let keys = SqliteKeyStore::open(&path).unwrap();
            keys.erase("customer-gone").await.unwrap();
            keys.get_or_create(ADA, DataKey::generate().unwrap())
                .await
                .unwrap()
        };
        let keys = SqliteKeyStore::open(&path).unwrap();
        assert_eq!(
            keys.get(ADA).await.unwrap().unwrap().as_bytes(),
            key.as_bytes()
        );
        assert!(matches!(
            keys.get_or_create("customer-gone", DataKey::generate().unwrap())
                .await,
            Err(VaultError::Erased { .. })
        ));
    }
}
