//! Signing the log's head as it grows, in the process that writes the store.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;

use super::{HeadKey, LogDigest, SignedHead, TrustedKeys, witness};
use crate::store::{EventStore, StoreError};

/// Events read per round-trip while catching up.
const BATCH: usize = 1_000;

/// Where the heads' key, witness and trusted keys live, and how often heads are signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadsSettings {
    /// `PITLANE_HEADS_KEY`: the Ed25519 signing key (created 0600 when missing).
    pub key: PathBuf,
    /// `PITLANE_HEADS_FILE`: the append-only witness file.
    pub witness: PathBuf,
    /// `PITLANE_HEADS_TRUSTED`: the public keys heads are verified with; the signing
    /// key's is added when the signer opens it.
    pub trusted: PathBuf,
    /// `PITLANE_HEADS_INTERVAL_MS`: how often a grown log's head is signed.
    pub interval: Duration,
}

impl HeadsSettings {
    /// `heads.key`, `heads.jsonl` and `heads.pub` in `dir`, signed every second.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            key: dir.join("heads.key"),
            witness: dir.join("heads.jsonl"),
            trusted: dir.join("heads.pub"),
            interval: Duration::from_secs(1),
        }
    }

    /// Every witnessed head, and the keys to check them with.
    pub fn witnessed(&self) -> std::io::Result<(Vec<SignedHead>, TrustedKeys)> {
        Ok((
            witness::read(&self.witness)?,
            TrustedKeys::load(&self.trusted)?,
        ))
    }
}

/// A witness besides the file, outside the store: each head is also handed to it (in
/// production, a Kafka topic that neither the store's nor the command host's owner can
/// rewrite alone). A head it misses is not sent again: the next one commits to the
/// whole log before it.
#[async_trait]
pub trait HeadWitness: Send + Sync {
    /// What the log calls it (e.g. `kafka topic pitlane.audit.heads`).
    fn name(&self) -> String;

    async fn witness(&self, head: &SignedHead) -> Result<(), String>;
}

/// Signs the head of `store` every interval while the log grows, and once more when
/// stopped, appending each head to the witness file (and handing it to the other
/// witnesses).
pub struct HeadSigner {
    store: Arc<dyn EventStore>,
    key: HeadKey,
    settings: HeadsSettings,
    others: Vec<Arc<dyn HeadWitness>>,
}

impl HeadSigner {
    /// Opens (or creates) the signing key and adds its public key to the trusted ones.
    pub fn open(store: Arc<dyn EventStore>, settings: HeadsSettings) -> std::io::Result<Self> {
        let key = HeadKey::load_or_create(&settings.key)?;
        TrustedKeys::remember(&settings.trusted, &key.trusted())?;
        Ok(Self {
            store,
            key,
            settings,
            others: Vec::new(),
        })
    }

    /// Also witnesses every head with `witness`.
    pub fn also_to(mut self, witness: Arc<dyn HeadWitness>) -> Self {
        self.others.push(witness);
        self
    }

    /// Signs until `stop` resolves, then signs what was appended meanwhile and returns.
    ///
    /// Resumes from the newest witnessed head. A log that ends before that head was cut
    /// or restored from an older backup: nothing is signed then (a head over a rewound
    /// log would bless the loss), and the error says which positions are missing.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        let Some(mut digest) = self.resume() else {
            return;
        };
        let mut signed = digest.position();
        let mut tick = tokio::time::interval(self.settings.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            let stopping = tokio::select! {
                () = &mut stop => true,
                _ = tick.tick() => false,
            };
            if let Err(error) = self.catch_up(&mut digest).await {
                tracing::warn!(%error, "log heads: cannot read the log; signing later");
            } else if digest.position() > signed {
                let head = self.key.sign(&digest, Utc::now());
                match witness::append(&self.settings.witness, &head) {
                    Ok(()) => signed = head.position,
                    Err(error) => tracing::error!(
                        %error,
                        file = %self.settings.witness.display(),
                        position = head.position,
                        "log heads: cannot write the witness; the head stays unwitnessed"
                    ),
                }
                for other in &self.others {
                    if let Err(error) = other.witness(&head).await {
                        tracing::warn!(
                            %error,
                            witness = %other.name(),
                            position = head.position,
                            "log heads: a witness did not take the head; the next head covers it"
                        );
                    }
                }
            }
            if stopping {
                return;
            }
        }
    }

    /// The digest to continue from: the newest head a trusted key signed, or the empty
    /// log's. A head no trusted key signed (edited or forged in the witness) is passed
    /// over with a warning; `verify` reports it.
    fn resume(&self) -> Option<LogDigest> {
        let witnessed = self.settings.witnessed();
        let (heads, trusted) = match witnessed {
            Ok(witnessed) => witnessed,
            Err(error) => {
                tracing::error!(%error, "log heads: the witness cannot be read; nothing is signed");
                return None;
            }
        };
        let (trusted_heads, untrusted): (Vec<SignedHead>, Vec<SignedHead>) = heads
            .into_iter()
            .partition(|head| trusted.check(head).is_ok());
        if let Some(head) = untrusted.first() {
            tracing::warn!(
                count = untrusted.len(),
                position = head.position,
                "log heads: the witness holds heads no trusted key signed; resuming from the newest trusted one"
            );
        }
        let newest = trusted_heads.into_iter().max_by_key(|head| head.position);
        let Some(head) = newest else {
            return Some(LogDigest::genesis());
        };
        let log_ends_at = *self.store.head().borrow();
        if head.position > log_ends_at {
            tracing::error!(
                log_ends_at,
                signed_position = head.position,
                signed_at = %head.signed_at,
                "log heads: the log ends at position {log_ends_at}, but its head was signed at \
                 position {} on {}: events {} to {} are missing (the store was cut or restored \
                 from an older backup); nothing is signed until they are restored",
                head.position,
                head.signed_at,
                log_ends_at + 1,
                head.position
            );
            return None;
        }
        match head.digest() {
            Ok(digest) => Some(LogDigest::resume(head.position, digest)),
            Err(error) => {
                tracing::error!(%error, position = head.position, "log heads: the newest head's digest is unreadable; nothing is signed");
                None
            }
        }
    }

    /// Folds every event up to the store's head into `digest`.
    async fn catch_up(&self, digest: &mut LogDigest) -> Result<(), StoreError> {
        let target = *self.store.head().borrow();
        while digest.position() < target {
            let batch = self.store.read_all(digest.position(), BATCH).await?;
            if batch.is_empty() {
                break;
            }
            for event in &batch {
                digest.advance(event.position, &event.hash);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
}
