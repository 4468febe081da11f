//! The one textual form of timestamps: RFC 3339, UTC, microseconds, `Z`.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn format(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses RFC 3339 text; the error is the one message every interface gives for a bad
/// time (the CLI, gRPC, REST): "`yesterday` is not an RFC 3339 time like
/// 2026-12-01T09:00:00Z (input contains invalid characters)".
pub fn parse(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| format!("`{text}` is not an RFC 3339 time like 2026-12-01T09:00:00Z ({e})"))
}

/// For optional RFC 3339 fields (`#[serde(default, deserialize_with = …)]`): a bad
/// value is refused with [`parse`]'s message.
pub fn deserialize_optional<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text: Option<String> = serde::Deserialize::deserialize(deserializer)?;
    text.map(|t| parse(&t).map_err(serde::de::Error::custom))
        .transpose()
}
