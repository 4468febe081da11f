//! Leases in Redis (DESIGN §2, §7): the production `LockManager`, shared by every BFF
//! instance that points at the same server.
//!
//! - A lease is one key holding the holder's random token, set with `SET … NX PX ttl`, so
//!   Redis itself expires it: a crashed holder cannot keep a resource forever.
//! - Acquisition is one Lua script that does that `SET` and, only when it succeeded,
//!   `INCR`s the resource's fencing counter. One script means one atomic step: a failed
//!   attempt never burns a fencing number, and no other client can acquire between the
//!   `SET` and the `INCR`, so fencing numbers follow acquisition order exactly.
//! - The fencing counter is a separate key with no TTL: it must outlive every lease so
//!   numbers never repeat (one small integer per resource ever locked). A Redis that
//!   loses its data (no persistence, a flush) restarts the numbers; production Redis
//!   keeps its data.
//! - Release is compare-and-delete in Lua: a holder whose lease expired and was taken
//!   over cannot delete its successor's lease.
//! - Every failure to reach Redis, including no answer within the operation timeout, is
//!   `LockError::Unavailable`: callers fail closed, they never proceed unlocked.
//!
//! Keys (for a resource `driver:7` and the default prefix):
//! `pitlane:lock:{driver:7}` holds the lease, `pitlane:lock:{driver:7}:fencing` the
//! counter. The braces are a Redis Cluster hash tag, keeping both keys of a resource in
//! one slot as a multi-key script requires; the lease key ends in `}` and the counter key
//! does not, so no resource's keys collide with another's.

use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::redis::{FromRedisValue, Script, ScriptInvocation};
use deadpool_redis::{Pool, PoolConfig, Runtime, Timeouts};
use uuid::Uuid;

use super::{Lease, LockError, LockManager};

/// The default namespace of lock keys, so they never clash with other data in Redis.
pub const DEFAULT_KEY_PREFIX: &str = "pitlane:lock:";

/// How long one Redis round trip (including getting a connection) may take before the
/// operation counts as `Unavailable`. Short, because a caller is waiting on a request.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections per pool: lock operations are single short round trips.
const POOL_SIZE: usize = 16;

/// `SET lease token NX PX ttl`, then `INCR fencing` only if the `SET` succeeded.
/// Returns the new fencing number, or nil (`false`) when the lease is held.
const ACQUIRE: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return false
";

/// Deletes the lease only if it still holds the caller's token; returns 1 or 0.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// The URL given for Redis could not be turned into a connection pool.
#[derive(Debug, thiserror::Error)]
#[error("not a usable Redis URL (expected redis://host:port[/db]): {0}")]
pub struct InvalidRedisUrl(String);

/// A connection pool for `url` whose waits are bounded by `operation_timeout`, so a Redis
/// that stops answering makes operations fail instead of hang. Parses the URL now (no
/// connection is opened until first use): a malformed URL fails at start-up.
pub fn connect_pool(url: &str, operation_timeout: Duration) -> Result<Pool, InvalidRedisUrl> {
    let mut config = deadpool_redis::Config::from_url(url);
    let mut pool = PoolConfig::new(POOL_SIZE);
    pool.timeouts = Timeouts {
        wait: Some(operation_timeout),
        create: Some(operation_timeout),
        recycle: Some(operation_timeout),
    };
    config.pool = Some(pool);
    config
        .create_pool(Some(Runtime::Tokio1))
        .map_err(|error| InvalidRedisUrl(error.to_string()))
}

/// The Redis `LockManager`. Cheap to clone: the pool is shared.
#[derive(Clone)]
pub struct RedisLocks {
    pool: Pool,
    key_prefix: String,
    operation_timeout: Duration,
    acquire: Script,
    release: Script,
}

impl RedisLocks {
    /// Locks under [`DEFAULT_KEY_PREFIX`] with [`DEFAULT_OPERATION_TIMEOUT`].
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            acquire: Script::new(ACQUIRE),
            release: Script::new(RELEASE),
        }
    }

    /// Another namespace for the keys (tests use one each; so could two deployments
    /// sharing a server).
    pub fn with_key_prefix(mut self, key_prefix: impl Into<String>) -> Self {
        self.key_prefix = key_prefix.into();
        self
    }

    pub fn with_operation_timeout(mut self, operation_timeout: Duration) -> Self {
        self.operation_timeout = operation_timeout;
        self
    }

    fn lease_key(&self, resource: &str) -> String {
        format!("{}{{{resource}}}", self.key_prefix)
    }

    fn fencing_key(&self, resource: &str) -> String {
        format!("{}{{{resource}}}:fencing", self.key_prefix)
    }

    /// Runs one script on a pooled connection within the operation timeout.
    async fn eval<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, LockError> {
        let call = async {
            let mut connection = self.pool.get().await.map_err(unavailable)?;
            invocation
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)
        };
        tokio::time::timeout(self.operation_timeout, call)
            .await
            .map_err(|_| {
                LockError::Unavailable(format!(
                    "redis did not answer within {:?}",
                    self.operation_timeout
                ))
            })?
    }
}

fn unavailable(error: impl std::fmt::Display) -> LockError {
    LockError::Unavailable(format!("redis: {error}"))
}

/// `PX` needs a whole, positive number of milliseconds.
fn ttl_millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl LockManager for RedisLocks {
    async fn try_acquire(&self, resource: &str, ttl: Duration) -> Result<Option<Lease>, LockError> {
        let token = Uuid::new_v4().to_string();
        let mut invocation = self.acquire.key(self.lease_key(resource));
        invocation
            .key(self.fencing_key(resource))
            .arg(&token)
            .arg(ttl_millis(ttl));
        let fencing: Option<u64> = self.eval(&invocation).await?;
        Ok(fencing.map(|fencing| Lease {
            resource: resource.to_owned(),
            token,
            fencing,
            ttl,
        }))
    }

    async fn release(&self, lease: &Lease) -> Result<bool, LockError> {
        let mut invocation = self.release.key(self.lease_key(&lease.resource));
        invocation.arg(&lease.token);
        let deleted: u64 = self.eval(&invocation).await?;
        Ok(deleted == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_s_lease_and_fencing_keys_share_a_hash_tag_and_never_collide() {
        let Ok(pool) = connect_pool("redis://127.0.0.1:1", DEFAULT_OPERATION_TIMEOUT) else {
            panic!("a well-formed URL builds a pool without connecting");
        };
        let locks = RedisLocks::new(pool);
        assert_eq!(locks.lease_key("driver:7"), "pitlane:lock:{driver:7}");
        assert_eq!(
            locks.fencing_key("driver:7"),
            "pitlane:lock:{driver:7}:fencing"
        );
        assert_ne!(locks.lease_key("a}:fencing"), locks.fencing_key("a"));
    }

    #[test]
    fn a_sub_millisecond_ttl_still_expires_rather_than_being_rejected() {
        assert_eq!(ttl_millis(Duration::ZERO), 1);
        assert_eq!(ttl_millis(Duration::from_micros(1500)), 1);
        assert_eq!(ttl_millis(Duration::from_secs(3)), 3000);
    }

    #[test]
    fn a_malformed_url_is_refused_before_any_connection() {
        assert!(connect_pool("not a url", DEFAULT_OPERATION_TIMEOUT).is_err());
        assert!(connect_pool("http://127.0.0.1:6379", DEFAULT_OPERATION_TIMEOUT).is_err());
    }
}
