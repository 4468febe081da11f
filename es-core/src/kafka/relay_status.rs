//! What a running relay shows operators (health, metrics) and tests.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

use crate::telemetry::names;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayState {
    Starting,
    /// Publishing, or caught up and waiting for new events.
    Running,
    /// Kafka (or the store, or the checkpoint) failed; retrying with backoff.
    Retrying,
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayStatus {
    pub name: String,
    pub state: RelayState,
    /// The checkpoint: every event up to here is acknowledged by Kafka.
    pub position: u64,
    /// The store's head when last looked at.
    pub head: u64,
    /// Events published (acknowledged) since start, duplicates after a retry included.
    pub published: u64,
    /// Failures since start.
    pub errors: u64,
    /// The latest failure; cleared by the next batch that succeeds.
    pub last_error: Option<String>,
}

impl RelayStatus {
    /// Events in the store not yet acknowledged by Kafka.
    pub fn lag(&self) -> u64 {
        self.head.saturating_sub(self.position)
    }
}

/// Shared between the relay (writer) and health endpoints (readers).
pub struct RelayStatusBoard {
    status: Mutex<RelayStatus>,
    position: watch::Sender<u64>,
}

impl RelayStatusBoard {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            status: Mutex::new(RelayStatus {
                name: name.into(),
                state: RelayState::Starting,
                position: 0,
                head: 0,
                published: 0,
                errors: 0,
                last_error: None,
            }),
            position: watch::Sender::new(0),
        }
    }

    pub fn snapshot(&self) -> RelayStatus {
        self.lock().clone()
    }

    /// Waits until the checkpoint reaches `position`; false after `timeout`.
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> bool {
        let mut receiver = self.position.subscribe();
        tokio::time::timeout(timeout, receiver.wait_for(|p| *p >= position))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut RelayStatus)) {
        let mut status = self.lock();
        change(&mut status);
        let position = status.position;
        // What `/metrics` shows of the relay is what its status says.
        let relay = [("relay", status.name.clone())];
        metrics::gauge!(names::RELAY_POSITION, &relay).set(position as f64);
        let lag = status.head.saturating_sub(position);
        metrics::gauge!(names::RELAY_LAG, &relay).set(lag as f64);
        drop(status);
        self.position.send_if_modified(|p| {
            let moved = *p != position;
            *p = position;
            moved
        });
    }

    pub(crate) fn failed(&self, error: &str) {
        self.update(|s| {
            s.state = RelayState::Retrying;
            s.errors += 1;
            s.last_error = Some(error.to_owned());
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RelayStatus> {
        // Plain field assignments: a poisoned status is still consistent.
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_what_the_store_has_beyond_the_checkpoint() {
        let board = RelayStatusBoard::new("relay");
        board.update(|s| {
            s.head = 10;
            s.position = 7;
        });
        assert_eq!(board.snapshot().lag(), 3);
    }

    #[test]
    fn a_failure_is_counted_and_shown_until_replaced() {
        let board = RelayStatusBoard::new("relay");
        board.failed("broker down");
        let status = board.snapshot();
        assert_eq!(status.state, RelayState::Retrying);
        assert_eq!(status.errors, 1);
        assert_eq!(status.last_error.as_deref(), Some("broker down"));
    }

    #[tokio::test]
    async fn waiting_for_a_position_returns_once_the_checkpoint_reaches_it() {
        let board = std::sync::Arc::new(RelayStatusBoard::new("relay"));
        assert!(!board.wait_for(5, Duration::from_millis(10)).await);
        board.update(|s| s.position = 5);
        assert!(board.wait_for(5, Duration::from_millis(10)).await);
    }
}
