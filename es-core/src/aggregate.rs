//! The two traits a domain implements: [`Aggregate`] decides, [`DomainEvent`] records.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A consistency boundary. `handle` holds all business logic and must be pure (no I/O,
/// clock or randomness: pass time and ids in the command); `apply` only changes state and
/// never fails, because the events it receives already happened.
///
/// The state is serialised for snapshots; bump [`Aggregate::SNAPSHOT_VERSION`] whenever
/// its shape changes and older snapshots are ignored (the stream is replayed instead).
pub trait Aggregate:
    Default + Clone + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The `aggregate_type` of its streams, e.g. `delivery`.
    const TYPE: &'static str;
    const SNAPSHOT_VERSION: u32 = 1;
    /// Whether the state holds personal data in clear (opened by the [`crate::Vault`]).
    /// Such state is never written to a snapshot, which would keep the data outside the
    /// reach of erasure: the aggregate is always replayed from its (sealed) events.
    const HOLDS_PERSONAL_DATA: bool = false;

    type Command: Send;
    type Event: DomainEvent;
    type Error: std::error::Error + Send + Sync + 'static;

    fn handle(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    fn apply(&mut self, event: &Self::Event);
}

/// One enum per aggregate, each variant a struct with the event's fields.
///
/// Serialisation convention (checked by [`encode`] and by the test harness): the enum is
/// adjacently tagged, `#[serde(tag = "event_type", content = "payload")]`, with every
/// variant renamed to its dotted type, e.g. `#[serde(rename = "delivery.created.v1")]`.
/// That keeps the envelope's `event_type` and `payload` exactly the serde form, and the
/// type written once: [`encode`] reads it from the tag.
pub trait DomainEvent:
    Serialize + DeserializeOwned + Clone + Debug + PartialEq + Send + Sync + 'static
{
    /// The payload schema this code writes and reads; older ones are upcast on read.
    fn schema_version(&self) -> u32 {
        1
    }
}

/// Why an event could not become an envelope payload, or back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("event `{event_type}` does not follow the serde convention of DomainEvent: {reason}")]
    Convention { event_type: String, reason: String },
    #[error("unknown event type `{event_type}` (schema version {schema_version})")]
    UnknownType {
        event_type: String,
        schema_version: u32,
    },
    #[error("event `{event_type}` has schema version {found}, this code reads {expected}")]
    SchemaVersion {
        event_type: String,
        found: u32,
        expected: u32,
    },
    #[error("payload of `{event_type}` does not decode: {reason}")]
    Payload { event_type: String, reason: String },
}

/// Splits a domain event into the envelope's `event_type` (its serde tag) and JSON
/// object `payload`.
pub fn encode<E: DomainEvent>(event: &E) -> Result<(String, Value), CodecError> {
    let value = serde_json::to_value(event).map_err(|e| CodecError::Convention {
        event_type: std::any::type_name::<E>().to_owned(),
        reason: e.to_string(),
    })?;
    let Value::Object(mut map) = value else {
        return Err(CodecError::Convention {
            event_type: std::any::type_name::<E>().to_owned(),
            reason: "not serialised as an object".to_owned(),
        });
    };
    let Some(Value::String(event_type)) = map.remove("event_type") else {
        return Err(CodecError::Convention {
            event_type: std::any::type_name::<E>().to_owned(),
            reason: "no serde tag `event_type`".to_owned(),
        });
    };
    match map.remove("payload") {
        Some(payload @ Value::Object(_)) if map.is_empty() => Ok((event_type, payload)),
        _ => Err(CodecError::Convention {
            event_type,
            reason: "payload must be a struct variant under `payload`".to_owned(),
        }),
    }
}

/// Rebuilds a domain event from a (possibly upcast) envelope's type, version and payload.
pub fn decode<E: DomainEvent>(
    event_type: &str,
    schema_version: u32,
    payload: &Value,
) -> Result<E, CodecError> {
    let tagged = serde_json::json!({ "event_type": event_type, "payload": payload });
    let event: E = serde_json::from_value(tagged).map_err(|e| {
        if e.to_string().starts_with("unknown variant") {
            CodecError::UnknownType {
                event_type: event_type.to_owned(),
                schema_version,
            }
        } else {
            CodecError::Payload {
                event_type: event_type.to_owned(),
                reason: e.to_string(),
            }
        }
    })?;
    if event.schema_version() != schema_version {
        return Err(CodecError::SchemaVersion {
            event_type: event_type.to_owned(),
            found: schema_version,
            expected: event.schema_version(),
        });
    }
    Ok(event)
}
