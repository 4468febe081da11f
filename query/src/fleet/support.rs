//! What the fleet queries share: parsing a request's UUID field, and the error naming a
//! row the read model cannot answer.

use uuid::Uuid;

use crate::api::QueryError;
use crate::store::DbError;

/// A request field that must be a UUID; anything else is `Invalid` naming `field`.
pub fn parse_uuid(field: &str, raw: &str) -> Result<Uuid, QueryError> {
    Uuid::parse_str(raw.trim()).map_err(|_| QueryError::invalid(field, "must be a UUID"))
}

/// A row of `table` the query cannot read (an unknown stored word).
pub fn shape(table: &'static str, reason: String) -> DbError {
    DbError::Shape { table, reason }
}
