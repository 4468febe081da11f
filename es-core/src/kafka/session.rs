//! One subscription of the Kafka source: a consumer in the projector's group, the chain
//! that restores `$all` order, and the offsets waiting for the runtime's commit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::Stream;
use rdkafka::client::Client;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError as RdKafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::sync::watch;
use uuid::Uuid;

use super::consumer::SourceContext;
use super::dead_letter::{Origin, Verdict, dead_letter};
use super::producer::OrderedProducer;
use super::reorder::{Chain, Offsets, Partition};
use super::wire::{Decoded, Received, Record};
use crate::envelope::EventEnvelope;
use crate::projection::SourceError;
use crate::vault::{Vault, VaultError};

/// How often offsets of skipped duplicates are committed at most (the runtime's own
/// commits are passed on at once).
const DUPLICATE_COMMIT_INTERVAL: Duration = Duration::from_secs(1);

/// Events waiting in the chain at which a warning is logged (and every multiple).
const STALL_WARNING: usize = 10_000;

/// What every subscription of one source shares.
pub struct Shared {
    /// Named in dead letters.
    pub projector: String,
    pub dead_letters: OrderedProducer,
    /// The highest position received so far (the source's `head`).
    pub head: AtomicU64,
    /// Opens sealed personal data before events reach projections (ADR 010); Kafka
    /// itself only ever holds it sealed.
    pub vault: Option<Arc<Vault>>,
}

/// A released event's record as consumed, until the runtime has committed it: a dead
/// letter is that record, byte for byte (personal data still sealed).
#[derive(Debug, Clone)]
struct Tracked {
    origin: Origin,
    original: Record,
    position: u64,
}

#[derive(Default)]
struct State {
    chain: Chain,
    offsets: Offsets,
    /// Released events by id (for dead letters), until committed.
    origins: HashMap<Uuid, Tracked>,
    /// The runtime's checkpoint.
    committed: u64,
    last_commit: Option<Instant>,
    /// Duplicates were skipped since the last commit: their offsets await one.
    unflushed: bool,
}

pub struct Session {
    /// `Some` until dropped (see `Drop`).
    consumer: Option<StreamConsumer<SourceContext>>,
    state: Mutex<State>,
    shared: Arc<Shared>,
}

impl Session {
    pub fn new(consumer: StreamConsumer<SourceContext>, after: u64, shared: Arc<Shared>) -> Self {
        let state = State {
            chain: Chain::after(after),
            committed: after,
            ..State::default()
        };
        Self {
            consumer: Some(consumer),
            state: Mutex::new(state),
            shared,
        }
    }

    /// The events, in `$all` order, until the first error.
    pub fn events(
        self: Arc<Self>,
    ) -> impl Stream<Item = Result<EventEnvelope, SourceError>> + Send + 'static {
        let problems = self.context().map(SourceContext::problems);
        futures::stream::unfold((self, problems), |(session, mut problems)| async move {
            let next = session.next(problems.as_mut()).await;
            Some((next, (session, problems)))
        })
    }

    /// Called once the runtime committed everything up to `position`: commits the
    /// offsets of every message that is now done.
    pub fn committed(&self, position: u64) {
        let commits = {
            let mut state = self.state();
            state.committed = state.committed.max(position);
            let committed = state.committed;
            state.origins.retain(|_, t| t.position > committed);
            state.last_commit = Some(Instant::now());
            state.unflushed = false;
            state.offsets.committable(committed)
        };
        self.commit(&commits);
    }

    /// Publishes the record of a released event the runtime gave up on to
    /// `<topic>.dlq`. An event this subscription did not release (cannot happen under
    /// the runtime) is an error: the runtime resubscribes, and it comes again.
    pub async fn dead_letter(
        &self,
        event_id: Uuid,
        reason: &str,
        attempts: u32,
    ) -> Result<(), SourceError> {
        let tracked = self.state().origins.get(&event_id).cloned();
        let tracked = tracked.ok_or_else(|| {
            SourceError(format!(
                "event {event_id} was not delivered by this subscription"
            ))
        })?;
        self.publish_dead_letter(tracked.original, &tracked.origin, reason, attempts)
            .await
    }

    async fn next(
        &self,
        mut problems: Option<&mut watch::Receiver<Option<String>>>,
    ) -> Result<EventEnvelope, SourceError> {
        let consumer = self.consumer()?;
        loop {
            let ready = self.state().chain.next_ready();
            if let Some(event) = ready {
                return self.opened(event).await;
            }
            if let Some(problem) = problems
                .as_mut()
                .and_then(|p| p.borrow_and_update().clone())
            {
                return Err(SourceError(problem));
            }
            let unflushed = self.state().unflushed;
            let received = tokio::select! {
                message = consumer.recv() => message.map(|m| Received::copy(&m)),
                changed = changed(&mut problems) => {
                    changed?;
                    continue;
                }
                () = tokio::time::sleep(DUPLICATE_COMMIT_INTERVAL), if unflushed => {
                    self.committed(0);
                    continue;
                }
            };
            match received {
                Ok(received) => self.take(received).await?,
                Err(error) => self.consumer_error(consumer.client(), error)?,
            }
        }
    }

    async fn take(&self, received: Received) -> Result<(), SourceError> {
        match received.decode() {
            Ok(decoded) => {
                self.offer(received, decoded);
                Ok(())
            }
            Err(reason) => self.dead_letter_poison(received, &reason).await,
        }
    }

    fn offer(&self, received: Received, decoded: Decoded) {
        let Decoded {
            event,
            prev_position,
        } = decoded;
        self.shared
            .head
            .fetch_max(event.position, Ordering::Relaxed);
        let mut state = self.state();
        let (origin, original) = split(received);
        state.offsets.track(
            &origin.topic,
            origin.partition,
            origin.offset,
            event.position,
        );
        let tracked = Tracked {
            origin,
            original,
            position: event.position,
        };
        let id = event.event_id;
        if state.chain.offer(prev_position, event) {
            state.origins.insert(id, tracked);
            warn_if_stalled(&state.chain);
        } else {
            // Duplicates (after a restart or a rewind) never reach the runtime, so its
            // commits may not cover them: committed here, at most once per interval,
            // and by `next` once the consumer goes quiet.
            state.unflushed = true;
            if state
                .last_commit
                .is_none_or(|at| at.elapsed() >= DUPLICATE_COMMIT_INTERVAL)
            {
                drop(state);
                self.committed(0);
            }
        }
    }

    /// A message that is not a relay-published event: to `<topic>.dlq` at once (no retry
    /// can make it readable), then done.
    async fn dead_letter_poison(
        &self,
        received: Received,
        reason: &str,
    ) -> Result<(), SourceError> {
        let (origin, original) = split(received);
        tracing::warn!(projector = %self.shared.projector, topic = %origin.topic, partition = origin.partition, offset = origin.offset, %reason, "poison message dead-lettered");
        self.publish_dead_letter(original, &origin, reason, 1)
            .await?;
        self.state()
            .offsets
            .track(&origin.topic, origin.partition, origin.offset, 0);
        self.committed(0);
        Ok(())
    }

    async fn publish_dead_letter(
        &self,
        original: Record,
        origin: &Origin,
        reason: &str,
        attempts: u32,
    ) -> Result<(), SourceError> {
        let verdict = Verdict {
            projector: &self.shared.projector,
            reason,
            attempts,
        };
        self.shared
            .dead_letters
            .send_all(&[dead_letter(original, origin, verdict)])
            .await
            .map_err(|e| SourceError(format!("cannot publish a dead letter: {e}")))
    }

    /// The event with its personal data opened (when the source has a vault), after
    /// checking it is the event that was appended: one whose bytes no longer match its
    /// hash (altered in the store, or on its way through Kafka) ends the subscription
    /// with an integrity alarm naming it, so no read model ever holds an altered value;
    /// it comes again on the next subscription and is refused again until an operator
    /// has looked. A vault that cannot answer ends the subscription (the event comes
    /// again); a value that does not open goes on as stored, as the embedded stream does.
    async fn opened(&self, mut event: EventEnvelope) -> Result<EventEnvelope, SourceError> {
        if crate::hash::compute_hash(&event) != event.hash {
            tracing::error!(
                projector = %self.shared.projector,
                stream_id = %event.stream_id,
                version = event.version,
                position = event.position,
                "integrity alarm: an event does not match its hash; not applied"
            );
            return Err(SourceError(format!(
                "integrity alarm: {} v{} (position {}) does not match its hash: the event was \
                 altered after it was stored; not applied — run `pitlane audit verify`",
                event.stream_id, event.version, event.position
            )));
        }
        let Some(vault) = &self.shared.vault else {
            return Ok(event);
        };
        match vault.open_envelope(&mut event).await {
            Ok(()) => Ok(event),
            Err(VaultError::Unavailable(cause)) => Err(SourceError(cause)),
            Err(error) => {
                tracing::error!(stream_id = %event.stream_id, version = event.version, %error, "sealed personal data does not open; delivered as stored");
                Ok(event)
            }
        }
    }

    /// librdkafka reports transient trouble (a broker away) as errors and recovers by
    /// itself; only a fatal error ends the subscription.
    fn consumer_error(
        &self,
        client: &Client<SourceContext>,
        error: RdKafkaError,
    ) -> Result<(), SourceError> {
        match client.fatal_error() {
            Some((code, reason)) => Err(SourceError(format!("kafka consumer: {code}: {reason}"))),
            None => {
                tracing::warn!(projector = %self.shared.projector, %error, "kafka consumer error");
                Ok(())
            }
        }
    }

    fn commit(&self, commits: &[(Partition, i64)]) {
        let Ok(consumer) = self.consumer() else {
            return;
        };
        if commits.is_empty() {
            return;
        }
        let mut tpl = TopicPartitionList::with_capacity(commits.len());
        for ((topic, partition), offset) in commits {
            if let Err(error) = tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset))
            {
                tracing::warn!(%topic, partition, %error, "offset not committed");
            }
        }
        match consumer.commit(&tpl, CommitMode::Async) {
            Ok(()) => consumer.context().stop_rewinding(),
            Err(error) => {
                tracing::warn!(projector = %self.shared.projector, %error, "offset commit failed; the events will be redelivered")
            }
        }
    }

    fn consumer(&self) -> Result<&StreamConsumer<SourceContext>, SourceError> {
        self.consumer
            .as_ref()
            .ok_or_else(|| SourceError("the Kafka consumer is closed".into()))
    }

    /// The consumer's lag per partition ([`SourceContext::lag`]).
    pub fn lag(&self) -> std::collections::BTreeMap<(String, i32), i64> {
        self.context().map(SourceContext::lag).unwrap_or_default()
    }

    fn context(&self) -> Option<&SourceContext> {
        self.consumer.as_ref().map(|c| c.context().as_ref())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update leaves the state whole: a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Where a message came from, and the message as a record.
fn split(received: Received) -> (Origin, Record) {
    let origin = Origin {
        topic: received.topic.clone(),
        partition: received.partition,
        offset: received.offset,
    };
    let record = Record {
        topic: received.topic,
        key: received.key.unwrap_or_default(),
        value: received.value.unwrap_or_default(),
        headers: received.headers,
    };
    (origin, record)
}

/// Says so when many events wait for an earlier one: a partition far behind the
/// others, or (if it never ends) a topic the relay writes missing from `topics`.
fn warn_if_stalled(chain: &Chain) {
    let waiting = chain.waiting();
    if waiting > 0 && waiting.is_multiple_of(STALL_WARNING) {
        tracing::warn!(
            waiting,
            after = chain.released(),
            "events wait for the one after this position"
        );
    }
}

/// Resolves when the consumer reports a new problem (never, without a receiver).
async fn changed(
    problems: &mut Option<&mut watch::Receiver<Option<String>>>,
) -> Result<(), SourceError> {
    match problems {
        Some(problems) => problems
            .changed()
            .await
            .map_err(|_| SourceError("the Kafka consumer is closed".into())),
        None => std::future::pending().await,
    }
}

impl Drop for Session {
    /// Closing a consumer leaves its group, which waits for the broker: done on the
    /// blocking pool so no async worker stalls (and so the group is free for the next
    /// subscription soon).
    fn drop(&mut self) {
        if let Some(consumer) = self.consumer.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => drop(handle.spawn_blocking(move || drop(consumer))),
                Err(_) => drop(consumer),
            }
        }
    }
}
