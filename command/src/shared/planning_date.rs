//! The id of a workshop planning: a calendar date, `yyyy-mm-dd`.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlanningDate(NaiveDate);

impl PlanningDate {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map_err(|_| FieldError::new(field, "must be a date as yyyy-mm-dd"))?;
        if !super::input::within_operation(date) {
            return Err(FieldError::new(field, super::input::OUTSIDE_OPERATION));
        }
        Ok(PlanningDate(date))
    }

    pub fn date(&self) -> NaiveDate {
        self.0
    }

    /// Whether a moment falls on this date (UTC).
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        at.date_naive() == self.0
    }
}

impl From<NaiveDate> for PlanningDate {
    fn from(date: NaiveDate) -> Self {
        PlanningDate(date)
    }
}

impl fmt::Display for PlanningDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planning_dates_are_iso_calendar_dates() {
        assert_eq!(
            PlanningDate::parse("date", "2026-11-21")
                .unwrap()
                .to_string(),
            "2026-11-21"
        );
        assert!(PlanningDate::parse("date", "2026-02-30").is_err());
        assert!(PlanningDate::parse("date", "21-11-2026").is_err());
    }

    #[test]
    fn dates_outside_the_operators_years_are_refused_naming_the_bounds() {
        for raw in ["0001-01-01", "1999-12-31", "2100-01-01", "9999-12-31"] {
            let refused = PlanningDate::parse("date", raw).unwrap_err();
            assert_eq!(refused.field, "date", "{raw}");
            assert!(
                refused
                    .message
                    .contains("between 2000-01-01 and 2099-12-31"),
                "{raw}"
            );
        }
        assert!(PlanningDate::parse("date", "2000-01-01").is_ok());
        assert!(PlanningDate::parse("date", "2099-12-31").is_ok());
    }
}
