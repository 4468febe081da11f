//! What the deliveries queries share: parsing request fields, and looking up driver
//! names in the fleet context's `drivers` read model.

use std::collections::{BTreeSet, HashMap};

pub use crate::api::direction;
use crate::api::{QueryError, parse_uuid};
use crate::fleet::DRIVERS;
use crate::store::{DbError, Filter, Reader, Row, Select, Value};

/// A request id as the read models store it (canonical lower-case UUID); anything else
/// is `Invalid` naming `field`.
pub fn parse_id(field: &str, raw: &str) -> Result<String, QueryError> {
    parse_uuid(field, raw).map(|id| id.to_string())
}

/// The names of these drivers, by driver id. A driver the fleet read model does not
/// hold (yet) is simply absent: callers answer an empty name rather than fail, so
/// deliveries stay readable while the fleet projection lags.
pub fn driver_names<'a>(
    reader: &mut dyn Reader,
    driver_ids: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, String>, QueryError> {
    let ids: BTreeSet<&str> = driver_ids.into_iter().collect();
    let ids: Vec<Value> = ids.into_iter().map(Value::from).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = reader.select(&Select::from(&DRIVERS).filter(Filter::In("driver_id", ids)))?;
    rows.iter()
        .map(|row| Ok((row.text("driver_id")?, row.text("name")?)))
        .collect()
}

/// A checkpoint row's `sequence` (positive, within `u32`, as the events carry it).
pub fn sequence_of(row: &Row) -> Result<u32, DbError> {
    let sequence = row.int("sequence")?;
    u32::try_from(sequence).map_err(|_| DbError::Shape {
        table: "checkpoints",
        reason: format!("sequence {sequence} is out of range"),
    })
}
