//! The SQLite dialect of the read-model store: the only place SQL for SQLite is
//! written. `store::mssql` renders the same operations in T-SQL.

mod checkpointer;
mod database;
mod readers;
mod render;
mod tx;
mod unit_of_work;

pub use database::{Members, ReadModelDb};
/// Backend-neutral: the SQL Server backend batches its writes through it too.
#[cfg(feature = "mssql")]
pub(crate) use unit_of_work::UnitOfWork;
