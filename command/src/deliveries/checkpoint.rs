//! A route checkpoint (positive sequence, location, expected time) — planned on a
//! route and copied into every delivery created from it.

use std::fmt;
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::shared::{FieldError, Text};

/// A checkpoint's position on its route: a positive number (0 cannot be built, not
/// even by deserialising a stored event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sequence(NonZeroU32);

impl Sequence {
    /// Parses the proto `uint32` in request field `field`; 0 (the proto default, so
    /// also "not given") is rejected.
    pub fn parse(field: &str, raw: u32) -> Result<Self, FieldError> {
        NonZeroU32::new(raw)
            .map(Sequence)
            .ok_or_else(|| FieldError::new(field, "must be a positive number"))
    }

    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for Sequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A checkpoint location: at most 200 characters.
pub type Location = Text<200>;

/// One planned stop of a route. It has no invariant of its own: the ordering rules
/// (increasing sequences and expected times) belong to the route that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub sequence: Sequence,
    pub location: Location,
    pub expected_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sequence_must_be_positive() {
        assert_eq!(
            Sequence::parse("sequence", 0).unwrap_err().field,
            "sequence"
        );
        assert_eq!(Sequence::parse("sequence", 7).unwrap().get(), 7);
    }

    #[test]
    fn a_stored_sequence_of_zero_does_not_deserialise() {
        assert!(serde_json::from_str::<Sequence>("0").is_err());
        assert_eq!(
            serde_json::from_str::<Sequence>("3").unwrap(),
            Sequence::parse("sequence", 3).unwrap()
        );
    }
}
