//! The SQLite dialect of the read-model store: the only place SQL for SQLite is
//! written. A SQL Server module will render the same operations in T-SQL.

mod database;
mod readers;
mod render;
mod tx;
mod unit_of_work;

pub use database::{DeadLetter, Members, ReadModelDb};
