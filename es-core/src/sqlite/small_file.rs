//! A small SQLite file of its own beside the event store (the relay's checkpoint, the
//! key vault): one connection behind a mutex, used on the blocking pool. Such a file is
//! written rarely, so one connection is enough, and it never contends with the event
//! store's single writer (ADR 003).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

/// What went wrong with a [`SmallFile`]; the owner says which file it is.
#[derive(Debug, thiserror::Error)]
pub enum SmallFileError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("cannot create {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot prepare it: {0}")]
    Prepare(rusqlite::Error),
    #[error("its task failed: {0}")]
    Task(String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// One SQLite file opened in WAL mode with a 5 s busy timeout.
pub struct SmallFile {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
}

impl SmallFile {
    /// Opens (creating if needed) the file at `path`, sets `pragmas` (e.g.
    /// `("synchronous", "FULL")`) and runs `schema` (idempotent DDL).
    pub fn open(
        path: impl AsRef<Path>,
        pragmas: &[(&str, &str)],
        schema: &str,
    ) -> Result<Self, SmallFileError> {
        let path = path.as_ref().to_path_buf();
        crate::files::create_private_file(&path).map_err(|e| SmallFileError::Create {
            path: path.display().to_string(),
            source: e,
        })?;
        let conn = Connection::open(&path).map_err(|source| SmallFileError::Open {
            path: path.display().to_string(),
            source,
        })?;
        let prepare = || {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            for (name, value) in pragmas {
                conn.pragma_update(None, name, value)?;
            }
            conn.busy_timeout(Duration::from_secs(5))?;
            conn.execute_batch(schema)
        };
        prepare().map_err(SmallFileError::Prepare)?;
        Ok(Self {
            path,
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the connection on the blocking pool.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, SmallFileError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic mid-statement leaves SQLite's own state consistent (it rolls back).
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            work(&mut conn)
        })
        .await
        .map_err(|e| SmallFileError::Task(e.to_string()))?
        .map_err(SmallFileError::from)
    }
}
