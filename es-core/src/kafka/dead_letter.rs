//! Dead-letter records: `<topic>.dlq` (DESIGN §4).
//!
//! A dead letter is the original record (same key, same value, same headers, so it can
//! be inspected in Kafka UI and re-published as is after a fix) plus headers saying
//! which projector gave up on it, why, after how many attempts, and where it came from.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::config::dead_letter_topic;
use super::probe::PROBE_TIMEOUT;
use super::wire::{EVENT_ID, Received, Record};
use super::{KafkaConfig, KafkaError};
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

/// Every record on the `.dlq` topics of `topics` that exist — dead letters and
/// settlements — from the first one retained up to the end as of this call, in offset
/// order per partition (what `pitlane ops dead-letters list --kafka` shows). Blocking
/// (librdkafka); the consumer only assigns, it never joins a group.
pub fn read_dead_letters(
    kafka: &KafkaConfig,
    topics: &[String],
) -> Result<Vec<Received>, KafkaError> {
    let group = format!(
        "pitlane.dead-letter-reader.{}",
        uuid::Uuid::now_v7().simple()
    );
    let consumer: BaseConsumer = kafka
        .client(&[("group.id", &group), ("enable.auto.commit", "false")])
        .create()
        .map_err(KafkaError::client)?;
    // Per partition, the offset of its last record as of now.
    let mut last: BTreeMap<(String, i32), i64> = BTreeMap::new();
    let mut assignment = TopicPartitionList::new();
    for topic in topics.iter().map(|t| dead_letter_topic(t)) {
        let metadata = consumer
            .fetch_metadata(Some(&topic), PROBE_TIMEOUT)
            .map_err(KafkaError::client)?;
        let Some(found) = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic && t.error().is_none())
        else {
            continue; // no dead letter was ever published there
        };
        for partition in found.partitions() {
            let (low, high) = consumer
                .fetch_watermarks(&topic, partition.id(), PROBE_TIMEOUT)
                .map_err(KafkaError::client)?;
            if high > low {
                last.insert((topic.clone(), partition.id()), high - 1);
                assignment
                    .add_partition_offset(&topic, partition.id(), Offset::Offset(low))
                    .map_err(KafkaError::client)?;
            }
        }
    }
    let mut records = Vec::new();
    if last.is_empty() {
        return Ok(records);
    }
    consumer.assign(&assignment).map_err(KafkaError::client)?;
    let deadline = Instant::now() + PROBE_TIMEOUT;
    while !last.is_empty() {
        if Instant::now() > deadline {
            return Err(KafkaError::Client(format!(
                "the dead-letter topics did not deliver up to their end within {PROBE_TIMEOUT:?}"
            )));
        }
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let received = Received::copy(&message.map_err(KafkaError::client)?);
        let key = (received.topic.clone(), received.partition);
        if last.get(&key).is_some_and(|end| received.offset >= *end) {
            last.remove(&key);
        }
        records.push(received);
    }
    records
        .sort_by(|a, b| (&a.topic, a.partition, a.offset).cmp(&(&b.topic, b.partition, b.offset)));
    Ok(records)
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
