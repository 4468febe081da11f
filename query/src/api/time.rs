//! Times between proto and the read models.

use chrono::{DateTime, Utc};

use super::QueryError;

pub fn to_timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

/// An optional time filter; a malformed one names its field.
pub fn optional_time(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<Option<DateTime<Utc>>, QueryError> {
    value
        .map(|t| {
            u32::try_from(t.nanos)
                .ok()
                .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos))
                .ok_or_else(|| QueryError::invalid(field, "is out of range"))
        })
        .transpose()
}
