//! What the fleet queries share: the error naming a row the read model cannot answer.

use crate::store::DbError;

/// A row of `table` the query cannot read (an unknown stored word).
pub fn shape(table: &'static str, reason: String) -> DbError {
    DbError::Shape { table, reason }
}
