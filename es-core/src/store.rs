//! The `EventStore` port: every backend (SQLite, in-memory, MongoDB) implements it and
//! passes the same contract suite (`testing::store_contract`).

use std::fmt;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::envelope::{EventEnvelope, EventMetadata, ProposedEvent};
use crate::snapshot::Snapshot;

/// Longest `aggregate_id` a store accepts (ids are UUIDs, dates or license numbers).
pub const MAX_AGGREGATE_ID_LEN: usize = 200;
/// Most events one append may carry.
pub const MAX_EVENTS_PER_APPEND: usize = 1_000;

/// The optimistic-concurrency expectation of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the stream's version (no concurrency check).
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last version must be exactly this (0 = the stream does not exist).
    Exact(u64),
}

impl ExpectedVersion {
    pub fn allows(self, current: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => current == 0,
            ExpectedVersion::Exact(expected) => current == expected,
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::Exact(v) => write!(f, "{v}"),
        }
    }
}

/// Events to append atomically to one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendRequest {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub expected: ExpectedVersion,
    pub events: Vec<ProposedEvent>,
    pub metadata: EventMetadata,
    /// Recorded atomically with the events, so a retried command is recognised even
    /// after a crash (DESIGN §5).
    pub idempotency: Option<IdempotencyKey>,
}

/// A client's idempotency key and a fingerprint of the request it came with (a reused
/// key with a different request is a client error, not a replay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: String,
}

/// What the store remembers of an append made with an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub key: String,
    pub fingerprint: String,
    pub stream_id: String,
    /// Version and position of the last event that append wrote.
    pub version: u64,
    pub position: u64,
}

/// Longest idempotency key a store accepts.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 200;

impl AppendRequest {
    pub fn stream_id(&self) -> String {
        crate::envelope::stream_id(&self.aggregate_type, &self.aggregate_id)
    }
}

/// Every way the store can refuse or fail. Each names the stream (and version) involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error(
        "concurrency conflict on {stream_id}: expected version {expected}, stream is at {actual}"
    )]
    Concurrency {
        stream_id: String,
        expected: ExpectedVersion,
        actual: u64,
    },
    #[error("invalid append to {stream_id}: {reason}")]
    InvalidAppend { stream_id: String, reason: String },
    #[error("stored event {stream_id} v{version} cannot be decoded: {reason}")]
    Corrupt {
        stream_id: String,
        version: u64,
        reason: String,
    },
    #[error("hash chain broken at {stream_id} v{version}: expected {expected}, found {found}")]
    ChainBroken {
        stream_id: String,
        version: u64,
        expected: String,
        found: String,
    },
    #[error("idempotency key `{}` was already used (for {})", .0.key, .0.stream_id)]
    IdempotencyKeyUsed(Box<IdempotencyRecord>),
    #[error("event store unavailable: {0}")]
    Unavailable(String),
}

/// The port. Reads return events exactly as stored (no upcasting: see `upcast`).
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends all events or none. On success the returned envelopes are durable.
    async fn append(&self, request: AppendRequest) -> Result<Vec<EventEnvelope>, StoreError> {
        let mut appended = self.append_atomically(vec![request]).await?;
        Ok(appended.pop().unwrap_or_default())
    }

    /// Appends to several streams in one transaction: every request or none, each
    /// checked against its own expected version, idempotency key and event ids, with
    /// positions following the order of `requests`. Returns each request's envelopes,
    /// in that order. A stream may appear only once (see [`validate_together`]).
    ///
    /// This is how a decision that spans aggregates stays one fact: a booking and the
    /// resource schedule it reserves land together or not at all (ADR 016).
    async fn append_atomically(
        &self,
        requests: Vec<AppendRequest>,
    ) -> Result<Vec<Vec<EventEnvelope>>, StoreError>;

    /// Up to `limit` events of one stream, from `from_version` (inclusive) on.
    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError>;

    /// Up to `limit` events of `$all` with a position greater than `after_position`.
    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError>;

    /// The highest position that readers of `$all` can see, updated after every commit.
    /// Every event at or below it is readable: no later commit lands beneath it.
    fn head(&self) -> watch::Receiver<u64>;

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError>;

    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError>;

    /// The append recorded under an idempotency key, if any.
    async fn find_idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// The file of a store kept in one local file (the embedded store): audits open it
    /// read-only and read rows as stored, a faster path than the port (`audit::Source`).
    /// `None` for a store behind a server.
    fn local_file(&self) -> Option<&std::path::Path> {
        None
    }
}

/// Checks what every backend must refuse in an atomic append before it touches
/// storage: each request on its own ([`validate`]), at least one request, and no
/// stream or event id twice (a stream's expected version could not mean anything for
/// its second request).
pub fn validate_together(requests: &[AppendRequest]) -> Result<(), StoreError> {
    let Some(first) = requests.first() else {
        return Err(StoreError::InvalidAppend {
            stream_id: String::new(),
            reason: "no streams to append to".into(),
        });
    };
    let mut streams = std::collections::HashSet::new();
    let mut event_ids = std::collections::HashSet::new();
    for request in requests {
        validate(request)?;
        let stream_id = request.stream_id();
        if !streams.insert(stream_id.clone()) {
            return Err(StoreError::InvalidAppend {
                stream_id,
                reason: "the stream appears twice in one atomic append".into(),
            });
        }
        if let Some(event) = request
            .events
            .iter()
            .find(|e| !event_ids.insert(e.event_id))
        {
            return Err(StoreError::InvalidAppend {
                stream_id,
                reason: format!("event id {} is repeated", event.event_id),
            });
        }
    }
    let events: usize = requests.iter().map(|r| r.events.len()).sum();
    if events > MAX_EVENTS_PER_APPEND {
        return Err(StoreError::InvalidAppend {
            stream_id: first.stream_id(),
            reason: format!("more than {MAX_EVENTS_PER_APPEND} events in one append"),
        });
    }
    Ok(())
}

/// Checks what every backend must refuse before it touches storage.
pub fn validate(request: &AppendRequest) -> Result<(), StoreError> {
    let invalid = |reason: String| StoreError::InvalidAppend {
        stream_id: request.stream_id(),
        reason,
    };
    let type_ok = !request.aggregate_type.is_empty()
        && request
            .aggregate_type
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_');
    if !type_ok {
        return Err(invalid(
            "aggregate_type must be lower-case letters and `_`".into(),
        ));
    }
    if request.aggregate_id.trim().is_empty() {
        return Err(invalid("aggregate_id is empty".into()));
    }
    if request.aggregate_id.len() > MAX_AGGREGATE_ID_LEN {
        return Err(invalid(format!(
            "aggregate_id is longer than {MAX_AGGREGATE_ID_LEN} bytes"
        )));
    }
    if let Some(idempotency) = &request.idempotency {
        let key = idempotency.key.trim();
        if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
            return Err(invalid(format!(
                "idempotency key must have 1 to {MAX_IDEMPOTENCY_KEY_LEN} bytes"
            )));
        }
    }
    if request.events.is_empty() {
        return Err(invalid("no events to append".into()));
    }
    if request.events.len() > MAX_EVENTS_PER_APPEND {
        return Err(invalid(format!(
            "more than {MAX_EVENTS_PER_APPEND} events in one append"
        )));
    }
    for (i, event) in request.events.iter().enumerate() {
        if event.event_type.trim().is_empty() {
            return Err(invalid(format!("events[{i}].event_type is empty")));
        }
        if event.schema_version == 0 {
            return Err(invalid(format!("events[{i}].schema_version must be >= 1")));
        }
        if !event.payload.is_object() {
            return Err(invalid(format!("events[{i}].payload is not a JSON object")));
        }
        if request.events[..i]
            .iter()
            .any(|other| other.event_id == event.event_id)
        {
            return Err(invalid(format!("events[{i}].event_id is repeated")));
        }
    }
    Ok(())
}
