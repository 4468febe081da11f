//! Copies the read-model WAL into the database file on a thread of its own.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses the threshold, so
//! the projection writer stopped every 256 MiB of WAL to copy it back (and fsync it):
//! about an eighth of a rebuild's time. Here the writer never checkpoints
//! (`wal_autocheckpoint = 0`); this thread runs a `PASSIVE` checkpoint every
//! [`PERIOD`], which copies what the WAL holds without blocking the writer or the
//! readers. A writer that never pauses keeps the WAL from being fully copied, and so
//! from starting over: past [`RESTART_AT`] frames the thread runs a `RESTART`
//! checkpoint, which waits for the current write transaction, copies the few frames the
//! last passive pass left, and makes the next writer start the WAL from the beginning.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use rusqlite::Connection;

use super::tx::db_error;
use crate::store::DbError;

/// How often the WAL is copied back.
const PERIOD: Duration = Duration::from_millis(500);

/// WAL frames (16 KiB pages) past which the WAL is made to start over: 256 MiB.
const RESTART_AT: i64 = 16_384;

/// The checkpointing thread; it stops when this is dropped (with the last clone of the
/// read-model database).
pub(super) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` (already in WAL mode).
    pub(super) fn start(path: &Path) -> Result<Self, DbError> {
        let conn = Connection::open(path).map_err(db_error)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(db_error)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("read-model-checkpointer".into())
            .spawn(move || {
                // Nothing is ever sent: the channel only closes.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(PERIOD) {
                    if let Err(error) = checkpoint(&conn) {
                        tracing::warn!(%error, "read-model checkpoint failed");
                    }
                }
            })
            .map_err(|e| DbError::Database(format!("cannot start the checkpointer: {e}")))?;
        Ok(Self { _stop: stop })
    }
}

/// One pass: a passive checkpoint, and a restart when the WAL has grown too long.
fn checkpoint(conn: &Connection) -> Result<(), DbError> {
    if wal_checkpoint(conn, "PASSIVE")? >= RESTART_AT {
        wal_checkpoint(conn, "RESTART")?;
    }
    Ok(())
}

/// `PRAGMA wal_checkpoint(MODE)`: the frames the WAL holds.
fn wal_checkpoint(conn: &Connection, mode: &str) -> Result<i64, DbError> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        row.get(1)
    })
    .map_err(db_error)
}
