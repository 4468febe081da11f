//! The command service: hosts the aggregates of the four bounded contexts (customers,
//! fleet, workshop, deliveries), their command handlers and the command gRPC service.
//!
//! Depends on `es-core` (the kernel) and `contracts` (the wire API) only; it never names
//! a database: the event store arrives as an `es_core::EventStore` port.
//!
//! Key decision: aggregates are pure and hold parsed values only. Raw proto requests
//! become commands in one `convert.rs` per context, which is the only place a field can
//! be found invalid (`INVALID_ARGUMENT` naming it); everything after that is a domain
//! rule (`FAILED_PRECONDITION` with a stable reason) or infrastructure.

pub mod access;
pub mod append_health;
pub mod audit;
pub mod bus;
pub mod config;
pub mod context;
pub mod error;
pub mod event_stream;
pub mod schedules;
pub mod shared;
pub mod startup;
mod stopping;

pub mod customers;
pub mod deliveries;
pub mod fleet;
pub mod workshop;
