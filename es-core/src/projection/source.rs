//! Where a projection's events come from.

use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::envelope::EventEnvelope;
use crate::hash::Hash;
use crate::store::EventStore;
use crate::subscription::{DEFAULT_BATCH, subscribe};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event source: {0}")]
pub struct SourceError(pub String);

/// `$all` in position order, from a position on: history, then live.
#[async_trait]
pub trait EventSource: Send + Sync + 'static {
    async fn subscribe(
        &self,
        after_position: u64,
    ) -> Result<BoxStream<'static, Result<EventEnvelope, SourceError>>, SourceError>;

    /// The newest position the source knows, for lag.
    async fn head(&self) -> Result<u64, SourceError>;

    /// Whether [`EventSource::head`] is the log's own head (a store, or the command
    /// service's event stream) rather than what a consumer has seen so far (Kafka). Only
    /// then does a head below the target's checkpoint prove that the log went back in
    /// time, which the runtime refuses to paper over.
    fn head_is_the_logs(&self) -> bool {
        false
    }

    /// The hash of the log's event at `position`, where the source can look it up (a
    /// store, the command service); `None` where it cannot (Kafka holds no random
    /// access to `$all`) or there is no such event. The runtime compares it with the
    /// hash its target's checkpoint recorded.
    async fn hash_at(&self, _position: u64) -> Result<Option<Hash>, SourceError> {
        Ok(None)
    }

    /// Told by the runtime once the target has durably committed every event up to
    /// `position` (rows and checkpoint). A source that tracks delivery on its side
    /// (Kafka's consumer offsets) acknowledges here and nowhere earlier, so a crash
    /// before the commit redelivers. Sources that read from a position need nothing.
    async fn committed(&self, _position: u64) {}

    /// Told by the runtime before it parks `event` as a dead letter in the target. A
    /// source with a dead-letter channel of its own (Kafka's `<topic>.dlq`) publishes it
    /// there; an error stops the parking, and the runtime retries it.
    async fn dead_letter(
        &self,
        _event: &EventEnvelope,
        _reason: &str,
        _attempts: u32,
    ) -> Result<(), SourceError> {
        Ok(())
    }

    /// Told after an operator settled a parked event (see [`Settlement`]). A source
    /// with a dead-letter channel of its own records the settlement there, so the
    /// channel tells the whole story (Kafka: a record on `<topic>.dlq` next to the dead
    /// letter); the read-model store stays the authority on what is parked.
    async fn settled(
        &self,
        _event: &EventEnvelope,
        _settlement: &Settlement,
    ) -> Result<(), SourceError> {
        Ok(())
    }
}

/// How an operator settled a parked event (ADR 021).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// `redriven` (applied after a fix) or `discarded`.
    pub outcome: &'static str,
    /// The subject of the operator's token.
    pub by: String,
    /// Why, for a discard.
    pub reason: Option<String>,
}

/// Events from one source (Kafka), the head from the log itself (the command service's
/// event stream): lag is measured against the log's head, not against what the
/// consumer has seen, so events that do not arrive show as lag instead of "lag 0".
///
/// The log is asked at most every [`LogHeaded::ASK_EVERY`]; when it cannot answer,
/// the events' source's own head stands in (projections go on while the command
/// service is away). So a head below the checkpoint proves nothing here: this source
/// does not claim to be the log's (`head_is_the_logs` stays false).
pub struct LogHeaded {
    events: Arc<dyn EventSource>,
    log: Arc<dyn EventSource>,
    asked: std::sync::Mutex<Option<(std::time::Instant, u64)>>,
}

impl LogHeaded {
    pub const ASK_EVERY: std::time::Duration = std::time::Duration::from_millis(500);
    const ASK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

    pub fn new(events: Arc<dyn EventSource>, log: Arc<dyn EventSource>) -> Self {
        Self {
            events,
            log,
            asked: std::sync::Mutex::new(None),
        }
    }

    /// The log's head as last asked, asking again when the answer is old.
    async fn log_head(&self) -> Option<u64> {
        let known = *self.asked.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, head)) = known
            && at.elapsed() < Self::ASK_EVERY
        {
            return Some(head);
        }
        let asked = tokio::time::timeout(Self::ASK_TIMEOUT, self.log.head()).await;
        match asked {
            Ok(Ok(head)) => {
                *self.asked.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((std::time::Instant::now(), head));
                Some(head)
            }
            _ => known.map(|(_, head)| head),
        }
    }
}

#[async_trait]
impl EventSource for LogHeaded {
    async fn subscribe(
        &self,
        after_position: u64,
    ) -> Result<BoxStream<'static, Result<EventEnvelope, SourceError>>, SourceError> {
        self.events.subscribe(after_position).await
    }

    async fn head(&self) -> Result<u64, SourceError> {
        let seen = self.events.head().await?;
        Ok(self.log_head().await.map_or(seen, |log| log.max(seen)))
    }

    /// The log's (the command service's) answer; none while it cannot be asked, as
    /// for the head: projections go on while the command service is away.
    async fn hash_at(&self, position: u64) -> Result<Option<Hash>, SourceError> {
        let asked = tokio::time::timeout(Self::ASK_TIMEOUT, self.log.hash_at(position)).await;
        Ok(asked.ok().and_then(Result::ok).flatten())
    }

    async fn committed(&self, position: u64) {
        self.events.committed(position).await;
    }

    async fn dead_letter(
        &self,
        event: &EventEnvelope,
        reason: &str,
        attempts: u32,
    ) -> Result<(), SourceError> {
        self.events.dead_letter(event, reason, attempts).await
    }

    async fn settled(
        &self,
        event: &EventEnvelope,
        settlement: &Settlement,
    ) -> Result<(), SourceError> {
        self.events.settled(event, settlement).await
    }
}

/// Reads a local event store directly (tests, benchmarks, rebuilds next to the store).
pub struct StoreSource(pub Arc<dyn EventStore>);

/// A local store read in pages of `page` events: rebuilds use big pages, so each
/// projection transaction covers many events.
pub struct PagedStoreSource {
    pub store: Arc<dyn EventStore>,
    pub page: usize,
}

#[async_trait]
impl EventSource for PagedStoreSource {
    async fn subscribe(
        &self,
        after_position: u64,
    ) -> Result<BoxStream<'static, Result<EventEnvelope, SourceError>>, SourceError> {
        let events = subscribe(self.store.clone(), after_position, self.page)
            .map(|event| event.map_err(|e| SourceError(e.to_string())));
        Ok(events.boxed())
    }

    async fn head(&self) -> Result<u64, SourceError> {
        Ok(*self.store.head().borrow())
    }

    fn head_is_the_logs(&self) -> bool {
        true
    }

    async fn hash_at(&self, position: u64) -> Result<Option<Hash>, SourceError> {
        store_hash_at(self.store.as_ref(), position).await
    }
}

#[async_trait]
impl EventSource for StoreSource {
    async fn subscribe(
        &self,
        after_position: u64,
    ) -> Result<BoxStream<'static, Result<EventEnvelope, SourceError>>, SourceError> {
        let events = subscribe(self.0.clone(), after_position, DEFAULT_BATCH)
            .map(|event| event.map_err(|e| SourceError(e.to_string())));
        Ok(events.boxed())
    }

    async fn head(&self) -> Result<u64, SourceError> {
        Ok(*self.0.head().borrow())
    }

    fn head_is_the_logs(&self) -> bool {
        true
    }

    async fn hash_at(&self, position: u64) -> Result<Option<Hash>, SourceError> {
        store_hash_at(self.0.as_ref(), position).await
    }
}

/// The hash of the store's event at `position`, if there is one.
async fn store_hash_at(store: &dyn EventStore, position: u64) -> Result<Option<Hash>, SourceError> {
    let Some(before) = position.checked_sub(1) else {
        return Ok(None);
    };
    let events = store
        .read_all(before, 1)
        .await
        .map_err(|e| SourceError(e.to_string()))?;
    Ok(events
        .first()
        .filter(|e| e.position == position)
        .map(|e| e.hash))
}
