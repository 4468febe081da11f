//! The Kafka event source, alone and under the projector runtime.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use es_core::envelope::now;
use es_core::kafka::wire::{self, Received};
use es_core::kafka::{
    self, InMemoryRelayCheckpoint, KafkaConfig, KafkaEventSource, SourceConfig, TopicSettings,
};
use es_core::projection::{
    ApplyError, BatchReport, Checkpoint, EventSource, ProjectionTarget, RetryPolicy, SourceError,
    StatusBoard, run,
};
use es_core::vault::InMemoryKeyStore;
use es_core::{EventEnvelope, EventStore, InMemoryEventStore, ProposedEvent, Vault};
use futures::StreamExt;
use futures::stream::BoxStream;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::helpers::{
    PARTITIONS, append, brokers, fill, header, read_topics, relay, relay_config, topic_map, unique,
};

const WAIT: Duration = Duration::from_secs(40);

fn source_config(prefix: &str) -> SourceConfig {
    let mut config = SourceConfig::new(unique("projector"), topic_map(prefix).topics());
    config.topic_settings = TopicSettings {
        partitions: PARTITIONS,
        replication: 1,
    };
    config
}

fn source(kafka: &KafkaConfig, config: &SourceConfig) -> Arc<KafkaEventSource> {
    Arc::new(KafkaEventSource::new(kafka.clone(), config.clone()).unwrap())
}

/// Publishes what `store` holds beyond `checkpoint` (kept across calls).
async fn publish(
    kafka: &KafkaConfig,
    store: &Arc<InMemoryEventStore>,
    checkpoint: &Arc<InMemoryRelayCheckpoint>,
    prefix: &str,
) {
    let mut relay = relay(kafka, store, checkpoint.clone(), relay_config(prefix, 50));
    relay.drain().await.unwrap();
}

async fn take(
    events: &mut BoxStream<'static, Result<EventEnvelope, SourceError>>,
    count: usize,
) -> Vec<EventEnvelope> {
    let mut taken = Vec::new();
    while taken.len() < count {
        match tokio::time::timeout(WAIT, events.next()).await {
            Ok(Some(event)) => taken.push(event.unwrap()),
            _ => panic!("only {} of {count} events arrived", taken.len()),
        }
    }
    taken
}

fn positions(events: &[EventEnvelope]) -> Vec<u64> {
    events.iter().map(|e| e.position).collect()
}

/// The group's committed offset per (topic, partition).
fn committed_offsets(kafka: &KafkaConfig, config: &SourceConfig) -> Vec<((String, i32), i64)> {
    let probe: BaseConsumer = kafka
        .client(&[("group.id", &config.group_id)])
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for topic in &config.topics {
        for partition in 0..PARTITIONS {
            tpl.add_partition_offset(topic, partition, Offset::Invalid)
                .unwrap();
        }
    }
    let committed = probe
        .committed_offsets(tpl, Duration::from_secs(10))
        .unwrap();
    committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some(((e.topic().to_owned(), e.partition()), o)),
            _ => None,
        })
        .collect()
}

/// Offset commits are asynchronous: waits until `done` holds of the group's offsets.
async fn wait_for_offsets(
    kafka: &KafkaConfig,
    config: &SourceConfig,
    done: impl Fn(&[((String, i32), i64)]) -> bool,
) -> Vec<((String, i32), i64)> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let offsets = committed_offsets(kafka, config);
        if done(&offsets) || tokio::time::Instant::now() > deadline {
            return offsets;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn position_of(message: &Received) -> u64 {
    message.decode().unwrap().event.position
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_source_delivers_events_of_every_partition_and_topic_in_position_order() {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("source-order");
    let store = Arc::new(InMemoryEventStore::new());
    let streams = [
        ("delivery", "a"),
        ("delivery", "b"),
        ("route", "c"),
        ("customer", "d"),
        ("customer", "e"),
        ("driver", "f"),
    ];
    fill(&store, &streams, 10).await;
    publish(&kafka, &store, &Arc::default(), &prefix).await;

    let config = source_config(&prefix);
    let mut events = source(&kafka, &config).subscribe(0).await.unwrap();

    assert_eq!(
        positions(&take(&mut events, 60).await),
        (1..=60).collect::<Vec<u64>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_reports_its_lag_for_every_partition_it_reads() {
    let Some(kafka) = brokers() else { return };
    let kafka = kafka.with("statistics.interval.ms", "200");
    let prefix = unique("source-lag");
    let store = Arc::new(InMemoryEventStore::new());
    fill(&store, &[("delivery", "a"), ("customer", "b")], 5).await;
    publish(&kafka, &store, &Arc::default(), &prefix).await;
    let config = source_config(&prefix);
    let source = source(&kafka, &config);
    let mut events = source.subscribe(0).await.unwrap();
    take(&mut events, 10).await;

    // Every partition of both topics, each read to its end.
    let everything = config.topics.len() * PARTITIONS as usize;
    let deadline = std::time::Instant::now() + WAIT;
    let mut lag = source.consumer_lag();
    while (lag.len() < everything || lag.values().any(|l| *l != 0))
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Statistics are served while the consumer is polled.
        let _ = tokio::time::timeout(Duration::from_millis(10), events.next()).await;
        lag = source.consumer_lag();
    }
    assert_eq!(lag.len(), everything, "{lag:?}");
    assert!(lag.values().all(|l| *l == 0), "caught up: {lag:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_are_committed_only_up_to_what_the_runtime_committed_and_the_rest_is_redelivered() {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("source-commit");
    let store = Arc::new(InMemoryEventStore::new());
    fill(
        &store,
        &[("delivery", "a"), ("route", "b"), ("customer", "c")],
        10,
    )
    .await;
    publish(&kafka, &store, &Arc::default(), &prefix).await;
    let config = source_config(&prefix);

    let first = source(&kafka, &config);
    let mut events = first.subscribe(0).await.unwrap();
    take(&mut events, 30).await;
    first.committed(12).await;
    let offsets = wait_for_offsets(&kafka, &config, |o| !o.is_empty()).await;
    drop(events); // the projector dies with 13..=30 applied but not committed

    let messages = read_topics(&kafka, &config.topics, 30, WAIT);
    for ((topic, partition), committed) in &offsets {
        for message in messages
            .iter()
            .filter(|m| &m.topic == topic && m.partition == *partition)
        {
            let covered = message.offset < *committed;
            assert_eq!(
                covered,
                position_of(message) <= 12,
                "{topic}/{partition} offset {}",
                message.offset
            );
        }
    }
    assert!(!offsets.is_empty(), "something was committed");

    let second = source(&kafka, &config);
    let mut events = second.subscribe(12).await.unwrap();
    assert_eq!(
        positions(&take(&mut events, 18).await),
        (13..=30).collect::<Vec<u64>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_model_behind_the_groups_offsets_reads_the_topics_again_from_the_beginning() {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("source-rewind");
    let store = Arc::new(InMemoryEventStore::new());
    fill(&store, &[("delivery", "a"), ("customer", "b")], 5).await;
    publish(&kafka, &store, &Arc::default(), &prefix).await;
    let config = source_config(&prefix);
    let first = source(&kafka, &config);
    let mut events = first.subscribe(0).await.unwrap();
    take(&mut events, 10).await;
    first.committed(10).await;
    let total = |o: &[((String, i32), i64)]| o.iter().map(|(_, offset)| offset).sum::<i64>();
    wait_for_offsets(&kafka, &config, |o| total(o) == 10).await;
    drop(events);

    // The read model was wiped: its checkpoint is 0 again, the group's offsets are not.
    let mut events = source(&kafka, &config).subscribe(0).await.unwrap();
    assert_eq!(
        positions(&take(&mut events, 10).await),
        (1..=10).collect::<Vec<u64>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_goes_to_the_dead_letter_topic_and_its_partition_goes_on() {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("source-poison");
    let store = Arc::new(InMemoryEventStore::new());
    let checkpoint = Arc::new(InMemoryRelayCheckpoint::new());
    fill(&store, &[("delivery", "a")], 1).await;
    publish(&kafka, &store, &checkpoint, &prefix).await;
    let topic = format!("{prefix}.deliveries.events");
    let partition = read_topics(&kafka, std::slice::from_ref(&topic), 1, WAIT)[0].partition;
    let producer: FutureProducer = kafka.client(&[]).create().unwrap();
    let (_, poison_offset) = producer
        .send(
            FutureRecord::to(&topic)
                .partition(partition)
                .key("junk")
                .payload("not json"),
            Duration::from_secs(10),
        )
        .await
        .map(|d| (d.partition, d.offset))
        .unwrap();
    store.append(append("delivery", "a", 2)).await.unwrap();
    publish(&kafka, &store, &checkpoint, &prefix).await;

    let config = source_config(&prefix);
    let mut events = source(&kafka, &config).subscribe(0).await.unwrap();
    assert_eq!(
        positions(&take(&mut events, 2).await),
        vec![1, 2],
        "the event after the poison"
    );

    let dead = read_topics(&kafka, &[kafka::dead_letter_topic(&topic)], 1, WAIT);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].value.as_deref(), Some(&b"not json"[..]));
    assert_eq!(header(&dead[0], kafka::PROJECTOR), config.projector);
    assert!(header(&dead[0], kafka::ERROR).contains("not an event envelope"));
    assert_eq!(header(&dead[0], kafka::ATTEMPTS), "1");
    assert_eq!(header(&dead[0], kafka::ORIGINAL_TOPIC), topic);
    assert_eq!(
        header(&dead[0], kafka::ORIGINAL_PARTITION),
        partition.to_string()
    );
    assert_eq!(
        header(&dead[0], kafka::ORIGINAL_OFFSET),
        poison_offset.to_string()
    );
}

/// A read model in memory: applied events, parked ones, a checkpoint; refuses events
/// of one type (a projection bug) when told to.
#[derive(Clone, Default)]
struct MemoryModel {
    state: Arc<Mutex<Model>>,
    refuse: Option<&'static str>,
}

#[derive(Default)]
struct Model {
    applied: Vec<EventEnvelope>,
    parked: Vec<(EventEnvelope, String, u32)>,
    checkpoint: u64,
}

impl MemoryModel {
    fn lock(&self) -> std::sync::MutexGuard<'_, Model> {
        self.state.lock().unwrap()
    }

    async fn wait_for(&self, position: u64) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.lock().checkpoint < position {
            assert!(
                tokio::time::Instant::now() < deadline,
                "read model stuck at {}",
                self.lock().checkpoint
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[async_trait]
impl ProjectionTarget for MemoryModel {
    async fn checkpoint(&mut self) -> Result<Checkpoint, ApplyError> {
        Ok(Checkpoint::at(self.lock().checkpoint))
    }

    async fn apply(&mut self, events: &[EventEnvelope]) -> Result<BatchReport, ApplyError> {
        if let Some(bad) = events
            .iter()
            .find(|e| Some(e.event_type.as_str()) == self.refuse)
        {
            return Err(ApplyError::new(format!(
                "cannot project {}",
                bad.event_type
            )));
        }
        let mut model = self.lock();
        model.applied.extend_from_slice(events);
        model.checkpoint = events.last().map_or(model.checkpoint, |e| e.position);
        Ok(BatchReport::default())
    }

    async fn park(
        &mut self,
        event: &EventEnvelope,
        reason: &str,
        attempts: u32,
    ) -> Result<(), ApplyError> {
        let mut model = self.lock();
        model
            .parked
            .push((event.clone(), reason.to_owned(), attempts));
        model.checkpoint = event.position;
        Ok(())
    }
}

/// The Kafka source, but the process "dies" before any offset commit reaches Kafka.
struct DiesBeforeOffsetCommit(Arc<KafkaEventSource>);

#[async_trait]
impl EventSource for DiesBeforeOffsetCommit {
    async fn subscribe(
        &self,
        after: u64,
    ) -> Result<BoxStream<'static, Result<EventEnvelope, SourceError>>, SourceError> {
        self.0.subscribe(after).await
    }

    async fn head(&self) -> Result<u64, SourceError> {
        self.0.head().await
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 2,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        batch: 100,
    }
}

/// Runs the projector runtime until the returned sender is used or dropped.
fn start(
    source: Arc<dyn EventSource>,
    model: &MemoryModel,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let status = Arc::new(StatusBoard::new("test"));
    let running = tokio::spawn(run(source, model.clone(), status, policy(), async move {
        let _ = stopped.await;
    }));
    (stop, running)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_the_read_model_commit_and_the_offset_commit_redelivers_and_applies_nothing_twice()
 {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("source-crash");
    let store = Arc::new(InMemoryEventStore::new());
    let relayed = Arc::new(InMemoryRelayCheckpoint::new());
    fill(&store, &[("delivery", "a"), ("customer", "b")], 10).await;
    publish(&kafka, &store, &relayed, &prefix).await;
    let config = source_config(&prefix);
    let model = MemoryModel::default();

    let (stop, running) = start(
        Arc::new(DiesBeforeOffsetCommit(source(&kafka, &config))),
        &model,
    );
    model.wait_for(20).await;
    let _ = stop.send(());
    running.await.unwrap();
    assert!(
        committed_offsets(&kafka, &config).is_empty(),
        "no offset reached Kafka"
    );

    store.append(append("delivery", "a", 11)).await.unwrap();
    publish(&kafka, &store, &relayed, &prefix).await;
    let (stop, running) = start(source(&kafka, &config), &model);
    model.wait_for(21).await;
    let total = |o: &[((String, i32), i64)]| o.iter().map(|(_, offset)| offset).sum::<i64>();
    let offsets = wait_for_offsets(&kafka, &config, |o| total(o) == 21).await;
    let _ = stop.send(());
    running.await.unwrap();

    assert_eq!(
        positions(&model.lock().applied),
        (1..=21).collect::<Vec<u64>>(),
        "each event applied once"
    );
    assert_eq!(
        total(&offsets),
        21,
        "the redelivered duplicates are committed too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_projection_keeps_failing_on_is_dead_lettered_and_the_next_is_applied() {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("source-park");
    let store = Arc::new(InMemoryEventStore::new());
    store.append(append("delivery", "a", 1)).await.unwrap();
    let mut bad = append("delivery", "a", 2);
    bad.events = vec![ProposedEvent::new(
        "delivery.cursed.v1",
        1,
        serde_json::json!({}),
        now(),
    )];
    let bad_id = store.append(bad).await.unwrap()[0].event_id;
    store.append(append("delivery", "a", 3)).await.unwrap();
    publish(&kafka, &store, &Arc::default(), &prefix).await;
    let config = source_config(&prefix);
    let model = MemoryModel {
        refuse: Some("delivery.cursed.v1"),
        ..MemoryModel::default()
    };

    let (stop, running) = start(source(&kafka, &config), &model);
    model.wait_for(3).await;
    let _ = stop.send(());
    running.await.unwrap();

    assert_eq!(positions(&model.lock().applied), vec![1, 3]);
    let (parked, reason, attempts) = model.lock().parked[0].clone();
    assert_eq!((parked.position, attempts), (2, 2));
    let topic = format!("{prefix}.deliveries.events");
    let original = read_topics(&kafka, std::slice::from_ref(&topic), 3, WAIT)
        .into_iter()
        .find(|m| header(m, wire::EVENT_ID) == bad_id.to_string())
        .unwrap();
    let dead = read_topics(&kafka, &[kafka::dead_letter_topic(&topic)], 1, WAIT);
    assert_eq!(dead.len(), 1);
    assert_eq!(header(&dead[0], wire::EVENT_ID), bad_id.to_string());
    assert_eq!(
        dead[0].value, original.value,
        "the dead letter is the record as published"
    );
    assert_eq!(header(&dead[0], kafka::PROJECTOR), config.projector);
    assert_eq!(header(&dead[0], kafka::ERROR), reason);
    assert_eq!(header(&dead[0], kafka::ATTEMPTS), "2");
    assert_eq!(header(&dead[0], kafka::ORIGINAL_TOPIC), topic);
    assert_eq!(
        header(&dead[0], kafka::ORIGINAL_PARTITION),
        original.partition.to_string()
    );
    assert_eq!(
        header(&dead[0], kafka::ORIGINAL_OFFSET),
        original.offset.to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_consumer_in_a_projectors_group_is_reported_instead_of_stalling_silently() {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("source-shared-group");
    let store = Arc::new(InMemoryEventStore::new());
    fill(&store, &[("delivery", "a"), ("customer", "b")], 2).await;
    publish(&kafka, &store, &Arc::default(), &prefix).await;
    let config = source_config(&prefix);
    let mut first = source(&kafka, &config).subscribe(0).await.unwrap();
    take(&mut first, 4).await;

    let _second = source(&kafka, &config).subscribe(0).await.unwrap();

    let failure = tokio::time::timeout(WAIT, first.next()).await;
    let error = match failure {
        Ok(Some(Err(error))) => error.0,
        other => panic!("expected the first consumer to report the split, got {other:?}"),
    };
    assert!(error.contains(&config.group_id), "{error}");
    assert!(
        error.contains("another consumer uses the same group"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_travels_sealed_in_kafka_and_reaches_projections_opened() {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("source-vault");
    let vault = Arc::new(Vault::new(Arc::new(InMemoryKeyStore::new()), 8));
    let store = Arc::new(InMemoryEventStore::new());
    let mut request = append("customer", "ada", 1);
    let clear = serde_json::json!({ "personal_data": { "name": "Ada Lovelace" } });
    let mut sealed = clear.clone();
    vault
        .seal_payload("customer-ada", &mut sealed)
        .await
        .unwrap();
    request.events[0].payload = sealed;
    store.append(request).await.unwrap();
    publish(&kafka, &store, &Arc::default(), &prefix).await;
    let config = source_config(&prefix);

    let source = KafkaEventSource::with_vault(kafka.clone(), config.clone(), vault).unwrap();
    let mut events = source.subscribe(0).await.unwrap();

    assert_eq!(take(&mut events, 1).await[0].payload, clear);
    let in_kafka = read_topics(&kafka, &config.topics, 1, WAIT);
    let value = String::from_utf8(in_kafka[0].value.clone().unwrap()).unwrap();
    assert!(!value.contains("Ada Lovelace"), "{value}");
    assert!(value.contains("\"sealed\""), "{value}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_no_longer_matches_its_hash_is_never_delivered_and_the_source_names_it() {
    let Some(kafka) = brokers() else { return };
    // The genuine message, as the relay publishes it.
    let genuine = unique("source-genuine");
    let store = Arc::new(InMemoryEventStore::new());
    fill(&store, &[("delivery", "a")], 1).await;
    publish(&kafka, &store, &Arc::default(), &genuine).await;
    let topic = format!("{genuine}.deliveries.events");
    let message = read_topics(&kafka, std::slice::from_ref(&topic), 1, WAIT).remove(0);
    let value = String::from_utf8(message.value.clone().unwrap()).unwrap();
    let altered_value = value.replace("\"round\":1}", "\"round\":1000}");
    assert_ne!(value, altered_value, "{value}");

    // The same message with its payload altered, on another prefix's topics (created
    // by a relay with nothing to publish).
    let altered = unique("source-altered");
    publish(
        &kafka,
        &Arc::new(InMemoryEventStore::new()),
        &Arc::default(),
        &altered,
    )
    .await;
    let mut headers = rdkafka::message::OwnedHeaders::new();
    for (key, value) in &message.headers {
        headers = headers.insert(rdkafka::message::Header {
            key,
            value: Some(value),
        });
    }
    let producer: FutureProducer = kafka.client(&[]).create().unwrap();
    let key = message.key.clone().unwrap();
    producer
        .send(
            FutureRecord::to(&format!("{altered}.deliveries.events"))
                .partition(message.partition)
                .key(&key)
                .payload(&altered_value)
                .headers(headers),
            Duration::from_secs(10),
        )
        .await
        .unwrap();

    let config = source_config(&altered);
    let mut events = source(&kafka, &config).subscribe(0).await.unwrap();
    let first = tokio::time::timeout(WAIT, events.next())
        .await
        .expect("the source answers")
        .expect("an item");
    let error = first.expect_err("the altered event is refused");
    assert!(
        error.0.contains("integrity alarm") && error.0.contains("(position 1)"),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_production_group_settings_the_first_event_arrives_promptly_after_a_start_and_a_restart()
 {
    // Not the helper's short test timeouts: the source's own defaults (issue 13 §7,
    // where librdkafka's 45 s session made every join take 23 s).
    let Some(url) = es_core::testing::servers::server_url("KAFKA_BROKERS") else {
        return;
    };
    let kafka = KafkaConfig::new(url).with("topic.metadata.refresh.interval.ms", "1000");
    let prefix = unique("source-join");
    let store = Arc::new(InMemoryEventStore::new());
    fill(&store, &[("delivery", "a")], 1).await;
    publish(&kafka, &store, &Arc::default(), &prefix).await;
    let config = source_config(&prefix);
    for start in ["start", "restart"] {
        let started = std::time::Instant::now();
        let source = source(&kafka, &config);
        let mut events = source.subscribe(0).await.unwrap();
        let first = tokio::time::timeout(Duration::from_secs(10), events.next()).await;
        assert!(
            matches!(first, Ok(Some(Ok(_)))),
            "no event within 10 s of the {start}: {first:?}"
        );
        eprintln!("first event {:?} after the {start}", started.elapsed());
    }
}
