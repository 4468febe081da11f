//! Kafka, the production event bus (feature `kafka`; DESIGN §2, §4, §5; ADR 012).
//!
//! - [`Relay`]: publishing by log tailing. It reads `$all` through the event-store
//!   port after its [`RelayCheckpoint`], publishes each event (topic per bounded
//!   context from a [`TopicMap`], key = `stream_id`, value = the envelope as JSON,
//!   DESIGN §4 headers) with an idempotent `acks=all` producer, and saves the
//!   checkpoint only once a batch is acknowledged: nothing is lost, duplicates are
//!   possible, per-stream order is kept. Its [`RelayStatus`] feeds health.
//! - [`KafkaEventSource`]: the projector runtime's [`EventSource`] on Kafka. It puts
//!   events back into `$all` order, commits offsets only after the read-model
//!   transaction committed, and dead-letters to `<topic>.dlq`.
//! - [`HeadsTopic`]: the log's signed heads witnessed on `<prefix>.audit.heads`.
//!
//! [`EventSource`]: crate::projection::EventSource

mod checkpoint;
mod config;
mod consumer;
mod dead_letter;
mod error;
mod heads;
mod probe;
mod producer;
mod relay;
mod relay_status;
mod reorder;
mod session;
mod source;
#[cfg(feature = "sqlite")]
mod sqlite_checkpoint;
mod topics;
pub mod wire;

#[cfg(any(test, feature = "test-util"))]
pub use checkpoint::checkpoint_contract;
pub use checkpoint::{CheckpointError, InMemoryRelayCheckpoint, RelayCheckpoint};
pub use config::{KafkaConfig, TopicMap, TopicSettings, dead_letter_topic, parse_brokers};
pub use dead_letter::{
    ATTEMPTS, ERROR, ORIGINAL_OFFSET, ORIGINAL_PARTITION, ORIGINAL_TOPIC, PROJECTOR, SETTLED,
    SETTLED_BY, read_dead_letters,
};
pub use error::KafkaError;
pub use heads::{HeadsTopic, heads_topic};
pub use producer::ProducerSettings;
pub use relay::{Relay, RelayConfig};
pub use relay_status::{RelayState, RelayStatus, RelayStatusBoard};
pub use source::{KafkaEventSource, SourceConfig};
#[cfg(feature = "sqlite")]
pub use sqlite_checkpoint::SqliteRelayCheckpoint;
pub use topics::ensure_topics;
