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
mod tests;
