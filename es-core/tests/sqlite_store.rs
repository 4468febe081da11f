//! What the embedded SQLite store promises beyond the port contract: durability across
//! restarts, group commit, and typed errors for rows damaged on disk.

use std::path::Path;
use std::sync::Arc;

use es_core::testing::counter::increments;
use es_core::testing::counter::{Counter, CounterCommand};
use es_core::{
    EventMetadata, EventStore, ExpectedVersion, Repository, RepositoryError, SqliteEventStore,
    StoreError,
};

/// Changes the file behind the store's back, as a disk fault or an attacker would.
fn tamper(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).expect("open raw");
    let changed = conn.execute(sql, []).expect("tamper");
    assert_eq!(changed, 1, "the tampering hit exactly one row");
}

#[tokio::test]
async fn an_acknowledged_append_survives_closing_and_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let store = SqliteEventStore::open(&path).unwrap();
    let appended = store
        .append(increments("a", ExpectedVersion::NoStream, 3))
        .await
        .unwrap();
    store.close().await;

    let reopened = SqliteEventStore::open(&path).unwrap();
    assert_eq!(
        reopened.read_stream("counter-a", 1, 10).await.unwrap(),
        appended
    );
    assert_eq!(
        *reopened.head().borrow(),
        3,
        "the head is restored from the file"
    );
    let next = reopened
        .append(increments("b", ExpectedVersion::NoStream, 1))
        .await
        .unwrap();
    assert_eq!(next[0].position, 4, "positions continue after a restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_share_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteEventStore::open(dir.path().join("events.db")).unwrap());
    let appends = (0..64).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append(increments(&format!("s{i}"), ExpectedVersion::NoStream, 1))
                .await
        })
    });
    for result in futures::future::join_all(appends).await {
        result.unwrap().unwrap();
    }
    let stats = store.stats();
    assert_eq!(stats.appends, 64);
    assert!(
        stats.commits < stats.appends,
        "64 concurrent appends took {} commits: no group commit happened",
        stats.commits
    );
}

#[tokio::test]
async fn a_row_that_no_longer_decodes_is_a_corrupt_error_naming_stream_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let store = SqliteEventStore::open(&path).unwrap();
    store
        .append(increments("a", ExpectedVersion::NoStream, 3))
        .await
        .unwrap();
    tamper(
        &path,
        "UPDATE events SET occurred_at = 'yesterday' WHERE stream_id = 'counter-a' AND version = 2",
    );
    let error = store.read_stream("counter-a", 1, 10).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Corrupt { stream_id, version: 2, reason }
            if stream_id == "counter-a" && reason.contains("occurred_at")),
        "{error:?}"
    );
    let first = store.read_stream("counter-a", 1, 1).await.unwrap();
    assert_eq!(first.len(), 1, "rows before the damage still read");
}

#[tokio::test]
async fn a_payload_changed_on_disk_breaks_the_chain_when_loading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(&path).unwrap());
    let repository = Repository::<Counter>::new(store.clone());
    for by in 1..=4 {
        repository
            .execute(
                "a",
                CounterCommand::Increment { by },
                &EventMetadata::system(),
            )
            .await
            .unwrap();
    }
    tamper(
        &path,
        "UPDATE events SET payload = '{\"by\":1000}' WHERE stream_id = 'counter-a' AND version = 3",
    );
    let error = repository.load("a").await.unwrap_err();
    assert!(
        matches!(&error, RepositoryError::Store(StoreError::ChainBroken { stream_id, version: 3, .. })
            if stream_id == "counter-a"),
        "{error:?}"
    );
    let rejected = repository
        .execute(
            "a",
            CounterCommand::Increment { by: 1 },
            &EventMetadata::system(),
        )
        .await;
    assert!(rejected.is_err(), "no command runs on a broken stream");
    assert_eq!(
        store.read_stream("counter-a", 1, 10).await.unwrap().len(),
        4
    );
}

#[tokio::test]
async fn a_file_from_a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    SqliteEventStore::open(&path).unwrap().close().await;
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let error = SqliteEventStore::open(&path).err().expect("refused");
    assert!(
        matches!(&error, StoreError::Unavailable(m) if m.contains("99")),
        "{error:?}"
    );
}
