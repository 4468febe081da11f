//! What a subscription must know before it joins its group: each topic's partition
//! count (to notice a partial assignment) and whether the group's offsets are ahead of
//! the read model (to rewind). Blocking librdkafka calls: run on the blocking pool.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::KafkaError;
use super::wire::Received;

/// How long each metadata, offset or fetch request may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The partition count per topic, and whether the group committed past `after`. The
/// probe consumer carries the group id but never joins the group (it only assigns).
pub fn probe(
    config: &ClientConfig,
    topics: &[String],
    after: u64,
) -> Result<(BTreeMap<String, usize>, bool), KafkaError> {
    let probe: BaseConsumer = config.create().map_err(KafkaError::client)?;
    let partitions = partition_counts(&probe, topics)?;
    let ahead = committed_position(&probe, &partitions)?.is_some_and(|p| p > after);
    Ok((partitions, ahead))
}

fn partition_counts(
    probe: &BaseConsumer,
    topics: &[String],
) -> Result<BTreeMap<String, usize>, KafkaError> {
    let mut counts = BTreeMap::new();
    for topic in topics {
        let metadata = probe
            .fetch_metadata(Some(topic), PROBE_TIMEOUT)
            .map_err(KafkaError::client)?;
        let count = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic && t.error().is_none())
            .map_or(0, |t| t.partitions().len());
        if count == 0 {
            return Err(KafkaError::Client(format!(
                "topic {topic} has no partitions yet"
            )));
        }
        counts.insert(topic.clone(), count);
    }
    Ok(counts)
}

/// The highest position among the last messages the group committed, one per
/// partition: read back from Kafka (commit metadata would be lighter, but not every
/// Kafka-protocol broker keeps it). `None` when nothing is committed.
fn committed_position(
    probe: &BaseConsumer,
    partitions: &BTreeMap<String, usize>,
) -> Result<Option<u64>, KafkaError> {
    let mut tpl = TopicPartitionList::new();
    for (topic, count) in partitions {
        for partition in 0..*count {
            let partition = i32::try_from(partition).map_err(KafkaError::client)?;
            tpl.add_partition_offset(topic, partition, Offset::Invalid)
                .map_err(KafkaError::client)?;
        }
    }
    let committed = probe
        .committed_offsets(tpl, PROBE_TIMEOUT)
        .map_err(KafkaError::client)?;
    let mut last_done = TopicPartitionList::new();
    for element in committed.elements() {
        if let Offset::Offset(next) = element.offset()
            && next > 0
        {
            last_done
                .add_partition_offset(
                    element.topic(),
                    element.partition(),
                    Offset::Offset(next - 1),
                )
                .map_err(KafkaError::client)?;
        }
    }
    read_positions(probe, &last_done)
}

/// The highest event position among the messages at exactly the offsets of `tpl` (a
/// message gone with retention, or not an event, is left out).
fn read_positions(
    probe: &BaseConsumer,
    tpl: &TopicPartitionList,
) -> Result<Option<u64>, KafkaError> {
    let mut wanted: BTreeMap<(String, i32), i64> = BTreeMap::new();
    for element in tpl.elements() {
        if let Offset::Offset(offset) = element.offset() {
            wanted.insert((element.topic().to_owned(), element.partition()), offset);
        }
    }
    if wanted.is_empty() {
        return Ok(None);
    }
    probe.assign(tpl).map_err(KafkaError::client)?;
    let deadline = Instant::now() + PROBE_TIMEOUT;
    let mut highest = None;
    while !wanted.is_empty() && Instant::now() < deadline {
        let Some(Ok(message)) = probe.poll(Duration::from_millis(100)) else {
            continue;
        };
        let received = Received::copy(&message);
        let key = (received.topic.clone(), received.partition);
        if wanted.get(&key) == Some(&received.offset) {
            wanted.remove(&key);
            if let Ok(decoded) = received.decode() {
                highest = highest.max(Some(decoded.event.position));
            }
        }
    }
    Ok(highest)
}
