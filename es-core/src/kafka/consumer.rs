//! The consumer's rebalance handling.
//!
//! Two things only the group assignment can reveal:
//!
//! - **Another member in the group.** A projector must see every partition: its chain
//!   (see [`super::reorder`]) waits for events in all of them. If the group splits the
//!   partitions between two consumers, each would wait forever; instead the source
//!   reports it as an error naming the group (so the runtime shows it and retries).
//! - **A read model behind the group's offsets** (its database was wiped or restored
//!   from a backup, but the group kept its offsets). The source reads back the last
//!   message the group committed in each partition; when one is beyond the runtime's
//!   checkpoint, the assignment starts from the beginning of every partition instead,
//!   and the events already applied are dropped as duplicates on the way.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaResult;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use tokio::sync::watch;

pub struct SourceContext {
    group: String,
    /// Partition count per subscribed topic.
    partitions: BTreeMap<String, usize>,
    /// Start assignments at the beginning of each partition (until the first commit).
    rewind: AtomicBool,
    /// Set when this consumer cannot go on (a partial assignment).
    problem: watch::Sender<Option<String>>,
    /// Per assigned partition, messages not consumed yet, as last reported.
    lag: Mutex<BTreeMap<(String, i32), i64>>,
}

impl SourceContext {
    pub fn new(group: &str, partitions: BTreeMap<String, usize>, rewind: bool) -> Self {
        Self {
            group: group.to_owned(),
            partitions,
            rewind: AtomicBool::new(rewind),
            problem: watch::Sender::new(None),
            lag: Mutex::default(),
        }
    }

    /// Per assigned partition, the messages not consumed yet, as librdkafka last
    /// reported them (every `statistics.interval.ms`).
    pub fn lag(&self) -> BTreeMap<(String, i32), i64> {
        self.lag.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Why this consumer must stop, as it changes.
    pub fn problems(&self) -> watch::Receiver<Option<String>> {
        self.problem.subscribe()
    }

    /// Our offsets are now committed: later assignments start from them.
    pub fn stop_rewinding(&self) {
        self.rewind.store(false, Ordering::Relaxed);
    }

    fn assign(&self, consumer: &BaseConsumer<Self>, tpl: &mut TopicPartitionList) {
        if self.rewind.load(Ordering::Relaxed) {
            if let Err(error) = tpl.set_all_offsets(Offset::Beginning) {
                self.record(format!("cannot rewind the assignment: {error}"));
            }
            tracing::info!(group = %self.group, "the group's offsets are ahead of the read model: reading from the beginning");
        }
        self.check_complete(tpl);
        if let Err(error) = consumer.assign(tpl) {
            self.report(format!("cannot take the assignment: {error}"));
        }
    }

    fn check_complete(&self, tpl: &TopicPartitionList) {
        let mut assigned: BTreeMap<String, usize> = BTreeMap::new();
        for element in tpl.elements() {
            *assigned.entry(element.topic().to_owned()).or_default() += 1;
        }
        let missing: Vec<&str> = self
            .partitions
            .iter()
            .filter(|(topic, count)| assigned.get(*topic).copied().unwrap_or(0) < **count)
            .map(|(topic, _)| topic.as_str())
            .collect();
        if !missing.is_empty() {
            self.report(format!(
                "consumer group `{}` gave this projector only some partitions of {}: another \
                 consumer uses the same group, and a projector needs every partition \
                 (give each read-model database its own group id)",
                self.group,
                missing.join(", ")
            ));
        }
    }

    fn record(&self, error: String) {
        tracing::warn!(group = %self.group, %error, "rebalance");
    }

    fn report(&self, problem: String) {
        self.record(problem.clone());
        self.problem.send_replace(Some(problem));
    }
}

impl ClientContext for SourceContext {
    /// librdkafka's statistics (JSON, every `statistics.interval.ms`): each assigned
    /// partition's consumer lag, as the gauge
    /// `pitlane_kafka_consumer_lag_messages{group, topic, partition}` and for
    /// [`SourceContext::lag`]. Read as JSON rather than through rdkafka's typed
    /// `Statistics`, which refuses a whole report when one field it expects is missing.
    /// Partitions not being consumed report no lag (-1) and are left out.
    fn stats_raw(&self, statistics: &[u8]) {
        use crate::telemetry::names;
        let Ok(report) = serde_json::from_slice::<serde_json::Value>(statistics) else {
            return;
        };
        let mut lags = BTreeMap::new();
        let topics = report["topics"].as_object().into_iter().flatten();
        for (topic, stats) in topics {
            let partitions = stats["partitions"].as_object().into_iter().flatten();
            for (partition, stats) in partitions {
                let (Ok(partition), Some(lag)) = (partition.parse::<i32>(), unread(stats)) else {
                    continue;
                };
                if partition < 0 {
                    continue;
                }
                lags.insert((topic.clone(), partition), lag);
                metrics::gauge!(
                    names::KAFKA_CONSUMER_LAG,
                    "group" => self.group.clone(),
                    "topic" => topic.clone(),
                    "partition" => partition.to_string(),
                )
                .set(lag as f64);
            }
        }
        *self.lag.lock().unwrap_or_else(|p| p.into_inner()) = lags;
    }
}

/// A partition's messages not consumed yet, from its statistics: the high watermark
/// less the next offset the application reads (or, before it has read any, the group's
/// committed offset, or else the first offset retained). librdkafka's own
/// `consumer_lag` stays -1 until the group commits, which the projections do only after
/// their read models did. `None` while the partition's end is unknown.
fn unread(stats: &serde_json::Value) -> Option<i64> {
    let offset = |name: &str| stats[name].as_i64().filter(|o| *o >= 0);
    let high = offset("hi_offset")?;
    let next = offset("app_offset")
        .or_else(|| offset("committed_offset"))
        .or_else(|| offset("lo_offset"))?;
    Some((high - next).max(0))
}

impl ConsumerContext for SourceContext {
    /// The eager protocol's rebalance (librdkafka's default assignors), with our
    /// assignment check and rewind. Cooperative assignors are not configured.
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => self.assign(consumer, tpl),
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                if let Err(error) = consumer.unassign() {
                    self.record(format!("cannot drop the assignment: {error}"));
                }
            }
            other => {
                self.record(format!("rebalance failed: {other:?}"));
                let _: KafkaResult<()> = consumer.unassign();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_messages_count_from_the_next_offset_read_or_else_committed_or_else_the_first() {
        let stats = |app: i64, committed: i64, lo: i64| {
            serde_json::json!({ "hi_offset": 10, "app_offset": app,
                                "committed_offset": committed, "lo_offset": lo })
        };
        assert_eq!(unread(&stats(7, 3, 0)), Some(3));
        assert_eq!(unread(&stats(-1001, 4, 0)), Some(6));
        assert_eq!(unread(&stats(-1001, -1001, 2)), Some(8));
        assert_eq!(unread(&serde_json::json!({ "hi_offset": -1001 })), None);
    }
}
