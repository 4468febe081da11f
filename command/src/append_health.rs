//! Whether the event store takes appends, as the latest appends found it (issue 13):
//! readiness must not say "up" while every command answers 503 because the disk is
//! full. The command bus records each append's outcome; the service reports it under
//! [`contracts::EVENT_STORE_HEALTH`] and the BFF's `/health/ready` lists it.
//!
//! Decided: a failure counts for [`HOLD`] after it happened. A successful append ends it
//! at once; without any append the failure is forgotten after the hold, so a service an
//! orchestrator took out of rotation is tried again rather than left out for good.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use es_core::StoreError;

/// How long a failed append keeps the store reported as not taking appends.
pub const HOLD: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
pub struct AppendHealth {
    last_failure: Mutex<Option<(Instant, String)>>,
}

impl AppendHealth {
    /// Records an append's outcome: storage failures count, refusals (a concurrency
    /// conflict, a reused key) say nothing about the storage.
    pub fn record<T>(&self, outcome: &Result<T, StoreError>) {
        let mut last = self.last_failure.lock().unwrap_or_else(|p| p.into_inner());
        match outcome {
            Ok(_) => *last = None,
            Err(StoreError::Unavailable(reason)) => *last = Some((Instant::now(), reason.clone())),
            Err(_) => {}
        }
    }

    /// Why the store does not take appends, when an append failed within [`HOLD`].
    pub fn failing(&self) -> Option<String> {
        let last = self.last_failure.lock().unwrap_or_else(|p| p.into_inner());
        last.as_ref()
            .filter(|(at, _)| at.elapsed() < HOLD)
            .map(|(_, reason)| reason.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storage_failure_counts_until_the_next_successful_append() {
        let health = AppendHealth::default();
        assert_eq!(health.failing(), None);
        health.record::<()>(&Err(StoreError::Unavailable("disk full".into())));
        assert_eq!(health.failing().as_deref(), Some("disk full"));
        health.record::<()>(&Err(StoreError::InvalidAppend {
            stream_id: "s".into(),
            reason: "r".into(),
        }));
        assert_eq!(
            health.failing().as_deref(),
            Some("disk full"),
            "a refusal changes nothing"
        );
        health.record(&Ok(()));
        assert_eq!(health.failing(), None);
    }
}
