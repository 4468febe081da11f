//! What the Kafka tests share: a store with events, unique names, a reader of topics.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use es_core::envelope::now;
use es_core::kafka::wire::Received;
use es_core::kafka::{
    KafkaConfig, ProducerSettings, Relay, RelayCheckpoint, RelayConfig, TopicMap, TopicSettings,
};
use es_core::testing::servers::server_url;
use es_core::{
    Actor, AppendRequest, EventEnvelope, EventMetadata, EventStore, ExpectedVersion,
    InMemoryEventStore, ProposedEvent,
};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use serde_json::json;

pub const PARTITIONS: i32 = 3;

/// The broker, or `None` (test skipped with a printed reason; a failure under CI).
pub fn brokers() -> Option<KafkaConfig> {
    server_url("KAFKA_BROKERS").map(|brokers| {
        KafkaConfig::new(brokers)
            // Short group timeouts, or each group join takes ~20 s (tests only: real
            // Kafka's minimum session timeout is 6 s).
            .with("session.timeout.ms", "2000")
            .with("heartbeat.interval.ms", "200")
            .with("topic.metadata.refresh.interval.ms", "1000")
    })
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

/// Two context topics under a fresh prefix: `delivery`/`route` → deliveries,
/// everything else → customers.
pub fn topic_map(prefix: &str) -> TopicMap {
    TopicMap::new()
        .route("delivery", format!("{prefix}.deliveries.events"))
        .route("route", format!("{prefix}.deliveries.events"))
        .fallback(format!("{prefix}.customers.events"))
}

pub fn relay_config(prefix: &str, batch: usize) -> RelayConfig {
    let mut config = RelayConfig::new(format!("{prefix}-relay"), topic_map(prefix));
    config.topic_settings = TopicSettings {
        partitions: PARTITIONS,
        replication: 1,
    };
    config.batch = batch;
    config.min_backoff = Duration::from_millis(20);
    config.max_backoff = Duration::from_millis(200);
    config.producer = ProducerSettings {
        delivery_timeout: Duration::from_secs(10),
        ..ProducerSettings::default()
    };
    config
}

pub fn relay(
    kafka: &KafkaConfig,
    store: &Arc<InMemoryEventStore>,
    checkpoint: Arc<dyn RelayCheckpoint>,
    config: RelayConfig,
) -> Relay {
    Relay::new(store.clone(), checkpoint, kafka.clone(), config).unwrap()
}

/// Appends `count` events to each of `streams` (`type-id`), interleaving streams so
/// every batch holds several; returns everything stored, in `$all` order.
pub async fn fill(
    store: &InMemoryEventStore,
    streams: &[(&str, &str)],
    count: u64,
) -> Vec<EventEnvelope> {
    for round in 1..=count {
        for (aggregate_type, id) in streams {
            store
                .append(append(aggregate_type, id, round))
                .await
                .unwrap();
        }
    }
    store.read_all(0, 100_000).await.unwrap()
}

pub fn append(aggregate_type: &str, id: &str, round: u64) -> AppendRequest {
    AppendRequest {
        aggregate_type: aggregate_type.into(),
        aggregate_id: id.into(),
        expected: ExpectedVersion::Exact(round - 1),
        events: vec![ProposedEvent::new(
            format!("{aggregate_type}.touched.v1"),
            1,
            json!({ "round": round }),
            now(),
        )],
        metadata: EventMetadata {
            correlation_id: format!("corr-{id}-{round}"),
            causation_id: format!("cause-{id}-{round}"),
            actor: Actor::new("tester", "planner"),
            traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
        },
        idempotency: None,
    }
}

/// Every message of `topics`, each partition from its beginning, until `expected`
/// messages arrived (or the timeout, with what arrived).
pub fn read_topics(
    kafka: &KafkaConfig,
    topics: &[String],
    expected: usize,
    timeout: Duration,
) -> Vec<Received> {
    let consumer: BaseConsumer = kafka
        .client(&[
            ("group.id", &unique("reader")),
            ("enable.auto.commit", "false"),
        ])
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for topic in topics {
        let metadata = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .unwrap();
        for partition in metadata.topics()[0].partitions() {
            tpl.add_partition_offset(topic, partition.id(), Offset::Beginning)
                .unwrap();
        }
    }
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + timeout;
    let mut messages = Vec::new();
    while messages.len() < expected && Instant::now() < deadline {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            messages.push(Received::copy(&message));
        }
    }
    messages
}

/// The header's value as text.
pub fn header(message: &Received, key: &str) -> String {
    String::from_utf8(message.header(key).unwrap_or_default().to_vec()).unwrap()
}

/// Per partition, the messages in offset order (a stream's whole history is in one).
pub fn by_partition(messages: &[Received]) -> HashMap<(String, i32), Vec<Received>> {
    let mut partitions: HashMap<(String, i32), Vec<Received>> = HashMap::new();
    for message in messages {
        partitions
            .entry((message.topic.clone(), message.partition))
            .or_default()
            .push(message.clone());
    }
    for messages in partitions.values_mut() {
        messages.sort_by_key(|m| m.offset);
    }
    partitions
}
