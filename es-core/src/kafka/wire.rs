//! What an event looks like on Kafka (DESIGN §4), in both directions.
//!
//! - key = `stream_id`: the default partitioner hashes it, so one stream always lands
//!   in one partition and keeps its order there;
//! - value = the envelope as JSON (UTF-8, readable in Kafka UI): the serde form of
//!   [`EventEnvelope`], so a consumer gets back exactly the envelope that was stored
//!   and can check its hash;
//! - headers = `event-type`, `schema-version`, `event-id`, `correlation-id`,
//!   `causation-id`, `traceparent` (when the event has one), `content-type`, and one
//!   more, `prev-position`: the position of the event before this one in `$all` (0 for
//!   the first). Events of different partitions arrive in no global order; that header
//!   lets a consumer put them back in `$all` order without assuming positions have no
//!   gaps (ADR 012).
//!
//! Records are plain Rust values here; only the relay and the source talk to rdkafka.

use rdkafka::message::{Header, Headers, OwnedHeaders};

use crate::envelope::EventEnvelope;

pub const EVENT_TYPE: &str = "event-type";
pub const SCHEMA_VERSION: &str = "schema-version";
pub const EVENT_ID: &str = "event-id";
pub const CORRELATION_ID: &str = "correlation-id";
pub const CAUSATION_ID: &str = "causation-id";
pub const TRACEPARENT: &str = "traceparent";
pub const CONTENT_TYPE: &str = "content-type";
pub const PREV_POSITION: &str = "prev-position";
pub const JSON: &str = "application/json";

/// A message to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub topic: String,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Record {
    /// The record the relay publishes for `event`, whose predecessor in `$all` is at
    /// `prev_position`.
    pub fn for_event(
        topic: &str,
        event: &EventEnvelope,
        prev_position: u64,
    ) -> Result<Self, serde_json::Error> {
        let mut headers = vec![
            header(EVENT_TYPE, &event.event_type),
            header(SCHEMA_VERSION, &event.schema_version.to_string()),
            header(EVENT_ID, &event.event_id.to_string()),
            header(CORRELATION_ID, &event.correlation_id),
            header(CAUSATION_ID, &event.causation_id),
        ];
        if let Some(traceparent) = &event.traceparent {
            headers.push(header(TRACEPARENT, traceparent));
        }
        headers.push(header(CONTENT_TYPE, JSON));
        headers.push(header(PREV_POSITION, &prev_position.to_string()));
        Ok(Self {
            topic: topic.to_owned(),
            key: event.stream_id.as_bytes().to_vec(),
            value: serde_json::to_vec(event)?,
            headers,
        })
    }

    /// The headers in rdkafka's form.
    pub fn kafka_headers(&self) -> OwnedHeaders {
        self.headers.iter().fold(
            OwnedHeaders::new_with_capacity(self.headers.len()),
            |h, (key, value)| {
                h.insert(Header {
                    key,
                    value: Some(value.as_slice()),
                })
            },
        )
    }
}

fn header(key: &str, value: &str) -> (String, Vec<u8>) {
    (key.to_owned(), value.as_bytes().to_vec())
}

/// A consumed message, copied out of rdkafka's buffers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Received {
    /// Copies a consumed message (`rdkafka::Message`).
    pub fn copy(message: &impl rdkafka::Message) -> Self {
        let headers = message
            .headers()
            .map(|h| {
                h.iter()
                    .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            topic: message.topic().to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            key: message.key().map(<[u8]>::to_vec),
            value: message.payload().map(<[u8]>::to_vec),
            headers,
        }
    }

    pub fn header(&self, key: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }

    /// The event and its predecessor's position, or why this message is not one the
    /// relay published (a poison message: it goes to the dead-letter topic).
    pub fn decode(&self) -> Result<Decoded, String> {
        let value = self.value.as_deref().ok_or("the message has no value")?;
        let event: EventEnvelope = serde_json::from_slice(value)
            .map_err(|e| format!("the value is not an event envelope: {e}"))?;
        let prev = self
            .header(PREV_POSITION)
            .ok_or_else(|| format!("no `{PREV_POSITION}` header: not published by the relay"))?;
        let prev_position = std::str::from_utf8(prev)
            .ok()
            .and_then(|text| text.parse::<u64>().ok())
            .filter(|prev| *prev < event.position)
            .ok_or_else(|| format!("`{PREV_POSITION}` is not a position below the event's"))?;
        Ok(Decoded {
            event,
            prev_position,
        })
    }
}

/// A relay-published event as a consumer reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub event: EventEnvelope,
    pub prev_position: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Actor, now};
    use crate::hash::Hash;
    use serde_json::json;
    use uuid::Uuid;

    fn event(position: u64, traceparent: Option<&str>) -> EventEnvelope {
        EventEnvelope {
            event_id: Uuid::now_v7(),
            stream_id: "delivery-42".into(),
            aggregate_type: "delivery".into(),
            aggregate_id: "42".into(),
            version: 3,
            position,
            event_type: "delivery.created.v1".into(),
            schema_version: 2,
            occurred_at: now(),
            recorded_at: now(),
            correlation_id: "corr".into(),
            causation_id: "cause".into(),
            actor: Actor::new("alice", "planner"),
            traceparent: traceparent.map(str::to_owned),
            payload: json!({"b": 1, "a": "x"}),
            prev_hash: Hash::ZERO,
            hash: Hash::ZERO,
        }
    }

    fn received(record: &Record) -> Received {
        Received {
            topic: record.topic.clone(),
            partition: 0,
            offset: 7,
            key: Some(record.key.clone()),
            value: Some(record.value.clone()),
            headers: record.headers.clone(),
        }
    }

    #[test]
    fn an_event_is_keyed_by_its_stream_and_carries_the_design_headers() {
        let event = event(9, Some("00-abc-def-01"));
        let record = Record::for_event("pitlane.deliveries.events", &event, 8).unwrap();
        let r = received(&record);
        assert_eq!(record.key, b"delivery-42");
        assert_eq!(r.header(EVENT_TYPE), Some(&b"delivery.created.v1"[..]));
        assert_eq!(r.header(SCHEMA_VERSION), Some(&b"2"[..]));
        assert_eq!(
            r.header(EVENT_ID),
            Some(event.event_id.to_string().as_bytes())
        );
        assert_eq!(r.header(CORRELATION_ID), Some(&b"corr"[..]));
        assert_eq!(r.header(CAUSATION_ID), Some(&b"cause"[..]));
        assert_eq!(r.header(TRACEPARENT), Some(&b"00-abc-def-01"[..]));
        assert_eq!(r.header(CONTENT_TYPE), Some(&b"application/json"[..]));
        assert_eq!(r.header(PREV_POSITION), Some(&b"8"[..]));
    }

    #[test]
    fn an_event_without_trace_context_has_no_traceparent_header() {
        let record = Record::for_event("t", &event(1, None), 0).unwrap();
        assert!(received(&record).header(TRACEPARENT).is_none());
    }

    #[test]
    fn the_value_decodes_back_to_the_stored_envelope() {
        let event = event(9, None);
        let record = Record::for_event("t", &event, 4).unwrap();
        let decoded = received(&record).decode().unwrap();
        assert_eq!(decoded.event, event);
        assert_eq!(decoded.prev_position, 4);
    }

    #[test]
    fn a_message_that_is_not_an_envelope_is_poison() {
        let mut r = received(&Record::for_event("t", &event(9, None), 4).unwrap());
        r.value = Some(b"{not json".to_vec());
        assert!(r.decode().unwrap_err().contains("not an event envelope"));
    }

    #[test]
    fn an_envelope_without_its_predecessor_header_is_poison() {
        let mut r = received(&Record::for_event("t", &event(9, None), 4).unwrap());
        r.headers.retain(|(k, _)| k != PREV_POSITION);
        assert!(r.decode().unwrap_err().contains(PREV_POSITION));
    }

    #[test]
    fn a_predecessor_at_or_after_the_event_is_poison() {
        let r = received(&Record::for_event("t", &event(9, None), 9).unwrap());
        assert!(r.decode().is_err());
    }
}
