//! The embedded event store: one SQLite file in WAL mode.
//!
//! Writes go through one writer thread that owns the only write connection and
//! **group-commits**: it takes every append waiting in its queue, runs them in one
//! transaction and pays one fsync (`synchronous = FULL`) for all of them. An append the
//! rules refuse (stale version, reused event id) is checked before it writes, so it
//! fails alone; a storage failure fails the whole batch, so nothing partial is ever
//! acknowledged. Callers are answered only after that
//! commit, so an acknowledged append is durable. With one writer, positions are handed
//! out in commit order. Reads use a small pool of read connections, which WAL lets run
//! beside the writer. See docs/adr/003-sqlite-group-commit.md.

pub mod lock;
mod rows;
mod schema;
pub mod small_file;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use async_trait::async_trait;
use deadpool_sqlite::{Config, Pool, Runtime};
use tokio::sync::{mpsc, oneshot, watch};

use crate::envelope::EventEnvelope;
use crate::snapshot::Snapshot;
use crate::store::{AppendRequest, EventStore, IdempotencyRecord, StoreError};
use writer::{Job, Stats, Writer};

/// Disk a SQLite database takes: its file and its write-ahead log, in bytes (0 for a
/// file that is not there).
pub fn storage_of(path: &Path) -> (u64, u64) {
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (size(path), size(Path::new(&wal)))
}

/// The file a configuration value names: a path, or `sqlite:PATH`.
pub fn path_of(raw: &str) -> Result<PathBuf, String> {
    let raw = raw.trim();
    let path = raw.strip_prefix("sqlite:").unwrap_or(raw);
    if path.is_empty() {
        return Err("the SQLite file path is empty".into());
    }
    Ok(PathBuf::from(path))
}

/// Appends waiting beyond this many make callers wait for queue space (back-pressure).
const QUEUE_DEPTH: usize = 4_096;

pub struct SqliteEventStore {
    path: PathBuf,
    /// This process is the file's only writer while the store is open.
    _lock: lock::WriterLock,
    jobs: Option<mpsc::Sender<Job>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Pool,
    head: watch::Receiver<u64>,
    stats: Arc<Stats>,
}

/// Counters of the writer since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed (each one fsync).
    pub commits: u64,
    /// Appends acknowledged; `appends / commits` is the group-commit factor.
    pub appends: u64,
}

impl SqliteEventStore {
    /// Opens (creating and migrating if needed) the store in the file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let lock = lock::WriterLock::acquire(&path).map_err(StoreError::Unavailable)?;
        let conn = schema::open_writer(&path)?;
        let stats = Arc::new(Stats::default());
        let (writer, head) = Writer::new(conn, stats.clone())?;
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        let handle = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer.run(queue))
            .map_err(|e| StoreError::Unavailable(format!("cannot start writer thread: {e}")))?;
        let readers = Config::new(&path)
            .create_pool(Runtime::Tokio1)
            .map_err(|e| StoreError::Unavailable(format!("cannot create read pool: {e}")))?;
        Ok(Self {
            path,
            _lock: lock,
            jobs: Some(jobs),
            writer: Mutex::new(Some(handle)),
            readers,
            head,
            stats,
        })
    }

    /// Copies the write-ahead log into the database file and truncates it (what SQLite
    /// otherwise does every 16,384 pages). Readers of a long log then find every page in
    /// the file itself: run it after a bulk import, before a rebuild.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(|e| StoreError::Unavailable(format!("checkpoint failed: {e}")))
        })
        .await
    }

    pub fn stats(&self) -> WriterStats {
        WriterStats {
            commits: self.stats.commits.load(Ordering::Relaxed),
            appends: self.stats.appends.load(Ordering::Relaxed),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops accepting writes, lets the writer finish what it was given and waits for it.
    pub async fn close(mut self) {
        self.jobs = None;
        let handle = self.writer.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
        self.readers.close();
    }

    async fn submit<T>(
        &self,
        job: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Job,
    ) -> Result<T, StoreError> {
        let closed = || StoreError::Unavailable("the event store is closed".into());
        let (reply, answer) = oneshot::channel();
        let jobs = self.jobs.as_ref().ok_or_else(closed)?;
        jobs.send(job(reply)).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let unavailable = |e: String| StoreError::Unavailable(format!("read failed: {e}"));
        let conn = self
            .readers
            .get()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        conn.interact(|conn| {
            // Plans stay as prepared whatever is bound: a bound `LIMIT ?` would
            // otherwise make SQLite parse and plan a cached statement again on every
            // call (query planner stability guarantee; cheap to set on each use).
            stable_plans(conn)?;
            query(conn)
        })
        .await
        .map_err(|e| unavailable(e.to_string()))?
    }
}

#[async_trait]
impl EventStore for SqliteEventStore {
    fn local_file(&self) -> Option<&Path> {
        Some(&self.path)
    }

    async fn append_atomically(
        &self,
        requests: Vec<AppendRequest>,
    ) -> Result<Vec<Vec<EventEnvelope>>, StoreError> {
        crate::store::validate_together(&requests)?;
        let requests = requests
            .into_iter()
            .map(|request| {
                let payloads = crate::seal::canonical_payloads(&request);
                (request, payloads)
            })
            .collect();
        self.submit(|reply| Job::Append { requests, reply }).await
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let stream_id = stream_id.to_owned();
        self.read(move |conn| rows::read_stream(conn, &stream_id, from_version, limit))
            .await
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.read(move |conn| rows::read_all(conn, after_position, limit))
            .await
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        self.submit(|reply| Job::Snapshot { snapshot, reply }).await
    }

    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        let stream_id = stream_id.to_owned();
        self.read(move |conn| rows::load_snapshot(conn, &stream_id))
            .await
    }

    async fn find_idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let key = key.to_owned();
        self.read(move |conn| rows::find_idempotency(conn, &key))
            .await
    }
}

/// SQLite's query planner stability guarantee on `conn` (see `SqliteEventStore::read`).
pub(crate) fn stable_plans(conn: &rusqlite::Connection) -> Result<(), StoreError> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(|_| ())
    .map_err(|e| StoreError::Unavailable(format!("cannot configure a read connection: {e}")))
}
