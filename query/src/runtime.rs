//! Wiring the es-core projector runtime to the read-model database and to the command
//! service's event stream.

use std::sync::Arc;

use async_trait::async_trait;
use contracts::v1::event_stream_client::EventStreamClient;
use contracts::v1::{self, HeadPositionRequest, SubscribeRequest};
use es_core::projection::{
    ApplyError, BatchReport, Checkpoint, EventSource, ProjectionTarget, SourceError,
};
use es_core::{Actor, EventEnvelope, Hash};
use futures::StreamExt;
use futures::stream::BoxStream;
use identity::TokenSource;
use tokio::sync::watch;
use tonic::transport::Channel;

use crate::store::{DbError, Members, ReadModelStore, SwapWhen};

/// Runs blocking store work (SQLite, or waiting for SQL Server) without stalling the async workers: `block_in_place` on a
/// multi-thread runtime (no copy of the batch), inline on a current-thread one.
pub(crate) fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// A database that cannot be reached or written (disk full, I/O, busy) is transient:
/// the runtime waits for it and parks nothing; anything else is the events' fault.
fn apply_error(error: DbError) -> ApplyError {
    match error {
        DbError::Unavailable(_) => ApplyError::transient(error.to_string()),
        _ => ApplyError::new(error.to_string()),
    }
}

/// The live read models (every projection's active generation), or a rebuild's shadow
/// generations, as a target for the projector runtime.
pub struct ReadModelTarget {
    db: ReadModelStore,
    members: Members,
    /// For a rebuild: told `true` once every shadow member has been switched in.
    done: Option<watch::Sender<bool>>,
    /// For a rebuild: when its generations replace the live ones.
    swap: SwapWhen,
}

impl ReadModelTarget {
    pub fn live(db: impl Into<ReadModelStore>) -> Self {
        Self {
            db: db.into(),
            members: Members::Active,
            done: None,
            swap: SwapWhen::CaughtUp,
        }
    }

    /// A rebuild of `members` (from `begin_rebuild`), switched in as `swap` says;
    /// `done` turns true when the rebuilt generations have replaced the old ones.
    pub fn rebuild(
        db: impl Into<ReadModelStore>,
        members: Members,
        swap: SwapWhen,
        done: watch::Sender<bool>,
    ) -> Self {
        Self {
            db: db.into(),
            members,
            done: Some(done),
            swap,
        }
    }
}

#[async_trait]
impl ProjectionTarget for ReadModelTarget {
    async fn checkpoint(&mut self) -> Result<Checkpoint, ApplyError> {
        blocking(|| self.db.checkpoint(&self.members)).map_err(apply_error)
    }

    async fn apply(&mut self, events: &[EventEnvelope]) -> Result<BatchReport, ApplyError> {
        let report = blocking(|| self.db.apply(&self.members, events)).map_err(apply_error)?;
        if let Some(done) = &self.done {
            self.members =
                blocking(|| self.db.try_swap(&self.members, self.swap)).map_err(apply_error)?;
            if matches!(&self.members, Members::Shadow(left) if left.is_empty()) {
                done.send_replace(true);
            }
        }
        Ok(report)
    }

    async fn park(
        &mut self,
        event: &EventEnvelope,
        reason: &str,
        attempts: u32,
    ) -> Result<(), ApplyError> {
        blocking(|| self.db.park(&self.members, event, reason, attempts)).map_err(apply_error)
    }
}

/// The command service's `EventStream` over gRPC: the embedded event bus. The query
/// service subscribes as itself: a service identity's token from `tokens`.
pub struct GrpcEventSource {
    channel: Channel,
    tokens: TokenSource,
}

impl GrpcEventSource {
    pub fn new(channel: Channel, tokens: TokenSource) -> Self {
        Self { channel, tokens }
    }
}

#[async_trait]
impl EventSource for GrpcEventSource {
    async fn subscribe(
        &self,
        after_position: u64,
    ) -> Result<BoxStream<'static, Result<EventEnvelope, SourceError>>, SourceError> {
        let mut client = EventStreamClient::new(self.channel.clone());
        let request = self
            .tokens
            .authorize(tonic::Request::new(SubscribeRequest {
                after_position,
                aggregate_types: Vec::new(),
            }))
            .await
            .map_err(|e| SourceError(e.to_string()))?;
        let stream = client
            .subscribe(request)
            .await
            .map_err(|s| SourceError(format!("subscribe failed: {}", s.message())))?
            .into_inner();
        Ok(stream
            .map(|item| {
                item.map_err(|s| SourceError(s.message().to_owned()))
                    .and_then(from_proto)
            })
            .boxed())
    }

    async fn head(&self) -> Result<u64, SourceError> {
        let mut client = EventStreamClient::new(self.channel.clone());
        let request = self
            .tokens
            .authorize(tonic::Request::new(HeadPositionRequest {}))
            .await
            .map_err(|e| SourceError(e.to_string()))?;
        client
            .head_position(request)
            .await
            .map(|r| r.into_inner().position)
            .map_err(|s| SourceError(s.message().to_owned()))
    }

    /// The command service answers its store's head.
    fn head_is_the_logs(&self) -> bool {
        true
    }

    /// The first event of a subscription from just before `position`: the event
    /// stream checks it against its hash on the way out, like every event it sends.
    async fn hash_at(&self, position: u64) -> Result<Option<Hash>, SourceError> {
        let Some(before) = position.checked_sub(1) else {
            return Ok(None);
        };
        let mut events = self.subscribe(before).await?;
        let first = tokio::time::timeout(HASH_AT_TIMEOUT, events.next())
            .await
            .map_err(|_| SourceError(format!("no answer for the event at position {position}")))?;
        match first {
            Some(event) => Ok(Some(event?)
                .filter(|e| e.position == position)
                .map(|e| e.hash)),
            None => Ok(None),
        }
    }
}

/// How long the event at a checkpoint may take to arrive.
const HASH_AT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// An envelope off the wire. A field that does not parse is an error of the source
/// (the command service sent something it should not have), not of a projection.
pub fn from_proto(e: v1::EventEnvelope) -> Result<EventEnvelope, SourceError> {
    let bad = |field: &str, reason: String| {
        SourceError(format!(
            "envelope at position {} has a bad {field}: {reason}",
            e.position
        ))
    };
    let time = |field: &str, text: &str| es_core::time::parse(text).map_err(|r| bad(field, r));
    let actor = e.actor.clone().unwrap_or_default();
    Ok(EventEnvelope {
        event_id: e
            .event_id
            .parse()
            .map_err(|_| bad("event_id", e.event_id.clone()))?,
        occurred_at: time("occurred_at", &e.occurred_at)?,
        recorded_at: time("recorded_at", &e.recorded_at)?,
        payload: serde_json::from_str(&e.payload_json)
            .map_err(|r| bad("payload_json", r.to_string()))?,
        prev_hash: Hash::from_hex(&e.prev_hash).map_err(|r| bad("prev_hash", r))?,
        hash: Hash::from_hex(&e.hash).map_err(|r| bad("hash", r))?,
        actor: Actor::new(actor.subject, actor.role),
        traceparent: (!e.traceparent.is_empty()).then_some(e.traceparent),
        stream_id: e.stream_id,
        aggregate_type: e.aggregate_type,
        aggregate_id: e.aggregate_id,
        version: e.version,
        position: e.position,
        event_type: e.event_type,
        schema_version: e.schema_version,
        correlation_id: e.correlation_id,
        causation_id: e.causation_id,
    })
}

/// The source of rebuilds and of tests that run next to a local store.
pub fn store_source(store: Arc<dyn es_core::EventStore>) -> Arc<dyn EventSource> {
    Arc::new(es_core::projection::StoreSource(store))
}
