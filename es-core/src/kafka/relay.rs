//! The relay: publishing to Kafka by tailing the event store (DESIGN §5, ADR 012).
//!
//! It reads `$all` through the [`EventStore`] port after its checkpoint, publishes a
//! batch in position order, waits until Kafka acknowledged every record of it, and only
//! then saves the batch's last position as its checkpoint. So:
//!
//! - killed at any point, it restarts from the checkpoint and publishes again whatever
//!   was not confirmed: nothing is lost, some events may appear twice (consumers
//!   deduplicate on `event_id`), and each partition still receives every stream in
//!   version order (a batch is never retried while part of it is in flight);
//! - appends never wait for it: the command side only writes the store, and the relay
//!   is a reader that may be behind (its lag is in [`RelayStatus`]);
//! - Kafka down: the batch fails, the relay retries with exponential backoff and
//!   jitter, and resumes where its checkpoint is when Kafka answers again.

use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::sync::watch;

use super::producer::{OrderedProducer, ProducerSettings};
use super::relay_status::{RelayState, RelayStatus, RelayStatusBoard};
use super::topics::ensure_topics;
use super::wire::Record;
use super::{KafkaConfig, KafkaError, RelayCheckpoint, TopicMap, TopicSettings};
use crate::envelope::EventEnvelope;
use crate::store::EventStore;
use crate::telemetry::names;
use tracing::Instrument as _;

/// What a relay publishes and how.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The checkpoint's key; one per relay publishing the same store.
    pub name: String,
    pub topics: TopicMap,
    /// Partitions and replication of the topics created at start.
    pub topic_settings: TopicSettings,
    pub producer: ProducerSettings,
    /// Events read and published per batch (one checkpoint save per batch).
    pub batch: usize,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl RelayConfig {
    pub fn new(name: impl Into<String>, topics: TopicMap) -> Self {
        Self {
            name: name.into(),
            topics,
            topic_settings: TopicSettings::default(),
            producer: ProducerSettings::default(),
            batch: 1_000,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
        }
    }
}

pub struct Relay {
    store: Arc<dyn EventStore>,
    checkpoint: Arc<dyn RelayCheckpoint>,
    kafka: KafkaConfig,
    config: RelayConfig,
    producer: OrderedProducer,
    status: Arc<RelayStatusBoard>,
    /// The saved checkpoint, once loaded (and the topics ensured).
    position: Option<u64>,
}

impl Relay {
    /// Creates the producer; connects to nothing yet (a broker that is down at start
    /// is retried by [`Relay::run`], not an error here).
    pub fn new(
        store: Arc<dyn EventStore>,
        checkpoint: Arc<dyn RelayCheckpoint>,
        kafka: KafkaConfig,
        config: RelayConfig,
    ) -> Result<Self, KafkaError> {
        let producer = OrderedProducer::new(&kafka, config.producer)?;
        Ok(Self {
            status: Arc::new(RelayStatusBoard::new(config.name.clone())),
            store,
            checkpoint,
            kafka,
            config,
            producer,
            position: None,
        })
    }

    /// The status board health endpoints read.
    pub fn status(&self) -> Arc<RelayStatusBoard> {
        self.status.clone()
    }

    /// Publishes until `shutdown` resolves, retrying every failure with backoff.
    pub async fn run(mut self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let mut head = self.store.head();
        let mut backoff = self.backoff();
        loop {
            // Seen before the read, so a commit landing during it wakes the wait below.
            let seen = *head.borrow_and_update();
            self.status.update(|s| s.head = s.head.max(seen));
            let outcome = tokio::select! {
                () = &mut shutdown => break,
                outcome = self.publish_batch() => outcome,
            };
            match outcome {
                Ok(published) => {
                    backoff = self.backoff();
                    if published == 0 && !wait_for_commit(&mut head, &mut shutdown).await {
                        break;
                    }
                }
                Err(error) => {
                    self.on_failure(&error);
                    let delay = backoff.next().unwrap_or(self.config.max_backoff);
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
        self.status.update(|s| s.state = RelayState::Stopped);
    }

    /// Publishes everything the store holds beyond the checkpoint, then returns how many
    /// events it published: the relay's publish rate is this count over the time taken
    /// (`pitlane bench relay`). Stops at the first failure.
    pub async fn drain(&mut self) -> Result<u64, KafkaError> {
        let mut total = 0;
        loop {
            let published = self.publish_batch().await?;
            if published == 0 {
                return Ok(total);
            }
            total += published as u64;
        }
    }

    /// One batch: read after the checkpoint, publish, wait for every acknowledgement,
    /// save the checkpoint. Returns the number of events published (0: caught up).
    pub async fn publish_batch(&mut self) -> Result<usize, KafkaError> {
        let after = self.prepared_position().await?;
        let events = self.store.read_all(after, self.config.batch.max(1)).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            self.status.update(|s| s.state = RelayState::Running);
            return Ok(0);
        };
        let records = records(&self.config.topics, &events, after)?;
        let span = tracing::info_span!(
            "relay_publish",
            relay = %self.config.name,
            events = events.len(),
            first_position = after + 1,
        );
        for event in &events {
            crate::telemetry::link_to(&span, event.traceparent.as_deref());
        }
        let started = std::time::Instant::now();
        self.producer.send_all(&records).instrument(span).await?;
        metrics::histogram!(names::RELAY_PUBLISH, "relay" => self.config.name.clone())
            .record(started.elapsed().as_secs_f64());
        self.checkpoint.save(&self.config.name, last).await?;
        self.position = Some(last);
        let head = *self.store.head().borrow();
        self.status.update(|s| {
            s.state = RelayState::Running;
            s.position = last;
            s.head = s.head.max(head).max(last);
            s.published += events.len() as u64;
            s.last_error = None;
        });
        Ok(events.len())
    }

    /// The checkpoint, loading it (and creating the topics) on first use.
    async fn prepared_position(&mut self) -> Result<u64, KafkaError> {
        if let Some(position) = self.position {
            return Ok(position);
        }
        let topics = self.config.topics.topics();
        let timeout = self.config.producer.delivery_timeout;
        ensure_topics(&self.kafka, &topics, self.config.topic_settings, timeout).await?;
        let position = self.checkpoint.load(&self.config.name).await?;
        tracing::info!(relay = %self.config.name, position, "relay publishing after its checkpoint");
        self.status.update(|s| s.position = position);
        self.position = Some(position);
        Ok(position)
    }

    fn on_failure(&mut self, error: &KafkaError) {
        tracing::warn!(relay = %self.config.name, %error, "relay batch failed; retrying with backoff");
        metrics::counter!(names::RELAY_ERRORS, "relay" => self.config.name.clone()).increment(1);
        self.status.failed(&error.to_string());
        // An idempotent producer that hit a fatal error refuses every later send.
        if let Some(fatal) = self.producer.fatal_error() {
            tracing::warn!(relay = %self.config.name, %fatal, "recreating the Kafka producer");
            match OrderedProducer::new(&self.kafka, self.config.producer) {
                Ok(producer) => self.producer = producer,
                Err(error) => self.status.failed(&error.to_string()),
            }
        }
    }

    fn backoff(&self) -> backon::ExponentialBackoff {
        ExponentialBuilder::default()
            .with_min_delay(self.config.min_backoff)
            .with_max_delay(self.config.max_backoff)
            .with_jitter()
            .without_max_times()
            .build()
    }

    /// The current status (a copy).
    pub fn snapshot(&self) -> RelayStatus {
        self.status.snapshot()
    }
}

/// The records of a batch: each event's predecessor is the one before it, the first
/// one's is the checkpoint the batch was read after.
fn records(
    topics: &TopicMap,
    events: &[EventEnvelope],
    after: u64,
) -> Result<Vec<Record>, KafkaError> {
    let mut prev = after;
    let mut records = Vec::with_capacity(events.len());
    for event in events {
        let topic = topics.topic_for(&event.aggregate_type)?;
        let record = Record::for_event(topic, event, prev).map_err(|e| KafkaError::Encode {
            event_id: event.event_id.to_string(),
            reason: e.to_string(),
        })?;
        records.push(record);
        prev = event.position;
    }
    Ok(records)
}

/// Sleeps until the store commits something new; false on shutdown or when the store
/// is gone.
async fn wait_for_commit(
    head: &mut watch::Receiver<u64>,
    shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
) -> bool {
    tokio::select! {
        () = shutdown.as_mut() => false,
        changed = head.changed() => changed.is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Actor, now};
    use crate::hash::Hash;
    use crate::kafka::wire::PREV_POSITION;

    fn event(aggregate_type: &str, position: u64) -> EventEnvelope {
        EventEnvelope {
            event_id: uuid::Uuid::now_v7(),
            stream_id: format!("{aggregate_type}-1"),
            aggregate_type: aggregate_type.into(),
            aggregate_id: "1".into(),
            version: position,
            position,
            event_type: format!("{aggregate_type}.happened.v1"),
            schema_version: 1,
            occurred_at: now(),
            recorded_at: now(),
            correlation_id: "c".into(),
            causation_id: "c".into(),
            actor: Actor::system(),
            traceparent: None,
            payload: serde_json::json!({}),
            prev_hash: Hash::ZERO,
            hash: Hash::ZERO,
        }
    }

    fn prev_of(record: &Record) -> String {
        let (_, value) = record
            .headers
            .iter()
            .find(|(k, _)| k == PREV_POSITION)
            .unwrap();
        String::from_utf8(value.clone()).unwrap()
    }

    #[test]
    fn each_record_names_the_position_before_it_even_across_gaps() {
        let topics = TopicMap::new().fallback("t");
        let batch = [event("delivery", 12), event("delivery", 15)];
        let records = records(&topics, &batch, 10).unwrap();
        assert_eq!(prev_of(&records[0]), "10");
        assert_eq!(prev_of(&records[1]), "12");
    }

    #[test]
    fn a_batch_with_an_unroutable_event_is_refused_whole() {
        let topics = TopicMap::new().route("delivery", "t");
        let batch = [event("delivery", 1), event("driver", 2)];
        assert!(matches!(
            records(&topics, &batch, 0),
            Err(KafkaError::NoTopic(_))
        ));
    }
}
