//! The query service: projectors that turn the event log into read models, the read-model
//! stores and the query gRPC service.
//!
//! Depends on `es-core` and `contracts` only; events reach it through an
//! `EventSource`, never from a database it does not own.
//! Not assembled yet: projectors land with the query-service issue.
