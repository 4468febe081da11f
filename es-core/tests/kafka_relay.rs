//! The Kafka relay and the Kafka event source on a real Kafka-protocol broker
//! (`KAFKA_BROKERS`; skipped with a reason when unset, failed under `CI=true`).
//!
//! Every test uses its own topic prefix and group ids, so tests run in parallel and
//! against a broker that outlives them.
#![cfg(feature = "kafka")]

#[path = "kafka/helpers.rs"]
mod helpers;
#[path = "kafka/source.rs"]
mod source;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use es_core::kafka::wire::{self, Received};
use es_core::kafka::{
    CheckpointError, InMemoryRelayCheckpoint, KafkaConfig, RelayCheckpoint, RelayState,
};
use es_core::{EventEnvelope, EventStore, InMemoryEventStore};
use helpers::{brokers, by_partition, fill, header, read_topics, relay, relay_config, unique};

const READ_TIMEOUT: Duration = Duration::from_secs(30);

fn topics(prefix: &str) -> Vec<String> {
    helpers::topic_map(prefix).topics()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_publishes_every_event_to_its_context_topic_keyed_by_stream_with_the_design_headers()
 {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("relay-headers");
    let store = Arc::new(InMemoryEventStore::new());
    let stored = fill(
        &store,
        &[("delivery", "d1"), ("customer", "c1"), ("route", "r1")],
        3,
    )
    .await;
    let checkpoint = Arc::new(InMemoryRelayCheckpoint::new());
    let config = relay_config(&prefix, 4);
    let name = config.name.clone();
    let mut relay = relay(&kafka, &store, checkpoint.clone(), config);

    assert_eq!(relay.drain().await.unwrap(), 9);
    assert_eq!(
        checkpoint.load(&name).await.unwrap(),
        9,
        "checkpoint at the last published"
    );

    let messages = read_topics(&kafka, &topics(&prefix), 9, READ_TIMEOUT);
    assert_eq!(messages.len(), 9);
    let by_id: HashMap<String, &EventEnvelope> =
        stored.iter().map(|e| (e.event_id.to_string(), e)).collect();
    for message in &messages {
        let event = by_id[&header(message, wire::EVENT_ID)];
        let context = if event.aggregate_type == "customer" {
            "customers"
        } else {
            "deliveries"
        };
        assert_eq!(message.topic, format!("{prefix}.{context}.events"));
        assert_eq!(message.key.as_deref(), Some(event.stream_id.as_bytes()));
        let value: EventEnvelope =
            serde_json::from_slice(message.value.as_deref().unwrap()).unwrap();
        assert_eq!(&value, event, "the value is the stored envelope");
        assert_eq!(header(message, wire::EVENT_TYPE), event.event_type);
        assert_eq!(header(message, wire::SCHEMA_VERSION), "1");
        assert_eq!(header(message, wire::CORRELATION_ID), event.correlation_id);
        assert_eq!(header(message, wire::CAUSATION_ID), event.causation_id);
        assert_eq!(Some(header(message, wire::TRACEPARENT)), event.traceparent);
        assert_eq!(header(message, wire::CONTENT_TYPE), "application/json");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_status_shows_position_lag_and_published_count() {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("relay-status");
    let store = Arc::new(InMemoryEventStore::new());
    fill(&store, &[("delivery", "d1")], 5).await;
    let relay = relay(
        &kafka,
        &store,
        Arc::new(InMemoryRelayCheckpoint::new()),
        relay_config(&prefix, 2),
    );
    let status = relay.status();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(relay.run(async move {
        let _ = stopped.await;
    }));

    assert!(
        status.wait_for(5, READ_TIMEOUT).await,
        "the relay caught up"
    );
    store
        .append(helpers::append("delivery", "d1", 6))
        .await
        .unwrap();
    assert!(
        status.wait_for(6, READ_TIMEOUT).await,
        "a new commit wakes the relay"
    );
    let snapshot = status.snapshot();
    assert_eq!(
        (snapshot.position, snapshot.lag(), snapshot.published),
        (6, 0, 6)
    );
    assert_eq!(snapshot.state, RelayState::Running);
    assert_eq!(snapshot.last_error, None);

    let _ = stop.send(());
    running.await.unwrap();
    assert_eq!(status.snapshot().state, RelayState::Stopped);
}

/// A checkpoint whose saves hang after `saves` of them: the process "dies" between
/// publishing a batch and recording it.
struct DiesBeforeSaving {
    inner: Arc<InMemoryRelayCheckpoint>,
    saves: AtomicUsize,
}

#[async_trait]
impl RelayCheckpoint for DiesBeforeSaving {
    async fn load(&self, relay: &str) -> Result<u64, CheckpointError> {
        self.inner.load(relay).await
    }

    async fn save(&self, relay: &str, position: u64) -> Result<(), CheckpointError> {
        if self.saves.fetch_sub(1, Ordering::SeqCst) == 0 {
            std::future::pending::<()>().await;
        }
        self.inner.save(relay, position).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_mid_batch_and_restarted_loses_nothing_and_keeps_each_stream_in_order() {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("relay-kill");
    let store = Arc::new(InMemoryEventStore::new());
    let streams = [
        ("delivery", "a"),
        ("delivery", "b"),
        ("customer", "c"),
        ("route", "d"),
        ("customer", "e"),
    ];
    let stored = fill(&store, &streams, 40).await;
    let saved = Arc::new(InMemoryRelayCheckpoint::new());
    let dying = Arc::new(DiesBeforeSaving {
        inner: saved.clone(),
        saves: AtomicUsize::new(2),
    });

    // First life: two batches recorded, the third published but never recorded.
    let first = relay(&kafka, &store, dying, relay_config(&prefix, 30));
    let status = first.status();
    let life = tokio::spawn(first.run(std::future::pending()));
    assert!(status.wait_for(60, READ_TIMEOUT).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    life.abort();
    let _ = life.await;
    assert_eq!(saved.load(&format!("{prefix}-relay")).await.unwrap(), 60);

    // Second life: from the checkpoint to the end.
    let mut second = relay(&kafka, &store, saved.clone(), relay_config(&prefix, 30));
    assert_eq!(second.drain().await.unwrap(), 200 - 60);

    let messages = read_topics(&kafka, &topics(&prefix), 200 + 30, READ_TIMEOUT);
    let ids: HashSet<String> = messages.iter().map(|m| header(m, wire::EVENT_ID)).collect();
    let expected: HashSet<String> = stored.iter().map(|e| e.event_id.to_string()).collect();
    assert_eq!(ids, expected, "every stored event is in Kafka");
    assert_eq!(
        messages.len(),
        230,
        "the unrecorded batch was published twice"
    );
    assert_streams_in_order(&messages);
}

/// Within each partition, each stream's events, duplicates dropped (first kept), are
/// versions 1, 2, 3, … with no gap.
fn assert_streams_in_order(messages: &[Received]) {
    for messages in by_partition(messages).values() {
        let mut seen = HashSet::new();
        let mut versions: HashMap<String, Vec<u64>> = HashMap::new();
        for message in messages {
            if seen.insert(header(message, wire::EVENT_ID)) {
                let event = message.decode().unwrap().event;
                versions
                    .entry(event.stream_id)
                    .or_default()
                    .push(event.version);
            }
        }
        for (stream, versions) in versions {
            let expected: Vec<u64> = (1..=versions.len() as u64).collect();
            assert_eq!(versions, expected, "{stream} out of order");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_broker_the_relay_retries_and_reports_it_while_appends_go_on() {
    let kafka = KafkaConfig::new("127.0.0.1:9").with("socket.connection.setup.timeout.ms", "1000");
    let store = Arc::new(InMemoryEventStore::new());
    fill(&store, &[("delivery", "d1")], 2).await;
    let mut config = relay_config(&unique("relay-down"), 10);
    config.producer.delivery_timeout = Duration::from_millis(500);
    let relay = relay(
        &kafka,
        &store,
        Arc::new(InMemoryRelayCheckpoint::new()),
        config,
    );
    let status = relay.status();
    let running = tokio::spawn(relay.run(std::future::pending()));

    let deadline = tokio::time::Instant::now() + READ_TIMEOUT;
    while status.snapshot().errors < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    store
        .append(helpers::append("delivery", "d1", 3))
        .await
        .unwrap();
    running.abort();

    let snapshot = status.snapshot();
    assert!(snapshot.errors >= 2, "retried: {snapshot:?}");
    assert_eq!(snapshot.state, RelayState::Retrying);
    assert!(snapshot.last_error.is_some());
    assert_eq!(snapshot.position, 0, "nothing counted as published");
    assert_eq!(*store.head().borrow(), 3, "the store took the append");
}

/// Also the relay's publish-rate figure (`pitlane bench relay` calls `Relay::drain` the
/// same way on a release build).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_is_drained_batch_by_batch_with_every_event_acknowledged() {
    let Some(kafka) = brokers() else { return };
    let prefix = unique("relay-backlog");
    let store = Arc::new(InMemoryEventStore::new());
    let streams: Vec<(String, String)> = (0..50)
        .map(|i| (["delivery", "customer"][i % 2].to_owned(), format!("s{i}")))
        .collect();
    let streams: Vec<(&str, &str)> = streams
        .iter()
        .map(|(t, i)| (t.as_str(), i.as_str()))
        .collect();
    fill(&store, &streams, 100).await;
    let checkpoint = Arc::new(InMemoryRelayCheckpoint::new());
    let config = relay_config(&prefix, 1_000);
    let name = config.name.clone();
    let mut relay = relay(&kafka, &store, checkpoint.clone(), config);

    let started = Instant::now();
    let published = relay.drain().await.unwrap();
    let elapsed = started.elapsed();

    assert_eq!(published, 5_000);
    assert_eq!(checkpoint.load(&name).await.unwrap(), 5_000);
    assert_eq!(relay.snapshot().published, 5_000);
    // Counted by reading: tansu's high watermarks lag behind the last batch's records.
    let all = read_topics(&kafka, &topics(&prefix), 5_000, READ_TIMEOUT);
    let ids: HashSet<String> = all.iter().map(|m| header(m, wire::EVENT_ID)).collect();
    assert_eq!((all.len(), ids.len()), (5_000, 5_000));
    eprintln!(
        "relay: {published} events in {elapsed:?} = {:.0} events/s",
        published as f64 / elapsed.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_heads_land_on_the_heads_topic_in_signing_order_and_verify_with_the_trusted_keys() {
    use es_core::heads::{HeadSigner, HeadsSettings, SignedHead};
    use es_core::kafka::{HeadsTopic, heads_topic};
    let Some(kafka) = brokers() else { return };
    let prefix = unique("heads");
    let dir = tempfile::tempdir().unwrap();
    let settings = HeadsSettings {
        interval: Duration::from_millis(50),
        ..HeadsSettings::in_dir(dir.path())
    };
    let store = Arc::new(InMemoryEventStore::new());
    fill(&store, &[("customer", "c1")], 2).await;
    let topic = heads_topic(&prefix);
    let witness = HeadsTopic::new(kafka.clone(), topic.clone(), 1).unwrap();
    let signer = HeadSigner::open(store.clone(), settings.clone())
        .unwrap()
        .also_to(Arc::new(witness));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(signer.run(async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(500)).await;
    fill(&store, &[("customer", "c2")], 3).await;
    stop.send(()).unwrap();
    running.await.unwrap();

    let (in_file, trusted) = settings.witnessed().unwrap();
    let on_topic: Vec<SignedHead> = read_topics(
        &kafka,
        std::slice::from_ref(&topic),
        in_file.len(),
        READ_TIMEOUT,
    )
    .iter()
    .map(|m| serde_json::from_slice(m.value.as_deref().unwrap()).unwrap())
    .collect();
    assert_eq!(
        on_topic, in_file,
        "the topic holds the file's heads, in order"
    );
    assert_eq!(on_topic.last().map(|h| h.position), Some(5));
    assert!(on_topic.iter().all(|h| trusted.check(h).is_ok()));
}
