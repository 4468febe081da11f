//! Rendering store operations as T-SQL (SQL Server 2016 or later): the only place T-SQL
//! is written. Identifiers come from static table declarations, are checked against
//! them and bracket-quoted; values are always bound parameters (`@P1`, `@P2`, …), each
//! typed by the kind of the column it meets.
//!
//! How the three column kinds land, and why:
//! - `Int` → `BIGINT`, `Real` → `FLOAT`: the values the store's `Value` carries. Flags
//!   stay `BIGINT` 0/1 (not `BIT`) and times stay RFC 3339 text (not `DATETIME2`), so a
//!   row reads back as the same `Value`s on both backends and rebuilds compare equal.
//! - `Text` → `NVARCHAR` with a binary collation ([`EXACT`]): equality, uniqueness and
//!   `ORDER BY` behave as SQLite's `BINARY` does, whatever the database's default
//!   collation. `NVARCHAR(MAX)` cannot be a key or index column, so key columns are
//!   `NVARCHAR(100)` and other indexed columns `NVARCHAR(200)`, which keeps the widest
//!   key of any table within SQL Server's 900-byte (clustered) and 1,700-byte
//!   (nonclustered) index key limits. Longer values fail loudly (error 2628), never
//!   silently truncated.

use crate::store::{Column, DbError, Filter, Kind, Order, Select, Table, Value};

/// SQL Server takes at most 2,100 parameters per request; `sp_executesql`'s own
/// statement and parameter declaration are two of them.
pub(super) const MAX_PARAMS: usize = 2_098;
/// Characters of a text primary-key column: four of them (the widest key declared)
/// take 800 of the 900 bytes a clustered key may hold.
pub(super) const KEY_TEXT: u32 = 100;
/// Characters of a text column in a secondary index beside other columns: ids, dates,
/// statuses, all ASCII.
pub(super) const INDEX_TEXT: u32 = 200;
/// UTF-16 code units (`NVARCHAR(n)` counts those, not characters) of a text column
/// indexed alone, such as a name: the domain allows names of 200 characters, and a
/// character outside the Basic Multilingual Plane (many CJK names, an emoji) takes
/// two units.
pub(super) const INDEXED_ALONE_TEXT: u32 = 400;
/// Case- and accent-sensitive, code-point order: what SQLite's `BINARY` does.
pub(super) const EXACT: &str = "Latin1_General_100_BIN2";
/// `Contains` ignores case, like SQLite's `LIKE` (which does so for ASCII).
const CASELESS: &str = "Latin1_General_100_CI_AS";
/// SQL Server names (tables, indexes) are at most 128 characters.
const MAX_NAME: usize = 128;

/// Transaction control, sent as plain batches (not through `sp_executesql`, where a
/// transaction left open would count as a mismatched `BEGIN`). `XACT_ABORT` makes any
/// error roll the whole transaction back on the server, so a failed batch never
/// leaves half its rows behind even if the connection drops before our `ROLLBACK`.
pub(super) const BEGIN: &str = "SET XACT_ABORT ON; BEGIN TRANSACTION;";
pub(super) const COMMIT: &str = "COMMIT TRANSACTION;";
/// Harmless when `XACT_ABORT` already rolled the transaction back.
pub(super) const ROLLBACK: &str = "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;";
/// One event of one projection on the careful path. Savepoint names may repeat; a
/// rollback goes to the latest one of that name, which is the one just taken.
pub(super) const SAVEPOINT: &str = "SAVE TRANSACTION pitlane_event;";
pub(super) const UNDO_SAVEPOINT: &str = "ROLLBACK TRANSACTION pitlane_event;";
/// A query's reads share one snapshot (row versions, so writers never block them),
/// as SQLite's WAL read transactions do.
pub(super) const BEGIN_SNAPSHOT: &str =
    "SET TRANSACTION ISOLATION LEVEL SNAPSHOT; BEGIN TRANSACTION;";
/// Snapshot transactions need this once per database (it needs `ALTER` permission).
pub(super) const ALLOW_SNAPSHOT: &str = "IF EXISTS (SELECT 1 FROM sys.databases \
     WHERE database_id = DB_ID() AND snapshot_isolation_state = 0) \
     ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON;";
/// Two query services starting at once must not both create the same tables:
/// migrations run under an exclusive application lock held until their commit.
/// (`sp_getapplock` reports a timeout by its return code, not by an error.)
pub(super) const MIGRATION_LOCK: &str = "DECLARE @granted INT; \
     EXEC @granted = sp_getapplock @Resource = N'pitlane.read_models.migrations', \
     @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 60000; \
     IF @granted < 0 THROW 50000, N'timed out waiting for the read-model migration lock', 1;";

/// A rendered statement and the values to bind to `@P1…`, in order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Statement {
    pub(super) sql: String,
    pub(super) params: Vec<Param>,
}

impl Statement {
    /// A statement without parameters (DDL).
    pub(super) fn plain(sql: String) -> Self {
        Self {
            sql,
            params: Vec::new(),
        }
    }
}

/// A value with the kind of the column it is compared with or stored in.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Param {
    pub(super) kind: Kind,
    pub(super) value: Value,
}

/// `[name]`, with `]` doubled as T-SQL requires.
pub(super) fn quoted(name: &str) -> String {
    format!("[{}]", name.replace(']', "]]"))
}

/// `N'text'`: a Unicode string literal, for names passed to `OBJECT_ID` and friends.
fn literal(text: &str) -> String {
    format!("N'{}'", text.replace('\'', "''"))
}

fn column<'t>(table: &'t Table, name: &str) -> Result<&'t Column, DbError> {
    table.column(name).ok_or_else(|| DbError::Shape {
        table: table.name,
        reason: format!("no column `{name}`"),
    })
}

fn named(table: &Table, name: String) -> Result<String, DbError> {
    if name.chars().count() > MAX_NAME {
        return Err(DbError::Shape {
            table: table.name,
            reason: format!("`{name}` is longer than SQL Server's {MAX_NAME} characters"),
        });
    }
    Ok(name)
}

/// The T-SQL type of a column, with its nullability.
fn column_type(table: &Table, column: &Column) -> String {
    let kind = match column.kind {
        Kind::Int => "BIGINT".to_owned(),
        Kind::Real => "FLOAT".to_owned(),
        Kind::Text => match text_width(table, column) {
            Some(width) => format!("NVARCHAR({width}) COLLATE {EXACT}"),
            None => format!("NVARCHAR(MAX) COLLATE {EXACT}"),
        },
    };
    let null = if column.nullable { "NULL" } else { "NOT NULL" };
    format!("{kind} {null}")
}

/// `NVARCHAR` width: bounded for key and index columns (which cannot be `MAX`, `None`).
pub(super) fn text_width(table: &Table, column: &Column) -> Option<u32> {
    let mut indexes = table
        .indexes
        .iter()
        .filter(|index| index.contains(&column.name))
        .peekable();
    if table.key.contains(&column.name) {
        Some(KEY_TEXT)
    } else if indexes.peek().is_none() {
        None
    } else if indexes.all(|index| index.len() == 1) {
        Some(INDEXED_ALONE_TEXT)
    } else {
        Some(INDEX_TEXT)
    }
}

fn index_name(index: &[&str]) -> String {
    format!("ix__{}", index.join("_"))
}

/// The statements creating `physical` and its indexes where they are missing; each is
/// its own batch and may run again at every start.
pub(super) fn create_table(table: &Table, physical: &str) -> Result<Vec<String>, DbError> {
    let physical = named(table, physical.to_owned())?;
    let name = literal(&quoted(&physical));
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("{} {}", quoted(c.name), column_type(table, c)))
        .collect();
    let key = list(
        table
            .key
            .iter()
            .map(|k| column(table, k).map(|c| quoted(c.name))),
    )?;
    let mut statements = vec![format!(
        "IF OBJECT_ID({name}, N'U') IS NULL CREATE TABLE {} ({}, PRIMARY KEY ({key}));",
        quoted(&physical),
        columns.join(", ")
    )];
    for index in table.indexes {
        let index_name = named(table, index_name(index))?;
        let missing = format!(
            "IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID({name}) \
             AND name = {})",
            literal(&index_name)
        );
        // A column indexed only since a later release was created as NVARCHAR(MAX):
        // narrow it first (an index added to a declaration needs no rebuild).
        for c in index.iter().map(|c| column(table, c)) {
            let c = c?;
            if c.kind == Kind::Text && !table.key.contains(&c.name) {
                statements.push(format!(
                    "{missing} AND EXISTS (SELECT 1 FROM sys.columns WHERE object_id = \
                     OBJECT_ID({name}) AND name = {} AND max_length = -1) \
                     ALTER TABLE {} ALTER COLUMN {} {};",
                    literal(c.name),
                    quoted(&physical),
                    quoted(c.name),
                    column_type(table, c)
                ));
            }
        }
        let cols = list(
            index
                .iter()
                .map(|c| column(table, c).map(|c| quoted(c.name))),
        )?;
        statements.push(format!(
            "{missing} CREATE INDEX {} ON {} ({cols});",
            quoted(&index_name),
            quoted(&physical)
        ));
    }
    Ok(statements)
}

pub(super) fn drop_table(physical: &str) -> String {
    format!("DROP TABLE IF EXISTS {};", quoted(physical))
}

/// A database of its own for one test (created outside any transaction).
#[cfg(any(test, feature = "test-util"))]
pub(super) fn create_database(name: &str) -> String {
    format!(
        "IF DB_ID({}) IS NULL CREATE DATABASE {};",
        literal(name),
        quoted(name)
    )
}

/// Drops a test's database, ending whatever sessions still use it.
#[cfg(any(test, feature = "test-util"))]
pub(super) fn drop_database(name: &str) -> String {
    format!(
        "IF DB_ID({0}) IS NOT NULL BEGIN ALTER DATABASE {1} SET SINGLE_USER WITH ROLLBACK \
         IMMEDIATE; DROP DATABASE {1}; END;",
        literal(name),
        quoted(name)
    )
}

fn list(items: impl Iterator<Item = Result<String, DbError>>) -> Result<String, DbError> {
    Ok(items.collect::<Result<Vec<_>, _>>()?.join(", "))
}

/// Collects parameters while a statement is rendered.
struct Binder<'t> {
    table: &'t Table,
    params: Vec<Param>,
}

impl<'t> Binder<'t> {
    fn new(table: &'t Table) -> Self {
        Self {
            table,
            params: Vec::new(),
        }
    }

    /// Binds `value` for `column` (checked against the table) and names its parameter.
    fn bind(&mut self, column_name: &str, value: &Value) -> Result<String, DbError> {
        let kind = column(self.table, column_name)?.kind;
        Ok(self.push(kind, value.clone()))
    }

    fn push(&mut self, kind: Kind, value: Value) -> String {
        self.params.push(Param { kind, value });
        format!("@P{}", self.params.len())
    }

    fn finish(self, sql: String) -> Result<Statement, DbError> {
        if self.params.len() > MAX_PARAMS {
            return Err(DbError::Shape {
                table: self.table.name,
                reason: format!(
                    "{} values in one statement; SQL Server takes at most {MAX_PARAMS}",
                    self.params.len()
                ),
            });
        }
        Ok(Statement {
            sql,
            params: self.params,
        })
    }
}

fn require_key(table: &Table, row: &[(&'static str, Value)]) -> Result<(), DbError> {
    match table.key.iter().find(|k| !row.iter().any(|(c, _)| c == *k)) {
        Some(missing) => Err(DbError::Shape {
            table: table.name,
            reason: format!("key column `{missing}` is missing"),
        }),
        None => Ok(()),
    }
}

/// Inserts the row, or sets its given columns on the row with the same key. A single
/// `MERGE` under `HOLDLOCK` (serializable on the key range), so two writers cannot
/// both miss the row and both insert it.
pub(super) fn upsert(
    table: &Table,
    physical: &str,
    row: &[(&'static str, Value)],
) -> Result<Statement, DbError> {
    require_key(table, row)?;
    let mut binder = Binder::new(table);
    let mut source = Vec::with_capacity(row.len());
    for (c, value) in row {
        source.push(format!("{} AS {}", binder.bind(c, value)?, quoted(c)));
    }
    let pair = |c: &str| format!("[target].{0} = [source].{0}", quoted(c));
    let on: Vec<String> = table.key.iter().map(|k| pair(k)).collect();
    let updates: Vec<String> = row
        .iter()
        .filter(|(c, _)| !table.key.contains(c))
        .map(|(c, _)| pair(c))
        .collect();
    let matched = if updates.is_empty() {
        String::new()
    } else {
        format!(" WHEN MATCHED THEN UPDATE SET {}", updates.join(", "))
    };
    let names: Vec<String> = row.iter().map(|(c, _)| quoted(c)).collect();
    let values: Vec<String> = row
        .iter()
        .map(|(c, _)| format!("[source].{}", quoted(c)))
        .collect();
    let sql = format!(
        "MERGE INTO {} WITH (HOLDLOCK) AS [target] USING (SELECT {}) AS [source] ON {}{matched} \
         WHEN NOT MATCHED THEN INSERT ({}) VALUES ({});",
        quoted(physical),
        source.join(", "),
        on.join(" AND "),
        names.join(", "),
        values.join(", ")
    );
    binder.finish(sql)
}

/// Inserts the row unless its key exists; one row affected means it inserted. The
/// key range stays locked (`UPDLOCK, HOLDLOCK`) between the check and the insert.
pub(super) fn insert_ignore(
    table: &Table,
    physical: &str,
    row: &[(&'static str, Value)],
) -> Result<Statement, DbError> {
    require_key(table, row)?;
    let mut binder = Binder::new(table);
    let mut params = Vec::with_capacity(row.len());
    for (c, value) in row {
        params.push(binder.bind(c, value)?);
    }
    let key: Vec<String> = table
        .key
        .iter()
        .filter_map(|k| {
            let i = row.iter().position(|(c, _)| c == k)?;
            Some(format!("{} = {}", quoted(k), params[i]))
        })
        .collect();
    let names: Vec<String> = row.iter().map(|(c, _)| quoted(c)).collect();
    let sql = format!(
        "INSERT INTO {0} ({1}) SELECT {2} WHERE NOT EXISTS \
         (SELECT 1 FROM {0} WITH (UPDLOCK, HOLDLOCK) WHERE {3});",
        quoted(physical),
        names.join(", "),
        params.join(", "),
        key.join(" AND ")
    );
    binder.finish(sql)
}

pub(super) fn update(
    table: &Table,
    physical: &str,
    filter: &[(&'static str, Value)],
    set: &[(&'static str, Value)],
) -> Result<Statement, DbError> {
    if set.is_empty() {
        return Err(DbError::Shape {
            table: table.name,
            reason: "an update that sets no column".into(),
        });
    }
    let mut binder = Binder::new(table);
    let mut sets = Vec::with_capacity(set.len());
    for (c, value) in set {
        sets.push(format!("{} = {}", quoted(c), binder.bind(c, value)?));
    }
    let wheres = equalities(&mut binder, filter)?;
    let sql = format!(
        "UPDATE {} SET {}{};",
        quoted(physical),
        sets.join(", "),
        where_clause(&wheres)
    );
    binder.finish(sql)
}

pub(super) fn delete(
    table: &Table,
    physical: &str,
    filter: &[(&'static str, Value)],
) -> Result<Statement, DbError> {
    let mut binder = Binder::new(table);
    let wheres = equalities(&mut binder, filter)?;
    let sql = format!("DELETE FROM {}{};", quoted(physical), where_clause(&wheres));
    binder.finish(sql)
}

fn equalities(
    binder: &mut Binder<'_>,
    filter: &[(&'static str, Value)],
) -> Result<Vec<String>, DbError> {
    filter
        .iter()
        .map(|(c, value)| Ok(format!("{} = {}", quoted(c), binder.bind(c, value)?)))
        .collect()
}

fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// What a `SELECT` returns and how it locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Read {
    Rows,
    /// Rows locked until the transaction ends (`UPDLOCK, HOLDLOCK`): a writer reading a
    /// checkpoint it will move makes a second writer wait instead of double-applying.
    RowsForUpdate,
    /// `COUNT_BIG(*)` of the matching rows, ignoring order and paging.
    Count,
}

/// `SELECT` (or `SELECT COUNT_BIG(*)`) with its parameters. Paging is `TOP` when it
/// starts at the first row, else `OFFSET … FETCH`, which needs an `ORDER BY`: the
/// query's, or the primary key's so pages are stable.
pub(super) fn select(query: &Select, physical: &str, read: Read) -> Result<Statement, DbError> {
    let table = query.table;
    let mut binder = Binder::new(table);
    let mut conditions = Vec::with_capacity(query.filters.len());
    for filter in &query.filters {
        conditions.push(condition(&mut binder, filter)?);
    }
    let hint = if read == Read::RowsForUpdate {
        " WITH (UPDLOCK, HOLDLOCK)"
    } else {
        ""
    };
    let from = format!("{}{hint}{}", quoted(physical), where_clause(&conditions));
    if read == Read::Count {
        return binder.finish(format!("SELECT COUNT_BIG(*) FROM {from};"));
    }
    let columns: Vec<String> = table.columns.iter().map(|c| quoted(c.name)).collect();
    let columns = columns.join(", ");
    let mut order = query
        .order
        .iter()
        .map(|(c, o)| {
            let direction = if *o == Order::Desc { "DESC" } else { "ASC" };
            Ok(format!("{} {direction}", quoted(column(table, c)?.name)))
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    let sql = match (query.limit, query.offset) {
        (Some(limit), offset) if offset == 0 || limit == 0 => {
            // FETCH NEXT 0 ROWS is an error; TOP (0) is an empty answer.
            let top = binder.push(Kind::Int, Value::from(limit));
            format!(
                "SELECT TOP ({top}) {columns} FROM {from}{};",
                order_by(&order)
            )
        }
        (None, 0) => format!("SELECT {columns} FROM {from}{};", order_by(&order)),
        (limit, offset) => {
            if order.is_empty() {
                order = table
                    .key
                    .iter()
                    .map(|k| format!("{} ASC", quoted(k)))
                    .collect();
            }
            let skip = binder.push(Kind::Int, Value::from(offset));
            let fetch = limit
                .map(|l| format!(" FETCH NEXT {} ROWS ONLY", binder.push(Kind::Int, l.into())))
                .unwrap_or_default();
            format!(
                "SELECT {columns} FROM {from}{} OFFSET {skip} ROWS{fetch};",
                order_by(&order)
            )
        }
    };
    binder.finish(sql)
}

fn order_by(order: &[String]) -> String {
    if order.is_empty() {
        String::new()
    } else {
        format!(" ORDER BY {}", order.join(", "))
    }
}

fn condition(binder: &mut Binder<'_>, filter: &Filter) -> Result<String, DbError> {
    let table = binder.table;
    match filter {
        Filter::Eq(c, v) => compare(binder, c, "=", v),
        Filter::Gt(c, v) => compare(binder, c, ">", v),
        Filter::Gte(c, v) => compare(binder, c, ">=", v),
        Filter::Lt(c, v) => compare(binder, c, "<", v),
        Filter::Lte(c, v) => compare(binder, c, "<=", v),
        Filter::IsNull(c) => Ok(format!("{} IS NULL", quoted(column(table, c)?.name))),
        Filter::NotNull(c) => Ok(format!("{} IS NOT NULL", quoted(column(table, c)?.name))),
        Filter::In(c, values) => {
            column(table, c)?;
            if values.is_empty() {
                return Ok("1 = 0".into());
            }
            let list = values
                .iter()
                .map(|v| binder.bind(c, v))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("{} IN ({})", quoted(c), list.join(", ")))
        }
        Filter::Contains(c, text) => {
            column(table, c)?;
            let pattern = binder.push(Kind::Text, Value::Text(format!("%{}%", escape_like(text))));
            Ok(format!(
                "{} COLLATE {CASELESS} LIKE {pattern} ESCAPE N'\\'",
                quoted(c)
            ))
        }
        Filter::AnyOf(filters) => {
            if filters.is_empty() {
                return Ok("1 = 0".into());
            }
            let parts = filters
                .iter()
                .map(|f| condition(binder, f))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("({})", parts.join(" OR ")))
        }
    }
}

fn compare(binder: &mut Binder<'_>, c: &str, op: &str, value: &Value) -> Result<String, DbError> {
    Ok(format!("{} {op} {}", quoted(c), binder.bind(c, value)?))
}

/// `text` as a literal `LIKE` pattern: T-SQL's wildcards are `%`, `_` and `[` (a
/// character class, which SQLite does not have), each escaped with `\`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 4);
    for ch in text.chars() {
        if matches!(ch, '\\' | '%' | '_' | '[') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

#[cfg(test)]
mod tests;
