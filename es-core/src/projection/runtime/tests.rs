use std::sync::Mutex;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde_json::json;

use super::*;
use crate::envelope::{EventMetadata, ProposedEvent, now};
use crate::memory::InMemoryEventStore;
use crate::projection::{BatchReport, SourceError, StoreSource};
use crate::store::{AppendRequest, EventStore, ExpectedVersion};

/// What the runtime told the source.
#[derive(Default)]
struct Told {
    committed: Vec<u64>,
    dead_letters: Vec<(u64, String, u32)>,
}

struct ListeningSource {
    inner: StoreSource,
    told: Arc<Mutex<Told>>,
    /// Position whose dead letter the source refuses once (its channel is down).
    refuse_once: Mutex<Option<u64>>,
}

#[async_trait]
impl EventSource for ListeningSource {
    async fn subscribe(
        &self,
        after: u64,
    ) -> Result<BoxStream<'static, Result<EventEnvelope, SourceError>>, SourceError> {
        self.inner.subscribe(after).await
    }

    async fn head(&self) -> Result<u64, SourceError> {
        self.inner.head().await
    }

    async fn committed(&self, position: u64) {
        self.told.lock().unwrap().committed.push(position);
    }

    async fn dead_letter(
        &self,
        event: &EventEnvelope,
        reason: &str,
        attempts: u32,
    ) -> Result<(), SourceError> {
        let mut refuse = self.refuse_once.lock().unwrap();
        if *refuse == Some(event.position) {
            *refuse = None;
            return Err(SourceError("dead-letter channel down".into()));
        }
        let told = (event.position, reason.to_owned(), attempts);
        self.told.lock().unwrap().dead_letters.push(told);
        Ok(())
    }
}

/// Applies everything but events of type `bad.v1`; remembers what it holds.
#[derive(Clone, Default)]
struct Model(Arc<Mutex<Held>>);

#[derive(Clone, Default)]
struct Held {
    checkpoint: u64,
    /// The hash of the event at the checkpoint.
    hash: Option<Hash>,
    applied: Vec<u64>,
    parked: Vec<u64>,
    /// Batches still to fail as a full disk would.
    disk_full_for: u32,
    /// How long a batch holding a `slow.v1` event takes to apply.
    slow: Duration,
}

#[async_trait]
impl ProjectionTarget for Model {
    async fn checkpoint(&mut self) -> Result<Checkpoint, ApplyError> {
        let model = self.0.lock().unwrap();
        Ok(Checkpoint {
            position: model.checkpoint,
            hash: model.hash,
        })
    }

    async fn apply(&mut self, events: &[EventEnvelope]) -> Result<BatchReport, ApplyError> {
        if events.iter().any(|e| e.event_type == "bad.v1") {
            return Err(ApplyError::new("cannot project bad.v1"));
        }
        if events.iter().any(|e| e.event_type == "slow.v1") {
            let slow = self.0.lock().unwrap().slow;
            tokio::time::sleep(slow).await;
        }
        let mut model = self.0.lock().unwrap();
        if model.disk_full_for > 0 {
            model.disk_full_for -= 1;
            return Err(ApplyError::transient("database or disk is full"));
        }
        model.applied.extend(events.iter().map(|e| e.position));
        if let Some(last) = events.last() {
            (model.checkpoint, model.hash) = (last.position, Some(last.hash));
        }
        Ok(BatchReport::default())
    }

    async fn park(
        &mut self,
        event: &EventEnvelope,
        _reason: &str,
        _attempts: u32,
    ) -> Result<(), ApplyError> {
        let mut model = self.0.lock().unwrap();
        model.parked.push(event.position);
        (model.checkpoint, model.hash) = (event.position, Some(event.hash));
        Ok(())
    }
}

async fn store_with(types: &[&str]) -> Arc<InMemoryEventStore> {
    let store = Arc::new(InMemoryEventStore::new());
    for (i, event_type) in types.iter().enumerate() {
        let request = AppendRequest {
            aggregate_type: "thing".into(),
            aggregate_id: "1".into(),
            expected: ExpectedVersion::Exact(i as u64),
            events: vec![ProposedEvent::new(*event_type, 1, json!({}), now())],
            metadata: EventMetadata::system(),
            idempotency: None,
        };
        store.append(request).await.unwrap();
    }
    store
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 2,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        batch: 100,
    }
}

/// Runs until the model's checkpoint reaches `position`; returns what the source
/// was told.
async fn run_until(
    store: Arc<InMemoryEventStore>,
    refuse_once: Option<u64>,
    model: &Model,
    position: u64,
) -> Told {
    let status = Arc::new(StatusBoard::new("test"));
    run_watched(store, refuse_once, model, position, status).await
}

async fn run_watched(
    store: Arc<InMemoryEventStore>,
    refuse_once: Option<u64>,
    model: &Model,
    position: u64,
    status: Arc<StatusBoard>,
) -> Told {
    let told = Arc::new(Mutex::new(Told::default()));
    let source = Arc::new(ListeningSource {
        inner: StoreSource(store),
        told: told.clone(),
        refuse_once: Mutex::new(refuse_once),
    });
    let probe = model.clone();
    let reached = async move {
        while probe.0.lock().unwrap().checkpoint < position {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Let the runtime finish the step after its last apply.
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let stop = tokio::time::timeout(Duration::from_secs(10), reached);
    run(source, model.clone(), status, policy(), async move {
        stop.await.expect("the model reached the position in time");
    })
    .await;
    Arc::try_unwrap(told).ok().unwrap().into_inner().unwrap()
}

#[tokio::test]
async fn events_that_do_not_arrive_show_as_lag_against_the_logs_head() {
    // Kafka has delivered nothing, while the log (the command service) holds three.
    let events: Arc<dyn EventSource> = Arc::new(StoreSource(store_with(&[]).await));
    let log: Arc<dyn EventSource> =
        Arc::new(StoreSource(store_with(&["ok.v1", "ok.v1", "ok.v1"]).await));
    let source = Arc::new(crate::projection::LogHeaded::new(events, log));
    let status = Arc::new(StatusBoard::new("test"));
    let watched = status.clone();
    let looked = async move {
        for _ in 0..40 {
            if watched.snapshot().head == 3 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    run(source, Model::default(), status.clone(), policy(), looked).await;
    let seen = status.snapshot();
    assert_eq!((seen.position, seen.head), (0, 3), "lag 3, not lag 0");
}

#[tokio::test]
async fn a_batch_still_being_applied_shows_as_lag_not_as_up_to_date() {
    let store = store_with(&["ok.v1"]).await;
    let model = Model::default();
    model.0.lock().unwrap().slow = Duration::from_secs(2);
    let status = Arc::new(StatusBoard::new("test"));
    let (watched, probe, log) = (status.clone(), model.clone(), store.clone());
    let seen = Arc::new(Mutex::new(None));
    let saw = seen.clone();
    let stalled = async move {
        while probe.0.lock().unwrap().checkpoint < 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let request = AppendRequest {
            aggregate_type: "thing".into(),
            aggregate_id: "1".into(),
            expected: ExpectedVersion::Exact(1),
            events: vec![ProposedEvent::new("slow.v1", 1, json!({}), now())],
            metadata: EventMetadata::system(),
            idempotency: None,
        };
        log.append(request).await.unwrap();
        // Half-way through the slow batch.
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let now = watched.snapshot();
        *saw.lock().unwrap() = Some((now.position, now.head, probe.0.lock().unwrap().checkpoint));
    };
    run(
        Arc::new(StoreSource(store)),
        model.clone(),
        status,
        policy(),
        stalled,
    )
    .await;
    let (position, head, applied) = seen.lock().unwrap().expect("looked during the batch");
    assert_eq!(applied, 1, "the slow batch was still being applied");
    assert_eq!(
        (position, head),
        (1, 2),
        "lag 1 while the batch applies, not lag 0"
    );
}

#[tokio::test]
async fn the_source_is_told_each_position_the_target_has_committed() {
    let store = store_with(&["ok.v1", "ok.v1", "ok.v1"]).await;
    let model = Model::default();

    let told = run_until(store, None, &model, 3).await;

    assert_eq!(told.committed.last(), Some(&3));
    assert!(
        told.committed.windows(2).all(|w| w[0] <= w[1]),
        "{:?}",
        told.committed
    );
}

#[tokio::test]
async fn a_parked_event_goes_to_the_sources_dead_letters_and_the_next_is_applied() {
    let store = store_with(&["ok.v1", "bad.v1", "ok.v1"]).await;
    let model = Model::default();

    let told = run_until(store, None, &model, 3).await;

    let held = model.0.lock().unwrap().clone();
    assert_eq!((held.applied, held.parked), (vec![1, 3], vec![2]));
    assert_eq!(
        told.dead_letters,
        vec![(2, "cannot project bad.v1".into(), 2)]
    );
}

#[tokio::test]
async fn a_full_disk_is_waited_out_never_parked_and_leaves_no_stale_error() {
    let store = store_with(&["ok.v1", "ok.v1", "ok.v1"]).await;
    let model = Model::default();
    // Far more failures than the two attempts an event gets before it is parked.
    model.0.lock().unwrap().disk_full_for = 12;
    let status = Arc::new(StatusBoard::new("test"));

    let told = run_watched(store, None, &model, 3, status.clone()).await;

    let held = model.0.lock().unwrap().clone();
    assert_eq!((held.applied, held.parked), (vec![1, 2, 3], vec![]));
    assert!(told.dead_letters.is_empty());
    let seen = status.snapshot();
    assert_eq!(seen.dead_letters, 0);
    assert_eq!(seen.last_error, None, "recovered: the error is gone");
}

#[tokio::test]
async fn a_log_that_ends_before_the_checkpoint_is_reported_and_nothing_is_applied() {
    // The read models hold up to 5; the log (restored from an older backup) ends at 2.
    let store = store_with(&["ok.v1", "ok.v1"]).await;
    let model = Model::default();
    model.0.lock().unwrap().checkpoint = 5;
    let status = Arc::new(StatusBoard::new("test"));
    let source = Arc::new(StoreSource(store.clone()));
    let watched = status.clone();
    let stop = async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    run(source, model.clone(), status.clone(), policy(), stop).await;
    let seen = watched.snapshot();
    assert!(
        seen.last_error.as_deref().is_some_and(
            |e| e.contains("the log ends at position 2") && e.contains("up to position 5")
        ),
        "{:?}",
        seen.last_error
    );
    assert!(
        model.0.lock().unwrap().applied.is_empty(),
        "nothing applied"
    );
}

#[tokio::test]
async fn a_log_holding_another_event_at_the_checkpoint_is_reported_and_nothing_is_applied() {
    // The read models applied a log up to 3; it was replaced by one (an older backup
    // written to since) that holds other events at the same positions, and more.
    let model = Model::default();
    run_until(
        store_with(&["ok.v1", "ok.v1", "ok.v1"]).await,
        None,
        &model,
        3,
    )
    .await;
    let replaced = store_with(&["ok.v1", "ok.v1", "ok.v1", "ok.v1", "ok.v1"]).await;
    let status = Arc::new(StatusBoard::new("test"));
    let stop = tokio::time::sleep(Duration::from_millis(300));

    run(
        Arc::new(StoreSource(replaced)),
        model.clone(),
        status.clone(),
        policy(),
        stop,
    )
    .await;

    let seen = status.snapshot();
    assert!(
        seen.last_error
            .as_deref()
            .is_some_and(|e| e.contains("event at position 3 is not the one")),
        "{:?}",
        seen.last_error
    );
    assert_eq!(
        model.0.lock().unwrap().applied,
        vec![1, 2, 3],
        "nothing more applied"
    );
}

#[tokio::test]
async fn the_same_log_grown_further_is_applied_on_from_the_checkpoint() {
    let store = store_with(&["ok.v1", "ok.v1", "ok.v1"]).await;
    let model = Model::default();
    run_until(store.clone(), None, &model, 3).await;
    let more = AppendRequest {
        aggregate_type: "thing".into(),
        aggregate_id: "1".into(),
        expected: ExpectedVersion::Exact(3),
        events: vec![ProposedEvent::new("ok.v1", 1, json!({}), now())],
        metadata: EventMetadata::system(),
        idempotency: None,
    };
    store.append(more).await.unwrap();

    run_until(store, None, &model, 4).await;

    assert_eq!(model.0.lock().unwrap().applied, vec![1, 2, 3, 4]);
}

#[tokio::test]
async fn an_event_is_not_parked_while_the_source_cannot_dead_letter_it() {
    let store = store_with(&["ok.v1", "bad.v1", "ok.v1"]).await;
    let model = Model::default();

    let told = run_until(store, Some(2), &model, 3).await;

    let held = model.0.lock().unwrap().clone();
    assert_eq!(
        (held.applied, held.parked),
        (vec![1, 3], vec![2]),
        "parked once, after a retry"
    );
    assert_eq!(told.dead_letters.len(), 1);
}

#[tokio::test]
async fn an_event_parked_by_one_projection_and_unknown_to_another_counts_as_neither_applied_nor_a_panic()
 {
    let store = InMemoryEventStore::new();
    let events = store
        .append(AppendRequest {
            aggregate_type: "tally".into(),
            aggregate_id: "t1".into(),
            expected: ExpectedVersion::Any,
            events: vec![ProposedEvent::new("tally.added.v1", 1, json!({}), now())],
            metadata: EventMetadata::system(),
            idempotency: None,
        })
        .await
        .unwrap();
    let status = StatusBoard::new("read-models");
    let report = BatchReport {
        unknown: 1,
        parked: 1,
    };
    record(&status, &events, report);
    let seen = status.snapshot();
    assert_eq!(
        (seen.applied, seen.unknown_skipped, seen.dead_letters),
        (0, 1, 1)
    );
}
