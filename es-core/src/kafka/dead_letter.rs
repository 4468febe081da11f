//! Dead-letter records: `<topic>.dlq` (DESIGN §4).
//!
//! A dead letter is the original record (same key, same value, same headers, so it can
//! be inspected in Kafka UI and re-published as is after a fix) plus headers saying
//! which projector gave up on it, why, after how many attempts, and where it came from.

use super::config::dead_letter_topic;
use super::wire::{EVENT_ID, Record};
use crate::envelope::EventEnvelope;
use crate::projection::Settlement;

pub const PROJECTOR: &str = "projector";
pub const ERROR: &str = "error";
pub const ATTEMPTS: &str = "attempts";
pub const ORIGINAL_TOPIC: &str = "original-topic";
pub const ORIGINAL_PARTITION: &str = "original-partition";
pub const ORIGINAL_OFFSET: &str = "original-offset";
/// On a settlement record: `redriven` or `discarded`.
pub const SETTLED: &str = "settled";
pub const SETTLED_BY: &str = "settled-by";

/// Longest `error` header kept: a reason, not a dump.
const MAX_ERROR_LEN: usize = 2_000;

/// Where a consumed record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// Why a record is dead, and whose failure it is.
#[derive(Debug, Clone, Copy)]
pub struct Verdict<'a> {
    pub projector: &'a str,
    pub reason: &'a str,
    pub attempts: u32,
}

/// The dead-letter record of `original` (consumed at `origin`).
pub fn dead_letter(original: Record, origin: &Origin, verdict: Verdict<'_>) -> Record {
    let mut headers = original.headers;
    let mut push = |key: &str, value: String| headers.push((key.to_owned(), value.into_bytes()));
    push(PROJECTOR, verdict.projector.to_owned());
    push(ERROR, truncate(verdict.reason));
    push(ATTEMPTS, verdict.attempts.to_string());
    push(ORIGINAL_TOPIC, origin.topic.clone());
    push(ORIGINAL_PARTITION, origin.partition.to_string());
    push(ORIGINAL_OFFSET, origin.offset.to_string());
    Record {
        topic: dead_letter_topic(&origin.topic),
        key: original.key,
        value: original.value,
        headers,
    }
}

/// The record saying an operator settled `event`'s dead letter on `topic`'s `.dlq`:
/// same key as the dead letter, headers naming the event, the projector and the
/// settlement, and a JSON value saying the same for Kafka UI.
pub fn settlement(
    topic: &str,
    event: &EventEnvelope,
    projector: &str,
    settlement: &Settlement,
) -> Record {
    let value = serde_json::json!({
        "settled": settlement.outcome,
        "event_id": event.event_id,
        "position": event.position,
        "stream_id": event.stream_id,
        "projector": projector,
        "by": settlement.by,
        "reason": settlement.reason,
    });
    let mut headers = vec![
        (EVENT_ID.to_owned(), event.event_id.to_string().into_bytes()),
        (PROJECTOR.to_owned(), projector.as_bytes().to_vec()),
        (SETTLED.to_owned(), settlement.outcome.as_bytes().to_vec()),
        (SETTLED_BY.to_owned(), settlement.by.as_bytes().to_vec()),
    ];
    if let Some(reason) = &settlement.reason {
        headers.push((ERROR.to_owned(), truncate(reason).into_bytes()));
    }
    Record {
        topic: dead_letter_topic(topic),
        key: event.stream_id.as_bytes().to_vec(),
        value: value.to_string().into_bytes(),
        headers,
    }
}

fn truncate(reason: &str) -> String {
    match reason.char_indices().nth(MAX_ERROR_LEN) {
        Some((cut, _)) => format!("{}…", &reason[..cut]),
        None => reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn original() -> Record {
        Record {
            topic: "pitlane.fleet.events".into(),
            key: b"driver-1".to_vec(),
            value: b"{}".to_vec(),
            headers: vec![("event-id".into(), b"e1".to_vec())],
        }
    }

    fn header<'a>(record: &'a Record, key: &str) -> &'a [u8] {
        &record.headers.iter().find(|(k, _)| k == key).unwrap().1
    }

    #[test]
    fn a_dead_letter_keeps_the_record_and_says_who_failed_why_and_where_from() {
        let origin = Origin {
            topic: "pitlane.fleet.events".into(),
            partition: 2,
            offset: 41,
        };
        let verdict = Verdict {
            projector: "query",
            reason: "bad payload",
            attempts: 5,
        };
        let dead = dead_letter(original(), &origin, verdict);
        assert_eq!(dead.topic, "pitlane.fleet.events.dlq");
        assert_eq!(dead.key, b"driver-1");
        assert_eq!(dead.value, b"{}");
        assert_eq!(header(&dead, "event-id"), b"e1");
        assert_eq!(header(&dead, PROJECTOR), b"query");
        assert_eq!(header(&dead, ERROR), b"bad payload");
        assert_eq!(header(&dead, ATTEMPTS), b"5");
        assert_eq!(header(&dead, ORIGINAL_TOPIC), b"pitlane.fleet.events");
        assert_eq!(header(&dead, ORIGINAL_PARTITION), b"2");
        assert_eq!(header(&dead, ORIGINAL_OFFSET), b"41");
    }

    #[test]
    fn a_long_reason_is_cut() {
        let long = "x".repeat(MAX_ERROR_LEN + 10);
        assert_eq!(truncate(&long).chars().count(), MAX_ERROR_LEN + 1);
    }
}
