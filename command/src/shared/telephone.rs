//! A telephone number: digits with the usual separators, 6 to 20 digits.

use serde::{Deserialize, Serialize};

use super::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Telephone(String);

impl Telephone {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let phone = raw.trim();
        if phone.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
        if !phone.chars().all(allowed) || phone[1..].contains('+') {
            return Err(FieldError::new(
                field,
                "may contain only digits, spaces and + - ( ) .",
            ));
        }
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if !(6..=20).contains(&digits) {
            return Err(FieldError::new(field, "must have 6 to 20 digits"));
        }
        Ok(Telephone(phone.to_owned()))
    }
}

string_value!(Telephone);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telephone_numbers_need_six_to_twenty_digits_and_no_letters() {
        assert!(Telephone::parse("telephone", "+31 (0)20-123 4567").is_ok());
        assert!(Telephone::parse("telephone", "12345").is_err());
        assert!(Telephone::parse("telephone", "call me").is_err());
        assert!(Telephone::parse("telephone", "12+345678").is_err());
    }
}
