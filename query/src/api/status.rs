//! Query errors as gRPC statuses, with the machine-readable `ErrorDetail`.

use contracts::errors::ErrorDetail;
use tonic::{Code, Status};

use super::QueryError;
use super::consistency::Wait;

impl From<QueryError> for Status {
    fn from(error: QueryError) -> Self {
        let (code, reason, field, message) = match error {
            QueryError::Invalid { field, message } => {
                let text = format!("invalid {field}: {message}");
                (Code::InvalidArgument, "invalid_argument", field, text)
            }
            QueryError::NotFound(what) => (Code::NotFound, "not_found", String::new(), what),
            QueryError::Refused {
                reason,
                field,
                message,
            } => (Code::FailedPrecondition, reason, field, message),
            QueryError::Db(cause) => {
                tracing::warn!(%cause, "read-model query failed");
                (
                    Code::Unavailable,
                    "read_models_unavailable",
                    String::new(),
                    "the read models are unavailable; retry later".to_owned(),
                )
            }
        };
        status(code, reason, field, message)
    }
}

impl From<Wait> for Status {
    fn from(wait: Wait) -> Self {
        match wait {
            Wait::Invalid(error) => error.into(),
            Wait::TimedOut { position, reached } => {
                let message = format!(
                    "the read models have reached position {reached}, not yet {position}; retry in a second"
                );
                let detail = ErrorDetail {
                    retry_after: Some(std::time::Duration::from_secs(1)),
                    ..ErrorDetail::new("consistency_timeout", message)
                };
                let mut status = detail.into_status(Code::Unavailable);
                status.metadata_mut().insert(
                    "retry-after",
                    tonic::metadata::MetadataValue::from_static("1"),
                );
                status
            }
        }
    }
}

fn status(code: Code, reason: &str, field: String, message: String) -> Status {
    ErrorDetail::new(reason, message)
        .on_field(field)
        .into_status(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_that_timed_out_is_unavailable_with_a_retry_hint_in_metadata_and_details() {
        let status = Status::from(Wait::TimedOut {
            position: 9,
            reached: 7,
        });
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(status.metadata().get("retry-after").unwrap(), "1");
        let detail = ErrorDetail::of(&status).expect("a detail");
        assert_eq!(detail.reason, "consistency_timeout");
        assert_eq!(detail.retry_after, Some(std::time::Duration::from_secs(1)));
        assert!(
            detail.message.contains("reached position 7, not yet 9"),
            "{}",
            detail.message
        );
    }
}
