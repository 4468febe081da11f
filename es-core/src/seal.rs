//! Sealing: turning an append request into envelopes with versions, positions and
//! hashes. Every backend calls this inside its write critical section, with the stream
//! head it just read, so the chain is computed one way everywhere.

use chrono::{DateTime, Utc};

use crate::envelope::EventEnvelope;
use crate::hash::{Hash, canonical_json, compute_hash_with_payload};
use crate::store::{AppendRequest, StoreError};

/// The last event of a stream as the store sees it (version 0 and zero hash if empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamHead {
    pub version: u64,
    pub hash: Hash,
}

/// An envelope ready to store, with its payload already in canonical JSON (the form
/// both the hash and the stores use).
#[derive(Debug, Clone)]
pub struct SealedEvent {
    pub envelope: EventEnvelope,
    pub canonical_payload: String,
}

/// The canonical JSON of each event's payload. Stores compute it before entering their
/// write critical section, so the serial part of an append stays short.
pub fn canonical_payloads(request: &AppendRequest) -> Vec<String> {
    request
        .events
        .iter()
        .map(|event| canonical_json(&event.payload))
        .collect()
}

/// Checks the expected version against `head` and seals the events, numbering positions
/// from `first_position`. The request must already have passed `store::validate`, and
/// `payloads` be its [`canonical_payloads`].
pub fn seal(
    request: AppendRequest,
    payloads: Vec<String>,
    head: StreamHead,
    first_position: u64,
    recorded_at: DateTime<Utc>,
) -> Result<Vec<SealedEvent>, StoreError> {
    let stream_id = request.stream_id();
    if !request.expected.allows(head.version) {
        return Err(StoreError::Concurrency {
            stream_id,
            expected: request.expected,
            actual: head.version,
        });
    }
    let mut prev_hash = head.hash;
    let mut sealed = Vec::with_capacity(request.events.len());
    for (i, (event, canonical_payload)) in request.events.into_iter().zip(payloads).enumerate() {
        let mut envelope = EventEnvelope {
            event_id: event.event_id,
            stream_id: stream_id.clone(),
            aggregate_type: request.aggregate_type.clone(),
            aggregate_id: request.aggregate_id.clone(),
            version: head.version + 1 + i as u64,
            position: first_position + i as u64,
            event_type: event.event_type,
            schema_version: event.schema_version,
            occurred_at: event.occurred_at,
            recorded_at,
            correlation_id: request.metadata.correlation_id.clone(),
            causation_id: request.metadata.causation_id.clone(),
            actor: request.metadata.actor.clone(),
            traceparent: request.metadata.traceparent.clone(),
            payload: event.payload,
            prev_hash,
            hash: Hash::ZERO,
        };
        envelope.hash = compute_hash_with_payload(&envelope, &canonical_payload);
        prev_hash = envelope.hash;
        sealed.push(SealedEvent {
            envelope,
            canonical_payload,
        });
    }
    Ok(sealed)
}
