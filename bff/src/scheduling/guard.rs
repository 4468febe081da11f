//! Locks around a booking: acquire in sorted order, fail closed, always release.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use contracts::v1::ConsistencyToken;
use es_core::lock::{self, LockError, LockManager};
use es_core::telemetry::names;

use super::tokens::TokenRegistry;
use crate::convert::ResourceKind;
use crate::problem::{ApiError, ProblemKind};

/// A bookable resource: a driver, a vehicle or a technician.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Resource {
    pub kind: ResourceKind,
    pub id: String,
}

impl Resource {
    pub fn driver(id: impl Into<String>) -> Self {
        Resource {
            kind: ResourceKind::Driver,
            id: id.into(),
        }
    }

    pub fn vehicle(license_number: impl Into<String>) -> Self {
        Resource {
            kind: ResourceKind::Vehicle,
            id: license_number.into().to_uppercase(),
        }
    }

    pub fn technician(id: impl Into<String>) -> Self {
        Resource {
            kind: ResourceKind::Technician,
            id: id.into(),
        }
    }

    /// The key of its lock and of its last token.
    pub fn key(&self) -> String {
        let kind = match self.kind {
            ResourceKind::Driver => "driver",
            ResourceKind::Vehicle => "vehicle",
            ResourceKind::Technician => "technician",
        };
        format!("{kind}:{}", self.id)
    }
}

impl PartialOrd for ResourceKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ResourceKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

pub struct Scheduler {
    locks: Arc<dyn LockManager>,
    pub tokens: Arc<dyn TokenRegistry>,
    ttl: Duration,
    wait: Duration,
}

impl Scheduler {
    pub fn new(
        locks: Arc<dyn LockManager>,
        tokens: Arc<dyn TokenRegistry>,
        ttl: Duration,
        wait: Duration,
    ) -> Self {
        Scheduler {
            locks,
            tokens,
            ttl,
            wait,
        }
    }

    /// Runs `work` holding the lock of every resource. `work` gets the tokens to wait
    /// for before checking (the last write to each resource, plus `also_wait_for`
    /// keys, e.g. the delivery's own stream) and returns its result with the token of
    /// the write it made, which is then remembered for each resource.
    pub async fn guard<T, F, Fut>(
        &self,
        resources: &[Resource],
        also_wait_for: &[String],
        work: F,
    ) -> Result<T, ApiError>
    where
        F: FnOnce(Vec<ConsistencyToken>) -> Fut,
        Fut: Future<Output = Result<(T, Option<ConsistencyToken>), ApiError>>,
    {
        let keys: Vec<String> = resources.iter().map(Resource::key).collect();
        // The lock manager namespaces its own keys (Redis: `pitlane:lock:{driver:7}`).
        let started = std::time::Instant::now();
        let acquired = lock::acquire_all(self.locks.as_ref(), &keys, self.ttl, self.wait).await;
        metrics::histogram!(names::LOCK_WAIT).record(started.elapsed().as_secs_f64());
        let outcome = match &acquired {
            Ok(_) => "acquired",
            Err(LockError::Busy(_) | LockError::Timeout(_)) => "busy",
            Err(LockError::Unavailable(_)) => "failed",
        };
        metrics::counter!(names::LOCKS, "outcome" => outcome).increment(1);
        let leases = acquired.map_err(lock_problem)?;
        let mut wait_keys = keys.clone();
        wait_keys.extend_from_slice(also_wait_for);
        let wait_for = self.tokens.last(&wait_keys).await;
        let outcome = work(wait_for).await;
        if let Ok((_, Some(token))) = &outcome {
            self.tokens.record(&keys, token).await;
        }
        lock::release_all(self.locks.as_ref(), &leases).await;
        outcome.map(|(value, _)| value)
    }
}

fn lock_problem(error: LockError) -> ApiError {
    match error {
        LockError::Busy(resource) | LockError::Timeout(resource) => ApiError::new(
            ProblemKind::ResourceBusy,
            format!("{resource} is being booked by another request; retry"),
        ),
        LockError::Unavailable(cause) => {
            tracing::warn!(%cause, "lock backend unavailable");
            ApiError::new(
                ProblemKind::UpstreamUnavailable,
                "the lock service is unavailable; nothing was booked",
            )
            .with_reason("locks_unavailable")
        }
    }
}

#[cfg(test)]
mod tests {
    use es_core::lock::InProcessLocks;

    use super::*;
    use crate::scheduling::tokens::InProcessTokens;

    fn scheduler(wait: Duration) -> Scheduler {
        Scheduler::new(
            Arc::new(InProcessLocks::new()),
            Arc::new(InProcessTokens::default()),
            Duration::from_secs(5),
            wait,
        )
    }

    fn token(position: u64) -> ConsistencyToken {
        ConsistencyToken {
            stream_id: "delivery-x".into(),
            version: 1,
            position,
        }
    }

    #[tokio::test]
    async fn the_token_of_a_booking_is_what_the_next_booking_of_that_resource_waits_for() {
        let scheduler = scheduler(Duration::from_secs(1));
        let driver = [Resource::driver("d1")];
        scheduler
            .guard(&driver, &[], |wait_for| async move {
                assert!(wait_for.is_empty());
                Ok(((), Some(token(7))))
            })
            .await
            .unwrap();
        let seen = scheduler
            .guard(&driver, &[], |wait_for| async move { Ok((wait_for, None)) })
            .await
            .unwrap();
        assert_eq!(seen, vec![token(7)]);
    }

    #[tokio::test]
    async fn a_resource_held_by_another_booking_fails_closed_with_resource_busy() {
        let scheduler = Arc::new(scheduler(Duration::from_millis(50)));
        let (entered, inside) = tokio::sync::oneshot::channel();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let holder = scheduler.clone();
        let held = tokio::spawn(async move {
            holder
                .guard(&[Resource::driver("d1")], &[], |_| async move {
                    let _ = entered.send(());
                    let _ = released.await;
                    Ok(((), None))
                })
                .await
        });
        inside.await.unwrap();
        let error = scheduler
            .guard(&[Resource::driver("d1")], &[], |_| async { Ok(((), None)) })
            .await
            .unwrap_err();
        assert_eq!(error.kind, ProblemKind::ResourceBusy);
        release.send(()).unwrap();
        held.await.unwrap().unwrap();
        // Released: the next booking gets in.
        scheduler
            .guard(&[Resource::driver("d1")], &[], |_| async { Ok(((), None)) })
            .await
            .unwrap();
    }
}
