//! An in-memory event store for unit tests: the whole contract, none of the durability.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use tokio::sync::watch;
use uuid::Uuid;

use crate::envelope::{EventEnvelope, now};
use crate::seal::{StreamHead, canonical_payloads, seal};
use crate::snapshot::Snapshot;
use crate::store::{AppendRequest, EventStore, IdempotencyRecord, StoreError, validate_together};

#[derive(Default)]
struct State {
    events: Vec<EventEnvelope>,
    streams: HashMap<String, Vec<usize>>,
    event_ids: HashSet<Uuid>,
    snapshots: HashMap<String, Snapshot>,
    idempotency: HashMap<String, IdempotencyRecord>,
}

pub struct InMemoryEventStore {
    state: Mutex<State>,
    head: watch::Sender<u64>,
}

impl Default for InMemoryEventStore {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            head: watch::Sender::new(0),
        }
    }
}

impl InMemoryEventStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Every mutation below completes before the guard drops; poisoning cannot leave
        // a half-applied append, so the data is still consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl EventStore for InMemoryEventStore {
    async fn append_atomically(
        &self,
        requests: Vec<AppendRequest>,
    ) -> Result<Vec<Vec<EventEnvelope>>, StoreError> {
        validate_together(&requests)?;
        let mut state = self.state();
        // Everything that can refuse is checked for every request before the first
        // event is stored, so a refusal leaves the store as it was.
        let recorded_at = now();
        let mut next_position = state.events.len() as u64 + 1;
        let mut sealed_all = Vec::with_capacity(requests.len());
        for request in requests {
            let payloads = canonical_payloads(&request);
            let stream_id = request.stream_id();
            let idempotency = request.idempotency.clone();
            if let Some(record) = idempotency
                .as_ref()
                .and_then(|i| state.idempotency.get(&i.key))
            {
                return Err(StoreError::IdempotencyKeyUsed(Box::new(record.clone())));
            }
            if let Some(event) = request
                .events
                .iter()
                .find(|e| state.event_ids.contains(&e.event_id))
            {
                return Err(StoreError::InvalidAppend {
                    stream_id,
                    reason: format!("event id {} is already stored", event.event_id),
                });
            }
            let head = state
                .streams
                .get(&stream_id)
                .and_then(|indexes| indexes.last())
                .map(|&i| StreamHead {
                    version: state.events[i].version,
                    hash: state.events[i].hash,
                })
                .unwrap_or_default();
            let sealed = seal(request, payloads, head, next_position, recorded_at)?;
            next_position += sealed.len() as u64;
            sealed_all.push((stream_id, idempotency, sealed));
        }
        let mut appended_all = Vec::with_capacity(sealed_all.len());
        for (stream_id, idempotency, sealed) in sealed_all {
            let mut appended = Vec::with_capacity(sealed.len());
            for event in sealed {
                let index = state.events.len();
                state.event_ids.insert(event.envelope.event_id);
                state
                    .streams
                    .entry(stream_id.clone())
                    .or_default()
                    .push(index);
                state.events.push(event.envelope.clone());
                appended.push(event.envelope);
            }
            if let (Some(idempotency), Some(last)) = (idempotency, appended.last()) {
                state.idempotency.insert(
                    idempotency.key.clone(),
                    IdempotencyRecord {
                        key: idempotency.key,
                        fingerprint: idempotency.fingerprint,
                        stream_id: last.stream_id.clone(),
                        version: last.version,
                        position: last.position,
                    },
                );
            }
            appended_all.push(appended);
        }
        self.head.send_replace(state.events.len() as u64);
        Ok(appended_all)
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let state = self.state();
        let Some(indexes) = state.streams.get(stream_id) else {
            return Ok(Vec::new());
        };
        let skip = from_version.saturating_sub(1) as usize;
        Ok(indexes
            .iter()
            .skip(skip)
            .take(limit)
            .map(|&i| state.events[i].clone())
            .collect())
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let state = self.state();
        Ok(state
            .events
            .iter()
            .skip(after_position as usize)
            .take(limit)
            .cloned()
            .collect())
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        let mut state = self.state();
        let newer = state
            .snapshots
            .get(&snapshot.stream_id)
            .is_none_or(|existing| existing.version <= snapshot.version);
        if newer {
            state.snapshots.insert(snapshot.stream_id.clone(), snapshot);
        }
        Ok(())
    }

    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.state().snapshots.get(stream_id).cloned())
    }

    async fn find_idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        Ok(self.state().idempotency.get(key).cloned())
    }
}
