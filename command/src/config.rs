//! The command service's configuration, from environment variables (12-factor).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the command service keeps its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// The embedded default: one SQLite file.
    Sqlite(PathBuf),
}

/// Where the keys of personal data live (ADR 010): outside the event log, always.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStoreLocation {
    /// A SQLite file of its own, by default `keys.db` beside the event store's file.
    Sqlite(PathBuf),
    /// In memory, for tests on an in-memory event store: the keys, and so every
    /// customer's personal data, are gone when the process ends. Never chosen by
    /// [`Config::from_env`].
    InMemory,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `PITLANE_COMMAND_ADDR`, default `127.0.0.1:50051`.
    pub listen: SocketAddr,
    /// `PITLANE_EVENT_STORE`: a file path (or `sqlite:PATH`), default `data/events.db`.
    pub store: StoreLocation,
    /// `PITLANE_KEY_STORE`: a file path (or `sqlite:PATH`), default `keys.db` in the
    /// event store's folder. Two event stores in one folder need a key store each.
    pub key_store: KeyStoreLocation,
    /// `PITLANE_SNAPSHOT_EVERY`: snapshot every N events of a stream (0 = never), default 100.
    pub snapshot_every: u64,
    /// `PITLANE_COMMAND_MAX_RETRIES`: concurrency conflicts retried per command, default 3.
    pub max_retries: u32,
    /// `PITLANE_AGGREGATE_CACHE`: aggregates of each type kept in memory (0 = none),
    /// default 10000.
    pub aggregate_cache: usize,
}

/// A variable that is malformed, named so an operator can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration variable {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need no process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |variable: &'static str, default: &str| {
            lookup(variable)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let malformed = |variable: &'static str, message: String| ConfigError { variable, message };

        let listen = get("PITLANE_COMMAND_ADDR", "127.0.0.1:50051");
        let listen = listen.parse().map_err(|_| {
            malformed(
                "PITLANE_COMMAND_ADDR",
                format!("`{listen}` is not a socket address like 127.0.0.1:50051"),
            )
        })?;
        let store = parse_store(&get("PITLANE_EVENT_STORE", "data/events.db"))
            .map_err(|message| malformed("PITLANE_EVENT_STORE", message))?;
        let key_store = match lookup("PITLANE_KEY_STORE").filter(|v| !v.trim().is_empty()) {
            Some(raw) => parse_sqlite_path(&raw)
                .map(KeyStoreLocation::Sqlite)
                .map_err(|message| malformed("PITLANE_KEY_STORE", message))?,
            None => KeyStoreLocation::beside(&store),
        };
        let snapshot_every = get("PITLANE_SNAPSHOT_EVERY", "100");
        let snapshot_every = snapshot_every.parse().map_err(|_| {
            malformed(
                "PITLANE_SNAPSHOT_EVERY",
                format!("`{snapshot_every}` is not a whole number"),
            )
        })?;
        let max_retries = get("PITLANE_COMMAND_MAX_RETRIES", "3");
        let max_retries = max_retries
            .parse()
            .ok()
            .filter(|r| *r <= 100)
            .ok_or_else(|| {
                malformed(
                    "PITLANE_COMMAND_MAX_RETRIES",
                    format!("`{max_retries}` is not a number from 0 to 100"),
                )
            })?;
        let aggregate_cache = get("PITLANE_AGGREGATE_CACHE", "10000");
        let aggregate_cache = aggregate_cache.parse().map_err(|_| {
            malformed(
                "PITLANE_AGGREGATE_CACHE",
                format!("`{aggregate_cache}` is not a whole number"),
            )
        })?;
        Ok(Config {
            listen,
            store,
            key_store,
            snapshot_every,
            max_retries,
            aggregate_cache,
        })
    }
}

fn parse_store(raw: &str) -> Result<StoreLocation, String> {
    let raw = raw.trim();
    if raw.starts_with("mongodb://") || raw.starts_with("mongodb+srv://") {
        return Err(
            "the MongoDB event store is not available in this build yet; use a SQLite file path"
                .into(),
        );
    }
    parse_sqlite_path(raw).map(StoreLocation::Sqlite)
}

fn parse_sqlite_path(raw: &str) -> Result<PathBuf, String> {
    let raw = raw.trim();
    let path = raw.strip_prefix("sqlite:").unwrap_or(raw);
    if path.is_empty() {
        return Err("the SQLite file path is empty".into());
    }
    Ok(PathBuf::from(path))
}

impl KeyStoreLocation {
    /// `keys.db` in the folder of the event store's file.
    pub fn beside(store: &StoreLocation) -> Self {
        match store {
            StoreLocation::Sqlite(events) => {
                KeyStoreLocation::Sqlite(events.with_file_name("keys.db"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_serve_on_loopback_with_the_embedded_store() {
        let config = config(&[]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:50051".parse().unwrap());
        assert_eq!(config.store, StoreLocation::Sqlite("data/events.db".into()));
        assert_eq!(
            config.key_store,
            KeyStoreLocation::Sqlite("data/keys.db".into())
        );
        assert_eq!(config.snapshot_every, 100);
        assert_eq!(config.max_retries, 3);
        assert_eq!(config.aggregate_cache, 10_000);
    }

    #[test]
    fn a_malformed_variable_is_named_in_the_error() {
        let error = config(&[("PITLANE_COMMAND_ADDR", "localhost")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_COMMAND_ADDR");
        let error = config(&[("PITLANE_SNAPSHOT_EVERY", "often")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_SNAPSHOT_EVERY");
        let error = config(&[("PITLANE_COMMAND_MAX_RETRIES", "1000")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_COMMAND_MAX_RETRIES");
        let error = config(&[("PITLANE_EVENT_STORE", "mongodb://db")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_EVENT_STORE");
        let error = config(&[("PITLANE_KEY_STORE", "sqlite:")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_KEY_STORE");
    }

    #[test]
    fn the_store_may_be_given_as_a_sqlite_url() {
        let config = config(&[("PITLANE_EVENT_STORE", "sqlite:/tmp/x.db")]).unwrap();
        assert_eq!(config.store, StoreLocation::Sqlite("/tmp/x.db".into()));
    }

    #[test]
    fn the_key_store_lives_beside_the_event_store_unless_named() {
        let beside = config(&[("PITLANE_EVENT_STORE", "/srv/pitlane/events.db")]).unwrap();
        assert_eq!(
            beside.key_store,
            KeyStoreLocation::Sqlite("/srv/pitlane/keys.db".into())
        );
        let named = config(&[("PITLANE_KEY_STORE", "sqlite:/secrets/keys.db")]).unwrap();
        assert_eq!(
            named.key_store,
            KeyStoreLocation::Sqlite("/secrets/keys.db".into())
        );
    }
}
