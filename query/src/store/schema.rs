//! Table declarations: the schema of a read model, once, for every backend.

use foldhash::HashMap;

use crate::store::DbError;

/// The kinds of values a column holds. Times are stored as RFC 3339 text in UTC with
/// microseconds (`es_core::time::format`), which sorts correctly as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Real,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
}

impl Column {
    pub const fn int(name: &'static str) -> Self {
        Self {
            name,
            kind: Kind::Int,
            nullable: false,
        }
    }

    pub const fn opt_int(name: &'static str) -> Self {
        Self {
            name,
            kind: Kind::Int,
            nullable: true,
        }
    }

    pub const fn real(name: &'static str) -> Self {
        Self {
            name,
            kind: Kind::Real,
            nullable: false,
        }
    }

    pub const fn text(name: &'static str) -> Self {
        Self {
            name,
            kind: Kind::Text,
            nullable: false,
        }
    }

    pub const fn opt_text(name: &'static str) -> Self {
        Self {
            name,
            kind: Kind::Text,
            nullable: true,
        }
    }
}

/// One read-model table. `key` is its primary key; `indexes` are the column lists
/// queries filter or sort on.
#[derive(Debug, PartialEq, Eq)]
pub struct Table {
    /// Logical name; the store adds a generation suffix for rebuilds.
    pub name: &'static str,
    pub columns: &'static [Column],
    pub key: &'static [&'static str],
    pub indexes: &'static [&'static [&'static str]],
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// The physical name of logical table `table` in `generation` (`customers__g2`).
pub(crate) fn generation_table(table: &str, generation: i64) -> String {
    format!("{table}__g{generation}")
}

/// Logical table name (`Table::name`) → physical table name for one transaction.
pub(crate) type Names = HashMap<&'static str, String>;

/// The physical table behind `table` in this transaction's names.
pub(crate) fn physical<'n>(names: &'n Names, table: &Table) -> Result<&'n str, DbError> {
    names
        .get(table.name)
        .map(String::as_str)
        .ok_or_else(|| DbError::Shape {
            table: table.name,
            reason: "table is not part of this read-model database".into(),
        })
}
