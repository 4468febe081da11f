//! A unit of work in front of a projection transaction: reads and writes by primary
//! key go to an in-memory row cache, and each changed row is written once when the
//! batch is flushed, however many events touched it (a delivery row changes with
//! every one of its events). Anything that is not a key operation — a filtered update,
//! delete or select — first flushes that table and then runs as SQL, so every answer
//! is exactly what the database alone would give.

use foldhash::HashMap;

use crate::store::{DbError, Filter, Row, Select, Table, Tx, Value};

/// Cached rows of one table that a filtered statement scans before it goes to SQL.
const SCAN_LIMIT: usize = 256;

enum Entry {
    /// The row as the database would hold it (`None`: no such row).
    Known {
        row: Option<Vec<Value>>,
        dirty: bool,
    },
    /// Columns upserted onto a row not read yet: the row exists, the rest is unknown.
    Partial(Vec<(&'static str, Value)>),
    /// Deleted here: at flush, delete by this key whatever the database holds.
    Deleted(Vec<(&'static str, Value)>),
}

#[derive(Default)]
struct TableCache {
    entries: HashMap<String, Entry>,
}

pub(crate) struct UnitOfWork<'a, T: Tx> {
    inner: &'a mut T,
    tables: HashMap<&'static str, (&'static Table, TableCache)>,
}

/// Key values as one string, when `pairs` name exactly the table's key columns.
fn key_of(table: &Table, pairs: &[(&'static str, Value)]) -> Option<String> {
    use std::fmt::Write;
    if pairs.len() < table.key.len() {
        return None;
    }
    let mut key = String::with_capacity(64);
    for column in table.key {
        let value = pairs.iter().find(|(c, _)| c == column).map(|(_, v)| v)?;
        // A tag per kind keeps `Text("1")` and `Int(1)` apart; the unit separator
        // keeps ("ab", "c") apart from ("a", "bc").
        match value {
            Value::Text(t) => {
                key.push('t');
                key.push_str(t);
            }
            Value::Int(i) => {
                let _ = write!(key, "i{i}");
            }
            Value::Real(r) => {
                let _ = write!(key, "r{r}");
            }
            Value::Null => key.push('n'),
        }
        key.push('\u{1f}');
    }
    Some(key)
}

/// The key pairs of a point select (equalities on exactly the key, nothing else).
fn point(select: &Select) -> Option<Vec<(&'static str, Value)>> {
    if !select.order.is_empty() || select.offset != 0 || select.limit == Some(0) {
        return None;
    }
    let pairs = select
        .filters
        .iter()
        .map(|f| match f {
            Filter::Eq(c, v) => Some((*c, v.clone())),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let exact = pairs.len() == select.table.key.len()
        && select
            .table
            .key
            .iter()
            .all(|k| pairs.iter().any(|(c, _)| c == k));
    exact.then_some(pairs)
}

fn merge(columns: &mut Vec<(&'static str, Value)>, more: &[(&'static str, Value)]) {
    for (column, value) in more {
        match columns.iter_mut().find(|(c, _)| c == column) {
            Some(existing) => existing.1 = value.clone(),
            None => columns.push((column, value.clone())),
        }
    }
}

fn set(table: &Table, row: &mut [Value], columns: &[(&'static str, Value)]) -> Result<(), DbError> {
    for (column, value) in columns {
        let i = table.position(column).ok_or_else(|| DbError::Shape {
            table: table.name,
            reason: format!("no column `{column}`"),
        })?;
        row[i] = value.clone();
    }
    Ok(())
}

impl<'a, T: Tx> UnitOfWork<'a, T> {
    pub(crate) fn new(inner: &'a mut T) -> Self {
        Self {
            inner,
            tables: HashMap::default(),
        }
    }

    fn cache(&mut self, table: &'static Table) -> &mut TableCache {
        &mut self
            .tables
            .entry(table.name)
            .or_insert_with(|| (table, TableCache::default()))
            .1
    }

    /// Makes sure the row with this key is `Known`, reading it if needed.
    fn load(
        &mut self,
        table: &'static Table,
        key: &str,
        pairs: &[(&'static str, Value)],
    ) -> Result<(), DbError> {
        let partial = match self.cache(table).entries.get(key) {
            Some(Entry::Known { .. } | Entry::Deleted(_)) => return Ok(()),
            Some(Entry::Partial(columns)) => Some(columns.clone()),
            None => None,
        };
        let key_pairs: Vec<(&'static str, Value)> = table
            .key
            .iter()
            .filter_map(|k| pairs.iter().find(|(c, _)| c == k).cloned())
            .collect();
        let stored = self
            .inner
            .select(&Select::from(table).filter_eq(&key_pairs).limit(1))?
            .into_iter()
            .next()
            .map(|r| r.values().to_vec());
        let entry = match (stored, partial) {
            (row, None) => Entry::Known { row, dirty: false },
            (base, Some(columns)) => {
                let mut row = base.unwrap_or_else(|| vec![Value::Null; table.columns.len()]);
                set(table, &mut row, &columns)?;
                Entry::Known {
                    row: Some(row),
                    dirty: true,
                }
            }
        };
        self.cache(table).entries.insert(key.to_owned(), entry);
        Ok(())
    }

    /// Runs `change` on every cached row of `table` that `filter` matches, so a filtered
    /// statement that then runs as SQL leaves cache and database agreeing. A pending
    /// upsert the filter does not match (or cannot judge) is written to the database
    /// first and forgotten, because the stored row under it might match and must be
    /// judged whole by the SQL statement.
    fn apply_to_cached(
        &mut self,
        table: &'static Table,
        filter: &[(&'static str, Value)],
        mut change: impl FnMut(&mut Entry, Option<&mut Vec<Value>>) -> Result<(), DbError>,
    ) -> Result<u64, DbError> {
        // Scanning the cache costs one look per cached row: past a few hundred rows the
        // database's index is cheaper, so write the table out and let SQL do it.
        if self
            .tables
            .get(table.name)
            .is_some_and(|(_, cache)| cache.entries.len() > SCAN_LIMIT)
        {
            self.flush_table(table.name)?;
            return Ok(0);
        }
        let mut unjudged = Vec::new();
        let mut matched = 0;
        if let Some((_, cache)) = self.tables.get_mut(table.name) {
            for (key, entry) in cache.entries.iter_mut() {
                let matches = match entry {
                    Entry::Known {
                        row: Some(values), ..
                    } => filter
                        .iter()
                        .all(|(c, v)| table.position(c).and_then(|i| values.get(i)) == Some(v)),
                    Entry::Known { row: None, .. } | Entry::Deleted(_) => false,
                    Entry::Partial(columns) => {
                        let judged = filter
                            .iter()
                            .map(|(c, v)| {
                                columns
                                    .iter()
                                    .find(|(pc, _)| pc == c)
                                    .map(|(_, pv)| pv == v)
                            })
                            .collect::<Option<Vec<bool>>>();
                        match judged {
                            Some(all) if all.iter().all(|m| *m) => true,
                            // Not matching (or not judgeable) here, but the stored
                            // version underneath may match: write the true row first.
                            _ => {
                                unjudged.push(key.clone());
                                false
                            }
                        }
                    }
                };
                if matches {
                    matched += 1;
                    if let Entry::Known {
                        row: Some(values),
                        dirty,
                    } = entry
                    {
                        *dirty = true;
                        let mut values = std::mem::take(values);
                        change(entry, Some(&mut values))?;
                        if let Entry::Known {
                            row: Some(slot), ..
                        } = entry
                        {
                            *slot = values;
                        }
                    } else {
                        change(entry, None)?;
                    }
                }
            }
        }
        for key in unjudged {
            if let Some((_, cache)) = self.tables.get_mut(table.name)
                && let Some(Entry::Partial(columns)) = cache.entries.remove(&key)
            {
                self.inner.upsert(table, &columns)?;
            }
        }
        Ok(matched)
    }

    /// Writes this table's changed rows and forgets its cache.
    fn flush_table(&mut self, name: &str) -> Result<(), DbError> {
        let Some((table, cache)) = self.tables.remove(name) else {
            return Ok(());
        };
        for entry in cache.entries.into_values() {
            match entry {
                Entry::Known { dirty: false, .. } => {}
                Entry::Known { row: Some(row), .. } => {
                    let columns: Vec<(&'static str, Value)> =
                        table.columns.iter().map(|c| c.name).zip(row).collect();
                    self.inner.upsert(table, &columns)?;
                }
                Entry::Known { row: None, .. } => {}
                Entry::Deleted(key) => {
                    self.inner.delete(table, &key)?;
                }
                Entry::Partial(columns) => self.inner.upsert(table, &columns)?,
            }
        }
        Ok(())
    }

    /// Writes every changed row.
    pub(crate) fn flush(&mut self) -> Result<(), DbError> {
        let names: Vec<&'static str> = self.tables.keys().copied().collect();
        names
            .into_iter()
            .try_for_each(|name| self.flush_table(name))
    }
}

impl<T: Tx> Tx for UnitOfWork<'_, T> {
    fn upsert(
        &mut self,
        table: &'static Table,
        row: &[(&'static str, Value)],
    ) -> Result<(), DbError> {
        let Some(key) = key_of(table, row) else {
            self.flush_table(table.name)?;
            return self.inner.upsert(table, row);
        };
        let cache = self.cache(table);
        match cache.entries.get_mut(&key) {
            Some(Entry::Known {
                row: Some(values),
                dirty,
            }) => {
                set(table, values, row)?;
                *dirty = true;
            }
            Some(Entry::Known {
                row: gone @ None,
                dirty,
            }) => {
                let mut values = vec![Value::Null; table.columns.len()];
                set(table, &mut values, row)?;
                *gone = Some(values);
                *dirty = true;
            }
            Some(Entry::Partial(columns)) => merge(columns, row),
            Some(entry @ Entry::Deleted(_)) => {
                let mut values = vec![Value::Null; table.columns.len()];
                set(table, &mut values, row)?;
                *entry = Entry::Known {
                    row: Some(values),
                    dirty: true,
                };
            }
            None => {
                cache.entries.insert(key, Entry::Partial(row.to_vec()));
            }
        }
        Ok(())
    }

    fn insert_ignore(
        &mut self,
        table: &'static Table,
        row: &[(&'static str, Value)],
    ) -> Result<bool, DbError> {
        let Some(key) = key_of(table, row) else {
            self.flush_table(table.name)?;
            return self.inner.insert_ignore(table, row);
        };
        if matches!(self.cache(table).entries.get(&key), Some(Entry::Partial(_))) {
            return Ok(false);
        }
        self.load(table, &key, row)?;
        let entry = self.cache(table).entries.get_mut(&key);
        if let Some(entry @ (Entry::Known { row: None, .. } | Entry::Deleted(_))) = entry {
            let mut values = vec![Value::Null; table.columns.len()];
            set(table, &mut values, row)?;
            *entry = Entry::Known {
                row: Some(values),
                dirty: true,
            };
            return Ok(true);
        }
        Ok(false)
    }

    fn update(
        &mut self,
        table: &'static Table,
        filter: &[(&'static str, Value)],
        set_columns: &[(&'static str, Value)],
    ) -> Result<u64, DbError> {
        let exact = filter.len() == table.key.len();
        let key = if exact { key_of(table, filter) } else { None };
        let Some(key) = key else {
            let cached = self.apply_to_cached(table, filter, |entry, values| {
                if let Some(values) = values {
                    set(table, values, set_columns)?;
                }
                if let Entry::Partial(columns) = entry {
                    merge(columns, set_columns);
                }
                Ok(())
            })?;
            return Ok(cached.max(self.inner.update(table, filter, set_columns)?));
        };
        // A pending upsert means the row exists: the update joins it, nothing to read.
        if let Some(Entry::Partial(columns)) = self.cache(table).entries.get_mut(&key) {
            merge(columns, set_columns);
            return Ok(1);
        }
        self.load(table, &key, filter)?;
        match self.cache(table).entries.get_mut(&key) {
            Some(Entry::Known {
                row: Some(values),
                dirty,
            }) => {
                set(table, values, set_columns)?;
                *dirty = true;
                Ok(1)
            }
            _ => Ok(0),
        }
    }

    fn delete(
        &mut self,
        table: &'static Table,
        filter: &[(&'static str, Value)],
    ) -> Result<u64, DbError> {
        let cached = self.apply_to_cached(table, filter, |entry, values| {
            let key = match (values, &*entry) {
                (Some(values), _) => table
                    .key
                    .iter()
                    .filter_map(|k| {
                        table
                            .position(k)
                            .and_then(|i| values.get(i))
                            .map(|v| (*k, v.clone()))
                    })
                    .collect(),
                (None, Entry::Partial(columns)) => columns
                    .iter()
                    .filter(|(c, _)| table.key.contains(c))
                    .cloned()
                    .collect(),
                _ => return Ok(()),
            };
            *entry = Entry::Deleted(key);
            Ok(())
        })?;
        Ok(cached.max(self.inner.delete(table, filter)?))
    }

    fn select(&mut self, query: &Select) -> Result<Vec<Row>, DbError> {
        let Some(pairs) = point(query) else {
            self.flush_table(query.table.name)?;
            return self.inner.select(query);
        };
        let table = query.table;
        let key = key_of(table, &pairs).ok_or_else(|| DbError::Shape {
            table: table.name,
            reason: "point select without its key".into(),
        })?;
        self.load(table, &key, &pairs)?;
        Ok(match self.cache(table).entries.get(&key) {
            Some(Entry::Known {
                row: Some(values), ..
            }) => vec![Row::new(table, values.clone())],
            _ => Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests;
