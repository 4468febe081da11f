//! The query service: projectors that turn the event log into read models, the
//! read-model store, and the query gRPC service.
//!
//! - [`store`]: tables declared once, written and read through a dialect-neutral API;
//!   `store::sqlite` is the embedded backend, `store::mssql` (feature `mssql`) SQL Server.
//! - [`projection`]: the `Projection` trait; one module per bounded context holds its
//!   projections and the queries over them, one `projection` and `queries` module per
//!   read model (docs/layout.md).
//! - [`api`]: paging, errors and the gRPC service.
//!
//! Depends on `es-core` and `contracts` only: events reach it through an
//! `es_core::projection::EventSource`, never from a database it does not own.
//! Key decision: one projector runtime applies each batch of events to every
//! projection in one transaction with their checkpoints, so the log is read and
//! decoded once however many read models there are.

pub mod access;
pub mod api;
pub mod config;
pub mod projection;
pub mod rebuild;
pub mod runtime;
pub mod startup;
pub mod store;

#[cfg(feature = "test-util")]
pub mod testing;

pub mod customers;
pub mod deliveries;
pub mod fleet;
pub mod schedules;
pub mod workshop;
