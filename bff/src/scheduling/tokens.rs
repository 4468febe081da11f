//! The last consistency token the BFF saw per key: per stream (`delivery-<id>`) for
//! every command it sent, and per resource (`driver:<id>`) for every booking. Checks
//! wait for these before reading a schedule. In-process here; a shared store (Redis)
//! makes several BFF instances see each other's writes.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use async_trait::async_trait;
use contracts::v1::ConsistencyToken;
use lru::LruCache;

#[async_trait]
pub trait TokenRegistry: Send + Sync + 'static {
    /// Remembers `token` under each key, unless a later one is already there.
    async fn record(&self, keys: &[String], token: &ConsistencyToken);
    /// The known tokens of these keys (unknown keys are skipped).
    async fn last(&self, keys: &[String]) -> Vec<ConsistencyToken>;
}

/// Bounded: the oldest keys are forgotten first (a forgotten key only means a check
/// reads without waiting, which the aggregates' own rules still back up).
pub struct InProcessTokens {
    tokens: Mutex<LruCache<String, ConsistencyToken>>,
}

impl InProcessTokens {
    pub fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        InProcessTokens {
            tokens: Mutex::new(LruCache::new(capacity)),
        }
    }
}

impl Default for InProcessTokens {
    fn default() -> Self {
        InProcessTokens::new(100_000)
    }
}

#[async_trait]
impl TokenRegistry for InProcessTokens {
    async fn record(&self, keys: &[String], token: &ConsistencyToken) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            let newer = tokens
                .get(key)
                .is_none_or(|known| known.position < token.position);
            if newer {
                tokens.put(key.clone(), token.clone());
            }
        }
    }

    async fn last(&self, keys: &[String]) -> Vec<ConsistencyToken> {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter()
            .filter_map(|key| tokens.get(key).cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(position: u64) -> ConsistencyToken {
        ConsistencyToken {
            stream_id: "delivery-1".into(),
            version: position,
            position,
        }
    }

    #[tokio::test]
    async fn a_later_token_replaces_an_earlier_one_but_never_the_reverse() {
        let registry = InProcessTokens::default();
        let key = vec!["driver:1".to_owned()];
        registry.record(&key, &token(5)).await;
        registry.record(&key, &token(3)).await;
        assert_eq!(registry.last(&key).await, vec![token(5)]);
        registry.record(&key, &token(9)).await;
        assert_eq!(registry.last(&key).await, vec![token(9)]);
    }

    #[tokio::test]
    async fn unknown_keys_are_skipped() {
        let registry = InProcessTokens::default();
        registry.record(&["a".to_owned()], &token(1)).await;
        assert_eq!(
            registry.last(&["a".to_owned(), "b".to_owned()]).await.len(),
            1
        );
    }
}
