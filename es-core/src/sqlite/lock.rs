//! One writer per SQLite file, across processes (issue 13): an exclusive lock on a
//! lock file beside the database (`events.db.lock`), held for as long as the store is
//! open. A second platform started on the same data directory then fails at start,
//! naming the process that holds the file, instead of starting, reporting ready, and
//! failing its writes with `UNIQUE constraint failed: events.position`.
//!
//! `flock`-style locks (std's `File::try_lock`) are released by the kernel when the
//! process dies, so a crash never leaves a stale lock behind; the pid written into the
//! file is only there to name the holder.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// An exclusive lock on `<database>.lock`; released when dropped.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
    path: PathBuf,
}

impl WriterLock {
    /// Takes the lock of the database at `database`, or explains who holds it.
    pub fn acquire(database: &Path) -> Result<Self, String> {
        let mut name = database.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another process".to_owned()
                } else {
                    format!("process {holder}")
                };
                return Err(format!(
                    "{} is in use by {holder}: one platform (one writer) per data directory",
                    database.display()
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", path.display()));
            }
        }
        // Ours now: say who we are, for the next one to ask.
        let _ = file.set_len(0);
        let _ = file.seek(SeekFrom::Start(0));
        let _ = writeln!(file, "{}", std::process::id());
        let _ = file.sync_all();
        Ok(WriterLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_of_the_same_file_is_refused_naming_the_holder_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("events.db");
        let first = WriterLock::acquire(&database).unwrap();
        let refused = WriterLock::acquire(&database).unwrap_err();
        assert!(
            refused.contains(&format!("process {}", std::process::id())),
            "{refused}"
        );
        assert!(refused.contains("one platform"), "{refused}");
        drop(first);
        WriterLock::acquire(&database).expect("free again once released");
    }
}
