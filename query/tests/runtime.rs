//! The projector runtime on the real SQLite read-model database: exactly-once effects
//! through crashes and redeliveries, retries, dead letters, unknown events, rebuilds.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use es_core::projection::{EventSource, RetryPolicy, SourceError, StatusBoard, run};
use es_core::{EventEnvelope, EventStore, InMemoryEventStore};
use futures::StreamExt;
use futures::stream::BoxStream;
use query::runtime::{ReadModelTarget, store_source};
use query::store::sqlite::ReadModelDb;
use query::store::{DbError, DeadLetter, DeadLetterError, DeadLetterStore, Redrive, Redriven};
use query::testing::tallies::{self, ADDED, AGGREGATE_TYPE, POISONED, Tallies};
use serde_json::json;

struct Fixture {
    store: Arc<dyn EventStore>,
    db: ReadModelDb,
    path: std::path::PathBuf,
    failures: Arc<AtomicU32>,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("read-models.db");
    let failures = Arc::new(AtomicU32::new(0));
    let db = open(&path, failures.clone());
    Fixture {
        store: Arc::new(InMemoryEventStore::new()),
        db,
        path,
        failures,
        _dir: dir,
    }
}

/// The read models in the database at `path`: the tallies, failing `failures` times.
fn open(path: &Path, failures: Arc<AtomicU32>) -> ReadModelDb {
    let tallies = Tallies {
        failures_left: failures,
    };
    ReadModelDb::open(path, vec![Box::new(tallies)]).unwrap()
}

async fn append(store: &dyn EventStore, id: &str, event_type: &str, payload: serde_json::Value) {
    store
        .append(es_core::AppendRequest {
            aggregate_type: AGGREGATE_TYPE.into(),
            aggregate_id: id.into(),
            expected: es_core::ExpectedVersion::Any,
            events: vec![es_core::ProposedEvent::new(
                event_type,
                1,
                payload,
                es_core::envelope::now(),
            )],
            metadata: es_core::EventMetadata::system(),
            idempotency: None,
        })
        .await
        .unwrap();
}

/// Appends a `tally.added.v1` of `amount` to tally `id`.
async fn add(store: &dyn EventStore, id: &str, amount: i64) {
    append(store, id, ADDED, json!({ "amount": amount })).await;
}

/// Adds each of `amounts` to tally `a`, in order.
async fn add_to_a(store: &dyn EventStore, amounts: impl IntoIterator<Item = i64>) {
    for amount in amounts {
        add(store, "a", amount).await;
    }
}

/// Appends a `tally.poisoned.v1` of `amount` to tally `id`.
async fn poison(store: &dyn EventStore, id: &str, amount: i64) {
    append(store, id, POISONED, json!({ "amount": amount })).await;
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        batch: 100,
    }
}

/// Runs the live runtime until it has applied `position`, then stops it.
async fn project_until(
    source: Arc<dyn EventSource>,
    db: &ReadModelDb,
    position: u64,
) -> Arc<StatusBoard> {
    let status = Arc::new(StatusBoard::new("read-models"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run(
        source,
        ReadModelTarget::live(db.clone()),
        status.clone(),
        policy(),
        async {
            let _ = stopped.await;
        },
    ));
    assert!(
        status.wait_for(position, Duration::from_secs(10)).await,
        "reached {position}: {:?}",
        status.snapshot()
    );
    let _ = stop.send(());
    task.await.unwrap();
    status
}

async fn tally(db: &ReadModelDb, id: &'static str) -> Option<(i64, i64)> {
    db.read::<_, DbError>(move |r| tallies::tally(r, id))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_is_applied_once_and_the_checkpoint_follows() {
    let f = fixture();
    add_to_a(f.store.as_ref(), 1..=10).await;
    project_until(store_source(f.store.clone()), &f.db, 10).await;
    assert_eq!(tally(&f.db, "a").await, Some((55, 10)));
    assert_eq!(f.db.positions().unwrap()[0].2, 10);
}

/// Delivers every event twice and, after each batch, the whole history again.
struct Stuttering(Arc<dyn EventStore>);

#[async_trait]
impl EventSource for Stuttering {
    async fn subscribe(
        &self,
        after: u64,
    ) -> Result<BoxStream<'static, Result<EventEnvelope, SourceError>>, SourceError> {
        let history: Vec<_> = self.0.read_all(0, 10_000).await.unwrap();
        let replayed = futures::stream::iter(history.clone().into_iter().map(Ok));
        let live = es_core::projection::StoreSource(self.0.clone())
            .subscribe(after)
            .await?;
        let doubled = live.flat_map(|e| futures::stream::iter([e.clone(), e]));
        Ok(replayed.chain(doubled).boxed())
    }

    async fn head(&self) -> Result<u64, SourceError> {
        Ok(*self.0.head().borrow())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_events_are_not_applied_twice() {
    let f = fixture();
    add_to_a(f.store.as_ref(), 1..=5).await;
    project_until(Arc::new(Stuttering(f.store.clone())), &f.db, 5).await;
    add_to_a(f.store.as_ref(), 6..=8).await;
    project_until(Arc::new(Stuttering(f.store.clone())), &f.db, 8).await;
    assert_eq!(
        tally(&f.db, "a").await,
        Some((36, 8)),
        "8 events, each applied once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_in_the_middle_of_a_batch_loses_nothing_and_applies_nothing_twice() {
    let f = fixture();
    add_to_a(f.store.as_ref(), 1..=4).await;
    poison(f.store.as_ref(), "a", 100).await;
    add(f.store.as_ref(), "a", 5).await;
    let events = f.store.read_all(0, 100).await.unwrap();

    // The "crash": the fifth event's write fails; the batch's transaction never commits.
    f.failures.store(1, Ordering::SeqCst);
    let error =
        f.db.apply(&query::store::sqlite::Members::Active, &events)
            .unwrap_err();
    assert!(error.to_string().contains("disk hiccup"));
    assert_eq!(
        tally(&f.db, "a").await,
        None,
        "nothing of the failed batch is visible"
    );
    assert_eq!(
        f.db.positions().unwrap()[0].2,
        0,
        "the checkpoint did not move"
    );

    // Restart on the same file: the runtime resumes from the checkpoint.
    drop(f.db);
    let db = open(&f.path, Arc::default());
    project_until(store_source(f.store.clone()), &db, 6).await;
    assert_eq!(
        tally(&db, "a").await,
        Some((115, 6)),
        "all six events, each once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_failure_is_retried_without_a_dead_letter() {
    let f = fixture();
    poison(f.store.as_ref(), "a", 7).await;
    f.failures.store(2, Ordering::SeqCst);
    let status = project_until(store_source(f.store.clone()), &f.db, 1).await;
    assert_eq!(tally(&f.db, "a").await, Some((7, 1)));
    assert_eq!(status.snapshot().dead_letters, 0);
    assert!(f.db.dead_letters("tallies").unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_failing_past_its_retries_is_parked_and_the_rest_applied() {
    let f = fixture();
    add(f.store.as_ref(), "a", 1).await;
    poison(f.store.as_ref(), "b", 2).await;
    add(f.store.as_ref(), "a", 3).await;
    f.failures.store(1_000, Ordering::SeqCst);
    let status = project_until(store_source(f.store.clone()), &f.db, 3).await;
    assert_eq!(tally(&f.db, "a").await, Some((4, 2)));
    assert_eq!(tally(&f.db, "b").await, None);
    let parked = f.db.dead_letters("tallies").unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].position, 2);
    assert_eq!(parked[0].attempts, 3);
    assert!(parked[0].reason.contains("disk hiccup"));
    assert_eq!(status.snapshot().dead_letters, 1);

    // Once the fault is fixed, a redrive applies it, once: again, and the runtime
    // running on, apply it no more.
    f.failures.store(0, Ordering::SeqCst);
    let redriven = f.db.redrive("tallies", Redrive::All).unwrap();
    assert_eq!(positions(&redriven.applied), vec![2]);
    assert_eq!(tally(&f.db, "b").await, Some((2, 1)));
    assert!(f.db.dead_letters("tallies").unwrap().is_empty());
    assert_eq!(
        f.db.redrive("tallies", Redrive::All).unwrap(),
        Redriven::default()
    );
    add(f.store.as_ref(), "a", 5).await;
    project_until(store_source(f.store.clone()), &f.db, 4).await;
    assert_eq!(
        tally(&f.db, "b").await,
        Some((2, 1)),
        "applied exactly once"
    );
}

fn positions(letters: &[DeadLetter]) -> Vec<u64> {
    letters.iter().map(|l| l.position).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_events_of_a_stream_with_a_parked_event_wait_behind_it_and_are_redriven_in_order() {
    let f = fixture();
    add(f.store.as_ref(), "a", 1).await;
    poison(f.store.as_ref(), "b", 2).await;
    add(f.store.as_ref(), "b", 3).await;
    add(f.store.as_ref(), "a", 4).await;
    f.failures.store(1_000, Ordering::SeqCst);
    let status = project_until(store_source(f.store.clone()), &f.db, 4).await;
    assert_eq!(tally(&f.db, "a").await, Some((5, 2)), "other streams go on");
    assert_eq!(tally(&f.db, "b").await, None, "b's later event waits");
    let parked = f.db.dead_letters("tallies").unwrap();
    assert_eq!(positions(&parked), vec![2, 3]);
    assert_eq!(parked[0].held_behind, None);
    assert_eq!(parked[1].held_behind, Some(2));
    assert!(
        parked[1].reason.contains("held behind"),
        "{}",
        parked[1].reason
    );
    assert_eq!(status.snapshot().dead_letters, 2);

    // Redriving the later one first would apply b out of order.
    let refused = f.db.redrive("tallies", Redrive::From(3)).unwrap_err();
    assert!(
        matches!(
            refused,
            DeadLetterError::Held {
                position: 3,
                behind: 2
            }
        ),
        "{refused}"
    );
    f.failures.store(0, Ordering::SeqCst);
    let redriven = f.db.redrive("tallies", Redrive::From(2)).unwrap();
    assert_eq!(
        positions(&redriven.applied),
        vec![2, 3],
        "the stream, in order"
    );
    assert_eq!(tally(&f.db, "b").await, Some((5, 2)));

    // Released: b's next event applies live.
    add(f.store.as_ref(), "b", 6).await;
    project_until(store_source(f.store.clone()), &f.db, 5).await;
    assert_eq!(tally(&f.db, "b").await, Some((11, 3)));
    assert!(f.db.dead_letters("tallies").unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redrive_that_fails_again_keeps_the_event_parked_with_one_more_attempt() {
    let f = fixture();
    poison(f.store.as_ref(), "b", 1).await;
    add(f.store.as_ref(), "b", 2).await;
    f.failures.store(1_000, Ordering::SeqCst);
    project_until(store_source(f.store.clone()), &f.db, 2).await;

    let redriven = f.db.redrive("tallies", Redrive::All).unwrap();
    assert!(redriven.applied.is_empty(), "{redriven:?}");
    assert_eq!(
        positions(&redriven.failed),
        vec![1],
        "b stops at its first failure"
    );
    let parked = f.db.dead_letters("tallies").unwrap();
    assert_eq!(positions(&parked), vec![1, 2]);
    assert_eq!(
        parked[0].attempts, 4,
        "three by the runtime, one by the redrive"
    );
    assert_eq!(tally(&f.db, "b").await, None, "nothing of b applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discarded_dead_letter_is_forgotten_and_recorded_with_who_and_why() {
    let f = fixture();
    append(f.store.as_ref(), "a", ADDED, json!({ "amount": "lots" })).await;
    project_until(store_source(f.store.clone()), &f.db, 1).await;

    let discarded =
        f.db.discard("tallies", 1, "a test payload, never a real tally", "ops-1")
            .unwrap();
    assert_eq!(discarded.discarded_by, "ops-1");
    assert!(f.db.dead_letters("tallies").unwrap().is_empty());
    let recorded = f.db.discarded("tallies").unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].letter.position, 1);
    assert_eq!(
        recorded[0].discard_reason,
        "a test payload, never a real tally"
    );
    assert!(matches!(
        f.db.discard("tallies", 1, "again", "ops-1"),
        Err(DeadLetterError::NotParked { position: 1, .. })
    ));
    assert!(matches!(
        f.db.redrive("nope", Redrive::All),
        Err(DeadLetterError::NoProjection(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redrive_while_the_projections_run_applies_every_event_of_the_stream_once_in_order() {
    let f = fixture();
    poison(f.store.as_ref(), "b", 1).await;
    f.failures.store(1_000, Ordering::SeqCst);
    let status = Arc::new(StatusBoard::new("read-models"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let runtime = tokio::spawn(run(
        store_source(f.store.clone()),
        ReadModelTarget::live(f.db.clone()),
        status.clone(),
        policy(),
        async {
            let _ = stopped.await;
        },
    ));
    assert!(status.wait_for(1, Duration::from_secs(10)).await);
    f.failures.store(0, Ordering::SeqCst);
    // Events of b keep coming while the operator redrives.
    let writer = {
        let store = f.store.clone();
        tokio::spawn(async move {
            for amount in 2..=40 {
                add(store.as_ref(), "b", amount).await;
                tokio::task::yield_now().await;
            }
        })
    };
    let mut redriven = Vec::new();
    while redriven.is_empty() {
        redriven = f.db.redrive("tallies", Redrive::All).unwrap().applied;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    writer.await.unwrap();
    assert!(status.wait_for(40, Duration::from_secs(10)).await);
    let _ = stop.send(());
    runtime.await.unwrap();
    // Whatever arrived while b was held is redriven with it; the rest applied live.
    f.db.redrive("tallies", Redrive::All).unwrap();
    assert!(f.db.dead_letters("tallies").unwrap().is_empty());
    assert_eq!(tally(&f.db, "b").await, Some(((1..=40).sum(), 40)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_payload_is_parked_at_once_with_its_reason_and_its_stream_waits_behind_it() {
    let f = fixture();
    append(f.store.as_ref(), "a", ADDED, json!({ "amount": "lots" })).await;
    add(f.store.as_ref(), "b", 2).await;
    add(f.store.as_ref(), "a", 3).await;
    let status = project_until(store_source(f.store.clone()), &f.db, 3).await;
    let parked = f.db.dead_letters("tallies").unwrap();
    assert_eq!(positions(&parked), vec![1, 3]);
    assert!(
        parked[0].reason.contains("amount") || parked[0].reason.contains("invalid type"),
        "{}",
        parked[0].reason
    );
    assert_eq!(parked[1].held_behind, Some(1));
    assert_eq!(tally(&f.db, "b").await, Some((2, 1)));
    assert_eq!(tally(&f.db, "a").await, None);
    assert_eq!(status.snapshot().dead_letters, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_event_type_is_skipped_and_counted_not_parked() {
    let f = fixture();
    append(f.store.as_ref(), "a", "tally.reticulated.v9", json!({})).await;
    add(f.store.as_ref(), "a", 4).await;
    let status = project_until(store_source(f.store.clone()), &f.db, 2).await;
    assert_eq!(status.snapshot().unknown_skipped, 1);
    assert!(f.db.dead_letters("tallies").unwrap().is_empty());
    assert_eq!(tally(&f.db, "a").await, Some((4, 1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_fills_a_shadow_generation_while_queries_read_the_old_one_then_swaps() {
    let f = fixture();
    add_to_a(f.store.as_ref(), 1..=3).await;
    project_until(store_source(f.store.clone()), &f.db, 3).await;

    let shadow = f.db.begin_rebuild(&["tallies".to_owned()]).unwrap();
    assert_eq!(
        tally(&f.db, "a").await,
        Some((6, 3)),
        "queries still read the active generation"
    );
    let (done, mut finished) = tokio::sync::watch::channel(false);
    let status = Arc::new(StatusBoard::new("rebuild"));
    let rebuild = tokio::spawn(run(
        store_source(f.store.clone()),
        ReadModelTarget::rebuild(f.db.clone(), shadow, query::store::SwapWhen::CaughtUp, done),
        status,
        policy(),
        async move {
            let _ = finished.wait_for(|d| *d).await;
        },
    ));
    tokio::time::timeout(Duration::from_secs(10), rebuild)
        .await
        .unwrap()
        .unwrap();
    let positions = f.db.positions().unwrap();
    assert_eq!(positions[0].1, 2, "generation 2 is active");
    assert_eq!(positions[0].2, 3);
    assert_eq!(
        tally(&f.db, "a").await,
        Some((6, 3)),
        "the rebuilt rows equal the incremental ones"
    );
}

/// Waits (at most 10 s) until no rebuild runs any more.
async fn finished(rebuilds: &query::rebuild::Rebuilds) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !rebuilds.progress().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(rebuilds.progress().is_empty(), "the rebuild finished");
}

/// A source that delivers nothing until released: a rebuild reading it cannot finish
/// while the test looks at what else started.
struct Held(Arc<dyn EventStore>, tokio::sync::watch::Receiver<bool>);

#[async_trait]
impl EventSource for Held {
    async fn subscribe(
        &self,
        after: u64,
    ) -> Result<BoxStream<'static, Result<EventEnvelope, SourceError>>, SourceError> {
        let _ = self.1.clone().wait_for(|released| *released).await;
        es_core::projection::StoreSource(self.0.clone())
            .subscribe(after)
            .await
    }

    async fn head(&self) -> Result<u64, SourceError> {
        Ok(*self.0.head().borrow())
    }
}

/// Two rebuild requests for one read model at the same moment: one starts, the other is
/// refused. Both starting would create the same next generation of its tables twice,
/// the second dropping the first's under it; live events were then parked as dead
/// letters for "no such table" (found by schemathesis requesting rebuilds in a burst).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_simultaneous_rebuilds_of_one_read_model_exactly_one_starts() {
    let f = fixture();
    add_to_a(f.store.as_ref(), 1..=3).await;
    project_until(store_source(f.store.clone()), &f.db, 3).await;
    for _ in 0..10 {
        let (release, held) = tokio::sync::watch::channel(false);
        let rebuilds = query::rebuild::Rebuilds::new(
            f.db.clone(),
            Arc::new(Held(f.store.clone(), held)),
            policy(),
            Arc::new(StatusBoard::new("live")),
        );
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (rebuilds, barrier) = (rebuilds.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    rebuilds.start(vec!["tallies".to_owned()]).await
                })
            })
            .collect();
        let mut started = 0;
        for racer in racers {
            match racer.await.unwrap() {
                Ok(_) => started += 1,
                Err(error) => assert!(
                    error.to_string().contains("already being rebuilt"),
                    "{error}"
                ),
            }
        }
        assert_eq!(started, 1, "both rebuilds started");
        release.send_replace(true);
        finished(&rebuilds).await;
    }
    assert_eq!(tally(&f.db, "a").await, Some((6, 3)));
    assert!(f.db.dead_letters("tallies").unwrap().is_empty());
}

/// A rebuild that names a read model twice rebuilds it once: twice, the second switch
/// dropped the tables the first had just made active (found by schemathesis).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_model_named_twice_in_one_rebuild_is_rebuilt_once_and_stays_readable() {
    let f = fixture();
    add_to_a(f.store.as_ref(), 1..=3).await;
    project_until(store_source(f.store.clone()), &f.db, 3).await;
    let rebuilds = query::rebuild::Rebuilds::new(
        f.db.clone(),
        store_source(f.store.clone()),
        policy(),
        Arc::new(StatusBoard::new("live")),
    );

    let started = rebuilds
        .start(vec!["tallies".to_owned(), "tallies".to_owned()])
        .await
        .unwrap();

    assert_eq!(started, ["tallies"]);
    finished(&rebuilds).await;
    assert_eq!(f.db.positions().unwrap()[0].1, 2, "generation 2 is active");
    assert_eq!(
        tally(&f.db, "a").await,
        Some((6, 3)),
        "and its tables exist"
    );
}

/// The writer never checkpoints (a thread of the database does): without that thread
/// the database file would not grow until the last connection closed, and the WAL
/// would grow without bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_rows_reach_the_database_file_while_it_stays_open() {
    let f = fixture();
    let size = || std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0);
    let before = size();
    for n in 0..2_000 {
        add(f.store.as_ref(), &format!("tally-{n}"), n).await;
    }
    project_until(store_source(f.store.clone()), &f.db, 2_000).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while size() <= before && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        size() > before,
        "the database file stayed at {before} bytes: the WAL was never copied back"
    );
    assert_eq!(tally(&f.db, "tally-1999").await, Some((1_999, 1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_models_over_a_log_with_another_event_at_their_checkpoint_apply_nothing_more() {
    let f = fixture();
    add_to_a(f.store.as_ref(), [1, 2, 3]).await;
    project_until(store_source(f.store.clone()), &f.db, 3).await;
    // The log is replaced by an older backup that was written to since: as many events
    // and more, but not the ones the read models applied.
    let replaced: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    add_to_a(replaced.as_ref(), [1, 2, 30, 40]).await;
    // Reopened, as after a restart: the checkpoint's hash comes from the database.
    drop(f.db);
    let db = open(&f.path, f.failures.clone());
    let status = Arc::new(StatusBoard::new("read-models"));

    let stop = tokio::time::sleep(Duration::from_millis(500));
    run(
        store_source(replaced),
        ReadModelTarget::live(db.clone()),
        status.clone(),
        policy(),
        stop,
    )
    .await;

    assert_eq!(
        tally(&db, "a").await,
        Some((6, 3)),
        "nothing of the other log applied"
    );
    let error = status.snapshot().last_error.unwrap_or_default();
    assert!(
        error.contains("event at position 3 is not the one"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_whose_checkpoints_kept_no_hash_opens_and_resumes_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("read-models.db");
    {
        // The meta tables as they were before checkpoints kept their event's hash.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE rm_generations (projection TEXT PRIMARY KEY, generation INTEGER NOT NULL);
             CREATE TABLE rm_checkpoints (projection TEXT NOT NULL, generation INTEGER NOT NULL,
                 position INTEGER NOT NULL, PRIMARY KEY (projection, generation));
             INSERT INTO rm_generations VALUES ('tallies', 1);
             INSERT INTO rm_checkpoints VALUES ('tallies', 1, 2);",
        )
        .unwrap();
    }
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    add_to_a(store.as_ref(), [1, 2, 3]).await;
    let db = open(&path, Arc::default());

    project_until(store_source(store), &db, 3).await;

    assert_eq!(
        tally(&db, "a").await,
        Some((3, 1)),
        "only the third event applied"
    );
}
