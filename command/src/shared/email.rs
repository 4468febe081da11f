//! A well-formed email address: `local@domain.tld` in ASCII (an internationalized domain
//! in its `xn--` form), no spaces, at most 254 characters; the local part is 1 to 64
//! visible characters other than `@`, each domain label letters, digits and inner
//! hyphens. The BFF's OpenAPI document states the same rule as a pattern.

use serde::{Deserialize, Serialize};

use super::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim();
        let invalid = |why: &str| FieldError::new(field, format!("is not a valid email: {why}"));
        if email.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        if email.len() > 254 {
            return Err(invalid("longer than 254 characters"));
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("contains whitespace"));
        }
        if !email.is_ascii() {
            return Err(invalid(
                "not ASCII (write an internationalized domain as xn--…)",
            ));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(invalid("missing @"));
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(invalid("bad local part"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(invalid("bad domain"));
        }
        Ok(Email(email.to_owned()))
    }
}

string_value!(Email);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_emails_are_accepted() {
        for ok in [
            "ada@example.com",
            "a.b+c@mail.example.co.uk",
            "x@xn--bcher-kva.de",
        ] {
            assert!(Email::parse("email", ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn malformed_emails_are_rejected_naming_the_field() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@-x.com",
            "ada@ex..com",
            "adé@example.com",
            "ada@bücher.de",
        ] {
            let error = Email::parse("email", bad).unwrap_err();
            assert_eq!(error.field, "email", "{bad}");
        }
    }
}
