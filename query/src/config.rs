//! The query service's configuration, from environment variables (12-factor).
//! `READ_STORE_URL` (SQLite file or SQL Server) is read by [`ReadStoreLocation`].

mod read_store;

pub use read_store::{READ_STORE_URL, ReadStoreLocation, SqlServerUrl};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `PITLANE_QUERY_ADDR`, default `127.0.0.1:50052`.
    pub listen: SocketAddr,
    /// `PITLANE_READ_MODELS`: the SQLite file of the read models, default
    /// `data/read-models.db`; `READ_STORE_URL`, when set, takes precedence
    /// ([`ReadStoreLocation::from_env`]).
    pub read_models: PathBuf,
    /// `PITLANE_COMMAND_URL`: the command service, whose event stream feeds the
    /// projections, default `http://127.0.0.1:50051`.
    pub command_url: String,
    /// `PITLANE_CONSISTENCY_TIMEOUT_MS`: how long a query waits for its consistency
    /// tokens, default 5000.
    pub consistency_timeout: Duration,
    /// `KAFKA_BROKERS`: when set, the live projections consume Kafka instead of the
    /// command service's event stream (rebuilds still replay the store through it).
    pub kafka: Option<KafkaSource>,
    /// `AUTH_*`: whose bearer tokens the service accepts, and how it proves its own
    /// identity (the `service` role) to the command service's event stream; without
    /// `AUTH_ISSUER`, the development issuer of the data directory (`PITLANE_DATA`,
    /// else the read models' folder, else `data`).
    pub auth: identity::AuthSettings,
    /// `PITLANE_TLS_*`: TLS on the listener and towards an `https://` command service.
    pub tls: identity::tls::TlsSettings,
    /// `PITLANE_ON_DIVERGED`: what the projections do when the log is not the history
    /// the read models hold (restored from an older backup, cut, replaced): `wait`
    /// (the default) for an operator, or `rebuild` the read models from the log.
    pub on_diverged: OnDiverged,
}

/// What the live projections do when the log diverges from the read models.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnDiverged {
    /// Apply nothing and report it until an operator has looked (verify, then rebuild,
    /// or put the right store back): the safe default, since a wrongly restored store
    /// may be the mistake.
    #[default]
    Wait,
    /// Rebuild every read model from the log as it now is.
    Rebuild,
}

impl OnDiverged {
    /// `PITLANE_ON_DIVERGED` as `lookup` finds it (`wait` when unset); also read by
    /// `pitlane up`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match lookup("PITLANE_ON_DIVERGED").filter(|v| !v.trim().is_empty()) {
            None => Ok(OnDiverged::default()),
            Some(raw) => OnDiverged::parse(&raw).map_err(|message| ConfigError {
                variable: "PITLANE_ON_DIVERGED",
                message,
            }),
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "wait" => Ok(OnDiverged::Wait),
            "rebuild" => Ok(OnDiverged::Rebuild),
            other => Err(format!("`{other}` is neither `wait` nor `rebuild`")),
        }
    }
}

/// The production feed of the projections (ADR 012).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSource {
    /// `KAFKA_BROKERS`: `host:port[,host:port…]`.
    pub brokers: String,
    /// `PITLANE_CONSUMER_GROUP`: the consumer group of this read-model database,
    /// default `pitlane.projector.read-models`. One group per database: a second
    /// service on the same group and another database would split the partitions.
    pub group_id: String,
    /// `KEY_STORE_URL`: where the command service keeps the personal-data keys,
    /// required with `KAFKA_BROKERS`: Kafka carries personal data sealed (ADR 010).
    pub keys: KeyStoreAt,
    /// `KAFKA_TOPIC_PREFIX`: the relay's topics are `<prefix>.<context>.events`,
    /// default `pitlane`.
    pub topic_prefix: String,
    /// Extra librdkafka properties (not read from the environment: tests set them).
    pub properties: Vec<(String, String)>,
}

/// The command service's key store, which the Kafka-fed projections read (never
/// write) to open sealed personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStoreAt {
    /// `mongodb://HOST[:PORT]/DATABASE`: the `data_keys` collection beside a MongoDB
    /// event store (`pitlane` when the URL names no database).
    Mongo { url: String, database: String },
    /// A file path (or `sqlite:PATH`): the command service's `keys.db`, on this host.
    /// It must exist: an empty key store would show every person as erased.
    Sqlite(PathBuf),
}

impl KeyStoreAt {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("mongodb://") || raw.starts_with("mongodb+srv://") {
            let database = es_core::mongo::database_of(raw)?;
            return Ok(Self::Mongo {
                url: raw.to_owned(),
                database,
            });
        }
        if raw.contains("://") {
            return Err(format!(
                "`{}` is neither mongodb://HOST/DATABASE nor a key file path",
                raw.split("://").next().unwrap_or_default()
            ));
        }
        es_core::sqlite::path_of(raw).map(Self::Sqlite)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration variable {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl From<identity::config::ConfigError> for ConfigError {
    fn from(error: identity::config::ConfigError) -> Self {
        ConfigError {
            variable: error.variable,
            message: error.reason,
        }
    }
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
        let kafka = match lookup("KAFKA_BROKERS").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(brokers) => Some(kafka_source(&brokers, &lookup)?),
        };
        let data_dir = match lookup("PITLANE_DATA").filter(|v| !v.trim().is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => read_models
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".")),
        };
        let auth = identity::AuthSettings::from_lookup(&lookup, &data_dir)?;
        let tls = identity::tls::TlsSettings::from_lookup(&lookup)?;
        let on_diverged = OnDiverged::from_lookup(&lookup)?;
        Ok(Config {
            listen,
            read_models,
            command_url,
            consistency_timeout: Duration::from_millis(timeout),
            kafka,
            auth,
            tls,
            on_diverged,
        })
    }
}

fn kafka_source(
    brokers: &str,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<KafkaSource, ConfigError> {
    let malformed = |variable: &'static str, message: String| ConfigError { variable, message };
    let brokers = es_core::kafka::parse_brokers(brokers)
        .map_err(|message| malformed("KAFKA_BROKERS", message))?;
    let key_store_url = lookup("KEY_STORE_URL")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| {
            malformed(
                "KEY_STORE_URL",
                "is required with KAFKA_BROKERS: Kafka carries personal data sealed, and the \
                 projections open it with the command service's keys \
                 (mongodb://HOST/DATABASE, or the path of its keys.db)"
                    .into(),
            )
        })?;
    let keys =
        KeyStoreAt::parse(&key_store_url).map_err(|message| malformed("KEY_STORE_URL", message))?;
    let group_id = lookup("PITLANE_CONSUMER_GROUP")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "pitlane.projector.read-models".to_owned());
    let topic_prefix = lookup("KAFKA_TOPIC_PREFIX")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| contracts::topics::DEFAULT_PREFIX.to_owned());
    let topic_prefix = contracts::topics::parse_prefix(&topic_prefix)
        .map_err(|message| malformed("KAFKA_TOPIC_PREFIX", message))?;
    Ok(KafkaSource {
        brokers,
        group_id,
        keys,
        topic_prefix,
        properties: Vec::new(),
    })
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
        assert_eq!(config.kafka, None);
        assert_eq!(config.on_diverged, OnDiverged::Wait, "an operator decides");
        assert_eq!(
            config.auth,
            identity::AuthSettings::development(std::path::Path::new("data"))
        );
    }

    #[test]
    fn kafka_brokers_need_the_key_store_and_name_its_database() {
        let error = config(&[("KAFKA_BROKERS", "kafka:9092")]).unwrap_err();
        assert_eq!(error.variable, "KEY_STORE_URL");
        let error = config(&[
            ("KAFKA_BROKERS", "kafka"),
            ("KEY_STORE_URL", "mongodb://m/x"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "KAFKA_BROKERS");
        let error =
            config(&[("KAFKA_BROKERS", "k:1"), ("KEY_STORE_URL", "redis://r/0")]).unwrap_err();
        assert_eq!(error.variable, "KEY_STORE_URL");
        let error = config(&[("KAFKA_BROKERS", "k:1"), ("KEY_STORE_URL", "sqlite:")]).unwrap_err();
        assert_eq!(error.variable, "KEY_STORE_URL");
        let error = config(&[
            ("KAFKA_BROKERS", "k:1"),
            ("KEY_STORE_URL", "mongodb://m/a.b"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "KEY_STORE_URL");
        let config = config(&[
            ("KAFKA_BROKERS", "k1:9092,k2:9092"),
            (
                "KEY_STORE_URL",
                "mongodb://mongo:27017/fleet?replicaSet=rs0",
            ),
        ])
        .unwrap();
        let kafka = config.kafka.expect("Kafka configured");
        assert_eq!(kafka.brokers, "k1:9092,k2:9092");
        assert_eq!(
            kafka.keys,
            KeyStoreAt::Mongo {
                url: "mongodb://mongo:27017/fleet?replicaSet=rs0".into(),
                database: "fleet".into()
            }
        );
        assert_eq!(kafka.group_id, "pitlane.projector.read-models");
    }

    #[test]
    fn the_key_store_may_be_the_command_services_key_file() {
        for raw in ["/srv/pitlane/keys.db", "sqlite:/srv/pitlane/keys.db"] {
            let config = config(&[("KAFKA_BROKERS", "k:1"), ("KEY_STORE_URL", raw)]).unwrap();
            assert_eq!(
                config.kafka.expect("Kafka configured").keys,
                KeyStoreAt::Sqlite("/srv/pitlane/keys.db".into())
            );
        }
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
        assert_eq!(
            config(&[("PITLANE_ON_DIVERGED", "panic")])
                .unwrap_err()
                .variable,
            "PITLANE_ON_DIVERGED"
        );
    }

    #[test]
    fn diverged_read_models_may_be_rebuilt_on_their_own() {
        let config = config(&[("PITLANE_ON_DIVERGED", "rebuild")]).unwrap();
        assert_eq!(config.on_diverged, OnDiverged::Rebuild);
    }
}
