//! `Tx` and `Reader` over a SQL Server session, with logical table names resolved to
//! the physical tables of the generation being written or read.

use super::render::{self, Read};
use super::session::Session;
use crate::store::{DbError, Reader, Row, Select, Table, Tx, Value};

pub(crate) use crate::store::schema::{Names, physical};

fn select(session: &mut Session<'_>, names: &Names, query: &Select) -> Result<Vec<Row>, DbError> {
    let statement = render::select(query, physical(names, query.table)?, Read::Rows)?;
    session.rows(&statement, query.table)
}

/// A projection's writes inside the runtime's transaction.
pub(crate) struct MssqlTx<'s, 'c> {
    pub(crate) session: &'s mut Session<'c>,
    pub(crate) names: &'s Names,
}

impl Tx for MssqlTx<'_, '_> {
    fn upsert(
        &mut self,
        table: &'static Table,
        row: &[(&'static str, Value)],
    ) -> Result<(), DbError> {
        let statement = render::upsert(table, physical(self.names, table)?, row)?;
        self.session.execute(&statement).map(drop)
    }

    fn insert_ignore(
        &mut self,
        table: &'static Table,
        row: &[(&'static str, Value)],
    ) -> Result<bool, DbError> {
        let statement = render::insert_ignore(table, physical(self.names, table)?, row)?;
        self.session.execute(&statement).map(|n| n > 0)
    }

    fn update(
        &mut self,
        table: &'static Table,
        filter: &[(&'static str, Value)],
        set: &[(&'static str, Value)],
    ) -> Result<u64, DbError> {
        let statement = render::update(table, physical(self.names, table)?, filter, set)?;
        self.session.execute(&statement)
    }

    fn delete(
        &mut self,
        table: &'static Table,
        filter: &[(&'static str, Value)],
    ) -> Result<u64, DbError> {
        let statement = render::delete(table, physical(self.names, table)?, filter)?;
        self.session.execute(&statement)
    }

    fn select(&mut self, query: &Select) -> Result<Vec<Row>, DbError> {
        select(self.session, self.names, query)
    }
}

/// A query's reads, inside one snapshot transaction.
pub(crate) struct MssqlReader<'s, 'c> {
    pub(crate) session: &'s mut Session<'c>,
    pub(crate) names: &'s Names,
}

impl Reader for MssqlReader<'_, '_> {
    fn select(&mut self, query: &Select) -> Result<Vec<Row>, DbError> {
        select(self.session, self.names, query)
    }

    fn count(&mut self, query: &Select) -> Result<u64, DbError> {
        let statement = render::select(query, physical(self.names, query.table)?, Read::Count)?;
        self.session.count(&statement)
    }
}
