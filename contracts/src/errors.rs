//! Errors on the wire, in gRPC's richer error model: every Pitlane error is a
//! `google.rpc.Status` in the `grpc-status-details-bin` trailer (written and read by
//! `tonic-types`), so grpcurl, Python's `grpc_status.rpc_status.from_call` and Go's
//! `status.FromError(…).Details()` read it with no Pitlane code:
//!
//! - `google.rpc.ErrorInfo`: `reason` (a stable lower_snake_case code such as
//!   `schedule_conflict`), `domain` [`DOMAIN`], and `metadata` with what else the
//!   error names (`field`, `conflicting_id`, `conflicting_slot_start`/`_end`);
//! - `google.rpc.BadRequest`: one `FieldViolation` naming the request field at fault
//!   (proto field name, dotted for nested fields: `slot.end`), for invalid arguments;
//! - `google.rpc.RetryInfo`: how long to wait, for errors worth retrying.
//!
//! [`ErrorDetail`] is the one Rust shape of all that, for servers ([`ErrorDetail::into_status`])
//! and clients ([`ErrorDetail::of`]).

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::v1::Timeslot;

/// `ErrorInfo.domain` of every Pitlane error.
pub const DOMAIN: &str = "pitlane.v1";

const FIELD: &str = "field";
const CONFLICTING_ID: &str = "conflicting_id";
const CONFLICTING_SLOT_START: &str = "conflicting_slot_start";
const CONFLICTING_SLOT_END: &str = "conflicting_slot_end";

/// What a Pitlane error says beyond its code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorDetail {
    /// Stable lower_snake_case reason code, e.g. `invalid_argument`, `not_found`,
    /// `concurrency_conflict`, `schedule_conflict`, `consistency_timeout`.
    pub reason: String,
    /// For invalid arguments: the request field that is wrong; empty otherwise.
    pub field: String,
    /// Human-readable explanation, safe to show to clients (the status message).
    pub message: String,
    /// For conflicts with another job or delivery: its id; empty otherwise.
    pub conflicting_id: String,
    /// For conflicts with another job or delivery: the slot it holds.
    pub conflicting_slot: Option<Timeslot>,
    /// For errors worth retrying: after how long.
    pub retry_after: Option<Duration>,
}

impl ErrorDetail {
    pub fn new(reason: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorDetail {
            reason: reason.into(),
            message: message.into(),
            ..Default::default()
        }
    }

    /// The error is about the request field `field`.
    pub fn on_field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }

    /// The status carrying this detail, its message the status message.
    pub fn into_status(self, code: Code) -> Status {
        let mut metadata = HashMap::new();
        if !self.field.is_empty() {
            metadata.insert(FIELD.to_owned(), self.field.clone());
        }
        if !self.conflicting_id.is_empty() {
            metadata.insert(CONFLICTING_ID.to_owned(), self.conflicting_id);
        }
        if let Some(slot) = &self.conflicting_slot {
            for (key, time) in [
                (CONFLICTING_SLOT_START, &slot.start),
                (CONFLICTING_SLOT_END, &slot.end),
            ] {
                if let Some(time) = time {
                    metadata.insert(key.to_owned(), time.to_string());
                }
            }
        }
        let mut details = ErrorDetails::with_error_info(self.reason, DOMAIN, metadata);
        if !self.field.is_empty() {
            details.add_bad_request_violation(self.field, self.message.clone());
        }
        if let Some(delay) = self.retry_after {
            details.set_retry_info(Some(delay));
        }
        Status::with_error_details(code, self.message, details)
    }

    /// The detail a Pitlane status carries; `None` for a status without one (from a
    /// proxy, or tonic's own transport errors).
    pub fn of(status: &Status) -> Option<Self> {
        let details = status.check_error_details().ok()?;
        let info = details.error_info()?;
        let metadata = &info.metadata;
        let text = |key: &str| metadata.get(key).cloned().unwrap_or_default();
        let time = |key: &str| metadata.get(key).and_then(|t| t.parse().ok());
        let field = details
            .bad_request()
            .and_then(|b| b.field_violations.first())
            .map(|v| v.field.clone())
            .unwrap_or_else(|| text(FIELD));
        let conflicting_slot = metadata
            .contains_key(CONFLICTING_SLOT_START)
            .then(|| Timeslot {
                start: time(CONFLICTING_SLOT_START),
                end: time(CONFLICTING_SLOT_END),
            });
        Some(ErrorDetail {
            reason: info.reason.clone(),
            field,
            message: status.message().to_owned(),
            conflicting_id: text(CONFLICTING_ID),
            conflicting_slot,
            retry_after: details.retry_info().and_then(|r| r.retry_delay),
        })
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    fn slot() -> Timeslot {
        Timeslot {
            start: Some("2027-03-01T08:00:00Z".parse().unwrap()),
            end: Some("2027-03-01T10:30:00Z".parse().unwrap()),
        }
    }

    #[test]
    fn a_detail_travels_as_a_google_rpc_status_and_reads_back_the_same() {
        let cases = [
            ErrorDetail::new("invalid_argument", "slot.end: must be after slot.start")
                .on_field("slot.end"),
            ErrorDetail {
                conflicting_id: "delivery-1".into(),
                conflicting_slot: Some(slot()),
                ..ErrorDetail::new("schedule_conflict", "driver D is booked")
            },
            ErrorDetail {
                retry_after: Some(Duration::from_secs(1)),
                ..ErrorDetail::new("consistency_timeout", "retry in a second")
            },
            ErrorDetail::new("not_found", "no customer 7"),
        ];
        for detail in cases {
            let status = detail.clone().into_status(Code::FailedPrecondition);
            assert_eq!(ErrorDetail::of(&status), Some(detail));
        }
    }

    #[test]
    fn the_details_are_the_standard_messages_any_grpc_client_decodes() {
        let status = ErrorDetail::new("invalid_argument", "name: must not be blank")
            .on_field("name")
            .into_status(Code::InvalidArgument);
        // What a client without tonic-types sees: a google.rpc.Status of Any details.
        let rpc = tonic_types::pb::Status::decode(status.details()).expect("a google.rpc.Status");
        assert_eq!(rpc.code, Code::InvalidArgument as i32);
        assert_eq!(rpc.message, "name: must not be blank");
        let types: Vec<&str> = rpc.details.iter().map(|a| a.type_url.as_str()).collect();
        assert_eq!(
            types,
            [
                "type.googleapis.com/google.rpc.ErrorInfo",
                "type.googleapis.com/google.rpc.BadRequest"
            ]
        );
        let info = tonic_types::pb::ErrorInfo::decode(rpc.details[0].value.as_slice()).unwrap();
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("invalid_argument", DOMAIN)
        );
        let bad = tonic_types::pb::BadRequest::decode(rpc.details[1].value.as_slice()).unwrap();
        assert_eq!(bad.field_violations[0].field, "name");
    }

    #[test]
    fn a_status_without_details_has_no_detail() {
        assert_eq!(
            ErrorDetail::of(&Status::unavailable("connection refused")),
            None
        );
    }
}
