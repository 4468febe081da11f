//! The log's signed heads on a Kafka topic (`<prefix>.audit.heads`): in production, a
//! witness outside both the event store and the command service's host (ADR 017).
//!
//! Each record is one head as the witness file holds it (its JSON line), key `heads`,
//! one partition, so the topic reads in signing order. An auditor copies it to a file
//! (`kcat -C -t pitlane.audit.heads -e > heads.jsonl`) and checks the log against it
//! with `pitlane audit verify --heads heads.jsonl --trusted-keys heads.pub`.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::OnceCell;

use super::producer::{OrderedProducer, ProducerSettings};
use super::topics::ensure_topics;
use super::wire::{CONTENT_TYPE, JSON, Record};
use super::{KafkaConfig, KafkaError, TopicSettings};
use crate::heads::{HeadWitness, SignedHead};

/// The topic's name under a prefix (`pitlane` → `pitlane.audit.heads`).
pub fn heads_topic(prefix: &str) -> String {
    format!("{prefix}.audit.heads")
}

/// Hands each signed head to a Kafka topic (created, one partition, on first use).
pub struct HeadsTopic {
    kafka: KafkaConfig,
    topic: String,
    replication: i32,
    producer: OrderedProducer,
    created: OnceCell<()>,
}

/// How long a head may wait for the brokers before it counts as missed.
const TIMEOUT: Duration = Duration::from_secs(10);

impl HeadsTopic {
    /// A witness on `topic`, replicated `replication` times when it is created.
    pub fn new(kafka: KafkaConfig, topic: String, replication: i32) -> Result<Self, KafkaError> {
        let settings = ProducerSettings {
            delivery_timeout: TIMEOUT,
            ..ProducerSettings::default()
        };
        Ok(Self {
            producer: OrderedProducer::new(&kafka, settings)?,
            kafka,
            topic,
            replication,
            created: OnceCell::new(),
        })
    }

    async fn send(&self, head: &SignedHead) -> Result<(), KafkaError> {
        self.created
            .get_or_try_init(|| async {
                let settings = TopicSettings {
                    partitions: 1,
                    replication: self.replication,
                };
                ensure_topics(
                    &self.kafka,
                    std::slice::from_ref(&self.topic),
                    settings,
                    TIMEOUT,
                )
                .await
            })
            .await?;
        let record = Record {
            topic: self.topic.clone(),
            key: b"heads".to_vec(),
            value: serde_json::to_vec(head).map_err(|e| KafkaError::Client(e.to_string()))?,
            headers: vec![(CONTENT_TYPE.into(), JSON.as_bytes().to_vec())],
        };
        self.producer.send_all(std::slice::from_ref(&record)).await
    }
}

#[async_trait]
impl HeadWitness for HeadsTopic {
    fn name(&self) -> String {
        format!("kafka topic {}", self.topic)
    }

    async fn witness(&self, head: &SignedHead) -> Result<(), String> {
        self.send(head).await.map_err(|e| e.to_string())
    }
}
