//! A time slot `[start, end)`: always `start < end`. Two slots overlap when
//! `a.start < b.end && a.end > b.start`, so slots that only touch do not overlap.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timeslot {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Timeslot {
    /// A slot; `field` names the request field for the error (`slot`, `actual`…).
    pub fn new(field: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, FieldError> {
        if start < end {
            Ok(Self { start, end })
        } else {
            Err(FieldError::new(
                format!("{field}.end"),
                "must be after the start",
            ))
        }
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    pub fn overlaps(&self, other: &Timeslot) -> bool {
        self.start < other.end && self.end > other.start
    }

    /// Whether `at` is inside the slot (`start <= at < end`).
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + minute * 60, 0).unwrap()
    }

    fn slot(start: i64, end: i64) -> Timeslot {
        Timeslot::new("slot", at(start), at(end)).unwrap()
    }

    #[test]
    fn a_slot_needs_its_start_before_its_end() {
        assert_eq!(
            Timeslot::new("slot", at(5), at(5)).unwrap_err().field,
            "slot.end"
        );
        assert!(Timeslot::new("slot", at(6), at(5)).is_err());
    }

    #[test]
    fn touching_slots_do_not_overlap() {
        assert!(!slot(0, 60).overlaps(&slot(60, 120)));
        assert!(!slot(60, 120).overlaps(&slot(0, 60)));
    }

    #[test]
    fn a_slot_inside_another_overlaps_it() {
        assert!(slot(0, 120).overlaps(&slot(30, 60)));
        assert!(slot(30, 60).overlaps(&slot(0, 120)));
    }

    proptest! {
        #[test]
        fn overlap_is_symmetric_and_matches_a_shared_minute(
            a in 0i64..500, la in 1i64..200, b in 0i64..500, lb in 1i64..200
        ) {
            let (x, y) = (slot(a, a + la), slot(b, b + lb));
            prop_assert_eq!(x.overlaps(&y), y.overlaps(&x));
            // Slots are whole minutes here: they overlap iff some minute lies in both.
            let shared = (a.max(b)..(a + la).min(b + lb)).next().is_some();
            prop_assert_eq!(x.overlaps(&y), shared);
        }

        #[test]
        fn every_slot_overlaps_itself_and_not_its_successor(a in 0i64..500, l in 1i64..200) {
            let x = slot(a, a + l);
            prop_assert!(x.overlaps(&x));
            prop_assert!(!x.overlaps(&slot(a + l, a + 2 * l)));
        }
    }
}
