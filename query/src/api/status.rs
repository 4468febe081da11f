//! Query errors as gRPC statuses, with the machine-readable `ErrorDetail`.

use contracts::v1::ErrorDetail;
use prost::Message;
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
                let mut status = status(
                    Code::Unavailable,
                    "consistency_timeout",
                    String::new(),
                    format!(
                        "the read models have reached position {reached}, not yet {position}; retry in a second"
                    ),
                );
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
    let detail = ErrorDetail {
        reason: reason.to_owned(),
        field,
        message: message.clone(),
        ..Default::default()
    };
    Status::with_details(code, message, detail.encode_to_vec().into())
}
