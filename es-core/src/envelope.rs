//! The event envelope of DESIGN §3: what every stored and published event carries.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::hash::Hash;

/// A stored event: the domain payload wrapped in everything an auditor, a consumer or an
/// operator needs. Stores return exactly what they stored; upcasting happens on a copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    pub event_id: Uuid,
    /// `{aggregate_type}-{aggregate_id}`.
    pub stream_id: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// Position in its stream, 1-based and gapless.
    pub version: u64,
    /// Global position assigned by the store: the `$all` order.
    pub position: u64,
    /// Dotted, versioned name, e.g. `delivery.status_changed.v1`.
    pub event_type: String,
    pub schema_version: u32,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub correlation_id: String,
    pub causation_id: String,
    pub actor: Actor,
    pub traceparent: Option<String>,
    /// The event's own fields; always a JSON object.
    pub payload: Value,
    pub prev_hash: Hash,
    pub hash: Hash,
}

impl EventEnvelope {
    /// The consistency token a command reply carries for this event (DESIGN §6).
    pub fn token(&self) -> ConsistencyToken {
        ConsistencyToken {
            stream_id: self.stream_id.clone(),
            version: self.version,
            position: self.position,
        }
    }
}

/// Who issued the command that produced an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Actor {
    pub subject: String,
    pub role: String,
}

impl Actor {
    pub fn new(subject: impl Into<String>, role: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            role: role.into(),
        }
    }

    /// The actor of work the platform does on its own (replays, demo data, benchmarks).
    pub fn system() -> Self {
        Self::new("pitlane", "system")
    }
}

/// Request metadata that flows into every envelope a command appends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    pub correlation_id: String,
    /// The command (or event) id that caused the appended events.
    pub causation_id: String,
    pub actor: Actor,
    pub traceparent: Option<String>,
}

impl EventMetadata {
    /// Metadata for work that starts inside the platform: fresh correlation and causation ids.
    pub fn system() -> Self {
        let id = Uuid::now_v7().to_string();
        Self {
            correlation_id: id.clone(),
            causation_id: id,
            actor: Actor::system(),
            traceparent: None,
        }
    }
}

/// An event an aggregate decided, not yet given a version, position or hash by a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub occurred_at: DateTime<Utc>,
    pub payload: Value,
}

impl ProposedEvent {
    /// A new event with a fresh UUID v7 id; `occurred_at` is truncated to the microsecond
    /// precision every backend can store exactly (the hash covers it).
    pub fn new(
        event_type: impl Into<String>,
        schema_version: u32,
        payload: Value,
        occurred_at: DateTime<Utc>,
    ) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version,
            occurred_at: occurred_at.trunc_subsecs(6),
            payload,
        }
    }
}

/// `stream_id` of an aggregate instance.
pub fn stream_id(aggregate_type: &str, aggregate_id: &str) -> String {
    format!("{aggregate_type}-{aggregate_id}")
}

/// Where a write landed: read models accept it and wait until they reflect it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConsistencyToken {
    pub stream_id: String,
    pub version: u64,
    pub position: u64,
}

/// "Now" at the precision every backend stores exactly.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
