//! Where a relay remembers how far it has published: the `$all` position of the last
//! event Kafka acknowledged.
//!
//! The relay saves it only after a whole batch is acknowledged, so a saved position
//! never runs ahead of Kafka. A lost or stale save only makes the relay publish some
//! events again (consumers deduplicate); it can never skip one. That is why the
//! checkpoint need not be written in the same transaction as anything else, and lives
//! behind its own small port: SQLite for the embedded platform, MongoDB beside a Mongo
//! event store.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("relay checkpoint: {0}")]
pub struct CheckpointError(pub String);

/// The relay's progress, by relay name (several relays may share one store).
#[async_trait]
pub trait RelayCheckpoint: Send + Sync + 'static {
    /// The last position published by `relay`; 0 when it never saved one.
    async fn load(&self, relay: &str) -> Result<u64, CheckpointError>;

    /// Records that every event up to `position` is acknowledged by Kafka. Durable on
    /// success.
    async fn save(&self, relay: &str, position: u64) -> Result<(), CheckpointError>;
}

/// In memory: tests and benchmarks.
#[derive(Debug, Default)]
pub struct InMemoryRelayCheckpoint {
    positions: Mutex<HashMap<String, u64>>,
}

impl InMemoryRelayCheckpoint {
    pub fn new() -> Self {
        Self::default()
    }

    fn positions(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        // Plain inserts: a poisoned map is still consistent.
        self.positions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl RelayCheckpoint for InMemoryRelayCheckpoint {
    async fn load(&self, relay: &str) -> Result<u64, CheckpointError> {
        Ok(self.positions().get(relay).copied().unwrap_or(0))
    }

    async fn save(&self, relay: &str, position: u64) -> Result<(), CheckpointError> {
        self.positions().insert(relay.to_owned(), position);
        Ok(())
    }
}

/// The contract every [`RelayCheckpoint`] must keep (run by each implementation's
/// tests, e.g. the MongoDB one).
#[cfg(any(test, feature = "test-util"))]
pub async fn checkpoint_contract(checkpoint: &dyn RelayCheckpoint) {
    assert_eq!(
        checkpoint.load("relay-a").await.unwrap(),
        0,
        "unknown relay starts at 0"
    );
    checkpoint.save("relay-a", 41).await.unwrap();
    checkpoint.save("relay-a", 42).await.unwrap();
    checkpoint.save("relay-b", 7).await.unwrap();
    assert_eq!(
        checkpoint.load("relay-a").await.unwrap(),
        42,
        "the last save wins"
    );
    assert_eq!(
        checkpoint.load("relay-b").await.unwrap(),
        7,
        "relays are independent"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_in_memory_checkpoint_keeps_the_contract() {
        checkpoint_contract(&InMemoryRelayCheckpoint::new()).await;
    }
}
