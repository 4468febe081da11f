//! `bench relay`: how fast the relay publishes a backlog to Kafka — read `$all`,
//! produce with `acks=all` and the idempotent producer, save the checkpoint per batch.
//! Needs a broker (`KAFKA_BROKERS`, e.g. from `scripts/test-infra.sh`); the store is a
//! fresh SQLite file, or a fresh database on `MONGO_URL` with `--mongo`.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use command::config::KafkaSettings;
use es_core::kafka::{InMemoryRelayCheckpoint, RelayCheckpoint};
use es_core::{EventStore, MongoEventStore, SqliteEventStore};

use super::workload::{EVENTS_PER_UNIT, appends, fill};

/// A server address the benchmark cannot run without.
pub fn required(variable: &str) -> anyhow::Result<String> {
    std::env::var(variable)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .with_context(|| {
            format!(
                "{variable} is not set: start the servers with `scripts/test-infra.sh up` and \
             `eval \"$(scripts/test-infra.sh env)\"`"
            )
        })
}

pub async fn run_bench(events: u64, mongo: bool) -> anyhow::Result<()> {
    let brokers = required("KAFKA_BROKERS")?;
    let dir = tempfile::tempdir()?;
    let unique = uuid::Uuid::now_v7().simple().to_string();
    let store: Arc<dyn EventStore> = if mongo {
        let url = required("MONGO_URL")?;
        Arc::new(MongoEventStore::connect(&url, &format!("pitlane_bench_{unique}")).await?)
    } else {
        Arc::new(SqliteEventStore::open(dir.path().join("events.db"))?)
    };
    let units = events.div_ceil(EVENTS_PER_UNIT);
    let requests = tokio::task::spawn_blocking(move || appends(units)).await??;
    let filling = Instant::now();
    let total = fill(store.clone(), requests).await?;
    eprintln!(
        "stored {total} events in {:.1} s ({})",
        filling.elapsed().as_secs_f64(),
        if mongo { "MongoDB" } else { "SQLite" }
    );

    let settings = KafkaSettings {
        brokers,
        partitions: 6,
        replication: 1,
        topic_prefix: format!("bench-{unique}"),
        properties: Vec::new(),
    };
    let checkpoint: Arc<dyn RelayCheckpoint> = Arc::new(InMemoryRelayCheckpoint::new());
    let mut relay = command::startup::relay(store, checkpoint, &settings)?;
    let started = Instant::now();
    let published = relay.drain().await?;
    let elapsed = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        published == total,
        "published {published} of {total} events"
    );
    eprintln!("published {published} events to Kafka in {elapsed:.2} s");
    super::result("relay_publish", published as f64 / elapsed, "events/s");
    Ok(())
}
