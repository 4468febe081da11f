//! gRPC metadata keys that carry request context on every command call.
//!
//! Context travels as metadata rather than as request fields so that every RPC gets
//! it the same way, and interceptors can read and propagate it without knowing the
//! message types. The BFF sets these; the command service copies them into the event
//! envelope (DESIGN §3).
//!
//! Who the caller is never travels here: it is the bearer token in `authorization`,
//! verified by every service (DESIGN §9).

/// Correlation id: flows from the REST request to every event and message it causes.
pub const CORRELATION_ID: &str = "x-correlation-id";
/// Causation id: the command or event id that caused this call.
pub const CAUSATION_ID: &str = "x-causation-id";
/// W3C trace context.
pub const TRACEPARENT: &str = "traceparent";
/// Optimistic concurrency from the caller (the BFF's `If-Match`): the command applies
/// only if the aggregate is still at this version, else `FAILED_PRECONDITION` with
/// reason `version_mismatch`.
pub const EXPECTED_VERSION: &str = "x-expected-version";
