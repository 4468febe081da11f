//! The Kafka event source of the projector runtime (DESIGN §2, §4, §6; ADR 012).
//!
//! - One consumer group per projector runtime (`group_id`), subscribed to every topic
//!   the relay writes; each subscription is a new consumer (the runtime resubscribes
//!   after a failure).
//! - Events come out in `$all` order (see [`super::reorder`]), so the runtime's
//!   position checkpoint, its deduplication and read-your-writes work as with the
//!   embedded stream.
//! - Offsets are committed only once the runtime says the read-model transaction
//!   holding those events committed ([`EventSource::committed`]): a crash before that
//!   redelivers them, and the runtime drops what its checkpoint already covers.
//! - Dead letters go to `<topic>.dlq` with the projector, error, attempts and origin as
//!   headers: a message that is not an event at once, an event the projection keeps
//!   failing on when the runtime parks it ([`EventSource::dead_letter`]); the partition
//!   goes on with the next message.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use rdkafka::config::FromClientConfigAndContext;
use rdkafka::consumer::{Consumer, StreamConsumer};

use super::config::dead_letter_topic;
use super::consumer::SourceContext;
use super::dead_letter;
use super::probe::{self, PROBE_TIMEOUT};
use super::producer::{OrderedProducer, ProducerSettings};
use super::session::{Session, Shared};
use super::topics::ensure_topics;
use super::{KafkaConfig, KafkaError, TopicSettings};
use crate::envelope::EventEnvelope;
use crate::projection::{EventSource, Settlement, SourceError};
use crate::vault::Vault;

/// Which projector consumes what.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Named in dead letters' `projector` header.
    pub projector: String,
    /// The consumer group: one per read-model database (every partition must reach it).
    pub group_id: String,
    /// Every topic the relay publishes to (a missing one would stall the chain).
    pub topics: Vec<String>,
    /// For the event and dead-letter topics created when missing.
    pub topic_settings: TopicSettings,
    /// The dead-letter producer.
    pub producer: ProducerSettings,
    /// `(aggregate_type, topic)`: where each aggregate type's events come from, so a
    /// settled dead letter is recorded on the right `.dlq` topic.
    pub routes: Vec<(String, String)>,
}

impl SourceConfig {
    /// Group `pitlane.projector.<projector>`.
    pub fn new(projector: impl Into<String>, topics: Vec<String>) -> Self {
        let projector = projector.into();
        Self {
            group_id: format!("pitlane.projector.{projector}"),
            projector,
            topics,
            topic_settings: TopicSettings::default(),
            producer: ProducerSettings::default(),
            routes: Vec::new(),
        }
    }
}

pub struct KafkaEventSource {
    kafka: KafkaConfig,
    config: SourceConfig,
    shared: Arc<Shared>,
    /// The live subscription, if any. Weak: dropping the runtime's stream must close
    /// the consumer (and leave the group) at once.
    session: Mutex<Weak<Session>>,
    topics_ready: AtomicBool,
}

impl KafkaEventSource {
    /// Creates the dead-letter producer; connects to nothing yet.
    pub fn new(kafka: KafkaConfig, config: SourceConfig) -> Result<Self, KafkaError> {
        Self::build(kafka, config, None)
    }

    /// A source that opens sealed personal data with `vault` before projections see
    /// it (what the embedded event stream does on the command side, ADR 010).
    pub fn with_vault(
        kafka: KafkaConfig,
        config: SourceConfig,
        vault: Arc<Vault>,
    ) -> Result<Self, KafkaError> {
        Self::build(kafka, config, Some(vault))
    }

    fn build(
        kafka: KafkaConfig,
        config: SourceConfig,
        vault: Option<Arc<Vault>>,
    ) -> Result<Self, KafkaError> {
        let shared = Shared {
            projector: config.projector.clone(),
            dead_letters: OrderedProducer::new(&kafka, config.producer)?,
            head: AtomicU64::new(0),
            vault,
        };
        Ok(Self {
            kafka,
            config,
            shared: Arc::new(shared),
            session: Mutex::new(Weak::new()),
            topics_ready: AtomicBool::new(false),
        })
    }

    async fn ensure_topics(&self) -> Result<(), KafkaError> {
        if self.topics_ready.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut topics = self.config.topics.clone();
        topics.extend(self.config.topics.iter().map(|t| dead_letter_topic(t)));
        ensure_topics(
            &self.kafka,
            &topics,
            self.config.topic_settings,
            PROBE_TIMEOUT,
        )
        .await?;
        self.topics_ready.store(true, Ordering::Relaxed);
        Ok(())
    }

    async fn start(&self, after: u64) -> Result<Arc<Session>, KafkaError> {
        self.ensure_topics().await?;
        let (partitions, rewind) = self.probe(after).await?;
        let context = SourceContext::new(&self.config.group_id, partitions, rewind);
        let consumer: StreamConsumer<SourceContext> =
            StreamConsumer::from_config_and_context(&self.consumer_config(), context)
                .map_err(KafkaError::client)?;
        let topics: Vec<&str> = self.config.topics.iter().map(String::as_str).collect();
        consumer.subscribe(&topics).map_err(KafkaError::client)?;
        Ok(Arc::new(Session::new(consumer, after, self.shared.clone())))
    }

    fn consumer_config(&self) -> rdkafka::ClientConfig {
        self.kafka.client(&[
            ("group.id", &self.config.group_id),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", "earliest"),
            // The chain needs every partition: no cooperative (incremental) assignors.
            ("partition.assignment.strategy", "range,roundrobin"),
            // Read-your-writes waits on this consumer: a broker that holds a fetch for
            // its whole wait instead of answering when data arrives (some
            // Kafka-protocol brokers do) would add up to the default 500 ms per event.
            ("fetch.wait.max.ms", "25"),
            // Joining the group waits on the session timeout: with librdkafka's 45 s
            // default the first event arrived 23.4 s after every (re)start (tansu),
            // the stall behind the first writes' consistency timeouts after a start
            // and the 22 s after a restart (issue 13). 6 s (Kafka's minimum by default)
            // with a heartbeat each second: 3.3 s. It also bounds how long a crashed
            // consumer holds its partitions. `KAFKA_*` properties override both.
            ("session.timeout.ms", "6000"),
            ("heartbeat.interval.ms", "1000"),
            // The consumer lag per partition (`SourceContext::stats`).
            ("statistics.interval.ms", "5000"),
        ])
    }

    /// Per partition of the live subscription, the messages not consumed yet, as
    /// librdkafka last reported them; empty without a subscription.
    pub fn consumer_lag(&self) -> BTreeMap<(String, i32), i64> {
        self.current().map(|s| s.lag()).unwrap_or_default()
    }

    /// See [`probe::probe`]; on the blocking pool (librdkafka blocks).
    async fn probe(&self, after: u64) -> Result<(BTreeMap<String, usize>, bool), KafkaError> {
        let config = self.consumer_config();
        let topics = self.config.topics.clone();
        tokio::task::spawn_blocking(move || probe::probe(&config, &topics, after))
            .await
            .map_err(KafkaError::client)?
    }

    fn current(&self) -> Option<Arc<Session>> {
        self.session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .upgrade()
    }
}

fn source_error(error: KafkaError) -> SourceError {
    SourceError(error.to_string())
}

#[async_trait]
impl EventSource for KafkaEventSource {
    async fn subscribe(
        &self,
        after_position: u64,
    ) -> Result<BoxStream<'static, Result<EventEnvelope, SourceError>>, SourceError> {
        let session = self.start(after_position).await.map_err(source_error)?;
        tracing::info!(
            after_position,
            "Kafka consumer subscribed: projections read from Kafka"
        );
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = Arc::downgrade(&session);
        Ok(session.events().boxed())
    }

    /// The highest position Kafka has delivered so far (lag is measured against it:
    /// the source cannot see the store's head).
    async fn head(&self) -> Result<u64, SourceError> {
        Ok(self.shared.head.load(Ordering::Relaxed))
    }

    async fn committed(&self, position: u64) {
        if let Some(session) = self.current() {
            session.committed(position);
        }
    }

    async fn dead_letter(
        &self,
        event: &EventEnvelope,
        reason: &str,
        attempts: u32,
    ) -> Result<(), SourceError> {
        let session = self
            .current()
            .ok_or_else(|| SourceError("no live Kafka subscription".into()))?;
        session.dead_letter(event.event_id, reason, attempts).await
    }

    async fn settled(
        &self,
        event: &EventEnvelope,
        settlement: &Settlement,
    ) -> Result<(), SourceError> {
        let topic = self
            .config
            .routes
            .iter()
            .find(|(aggregate_type, _)| *aggregate_type == event.aggregate_type)
            .map(|(_, topic)| topic)
            .ok_or_else(|| {
                SourceError(format!(
                    "no topic for aggregate type `{}`",
                    event.aggregate_type
                ))
            })?;
        let record = dead_letter::settlement(topic, event, &self.config.projector, settlement);
        self.shared
            .dead_letters
            .send_all(&[record])
            .await
            .map_err(|e| SourceError(format!("cannot record the settlement on Kafka: {e}")))
    }
}
