//! The layout of the store's documents, and reading them back.
//!
//! Every field that the hash covers is stored in a form that round-trips exactly:
//! timestamps as the RFC 3339 text with microseconds (a BSON date keeps milliseconds
//! only), hashes as lowercase hex, and the payload as its **canonical JSON text** rather
//! than a BSON document — BSON has no unsigned or arbitrary-precision numbers and would
//! retype `u64`s and floats, so a payload read back from BSON could hash differently
//! from the one that was sealed (docs/adr/011-mongo-global-position.md).

use mongodb::bson::{Bson, Document, doc};
use uuid::Uuid;

use crate::envelope::{Actor, EventEnvelope};
use crate::hash::Hash;
use crate::seal::SealedEvent;
use crate::snapshot::Snapshot;
use crate::store::{IdempotencyRecord, StoreError};
use crate::time;

/// The document of one event. `_id` is the global position, so `$all` reads walk the
/// primary index and no two events can ever share a position.
pub fn event_document(sealed: &SealedEvent) -> Document {
    let e = &sealed.envelope;
    doc! {
        "_id": e.position as i64,
        "event_id": e.event_id.to_string(),
        "stream_id": &e.stream_id,
        "aggregate_type": &e.aggregate_type,
        "aggregate_id": &e.aggregate_id,
        "version": e.version as i64,
        "event_type": &e.event_type,
        "schema_version": i64::from(e.schema_version),
        "occurred_at": time::format(&e.occurred_at),
        "recorded_at": time::format(&e.recorded_at),
        "correlation_id": &e.correlation_id,
        "causation_id": &e.causation_id,
        "actor": { "subject": &e.actor.subject, "role": &e.actor.role },
        "traceparent": e.traceparent.clone(),
        "payload": &sealed.canonical_payload,
        "prev_hash": e.prev_hash.to_hex(),
        "hash": e.hash.to_hex(),
    }
}

/// Reads one event document; a field that does not decode is a `Corrupt` error naming
/// the stream and version (as far as those two can still be read).
pub fn decode_event(document: &Document) -> Result<EventEnvelope, StoreError> {
    let fields = Fields::of_event(document);
    let payload = fields.text("payload")?;
    let event_id = fields.text("event_id")?;
    let actor = document
        .get_document("actor")
        .map_err(|e| fields.corrupt("actor", e.to_string()))?;
    Ok(EventEnvelope {
        position: fields.unsigned("_id")?,
        event_id: Uuid::parse_str(event_id).map_err(|e| fields.corrupt("event_id", e))?,
        stream_id: fields.text("stream_id")?.to_owned(),
        aggregate_type: fields.text("aggregate_type")?.to_owned(),
        aggregate_id: fields.text("aggregate_id")?.to_owned(),
        version: fields.unsigned("version")?,
        event_type: fields.text("event_type")?.to_owned(),
        schema_version: u32::try_from(fields.unsigned("schema_version")?)
            .map_err(|e| fields.corrupt("schema_version", e))?,
        occurred_at: fields.time("occurred_at")?,
        recorded_at: fields.time("recorded_at")?,
        correlation_id: fields.text("correlation_id")?.to_owned(),
        causation_id: fields.text("causation_id")?.to_owned(),
        actor: Actor::new(
            Fields::nested(&fields, actor).text("subject")?,
            Fields::nested(&fields, actor).text("role")?,
        ),
        traceparent: fields.optional_text("traceparent")?,
        payload: serde_json::from_str(payload).map_err(|e| fields.corrupt("payload", e))?,
        prev_hash: fields.hash("prev_hash")?,
        hash: fields.hash("hash")?,
    })
}

/// The snapshot document; `_id` is the stream, so a stream has at most one.
pub(super) fn snapshot_document(s: &Snapshot) -> Document {
    doc! {
        "_id": &s.stream_id,
        "aggregate_type": &s.aggregate_type,
        "version": s.version as i64,
        "hash": s.hash.to_hex(),
        "snapshot_version": i64::from(s.snapshot_version),
        "state": s.state.to_string(),
        "taken_at": time::format(&s.taken_at),
    }
}

pub(super) fn decode_snapshot(document: &Document) -> Result<Snapshot, StoreError> {
    let fields = Fields::of_snapshot(document);
    Ok(Snapshot {
        stream_id: fields.text("_id")?.to_owned(),
        aggregate_type: fields.text("aggregate_type")?.to_owned(),
        version: fields.unsigned("version")?,
        hash: fields.hash("hash")?,
        snapshot_version: u32::try_from(fields.unsigned("snapshot_version")?)
            .map_err(|e| fields.corrupt("snapshot_version", e))?,
        state: serde_json::from_str(fields.text("state")?)
            .map_err(|e| fields.corrupt("state", e))?,
        taken_at: fields.time("taken_at")?,
    })
}

/// The record of an append made with an idempotency key; `_id` is the key, so the
/// primary index is what refuses a second append with it.
pub(super) fn idempotency_document(record: &IdempotencyRecord, recorded_at: &str) -> Document {
    doc! {
        "_id": &record.key,
        "fingerprint": &record.fingerprint,
        "stream_id": &record.stream_id,
        "version": record.version as i64,
        "position": record.position as i64,
        "recorded_at": recorded_at,
    }
}

pub(super) fn decode_idempotency(document: &Document) -> Result<IdempotencyRecord, StoreError> {
    let fields = Fields::of_idempotency(document);
    Ok(IdempotencyRecord {
        key: fields.text("_id")?.to_owned(),
        fingerprint: fields.text("fingerprint")?.to_owned(),
        stream_id: fields.text("stream_id")?.to_owned(),
        version: fields.unsigned("version")?,
        position: fields.unsigned("position")?,
    })
}

/// Typed access to a document's fields, with errors that name what was being read.
struct Fields<'a> {
    document: &'a Document,
    stream_id: String,
    version: u64,
    what: &'static str,
}

impl<'a> Fields<'a> {
    fn of_event(document: &'a Document) -> Self {
        Self::new(document, "stream_id", "version", "field")
    }

    fn of_snapshot(document: &'a Document) -> Self {
        Self::new(document, "_id", "version", "snapshot field")
    }

    fn of_idempotency(document: &'a Document) -> Self {
        Self::new(document, "stream_id", "version", "idempotency record field")
    }

    fn new(document: &'a Document, stream: &str, version: &str, what: &'static str) -> Self {
        Self {
            document,
            stream_id: document
                .get_str(stream)
                .unwrap_or("<unreadable stream id>")
                .to_owned(),
            version: integer(document.get(version)).unwrap_or(0).max(0) as u64,
            what,
        }
    }

    /// The fields of a sub-document, reporting errors against the same event.
    fn nested(parent: &Fields<'_>, document: &'a Document) -> Self {
        Self {
            document,
            stream_id: parent.stream_id.clone(),
            version: parent.version,
            what: parent.what,
        }
    }

    fn corrupt(&self, field: &str, reason: impl ToString) -> StoreError {
        StoreError::Corrupt {
            stream_id: self.stream_id.clone(),
            version: self.version,
            reason: format!("{} {field}: {}", self.what, reason.to_string()),
        }
    }

    fn text(&self, field: &str) -> Result<&'a str, StoreError> {
        self.document
            .get_str(field)
            .map_err(|e| self.corrupt(field, e))
    }

    fn optional_text(&self, field: &str) -> Result<Option<String>, StoreError> {
        match self.document.get(field) {
            None | Some(Bson::Null) => Ok(None),
            Some(Bson::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(self.corrupt(field, format!("expected a string, found {other}"))),
        }
    }

    fn unsigned(&self, field: &str) -> Result<u64, StoreError> {
        let value = integer(self.document.get(field))
            .ok_or_else(|| self.corrupt(field, "missing or not an integer"))?;
        u64::try_from(value).map_err(|e| self.corrupt(field, e))
    }

    fn time(&self, field: &str) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
        time::parse(self.text(field)?).map_err(|e| self.corrupt(field, e))
    }

    fn hash(&self, field: &str) -> Result<Hash, StoreError> {
        Hash::from_hex(self.text(field)?).map_err(|e| self.corrupt(field, e))
    }
}

/// Either BSON integer width: documents written by hand (an operator's shell) may hold
/// 32-bit integers where this code writes 64-bit ones.
pub(super) fn integer(value: Option<&Bson>) -> Option<i64> {
    match value {
        Some(Bson::Int64(v)) => Some(*v),
        Some(Bson::Int32(v)) => Some(i64::from(*v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{EventMetadata, ProposedEvent, now};
    use crate::seal::{StreamHead, canonical_payloads, seal};
    use crate::store::{AppendRequest, ExpectedVersion};
    use serde_json::json;

    fn sealed(payload: serde_json::Value) -> SealedEvent {
        let request = AppendRequest {
            aggregate_type: "counter".into(),
            aggregate_id: "a".into(),
            expected: ExpectedVersion::Any,
            events: vec![ProposedEvent::new(
                "counter.incremented.v1",
                2,
                payload,
                now(),
            )],
            metadata: EventMetadata::system(),
            idempotency: None,
        };
        let payloads = canonical_payloads(&request);
        let mut sealed = seal(request, payloads, StreamHead::default(), 7, now()).unwrap();
        sealed.remove(0)
    }

    #[test]
    fn an_event_document_reads_back_as_the_envelope_it_was_made_from() {
        let event = sealed(json!({ "by": 3, "note": "x" }));
        let decoded = decode_event(&event_document(&event)).unwrap();
        assert_eq!(decoded, event.envelope);
        assert_eq!(decoded.position, 7);
    }

    #[test]
    fn payload_numbers_bson_cannot_hold_still_hash_the_same_after_a_round_trip() {
        let event = sealed(json!({ "big": u64::MAX, "float": 0.1, "z": 1, "a": [1.5e300] }));
        let decoded = decode_event(&event_document(&event)).unwrap();
        assert_eq!(crate::hash::compute_hash(&decoded), event.envelope.hash);
    }

    #[test]
    fn a_damaged_field_is_a_corrupt_error_naming_stream_version_and_field() {
        let event = sealed(json!({}));
        let mut document = event_document(&event);
        document.insert("occurred_at", "yesterday");
        let error = decode_event(&document).unwrap_err();
        assert!(
            matches!(&error, StoreError::Corrupt { stream_id, version: 1, reason }
                if stream_id == "counter-a" && reason.contains("occurred_at")),
            "{error:?}"
        );
    }
}
