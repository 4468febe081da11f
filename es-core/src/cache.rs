//! A bounded, shared cache of loaded aggregates, so a hot aggregate is not replayed from
//! the store on every command.
//!
//! Why it is safe: every append still carries the expected version. If another writer
//! (another process, or a path that bypassed this cache) moved the stream on, the append
//! fails with a concurrency error, the repository evicts the entry and reloads from the
//! store. A cached entry is only ever the state this process itself computed after an
//! append it saw succeed, or loaded and chain-checked.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

use crate::aggregate::Aggregate;

pub struct AggregateCache<A> {
    entries: Arc<Mutex<LruCache<String, (A, u64)>>>,
}

impl<A> Clone for AggregateCache<A> {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
        }
    }
}

impl<A: Aggregate> AggregateCache<A> {
    /// Holds up to `capacity` aggregates (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            entries: Arc::new(Mutex::new(LruCache::new(capacity))),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, LruCache<String, (A, u64)>> {
        // Each operation is a single insert, lookup or removal; a panic elsewhere cannot
        // leave an entry half-written, so a poisoned cache is still consistent.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, aggregate_id: &str) -> Option<(A, u64)> {
        self.entries().get(aggregate_id).cloned()
    }

    pub fn put(&self, aggregate_id: &str, state: A, version: u64) {
        self.entries()
            .put(aggregate_id.to_owned(), (state, version));
    }

    pub fn evict(&self, aggregate_id: &str) {
        self.entries().pop(aggregate_id);
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }
}
