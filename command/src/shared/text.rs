//! Bounded, trimmed, non-empty text: every free-text field has a length limit.

use serde::{Deserialize, Serialize};

use super::FieldError;

/// Text of 1..=MAX characters (after trimming surrounding whitespace).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        let chars = trimmed.chars().count();
        if chars > MAX {
            return Err(FieldError::new(
                field,
                format!("is {chars} characters long; at most {MAX} are allowed"),
            ));
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(FieldError::new(field, "contains control characters"));
        }
        Ok(Text(trimmed.to_owned()))
    }
}

/// An optional bounded text: empty or whitespace-only input means "none".
pub fn optional_text<const MAX: usize>(
    field: &str,
    raw: &str,
) -> Result<Option<Text<MAX>>, FieldError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        Text::parse(field, raw).map(Some)
    }
}

string_value!(Text<const MAX: usize>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_must_not_be_empty() {
        assert_eq!(Text::<10>::parse("name", "  Ada ").unwrap().as_str(), "Ada");
        assert_eq!(Text::<10>::parse("name", "   ").unwrap_err().field, "name");
    }

    #[test]
    fn text_longer_than_its_limit_is_rejected_naming_the_field() {
        let error = Text::<3>::parse("location", "abcd").unwrap_err();
        assert_eq!(error.field, "location");
        assert!(error.message.contains("at most 3"));
        assert!(
            Text::<3>::parse("location", "äöü").is_ok(),
            "limits count characters"
        );
    }

    #[test]
    fn control_characters_are_rejected() {
        assert!(Text::<10>::parse("name", "a\u{0}b").is_err());
    }

    #[test]
    fn blank_optional_text_is_none() {
        assert_eq!(optional_text::<5>("notes", " ").unwrap(), None);
        assert!(optional_text::<5>("notes", "toolong").is_err());
    }
}
