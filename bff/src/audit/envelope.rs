//! The event envelope (DESIGN §3) and the short reference to an event, as JSON. Times
//! and hashes pass through exactly as stored (RFC 3339 UTC text, lowercase hex), so an
//! auditor can recompute a hash from what the API shows; only `payload` is parsed, to
//! be a JSON object rather than a string holding one.

use contracts::v1 as pb;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::context::json;
use crate::problem::ApiError;

/// One stored event with its whole envelope. Personal data in `payload` reads in clear,
/// or as `null` once the customer's data was erased.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnvelopeView {
    /// UUID v7, unique.
    pub event_id: String,
    /// `{aggregate_type}-{aggregate_id}`.
    pub stream_id: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// Position in its stream, 1-based and gapless.
    pub version: u64,
    /// Global position in the log (`$all` order).
    pub position: u64,
    /// Dotted, versioned name, e.g. `customer.registered.v1`.
    pub event_type: String,
    /// The payload's schema version as stored (upcast on read).
    pub schema_version: u32,
    #[schema(format = DateTime)]
    pub occurred_at: String,
    /// The store's clock at commit; what `from`/`to` filter on.
    #[schema(format = DateTime)]
    pub recorded_at: String,
    /// The request that caused it (`X-Correlation-ID`).
    pub correlation_id: String,
    /// The command or event id that caused it.
    pub causation_id: String,
    /// Who issued the command.
    #[schema(required = true)]
    pub actor: Option<ActorView>,
    /// W3C trace context.
    pub traceparent: String,
    /// The event's own fields.
    #[schema(value_type = Object)]
    pub payload: Value,
    pub prev_hash: String,
    /// SHA-256 of `prev_hash` and the envelope's canonical bytes.
    pub hash: String,
}

/// Who caused the event: the verified token's subject (`sub`) and the role it acted under.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActorView {
    pub subject: String,
    pub role: String,
}

impl TryFrom<pb::EventEnvelope> for EnvelopeView {
    type Error = ApiError;

    fn try_from(e: pb::EventEnvelope) -> Result<Self, ApiError> {
        Ok(EnvelopeView {
            payload: json(&e.payload_json, "payload")?,
            event_id: e.event_id,
            stream_id: e.stream_id,
            aggregate_type: e.aggregate_type,
            aggregate_id: e.aggregate_id,
            version: e.version,
            position: e.position,
            event_type: e.event_type,
            schema_version: e.schema_version,
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
            correlation_id: e.correlation_id,
            causation_id: e.causation_id,
            actor: e.actor.map(|a| ActorView {
                subject: a.subject,
                role: a.role,
            }),
            traceparent: e.traceparent,
            prev_hash: e.prev_hash,
            hash: e.hash,
        })
    }
}

/// Every envelope of a reply, or the upstream's fault (502) if one is unreadable.
pub fn envelopes(events: Vec<pb::EventEnvelope>) -> Result<Vec<EnvelopeView>, ApiError> {
    events.into_iter().map(EnvelopeView::try_from).collect()
}

/// The event a state or a change comes from, without its payload.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventRefView {
    pub event_id: String,
    pub version: u64,
    pub position: u64,
    pub event_type: String,
    #[schema(format = DateTime)]
    pub recorded_at: String,
    pub correlation_id: String,
}

impl From<pb::EventRef> for EventRefView {
    fn from(e: pb::EventRef) -> Self {
        EventRefView {
            event_id: e.event_id,
            version: e.version,
            position: e.position,
            event_type: e.event_type,
            recorded_at: e.recorded_at,
            correlation_id: e.correlation_id,
        }
    }
}

/// The references of a reply, in order.
pub fn refs(events: Vec<pb::EventRef>) -> Vec<EventRefView> {
    events.into_iter().map(EventRefView::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_becomes_a_json_object_and_every_envelope_field_is_kept() {
        let proto = pb::EventEnvelope {
            event_id: "e1".into(),
            stream_id: "customer-1".into(),
            version: 2,
            position: 9,
            payload_json: r#"{"personal_data": null}"#.into(),
            hash: "ab".into(),
            ..Default::default()
        };
        let view = serde_json::to_value(EnvelopeView::try_from(proto).unwrap()).unwrap();
        assert!(view["payload"].is_object());
        assert!(view["payload"]["personal_data"].is_null());
        for field in es_core::testing::ENVELOPE_JSON_FIELDS {
            assert!(view.get(field).is_some(), "{field} is missing");
        }
    }
}
