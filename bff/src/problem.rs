//! The one error type of the BFF and its one mapping to `application/problem+json`
//! (RFC 9457, DESIGN §8): every refusal names a stable `type`, and bad input names the
//! field that is wrong. Upstream gRPC errors arrive here through `From<tonic::Status>`,
//! reading the machine-readable `ErrorDetail` the services attach, never their messages.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use contracts::errors::ErrorDetail;
use serde::Serialize;
use tonic::Code;
use utoipa::ToSchema;

use crate::auth::denial::Denial;
use crate::convert::SlotDto;

/// The kinds of problem a client can meet; each has a stable `type` URI
/// (`/problems/<slug>`) and one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Unreadable input: malformed JSON, a bad header, query or path parameter (400).
    MalformedRequest,
    /// Well-formed input with a wrong value: wrong type, missing field, unknown enum
    /// value, a value a domain rule refuses at the edge (422).
    InvalidField,
    UnsupportedMediaType,
    PayloadTooLarge,
    /// No valid bearer token: missing, expired, signed by an unknown key… (401, with
    /// `WWW-Authenticate` naming the reason).
    Unauthenticated,
    /// The token's roles are not among those the operation admits, or a driver's token
    /// names another driver than the delivery's (403).
    Forbidden,
    NotFound,
    /// The path exists, but not with this method (405, with `Allow`).
    MethodNotAllowed,
    AlreadyExists,
    /// A domain rule refused the command in the aggregate's current state (409).
    RuleViolation,
    /// A driver, vehicle or technician is already booked in an overlapping slot (409).
    ScheduleConflict,
    /// Someone else changed the aggregate meanwhile; retry (409).
    ConcurrencyConflict,
    /// `If-Match` named a version the aggregate is no longer at (412).
    VersionMismatch,
    RateLimited,
    /// A scheduling lock could not be had in time; nothing was done (503).
    ResourceBusy,
    /// The read model did not catch up with the consistency token in time (503).
    ConsistencyTimeout,
    /// An upstream service is down, slow, or its circuit is open (503).
    UpstreamUnavailable,
    /// An upstream failed in a way that is not the client's fault (502).
    UpstreamError,
}

impl ProblemKind {
    /// Every kind, for the pages that describe them (`/problems/{slug}`).
    pub const ALL: [ProblemKind; 18] = [
        ProblemKind::MalformedRequest,
        ProblemKind::InvalidField,
        ProblemKind::UnsupportedMediaType,
        ProblemKind::PayloadTooLarge,
        ProblemKind::Unauthenticated,
        ProblemKind::Forbidden,
        ProblemKind::NotFound,
        ProblemKind::MethodNotAllowed,
        ProblemKind::AlreadyExists,
        ProblemKind::RuleViolation,
        ProblemKind::ScheduleConflict,
        ProblemKind::ConcurrencyConflict,
        ProblemKind::VersionMismatch,
        ProblemKind::RateLimited,
        ProblemKind::ResourceBusy,
        ProblemKind::ConsistencyTimeout,
        ProblemKind::UpstreamUnavailable,
        ProblemKind::UpstreamError,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ProblemKind::MalformedRequest => "malformed-request",
            ProblemKind::InvalidField => "invalid-field",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::Unauthenticated => "unauthenticated",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::AlreadyExists => "already-exists",
            ProblemKind::RuleViolation => "rule-violation",
            ProblemKind::ScheduleConflict => "schedule-conflict",
            ProblemKind::ConcurrencyConflict => "concurrency-conflict",
            ProblemKind::VersionMismatch => "version-mismatch",
            ProblemKind::RateLimited => "rate-limited",
            ProblemKind::ResourceBusy => "resource-busy",
            ProblemKind::ConsistencyTimeout => "consistency-timeout",
            ProblemKind::UpstreamUnavailable => "upstream-unavailable",
            ProblemKind::UpstreamError => "upstream-error",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::MalformedRequest => StatusCode::BAD_REQUEST,
            ProblemKind::InvalidField => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::AlreadyExists
            | ProblemKind::RuleViolation
            | ProblemKind::ScheduleConflict
            | ProblemKind::ConcurrencyConflict => StatusCode::CONFLICT,
            ProblemKind::VersionMismatch => StatusCode::PRECONDITION_FAILED,
            ProblemKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ProblemKind::ResourceBusy
            | ProblemKind::ConsistencyTimeout
            | ProblemKind::UpstreamUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ProblemKind::UpstreamError => StatusCode::BAD_GATEWAY,
        }
    }

    /// What the problem means and what a client does about it: the page its `type`
    /// URI resolves to.
    pub fn description(self) -> &'static str {
        match self {
            ProblemKind::MalformedRequest => {
                "The request could not be read: malformed JSON, a header, query or path parameter that does not parse. `field` names the part at fault. Fix the request; sending it again unchanged fails the same way."
            }
            ProblemKind::InvalidField => {
                "The request was read, but a value is wrong: a missing or unknown field, a wrong type, a value out of range. `field` names it (a JSON path such as `slot.end`). Fix that value and send again."
            }
            ProblemKind::UnsupportedMediaType => {
                "Bodies are JSON: send `Content-Type: application/json`."
            }
            ProblemKind::PayloadTooLarge => {
                "The body is larger than the server accepts (`PITLANE_BODY_LIMIT_BYTES`). Send less."
            }
            ProblemKind::Unauthenticated => {
                "Every /api/v1 operation needs `Authorization: Bearer TOKEN`; the token is missing, expired, for another audience, or signed by a key the server does not trust. `WWW-Authenticate` says which. Get a fresh token."
            }
            ProblemKind::Forbidden => {
                "The token is valid, but none of its roles may do this (each operation lists the roles it admits in the OpenAPI document), or a driver asked about another driver's delivery."
            }
            ProblemKind::NotFound => {
                "Nothing is there: no such resource (yet: a write you just made is read with its consistency token), or no such endpoint."
            }
            ProblemKind::MethodNotAllowed => {
                "The path exists but does not take this method; `Allow` lists those it takes."
            }
            ProblemKind::AlreadyExists => {
                "A resource with this id already exists. Choose another id, or read the existing one."
            }
            ProblemKind::RuleViolation => {
                "A business rule of the domain refused the command in the resource's current state (e.g. finishing a job that was cancelled). `reason` names the rule; `detail` says it in words. Sending it again fails the same way until the state changes."
            }
            ProblemKind::ScheduleConflict => {
                "A driver, vehicle or technician is already booked in an overlapping slot. `conflicting_id` and `conflicting_slot` name the job or delivery that holds it. Pick another resource or slot."
            }
            ProblemKind::ConcurrencyConflict => {
                "Someone else changed the resource at the same time and the server gave up retrying. Read it again and retry."
            }
            ProblemKind::VersionMismatch => {
                "`If-Match` named a version the resource is no longer at: it changed since you read it. Read it again (its `ETag`), then decide."
            }
            ProblemKind::RateLimited => {
                "Too many requests from this caller. Wait for `Retry-After` seconds."
            }
            ProblemKind::ResourceBusy => {
                "Another request is booking the same driver, vehicle or technician right now; nothing was done. Retry after `Retry-After`."
            }
            ProblemKind::ConsistencyTimeout => {
                "The read models had not yet applied the write your consistency token names when the wait ran out. Nothing is wrong: retry after `Retry-After`."
            }
            ProblemKind::UpstreamUnavailable => {
                "A backend service is down, slow, or its circuit is open. Nothing was done unless the request was idempotent and retried. Retry after `Retry-After`."
            }
            ProblemKind::UpstreamError => {
                "A backend service failed in a way that is not the client's fault. Operators find it in the logs by the response's `X-Correlation-ID`."
            }
        }
    }

    /// The kind whose `type` is `/problems/{slug}`.
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.slug() == slug)
    }

    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::MalformedRequest => "The request could not be read",
            ProblemKind::InvalidField => "A field has an invalid value",
            ProblemKind::UnsupportedMediaType => "The body must be application/json",
            ProblemKind::PayloadTooLarge => "The request body is too large",
            ProblemKind::Unauthenticated => "The request needs a valid bearer token",
            ProblemKind::Forbidden => "The caller's role may not do this",
            ProblemKind::NotFound => "Not found",
            ProblemKind::MethodNotAllowed => "The path does not take this method",
            ProblemKind::AlreadyExists => "It already exists",
            ProblemKind::RuleViolation => "A business rule refused the request",
            ProblemKind::ScheduleConflict => "The resource is booked in an overlapping slot",
            ProblemKind::ConcurrencyConflict => "Concurrent changes; retry",
            ProblemKind::VersionMismatch => "The resource changed since you read it",
            ProblemKind::RateLimited => "Too many requests",
            ProblemKind::ResourceBusy => "The resource is being booked by another request",
            ProblemKind::ConsistencyTimeout => "The read model has not caught up yet",
            ProblemKind::UpstreamUnavailable => "A backend service is unavailable",
            ProblemKind::UpstreamError => "A backend service failed",
        }
    }
}

/// An `application/problem+json` body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable URI of the problem kind, e.g. `/problems/schedule-conflict`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong this time, safe to show to a user.
    pub detail: String,
    /// The request field (JSON path, query parameter, path parameter or header) at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A stable machine-readable reason within the kind, e.g. `capacity_exceeded`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For schedule conflicts: the job or delivery holding the slot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicting_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicting_slot: Option<SlotDto>,
    /// The request's trace (32 hex digits) when traces are exported: what to look up
    /// in the trace UI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub kind: ProblemKind,
    pub detail: String,
    pub field: Option<String>,
    pub reason: Option<String>,
    pub conflict: Option<Box<(String, Option<SlotDto>)>>,
    /// Seconds, for 429 and 503 answers.
    pub retry_after: Option<u64>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.slug(), self.detail)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        ApiError {
            kind,
            detail: detail.into(),
            field: None,
            reason: None,
            conflict: None,
            retry_after: match kind {
                ProblemKind::RateLimited | ProblemKind::ResourceBusy => Some(1),
                ProblemKind::ConsistencyTimeout => Some(1),
                ProblemKind::UpstreamUnavailable => Some(5),
                _ => None,
            },
        }
    }

    /// 422 naming the field.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::new(ProblemKind::InvalidField, detail).with_field(field)
    }

    /// 400 naming the part of the request that cannot be read.
    pub fn malformed(field: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::new(ProblemKind::MalformedRequest, detail).with_field(field)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(ProblemKind::NotFound, detail)
    }

    pub fn rule(reason: &str, detail: impl Into<String>) -> Self {
        ApiError::new(ProblemKind::RuleViolation, detail).with_reason(reason)
    }

    pub fn schedule_conflict(
        detail: impl Into<String>,
        holder_id: String,
        slot: Option<SlotDto>,
    ) -> Self {
        ApiError {
            conflict: Some(Box::new((holder_id, slot))),
            ..ApiError::new(ProblemKind::ScheduleConflict, detail).with_reason("schedule_conflict")
        }
    }

    /// A wrong value the service found in the path parameter `name` is a 400, like
    /// every unreadable path segment (`/customers/0` and `/vehicles/0` alike): the
    /// request names no resource at all.
    pub fn in_path(mut self, name: &str) -> Self {
        if self.kind == ProblemKind::InvalidField && self.field.as_deref() == Some(name) {
            self.kind = ProblemKind::MalformedRequest;
        }
        self
    }

    /// The same problem naming `to` where a service named the field `from` (its
    /// message's name for what this API calls otherwise).
    pub fn renamed(mut self, from: &str, to: &str) -> Self {
        if self.field.as_deref() == Some(from) {
            self.field = Some(to.to_owned());
            self.detail = self.detail.replace(from, to);
        }
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    pub fn problem(&self) -> Problem {
        let (conflicting_id, conflicting_slot) = match self.conflict.as_deref() {
            Some((id, slot)) => (Some(id.clone()), slot.clone()),
            None => (None, None),
        };
        Problem {
            kind: format!("/problems/{}", self.kind.slug()),
            title: self.kind.title().to_owned(),
            status: self.status().as_u16(),
            detail: self.detail.clone(),
            field: self.field.clone(),
            reason: self.reason.clone(),
            conflicting_id,
            conflicting_slot,
            trace_id: identity::trace::current_trace_id(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status().is_server_error() {
            tracing::warn!(problem = %self, "request failed upstream");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.kind == ProblemKind::Unauthenticated {
            // A 401 always carries a challenge (RFC 9110); the authentication middleware
            // replaces this one with the precise reason.
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"pitlane\", error=\"invalid_token\""),
            );
        }
        if matches!(
            self.kind,
            ProblemKind::Unauthenticated | ProblemKind::Forbidden
        ) {
            response.extensions_mut().insert(Denial {
                status: self.status(),
                subject: None,
                reason: self.reason.unwrap_or_else(|| self.kind.slug().to_owned()),
                detail: self.detail,
            });
        }
        response
    }
}

/// gRPC status → problem, by code and the `ErrorDetail` reason.
impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        let detail = ErrorDetail::of(&status).unwrap_or_default();
        let message = if detail.message.is_empty() {
            status.message().to_owned()
        } else {
            detail.message.clone()
        };
        // The services' `wait_for` is what REST clients send as a consistency token.
        let field = match detail.field.as_str() {
            "" => None,
            token if token.starts_with("wait_for") => Some(crate::consistency::FIELD.to_owned()),
            field => Some(field.to_owned()),
        };
        let reason = (!detail.reason.is_empty()).then(|| detail.reason.clone());
        let kind = match status.code() {
            Code::InvalidArgument | Code::OutOfRange => ProblemKind::InvalidField,
            // The service refused the token the BFF forwarded (e.g. it expired on the way).
            Code::Unauthenticated => ProblemKind::Unauthenticated,
            Code::NotFound => ProblemKind::NotFound,
            Code::PermissionDenied => ProblemKind::Forbidden,
            Code::AlreadyExists => ProblemKind::AlreadyExists,
            Code::FailedPrecondition => match detail.reason.as_str() {
                "version_mismatch" => ProblemKind::VersionMismatch,
                "schedule_conflict" => ProblemKind::ScheduleConflict,
                _ => ProblemKind::RuleViolation,
            },
            Code::Aborted => ProblemKind::ConcurrencyConflict,
            Code::ResourceExhausted => ProblemKind::RateLimited,
            Code::Unavailable if detail.reason == "consistency_timeout" => {
                ProblemKind::ConsistencyTimeout
            }
            Code::Unavailable | Code::DeadlineExceeded => ProblemKind::UpstreamUnavailable,
            _ => ProblemKind::UpstreamError,
        };
        let message = match kind {
            // Internals stay in the upstream's log.
            ProblemKind::UpstreamError => "a backend service failed; retry later".to_owned(),
            ProblemKind::UpstreamUnavailable if message.is_empty() => {
                "a backend service is unavailable; retry later".to_owned()
            }
            _ => message,
        };
        let mut error = ApiError::new(kind, message);
        error.field = field;
        error.reason = reason;
        if !detail.conflicting_id.is_empty() {
            error.conflict = Some(Box::new((
                detail.conflicting_id.clone(),
                detail
                    .conflicting_slot
                    .as_ref()
                    .and_then(SlotDto::from_proto),
            )));
        }
        if let Some(seconds) = status
            .metadata()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            error.retry_after = Some(seconds);
        }
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: Code, reason: &str, field: &str) -> tonic::Status {
        ErrorDetail::new(reason, "why")
            .on_field(field)
            .into_status(code)
    }

    #[test]
    fn an_invalid_argument_is_a_422_naming_the_field() {
        let error = ApiError::from(status(Code::InvalidArgument, "invalid_argument", "email"));
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.field.as_deref(), Some("email"));
    }

    #[test]
    fn a_permission_denied_upstream_is_a_403_forbidden_not_a_502() {
        let error = ApiError::from(status(Code::PermissionDenied, "admin_only", ""));
        assert_eq!(error.status(), StatusCode::FORBIDDEN);
        assert_eq!(error.problem().kind, "/problems/forbidden");
    }

    #[test]
    fn a_permission_denied_upstream_is_a_denial_for_the_log_with_its_reason() {
        let response = ApiError::from(status(Code::PermissionDenied, "not_assigned_driver", ""))
            .into_response();
        let denial = response.extensions().get::<Denial>().expect("a denial");
        assert_eq!(denial.status, StatusCode::FORBIDDEN);
        assert_eq!(denial.reason, "not_assigned_driver");
        let failure = ApiError::from(tonic::Status::internal("x")).into_response();
        assert!(failure.extensions().get::<Denial>().is_none());
    }

    #[test]
    fn a_token_an_upstream_refuses_is_a_401_with_a_challenge_not_a_502() {
        let response =
            ApiError::from(tonic::Status::unauthenticated("the token has expired")).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    }

    #[test]
    fn a_version_mismatch_is_a_412_and_a_rule_violation_a_409_with_its_reason() {
        let mismatch = ApiError::from(status(Code::FailedPrecondition, "version_mismatch", ""));
        assert_eq!(mismatch.status(), StatusCode::PRECONDITION_FAILED);
        let rule = ApiError::from(status(Code::FailedPrecondition, "capacity_exceeded", ""));
        assert_eq!(rule.status(), StatusCode::CONFLICT);
        assert_eq!(rule.reason.as_deref(), Some("capacity_exceeded"));
    }

    #[test]
    fn an_unavailable_upstream_is_a_503_with_retry_after_and_internals_stay_hidden() {
        let down = ApiError::from(tonic::Status::unavailable("connection refused"));
        assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(down.retry_after.is_some());
        let broken = ApiError::from(tonic::Status::internal("disk /var/x corrupt"));
        assert_eq!(broken.status(), StatusCode::BAD_GATEWAY);
        assert!(!broken.detail.contains("/var/x"));
    }

    #[test]
    fn the_response_is_problem_json_with_a_stable_type() {
        let response = ApiError::invalid("name", "is required").into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let problem = ApiError::invalid("name", "is required").problem();
        assert_eq!(problem.kind, "/problems/invalid-field");
        assert_eq!(problem.field.as_deref(), Some("name"));
    }
}
