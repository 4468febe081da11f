//! The `LockManager` port (DESIGN §7): leases on named resources with a TTL, a random
//! token, compare-and-delete release and a fencing counter.
//!
//! A lease is only a lease: it expires after its TTL whether or not its holder is done,
//! so work done under it must carry `fencing` to whoever can reject stale holders.

mod in_process;
#[cfg(feature = "redis")]
pub mod redis;

use std::time::Duration;

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};

pub use in_process::InProcessLocks;
#[cfg(feature = "redis")]
pub use redis::RedisLocks;

/// A held lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub resource: String,
    /// Random per acquisition; only its holder can release the lock.
    pub token: String,
    /// Strictly increases with every acquisition of the same resource.
    pub fencing: u64,
    pub ttl: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    #[error("resource `{0}` is locked by someone else")]
    Busy(String),
    #[error("timed out waiting for the lock on `{0}`")]
    Timeout(String),
    #[error("lock backend unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait LockManager: Send + Sync + 'static {
    /// One attempt: `Ok(None)` when someone else holds an unexpired lease.
    async fn try_acquire(&self, resource: &str, ttl: Duration) -> Result<Option<Lease>, LockError>;

    /// Releases the lock only if `lease` still holds it (compare-and-delete); says
    /// whether it did. Releasing an expired or stolen lease is a harmless `false`.
    async fn release(&self, lease: &Lease) -> Result<bool, LockError>;
}

/// Acquires one lock, retrying with exponential backoff and jitter for up to `wait`.
/// Fails closed: `Timeout` when the lock could not be had in time.
pub async fn acquire(
    locks: &dyn LockManager,
    resource: &str,
    ttl: Duration,
    wait: Duration,
) -> Result<Lease, LockError> {
    let attempt = || async {
        locks
            .try_acquire(resource, ttl)
            .await?
            .ok_or_else(|| LockError::Busy(resource.to_owned()))
    };
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(2))
        .with_max_delay(Duration::from_millis(100))
        .with_jitter()
        .without_max_times();
    let retrying = attempt
        .retry(backoff)
        .when(|error| matches!(error, LockError::Busy(_)));
    match tokio::time::timeout(wait, retrying).await {
        Ok(result) => result,
        Err(_) => Err(LockError::Timeout(resource.to_owned())),
    }
}

/// Acquires every resource in sorted order (so two callers never deadlock), or none:
/// if one cannot be had, those already held are released before the error returns.
pub async fn acquire_all(
    locks: &dyn LockManager,
    resources: &[String],
    ttl: Duration,
    wait: Duration,
) -> Result<Vec<Lease>, LockError> {
    let mut sorted: Vec<&String> = resources.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut held = Vec::with_capacity(sorted.len());
    for resource in sorted {
        match acquire(locks, resource, ttl, wait).await {
            Ok(lease) => held.push(lease),
            Err(error) => {
                release_all(locks, &held).await;
                return Err(error);
            }
        }
    }
    Ok(held)
}

/// Releases leases in reverse order; a failure only means the lease will expire.
pub async fn release_all(locks: &dyn LockManager, leases: &[Lease]) {
    for lease in leases.iter().rev() {
        if let Err(error) = locks.release(lease).await {
            tracing::warn!(resource = %lease.resource, %error, "lock not released; it will expire");
        }
    }
}
