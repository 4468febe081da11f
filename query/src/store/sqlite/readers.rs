//! The connections queries read through, run on the calling task.
//!
//! A query is one short indexed read (a key lookup, or a page of at most 500 rows), a
//! few to a few hundred microseconds of SQLite. Handing it to a blocking thread and back
//! (`spawn_blocking`, as connection pools for async code do) cost more than the read
//! itself: two thread wake-ups per query, which on two cores capped REST reads at
//! ~7,000/s. So the read runs inline on the async worker, on a connection taken from a
//! plain idle list.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::Connection;

use super::tx::db_error;
use crate::store::DbError;

/// Idle connections kept; more are opened under load and closed when returned.
const MAX_IDLE: usize = 16;

pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Self {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on an idle connection (opening one if none is idle).
    pub(crate) fn with<T>(&self, read: impl FnOnce(&mut Connection) -> T) -> Result<T, DbError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        let result = read(&mut conn);
        // A connection left inside a transaction (a panic mid-read unwinds past here
        // and drops it instead) is not reused.
        if conn.is_autocommit() {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        Ok(result)
    }

    fn open(&self) -> Result<Connection, DbError> {
        let conn = Connection::open(&self.path).map_err(db_error)?;
        // Queries come in a few dozen shapes: keep every one prepared (rusqlite's
        // default cache of 16 statements thrashed), and read like the writer does.
        conn.set_prepared_statement_cache_capacity(256);
        super::database::stable_plans(&conn)?;
        conn.pragma_update(None, "mmap_size", 268_435_456)
            .and_then(|_| conn.pragma_update(None, "cache_size", -65_536))
            .and_then(|_| conn.busy_timeout(std::time::Duration::from_secs(5)))
            .map_err(db_error)?;
        Ok(conn)
    }
}
