//! The token registry in Redis: what lets several BFF instances behind one load
//! balancer wait for each other's writes (DESIGN §7, step 2). Without it, a booking on
//! instance B would check a schedule that may not yet show instance A's booking.
//!
//! One string key per registry key, `pitlane:token:<key>` = `<position>:<version>:<stream_id>`
//! (position first, so a Lua script can compare it without parsing JSON), expiring after
//! [`DEFAULT_TTL`]: a token older than that has long been reflected by the read models,
//! so forgetting it costs nothing.
//!
//! - `record` is one Lua script, so "keep the higher position" is atomic across
//!   instances: two BFFs recording at once never let the older token win. Positions are
//!   compared as decimal strings (length, then digits), exact for every `u64`, where
//!   Lua's numbers (doubles) would not be.
//! - `last` is one `MGET`.
//!
//! The `TokenRegistry` port cannot fail: a Redis error is logged and treated as an
//! unknown token — the check then reads without waiting, as it does for a key the
//! in-process registry forgot, and the aggregates' own rules still back it up. Bookings
//! do not get that far without Redis anyway: their locks live there and fail closed.

use std::time::Duration;

use async_trait::async_trait;
use contracts::v1::ConsistencyToken;
use deadpool_redis::Pool;
use deadpool_redis::redis::{self, Script};

use super::tokens::TokenRegistry;

/// The default namespace of token keys.
pub const DEFAULT_KEY_PREFIX: &str = "pitlane:token:";

/// How long a key's last token is kept after its last write.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// How long one round trip may take before it counts as failed.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(2);

/// For every key: replace its token with ARGV[2] (at position ARGV[1]) unless it holds
/// one at a higher or equal position; (re)set its TTL (ARGV[3] ms) when it writes.
const RECORD: &str = r"
local function greater(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end
for _, key in ipairs(KEYS) do
  local known = redis.call('GET', key)
  local position = known and string.match(known, '^(%d+):')
  if not position or greater(ARGV[1], position) then
    redis.call('SET', key, ARGV[2], 'PX', ARGV[3])
  end
end
return 0
";

/// The Redis `TokenRegistry`; cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct RedisTokens {
    pool: Pool,
    key_prefix: String,
    ttl: Duration,
    record: Script,
}

impl RedisTokens {
    pub fn new(pool: Pool) -> Self {
        RedisTokens {
            pool,
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            ttl: DEFAULT_TTL,
            record: Script::new(RECORD),
        }
    }

    /// Another namespace (tests use one each).
    pub fn with_key_prefix(mut self, key_prefix: impl Into<String>) -> Self {
        self.key_prefix = key_prefix.into();
        self
    }

    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    fn redis_keys(&self, keys: &[String]) -> Vec<String> {
        keys.iter()
            .map(|key| format!("{}{key}", self.key_prefix))
            .collect()
    }

    async fn try_record(&self, keys: &[String], token: &ConsistencyToken) -> Result<(), String> {
        let mut invocation = self.record.prepare_invoke();
        invocation
            .key(self.redis_keys(keys))
            .arg(token.position)
            .arg(encode(token))
            .arg(
                u64::try_from(self.ttl.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1),
            );
        let call = async {
            let mut connection = self.pool.get().await.map_err(|e| e.to_string())?;
            invocation
                .invoke_async::<i64>(&mut connection)
                .await
                .map_err(|e| e.to_string())
        };
        within_timeout(call).await.map(|_| ())
    }

    async fn try_last(&self, keys: &[String]) -> Result<Vec<Option<String>>, String> {
        let call = async {
            let mut connection = self.pool.get().await.map_err(|e| e.to_string())?;
            redis::cmd("MGET")
                .arg(self.redis_keys(keys))
                .query_async::<Vec<Option<String>>>(&mut connection)
                .await
                .map_err(|e| e.to_string())
        };
        within_timeout(call).await
    }
}

async fn within_timeout<T>(
    call: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(OPERATION_TIMEOUT, call)
        .await
        .map_err(|_| format!("no answer within {OPERATION_TIMEOUT:?}"))?
}

fn encode(token: &ConsistencyToken) -> String {
    format!("{}:{}:{}", token.position, token.version, token.stream_id)
}

fn decode(value: &str) -> Option<ConsistencyToken> {
    let mut parts = value.splitn(3, ':');
    let position = parts.next()?.parse().ok()?;
    let version = parts.next()?.parse().ok()?;
    let stream_id = parts.next()?.to_owned();
    Some(ConsistencyToken {
        stream_id,
        version,
        position,
    })
}

#[async_trait]
impl TokenRegistry for RedisTokens {
    async fn record(&self, keys: &[String], token: &ConsistencyToken) {
        if keys.is_empty() {
            return;
        }
        if let Err(cause) = self.try_record(keys, token).await {
            tracing::warn!(%cause, ?keys, "consistency token not recorded in Redis");
        }
    }

    async fn last(&self, keys: &[String]) -> Vec<ConsistencyToken> {
        if keys.is_empty() {
            return Vec::new();
        }
        match self.try_last(keys).await {
            Ok(values) => values
                .iter()
                .flatten()
                .filter_map(|value| {
                    let token = decode(value);
                    if token.is_none() {
                        tracing::warn!(%value, "unreadable consistency token in Redis; ignored");
                    }
                    token
                })
                .collect(),
            Err(cause) => {
                tracing::warn!(%cause, ?keys, "consistency tokens unavailable; checking without waiting");
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_survives_its_encoding_even_with_colons_in_the_stream_id() {
        let token = ConsistencyToken {
            stream_id: "delivery-a:b".into(),
            version: 3,
            position: u64::MAX,
        };
        assert_eq!(decode(&encode(&token)), Some(token));
    }

    #[test]
    fn a_value_that_is_not_a_token_decodes_to_nothing() {
        assert_eq!(decode("garbage"), None);
        assert_eq!(decode("12:x:delivery-1"), None);
    }
}
