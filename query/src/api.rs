//! The query gRPC API: shared request handling (paging, errors, time) and the service.

pub mod consistency;
mod dead_letters;
mod paging;
pub mod scope;
pub mod service;
mod status;
mod time;

pub use dead_letters::export_parked;
pub use paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, direction};
pub use time::{optional_time, to_timestamp};

use uuid::Uuid;

use crate::store::DbError;

/// Why a query failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A request field is wrong: `INVALID_ARGUMENT` naming it.
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// The thing asked for does not exist (yet): `NOT_FOUND`.
    #[error("{0}")]
    NotFound(String),
    /// The request is well-formed but refused in the current state (`reason` says
    /// why): `FAILED_PRECONDITION`.
    #[error("{message}")]
    Refused {
        reason: &'static str,
        field: String,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A list's `search` text, trimmed; `None` when blank. Control characters are refused,
/// naming `search`: a NUL would cut the database's pattern short and match every row,
/// and no searched column (names, emails, cities) holds one.
pub fn search_text(raw: &str) -> Result<Option<String>, QueryError> {
    let search = raw.trim();
    if search.chars().any(char::is_control) {
        return Err(QueryError::invalid(
            "search",
            "must not contain control characters",
        ));
    }
    Ok((!search.is_empty()).then(|| search.to_owned()))
}

/// A request field that must be a UUID; anything else is `Invalid` naming `field`.
pub fn parse_uuid(field: &str, raw: &str) -> Result<Uuid, QueryError> {
    Uuid::parse_str(raw.trim()).map_err(|_| QueryError::invalid(field, "must be a UUID"))
}

impl QueryError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        QueryError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
