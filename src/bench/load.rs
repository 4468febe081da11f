//! `bench load`: loading an aggregate with a long history costs about what a short one
//! does, because loading starts from the newest snapshot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use es_core::envelope::now;
use es_core::{
    Aggregate, AppendRequest, DomainEvent, EventMetadata, EventStore, ExpectedVersion,
    ProposedEvent, Repository, SnapshotPolicy, SqliteEventStore,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Events after the newest snapshot in both streams (a snapshot every 100 events leaves
/// 0–99 behind it; 42 is a typical tail).
const TAIL: u64 = 42;
const LOADS: usize = 101;

/// A vehicle's odometer log: the smallest aggregate with a realistic event rate.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Odometer {
    kilometres: u64,
    readings: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
enum OdometerEvent {
    #[serde(rename = "fleet.odometer_read.v1")]
    Read { kilometres: u64 },
}

impl DomainEvent for OdometerEvent {}

impl Aggregate for Odometer {
    const TYPE: &'static str = "odometer";
    type Command = ();
    type Event = OdometerEvent;
    type Error = std::convert::Infallible;

    fn handle(&self, _: ()) -> Result<Vec<OdometerEvent>, Self::Error> {
        Ok(Vec::new())
    }

    fn apply(&mut self, OdometerEvent::Read { kilometres }: &OdometerEvent) {
        self.kilometres = *kilometres;
        self.readings += 1;
    }
}

async fn append_readings(
    store: &dyn EventStore,
    id: &str,
    from: u64,
    count: u64,
) -> anyhow::Result<()> {
    let mut version = from;
    while version < from + count {
        let chunk = (from + count - version).min(1_000);
        let events = (version..version + chunk)
            .map(|v| {
                ProposedEvent::new(
                    "fleet.odometer_read.v1",
                    1,
                    json!({ "kilometres": v * 7 }),
                    now(),
                )
            })
            .collect();
        store
            .append(AppendRequest {
                aggregate_type: Odometer::TYPE.into(),
                aggregate_id: id.into(),
                expected: ExpectedVersion::Exact(version),
                events,
                metadata: EventMetadata::system(),
                idempotency: None,
            })
            .await?;
        version += chunk;
    }
    Ok(())
}

/// A stream of `events` events whose newest snapshot is `TAIL` events old.
async fn prepare(
    repository: &Repository<Odometer>,
    store: &dyn EventStore,
    id: &str,
    events: u64,
) -> anyhow::Result<()> {
    append_readings(store, id, 0, events - TAIL).await?;
    repository.take_snapshot(id).await?;
    append_readings(store, id, events - TAIL, TAIL).await
}

async fn median_load(
    repository: &Repository<Odometer>,
    id: &str,
    events: u64,
) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(LOADS);
    for _ in 0..LOADS {
        let started = Instant::now();
        let loaded = repository.load(id).await?;
        times.push(started.elapsed());
        anyhow::ensure!(
            loaded.version == events,
            "loaded v{} of {events}",
            loaded.version
        );
        anyhow::ensure!(loaded.state.readings == events, "state lost events");
    }
    times.sort();
    Ok(times[LOADS / 2])
}

pub async fn run(events: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::open(dir.path().join("events.db"))?);
    let repository =
        Repository::<Odometer>::new(store.clone()).with_snapshots(SnapshotPolicy::every(100));
    eprintln!(
        "preparing a stream of {events} events and one of 100, each {TAIL} events past its snapshot"
    );
    prepare(&repository, store.as_ref(), "long", events).await?;
    prepare(&repository, store.as_ref(), "short", 100).await?;

    let long = median_load(&repository, "long", events).await?;
    let short = median_load(&repository, "short", 100).await?;
    eprintln!(
        "median of {LOADS} loads: {events} events {:.3} ms, 100 events {:.3} ms ({:.2}x)",
        ms(long),
        ms(short),
        long.as_secs_f64() / short.as_secs_f64()
    );
    let label = if events.is_multiple_of(1_000) {
        format!("{}k", events / 1_000)
    } else {
        events.to_string()
    };
    super::result(&format!("load_{label}_snapshot"), ms(long), "ms");
    super::result("load_100_snapshot", ms(short), "ms");
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}
