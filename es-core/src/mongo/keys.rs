//! The keys of personal data in MongoDB (ADR 010), for a platform whose event store is
//! MongoDB and whose query service, in another process, must open what Kafka carries
//! sealed. Collection `data_keys`, outside the event log: one document per subject,
//! `{_id: subject, key: BinData, alg, created_at}` while the subject has a key, and
//! `{_id: subject, erased_at}` once erased — the key bytes `$unset`, the subject
//! remembered so nothing is sealed for it again.
//!
//! Both operations are single-document and atomic, so a creation racing an erasure can
//! never bring the key back: `get_or_create` is one upsert with `$setOnInsert`, which
//! sees either no document, a live key, or the erasure mark. Writes at majority: a key
//! is durable before anything sealed with it is appended.
//!
//! What MongoDB keeps of an erased key elsewhere (the oplog until it rolls over,
//! backups) is the operator's to bound: see ADR 010.

use async_trait::async_trait;
use mongodb::Collection;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, Document, doc};
use mongodb::options::{CollectionOptions, ReadConcern, ReturnDocument, WriteConcern};

use super::MongoEventStore;
use crate::vault::{ALGORITHM, DataKey, KeyStore, VaultError};

/// The collection's name, for operators.
pub const DATA_KEYS: &str = "data_keys";

pub struct MongoKeyStore {
    keys: Collection<Document>,
}

impl MongoKeyStore {
    /// The keys in the event store's database, in a collection of their own.
    pub fn beside(store: &MongoEventStore) -> Self {
        Self::in_database(store.database())
    }

    /// The keys in `database` (the event store's, named by the process that only
    /// opens: the query service's `KEY_STORE_URL`). Connects lazily: an unreachable
    /// server shows as `Unavailable` on use, and the caller retries.
    pub async fn connect(url: &str, database: &str) -> Result<Self, VaultError> {
        let client = mongodb::Client::with_uri_str(url).await.map_err(|e| {
            VaultError::Unavailable(super::connect::scrub(
                format!("cannot use MongoDB at {}: {e}", super::connect::redact(url)),
                url,
            ))
        })?;
        Ok(Self::in_database(&client.database(database)))
    }

    fn in_database(database: &mongodb::Database) -> Self {
        let options = CollectionOptions::builder()
            .read_concern(ReadConcern::majority())
            .write_concern(WriteConcern::majority())
            .build();
        Self {
            keys: database.collection_with_options(DATA_KEYS, options),
        }
    }
}

fn unavailable(what: &str, error: mongodb::error::Error) -> VaultError {
    VaultError::Unavailable(format!("{what} in MongoDB failed: {error}"))
}

/// The key a document holds: `None` once erased (or never keyed).
fn key_of(subject: &str, document: &Document) -> Result<Option<DataKey>, VaultError> {
    if document.contains_key("erased_at") {
        return Ok(None);
    }
    match document.get("key") {
        Some(Bson::Binary(binary)) => {
            DataKey::from_bytes(&binary.bytes).map(Some).ok_or_else(|| {
                VaultError::Unavailable(format!("the stored key of {subject} is not 32 bytes"))
            })
        }
        _ => Ok(None),
    }
}

impl MongoKeyStore {
    /// The subject's document, which must exist.
    async fn stored(&self, subject: &str) -> Result<Document, VaultError> {
        self.keys
            .find_one(doc! { "_id": subject })
            .await
            .map_err(|e| unavailable("reading a key", e))?
            .ok_or_else(|| {
                VaultError::Unavailable(format!("MongoDB returned no key document for {subject}"))
            })
    }
}

#[async_trait]
impl KeyStore for MongoKeyStore {
    async fn get(&self, subject: &str) -> Result<Option<DataKey>, VaultError> {
        let found = self
            .keys
            .find_one(doc! { "_id": subject })
            .await
            .map_err(|e| unavailable("reading a key", e))?;
        match found {
            Some(document) => key_of(subject, &document),
            None => Ok(None),
        }
    }

    async fn get_or_create(
        &self,
        subject: &str,
        candidate: DataKey,
    ) -> Result<DataKey, VaultError> {
        let key = Binary {
            subtype: BinarySubtype::Generic,
            bytes: candidate.as_bytes().to_vec(),
        };
        let created_at = crate::time::format(&crate::envelope::now());
        let upserted = self
            .keys
            .find_one_and_update(
                doc! { "_id": subject },
                doc! { "$setOnInsert": { "key": key, "alg": ALGORITHM, "created_at": created_at } },
            )
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await;
        // Two upserts racing on one `_id`: the loser may get a duplicate key error, or
        // (on some MongoDB-wire servers) no document; either way the winner's is there.
        let document = match upserted {
            Ok(Some(document)) => document,
            Ok(None) => self.stored(subject).await?,
            Err(e) if super::errors::duplicate_key(&e).is_some() => self.stored(subject).await?,
            Err(e) => return Err(unavailable("storing a key", e)),
        };
        key_of(subject, &document)?.ok_or_else(|| VaultError::Erased {
            subject: subject.to_owned(),
        })
    }

    async fn erase(&self, subject: &str) -> Result<(), VaultError> {
        let erased_at = crate::time::format(&crate::envelope::now());
        self.keys
            .update_one(
                doc! { "_id": subject },
                doc! {
                    "$unset": { "key": "", "alg": "", "created_at": "" },
                    "$set": { "erased_at": erased_at },
                },
            )
            .upsert(true)
            .await
            .map_err(|e| unavailable("erasing a key", e))?;
        Ok(())
    }
}
