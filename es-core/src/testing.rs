//! Test support for this crate and its users (feature `test-util`): the aggregate
//! harness, a small example aggregate, and the contract suites for the ports.

pub mod counter;
pub mod given;
pub mod lock_contract;
pub mod servers;
pub mod store_contract;

pub use given::AggregateTest;

/// The fields of an envelope as the audit reads show it in JSON (REST history, the
/// BFF's envelope view), in DESIGN §4's order.
pub const ENVELOPE_JSON_FIELDS: [&str; 17] = [
    "event_id",
    "stream_id",
    "aggregate_type",
    "aggregate_id",
    "version",
    "position",
    "event_type",
    "schema_version",
    "occurred_at",
    "recorded_at",
    "correlation_id",
    "causation_id",
    "actor",
    "traceparent",
    "payload",
    "prev_hash",
    "hash",
];
