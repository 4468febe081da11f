//! License numbers in requests: the command side's rule (three groups of 1–3 digits or
//! 1–3 letters joined by hyphens, case-insensitive), repeated here because the query
//! crate must not depend on `command`. Parsed once at the edge into the upper-case form
//! the read models store.

use crate::api::QueryError;

/// The upper-case license number in request field `field`, or `Invalid` naming it.
pub fn parse_license_number(field: &str, raw: &str) -> Result<String, QueryError> {
    let upper = raw.trim().to_ascii_uppercase();
    let group_ok = |group: &str| {
        (1..=3).contains(&group.len())
            && (group.bytes().all(|b| b.is_ascii_digit())
                || group.bytes().all(|b| b.is_ascii_uppercase()))
    };
    let groups: Vec<&str> = upper.split('-').collect();
    if groups.len() == 3 && groups.iter().all(|g| group_ok(g)) {
        Ok(upper)
    } else {
        Err(QueryError::invalid(
            field,
            "must be three groups of 1-3 digits or 1-3 letters joined by hyphens, e.g. AB-123-C",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_license_number_is_accepted_in_any_case_and_returned_upper_case() {
        assert_eq!(
            parse_license_number("license_number", " ab-123-c ").unwrap(),
            "AB-123-C"
        );
        assert_eq!(
            parse_license_number("license_number", "12-abc-3").unwrap(),
            "12-ABC-3"
        );
    }

    #[test]
    fn a_malformed_license_number_names_its_field() {
        for raw in [
            "",
            "AB123C",
            "AB-123",
            "AB-1C3-D",
            "ABCD-1-2",
            "AB-123-C-D",
            "AB--1",
        ] {
            assert!(
                matches!(parse_license_number("plate", raw), Err(QueryError::Invalid { field, .. }) if field == "plate"),
                "{raw:?} should be rejected"
            );
        }
    }
}
