//! The MongoDB event store on a real MongoDB-wire server (`MONGO_URL`; skipped with a
//! printed reason when it is not set, failing under `CI=true`): the whole `EventStore`
//! contract, each case on a fresh database, and the global position under concurrent
//! writers in several "processes" (store instances with their own clients) — no reader
//! of `$all` ever skips an event that commits late (docs/adr/011-mongo-global-position.md).
#![cfg(feature = "mongo")]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use es_core::envelope::now;
use es_core::mongo::{COUNTERS, EVENTS, POSITION_COUNTER_ID, documents::event_document};
use es_core::seal::{StreamHead, canonical_payloads, seal};
use es_core::subscription::subscribe;
use es_core::testing::counter::increments;
use es_core::testing::servers::server_url;
use es_core::{EventEnvelope, EventStore, ExpectedVersion, MongoEventStore, StoreError};
use futures::StreamExt;
use mongodb::bson::{Document, doc};

/// A database name no other test uses.
fn fresh_database() -> String {
    format!("pitlane_test_{}", uuid::Uuid::now_v7().simple())
}

async fn connect(url: &str, database: &str) -> MongoEventStore {
    MongoEventStore::connect_within(url, database, Duration::from_secs(20))
        .await
        .expect("connect to MONGO_URL")
}

/// Drops a test's database when the test is over, from a thread of its own (the test's
/// runtime is shutting down); best effort, so a dead server does not fail the test.
struct DropDatabase {
    url: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let drop = async {
                    let client = mongodb::Client::with_uri_str(&url).await?;
                    client.database(&name).drop().await
                };
                let _ = tokio::time::timeout(Duration::from_secs(5), drop).await;
            });
        });
        let _ = dropper.join();
    }
}

mod contract {
    use std::sync::Arc;

    use es_core::testing::servers::server_url;
    use es_core::testing::store_contract::StoreUnderTest;

    use super::{DropDatabase, connect, fresh_database};

    async fn fresh() -> Option<StoreUnderTest> {
        let url = server_url("MONGO_URL")?;
        let name = fresh_database();
        let store = connect(&url, &name).await;
        Some(StoreUnderTest {
            store: Arc::new(store),
            guard: Box::new(DropDatabase { url, name }),
        })
    }

    es_core::event_store_contract_tests!(fresh);
}

/// `tasks` tasks per store, each appending `appends` times (1 to 3 events) to a stream
/// of its own, all at once; returns every acknowledged envelope.
async fn write_concurrently(
    stores: &[Arc<MongoEventStore>],
    tasks: usize,
    appends: u64,
) -> Vec<EventEnvelope> {
    let mut writers = Vec::new();
    for (s, store) in stores.iter().enumerate() {
        for t in 0..tasks {
            let store = store.clone();
            writers.push(tokio::spawn(async move {
                let mut written = Vec::new();
                let mut version = 0;
                for i in 0..appends {
                    let id = format!("s{s}t{t}");
                    let events = store
                        .append(increments(&id, ExpectedVersion::Exact(version), 1 + i % 3))
                        .await
                        .expect("append");
                    version = events.last().map_or(version, |e| e.version);
                    written.extend(events);
                }
                written
            }));
        }
    }
    let mut written = Vec::new();
    for writer in writers {
        written.extend(writer.await.expect("writer task"));
    }
    written
}

/// Events `appends` appends of [`write_concurrently`] write per task.
fn events_per_task(appends: u64) -> usize {
    (0..appends).map(|i| 1 + i as usize % 3).sum()
}

async fn stores(url: &str, database: &str, count: usize) -> Vec<Arc<MongoEventStore>> {
    let mut stores = Vec::new();
    for _ in 0..count {
        stores.push(Arc::new(connect(url, database).await));
    }
    stores
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_tailing_all_sees_every_event_of_concurrent_writers_once_in_gapless_order() {
    let Some(url) = server_url("MONGO_URL") else {
        return;
    };
    let name = fresh_database();
    let _cleanup = DropDatabase {
        url: url.clone(),
        name: name.clone(),
    };
    let writers = stores(&url, &name, 3).await;
    let reader: Arc<dyn EventStore> = Arc::new(connect(&url, &name).await);
    let total = 3 * 4 * events_per_task(10);
    let subscription = subscribe(reader.clone(), 0, 16);
    let tail = tokio::spawn(tokio::time::timeout(
        Duration::from_secs(120),
        subscription.take(total).collect::<Vec<_>>(),
    ));

    let written = write_concurrently(&writers, 4, 10).await;
    let received: Vec<EventEnvelope> = tail
        .await
        .expect("reader task")
        .expect("the reader receives every event")
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("no read error");

    assert_eq!(written.len(), total);
    let positions: Vec<u64> = received.iter().map(|e| e.position).collect();
    assert_eq!(
        positions,
        (1..=total as u64).collect::<Vec<_>>(),
        "strictly increasing, no gap, no duplicate"
    );
    let mut acknowledged: HashMap<_, _> = written.into_iter().map(|e| (e.event_id, e)).collect();
    for event in &received {
        let stored = acknowledged
            .remove(&event.event_id)
            .expect("the reader saw only acknowledged events, each once");
        assert_eq!(event, &stored, "exactly what the writer was told it stored");
    }
    assert!(acknowledged.is_empty(), "no acknowledged event was skipped");
    assert_eq!(*reader.head().borrow(), total as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_processs_head_never_runs_ahead_of_what_reading_all_returns() {
    let Some(url) = server_url("MONGO_URL") else {
        return;
    };
    let name = fresh_database();
    let _cleanup = DropDatabase {
        url: url.clone(),
        name: name.clone(),
    };
    let writers = stores(&url, &name, 2).await;
    let observer = Arc::new(connect(&url, &name).await);
    let total = 2 * 4 * events_per_task(8) as u64;
    let checker = {
        let observer = observer.clone();
        tokio::spawn(tokio::time::timeout(Duration::from_secs(120), async move {
            let mut head = observer.head();
            let (mut last, mut checks) = (0, 0);
            loop {
                let seen = *head.borrow_and_update();
                if seen > last {
                    // Everything up to the head must be there, now, without waiting.
                    let events = observer
                        .read_all(last, (seen - last) as usize)
                        .await
                        .expect("read_all");
                    let positions: Vec<u64> = events.iter().map(|e| e.position).collect();
                    assert_eq!(positions, (last + 1..=seen).collect::<Vec<_>>());
                    last = seen;
                    checks += 1;
                }
                if last >= total {
                    return checks;
                }
                head.changed().await.expect("the store is alive");
            }
        }))
    };
    let written = write_concurrently(&writers, 4, 8).await;
    assert_eq!(written.len() as u64, total);
    let checks = checker
        .await
        .expect("checker task")
        .expect("the observer's head reaches the last position");
    assert!(
        checks > 1,
        "the head moved in steps while writers ran ({checks})"
    );
}

/// Takes the next position in a transaction of its own, as another process's append
/// does, and writes its event (or not); the caller commits or aborts it.
async fn take_position_elsewhere(
    url: &str,
    database: &str,
    write_event: bool,
) -> (mongodb::ClientSession, u64) {
    let client = mongodb::Client::with_uri_str(url).await.expect("client");
    let db = client.database(database);
    let mut session = client.start_session().await.expect("session");
    session.start_transaction().await.expect("transaction");
    let counter = db
        .collection::<Document>(COUNTERS)
        .find_one_and_update(
            doc! { "_id": POSITION_COUNTER_ID },
            doc! { "$inc": { "value": 1_i64 } },
        )
        .return_document(mongodb::options::ReturnDocument::After)
        .session(&mut session)
        .await
        .expect("take a position")
        .expect("the counter exists");
    let position = counter.get_i64("value").expect("counter value") as u64;
    if write_event {
        let late = increments("late", ExpectedVersion::NoStream, 1);
        let payloads = canonical_payloads(&late);
        let sealed = seal(late, payloads, StreamHead::default(), position, now()).expect("seal");
        db.collection::<Document>(EVENTS)
            .insert_one(event_document(&sealed[0]))
            .session(&mut session)
            .await
            .expect("insert the late event");
    }
    (session, position)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_append_waits_behind_a_position_another_process_holds_and_lands_after_it() {
    let Some(url) = server_url("MONGO_URL") else {
        return;
    };
    let name = fresh_database();
    let _cleanup = DropDatabase {
        url: url.clone(),
        name: name.clone(),
    };
    let store = Arc::new(connect(&url, &name).await);
    let (mut late, late_position) = take_position_elsewhere(&url, &name, true).await;
    assert_eq!(late_position, 1);

    let append = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append(increments("early", ExpectedVersion::NoStream, 1))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !append.is_finished(),
        "no append commits above a position still in flight"
    );
    assert!(store.read_all(0, 10).await.unwrap().is_empty());
    assert_eq!(*store.head().borrow(), 0);

    late.commit_transaction()
        .await
        .expect("the late writer commits");
    let early = append.await.expect("task").expect("append after the wait");
    assert_eq!(early[0].position, 2);
    let all = store.read_all(0, 10).await.unwrap();
    let streams: Vec<(&str, u64)> = all
        .iter()
        .map(|e| (e.stream_id.as_str(), e.position))
        .collect();
    assert_eq!(streams, vec![("counter-late", 1), ("counter-early", 2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_append_refused_after_taking_its_positions_gives_them_back_so_all_has_no_hole() {
    let Some(url) = server_url("MONGO_URL") else {
        return;
    };
    let name = fresh_database();
    let _cleanup = DropDatabase {
        url: url.clone(),
        name: name.clone(),
    };
    let store = connect(&url, &name).await;
    store
        .append(increments("a", ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    // Refused inside its transaction, after the counter gave it positions 2 and 3.
    let refused = store
        .append(increments("a", ExpectedVersion::NoStream, 2))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Concurrency { .. })),
        "{refused:?}"
    );
    let next = store
        .append(increments("b", ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    assert_eq!(next[0].position, 2, "positions 2 and 3 were given back");
    let positions: Vec<u64> = store
        .read_all(0, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(positions, vec![1, 2]);
}

/// `url` with an `appName` the server's fail points can single out.
fn with_app_name(url: &str, app_name: &str) -> String {
    let separator = if url.contains('?') {
        "&"
    } else if url.trim_end_matches('/').matches('/').count() > 2 {
        "?"
    } else {
        "/?"
    };
    format!("{}{separator}appName={app_name}", url)
}

/// Makes the server hold the next `commitTransaction` of clients named `app_name` for
/// `block` before running it. `Err` when the server has no fail points (a `mongod`
/// without `enableTestCommands`, a secantus without `--enable-test-commands`).
async fn delay_next_commit(url: &str, app_name: &str, block: Duration) -> Result<(), String> {
    let client = mongodb::Client::with_uri_str(url)
        .await
        .map_err(|e| e.to_string())?;
    client
        .database("admin")
        .run_command(doc! {
            "configureFailPoint": "failCommand",
            "mode": { "times": 1 },
            "data": {
                "failCommands": ["commitTransaction"],
                "blockConnection": true,
                "blockTimeMS": block.as_millis() as i64,
                "appName": app_name,
            },
        })
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_writer_that_commits_late_is_never_overtaken_by_a_later_position() {
    let Some(url) = server_url("MONGO_URL") else {
        return;
    };
    let name = fresh_database();
    let _cleanup = DropDatabase {
        url: url.clone(),
        name: name.clone(),
    };
    let app_name = format!("late-{}", uuid::Uuid::now_v7().simple());
    let slow = Arc::new(connect(&with_app_name(&url, &app_name), &name).await);
    let fast = Arc::new(connect(&url, &name).await);
    if let Err(reason) = delay_next_commit(&url, &app_name, Duration::from_millis(1500)).await {
        eprintln!("skipped: the server at MONGO_URL has no fail points ({reason})");
        return;
    }

    let late = {
        let slow = slow.clone();
        tokio::spawn(async move {
            slow.append(increments("late", ExpectedVersion::NoStream, 1))
                .await
        })
    };
    // The slow writer has taken position 1 and is waiting on its commit.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let early = {
        let fast = fast.clone();
        tokio::spawn(async move {
            fast.append(increments("early", ExpectedVersion::NoStream, 1))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!late.is_finished(), "the fail point holds the first commit");
    assert!(
        !early.is_finished(),
        "no append commits above a position still in flight"
    );
    assert!(fast.read_all(0, 10).await.unwrap().is_empty());
    assert_eq!(*fast.head().borrow(), 0);

    let late = late.await.expect("task").expect("late append");
    let early = early.await.expect("task").expect("early append");
    assert_eq!((late[0].position, early[0].position), (1, 2));
    let order: Vec<(String, u64)> = fast
        .read_all(0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.stream_id, e.position))
        .collect();
    assert_eq!(
        order,
        vec![
            ("counter-late".to_owned(), 1),
            ("counter-early".to_owned(), 2)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_process_resumes_positions_and_head_from_the_database() {
    let Some(url) = server_url("MONGO_URL") else {
        return;
    };
    let name = fresh_database();
    let _cleanup = DropDatabase {
        url: url.clone(),
        name: name.clone(),
    };
    let first = connect(&url, &name).await;
    first
        .append(increments("a", ExpectedVersion::NoStream, 3))
        .await
        .unwrap();
    drop(first);
    let second = connect(&url, &name).await;
    assert_eq!(*second.head().borrow(), 3);
    let next = second
        .append(increments("a", ExpectedVersion::Exact(3), 1))
        .await
        .unwrap();
    assert_eq!((next[0].version, next[0].position), (4, 4));
}

#[tokio::test]
async fn an_unreachable_server_is_reported_after_the_deadline_naming_the_url_but_not_its_password()
{
    let url = "mongodb://pitlane:s3cret-pw@127.0.0.1:1/?serverSelectionTimeoutMS=200";
    let started = std::time::Instant::now();
    let error = MongoEventStore::connect_within(url, "events", Duration::from_secs(1))
        .await
        .err()
        .expect("nothing listens on port 1");
    let elapsed = started.elapsed();
    let StoreError::Unavailable(message) = &error else {
        panic!("expected Unavailable, got {error:?}");
    };
    assert!(
        message.contains("mongodb://pitlane:***@127.0.0.1:1"),
        "{message}"
    );
    assert!(!message.contains("s3cret-pw"), "{message}");
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(10),
        "retried for the deadline, then gave up: {elapsed:?}"
    );
}
