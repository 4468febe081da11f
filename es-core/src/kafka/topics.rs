//! Creating missing topics at start (rdkafka's `AdminClient`).
//!
//! Topics are created explicitly rather than left to broker auto-creation: production
//! clusters usually disable it, and auto-created topics get the broker's default
//! partition count instead of the one configured here.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use super::{KafkaConfig, KafkaError, TopicSettings};

/// Creates each of `topics` that does not exist yet; existing ones are left as they are.
/// Fails after `timeout` without an answer (brokers down).
pub async fn ensure_topics(
    config: &KafkaConfig,
    topics: &[String],
    settings: TopicSettings,
    timeout: Duration,
) -> Result<(), KafkaError> {
    if topics.is_empty() {
        return Ok(());
    }
    let admin: AdminClient<DefaultClientContext> =
        config.client(&[]).create().map_err(KafkaError::client)?;
    let new_topics: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|topic| {
            NewTopic::new(
                topic,
                settings.partitions,
                TopicReplication::Fixed(settings.replication),
            )
        })
        .collect();
    let options = AdminOptions::new()
        .request_timeout(Some(timeout))
        .operation_timeout(Some(timeout));
    let results = admin
        .create_topics(&new_topics, &options)
        .await
        .map_err(KafkaError::client)?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(KafkaError::Topic {
                    topic,
                    reason: code.to_string(),
                });
            }
        }
    }
    Ok(())
}
