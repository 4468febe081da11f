//! Locks for a single process (the embedded default): a map behind a std mutex, never
//! held across an await, so a plain `Mutex` is the right tool.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use uuid::Uuid;

use super::{Lease, LockError, LockManager};

#[derive(Default)]
struct Entry {
    holder: Option<(String, Instant)>,
    /// Kept after release so fencing numbers never repeat.
    fencing: u64,
}

#[derive(Default)]
pub struct InProcessLocks {
    entries: Mutex<HashMap<String, Entry>>,
}

impl InProcessLocks {
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding this lock cannot leave an entry half-written (every
        // update is a single assignment), so a poisoned map is still consistent.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl LockManager for InProcessLocks {
    async fn try_acquire(&self, resource: &str, ttl: Duration) -> Result<Option<Lease>, LockError> {
        let now = Instant::now();
        let mut entries = self.entries();
        let entry = entries.entry(resource.to_owned()).or_default();
        if matches!(&entry.holder, Some((_, expires)) if *expires > now) {
            return Ok(None);
        }
        let token = Uuid::new_v4().to_string();
        entry.fencing += 1;
        entry.holder = Some((token.clone(), now + ttl));
        Ok(Some(Lease {
            resource: resource.to_owned(),
            token,
            fencing: entry.fencing,
            ttl,
        }))
    }

    async fn release(&self, lease: &Lease) -> Result<bool, LockError> {
        let mut entries = self.entries();
        let Some(entry) = entries.get_mut(&lease.resource) else {
            return Ok(false);
        };
        match &entry.holder {
            Some((token, _)) if *token == lease.token => {
                entry.holder = None;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
