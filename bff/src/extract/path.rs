//! [`Path`]: the path's segments as typed values, or a 400 naming the segment at fault
//! by its name in the route (`/deliveries/{delivery_id}` → `delivery_id`).
//!
//! A segment type says what it accepts once ([`Segment`]); handlers take
//! `Path(id): Path<Uuid>` or `Path((date, job_id)): Path<(NaiveDate, Uuid)>`.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use chrono::NaiveDate;
use uuid::Uuid;

use crate::problem::ApiError;

/// The path's segments, in the order the route names them.
pub struct Path<T>(pub T);

/// One path segment's type: what it reads, and what the 400 says when it cannot.
pub trait Segment: Sized {
    /// Completes "must be …" in the problem's detail.
    const EXPECTED: &'static str;

    fn parse(raw: &str) -> Option<Self>;
}

/// A segment that is any text (checked later, e.g. by the command).
impl Segment for String {
    const EXPECTED: &'static str = "text";

    fn parse(raw: &str) -> Option<Self> {
        Some(raw.to_owned())
    }
}

/// An id: a UUID in any case, with or without braces or hyphens as `uuid` reads it.
impl Segment for Uuid {
    const EXPECTED: &'static str = "a UUID";

    fn parse(raw: &str) -> Option<Self> {
        Uuid::parse_str(raw.trim()).ok()
    }
}

/// A calendar date as `yyyy-mm-dd`, four-digit year (`%Y` alone would also take signed
/// and five-digit years).
impl Segment for NaiveDate {
    const EXPECTED: &'static str = "a calendar date as yyyy-mm-dd";

    fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let shaped = raw.len() == 10 && raw.as_bytes()[0].is_ascii_digit();
        shaped
            .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
            .flatten()
    }
}

/// A checkpoint's sequence.
impl Segment for u32 {
    const EXPECTED: &'static str = "a positive whole number";

    fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }
}

/// A global position in the log.
impl Segment for u64 {
    const EXPECTED: &'static str = "a whole number";

    fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }
}

/// Reads the path's segments into `Self`: one [`Segment`], or a pair of them.
pub trait Segments: Sized {
    fn read(params: &[(&str, &str)]) -> Result<Self, ApiError>;
}

/// One segment read outside the extractor, e.g. where its type depends on another
/// segment's value.
pub fn read<T: Segment>(name: &str, raw: &str) -> Result<T, ApiError> {
    T::parse(raw).ok_or_else(|| ApiError::malformed(name, format!("must be {}", T::EXPECTED)))
}

fn segment<T: Segment>(params: &[(&str, &str)], index: usize) -> Result<T, ApiError> {
    let Some((name, raw)) = params.get(index) else {
        // A route and its handler disagree: a programming error that every route's tests
        // would show; reported, not a panic.
        return Err(ApiError::malformed(
            "path",
            "the route has fewer segments than its handler reads",
        ));
    };
    read(name, raw)
}

macro_rules! one_segment {
    ($($segment:ty),+) => {
        $(impl Segments for $segment {
            fn read(params: &[(&str, &str)]) -> Result<Self, ApiError> {
                segment(params, 0)
            }
        })+
    };
}

one_segment!(String, Uuid, NaiveDate, u32);

impl<A: Segment, B: Segment> Segments for (A, B) {
    fn read(params: &[(&str, &str)]) -> Result<Self, ApiError> {
        Ok((segment(params, 0)?, segment(params, 1)?))
    }
}

impl<S: Send + Sync, T: Segments> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::malformed("path", rejection.body_text()))?;
        let params: Vec<(&str, &str)> = raw.iter().collect();
        T::read(&params).map(Path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(error: ApiError) -> Option<String> {
        error.field
    }

    #[test]
    fn a_malformed_segment_is_named_by_its_name_in_the_route() {
        let error = <(NaiveDate, Uuid)>::read(&[("date", "2027-03-01"), ("job_id", "nope")])
            .expect_err("refused");
        assert_eq!(field_of(error), Some("job_id".to_owned()));
        let error = <(NaiveDate, Uuid)>::read(&[("date", "03/01/2027"), ("job_id", "x")])
            .expect_err("refused");
        assert_eq!(field_of(error), Some("date".to_owned()));
    }

    #[test]
    fn each_segment_type_reads_its_shape_and_nothing_else() {
        let cases: [(&str, bool, bool, bool); 11] = [
            // raw, as UUID, as date, as sequence
            ("0190f7a2-7c4e-7d2a-9b1e-5f0c2d3e4a5b", true, false, false),
            ("2027-03-01", false, true, false),
            ("+2027-03-01", false, false, false),
            ("12027-03-01", false, false, false),
            ("7", false, false, true),
            ("-1", false, false, false),
            ("2026-5-4", false, false, false),
            ("04-05-2026", false, false, false),
            ("2026-02-30", false, false, false),
            ("today", false, false, false),
            ("", false, false, false),
        ];
        for (raw, uuid, date, sequence) in cases {
            assert_eq!(Uuid::parse(raw).is_some(), uuid, "{raw} as UUID");
            assert_eq!(NaiveDate::parse(raw).is_some(), date, "{raw} as date");
            assert_eq!(u32::parse(raw).is_some(), sequence, "{raw} as sequence");
        }
    }
}
