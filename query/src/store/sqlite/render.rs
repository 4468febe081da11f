//! Rendering store operations as SQLite SQL. Identifiers come from static table
//! declarations and are checked against them; values are always bound parameters.

use crate::store::{DbError, Filter, Kind, Order, Select, Table, Value};

pub(super) fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

fn column<'a>(table: &Table, name: &'a str) -> Result<&'a str, DbError> {
    if table.column(name).is_some() {
        Ok(name)
    } else {
        Err(DbError::Shape {
            table: table.name,
            reason: format!("no column `{name}`"),
        })
    }
}

pub(super) fn create_table(table: &Table, physical: &str) -> Vec<String> {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let kind = match c.kind {
                Kind::Int => "INTEGER",
                Kind::Real => "REAL",
                Kind::Text => "TEXT",
            };
            let null = if c.nullable { "" } else { " NOT NULL" };
            format!("{} {kind}{null}", quoted(c.name))
        })
        .collect();
    let key: Vec<String> = table.key.iter().map(|k| quoted(k)).collect();
    let mut statements = vec![format!(
        "CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({}))",
        quoted(physical),
        columns.join(", "),
        key.join(", ")
    )];
    for index in table.indexes {
        let name = format!("{physical}__{}", index.join("_"));
        let cols: Vec<String> = index.iter().map(|c| quoted(c)).collect();
        statements.push(format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
            quoted(&name),
            quoted(physical),
            cols.join(", ")
        ));
    }
    statements
}

pub(super) fn upsert(
    table: &Table,
    physical: &str,
    row: &[(&'static str, Value)],
    ignore: bool,
) -> Result<String, DbError> {
    let names = row
        .iter()
        .map(|(c, _)| column(table, c).map(quoted))
        .collect::<Result<Vec<_>, _>>()?;
    let params: Vec<String> = (1..=row.len()).map(|i| format!("?{i}")).collect();
    let key: Vec<String> = table.key.iter().map(|k| quoted(k)).collect();
    let updates: Vec<String> = row
        .iter()
        .filter(|(c, _)| !table.key.contains(c))
        .map(|(c, _)| format!("{0} = excluded.{0}", quoted(c)))
        .collect();
    let conflict = if ignore || updates.is_empty() {
        "DO NOTHING".to_owned()
    } else {
        format!("DO UPDATE SET {}", updates.join(", "))
    };
    Ok(format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) {conflict}",
        quoted(physical),
        names.join(", "),
        params.join(", "),
        key.join(", ")
    ))
}

pub(super) fn update(
    table: &Table,
    physical: &str,
    filter: &[(&'static str, Value)],
    set: &[(&'static str, Value)],
) -> Result<String, DbError> {
    let sets = set
        .iter()
        .enumerate()
        .map(|(i, (c, _))| column(table, c).map(|c| format!("{} = ?{}", quoted(c), i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let wheres = filter
        .iter()
        .enumerate()
        .map(|(i, (c, _))| {
            column(table, c).map(|c| format!("{} = ?{}", quoted(c), set.len() + i + 1))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(format!(
        "UPDATE {} SET {}{}",
        quoted(physical),
        sets.join(", "),
        where_clause(&wheres)
    ))
}

pub(super) fn delete(
    table: &Table,
    physical: &str,
    filter: &[(&'static str, Value)],
) -> Result<String, DbError> {
    let wheres = filter
        .iter()
        .enumerate()
        .map(|(i, (c, _))| column(table, c).map(|c| format!("{} = ?{}", quoted(c), i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(format!(
        "DELETE FROM {}{}",
        quoted(physical),
        where_clause(&wheres)
    ))
}

fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// `SELECT` (or `SELECT COUNT(*)`) with its bound parameters.
pub(super) fn select(
    query: &Select,
    physical: &str,
    count: bool,
) -> Result<(String, Vec<Value>), DbError> {
    let table = query.table;
    let mut params = Vec::new();
    let mut conditions = Vec::new();
    for filter in &query.filters {
        conditions.push(condition(table, filter, &mut params)?);
    }
    let what = if count {
        "COUNT(*)".to_owned()
    } else {
        table
            .columns
            .iter()
            .map(|c| quoted(c.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut sql = format!(
        "SELECT {what} FROM {}{}",
        quoted(physical),
        where_clause(&conditions)
    );
    if !count {
        if !query.order.is_empty() {
            let order = query
                .order
                .iter()
                .map(|(c, o)| {
                    column(table, c).map(|c| {
                        let dir = if *o == Order::Desc { "DESC" } else { "ASC" };
                        format!("{} {dir}", quoted(c))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
        }
        if query.limit.is_some() || query.offset > 0 {
            params.push(Value::from(query.limit.map_or(-1, |l| l as i64)));
            params.push(Value::from(query.offset));
            sql.push_str(&format!(
                " LIMIT ?{} OFFSET ?{}",
                params.len() - 1,
                params.len()
            ));
        }
    }
    Ok((sql, params))
}

fn condition(table: &Table, filter: &Filter, params: &mut Vec<Value>) -> Result<String, DbError> {
    let mut bind = |value: Value| {
        params.push(value);
        format!("?{}", params.len())
    };
    let compare = |c: &str, op: &str, value: &Value, bind: &mut dyn FnMut(Value) -> String| {
        column(table, c).map(|c| format!("{} {op} {}", quoted(c), bind(value.clone())))
    };
    match filter {
        Filter::Eq(c, v) => compare(c, "=", v, &mut bind),
        Filter::Gt(c, v) => compare(c, ">", v, &mut bind),
        Filter::Gte(c, v) => compare(c, ">=", v, &mut bind),
        Filter::Lt(c, v) => compare(c, "<", v, &mut bind),
        Filter::Lte(c, v) => compare(c, "<=", v, &mut bind),
        Filter::IsNull(c) => column(table, c).map(|c| format!("{} IS NULL", quoted(c))),
        Filter::NotNull(c) => column(table, c).map(|c| format!("{} IS NOT NULL", quoted(c))),
        Filter::In(c, values) => {
            let c = column(table, c)?;
            if values.is_empty() {
                return Ok("0 = 1".into());
            }
            let list: Vec<String> = values.iter().map(|v| bind(v.clone())).collect();
            Ok(format!("{} IN ({})", quoted(c), list.join(", ")))
        }
        Filter::Contains(c, text) => {
            let c = column(table, c)?;
            let escaped = text
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = bind(Value::Text(format!("%{escaped}%")));
            Ok(format!("{} LIKE {p} ESCAPE '\\'", quoted(c)))
        }
        Filter::AnyOf(filters) => {
            if filters.is_empty() {
                return Ok("0 = 1".into());
            }
            let parts = filters
                .iter()
                .map(|f| condition(table, f, params))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("({})", parts.join(" OR ")))
        }
    }
}
