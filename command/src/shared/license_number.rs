//! A vehicle license number: three groups of 1–3 digits or 1–3 letters joined by
//! hyphens (`AB-123-C`, `12-ABC-3`), case-insensitive, stored upper-case.

use serde::{Deserialize, Serialize};

use super::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LicenseNumber(String);

impl LicenseNumber {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let upper = raw.trim().to_ascii_uppercase();
        let groups: Vec<&str> = upper.split('-').collect();
        let group_ok = |g: &&str| {
            (1..=3).contains(&g.len())
                && (g.bytes().all(|b| b.is_ascii_digit())
                    || g.bytes().all(|b| b.is_ascii_uppercase()))
        };
        if groups.len() == 3 && groups.iter().all(group_ok) {
            Ok(LicenseNumber(upper))
        } else {
            Err(FieldError::new(
                field,
                "must be three groups of 1-3 digits or 1-3 letters joined by hyphens, e.g. AB-123-C",
            ))
        }
    }
}

string_value!(LicenseNumber);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_numbers_are_case_insensitive_and_stored_upper_case() {
        assert_eq!(
            LicenseNumber::parse("id", "ab-123-c").unwrap().as_str(),
            "AB-123-C"
        );
        assert_eq!(
            LicenseNumber::parse("id", " 12-abc-3 ").unwrap().as_str(),
            "12-ABC-3"
        );
    }

    #[test]
    fn license_numbers_need_three_groups_of_only_digits_or_only_letters() {
        for bad in [
            "",
            "AB-123",
            "AB-123-C-D",
            "A1-123-C",
            "ABCD-12-C",
            "AB--C",
            "AB-12 3-C",
            "ÄB-12-C",
        ] {
            assert!(
                LicenseNumber::parse("license_number", bad).is_err(),
                "{bad}"
            );
        }
    }
}
