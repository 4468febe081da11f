//! The SQL Server dialect of the read-model store (cargo feature `mssql`, ADR 013): the
//! same tables, generations, batches and snapshots as `store::sqlite`, through
//! tiberius over rustls. All T-SQL is written in `render`; the rest moves values and
//! connections.
//!
//! - `render`: every statement, as text and bound parameters.
//! - `io`: the runtime the connections live on, so the synchronous `Tx`/`Reader` API
//!   can wait for them from any thread.
//! - `connect`, `session`: connections, their pool, and statements on one of them.
//! - `database`, `generations`, `meta`, `tx`: `ReadModelDb`, shaped as SQLite's.

mod connect;
mod database;
mod generations;
mod io;
mod meta;
mod render;
mod session;
mod tx;

#[cfg(feature = "test-util")]
pub mod scratch;

pub use database::ReadModelDb;
