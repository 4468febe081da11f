//! The command service: hosts the aggregates of the four bounded contexts (customers,
//! fleet, workshop, deliveries), their command handlers and the command gRPC service.
//!
//! Depends on `es-core` (the kernel) and `contracts` (the wire API) only; it never names
//! a database: the event store arrives as an `es_core::EventStore` port.
//! Not assembled yet: the aggregates land with the command-service issue.
