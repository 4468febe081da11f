//! The edge between wire and domain: every proto request converts into a command for
//! one aggregate instance, or fails naming the field that is wrong.

use chrono::{DateTime, Utc};
use contracts::v1;
use es_core::Aggregate;

use super::{FieldError, Timeslot};

/// A command with the id of the aggregate instance it is for.
#[derive(Debug, Clone, PartialEq)]
pub struct Addressed<C> {
    pub aggregate_id: String,
    pub command: C,
}

impl<C> Addressed<C> {
    pub fn new(aggregate_id: impl ToString, command: C) -> Self {
        Self {
            aggregate_id: aggregate_id.to_string(),
            command,
        }
    }
}

/// Implemented by each proto request in its context's `convert.rs`.
pub trait IntoCommand: Sized {
    type Aggregate: Aggregate;

    /// Parses every field; `now` is the server's clock for commands that record when
    /// they happened (aggregates never read a clock).
    fn into_command(
        self,
        now: DateTime<Utc>,
    ) -> Result<Addressed<<Self::Aggregate as Aggregate>::Command>, FieldError>;
}

/// A required timestamp field.
pub fn required_time(
    field: &str,
    value: Option<prost_types::Timestamp>,
) -> Result<DateTime<Utc>, FieldError> {
    let value = value.ok_or_else(|| FieldError::new(field, "is required"))?;
    let nanos = u32::try_from(value.nanos)
        .map_err(|_| FieldError::new(field, "has negative nanoseconds"))?;
    DateTime::from_timestamp(value.seconds, nanos)
        .ok_or_else(|| FieldError::new(field, "is out of range"))
}

/// A required slot field: both ends present and `start < end`.
pub fn required_slot(field: &str, value: Option<v1::Timeslot>) -> Result<Timeslot, FieldError> {
    let slot = value.ok_or_else(|| FieldError::new(field, "is required"))?;
    let start = required_time(&format!("{field}.start"), slot.start)?;
    let end = required_time(&format!("{field}.end"), slot.end)?;
    Timeslot::new(field, start, end)
}

/// A proto enum value that must be one of the known, non-UNSPECIFIED values.
pub fn required_enum<E: TryFrom<i32>>(field: &str, value: i32) -> Result<E, FieldError> {
    if value == 0 {
        return Err(FieldError::new(field, "is required"));
    }
    E::try_from(value).map_err(|_| FieldError::new(field, format!("has unknown value {value}")))
}

/// Converts a domain time for a proto reply.
pub fn to_proto_time(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_time_names_its_field() {
        assert_eq!(
            required_time("slot.start", None).unwrap_err().field,
            "slot.start"
        );
    }

    #[test]
    fn a_slot_ending_before_it_starts_names_its_end() {
        let slot = v1::Timeslot {
            start: Some(prost_types::Timestamp {
                seconds: 100,
                nanos: 0,
            }),
            end: Some(prost_types::Timestamp {
                seconds: 50,
                nanos: 0,
            }),
        };
        assert_eq!(
            required_slot("slot", Some(slot)).unwrap_err().field,
            "slot.end"
        );
    }

    #[test]
    fn unspecified_enums_are_missing_and_unknown_ones_rejected() {
        let missing = required_enum::<v1::VehicleUsage>("usage", 0).unwrap_err();
        assert_eq!(missing.message, "is required");
        assert!(required_enum::<v1::VehicleUsage>("usage", 99).is_err());
        assert_eq!(
            required_enum::<v1::VehicleUsage>("usage", v1::VehicleUsage::Fleet as i32).unwrap(),
            v1::VehicleUsage::Fleet
        );
    }
}
