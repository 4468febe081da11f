//! Snapshots: an aggregate's state at a version, so loading reads only the tail.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hash::Hash;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub stream_id: String,
    pub aggregate_type: String,
    /// The stream version the state includes.
    pub version: u64,
    /// The hash of the event at `version`: loading checks the chain onwards from it.
    pub hash: Hash,
    /// `Aggregate::SNAPSHOT_VERSION` of the code that wrote it; others are ignored.
    pub snapshot_version: u32,
    pub state: Value,
    pub taken_at: DateTime<Utc>,
}

/// When to take snapshots: after an append crosses a multiple of `every` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPolicy {
    every: Option<u64>,
}

impl SnapshotPolicy {
    pub const NEVER: SnapshotPolicy = SnapshotPolicy { every: None };

    /// Every `n` events; `0` means never.
    pub fn every(n: u64) -> Self {
        Self {
            every: (n > 0).then_some(n),
        }
    }

    /// Whether an append that moved a stream from `before` to `after` should snapshot.
    pub fn is_due(&self, before: u64, after: u64) -> bool {
        match self.every {
            Some(n) => before / n != after / n,
            None => false,
        }
    }
}

impl Default for SnapshotPolicy {
    fn default() -> Self {
        Self::every(100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_is_due_when_an_append_crosses_a_multiple_of_the_interval() {
        let policy = SnapshotPolicy::every(10);
        assert!(!policy.is_due(0, 9));
        assert!(policy.is_due(9, 10));
        assert!(policy.is_due(8, 12));
        assert!(!policy.is_due(10, 19));
        assert!(!SnapshotPolicy::NEVER.is_due(0, 1_000));
        assert!(!SnapshotPolicy::every(0).is_due(0, 1_000));
    }
}
