//! The command and query services together, as in production: real gRPC over
//! loopback, the query side fed by the command service's event stream, real SQLite
//! files for the event store and the read models.

mod access;
mod erasure;
mod helpers;
mod list_deliveries;
mod read_models;
mod read_your_writes;
mod rebuild;
mod reflection;
mod rich_errors;
