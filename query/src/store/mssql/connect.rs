//! Opening SQL Server connections (TLS by rustls), and the pool queries read through.
//!
//! No maintained pool crate speaks tiberius 0.13 (bb8-tiberius and deadpool-tiberius
//! pin 0.12 and rustls 0.21), so this is a `deadpool` manager of a few lines; deadpool
//! is already in the tree through deadpool-sqlite.

use std::time::Duration;

use deadpool::managed::{Manager, Metrics, Pool, RecycleError, RecycleResult};
use tiberius::{AuthMethod, EncryptionLevel};
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio_util::compat::TokioAsyncWriteCompatExt;

use super::session::{Client, Conn, db_error};
use crate::config::SqlServerUrl;
use crate::store::DbError;

/// Reader connections kept open; queries beyond this many wait for one.
pub(crate) const READERS: usize = 16;
/// Start-up waits this long for a server still coming up (a container starting).
const CONNECT_ATTEMPTS: u32 = 7;

/// The driver's settings for `url`.
pub(crate) fn tiberius_config(url: &SqlServerUrl) -> tiberius::Config {
    let mut config = tiberius::Config::new();
    config.host(&url.host);
    config.port(url.port);
    config.database(&url.database);
    config.application_name("pitlane-query");
    config.authentication(AuthMethod::sql_server(&url.user, url.password()));
    // `Off` still encrypts the login (so the password); `Required` encrypts everything
    // and refuses a server that cannot.
    config.encryption(if url.encrypt {
        EncryptionLevel::Required
    } else {
        EncryptionLevel::Off
    });
    if url.trust_server_certificate {
        config.trust_cert();
    }
    config
}

/// Opens connections with one configuration; sockets belong to the I/O runtime.
#[derive(Clone)]
pub(crate) struct Connector {
    config: tiberius::Config,
    io: Handle,
}

impl Connector {
    pub(crate) fn new(config: tiberius::Config, io: Handle) -> Self {
        Self { config, io }
    }

    /// One connection, opened on the I/O runtime (awaitable from any runtime).
    pub(crate) async fn connect(&self) -> Result<Conn, DbError> {
        let config = self.config.clone();
        self.io
            .spawn(async move { open(config).await })
            .await
            .map_err(|e| DbError::Unavailable(format!("connecting to SQL Server: {e}")))?
    }

    /// Like [`Connector::connect`], retrying with backoff (0.5 s doubling to 8 s, about
    /// half a minute in all) while the server is not up yet.
    pub(crate) async fn connect_patiently(&self) -> Result<Conn, DbError> {
        let mut delay = Duration::from_millis(500);
        let mut attempt = 1;
        loop {
            match self.connect().await {
                Ok(conn) => return Ok(conn),
                Err(error) if attempt < CONNECT_ATTEMPTS => {
                    tracing::warn!(%error, attempt, "SQL Server not reachable yet; retrying");
                    let pause = delay;
                    self.io
                        .spawn(tokio::time::sleep(pause))
                        .await
                        .map_err(|e| DbError::Database(e.to_string()))?;
                    delay = (delay * 2).min(Duration::from_secs(8));
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

/// Connects, following one redirect (Azure SQL's gateway may send one).
async fn open(config: tiberius::Config) -> Result<Conn, DbError> {
    let client = match login(config.clone()).await {
        Err(tiberius::error::Error::Routing { host, port }) => {
            let mut routed = config;
            routed.host(&host);
            routed.port(port);
            login(routed).await
        }
        other => other,
    };
    client.map(Conn::new).map_err(db_error)
}

async fn login(config: tiberius::Config) -> tiberius::Result<Client> {
    let tcp = TcpStream::connect(config.get_addr()).await?;
    // Statements are small request/response round trips: do not wait to fill packets.
    tcp.set_nodelay(true)?;
    tiberius::Client::connect(config, tcp.compat_write()).await
}

/// The pool's manager: a broken connection is closed, never handed out again.
pub(crate) struct Readers(pub(crate) Connector);

impl Manager for Readers {
    type Type = Conn;
    type Error = DbError;

    async fn create(&self) -> Result<Conn, DbError> {
        self.0.connect().await
    }

    async fn recycle(&self, conn: &mut Conn, _: &Metrics) -> RecycleResult<DbError> {
        if !conn.reusable() {
            Err(RecycleError::message(
                "connection broken or inside a transaction",
            ))
        } else {
            Ok(())
        }
    }
}

pub(crate) type ReaderPool = Pool<Readers>;

pub(crate) fn reader_pool(connector: Connector) -> Result<ReaderPool, DbError> {
    Pool::builder(Readers(connector))
        .max_size(READERS)
        .build()
        .map_err(|e| DbError::Database(format!("cannot build the SQL Server pool: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(encrypt: bool) -> SqlServerUrl {
        SqlServerUrl::parse(&format!(
            "mssql://pitlane:s3cret%21@db.internal:14330/read_models?encrypt={encrypt}"
        ))
        .expect("url")
    }

    #[test]
    fn the_driver_connects_to_the_urls_host_and_port() {
        assert_eq!(tiberius_config(&url(true)).get_addr(), "db.internal:14330");
    }

    #[test]
    fn the_driver_settings_never_show_the_password() {
        let shown = format!("{:?}", tiberius_config(&url(false)));
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("Off"),
            "encrypt=false encrypts the login only: {shown}"
        );
        let shown = format!("{:?}", tiberius_config(&url(true)));
        assert!(shown.contains("Required"), "{shown}");
    }

    #[test]
    fn a_refused_connection_is_a_transient_database_error_not_a_panic() {
        let io = super::super::io::Io::new().expect("runtime");
        // Port 1 on loopback: nothing listens there.
        let mut config = tiberius_config(&url(true));
        config.host("127.0.0.1");
        config.port(1);
        let connector = Connector::new(config, io.handle().clone());
        let refused = io.wait(connector.connect());
        assert!(matches!(refused, Err(DbError::Unavailable(_))));
    }
}
