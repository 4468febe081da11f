//! A dialect-neutral `SELECT`: filters, order, limit and offset over one table.

use super::{Table, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Eq(&'static str, Value),
    In(&'static str, Vec<Value>),
    /// Case-insensitive substring match on a text column.
    Contains(&'static str, String),
    Gt(&'static str, Value),
    Gte(&'static str, Value),
    Lt(&'static str, Value),
    Lte(&'static str, Value),
    IsNull(&'static str),
    NotNull(&'static str),
    /// Any of the filters holds (all of its members are AND-ed inside each).
    AnyOf(Vec<Filter>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub table: &'static Table,
    pub filters: Vec<Filter>,
    pub order: Vec<(&'static str, Order)>,
    pub limit: Option<u64>,
    pub offset: u64,
}

impl Select {
    pub fn from(table: &'static Table) -> Self {
        Self {
            table,
            filters: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: 0,
        }
    }

    pub fn filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// Adds `column = value` for each pair.
    pub fn filter_eq(mut self, pairs: &[(&'static str, Value)]) -> Self {
        self.filters
            .extend(pairs.iter().map(|(c, v)| Filter::Eq(c, v.clone())));
        self
    }

    pub fn order_by(mut self, column: &'static str, order: Order) -> Self {
        self.order.push((column, order));
        self
    }

    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }
}
