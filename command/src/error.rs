//! The one error chain of the service: domain rule or bad field or infrastructure →
//! [`AppError`] → `tonic::Status` with a machine-readable `ErrorDetail` in its details.

use contracts::v1::ErrorDetail;
use es_core::{CommandError, RepositoryError, StoreError};
use prost::Message;
use tonic::{Code, Status};

use crate::shared::{DomainRule, FieldError, RuleKind};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid {}: {}", .0.field, .0.message)]
    Invalid(FieldError),
    #[error("{message}")]
    Rule {
        reason: &'static str,
        kind: RuleKind,
        message: String,
    },
    #[error("concurrent writers kept changing {0}; retry the command")]
    Conflict(String),
    #[error("the event store is unavailable: {0}")]
    Unavailable(String),
    /// Stored data that cannot be read (corrupt row, broken chain, unknown event): an
    /// operator problem. The client gets a stable reason, the log gets the cause.
    #[error("stored events cannot be read: {0}")]
    Integrity(String),
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Invalid(error)
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Concurrency { stream_id, .. } => AppError::Conflict(stream_id),
            StoreError::Unavailable(cause) => AppError::Unavailable(cause),
            StoreError::InvalidAppend { reason, .. } => {
                AppError::Invalid(FieldError::new("request", reason))
            }
            StoreError::IdempotencyKeyUsed(record) => AppError::Invalid(FieldError::new(
                "idempotency_key",
                format!("was already used for {}", record.stream_id),
            )),
            corrupt @ (StoreError::Corrupt { .. } | StoreError::ChainBroken { .. }) => {
                AppError::Integrity(corrupt.to_string())
            }
        }
    }
}

impl<E: DomainRule + 'static> From<CommandError<E>> for AppError {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Domain(rule) => AppError::Rule {
                reason: rule.reason(),
                kind: rule.kind(),
                message: rule.to_string(),
            },
            CommandError::Repository(RepositoryError::Store(store)) => store.into(),
            CommandError::Repository(codec @ RepositoryError::Codec { .. }) => {
                AppError::Integrity(codec.to_string())
            }
        }
    }
}

impl From<AppError> for Status {
    fn from(error: AppError) -> Self {
        let (code, reason, field) = match &error {
            AppError::Invalid(e) => (Code::InvalidArgument, "invalid_argument", e.field.clone()),
            AppError::Rule { reason, kind, .. } => {
                let code = match kind {
                    RuleKind::Violation => Code::FailedPrecondition,
                    RuleKind::NotFound => Code::NotFound,
                    RuleKind::AlreadyExists => Code::AlreadyExists,
                };
                (code, *reason, String::new())
            }
            AppError::Conflict(_) => (Code::Aborted, "concurrency_conflict", String::new()),
            AppError::Unavailable(_) => (Code::Unavailable, "store_unavailable", String::new()),
            AppError::Integrity(_) => (Code::Internal, "stored_events_unreadable", String::new()),
        };
        let message = match &error {
            AppError::Integrity(cause) => {
                tracing::error!(%cause, "stored events cannot be read");
                "stored events cannot be read; operators have been told".to_owned()
            }
            AppError::Unavailable(cause) => {
                tracing::warn!(%cause, "event store unavailable");
                "the event store is unavailable; retry later".to_owned()
            }
            other => other.to_string(),
        };
        let detail = ErrorDetail {
            reason: reason.to_owned(),
            field,
            message: message.clone(),
            ..Default::default()
        };
        Status::with_details(code, message, detail.encode_to_vec().into())
    }
}

/// Decodes the `ErrorDetail` a status carries (for clients and tests).
pub fn detail(status: &Status) -> Option<ErrorDetail> {
    ErrorDetail::decode(status.details()).ok()
}
