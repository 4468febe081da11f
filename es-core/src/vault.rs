//! Crypto-shredding of personal data (DESIGN §3, docs/adr/010-crypto-shredding.md).
//!
//! Personal data never reaches the event log in clear: the [`Vault`] encrypts it with a
//! key of its own per *subject* (the stream it belongs to, e.g. `customer-<id>`), and the
//! key lives in a [`KeyStore`] outside the log. Erasing the subject deletes the key;
//! the log is never rewritten, so its hash chain still verifies, and every reader that
//! opens events through the vault sees the personal data as erased (`null`).
//!
//! The sealed form, in place of the clear value inside an event payload:
//!
//! ```json
//! "personal_data": {
//!   "alg": "A256GCM",
//!   "sealed": "<base64 of nonce (12 bytes) || ciphertext || tag (16 bytes)>",
//!   "subject": "customer-0190f5a4-7b1c-7c3e-9d2a-5f0e8b6c4a21"
//! }
//! ```
//!
//! The ciphertext is AES-256-GCM of the value's canonical JSON under the subject's key,
//! with a fresh random nonce per seal and the subject as associated data, so a sealed
//! value opens only for the subject it was sealed for.
//!
//! Only the top-level `personal_data` field of a payload is sealed ([`PERSONAL_DATA`]):
//! domains put every personal field into that one group, so the rule stays one line and
//! never has to know a schema.
//!
//! Backends of the [`KeyStore`] port: [`SqliteKeyStore`] (its own file, `keys.db`,
//! secure-delete on) and [`InMemoryKeyStore`] for tests. The [`Vault`] keeps recently
//! used keys in an LRU cache in front of the store; erasing evicts.

mod cipher;
mod memory;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use lru::LruCache;
use rand::TryRngCore;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::envelope::EventEnvelope;

pub use cipher::ALGORITHM;
pub use memory::InMemoryKeyStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteKeyStore;

/// The payload field that holds personal data, sealed as a unit.
pub const PERSONAL_DATA: &str = "personal_data";

/// Keys kept in memory by default (32 bytes each, plus the subject).
pub const DEFAULT_KEY_CACHE: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The key store cannot be reached or written: retry later.
    #[error("the key store is unavailable: {0}")]
    Unavailable(String),
    /// The subject's key was erased: nothing can be sealed for it any more.
    #[error("the personal data of {subject} was erased; nothing can be sealed for it again")]
    Erased { subject: String },
    /// The sealed value is not in the sealed form (or names another subject).
    #[error("sealed personal data of {subject} is malformed: {reason}")]
    Malformed { subject: String, reason: String },
    /// The sealed value does not open with the subject's key: tampered with, or sealed
    /// under another key.
    #[error("sealed personal data of {subject} does not open with its key")]
    Undecryptable { subject: String },
}

/// A subject's 256-bit data key. Zeroed in memory when dropped; never printed.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, VaultError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng
            .try_fill_bytes(bytes.as_mut())
            .map_err(|e| VaultError::Unavailable(format!("no randomness for a new key: {e}")))?;
        Ok(Self(bytes))
    }

    /// A key as stored; `None` unless exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(bytes)))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// The port: where subjects' keys live, outside the event log.
#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
    /// The subject's key; `None` if it never had one or it was erased.
    async fn get(&self, subject: &str) -> Result<Option<DataKey>, VaultError>;

    /// The subject's key, storing `candidate` (durably, before answering) if it has none
    /// yet; two concurrent callers get the same key. `Erased` if the subject was erased.
    async fn get_or_create(&self, subject: &str, candidate: DataKey)
    -> Result<DataKey, VaultError>;

    /// Deletes the subject's key for good and remembers the subject as erased. Erasing
    /// an erased (or unknown) subject is a no-op that succeeds.
    async fn erase(&self, subject: &str) -> Result<(), VaultError>;
}

/// Seals and opens personal data with per-subject keys (see the module docs).
pub struct Vault {
    keys: Arc<dyn KeyStore>,
    cache: Mutex<Cache>,
    /// False for a [`Vault::reader`]: erasures happen in another process, so no key
    /// may be kept.
    caching: bool,
}

struct Cache {
    keys: LruCache<String, DataKey>,
    /// Bumped by every erasure. A key fetched from the store is cached only if no
    /// erasure ran meanwhile, so a lookup racing an erasure cannot put an erased key back.
    erasures: u64,
}

impl Vault {
    /// A vault over `keys`, caching up to `cache_capacity` keys (at least one).
    pub fn new(keys: Arc<dyn KeyStore>, cache_capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(cache_capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            keys,
            cache: Mutex::new(Cache {
                keys: LruCache::new(capacity),
                erasures: 0,
            }),
            caching: true,
        }
    }

    /// A vault for a process that opens what another process seals and erases (the
    /// query service fed by Kafka, over a shared key store): it keeps no key, so an
    /// erasure made elsewhere takes effect on the next open.
    pub fn reader(keys: Arc<dyn KeyStore>) -> Self {
        Self {
            caching: false,
            ..Self::new(keys, 1)
        }
    }

    /// A vault whose keys live only in memory (tests, in-memory event stores).
    pub fn in_memory() -> Self {
        Self::new(Arc::new(InMemoryKeyStore::new()), DEFAULT_KEY_CACHE)
    }

    /// A vault over the SQLite key store in the file at `path` (created if needed).
    #[cfg(feature = "sqlite")]
    pub fn open_sqlite(path: impl AsRef<std::path::Path>) -> Result<Self, VaultError> {
        Ok(Self::new(
            Arc::new(SqliteKeyStore::open(path)?),
            DEFAULT_KEY_CACHE,
        ))
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // Each use is one lookup, insert or removal: a poisoned cache is still consistent.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached key, or `None` and the erasure count to pass to [`Vault::remember`].
    fn cached(&self, subject: &str) -> Result<DataKey, u64> {
        let mut cache = self.cache();
        match cache.keys.get(subject) {
            Some(key) => Ok(key.clone()),
            None => Err(cache.erasures),
        }
    }

    fn remember(&self, subject: &str, key: &DataKey, erasures_before: u64) {
        let mut cache = self.cache();
        if self.caching && cache.erasures == erasures_before {
            cache.keys.put(subject.to_owned(), key.clone());
        }
    }

    async fn key(&self, subject: &str) -> Result<Option<DataKey>, VaultError> {
        let erasures = match self.cached(subject) {
            Ok(key) => return Ok(Some(key)),
            Err(erasures) => erasures,
        };
        let key = self.keys.get(subject).await?;
        if let Some(key) = &key {
            self.remember(subject, key, erasures);
        }
        Ok(key)
    }

    async fn key_for_sealing(&self, subject: &str) -> Result<DataKey, VaultError> {
        let erasures = match self.cached(subject) {
            Ok(key) => return Ok(key),
            Err(erasures) => erasures,
        };
        let key = match self.keys.get(subject).await? {
            Some(key) => key,
            None => {
                self.keys
                    .get_or_create(subject, DataKey::generate()?)
                    .await?
            }
        };
        self.remember(subject, &key, erasures);
        Ok(key)
    }

    /// `data` sealed under the subject's key (created on first use).
    pub async fn seal(&self, subject: &str, data: &Value) -> Result<Value, VaultError> {
        let key = self.key_for_sealing(subject).await?;
        cipher::seal(&key, subject, data)
    }

    /// The value `sealed` holds; `None` once the subject's key is erased. A sealed value
    /// that is malformed, names another subject or fails authentication is an error.
    pub async fn open(&self, subject: &str, sealed: &Value) -> Result<Option<Value>, VaultError> {
        let parsed = cipher::Sealed::parse(subject, sealed)?;
        match self.key(subject).await? {
            Some(key) => parsed.open(&key).map(Some),
            None => Ok(None),
        }
    }

    /// Deletes the subject's key: everything ever sealed for it becomes unreadable.
    /// Idempotent.
    pub async fn erase(&self, subject: &str) -> Result<(), VaultError> {
        self.keys.erase(subject).await?;
        let mut cache = self.cache();
        cache.erasures += 1;
        cache.keys.pop(subject);
        Ok(())
    }

    /// Seals the payload's top-level `personal_data` in place (unless it is absent,
    /// `null` or already sealed). On error the payload is unchanged.
    pub async fn seal_payload(&self, subject: &str, payload: &mut Value) -> Result<(), VaultError> {
        let Some(data) = payload.get_mut(PERSONAL_DATA) else {
            return Ok(());
        };
        if data.is_null() || cipher::is_sealed(data) {
            return Ok(());
        }
        *data = self.seal(subject, data).await?;
        Ok(())
    }

    /// Opens the payload's sealed `personal_data` in place: the clear value, or `null`
    /// when the key is erased. Payloads without sealed data are left as they are (data
    /// written before sealing existed stays readable). On error the payload is unchanged.
    pub async fn open_payload(&self, subject: &str, payload: &mut Value) -> Result<(), VaultError> {
        let Some(sealed) = payload.get_mut(PERSONAL_DATA) else {
            return Ok(());
        };
        if !cipher::is_sealed(sealed) {
            return Ok(());
        }
        *sealed = self.open(subject, sealed).await?.unwrap_or(Value::Null);
        Ok(())
    }

    /// [`Vault::open_payload`] for a stored event, whose subject is its stream. The
    /// envelope's `hash` still covers the sealed bytes: verify chains before opening.
    pub async fn open_envelope(&self, envelope: &mut EventEnvelope) -> Result<(), VaultError> {
        self.open_payload(&envelope.stream_id, &mut envelope.payload)
            .await
    }
}

/// Whether `payload` carries sealed personal data (cheap: no key lookup).
pub fn has_sealed_personal_data(payload: &Value) -> bool {
    payload.get(PERSONAL_DATA).is_some_and(cipher::is_sealed)
}

#[cfg(test)]
mod tests;
