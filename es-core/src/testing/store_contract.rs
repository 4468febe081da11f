//! The `EventStore` contract: one suite every backend runs.
//!
//! A backend's test module calls `event_store_contract_tests!(factory)`, where `factory`
//! is an async fn returning a fresh, empty [`StoreUnderTest`] (or, for a backend on a
//! real server, `Option<StoreUnderTest>`: `None` skips the case); every case below then
//! becomes one `#[tokio::test]` of that module, named as the rule it checks.

use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;

use super::counter::{increments as request, metadata};
use crate::aggregate::CodecError;
use crate::cache::AggregateCache;
use crate::envelope::{Actor, ProposedEvent, now};
use crate::hash::{ChainCursor, Hash};
use crate::repository::{CommandError, Repository, RepositoryError};
use crate::snapshot::{Snapshot, SnapshotPolicy};
use crate::store::{AppendRequest, EventStore, ExpectedVersion, IdempotencyKey, StoreError};
use crate::subscription::subscribe;
use crate::testing::counter::{Counter, CounterCommand, upcasters};

/// A fresh store, and whatever must outlive it (a temporary directory, a server).
pub struct StoreUnderTest {
    pub store: Arc<dyn EventStore>,
    pub guard: Box<dyn Any + Send + Sync>,
}

/// Declares one test per contract case in the calling module.
#[macro_export]
macro_rules! event_store_contract_tests {
    ($factory:path) => {
        $crate::__event_store_contract_cases!(
            $factory,
            appending_to_a_new_stream_numbers_versions_from_one,
            a_wrong_expected_version_is_a_concurrency_error_and_appends_nothing,
            expecting_no_stream_fails_once_the_stream_exists,
            of_parallel_writers_expecting_the_same_version_exactly_one_wins,
            read_after_append_returns_exactly_the_acknowledged_envelopes,
            reading_a_stream_from_a_version_returns_its_tail_in_order,
            positions_strictly_increase_in_commit_order_under_concurrent_writers,
            reading_all_is_batched_and_resumes_after_the_last_position,
            a_subscription_hands_over_from_history_to_live_without_gap_or_duplicate,
            every_stream_is_a_verifiable_hash_chain,
            the_newest_snapshot_wins_and_round_trips,
            loading_uses_the_snapshot_and_the_later_events,
            old_schema_versions_are_upcast_when_loading,
            an_event_without_decoder_or_upcaster_is_a_typed_error_naming_stream_and_version,
            invalid_appends_are_rejected_and_store_nothing,
            a_reused_event_id_is_rejected_and_stores_nothing,
            a_rejected_append_does_not_disturb_concurrent_appends,
            the_head_advances_to_the_last_committed_position,
            concurrent_commands_on_one_aggregate_retry_until_all_apply,
            an_idempotency_key_is_recorded_with_its_append_and_never_applies_twice,
            a_cached_aggregate_gone_stale_is_reloaded_after_the_conflict,
            an_atomic_append_writes_every_stream_at_consecutive_positions,
            an_atomic_append_refused_on_one_stream_writes_none,
            of_atomic_appends_racing_for_one_stream_exactly_one_wins,
            an_atomic_append_names_each_stream_once,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __event_store_contract_cases {
    ($factory:path, $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                // `StoreUnderTest`, or `Option<StoreUnderTest>` for a backend on a real
                // server (`None`: skipped, `testing::servers::server_url` said why).
                let under_test: ::std::option::Option<$crate::testing::store_contract::StoreUnderTest> =
                    ::std::convert::Into::into($factory().await);
                let ::std::option::Option::Some(under_test) = under_test else {
                    return;
                };
                $crate::testing::store_contract::$case(under_test.store.clone()).await;
                drop(under_test);
            }
        )+
    };
}

async fn read_everything(store: &dyn EventStore) -> Vec<crate::EventEnvelope> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map_or(0, |e: &crate::EventEnvelope| e.position);
        let batch = store.read_all(after, 100).await.expect("read_all");
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

pub async fn appending_to_a_new_stream_numbers_versions_from_one(store: Arc<dyn EventStore>) {
    let appended = store
        .append(request("a", ExpectedVersion::NoStream, 3))
        .await
        .expect("append");
    let versions: Vec<u64> = appended.iter().map(|e| e.version).collect();
    assert_eq!(versions, vec![1, 2, 3]);
    assert!(appended.iter().all(|e| e.stream_id == "counter-a"));
    let more = store
        .append(request("a", ExpectedVersion::Exact(3), 1))
        .await
        .expect("second append");
    assert_eq!(more[0].version, 4);
}

pub async fn a_wrong_expected_version_is_a_concurrency_error_and_appends_nothing(
    store: Arc<dyn EventStore>,
) {
    store
        .append(request("a", ExpectedVersion::NoStream, 2))
        .await
        .expect("append");
    let error = store
        .append(request("a", ExpectedVersion::Exact(1), 1))
        .await
        .expect_err("stale expected version");
    assert_eq!(
        error,
        StoreError::Concurrency {
            stream_id: "counter-a".into(),
            expected: ExpectedVersion::Exact(1),
            actual: 2
        }
    );
    assert_eq!(
        store.read_stream("counter-a", 1, 100).await.unwrap().len(),
        2
    );
}

pub async fn expecting_no_stream_fails_once_the_stream_exists(store: Arc<dyn EventStore>) {
    store
        .append(request("a", ExpectedVersion::NoStream, 1))
        .await
        .expect("first");
    let error = store
        .append(request("a", ExpectedVersion::NoStream, 1))
        .await
        .expect_err("second NoStream");
    assert!(
        matches!(error, StoreError::Concurrency { actual: 1, .. }),
        "{error:?}"
    );
    store
        .append(request("a", ExpectedVersion::Any, 1))
        .await
        .expect("Any always appends");
}

pub async fn of_parallel_writers_expecting_the_same_version_exactly_one_wins(
    store: Arc<dyn EventStore>,
) {
    store
        .append(request("race", ExpectedVersion::NoStream, 1))
        .await
        .expect("seed");
    let attempts = (0..16).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append(request("race", ExpectedVersion::Exact(1), 2))
                .await
        })
    });
    let results = futures::future::join_all(attempts).await;
    let (wins, losses): (Vec<_>, Vec<_>) = results
        .into_iter()
        .map(|r| r.expect("task"))
        .partition(Result::is_ok);
    assert_eq!(wins.len(), 1, "exactly one writer wins");
    assert!(
        losses
            .iter()
            .all(|r| matches!(r, Err(StoreError::Concurrency { .. })))
    );
    let stream = store.read_stream("counter-race", 1, 100).await.unwrap();
    assert_eq!(
        stream.len(),
        3,
        "the winner's two events and the seed, nothing else"
    );
}

pub async fn read_after_append_returns_exactly_the_acknowledged_envelopes(
    store: Arc<dyn EventStore>,
) {
    let appended = store
        .append(request("a", ExpectedVersion::NoStream, 2))
        .await
        .expect("append");
    let read = store.read_stream("counter-a", 1, 100).await.unwrap();
    assert_eq!(read, appended);
    let first = &read[0];
    assert_eq!(first.aggregate_type, "counter");
    assert_eq!(first.aggregate_id, "a");
    assert_eq!(first.correlation_id, "corr-1");
    assert_eq!(first.causation_id, "cmd-1");
    assert_eq!(first.actor, Actor::new("alice", "planner"));
    assert!(
        first
            .traceparent
            .as_deref()
            .unwrap_or("")
            .starts_with("00-")
    );
    assert_eq!(first.payload, json!({ "by": 1 }));
    assert_eq!(first.event_id.get_version_num(), 7, "event ids are UUID v7");
    assert_eq!(store.read_all(0, 100).await.unwrap(), appended);
}

pub async fn reading_a_stream_from_a_version_returns_its_tail_in_order(store: Arc<dyn EventStore>) {
    store
        .append(request("a", ExpectedVersion::NoStream, 5))
        .await
        .unwrap();
    store
        .append(request("b", ExpectedVersion::NoStream, 5))
        .await
        .unwrap();
    let tail = store.read_stream("counter-a", 3, 100).await.unwrap();
    let versions: Vec<u64> = tail.iter().map(|e| e.version).collect();
    assert_eq!(versions, vec![3, 4, 5]);
    assert!(tail.iter().all(|e| e.stream_id == "counter-a"));
    let limited = store.read_stream("counter-a", 2, 2).await.unwrap();
    assert_eq!(
        limited.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert!(
        store
            .read_stream("counter-none", 1, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn positions_strictly_increase_in_commit_order_under_concurrent_writers(
    store: Arc<dyn EventStore>,
) {
    let writers = (0..8).map(|w| {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..20u64 {
                store
                    .append(request(&format!("w{w}"), ExpectedVersion::Exact(i), 1))
                    .await
                    .expect("append");
            }
        })
    });
    futures::future::join_all(writers).await;
    let all = read_everything(store.as_ref()).await;
    assert_eq!(all.len(), 160);
    assert!(all.windows(2).all(|w| w[0].position < w[1].position));
    for w in 0..8 {
        let versions: Vec<u64> = all
            .iter()
            .filter(|e| e.stream_id == format!("counter-w{w}"))
            .map(|e| e.version)
            .collect();
        assert_eq!(
            versions,
            (1..=20).collect::<Vec<_>>(),
            "stream w{w} in version order"
        );
    }
}

pub async fn reading_all_is_batched_and_resumes_after_the_last_position(
    store: Arc<dyn EventStore>,
) {
    for id in ["a", "b", "c"] {
        store
            .append(request(id, ExpectedVersion::NoStream, 4))
            .await
            .unwrap();
    }
    let first = store.read_all(0, 5).await.unwrap();
    assert_eq!(first.len(), 5);
    let rest = store.read_all(first[4].position, 100).await.unwrap();
    assert_eq!(rest.len(), 7);
    assert!(rest[0].position > first[4].position);
    let after_end = store.read_all(rest[6].position, 100).await.unwrap();
    assert!(after_end.is_empty());
}

pub async fn a_subscription_hands_over_from_history_to_live_without_gap_or_duplicate(
    store: Arc<dyn EventStore>,
) {
    for i in 0..10 {
        store
            .append(request(
                &format!("history{i}"),
                ExpectedVersion::NoStream,
                5,
            ))
            .await
            .unwrap();
    }
    let subscription = subscribe(store.clone(), 0, 7);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..25u64 {
                    store
                        .append(request(
                            &format!("live{w}"),
                            ExpectedVersion::Exact(i * 2),
                            2,
                        ))
                        .await
                        .expect("live append");
                }
            })
        })
        .collect();
    let received: Vec<_> = tokio::time::timeout(
        Duration::from_secs(30),
        subscription.take(250).collect::<Vec<_>>(),
    )
    .await
    .expect("all 250 events arrive")
    .into_iter()
    .collect::<Result<_, _>>()
    .expect("no error");
    futures::future::join_all(writers).await;
    let stored = read_everything(store.as_ref()).await;
    assert_eq!(received, stored, "exactly the stored events, in $all order");
    let ids: HashSet<_> = received.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 250, "no duplicates");

    let from_middle = subscribe(store.clone(), stored[99].position, 50);
    let tail: Vec<_> = tokio::time::timeout(
        Duration::from_secs(10),
        from_middle.take(150).collect::<Vec<_>>(),
    )
    .await
    .expect("the tail arrives");
    assert_eq!(
        tail.first().unwrap().as_ref().unwrap().position,
        stored[100].position
    );
}

pub async fn every_stream_is_a_verifiable_hash_chain(store: Arc<dyn EventStore>) {
    store
        .append(request("a", ExpectedVersion::NoStream, 3))
        .await
        .unwrap();
    store
        .append(request("a", ExpectedVersion::Exact(3), 2))
        .await
        .unwrap();
    let stream = store.read_stream("counter-a", 1, 100).await.unwrap();
    assert_eq!(stream[0].prev_hash, Hash::ZERO);
    let mut cursor = ChainCursor::from_start("counter-a");
    for event in &stream {
        cursor.check(event).expect("every link verifies");
    }
    assert_eq!(cursor.version(), 5);

    let mut tampered = stream[2].clone();
    tampered.payload = json!({ "by": 999 });
    let mut cursor = ChainCursor::after("counter-a", 2, stream[1].hash);
    let error = cursor.check(&tampered).expect_err("tampering is detected");
    assert!(
        matches!(&error, StoreError::ChainBroken { stream_id, version: 3, .. } if stream_id == "counter-a"),
        "{error:?}"
    );
}

pub async fn the_newest_snapshot_wins_and_round_trips(store: Arc<dyn EventStore>) {
    let taken_at = now();
    let snapshot = |version: u64| Snapshot {
        stream_id: "counter-a".into(),
        aggregate_type: "counter".into(),
        version,
        hash: Hash([version as u8; 32]),
        snapshot_version: 1,
        state: json!({ "value": version, "increments": version }),
        taken_at,
    };
    assert_eq!(store.load_snapshot("counter-a").await.unwrap(), None);
    store.save_snapshot(snapshot(20)).await.unwrap();
    store.save_snapshot(snapshot(10)).await.unwrap();
    assert_eq!(
        store.load_snapshot("counter-a").await.unwrap(),
        Some(snapshot(20)),
        "an older snapshot never replaces a newer one"
    );
    store.save_snapshot(snapshot(30)).await.unwrap();
    assert_eq!(
        store.load_snapshot("counter-a").await.unwrap(),
        Some(snapshot(30))
    );
}

pub async fn loading_uses_the_snapshot_and_the_later_events(store: Arc<dyn EventStore>) {
    let repository =
        Repository::<Counter>::new(store.clone()).with_snapshots(SnapshotPolicy::every(10));
    for by in 1..=25 {
        repository
            .execute("a", CounterCommand::Increment { by }, &metadata())
            .await
            .expect("increment");
    }
    let snapshot = store
        .load_snapshot("counter-a")
        .await
        .unwrap()
        .expect("a snapshot was taken");
    assert_eq!(snapshot.version, 20);
    let loaded = repository.load("a").await.expect("load");
    assert_eq!(loaded.version, 25);
    assert_eq!(loaded.state.value, (1..=25).sum::<u64>());
    assert_eq!(loaded.state.increments, 25);

    // The snapshot is really used: a snapshot claiming a different state shows through.
    let mut doctored = snapshot.clone();
    doctored.state = json!({ "value": 0, "increments": 0 });
    store.save_snapshot(doctored).await.unwrap();
    let from_snapshot = repository.load("a").await.expect("load");
    assert_eq!(from_snapshot.state.value, (21..=25).sum::<u64>());
}

pub async fn old_schema_versions_are_upcast_when_loading(store: Arc<dyn EventStore>) {
    let mut old = request("a", ExpectedVersion::NoStream, 0);
    old.events = vec![ProposedEvent::new(
        "counter.incremented.v1",
        1,
        json!({ "amount": 5 }),
        now(),
    )];
    store.append(old).await.expect("append schema 1");
    store
        .append(request("a", ExpectedVersion::Exact(1), 1))
        .await
        .expect("append schema 2");
    let repository =
        Repository::<Counter>::new(store.clone()).with_upcasters(Arc::new(upcasters()));
    let loaded = repository.load("a").await.expect("load with upcaster");
    assert_eq!(loaded.state.value, 6);
    let stored = store.read_stream("counter-a", 1, 1).await.unwrap();
    assert_eq!(
        stored[0].payload,
        json!({ "amount": 5 }),
        "the log is never rewritten"
    );
    assert_eq!(stored[0].schema_version, 1);
}

pub async fn an_event_without_decoder_or_upcaster_is_a_typed_error_naming_stream_and_version(
    store: Arc<dyn EventStore>,
) {
    let mut unknown = request("a", ExpectedVersion::NoStream, 1);
    unknown.events.push(ProposedEvent::new(
        "counter.exploded.v1",
        1,
        json!({}),
        now(),
    ));
    store
        .append(unknown)
        .await
        .expect("the store accepts any type");
    let repository = Repository::<Counter>::new(store.clone());
    let error = repository.load("a").await.expect_err("unknown type");
    assert!(
        matches!(
            &error,
            RepositoryError::Codec { stream_id, version: 2, source: CodecError::UnknownType { .. } }
                if stream_id == "counter-a"
        ),
        "{error:?}"
    );

    let mut old = request("b", ExpectedVersion::NoStream, 0);
    old.events = vec![ProposedEvent::new(
        "counter.incremented.v1",
        1,
        json!({ "amount": 1 }),
        now(),
    )];
    store.append(old).await.unwrap();
    let error = repository
        .load("b")
        .await
        .expect_err("schema 1 without upcaster");
    assert!(
        matches!(&error, RepositoryError::Codec { version: 1, .. }),
        "{error:?}"
    );
    let error = repository
        .execute("b", CounterCommand::Increment { by: 1 }, &metadata())
        .await
        .expect_err("a command on an unreadable stream fails");
    assert!(matches!(error, CommandError::Repository(_)));
    assert_eq!(
        store.read_stream("counter-b", 1, 10).await.unwrap().len(),
        1
    );
}

pub async fn invalid_appends_are_rejected_and_store_nothing(store: Arc<dyn EventStore>) {
    let cases: Vec<(&str, AppendRequest)> = vec![
        ("no events", request("a", ExpectedVersion::Any, 0)),
        ("empty id", request(" ", ExpectedVersion::Any, 1)),
        (
            "long id",
            request(&"x".repeat(300), ExpectedVersion::Any, 1),
        ),
        ("bad type", {
            let mut r = request("a", ExpectedVersion::Any, 1);
            r.aggregate_type = "Counter-Type".into();
            r
        }),
        ("payload not an object", {
            let mut r = request("a", ExpectedVersion::Any, 1);
            r.events[0].payload = json!([1, 2]);
            r
        }),
        ("schema version zero", {
            let mut r = request("a", ExpectedVersion::Any, 1);
            r.events[0].schema_version = 0;
            r
        }),
        ("empty event type", {
            let mut r = request("a", ExpectedVersion::Any, 1);
            r.events[0].event_type = String::new();
            r
        }),
        ("repeated event id", {
            let mut r = request("a", ExpectedVersion::Any, 2);
            r.events[1].event_id = r.events[0].event_id;
            r
        }),
    ];
    for (case, bad) in cases {
        let error = store.append(bad).await.expect_err(case);
        assert!(
            matches!(error, StoreError::InvalidAppend { .. }),
            "{case}: {error:?}"
        );
    }
    assert!(
        store.read_all(0, 10).await.unwrap().is_empty(),
        "nothing stored"
    );
    assert_eq!(*store.head().borrow(), 0);
}

pub async fn a_reused_event_id_is_rejected_and_stores_nothing(store: Arc<dyn EventStore>) {
    let first = request("a", ExpectedVersion::NoStream, 1);
    let reused_id = first.events[0].event_id;
    store.append(first).await.unwrap();
    let mut second = request("b", ExpectedVersion::NoStream, 2);
    second.events[1].event_id = reused_id;
    let error = store.append(second).await.expect_err("id reused");
    assert!(
        matches!(error, StoreError::InvalidAppend { .. }),
        "{error:?}"
    );
    assert!(
        store
            .read_stream("counter-b", 1, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.read_all(0, 10).await.unwrap().len(), 1);
}

pub async fn a_rejected_append_does_not_disturb_concurrent_appends(store: Arc<dyn EventStore>) {
    store
        .append(request("busy", ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    let appends = (0..32).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            if i % 2 == 0 {
                store
                    .append(request(&format!("ok{i}"), ExpectedVersion::NoStream, 2))
                    .await
            } else {
                store
                    .append(request("busy", ExpectedVersion::NoStream, 2))
                    .await
            }
        })
    });
    let results: Vec<_> = futures::future::join_all(appends)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    for (i, result) in results.iter().enumerate() {
        if i % 2 == 0 {
            assert!(result.is_ok(), "append {i} succeeds: {result:?}");
        } else {
            assert!(
                matches!(result, Err(StoreError::Concurrency { .. })),
                "append {i}: {result:?}"
            );
        }
    }
    let all = read_everything(store.as_ref()).await;
    assert_eq!(all.len(), 1 + 16 * 2);
    assert!(all.windows(2).all(|w| w[0].position < w[1].position));
}

pub async fn the_head_advances_to_the_last_committed_position(store: Arc<dyn EventStore>) {
    let head = store.head();
    assert_eq!(*head.borrow(), 0);
    let appended = store
        .append(request("a", ExpectedVersion::NoStream, 3))
        .await
        .unwrap();
    assert_eq!(*head.borrow(), appended[2].position);
    let _ = store
        .append(request("a", ExpectedVersion::NoStream, 1))
        .await;
    assert_eq!(
        *store.head().borrow(),
        appended[2].position,
        "a rejected append moves nothing"
    );
}

pub async fn concurrent_commands_on_one_aggregate_retry_until_all_apply(
    store: Arc<dyn EventStore>,
) {
    let repository = Repository::<Counter>::new(store.clone()).with_max_retries(64);
    let commands = (0..8).map(|_| {
        let repository = repository.clone();
        tokio::spawn(async move {
            repository
                .execute("shared", CounterCommand::Increment { by: 1 }, &metadata())
                .await
                .map(|executed| executed.version)
        })
    });
    let versions: HashSet<u64> = futures::future::join_all(commands)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("command"))
        .collect();
    assert_eq!(
        versions,
        (1..=8).collect(),
        "each command landed once, in some order"
    );
    let loaded = repository.load("shared").await.unwrap();
    assert_eq!(loaded.state.value, 8);

    let no_retry = Repository::<Counter>::new(store.clone()).with_max_retries(0);
    let rejected = no_retry
        .execute("shared", CounterCommand::Increment { by: 0 }, &metadata())
        .await;
    assert!(
        matches!(rejected, Err(CommandError::Domain(_))),
        "domain errors are not retried"
    );
    assert_eq!(
        no_retry.load("shared").await.unwrap().version,
        8,
        "a rejected command appends nothing"
    );
}

pub async fn an_idempotency_key_is_recorded_with_its_append_and_never_applies_twice(
    store: Arc<dyn EventStore>,
) {
    let key = IdempotencyKey {
        key: "client-key-1".into(),
        fingerprint: "f1".into(),
    };
    assert_eq!(store.find_idempotency("client-key-1").await.unwrap(), None);
    let mut first = request("a", ExpectedVersion::Any, 2);
    first.idempotency = Some(key.clone());
    let appended = store.append(first).await.expect("first use");
    let record = store
        .find_idempotency("client-key-1")
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(record.stream_id, "counter-a");
    assert_eq!(record.version, 2);
    assert_eq!(record.position, appended[1].position);
    assert_eq!(record.fingerprint, "f1");

    let mut again = request("a", ExpectedVersion::Any, 2);
    again.idempotency = Some(key.clone());
    let error = store.append(again).await.expect_err("reuse is refused");
    assert!(
        matches!(&error, StoreError::IdempotencyKeyUsed(r) if **r == record),
        "{error:?}"
    );
    assert_eq!(
        store.read_all(0, 10).await.unwrap().len(),
        2,
        "nothing applied twice"
    );

    let racers = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut r = request(&format!("race{i}"), ExpectedVersion::Any, 1);
            r.idempotency = Some(IdempotencyKey {
                key: "raced-key".into(),
                fingerprint: "f2".into(),
            });
            store.append(r).await
        })
    });
    let wins = futures::future::join_all(racers)
        .await
        .into_iter()
        .filter(|r| matches!(r, Ok(Ok(_))))
        .count();
    assert_eq!(wins, 1, "of racing appends with one key exactly one lands");
    assert_eq!(store.read_all(0, 100).await.unwrap().len(), 3);
}

pub async fn a_cached_aggregate_gone_stale_is_reloaded_after_the_conflict(
    store: Arc<dyn EventStore>,
) {
    let cache = AggregateCache::<Counter>::new(16);
    let cached = Repository::<Counter>::new(store.clone()).with_cache(cache.clone());
    let uncached = Repository::<Counter>::new(store.clone());
    cached
        .execute("a", CounterCommand::Increment { by: 1 }, &metadata())
        .await
        .unwrap();
    assert_eq!(cache.get("a").map(|(s, v)| (s.value, v)), Some((1, 1)));

    // Another writer moves the stream on behind the cache's back.
    uncached
        .execute("a", CounterCommand::Increment { by: 10 }, &metadata())
        .await
        .unwrap();
    let executed = cached
        .execute("a", CounterCommand::Increment { by: 100 }, &metadata())
        .await
        .expect("the conflict is retried from the store");
    assert_eq!(executed.version, 3);
    assert_eq!(executed.state.value, 111, "no increment was lost");
    assert_eq!(cache.get("a").map(|(s, v)| (s.value, v)), Some((111, 3)));
    assert_eq!(uncached.load("a").await.unwrap().state.value, 111);
}

pub async fn an_atomic_append_writes_every_stream_at_consecutive_positions(
    store: Arc<dyn EventStore>,
) {
    store
        .append(request("b", ExpectedVersion::NoStream, 1))
        .await
        .expect("b exists");
    let appended = store
        .append_atomically(vec![
            request("a", ExpectedVersion::NoStream, 2),
            request("b", ExpectedVersion::Exact(1), 1),
        ])
        .await
        .expect("atomic append");
    assert_eq!(appended.len(), 2);
    let positions: Vec<u64> = appended.iter().flatten().map(|e| e.position).collect();
    assert_eq!(
        positions,
        vec![2, 3, 4],
        "consecutive, in the order of the requests"
    );
    assert_eq!(
        (appended[1][0].stream_id.as_str(), appended[1][0].version),
        ("counter-b", 2)
    );
    for stream in ["counter-a", "counter-b"] {
        let mut cursor = ChainCursor::from_start(stream);
        for event in store.read_stream(stream, 1, 100).await.unwrap() {
            cursor.check(&event).expect("each stream's chain continues");
        }
    }
    assert_eq!(read_everything(&*store).await.len(), 4);
}

pub async fn an_atomic_append_refused_on_one_stream_writes_none(store: Arc<dyn EventStore>) {
    store
        .append(request("b", ExpectedVersion::NoStream, 2))
        .await
        .expect("b exists");
    let error = store
        .append_atomically(vec![
            request("a", ExpectedVersion::NoStream, 1),
            request("b", ExpectedVersion::Exact(1), 1),
        ])
        .await
        .expect_err("b moved on");
    assert!(
        matches!(&error, StoreError::Concurrency { stream_id, actual: 2, .. } if stream_id == "counter-b"),
        "the refusal names the stream that moved: {error:?}"
    );
    assert!(
        store
            .read_stream("counter-a", 1, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        read_everything(&*store).await.len(),
        2,
        "nothing of the group is stored"
    );
    let next = store
        .append(request("c", ExpectedVersion::NoStream, 1))
        .await
        .expect("the store goes on");
    assert_eq!(next[0].position, 3, "a refused group takes no positions");
}

pub async fn of_atomic_appends_racing_for_one_stream_exactly_one_wins(store: Arc<dyn EventStore>) {
    // Each writer books its own stream together with the shared one, all expecting the
    // shared stream to be new: a schedule two bookings race to reserve.
    let writers = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append_atomically(vec![
                    request(&format!("own-{i}"), ExpectedVersion::NoStream, 1),
                    request("shared", ExpectedVersion::NoStream, 1),
                ])
                .await
        })
    });
    let results = futures::future::join_all(writers).await;
    let won = results
        .iter()
        .filter(|r| r.as_ref().expect("task").is_ok())
        .count();
    assert_eq!(won, 1, "{results:?}");
    assert!(results.iter().all(|r| match r.as_ref().unwrap() {
        Ok(_) => true,
        Err(error) => matches!(error, StoreError::Concurrency { .. }),
    }));
    assert_eq!(
        read_everything(&*store).await.len(),
        2,
        "the winner's two events only"
    );
}

pub async fn an_atomic_append_names_each_stream_once(store: Arc<dyn EventStore>) {
    let error = store
        .append_atomically(vec![
            request("a", ExpectedVersion::NoStream, 1),
            request("a", ExpectedVersion::Exact(1), 1),
        ])
        .await
        .expect_err("one stream twice");
    assert!(
        matches!(error, StoreError::InvalidAppend { .. }),
        "{error:?}"
    );
    let error = store
        .append_atomically(Vec::new())
        .await
        .expect_err("no streams");
    assert!(
        matches!(error, StoreError::InvalidAppend { .. }),
        "{error:?}"
    );
    assert!(read_everything(&*store).await.is_empty());
}
