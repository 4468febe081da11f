//! Why an audit question has no answer.

use crate::store::StoreError;
use crate::vault::VaultError;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// No event was ever appended to this stream.
    #[error("unknown stream `{0}`")]
    UnknownStream(String),
    /// Asked for a version past the stream's last one.
    #[error("stream `{stream_id}` has {current} events; there is no version {requested}")]
    NoSuchVersion {
        stream_id: String,
        requested: u64,
        current: u64,
    },
    /// A question that does not make sense, naming what is wrong with it (e.g. a diff
    /// whose `from` is after its `to`).
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// No replayer is registered for the stream's aggregate type.
    #[error("no state replay is known for aggregate type `{0}`")]
    UnknownAggregateType(String),
    /// An event does not decode into its aggregate's events (the chain may still hold).
    #[error("stream `{stream_id}` version {version} does not replay: {reason}")]
    Replay {
        stream_id: String,
        version: u64,
        reason: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}
