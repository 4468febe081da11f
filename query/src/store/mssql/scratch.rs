//! Scratch databases for tests on a real SQL Server (feature `test-util`): each test
//! gets a database of its own, so tests run in parallel and leave nothing behind.

use super::connect::{Connector, tiberius_config};
use super::io::Io;
use super::render;
use super::session::db_error;
use crate::config::SqlServerUrl;
use crate::store::DbError;

/// A database created for one test; [`ScratchDatabase::drop_now`] removes it.
pub struct ScratchDatabase {
    admin: SqlServerUrl,
    url: SqlServerUrl,
}

impl ScratchDatabase {
    /// Creates `pitlane_test_<uuid>` on the server `admin` reaches (its login needs
    /// `CREATE DATABASE`).
    pub async fn create(admin: &SqlServerUrl) -> Result<Self, DbError> {
        let mut url = admin.clone();
        url.database = format!("pitlane_test_{}", uuid::Uuid::new_v4().simple());
        run(admin, render::create_database(&url.database)).await?;
        Ok(Self {
            admin: admin.clone(),
            url,
        })
    }

    /// The scratch database's URL.
    pub fn url(&self) -> &SqlServerUrl {
        &self.url
    }

    /// Drops the database, closing whatever connections still use it.
    pub async fn drop_now(self) -> Result<(), DbError> {
        run(&self.admin, render::drop_database(&self.url.database)).await
    }
}

async fn run(admin: &SqlServerUrl, sql: String) -> Result<(), DbError> {
    let io = Io::new()?;
    let connector = Connector::new(tiberius_config(admin), io.handle().clone());
    io.handle()
        .spawn(async move {
            let mut conn = connector.connect().await?;
            conn.client
                .simple_query(sql)
                .await
                .map_err(db_error)?
                .into_results()
                .await
                .map_err(db_error)?;
            Ok(())
        })
        .await
        .map_err(|e| DbError::Database(e.to_string()))?
}
