//! One error type for the Kafka adapters.

use crate::store::StoreError;

use super::checkpoint::CheckpointError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KafkaError {
    /// The client could not be created or a request failed (broker down, timeout).
    #[error("kafka: {0}")]
    Client(String),
    /// A topic could not be created (other than because it already exists).
    #[error("cannot create topic {topic}: {reason}")]
    Topic { topic: String, reason: String },
    /// A message was not acknowledged by the brokers.
    #[error("kafka did not acknowledge {what}: {reason}")]
    Delivery { what: String, reason: String },
    /// No route for an aggregate type and no fallback topic (see `TopicMap`).
    #[error("no topic for aggregate type `{0}` (add a route or a fallback topic)")]
    NoTopic(String),
    #[error("cannot encode event {event_id}: {reason}")]
    Encode { event_id: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

impl KafkaError {
    pub(crate) fn client(error: impl std::fmt::Display) -> Self {
        Self::Client(error.to_string())
    }
}
