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
        .filter(|at| written_within_operation(*at))
        .ok_or_else(|| FieldError::new(field, OUTSIDE_OPERATION))
}

/// An instant some time zone writes within the operator's years: RFC 3339 offsets reach
/// ±23:59, so from 2000-01-01T00:00+23:59 (1999-12-31T00:01Z) to just before
/// 2099-12-31T24:00-23:59 (2100-01-01T23:59Z). The REST API checks the year as the
/// client wrote it, so whatever it admits, this admits too.
pub fn written_within_operation(at: DateTime<Utc>) -> bool {
    let earliest = DateTime::from_timestamp(946_598_460, 0); // 1999-12-31T00:01:00Z
    let end = DateTime::from_timestamp(4_102_531_140, 0); // 2100-01-01T23:59:00Z
    matches!((earliest, end), (Some(earliest), Some(end)) if earliest <= at && at < end)
}

/// The dates an operator plans and records on: 2000-01-01 to 2099-12-31 (UTC). Jobs
/// in year 1 or 9999 and routes in year −1 are typing mistakes, refused naming the field.
pub fn within_operation(date: chrono::NaiveDate) -> bool {
    (2000..=2099).contains(&chrono::Datelike::year(&date))
}

pub const OUTSIDE_OPERATION: &str = "must be between 2000-01-01 and 2099-12-31";

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

/// What the `convert` tests of every context share: tables of bad requests.
#[cfg(test)]
pub mod testing {
    use super::IntoCommand;

    /// The field a bad request must be rejected naming, and how to spoil a valid one.
    pub type Spoil<R> = (&'static str, fn(&mut R));

    /// Each case's spoiled copy of `valid` is rejected naming the case's field.
    #[track_caller]
    pub fn assert_spoils_rejected<R: IntoCommand + Clone>(valid: R, cases: &[Spoil<R>]) {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        for (index, (field, spoil)) in cases.iter().enumerate() {
            let mut request = valid.clone();
            spoil(&mut request);
            match request.into_command(now) {
                Ok(_) => panic!("case {index}: expected `{field}` to be rejected"),
                Err(error) => assert_eq!(error.field, *field, "case {index}: {error}"),
            }
        }
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
                seconds: 1_800_000_100,
                nanos: 0,
            }),
            end: Some(prost_types::Timestamp {
                seconds: 1_800_000_050,
                nanos: 0,
            }),
        };
        assert_eq!(
            required_slot("slot", Some(slot)).unwrap_err().field,
            "slot.end"
        );
    }

    #[test]
    fn a_time_outside_the_operators_years_is_refused_naming_the_field() {
        let at = |seconds| Some(prost_types::Timestamp { seconds, nanos: 0 });
        // 1970, 0001-01-01, 9999-12-31, 1999-12-31T00:00Z and 2100-01-02T00:00Z: no time
        // zone writes them in the years 2000 to 2099.
        for seconds in [
            0,
            -62_135_596_800,
            253_402_214_400,
            946_598_400,
            4_102_531_200,
        ] {
            let refused = required_time("slot.start", at(seconds)).unwrap_err();
            assert_eq!(
                (refused.field.as_str(), refused.message.as_str()),
                ("slot.start", OUTSIDE_OPERATION),
                "{seconds}"
            );
        }
        // 2027, and the first and last instants some time zone writes in 2000 and 2099.
        for seconds in [1_800_000_000, 946_598_460, 4_102_531_139] {
            assert!(
                required_time("slot.start", at(seconds)).is_ok(),
                "{seconds}"
            );
        }
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
