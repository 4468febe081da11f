//! The production event store: MongoDB (a replica set, since appends are transactions).
//!
//! Collections: `events` (one document per event, `_id` = global position, unique
//! indexes on `(stream_id, version)` and `event_id`), `snapshots` (`_id` = stream),
//! `idempotency` (`_id` = key, written in the append's transaction) and `counters` (the
//! position counter).
//!
//! The one decision that matters: every append increments the position counter inside
//! its own multi-document transaction, as its first write. MongoDB lets one transaction
//! at a time write that document, so positions **commit in position order**, and an
//! aborted append rolls its increment back: `$all` has no holes and no event ever
//! commits beneath one a reader has already seen. `head` is then simply the committed
//! counter value. The price is that appends are serialised across all writers; within
//! this process they queue on a mutex instead of conflicting and retrying.
//! See docs/adr/011-mongo-global-position.md.

mod append;
mod connect;
mod counter;
pub mod documents;
mod errors;
mod head;
mod keys;
#[cfg(feature = "kafka")]
mod relay_checkpoint;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::bson::{Document, doc};
use mongodb::options::{CollectionOptions, ReadConcern, WriteConcern};
use mongodb::{Client, Collection, Cursor, Database};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

use crate::envelope::EventEnvelope;
use crate::snapshot::Snapshot;
use crate::store::{AppendRequest, EventStore, IdempotencyRecord, StoreError};
use crate::telemetry::names;
pub use connect::database_of;
use documents::{decode_event, decode_idempotency, decode_snapshot, snapshot_document};
use errors::{duplicate_key, unavailable};
pub use keys::{DATA_KEYS, MongoKeyStore};
#[cfg(feature = "kafka")]
pub use relay_checkpoint::{MongoRelayCheckpoint, RELAY_CHECKPOINTS};

/// Collection names, for tools that read the store directly (the relay, operators).
pub const EVENTS: &str = "events";
pub const SNAPSHOTS: &str = "snapshots";
pub const IDEMPOTENCY: &str = "idempotency";
pub const COUNTERS: &str = "counters";
/// The `_id` of the position counter in [`COUNTERS`]; its `value` is the last position.
pub use counter::ID as POSITION_COUNTER_ID;
/// The unique indexes of `events`, by name (duplicate-key errors are told apart by it).
const STREAM_VERSION_INDEX: &str = "stream_version";
const EVENT_ID_INDEX: &str = "event_id";

/// How long [`MongoEventStore::connect`] keeps retrying an unreachable server.
pub const DEFAULT_CONNECT_DEADLINE: Duration = Duration::from_secs(30);

/// Largest batch the server is asked for in one reply (it also caps replies at 16 MiB).
const MAX_BATCH: usize = 10_000;

pub struct MongoEventStore {
    client: Client,
    database: Database,
    collections: Collections,
    /// Serialises this process's appends. They would only conflict on the counter
    /// otherwise, each retry costing a round trip; queued, each one goes straight in.
    appends: Mutex<()>,
    head: Arc<watch::Sender<u64>>,
    follower: JoinHandle<()>,
}

/// The store's collections, all reading and writing at majority: an acknowledged append
/// survives a fail-over, and no reader sees anything a fail-over could take back.
struct Collections {
    events: Collection<Document>,
    snapshots: Collection<Document>,
    idempotency: Collection<Document>,
    counters: Collection<Document>,
}

impl Collections {
    fn of(db: &Database) -> Self {
        let options = CollectionOptions::builder()
            .read_concern(ReadConcern::majority())
            .write_concern(WriteConcern::majority())
            .build();
        let collection = |name: &str| db.collection_with_options(name, options.clone());
        Self {
            events: collection(EVENTS),
            snapshots: collection(SNAPSHOTS),
            idempotency: collection(IDEMPOTENCY),
            counters: collection(COUNTERS),
        }
    }
}

impl MongoEventStore {
    /// Connects to `url` and uses `database`, creating its indexes and counter if
    /// needed. An unreachable server is retried with backoff for
    /// [`DEFAULT_CONNECT_DEADLINE`]; the error then names the URL (password masked).
    pub async fn connect(url: &str, database: &str) -> Result<Self, StoreError> {
        Self::connect_within(url, database, DEFAULT_CONNECT_DEADLINE).await
    }

    /// [`connect`](Self::connect) with another retry deadline.
    pub async fn connect_within(
        url: &str,
        database: &str,
        deadline: Duration,
    ) -> Result<Self, StoreError> {
        let (client, database, last_position) = connect::connect(url, database, deadline).await?;
        let collections = Collections::of(&database);
        let head = Arc::new(watch::Sender::new(last_position));
        let follower = head::spawn(collections.counters.clone(), Arc::downgrade(&head));
        Ok(Self {
            client,
            database,
            collections,
            appends: Mutex::new(()),
            head,
            follower,
        })
    }

    /// The database, for components that tail it directly (the relay's change stream).
    pub fn database(&self) -> &Database {
        &self.database
    }

    async fn find_one(
        collection: &Collection<Document>,
        filter: Document,
    ) -> Result<Option<Document>, StoreError> {
        collection
            .find_one(filter)
            .await
            .map_err(|e| unavailable("read failed", &e))
    }
}

impl Drop for MongoEventStore {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

impl MongoEventStore {
    /// Up to `limit` events matching `filter`, in `sort` order.
    async fn find_events(
        &self,
        filter: Document,
        sort: Document,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let Some(limit) = limit_of(limit) else {
            return Ok(Vec::new());
        };
        let cursor = self
            .collections
            .events
            .find(filter)
            .sort(sort)
            .limit(limit)
            .batch_size(limit.min(MAX_BATCH as i64) as u32)
            .await
            .map_err(|e| unavailable("read failed", &e))?;
        decode_all(cursor).await
    }
}

/// Decodes every document of a cursor, in order.
async fn decode_all(mut cursor: Cursor<Document>) -> Result<Vec<EventEnvelope>, StoreError> {
    let mut events = Vec::new();
    while let Some(document) = cursor
        .try_next()
        .await
        .map_err(|e| unavailable("read failed", &e))?
    {
        events.push(decode_event(&document)?);
    }
    Ok(events)
}

/// A `find` limit: the driver reads 0 as "no limit", callers mean "nothing".
fn limit_of(limit: usize) -> Option<i64> {
    (limit > 0).then(|| limit.min(i64::MAX as usize) as i64)
}

#[async_trait]
impl EventStore for MongoEventStore {
    async fn append_atomically(
        &self,
        requests: Vec<AppendRequest>,
    ) -> Result<Vec<Vec<EventEnvelope>>, StoreError> {
        crate::store::validate_together(&requests)?;
        let payloads: Vec<Vec<String>> = requests
            .iter()
            .map(crate::seal::canonical_payloads)
            .collect();
        let _turn = self.appends.lock().await;
        let started = std::time::Instant::now();
        let appended = append::append(&self.client, &self.collections, &requests, &payloads).await;
        metrics::histogram!(names::APPEND_DURATION, "store" => "mongodb")
            .record(started.elapsed().as_secs_f64());
        metrics::histogram!(names::APPEND_BATCH, "store" => "mongodb")
            .record(requests.len() as f64);
        let appended = appended?;
        if let Some(last) = appended.iter().flatten().map(|e| e.position).max() {
            // Committed, and every position below it committed before: see `counter`.
            head::advance(&self.head, last);
        }
        Ok(appended)
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let filter = doc! { "stream_id": stream_id, "version": { "$gte": from_version as i64 } };
        self.find_events(filter, doc! { "version": 1 }, limit).await
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let filter = doc! { "_id": { "$gt": after_position as i64 } };
        self.find_events(filter, doc! { "_id": 1 }, limit).await
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// Replaces the stream's snapshot unless the stored one is newer. The filter only
    /// matches an older (or equal) snapshot; when a newer one exists the upsert's
    /// insert collides with its `_id`, which means "keep it".
    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        let filter =
            doc! { "_id": &snapshot.stream_id, "version": { "$lte": snapshot.version as i64 } };
        let mut fields = snapshot_document(&snapshot);
        fields.remove("_id");
        let update = doc! { "$set": fields };
        let snapshots = &self.collections.snapshots;
        let upserted = snapshots
            .update_one(filter.clone(), update.clone())
            .upsert(true)
            .await;
        match upserted {
            Ok(_) => Ok(()),
            // Either a newer snapshot is stored (keep it), or a concurrent first save
            // won the insert: update it if it is older, without upserting again.
            Err(error) if duplicate_key(&error).is_some() => snapshots
                .update_one(filter, update)
                .await
                .map(|_| ())
                .map_err(|e| unavailable("saving a snapshot failed", &e)),
            Err(error) => Err(unavailable("saving a snapshot failed", &error)),
        }
    }

    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        Self::find_one(&self.collections.snapshots, doc! { "_id": stream_id })
            .await?
            .map(|d| decode_snapshot(&d))
            .transpose()
    }

    async fn find_idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        Self::find_one(&self.collections.idempotency, doc! { "_id": key })
            .await?
            .map(|d| decode_idempotency(&d))
            .transpose()
    }
}
