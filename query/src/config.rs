//! The query service's configuration, from environment variables (12-factor).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `PITLANE_QUERY_ADDR`, default `127.0.0.1:50052`.
    pub listen: SocketAddr,
    /// `PITLANE_READ_MODELS`: the SQLite file of the read models, default
    /// `data/read-models.db`.
    pub read_models: PathBuf,
    /// `PITLANE_COMMAND_URL`: the command service, whose event stream feeds the
    /// projections, default `http://127.0.0.1:50051`.
    pub command_url: String,
    /// `PITLANE_CONSISTENCY_TIMEOUT_MS`: how long a query waits for its consistency
    /// tokens, default 5000.
    pub consistency_timeout: Duration,
}

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

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |variable: &'static str, default: &str| {
            lookup(variable)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let malformed = |variable: &'static str, message: String| ConfigError { variable, message };
        let listen = get("PITLANE_QUERY_ADDR", "127.0.0.1:50052");
        let listen = listen.parse().map_err(|_| {
            malformed(
                "PITLANE_QUERY_ADDR",
                format!("`{listen}` is not a socket address like 127.0.0.1:50052"),
            )
        })?;
        let read_models = PathBuf::from(get("PITLANE_READ_MODELS", "data/read-models.db"));
        let command_url = get("PITLANE_COMMAND_URL", "http://127.0.0.1:50051");
        if !(command_url.starts_with("http://") || command_url.starts_with("https://")) {
            return Err(malformed(
                "PITLANE_COMMAND_URL",
                format!("`{command_url}` is not an http(s) URL"),
            ));
        }
        let timeout = get("PITLANE_CONSISTENCY_TIMEOUT_MS", "5000");
        let timeout = timeout
            .parse::<u64>()
            .ok()
            .filter(|ms| (1..=60_000).contains(ms))
            .ok_or_else(|| {
                malformed(
                    "PITLANE_CONSISTENCY_TIMEOUT_MS",
                    format!("`{timeout}` is not a number of milliseconds from 1 to 60000"),
                )
            })?;
        Ok(Config {
            listen,
            read_models,
            command_url,
            consistency_timeout: Duration::from_millis(timeout),
        })
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
    fn defaults_follow_the_embedded_platform() {
        let config = config(&[]).unwrap();
        assert_eq!(config.listen.port(), 50052);
        assert_eq!(config.command_url, "http://127.0.0.1:50051");
        assert_eq!(config.consistency_timeout, Duration::from_secs(5));
    }

    #[test]
    fn malformed_variables_are_named() {
        assert_eq!(
            config(&[("PITLANE_QUERY_ADDR", "x")]).unwrap_err().variable,
            "PITLANE_QUERY_ADDR"
        );
        assert_eq!(
            config(&[("PITLANE_COMMAND_URL", "localhost:1")])
                .unwrap_err()
                .variable,
            "PITLANE_COMMAND_URL"
        );
        assert_eq!(
            config(&[("PITLANE_CONSISTENCY_TIMEOUT_MS", "0")])
                .unwrap_err()
                .variable,
            "PITLANE_CONSISTENCY_TIMEOUT_MS"
        );
    }
}
