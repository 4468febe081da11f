//! The read-model store: tables declared once in Rust, written and read through a small
//! dialect-neutral API, rendered to SQL by one dialect module per backend (`sqlite`,
//! and `mssql` with the cargo feature of that name). Projections and queries never
//! write SQL.
//!
//! - [`Table`]/[`Column`]: the schema of one read-model table.
//! - [`Tx`]: what a projection may do inside the runtime's transaction.
//! - [`Reader`]: what a query may do (select, count), on a consistent snapshot.
//! - [`Value`]/[`Row`]: the values that cross the boundary.
//! - [`ReadModelStore`]: the database the service runs on, whichever backend.

mod backend;
mod batch;
pub mod dead_letters;
mod filter;
#[cfg(feature = "mssql")]
pub mod mssql;
mod row;
mod schema;
pub mod sqlite;
mod value;

pub use backend::ReadModelStore;
pub use batch::SwapWhen;
/// Backend-neutral, though declared with the SQLite backend that came first.
pub use dead_letters::{
    DeadLetter, DeadLetterError, DeadLetterStore, Discarded, Redrive, Redriven,
};
pub use filter::{Filter, Order, Select};
pub use row::Row;
pub use schema::{Column, Kind, Table};
pub use sqlite::Members;
pub use value::Value;

/// Every way the read-model store can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// The database refused what it was asked (a constraint, a bad statement): asking
    /// again would fail the same way.
    #[error("read-model database: {0}")]
    Database(String),
    /// The database could not do it now (disk full, I/O error, busy or locked, lost
    /// connection): worth retrying until it passes.
    #[error("read-model database unavailable: {0}")]
    Unavailable(String),
    /// A row does not match its table's declared shape.
    #[error("row of `{table}`: {reason}")]
    Shape { table: &'static str, reason: String },
}

/// The writes (and lookups) a projection makes while applying one event.
pub trait Tx {
    /// Inserts the row, or updates the given columns of the row with the same key.
    fn upsert(
        &mut self,
        table: &'static Table,
        row: &[(&'static str, Value)],
    ) -> Result<(), DbError>;

    /// Inserts the row unless one with the same key exists; says whether it inserted.
    fn insert_ignore(
        &mut self,
        table: &'static Table,
        row: &[(&'static str, Value)],
    ) -> Result<bool, DbError>;

    /// Sets columns on the rows matching every `(column, value)` of `filter`.
    fn update(
        &mut self,
        table: &'static Table,
        filter: &[(&'static str, Value)],
        set: &[(&'static str, Value)],
    ) -> Result<u64, DbError>;

    /// Deletes the rows matching every `(column, value)` of `filter`.
    fn delete(
        &mut self,
        table: &'static Table,
        filter: &[(&'static str, Value)],
    ) -> Result<u64, DbError>;

    /// Reads inside the transaction (sees its own writes).
    fn select(&mut self, query: &Select) -> Result<Vec<Row>, DbError>;
}

/// The reads a query makes, all on one consistent snapshot.
pub trait Reader {
    fn select(&mut self, query: &Select) -> Result<Vec<Row>, DbError>;

    /// How many rows match the filters (ignoring order, limit and offset).
    fn count(&mut self, query: &Select) -> Result<u64, DbError>;
}

impl dyn Tx + '_ {
    /// The one row with this key, if any.
    pub fn get(
        &mut self,
        table: &'static Table,
        key: &[(&'static str, Value)],
    ) -> Result<Option<Row>, DbError> {
        let query = Select::from(table).filter_eq(key).limit(1);
        Ok(self.select(&query)?.into_iter().next())
    }
}

impl dyn Reader + '_ {
    /// The one row with this key, if any.
    pub fn get(
        &mut self,
        table: &'static Table,
        key: &[(&'static str, Value)],
    ) -> Result<Option<Row>, DbError> {
        let query = Select::from(table).filter_eq(key).limit(1);
        Ok(self.select(&query)?.into_iter().next())
    }
}
