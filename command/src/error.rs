//! The one error chain of the service: domain rule or bad field or infrastructure →
//! [`AppError`] → `tonic::Status` with a machine-readable `ErrorDetail` in its details.

use contracts::errors::ErrorDetail;
use es_core::{CommandError, RepositoryError, StoreError, VaultError};
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
    /// The resource is booked on another job or delivery in an overlapping slot: the
    /// write side's final word (ADR 016), with the holder and its slot.
    #[error("{message}")]
    ScheduleConflict {
        message: String,
        holder_id: String,
        slot: crate::shared::Timeslot,
    },
    #[error("concurrent writers kept changing {0}; retry the command")]
    Conflict(String),
    /// `x-expected-version` (the BFF's `If-Match`) no longer matches.
    #[error("{stream_id} is at version {actual}, not {expected}")]
    VersionMismatch {
        stream_id: String,
        expected: u64,
        actual: u64,
    },
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

impl From<VaultError> for AppError {
    fn from(error: VaultError) -> Self {
        match error {
            VaultError::Unavailable(cause) => AppError::Unavailable(cause),
            // Sealed data that does not open, or sealing for an erased subject the
            // aggregate believed alive: an operator problem, like a broken chain.
            other => AppError::Integrity(other.to_string()),
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
            CommandError::Repository(RepositoryError::VersionMismatch {
                stream_id,
                expected,
                actual,
            }) => AppError::VersionMismatch {
                stream_id,
                expected,
                actual,
            },
            CommandError::Repository(RepositoryError::Vault(vault)) => vault.into(),
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
            AppError::ScheduleConflict { .. } => {
                (Code::FailedPrecondition, "schedule_conflict", String::new())
            }
            AppError::Conflict(_) => (Code::Aborted, "concurrency_conflict", String::new()),
            AppError::VersionMismatch { .. } => {
                (Code::FailedPrecondition, "version_mismatch", String::new())
            }
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
        let mut detail = ErrorDetail::new(reason, message).on_field(field);
        if let AppError::ScheduleConflict {
            holder_id, slot, ..
        } = &error
        {
            detail.conflicting_id = holder_id.clone();
            detail.conflicting_slot = Some(contracts::v1::Timeslot {
                start: Some(crate::shared::to_proto_time(slot.start())),
                end: Some(crate::shared::to_proto_time(slot.end())),
            });
        }
        detail.into_status(code)
    }
}

/// Decodes the `ErrorDetail` a status carries (for clients and tests).
pub fn detail(status: &Status) -> Option<ErrorDetail> {
    ErrorDetail::of(status)
}

#[cfg(test)]
mod tests {
    use es_core::ExpectedVersion;

    use super::*;

    fn code_and_reason(error: AppError) -> (Code, String) {
        let status = Status::from(error);
        let reason = detail(&status).expect("detail").reason;
        (status.code(), reason)
    }

    #[test]
    fn a_conflict_left_after_retries_is_aborted() {
        let error = AppError::from(StoreError::Concurrency {
            stream_id: "delivery-1".into(),
            expected: ExpectedVersion::Exact(1),
            actual: 2,
        });
        assert_eq!(
            code_and_reason(error),
            (Code::Aborted, "concurrency_conflict".into())
        );
    }

    #[test]
    fn an_unavailable_store_is_unavailable_and_hides_its_cause() {
        let status = Status::from(AppError::from(StoreError::Unavailable(
            "disk /dev/sda1 full".into(),
        )));
        assert_eq!(status.code(), Code::Unavailable);
        assert!(
            !status.message().contains("sda1"),
            "no internals leak to clients"
        );
    }

    #[test]
    fn unreadable_stored_events_are_internal_with_a_stable_reason_and_no_details_leaked() {
        let error = AppError::from(StoreError::ChainBroken {
            stream_id: "customer-1".into(),
            version: 3,
            expected: "hash aa".into(),
            found: "hash bb".into(),
        });
        let status = Status::from(error);
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(detail(&status).unwrap().reason, "stored_events_unreadable");
        assert!(!status.message().contains("hash"));
    }

    #[test]
    fn rule_kinds_pick_their_status_codes() {
        let rule = |kind| AppError::Rule {
            reason: "some_rule",
            kind,
            message: "no".into(),
        };
        assert_eq!(
            code_and_reason(rule(RuleKind::Violation)).0,
            Code::FailedPrecondition
        );
        assert_eq!(code_and_reason(rule(RuleKind::NotFound)).0, Code::NotFound);
        assert_eq!(
            code_and_reason(rule(RuleKind::AlreadyExists)).0,
            Code::AlreadyExists
        );
        assert_eq!(code_and_reason(rule(RuleKind::NotFound)).1, "some_rule");
    }

    #[test]
    fn invalid_input_names_its_field() {
        let status = Status::from(AppError::Invalid(FieldError::new("email", "is not valid")));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(detail(&status).unwrap().field, "email");
    }
}
