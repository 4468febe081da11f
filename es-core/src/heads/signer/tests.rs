use serde_json::json;

use super::*;
use crate::envelope::{Actor, EventMetadata, ProposedEvent, now};
use crate::memory::InMemoryEventStore;
use crate::store::{AppendRequest, ExpectedVersion};

async fn append(store: &dyn EventStore, id: &str) {
    store
        .append(AppendRequest {
            aggregate_type: "counter".into(),
            aggregate_id: id.into(),
            expected: ExpectedVersion::Any,
            events: vec![ProposedEvent::new(
                "counter.incremented.v1",
                1,
                json!({"by": 1}),
                now(),
            )],
            metadata: EventMetadata {
                correlation_id: "c".into(),
                causation_id: "c".into(),
                actor: Actor::new("t", "admin"),
                traceparent: None,
            },
            idempotency: None,
        })
        .await
        .unwrap();
}

fn settings(dir: &Path) -> HeadsSettings {
    HeadsSettings {
        interval: Duration::from_millis(20),
        ..HeadsSettings::in_dir(dir)
    }
}

#[tokio::test]
async fn the_head_is_signed_as_the_log_grows_and_once_more_on_stop() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    append(&*store, "a").await;
    let signer = HeadSigner::open(store.clone(), settings(dir.path())).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(signer.run(async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(100)).await;
    append(&*store, "b").await;
    stop.send(()).unwrap();
    running.await.unwrap();

    let (heads, trusted) = settings(dir.path()).witnessed().unwrap();
    assert_eq!(heads.first().map(|h| h.position), Some(1));
    assert_eq!(heads.last().map(|h| h.position), Some(2), "signed on stop");
    assert!(heads.iter().all(|h| trusted.check(h).is_ok()));
    let mut digest = LogDigest::genesis();
    for event in store.read_all(0, 10).await.unwrap() {
        digest.advance(event.position, &event.hash);
    }
    assert_eq!(heads.last().unwrap().digest, digest.digest().to_hex());
}

/// Keeps what it is handed; refuses the first head (a broker away).
#[derive(Default)]
struct Remembering {
    heads: std::sync::Mutex<Vec<SignedHead>>,
    refused_one: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl HeadWitness for Remembering {
    fn name(&self) -> String {
        "memory".into()
    }

    async fn witness(&self, head: &SignedHead) -> Result<(), String> {
        if !self
            .refused_one
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return Err("away".into());
        }
        self.heads.lock().unwrap().push(head.clone());
        Ok(())
    }
}

#[tokio::test]
async fn every_head_goes_to_the_other_witnesses_too_and_one_they_miss_is_covered_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    append(&*store, "a").await;
    let other = Arc::new(Remembering::default());
    let signer = HeadSigner::open(store.clone(), settings(dir.path()))
        .unwrap()
        .also_to(other.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(signer.run(async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(100)).await;
    append(&*store, "b").await;
    stop.send(()).unwrap();
    running.await.unwrap();

    let (in_file, trusted) = settings(dir.path()).witnessed().unwrap();
    let elsewhere = other.heads.lock().unwrap().clone();
    assert_eq!(
        elsewhere.iter().map(|h| h.position).collect::<Vec<_>>(),
        [2],
        "the first head was refused; the second covers it"
    );
    assert_eq!(elsewhere.last(), in_file.last(), "the same signed head");
    assert!(trusted.check(&elsewhere[0]).is_ok());
}

#[tokio::test]
async fn a_forged_head_in_the_witness_is_passed_over_when_resuming() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    append(&*store, "a").await;
    HeadSigner::open(store.clone(), settings(dir.path()))
        .unwrap()
        .run(async {})
        .await;
    // Someone appends a head far ahead, signed with a key no one trusts.
    let forger = HeadKey::load_or_create(&dir.path().join("forger.key")).unwrap();
    let mut far = LogDigest::genesis();
    far.advance(99, &crate::hash::Hash([9; 32]));
    witness::append(
        &settings(dir.path()).witness,
        &forger.sign(&far, Utc::now()),
    )
    .unwrap();
    append(&*store, "b").await;
    HeadSigner::open(store.clone(), settings(dir.path()))
        .unwrap()
        .run(async {})
        .await;
    let (heads, trusted) = settings(dir.path()).witnessed().unwrap();
    let signed: Vec<u64> = heads
        .iter()
        .filter(|h| trusted.check(h).is_ok())
        .map(|h| h.position)
        .collect();
    assert_eq!(signed, [1, 2], "signing went on from the trusted head");
}

#[tokio::test]
async fn a_log_behind_its_newest_head_is_not_signed_again() {
    let dir = tempfile::tempdir().unwrap();
    let grown: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    for id in ["a", "b", "c"] {
        append(&*grown, id).await;
    }
    let signer = HeadSigner::open(grown, settings(dir.path())).unwrap();
    signer.run(async {}).await;
    // The store comes back from an older backup holding one event.
    let restored: Arc<dyn EventStore> = Arc::new(InMemoryEventStore::new());
    append(&*restored, "a").await;
    let signer = HeadSigner::open(restored, settings(dir.path())).unwrap();
    signer.run(async {}).await;
    let (heads, _) = settings(dir.path()).witnessed().unwrap();
    let positions: Vec<u64> = heads.iter().map(|h| h.position).collect();
    assert_eq!(positions, [3], "no head was signed over the rewound log");
}
