//! `READ_STORE_URL`: where the read models live — a SQLite file (the embedded
//! default) or a SQL Server database.
//!
//! SQL Server is named by URL (the ADO.NET `server=tcp:…;` form is not accepted):
//! `mssql://USER:PASSWORD@HOST[:PORT]/DATABASE[?encrypt=true|false][&trust_server_certificate=true|false]`.
//! Port 1433 and `encrypt=true` by default; characters of the user, password or
//! database that a URL reserves (`@ : / ? # % &`) are percent-encoded. Anything else
//! (`sqlite:PATH` or a bare path) is a SQLite file. Error messages never repeat the
//! value, so a password cannot leak into logs.

use std::fmt;
use std::path::PathBuf;

use es_core::env::{Env, Variable};

use super::ConfigError;

pub const READ_STORE_URL: &str = VARIABLE.name;

pub(super) const VARIABLE: Variable = Variable::new(
    "READ_STORE_URL",
    "",
    "the read models: mssql://USER:PASSWORD@HOST[:PORT]/DATABASE[?encrypt=…&trust_server_certificate=…] (SQL Server), or a SQLite file (a path or sqlite:PATH) [default: PITLANE_READ_MODELS]",
);

/// Where the query service keeps its read models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadStoreLocation {
    /// One SQLite file.
    Sqlite(PathBuf),
    /// A SQL Server database (opened only by a build with the `mssql` feature).
    SqlServer(SqlServerUrl),
}

impl ReadStoreLocation {
    /// From the process environment; `sqlite_default` (the `PITLANE_READ_MODELS` file)
    /// when `READ_STORE_URL` is unset.
    pub fn from_env(sqlite_default: &std::path::Path) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok(), sqlite_default)
    }

    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        sqlite_default: &std::path::Path,
    ) -> Result<Self, ConfigError> {
        Ok(Env::new(&lookup)
            .read_optional(&VARIABLE, Self::parse)?
            .unwrap_or_else(|| ReadStoreLocation::Sqlite(sqlite_default.to_path_buf())))
    }

    /// `mssql://…` is SQL Server; `sqlite:PATH` or a path is a SQLite file.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if has_scheme(raw, "mssql") {
            return SqlServerUrl::parse(raw).map(ReadStoreLocation::SqlServer);
        }
        if has_scheme(raw, "sqlserver") || raw.to_ascii_lowercase().starts_with("server=") {
            return Err("write SQL Server as mssql://user:password@host:port/database".into());
        }
        es_core::sqlite::path_of(raw).map(ReadStoreLocation::Sqlite)
    }
}

fn has_scheme(raw: &str, scheme: &str) -> bool {
    raw.get(..scheme.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        && raw[scheme.len()..].starts_with("://")
}

/// A SQL Server database and how to reach it. `Debug` and `Display` hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SqlServerUrl {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    password: String,
    /// Encrypt the whole connection (TLS), refusing a server that cannot.
    pub encrypt: bool,
    /// Accept any server certificate (a development server's self-signed one).
    pub trust_server_certificate: bool,
}

impl SqlServerUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let rest = raw
            .trim()
            .split_once("://")
            .map(|(_, rest)| rest)
            .ok_or("not a mssql:// URL")?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (userinfo, location) = rest
            .rsplit_once('@')
            .ok_or("no user: write mssql://user:password@host/database")?;
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let user = decode(user, "user")?;
        if user.is_empty() {
            return Err("the user is empty".into());
        }
        let (address, database) = location
            .split_once('/')
            .ok_or("no database: write mssql://user:password@host/database")?;
        let database = decode(database, "database")?;
        if database.is_empty() || database.contains('/') {
            return Err("the database name is empty or has a `/`".into());
        }
        let (host, port) = host_and_port(address)?;
        let mut url = SqlServerUrl {
            host,
            port,
            database,
            user,
            password: decode(password, "password")?,
            encrypt: true,
            trust_server_certificate: false,
        };
        url.apply_options(query)?;
        Ok(url)
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    fn apply_options(&mut self, query: &str) -> Result<(), String> {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let flag = match value.to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(format!("`{key}` must be true or false")),
            };
            match key {
                "encrypt" => self.encrypt = flag,
                "trust_server_certificate" => self.trust_server_certificate = flag,
                // A misspelt TLS option must not silently fall back to a default.
                _ => {
                    return Err(format!(
                        "unknown option `{key}` (known: encrypt, trust_server_certificate)"
                    ));
                }
            }
        }
        Ok(())
    }
}

fn host_and_port(address: &str) -> Result<(String, u16), String> {
    let (host, port) = match address.strip_prefix('[') {
        // An IPv6 literal: [::1]:1433
        Some(v6) => {
            let (host, after) = v6.split_once(']').ok_or("an unclosed `[` in the host")?;
            (host, after.strip_prefix(':'))
        }
        None => match address.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (address, None),
        },
    };
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    let port = match port {
        None => 1433,
        Some(port) => port
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .ok_or("the port is not a number from 1 to 65535")?,
    };
    Ok((host.to_owned(), port))
}

/// Percent-decoding of one URL part (`%40` is `@`).
fn decode(part: &str, what: &str) -> Result<String, String> {
    let bad = || format!("the {what} has a malformed %-escape");
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = part.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("the {what} is not UTF-8 once decoded"))
}

impl fmt::Display for SqlServerUrl {
    /// The URL without its password, for logs and error contexts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(
            f,
            "mssql://{}@{host}:{}/{}?encrypt={}&trust_server_certificate={}",
            self.user, self.port, self.database, self.encrypt, self.trust_server_certificate
        )
    }
}

impl fmt::Debug for SqlServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SqlServerUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn parsed(raw: &str) -> Result<ReadStoreLocation, ConfigError> {
        let raw = raw.to_owned();
        ReadStoreLocation::from_lookup(
            move |name| (name == READ_STORE_URL).then(|| raw.clone()),
            Path::new("data/read-models.db"),
        )
    }

    fn sql_server(raw: &str) -> SqlServerUrl {
        match parsed(raw) {
            Ok(ReadStoreLocation::SqlServer(url)) => url,
            other => panic!("not SQL Server: {other:?}"),
        }
    }

    #[test]
    fn without_the_variable_the_read_models_stay_in_the_default_sqlite_file() {
        let location = ReadStoreLocation::from_lookup(|_| None, Path::new("data/rm.db"));
        assert_eq!(
            location,
            Ok(ReadStoreLocation::Sqlite(PathBuf::from("data/rm.db")))
        );
    }

    #[test]
    fn a_path_or_sqlite_prefix_names_a_sqlite_file() {
        assert_eq!(
            parsed("/var/lib/pitlane/rm.db"),
            Ok(ReadStoreLocation::Sqlite("/var/lib/pitlane/rm.db".into()))
        );
        assert_eq!(
            parsed("sqlite:rm.db"),
            Ok(ReadStoreLocation::Sqlite("rm.db".into()))
        );
    }

    #[test]
    fn a_full_mssql_url_gives_every_part_decoded() {
        let url = sql_server(
            "mssql://pit%40lane:p%40ss:w%2Frd@sql.internal:14330/read%20models\
             ?encrypt=false&trust_server_certificate=true",
        );
        assert_eq!(url.user, "pit@lane");
        assert_eq!(url.password(), "p@ss:w/rd");
        assert_eq!(url.host, "sql.internal");
        assert_eq!(url.port, 14330);
        assert_eq!(url.database, "read models");
        assert!(!url.encrypt);
        assert!(url.trust_server_certificate);
    }

    #[test]
    fn a_short_mssql_url_encrypts_and_verifies_on_port_1433() {
        let url = sql_server("MSSQL://sa:pw@localhost/pitlane");
        assert_eq!((url.host.as_str(), url.port), ("localhost", 1433));
        assert!(url.encrypt);
        assert!(!url.trust_server_certificate);
    }

    #[test]
    fn an_unencoded_at_sign_in_the_password_still_parses() {
        assert_eq!(sql_server("mssql://sa:p@ss@db/x").password(), "p@ss");
    }

    #[test]
    fn an_ipv6_host_is_written_in_brackets() {
        let url = sql_server("mssql://sa:pw@[::1]:1500/x");
        assert_eq!((url.host.as_str(), url.port), ("::1", 1500));
        assert_eq!(
            url.to_string(),
            "mssql://sa@[::1]:1500/x?encrypt=true&trust_server_certificate=false"
        );
    }

    #[test]
    fn malformed_urls_are_errors_naming_the_variable_and_never_the_password() {
        for raw in [
            "mssql://sa:hunter2@db",
            "mssql://hunter2@db:1433/",
            "mssql://:hunter2@db/x",
            "mssql://sa:hunter2@db:99999/x",
            "mssql://sa:hunter2@db:0/x",
            "mssql://sa:hunter2@:1433/x",
            "mssql://sa:hunter2@db/x?encrypt=maybe",
            "mssql://sa:hunter2@db/x?encrpyt=false",
            "mssql://sa:hunter2%zz@db/x",
            "mssql://sa:hunter2@[::1/x",
            "server=tcp:db,1433;user id=sa;password=hunter2",
            "sqlserver://sa:hunter2@db/x",
            "sqlite:",
        ] {
            let error = parsed(raw).expect_err(raw);
            assert_eq!(error.variable, READ_STORE_URL, "{raw}");
            assert!(!error.to_string().contains("hunter2"), "{raw}: {error}");
        }
    }

    #[test]
    fn printing_a_url_hides_its_password() {
        let url = sql_server("mssql://sa:hunter2@db/x");
        assert!(!format!("{url} {url:?}").contains("hunter2"));
        assert!(format!("{url:?}").contains("mssql://sa@db:1433/x"));
    }
}
