//! The `EventStream` gRPC service: the embedded event bus. Consumers (the query
//! service's projectors) subscribe from a global position and receive history, then
//! live events, as envelopes (DESIGN §2).
//!
//! Personal data leaves opened (ADR 010): a sealed `personal_data` is sent in clear
//! while its key exists and as `null` once it is erased, every other field as stored.
//! So read models, and rebuilds of them after an erasure, never see erased data. The
//! `hash` still is the stored one, over the sealed bytes: consumers do not verify
//! chains (auditors do, on the store). A sealed value that does not open (tampered) is
//! sent as stored, and logged: the projector parks it as a dead letter; a key store
//! that cannot be reached ends the stream with `UNAVAILABLE` (consumers resubscribe).

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;

use contracts::v1::event_stream_server::EventStream;
use contracts::v1::{self, HeadPositionReply, HeadPositionRequest, SubscribeRequest};
use es_core::subscription::{DEFAULT_BATCH, subscribe};
use es_core::{EventEnvelope, EventStore, Vault, VaultError};
use futures::{Stream, StreamExt};
use tokio::sync::watch;
use tonic::{Request, Response, Status};

use crate::error::AppError;
use crate::shared::FieldError;
use crate::stopping::Stopping;

pub struct EventStreamService {
    store: Arc<dyn EventStore>,
    vault: Option<Arc<Vault>>,
    /// Every open subscription ends when the service stops, so a graceful stop never
    /// waits on a subscriber that would listen forever.
    stopping: Stopping,
}

impl EventStreamService {
    /// Streams `store`, opening personal data with `vault` (without one, payloads go
    /// out as stored).
    pub fn new(store: Arc<dyn EventStore>, vault: Option<Arc<Vault>>) -> Self {
        Self {
            store,
            vault,
            stopping: Stopping::default(),
        }
    }

    /// Ends every subscription once `stopping` turns true.
    pub fn until(mut self, stopping: watch::Receiver<bool>) -> Self {
        self.stopping = stopping.into();
        self
    }
}

/// The envelope as consumers get it: personal data opened, or `null` once erased —
/// after checking it is the event that was appended. An event whose bytes no longer
/// match its hash (altered in the store) ends the stream with `DATA_LOSS` naming it:
/// no read model, live or rebuilt, ever holds an altered value, and the projections
/// report the alarm until an operator has looked (`pitlane audit verify`).
async fn opened(vault: Option<&Vault>, mut event: EventEnvelope) -> Result<EventEnvelope, Status> {
    if es_core::hash::compute_hash(&event) != event.hash {
        tracing::error!(
            stream_id = %event.stream_id,
            version = event.version,
            position = event.position,
            "integrity alarm: a stored event does not match its hash; not sent"
        );
        return Err(Status::data_loss(format!(
            "integrity alarm: {} v{} (position {}) does not match its hash: the stored event \
             was altered; run `pitlane audit verify`",
            event.stream_id, event.version, event.position
        )));
    }
    let Some(vault) = vault else {
        return Ok(event);
    };
    match vault.open_envelope(&mut event).await {
        Ok(()) => Ok(event),
        Err(VaultError::Unavailable(cause)) => Err(Status::from(AppError::Unavailable(cause))),
        Err(error) => {
            tracing::error!(
                stream_id = %event.stream_id,
                version = event.version,
                %error,
                "sealed personal data does not open; sent as stored"
            );
            Ok(event)
        }
    }
}

type EnvelopeStream = Pin<Box<dyn Stream<Item = Result<v1::EventEnvelope, Status>> + Send>>;

#[tonic::async_trait]
impl EventStream for EventStreamService {
    type SubscribeStream = EnvelopeStream;

    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let request = request.into_inner();
        let wanted = aggregate_types(request.aggregate_types).map_err(AppError::from)?;
        let events = subscribe(self.store.clone(), request.after_position, DEFAULT_BATCH)
            .filter(move |event| {
                let keep = match event {
                    Ok(e) => wanted.is_empty() || wanted.contains(&e.aggregate_type),
                    Err(_) => true,
                };
                std::future::ready(keep)
            })
            .then({
                let vault = self.vault.clone();
                move |event| {
                    let vault = vault.clone();
                    async move {
                        let event = event.map_err(|error| Status::from(AppError::from(error)))?;
                        opened(vault.as_deref(), event).await.map(|e| to_proto(&e))
                    }
                }
            });
        Ok(Response::new(Box::pin(self.stopping.bound(events))))
    }

    async fn head_position(
        &self,
        _: Request<HeadPositionRequest>,
    ) -> Result<Response<HeadPositionReply>, Status> {
        let position = *self.store.head().borrow();
        let storage = self.store.local_file().map(|file| {
            let (database_bytes, wal_bytes) = es_core::sqlite::storage_of(file);
            v1::StorageStatus {
                database_bytes,
                wal_bytes,
            }
        });
        Ok(Response::new(HeadPositionReply { position, storage }))
    }
}

fn aggregate_types(raw: Vec<String>) -> Result<HashSet<String>, FieldError> {
    raw.into_iter()
        .map(|t| {
            let ok = !t.is_empty() && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            if ok {
                Ok(t)
            } else {
                Err(FieldError::new(
                    "aggregate_types",
                    format!("`{t}` is not an aggregate type (lower-case letters and `_`)"),
                ))
            }
        })
        .collect()
}

/// The envelope on the wire: every field of DESIGN §3, payload as JSON text.
pub fn to_proto(e: &EventEnvelope) -> v1::EventEnvelope {
    v1::EventEnvelope {
        event_id: e.event_id.to_string(),
        stream_id: e.stream_id.clone(),
        aggregate_type: e.aggregate_type.clone(),
        aggregate_id: e.aggregate_id.clone(),
        version: e.version,
        position: e.position,
        event_type: e.event_type.clone(),
        schema_version: e.schema_version,
        occurred_at: es_core::time::format(&e.occurred_at),
        recorded_at: es_core::time::format(&e.recorded_at),
        correlation_id: e.correlation_id.clone(),
        causation_id: e.causation_id.clone(),
        actor: Some(v1::Actor {
            subject: e.actor.subject.clone(),
            role: e.actor.role.clone(),
        }),
        traceparent: e.traceparent.clone().unwrap_or_default(),
        payload_json: es_core::hash::canonical_json(&e.payload),
        prev_hash: e.prev_hash.to_hex(),
        hash: e.hash.to_hex(),
    }
}
