//! One append (to one stream, or atomically to several): a transaction that takes
//! positions from the counter, checks the rules, seals and inserts, retried while it
//! conflicts with another writer's transaction.
//!
//! The rules are checked in the order the SQLite store checks them — idempotency key,
//! expected version, then reused event ids (left to the unique index) — so both
//! backends refuse the same request with the same error.

use std::time::Duration;

use mongodb::bson::{Document, doc};
use mongodb::options::{ReadConcern, WriteConcern};
use mongodb::{Client, ClientSession, Collection};
use tokio::time::Instant;

use super::documents::{decode_idempotency, event_document, idempotency_document};
use super::errors::{duplicate_key, is_transient, is_unknown_commit_result, unavailable};
use super::{Collections, EVENT_ID_INDEX, IDEMPOTENCY, counter};
use crate::envelope::{EventEnvelope, now};
use crate::hash::Hash;
use crate::seal::{StreamHead, seal};
use crate::store::{AppendRequest, IdempotencyRecord, StoreError};
use crate::time;

/// How long an append keeps retrying while other writers' transactions hold the
/// counter. A writer that died mid-transaction holds it until the server aborts that
/// transaction (`transactionLifetimeLimitSeconds`, 60 s by default).
const APPEND_DEADLINE: Duration = Duration::from_secs(10);
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(2);
const MAX_RETRY_DELAY: Duration = Duration::from_millis(200);
/// Commits whose outcome the driver could not learn, retried (a commit is idempotent).
const COMMIT_RETRIES: u32 = 3;

/// Why one transaction produced no events.
enum Failure {
    /// The store's answer (a refusal, a corrupt stream head): returned as it is.
    Store(StoreError),
    /// The driver failed; what it means is decided after the transaction is over.
    Driver(mongodb::error::Error),
}

impl From<mongodb::error::Error> for Failure {
    fn from(error: mongodb::error::Error) -> Self {
        Failure::Driver(error)
    }
}

/// Appends `requests` in one transaction (already validated together; `payloads` are
/// their canonical payloads) and returns each request's committed envelopes.
pub(super) async fn append(
    client: &Client,
    collections: &Collections,
    requests: &[AppendRequest],
    payloads: &[Vec<String>],
) -> Result<Vec<Vec<EventEnvelope>>, StoreError> {
    let deadline = Instant::now() + APPEND_DEADLINE;
    let mut delay = FIRST_RETRY_DELAY;
    loop {
        let mut session = client
            .start_session()
            .await
            .map_err(|e| unavailable("cannot start a session", &e))?;
        let error = match run_once(&mut session, collections, requests, payloads).await {
            Ok(events) => return Ok(events),
            Err(Failure::Store(error)) => return Err(error),
            Err(Failure::Driver(error)) => error,
        };
        if !is_transient(&error) {
            return Err(explain(collections, requests, &error).await);
        }
        if Instant::now() >= deadline {
            return Err(StoreError::Unavailable(format!(
                "append to {} kept conflicting with other writers for {APPEND_DEADLINE:?}: {error}",
                streams(requests)
            )));
        }
        tokio::time::sleep(jittered(delay)).await;
        delay = (delay * 2).min(MAX_RETRY_DELAY);
    }
}

/// Half the delay plus a random part of the other half, so writers that conflicted once
/// do not collide again in lockstep.
fn jittered(delay: Duration) -> Duration {
    let half = delay / 2;
    half + half.mul_f64(rand::random::<f64>())
}

/// The streams of an append, for messages.
fn streams(requests: &[AppendRequest]) -> String {
    requests
        .iter()
        .map(AppendRequest::stream_id)
        .collect::<Vec<_>>()
        .join(" and ")
}

async fn run_once(
    session: &mut ClientSession,
    collections: &Collections,
    requests: &[AppendRequest],
    payloads: &[Vec<String>],
) -> Result<Vec<Vec<EventEnvelope>>, Failure> {
    session
        .start_transaction()
        .read_concern(ReadConcern::snapshot())
        .write_concern(WriteConcern::majority())
        .await?;
    match write(session, collections, requests, payloads).await {
        Ok(events) => {
            commit(session).await?;
            Ok(events)
        }
        Err(failure) => {
            // The server may have aborted it already (a write error does); either way
            // nothing of it stays, and the counter increment goes with it.
            let _ = session.abort_transaction().await;
            Err(failure)
        }
    }
}

/// Everything the transaction writes, the counter first: see `counter`.
async fn write(
    session: &mut ClientSession,
    collections: &Collections,
    requests: &[AppendRequest],
    payloads: &[Vec<String>],
) -> Result<Vec<Vec<EventEnvelope>>, Failure> {
    let count = requests.iter().map(|r| r.events.len() as u64).sum();
    let mut next_position = counter::take(&collections.counters, session, count)
        .await?
        .ok_or_else(|| {
            Failure::Store(StoreError::Unavailable(
                "the position counter document is missing".into(),
            ))
        })?;
    let recorded_at = now();
    let mut appended = Vec::with_capacity(requests.len());
    for (request, payloads) in requests.iter().zip(payloads) {
        let events = write_one(
            session,
            collections,
            request.clone(),
            payloads.clone(),
            next_position,
            recorded_at,
        )
        .await?;
        next_position += events.len() as u64;
        appended.push(events);
    }
    Ok(appended)
}

/// One request's events and idempotency record, at positions from `first_position`.
async fn write_one(
    session: &mut ClientSession,
    collections: &Collections,
    request: AppendRequest,
    payloads: Vec<String>,
    first_position: u64,
    recorded_at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<EventEnvelope>, Failure> {
    let idempotency = request.idempotency.clone();
    if let Some(key) = &idempotency {
        refuse_used_key(session, collections, &key.key).await?;
    }
    let stream_id = request.stream_id();
    let head = stream_head(&collections.events, Some(&mut *session), &stream_id).await?;
    let sealed =
        seal(request, payloads, head, first_position, recorded_at).map_err(Failure::Store)?;
    collections
        .events
        .insert_many(sealed.iter().map(event_document))
        .session(&mut *session)
        .await?;
    let envelopes: Vec<EventEnvelope> = sealed.into_iter().map(|s| s.envelope).collect();
    if let (Some(key), Some(last)) = (idempotency, envelopes.last()) {
        let record = IdempotencyRecord {
            key: key.key,
            fingerprint: key.fingerprint,
            stream_id: last.stream_id.clone(),
            version: last.version,
            position: last.position,
        };
        let document = idempotency_document(&record, &time::format(&recorded_at));
        collections
            .idempotency
            .insert_one(document)
            .session(&mut *session)
            .await?;
    }
    Ok(envelopes)
}

/// `IdempotencyKeyUsed` when the key is already recorded (in this transaction's view).
async fn refuse_used_key(
    session: &mut ClientSession,
    collections: &Collections,
    key: &str,
) -> Result<(), Failure> {
    let found = collections
        .idempotency
        .find_one(doc! { "_id": key })
        .session(session)
        .await?;
    match found {
        None => Ok(()),
        Some(found) => {
            let record = decode_idempotency(&found).map_err(Failure::Store)?;
            Err(Failure::Store(StoreError::IdempotencyKeyUsed(Box::new(
                record,
            ))))
        }
    }
}

async fn commit(session: &mut ClientSession) -> Result<(), mongodb::error::Error> {
    let mut attempts = 0;
    loop {
        match session.commit_transaction().await {
            Err(error) if is_unknown_commit_result(&error) && attempts < COMMIT_RETRIES => {
                attempts += 1;
                tokio::time::sleep(FIRST_RETRY_DELAY * 10).await;
            }
            result => return result,
        }
    }
}

/// The last event of a stream (version 0 and the zero hash when there is none), read
/// in the append's transaction or, with no session, as committed.
async fn stream_head(
    events: &Collection<Document>,
    session: Option<&mut ClientSession>,
    stream_id: &str,
) -> Result<StreamHead, Failure> {
    let find = events
        .find_one(doc! { "stream_id": stream_id })
        .sort(doc! { "version": -1 })
        .projection(doc! { "version": 1, "hash": 1 });
    let found = match session {
        Some(session) => find.session(session).await?,
        None => find.await?,
    };
    let Some(found) = found else {
        return Ok(StreamHead::default());
    };
    let version = super::documents::integer(found.get("version")).unwrap_or(0);
    let corrupt = |reason: String| {
        Failure::Store(StoreError::Corrupt {
            stream_id: stream_id.to_owned(),
            version: version.max(0) as u64,
            reason: format!("field hash: {reason}"),
        })
    };
    let hash = found
        .get_str("hash")
        .map_err(|e| corrupt(e.to_string()))
        .and_then(|hex| Hash::from_hex(hex).map_err(corrupt))?;
    Ok(StreamHead {
        version: version.max(0) as u64,
        hash,
    })
}

/// What a failed transaction means for the caller. A unique index refusing a write is
/// a rule, not an outage: the idempotency key's index means the key was used, the
/// event id's index a reused event id, and any other index of the events (stream and
/// version, or position) a concurrent writer — the store's concurrency error.
async fn explain(
    collections: &Collections,
    requests: &[AppendRequest],
    error: &mongodb::error::Error,
) -> StoreError {
    let streams = streams(requests);
    if is_unknown_commit_result(error) {
        return unavailable(
            &format!("append to {streams} may or may not have committed"),
            error,
        );
    }
    let Some(duplicate) = duplicate_key(error) else {
        return unavailable(&format!("append to {streams} failed"), error);
    };
    let explained = if duplicate.collection == IDEMPOTENCY {
        key_used(collections, requests).await
    } else if duplicate.index == EVENT_ID_INDEX {
        event_id_stored(collections, requests).await
    } else {
        concurrency(collections, requests).await
    };
    explained.unwrap_or_else(|failure| match failure {
        Failure::Store(error) => error,
        Failure::Driver(e) => unavailable(&format!("append to {streams} failed"), &e),
    })
}

async fn key_used(
    collections: &Collections,
    requests: &[AppendRequest],
) -> Result<StoreError, Failure> {
    let keys: Vec<&str> = requests
        .iter()
        .filter_map(|r| r.idempotency.as_ref().map(|k| k.key.as_str()))
        .collect();
    for key in &keys {
        let found = collections
            .idempotency
            .find_one(doc! { "_id": *key })
            .await?;
        if let Some(found) = found {
            let record = decode_idempotency(&found).map_err(Failure::Store)?;
            return Ok(StoreError::IdempotencyKeyUsed(Box::new(record)));
        }
    }
    Ok(StoreError::Unavailable(format!(
        "idempotency key `{}` was refused as a duplicate but is not stored",
        keys.join("`, `")
    )))
}

async fn event_id_stored(
    collections: &Collections,
    requests: &[AppendRequest],
) -> Result<StoreError, Failure> {
    let ids: Vec<String> = requests
        .iter()
        .flat_map(|r| r.events.iter())
        .map(|e| e.event_id.to_string())
        .collect();
    let found = collections
        .events
        .find_one(doc! { "event_id": { "$in": &ids } })
        .projection(doc! { "event_id": 1, "stream_id": 1 })
        .await?;
    let id = found
        .as_ref()
        .and_then(|d| d.get_str("event_id").ok())
        .map_or_else(|| ids.join(", "), str::to_owned);
    let stream_id = requests
        .iter()
        .find(|r| r.events.iter().any(|e| e.event_id.to_string() == id))
        .unwrap_or(&requests[0])
        .stream_id();
    Ok(StoreError::InvalidAppend {
        stream_id,
        reason: format!("event id {id} is already stored"),
    })
}

/// The concurrency error of the first request whose stream is no longer where it
/// expected (the first request's, if every stream still looks as expected).
async fn concurrency(
    collections: &Collections,
    requests: &[AppendRequest],
) -> Result<StoreError, Failure> {
    let mut first = None;
    for request in requests {
        let stream_id = request.stream_id();
        let head = stream_head(&collections.events, None, &stream_id).await?;
        let error = StoreError::Concurrency {
            stream_id,
            expected: request.expected,
            actual: head.version,
        };
        if !request.expected.allows(head.version) {
            return Ok(error);
        }
        first.get_or_insert(error);
    }
    first.ok_or_else(|| Failure::Store(StoreError::Unavailable("an append without streams".into())))
}
