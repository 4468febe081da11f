//! `bench rebuild`: rebuilding every read model from scratch, from a realistic log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use es_core::EventStore;
use es_core::projection::{PagedStoreSource, RetryPolicy, StatusBoard, run};
use query::runtime::ReadModelTarget;
use query::store::sqlite::ReadModelDb;

use super::workload::realistic_log;

pub async fn run_bench(events: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (sqlite, total) = realistic_log(dir.path(), events).await?;
    let store: Arc<dyn EventStore> = sqlite;

    let db = ReadModelDb::open(
        dir.path().join("read-models.db"),
        query::startup::all_projections(),
    )?;
    let status = Arc::new(StatusBoard::new("rebuild"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let runtime = tokio::spawn(run(
        Arc::new(PagedStoreSource {
            store: store.clone(),
            page: 5_000,
        }),
        ReadModelTarget::live(db.clone()),
        status.clone(),
        RetryPolicy {
            batch: 5_000,
            ..RetryPolicy::default()
        },
        async {
            let _ = stopped.await;
        },
    ));
    let reached = status.wait_for(total, Duration::from_secs(3_600)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    runtime.await?;
    anyhow::ensure!(reached, "the rebuild did not reach position {total}");
    let snapshot = status.snapshot();
    anyhow::ensure!(
        snapshot.dead_letters == 0,
        "{} events were parked",
        snapshot.dead_letters
    );
    anyhow::ensure!(
        snapshot.unknown_skipped == 0,
        "{} events were unknown",
        snapshot.unknown_skipped
    );
    eprintln!(
        "rebuilt {} projections from {total} events in {elapsed:.2} s",
        db.projections().len()
    );
    super::result("rebuild_all", total as f64 / elapsed, "events/s");
    Ok(())
}
