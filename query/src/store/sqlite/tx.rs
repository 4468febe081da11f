//! `Tx` and `Reader` over a SQLite connection, with logical table names resolved to the
//! physical tables of the generation being written or read.

use foldhash::HashMap;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, params_from_iter};

use super::render;
use crate::store::{DbError, Kind, Reader, Row, Select, Table, Tx, Value};

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(r) => ToSqlOutput::Borrowed(ValueRef::Real(*r)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
        })
    }
}

pub(super) fn db_error(error: rusqlite::Error) -> DbError {
    use rusqlite::ErrorCode::*;
    match error.sqlite_error_code() {
        Some(
            DiskFull
            | SystemIoFailure
            | DatabaseBusy
            | DatabaseLocked
            | CannotOpen
            | OutOfMemory
            | FileLockingProtocolFailed,
        ) => DbError::Unavailable(error.to_string()),
        _ => DbError::Database(error.to_string()),
    }
}

#[cfg(test)]
mod classification_tests {
    use super::*;

    fn sqlite(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn a_full_disk_or_a_busy_database_is_transient_and_a_constraint_is_not() {
        for code in [
            rusqlite::ffi::SQLITE_FULL,
            rusqlite::ffi::SQLITE_IOERR,
            rusqlite::ffi::SQLITE_BUSY,
        ] {
            assert!(
                matches!(db_error(sqlite(code)), DbError::Unavailable(_)),
                "{code}"
            );
        }
        assert!(matches!(
            db_error(sqlite(rusqlite::ffi::SQLITE_CONSTRAINT)),
            DbError::Database(_)
        ));
    }
}

pub(crate) use crate::store::schema::{Names, physical};

fn run_select(conn: &Connection, names: &Names, query: &Select) -> Result<Vec<Row>, DbError> {
    let (sql, params) = render::select(query, physical(names, query.table)?, false)?;
    let mut stmt = conn.prepare_cached(&sql).map_err(db_error)?;
    let mut rows = stmt
        .query(params_from_iter(params.iter()))
        .map_err(db_error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db_error)? {
        let mut values = Vec::with_capacity(query.table.columns.len());
        for (i, column) in query.table.columns.iter().enumerate() {
            let value = match row.get_ref(i).map_err(db_error)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) if column.kind != Kind::Text => Value::Int(v),
                ValueRef::Real(v) => Value::Real(v),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                other => {
                    return Err(DbError::Shape {
                        table: query.table.name,
                        reason: format!("column `{}` holds {other:?}", column.name),
                    });
                }
            };
            values.push(value);
        }
        out.push(Row::new(query.table, values));
    }
    Ok(out)
}

fn run_count(conn: &Connection, names: &Names, query: &Select) -> Result<u64, DbError> {
    let (sql, params) = render::select(query, physical(names, query.table)?, true)?;
    let mut stmt = conn.prepare_cached(&sql).map_err(db_error)?;
    stmt.query_row(params_from_iter(params.iter()), |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
        .map_err(db_error)
}

fn execute(
    conn: &Connection,
    sql: &str,
    params: impl Iterator<Item = Value>,
) -> Result<u64, DbError> {
    let params: Vec<Value> = params.collect();
    let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
    stmt.execute(params_from_iter(params.iter()))
        .map(|n| n as u64)
        .map_err(db_error)
}

/// A projection's writes inside the runtime's transaction.
pub(crate) struct SqliteTx<'a> {
    pub(crate) conn: &'a Connection,
    pub(crate) names: &'a Names,
}

/// Rendered statements, so a batch renders each distinct statement once: keyed by the
/// operation, the table and the identity of its column lists.
#[derive(Default)]
pub(crate) struct Rendered(HashMap<(u8, usize, u64), std::rc::Rc<str>>);

fn shape(columns: impl Iterator<Item = &'static str>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    columns.for_each(|c| c.hash(&mut hasher));
    hasher.finish()
}

impl Rendered {
    fn get(
        &mut self,
        op: u8,
        table: &Table,
        columns: impl Iterator<Item = &'static str>,
        render: impl FnOnce() -> Result<String, DbError>,
    ) -> Result<std::rc::Rc<str>, DbError> {
        let key = (op, table as *const Table as usize, shape(columns));
        if let Some(sql) = self.0.get(&key) {
            return Ok(sql.clone());
        }
        let sql: std::rc::Rc<str> = render()?.into();
        self.0.insert(key, sql.clone());
        Ok(sql)
    }
}

thread_local! {
    /// Statements rendered on this thread (tables are static, so entries never go stale
    /// except across generations, which are part of the physical name and the key).
    static RENDERED: std::cell::RefCell<HashMap<String, Rendered>> = std::cell::RefCell::default();
}

/// The rendered SQL for `op` on `physical`, rendering it the first time.
fn cached_sql(
    physical: &str,
    op: u8,
    table: &Table,
    columns: impl Iterator<Item = &'static str>,
    render: impl FnOnce() -> Result<String, DbError>,
) -> Result<std::rc::Rc<str>, DbError> {
    RENDERED.with(|cell| {
        let mut by_table = cell.borrow_mut();
        if !by_table.contains_key(physical) {
            by_table.insert(physical.to_owned(), Rendered::default());
        }
        match by_table.get_mut(physical) {
            Some(rendered) => rendered.get(op, table, columns, render),
            None => render().map(Into::into),
        }
    })
}

impl Tx for SqliteTx<'_> {
    fn upsert(
        &mut self,
        table: &'static Table,
        row: &[(&'static str, Value)],
    ) -> Result<(), DbError> {
        // SQLite checks NOT NULL on the insert attempt, before ON CONFLICT: an upsert
        // that leaves a required column out can only update, so it runs as an update
        // by key, and inserts (failing clearly on the missing column) only if no row.
        let complete = table
            .columns
            .iter()
            .filter(|c| !c.nullable)
            .all(|c| row.iter().any(|(name, _)| *name == c.name));
        if !complete {
            let (key, set): (Vec<_>, Vec<_>) = row
                .iter()
                .cloned()
                .partition(|(c, _)| table.key.contains(c));
            if key.len() == table.key.len() {
                let done = if set.is_empty() {
                    // Only the key: nothing to change when the row exists.
                    let point = crate::store::Select::from(table).filter_eq(&key).limit(1);
                    !self.select(&point)?.is_empty()
                } else {
                    self.update(table, &key, &set)? > 0
                };
                if done {
                    return Ok(());
                }
            }
        }
        let name = physical(self.names, table)?;
        let sql = cached_sql(name, 0, table, row.iter().map(|(c, _)| *c), || {
            render::upsert(table, name, row, false)
        })?;
        execute(self.conn, &sql, row.iter().map(|(_, v)| v.clone())).map(|_| ())
    }

    fn insert_ignore(
        &mut self,
        table: &'static Table,
        row: &[(&'static str, Value)],
    ) -> Result<bool, DbError> {
        let name = physical(self.names, table)?;
        let sql = cached_sql(name, 1, table, row.iter().map(|(c, _)| *c), || {
            render::upsert(table, name, row, true)
        })?;
        execute(self.conn, &sql, row.iter().map(|(_, v)| v.clone())).map(|n| n > 0)
    }

    fn update(
        &mut self,
        table: &'static Table,
        filter: &[(&'static str, Value)],
        set: &[(&'static str, Value)],
    ) -> Result<u64, DbError> {
        let name = physical(self.names, table)?;
        let columns = set
            .iter()
            .map(|(c, _)| *c)
            .chain([""])
            .chain(filter.iter().map(|(c, _)| *c));
        let sql = cached_sql(name, 2, table, columns, || {
            render::update(table, name, filter, set)
        })?;
        let params = set.iter().chain(filter).map(|(_, v)| v.clone());
        execute(self.conn, &sql, params)
    }

    fn delete(
        &mut self,
        table: &'static Table,
        filter: &[(&'static str, Value)],
    ) -> Result<u64, DbError> {
        let name = physical(self.names, table)?;
        let sql = cached_sql(name, 3, table, filter.iter().map(|(c, _)| *c), || {
            render::delete(table, name, filter)
        })?;
        execute(self.conn, &sql, filter.iter().map(|(_, v)| v.clone()))
    }

    fn select(&mut self, query: &Select) -> Result<Vec<Row>, DbError> {
        run_select(self.conn, self.names, query)
    }
}

/// A query's reads, inside one read transaction.
pub(crate) struct SqliteReader<'a> {
    pub(crate) conn: &'a Connection,
    pub(crate) names: &'a Names,
}

impl Reader for SqliteReader<'_> {
    fn select(&mut self, query: &Select) -> Result<Vec<Row>, DbError> {
        run_select(self.conn, self.names, query)
    }

    fn count(&mut self, query: &Select) -> Result<u64, DbError> {
        run_count(self.conn, self.names, query)
    }
}
