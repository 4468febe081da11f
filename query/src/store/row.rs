//! A row read back from a table, with typed accessors by column name.

use chrono::{DateTime, Utc};

use super::{DbError, Table, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    table: &'static Table,
    values: Vec<Value>,
}

impl Row {
    /// `values` in the table's column order.
    pub fn new(table: &'static Table, values: Vec<Value>) -> Self {
        Self { table, values }
    }

    /// The values in the table's column order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    pub fn value(&self, column: &str) -> Result<&Value, DbError> {
        self.table
            .position(column)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| self.shape(format!("no column `{column}`")))
    }

    pub fn text(&self, column: &str) -> Result<String, DbError> {
        self.opt_text(column)?
            .ok_or_else(|| self.shape(format!("`{column}` is null")))
    }

    pub fn opt_text(&self, column: &str) -> Result<Option<String>, DbError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Text(t) => Ok(Some(t.clone())),
            other => Err(self.shape(format!("`{column}` is not text: {other:?}"))),
        }
    }

    pub fn int(&self, column: &str) -> Result<i64, DbError> {
        self.opt_int(column)?
            .ok_or_else(|| self.shape(format!("`{column}` is null")))
    }

    pub fn opt_int(&self, column: &str) -> Result<Option<i64>, DbError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Int(i) => Ok(Some(*i)),
            other => Err(self.shape(format!("`{column}` is not an integer: {other:?}"))),
        }
    }

    pub fn uint(&self, column: &str) -> Result<u64, DbError> {
        self.int(column).map(|i| u64::try_from(i).unwrap_or(0))
    }

    pub fn bool(&self, column: &str) -> Result<bool, DbError> {
        self.int(column).map(|i| i != 0)
    }

    pub fn time(&self, column: &str) -> Result<DateTime<Utc>, DbError> {
        self.opt_time(column)?
            .ok_or_else(|| self.shape(format!("`{column}` is null")))
    }

    pub fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, DbError> {
        self.opt_text(column)?
            .map(|t| es_core::time::parse(&t).map_err(|e| self.shape(e)))
            .transpose()
    }

    fn shape(&self, reason: String) -> DbError {
        DbError::Shape {
            table: self.table.name,
            reason,
        }
    }
}
