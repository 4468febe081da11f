//! One SQL Server connection in use: statements sent and awaited through the I/O
//! bridge, parameters typed by their columns, rows decoded into the store's `Value`s.

use std::borrow::Cow;

use tiberius::{ColumnData, ToSql};
use tokio::net::TcpStream;
use tokio_util::compat::Compat;

use super::io::Io;
use super::render::{Param, Statement};
use crate::store::{Column, DbError, Kind, Row, Table, Value};

pub(crate) type Client = tiberius::Client<Compat<TcpStream>>;

/// A connection and whether it may be used again.
pub(crate) struct Conn {
    pub(crate) client: Client,
    /// After an error that may have left it mid-stream (I/O, protocol, timeout). A
    /// server error (a constraint, a deadlock victim) leaves it usable.
    pub(crate) broken: bool,
    /// Between `BEGIN` and a `COMMIT` or `ROLLBACK` that went through: still set after
    /// a panic or a failed rollback, so the connection is never reused inside a
    /// transaction (where a later `BEGIN` would only nest, and its `COMMIT` commit
    /// nothing).
    pub(crate) in_transaction: bool,
}

impl Conn {
    pub(crate) fn new(client: Client) -> Self {
        Self {
            client,
            broken: false,
            in_transaction: false,
        }
    }

    /// Whether the connection can serve the next piece of work.
    pub(crate) fn reusable(&self) -> bool {
        !self.broken && !self.in_transaction
    }
}

/// A connection borrowed for synchronous work.
pub(crate) struct Session<'a> {
    pub(crate) io: &'a Io,
    pub(crate) conn: &'a mut Conn,
}

impl Session<'_> {
    /// A batch without parameters (DDL, transaction control); its results are drained.
    pub(crate) fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        let client = &mut self.conn.client;
        let done = self
            .io
            .wait(async { client.simple_query(sql).await?.into_results().await });
        self.check(done).map(drop)
    }

    /// A statement that changes rows; how many it changed.
    pub(crate) fn execute(&mut self, statement: &Statement) -> Result<u64, DbError> {
        let client = &mut self.conn.client;
        let params = bound(&statement.params);
        let done = self
            .io
            .wait(async { client.execute(statement.sql.as_str(), &params).await });
        self.check(done).map(|result| result.total())
    }

    /// The rows of a `SELECT` over `table`'s columns.
    pub(crate) fn rows(
        &mut self,
        statement: &Statement,
        table: &'static Table,
    ) -> Result<Vec<Row>, DbError> {
        self.raw_rows(statement)?
            .into_iter()
            .map(|row| decode(table, row))
            .collect()
    }

    /// The single number a `SELECT COUNT_BIG(*)` answers.
    pub(crate) fn count(&mut self, statement: &Statement) -> Result<u64, DbError> {
        let rows = self.raw_rows(statement)?;
        let cell = rows
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next());
        match cell {
            Some(ColumnData::I64(Some(n))) => Ok(u64::try_from(n).unwrap_or(0)),
            Some(ColumnData::I32(Some(n))) => Ok(u64::try_from(n).unwrap_or(0)),
            other => Err(DbError::Database(format!("a count answered {other:?}"))),
        }
    }

    fn raw_rows(&mut self, statement: &Statement) -> Result<Vec<tiberius::Row>, DbError> {
        let client = &mut self.conn.client;
        let params = bound(&statement.params);
        let done = self.io.wait(async {
            client
                .query(statement.sql.as_str(), &params)
                .await?
                .into_first_result()
                .await
        });
        self.check(done)
    }

    fn check<T>(&mut self, result: tiberius::Result<T>) -> Result<T, DbError> {
        result.map_err(|error| {
            if !matches!(error, tiberius::error::Error::Server(_)) {
                self.conn.broken = true;
            }
            db_error(error)
        })
    }
}

/// A server's own refusal is the statement's fault, except the ones that pass (a full
/// log or file group, a deadlock victim, a lock timeout); a broken connection or I/O is
/// transient.
pub(crate) fn db_error(error: tiberius::error::Error) -> DbError {
    match &error {
        // 1205 deadlock victim, 1222 lock timeout, 9002 transaction log full,
        // 1105 file group full, 40501 service busy.
        tiberius::error::Error::Server(e)
            if matches!(e.code(), 1205 | 1222 | 9002 | 1105 | 40501) =>
        {
            DbError::Unavailable(refusal(e.code(), e.message()))
        }
        tiberius::error::Error::Server(e) => DbError::Database(refusal(e.code(), e.message())),
        _ => DbError::Unavailable(error.to_string()),
    }
}

/// A server's refusal as the platform keeps it: a failed projection makes it a dead
/// letter's reason, which operators read (and Kafka's `.dlq` headers carry), and
/// operators do not open personal data. So the row values some messages quote (2628's
/// truncated value, 2627 and 2601's duplicate key, 245's converted value) are withheld;
/// the code, the table and the column stay.
fn refusal(code: u32, message: &str) -> String {
    let mut kept = message.to_owned();
    for marker in ["Truncated value:", "The duplicate key value is"] {
        if let Some(at) = kept.find(marker) {
            kept.truncate(at + marker.len());
            kept.push_str(" (withheld).");
        }
    }
    let quoted = " value '";
    if let Some(at) = kept.find(quoted).map(|at| at + quoted.len()) {
        // To the last quote; to the end when the server cut the value short.
        let end = kept[at..].rfind('\'').map_or(kept.len(), |end| at + end);
        kept.replace_range(at..end, "(withheld)");
    }
    format!("SQL Server error {code}: {kept}")
}

impl ToSql for Param {
    fn to_sql(&self) -> ColumnData<'_> {
        column_data(self.kind, &self.value)
    }
}

fn bound(params: &[Param]) -> Vec<&dyn ToSql> {
    params.iter().map(|p| p as &dyn ToSql).collect()
}

/// The TDS value bound for `value` where it meets a column of `kind`. A null is typed
/// as its column; an integer meeting a text column is bound as its digits, as SQLite's
/// text affinity would store it (SQL Server would otherwise convert the column to a
/// number, and fail on the first non-numeric row).
pub(crate) fn column_data(kind: Kind, value: &Value) -> ColumnData<'_> {
    match (value, kind) {
        (Value::Null, Kind::Int) => ColumnData::I64(None),
        (Value::Null, Kind::Real) => ColumnData::F64(None),
        (Value::Null, Kind::Text) => ColumnData::String(None),
        (Value::Int(i), Kind::Text) => ColumnData::String(Some(Cow::Owned(i.to_string()))),
        (Value::Int(i), Kind::Real) => ColumnData::F64(Some(*i as f64)),
        (Value::Int(i), Kind::Int) => ColumnData::I64(Some(*i)),
        (Value::Real(r), _) => ColumnData::F64(Some(*r)),
        (Value::Text(t), _) => ColumnData::String(Some(Cow::Borrowed(t.as_str()))),
    }
}

/// A row of `table` as SQL Server sent it (its columns in declaration order).
pub(crate) fn decode(table: &'static Table, row: tiberius::Row) -> Result<Row, DbError> {
    let shape = |reason: String| DbError::Shape {
        table: table.name,
        reason,
    };
    let mut cells = row.into_iter();
    let mut values = Vec::with_capacity(table.columns.len());
    for column in table.columns {
        let data = cells
            .next()
            .ok_or_else(|| shape(format!("no value for `{}`", column.name)))?;
        values.push(value(column, data).map_err(shape)?);
    }
    Ok(Row::new(table, values))
}

fn value(column: &Column, data: ColumnData<'static>) -> Result<Value, String> {
    Ok(match (column.kind, data) {
        (Kind::Int, ColumnData::I64(Some(v))) => Value::Int(v),
        (Kind::Int, ColumnData::I32(Some(v))) => Value::Int(v.into()),
        (Kind::Int, ColumnData::I16(Some(v))) => Value::Int(v.into()),
        (Kind::Int, ColumnData::U8(Some(v))) => Value::Int(v.into()),
        (Kind::Int, ColumnData::Bit(Some(v))) => Value::Int(v.into()),
        (Kind::Real, ColumnData::F64(Some(v))) => Value::Real(v),
        (Kind::Real, ColumnData::F32(Some(v))) => Value::Real(v.into()),
        (Kind::Text, ColumnData::String(Some(v))) => Value::Text(v.into_owned()),
        (_, data) if is_null(&data) => Value::Null,
        (kind, data) => return Err(format!("`{}` ({kind:?}) holds {data:?}", column.name)),
    })
}

fn is_null(data: &ColumnData<'_>) -> bool {
    matches!(
        data,
        ColumnData::I64(None)
            | ColumnData::I32(None)
            | ColumnData::I16(None)
            | ColumnData::U8(None)
            | ColumnData::Bit(None)
            | ColumnData::F64(None)
            | ColumnData::F32(None)
            | ColumnData::String(None)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refusal_keeps_its_code_table_and_column_but_never_the_row_values_it_quotes() {
        let name = "Augusta Ada King";
        for (code, message) in [
            (
                2628,
                format!(
                    "String or binary data would be truncated in table 'pitlane.dbo.customers__g1', \
                     column 'name'. Truncated value: '{name}'."
                ),
            ),
            (
                2627,
                format!(
                    "Violation of PRIMARY KEY constraint 'pk'. Cannot insert duplicate key in \
                     object 'dbo.customers__g1'. The duplicate key value is ({name})."
                ),
            ),
            (
                2601,
                format!(
                    "Cannot insert duplicate key row in object 'dbo.customers__g1' with unique \
                     index 'ix__name'. The duplicate key value is ({name})."
                ),
            ),
            (
                245,
                format!(
                    "Conversion failed when converting the nvarchar value '{name}' to data type bigint."
                ),
            ),
        ] {
            let kept = super::refusal(code, &message);
            assert!(!kept.contains("Ada"), "{kept}");
            assert!(
                kept.starts_with(&format!("SQL Server error {code}: ")),
                "{kept}"
            );
            assert!(kept.contains("(withheld)"), "{kept}");
        }
        let kept = super::refusal(
            2628,
            "String or binary data would be truncated in table \
            'pitlane.dbo.customers__g1', column 'name'. Truncated value: 'Ada'.",
        );
        assert!(
            kept.contains("customers__g1") && kept.contains("'name'"),
            "{kept}"
        );
        let cut_short = super::refusal(
            245,
            "Conversion failed when converting the value 'Augusta A",
        );
        assert!(!cut_short.contains("Augusta"), "{cut_short}");
    }

    use tiberius::ColumnType;

    use super::*;

    static T: Table = Table {
        name: "t",
        columns: &[
            Column::text("id"),
            Column::opt_int("n"),
            Column::real("r"),
            Column::opt_text("note"),
        ],
        key: &["id"],
        indexes: &[],
    };

    fn row(cells: Vec<(ColumnType, ColumnData<'static>)>) -> tiberius::Row {
        cells
            .into_iter()
            .enumerate()
            .fold(tiberius::Row::builder(), |b, (i, (ty, data))| {
                b.column(format!("c{i}"), ty, data)
            })
            .build()
    }

    #[test]
    fn a_row_decodes_into_the_values_sqlite_would_give() {
        let decoded = decode(
            &T,
            row(vec![
                (ColumnType::NVarchar, ColumnData::String(Some("p1".into()))),
                (ColumnType::Int8, ColumnData::I64(Some(-7))),
                (ColumnType::Float8, ColumnData::F64(Some(2.5))),
                (ColumnType::NVarchar, ColumnData::String(None)),
            ]),
        )
        .expect("decoded");
        assert_eq!(
            decoded.values(),
            &[
                Value::Text("p1".into()),
                Value::Int(-7),
                Value::Real(2.5),
                Value::Null
            ]
        );
    }

    #[test]
    fn a_null_of_any_type_decodes_as_null_and_narrow_integers_widen() {
        let decoded = decode(
            &T,
            row(vec![
                (ColumnType::NVarchar, ColumnData::String(Some("p".into()))),
                (ColumnType::Bitn, ColumnData::Bit(Some(true))),
                (ColumnType::Float8, ColumnData::F64(Some(0.0))),
                (ColumnType::Int8, ColumnData::I64(None)),
            ]),
        )
        .expect("decoded");
        assert_eq!(decoded.values()[1], Value::Int(1));
        assert_eq!(decoded.values()[3], Value::Null);
    }

    #[test]
    fn a_cell_of_the_wrong_kind_is_a_shape_error_naming_the_column() {
        let wrong = decode(
            &T,
            row(vec![
                (ColumnType::Int8, ColumnData::I64(Some(1))),
                (ColumnType::Int8, ColumnData::I64(Some(1))),
                (ColumnType::Float8, ColumnData::F64(Some(1.0))),
                (ColumnType::NVarchar, ColumnData::String(None)),
            ]),
        );
        assert!(
            matches!(&wrong, Err(DbError::Shape { table: "t", reason }) if reason.contains("`id`")),
            "{wrong:?}"
        );
    }

    #[test]
    fn a_row_with_too_few_cells_is_a_shape_error() {
        let short = decode(
            &T,
            row(vec![(
                ColumnType::NVarchar,
                ColumnData::String(Some("p".into())),
            )]),
        );
        assert!(
            matches!(&short, Err(DbError::Shape { reason, .. }) if reason.contains("`n`")),
            "{short:?}"
        );
    }

    #[test]
    fn parameters_are_typed_by_the_column_they_meet() {
        assert_eq!(column_data(Kind::Int, &Value::Null), ColumnData::I64(None));
        assert_eq!(column_data(Kind::Real, &Value::Null), ColumnData::F64(None));
        assert_eq!(
            column_data(Kind::Text, &Value::Null),
            ColumnData::String(None)
        );
        assert_eq!(
            column_data(Kind::Text, &Value::Int(42)),
            ColumnData::String(Some("42".into()))
        );
        assert_eq!(
            column_data(Kind::Real, &Value::Int(3)),
            ColumnData::F64(Some(3.0))
        );
        assert_eq!(
            column_data(Kind::Int, &Value::Int(3)),
            ColumnData::I64(Some(3))
        );
        assert_eq!(
            column_data(Kind::Text, &Value::Text("x".into())),
            ColumnData::String(Some("x".into()))
        );
    }
}
