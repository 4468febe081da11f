//! `bench append`: durable append throughput of the embedded SQLite store.

use std::sync::Arc;
use std::time::Instant;

use es_core::envelope::now;
use es_core::{
    AppendRequest, EventMetadata, EventStore, ExpectedVersion, ProposedEvent, SqliteEventStore,
};
use serde_json::json;

/// A payload of realistic size: a delivery status change with its reason.
fn status_changed(sequence: u64) -> ProposedEvent {
    ProposedEvent::new(
        "delivery.status_changed.v1",
        1,
        json!({
            "from": "in_transit",
            "to": "out_for_delivery",
            "at": "2026-11-21T10:15:00Z",
            "checkpoint_sequence": sequence,
            "reason": "all route checkpoints reached",
        }),
        now(),
    )
}

pub async fn run(writers: u64, events: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Arc::new(SqliteEventStore::open(dir.path().join("events.db"))?);
    let per_writer = events.div_ceil(writers);
    let total = per_writer * writers;
    eprintln!(
        "appending {total} events, one per append, durable (fsync), {writers} writers on distinct streams"
    );
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            let stream = uuid::Uuid::now_v7().to_string();
            tokio::spawn(async move {
                for version in 0..per_writer {
                    let request = AppendRequest {
                        aggregate_type: "delivery".into(),
                        aggregate_id: stream.clone(),
                        expected: ExpectedVersion::Exact(version),
                        events: vec![status_changed(version)],
                        metadata: EventMetadata::system(),
                        idempotency: None,
                    };
                    store.append(request).await?;
                }
                anyhow::Ok(w)
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    let stats = store.stats();
    let head = *store.head().borrow();
    anyhow::ensure!(
        head == total,
        "expected {total} events stored, head is {head}"
    );
    eprintln!(
        "{total} events in {:.2} s; {} commits, {:.1} appends per fsync",
        elapsed.as_secs_f64(),
        stats.commits,
        stats.appends as f64 / stats.commits.max(1) as f64
    );
    super::result(
        &format!("append_durable_{writers}w"),
        total as f64 / elapsed.as_secs_f64(),
        "events/s",
    );
    Arc::try_unwrap(store)
        .map_err(|_| anyhow::anyhow!("store still shared"))?
        .close()
        .await;
    Ok(())
}
