//! The command service's configuration, from environment variables (12-factor).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the command service keeps its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// The embedded default: one SQLite file.
    Sqlite(PathBuf),
    /// Production: a MongoDB replica set (`mongodb://…/DATABASE`, database `pitlane`
    /// when the URL names none).
    Mongo { url: String, database: String },
}

/// Publishing to Kafka by tailing the store (the relay, ADR 012): on when
/// `KAFKA_BROKERS` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSettings {
    /// `KAFKA_BROKERS`: `host:port[,host:port…]`.
    pub brokers: String,
    /// `KAFKA_TOPIC_PARTITIONS`: partitions of each topic created at start, default 6.
    pub partitions: i32,
    /// `KAFKA_REPLICATION_FACTOR`: replicas of each topic created at start, default 1.
    pub replication: i32,
    /// `KAFKA_TOPIC_PREFIX`: topics are `<prefix>.<context>.events`, default `pitlane`.
    pub topic_prefix: String,
    /// Extra librdkafka properties (not read from the environment: tests set them).
    pub properties: Vec<(String, String)>,
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
    /// The `data_keys` collection beside a MongoDB event store (the default there): the
    /// query service, in another process, opens what Kafka carries sealed with the same
    /// keys (`KEY_STORE_URL`).
    BesideMongo,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `PITLANE_COMMAND_ADDR`, default `127.0.0.1:50051`.
    pub listen: SocketAddr,
    /// `EVENT_STORE_URL` (or its older name `PITLANE_EVENT_STORE`): `mongodb://…`, or a
    /// SQLite file path (or `sqlite:PATH`), default `data/events.db`.
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
    /// `KAFKA_BROKERS` and friends: the relay runs when set.
    pub kafka: Option<KafkaSettings>,
    /// `AUTH_*`: whose bearer tokens the service accepts; without `AUTH_ISSUER`, the
    /// development issuer whose key is in the data directory (`PITLANE_DATA`, else the
    /// SQLite store's folder, else `data`).
    pub auth: identity::AuthSettings,
    /// `PITLANE_TLS_*`: TLS on the listener.
    pub tls: identity::tls::TlsSettings,
    /// `PITLANE_HEADS_*`: the signed log heads (issue 13): the signing key, the witness
    /// file and the trusted public keys, by default `heads.key`, `heads.jsonl` and
    /// `heads.pub` in the data directory; a head every `PITLANE_HEADS_INTERVAL_MS`
    /// (default 1000) while the log grows, and one on shutdown.
    pub heads: es_core::heads::HeadsSettings,
}

/// A variable that is malformed, named so an operator can fix it.
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
        let (store_variable, raw_store) =
            match lookup("EVENT_STORE_URL").filter(|v| !v.trim().is_empty()) {
                Some(raw) => ("EVENT_STORE_URL", raw),
                None => (
                    "PITLANE_EVENT_STORE",
                    get("PITLANE_EVENT_STORE", "data/events.db"),
                ),
            };
        let store =
            parse_store(&raw_store).map_err(|message| malformed(store_variable, message))?;
        let key_store = match lookup("PITLANE_KEY_STORE").filter(|v| !v.trim().is_empty()) {
            Some(raw) => es_core::sqlite::path_of(&raw)
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
        let kafka = match lookup("KAFKA_BROKERS").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(brokers) => {
                let count = |variable: &'static str| {
                    let raw = get(
                        variable,
                        match variable {
                            "KAFKA_TOPIC_PARTITIONS" => "6",
                            _ => "1",
                        },
                    );
                    raw.parse::<i32>()
                        .ok()
                        .filter(|n| (1..=1_000).contains(n))
                        .ok_or_else(|| {
                            malformed(variable, format!("`{raw}` is not a number from 1 to 1000"))
                        })
                };
                Some(KafkaSettings {
                    brokers: es_core::kafka::parse_brokers(&brokers)
                        .map_err(|message| malformed("KAFKA_BROKERS", message))?,
                    partitions: count("KAFKA_TOPIC_PARTITIONS")?,
                    replication: count("KAFKA_REPLICATION_FACTOR")?,
                    topic_prefix: contracts::topics::parse_prefix(&get(
                        "KAFKA_TOPIC_PREFIX",
                        contracts::topics::DEFAULT_PREFIX,
                    ))
                    .map_err(|message| malformed("KAFKA_TOPIC_PREFIX", message))?,
                    properties: Vec::new(),
                })
            }
        };
        let data_dir = match (lookup("PITLANE_DATA"), &store) {
            (Some(dir), _) if !dir.trim().is_empty() => PathBuf::from(dir),
            (_, StoreLocation::Sqlite(events)) => events
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".")),
            _ => PathBuf::from("data"),
        };
        let auth = identity::AuthSettings::from_lookup(&lookup, &data_dir)?;
        let tls = identity::tls::TlsSettings::from_lookup(&lookup)?;
        let mut heads = es_core::heads::HeadsSettings::in_dir(&data_dir);
        for (variable, path) in [
            ("PITLANE_HEADS_KEY", &mut heads.key),
            ("PITLANE_HEADS_FILE", &mut heads.witness),
            ("PITLANE_HEADS_TRUSTED", &mut heads.trusted),
        ] {
            if let Some(value) = lookup(variable).filter(|v| !v.trim().is_empty()) {
                *path = PathBuf::from(value.trim());
            }
        }
        let interval = get("PITLANE_HEADS_INTERVAL_MS", "1000");
        heads.interval = interval
            .parse::<u64>()
            .ok()
            .filter(|ms| (10..=3_600_000).contains(ms))
            .map(std::time::Duration::from_millis)
            .ok_or_else(|| {
                malformed(
                    "PITLANE_HEADS_INTERVAL_MS",
                    format!("`{interval}` is not a number of milliseconds from 10 to 3600000"),
                )
            })?;
        Ok(Config {
            listen,
            store,
            key_store,
            snapshot_every,
            max_retries,
            aggregate_cache,
            kafka,
            auth,
            tls,
            heads,
        })
    }
}

fn parse_store(raw: &str) -> Result<StoreLocation, String> {
    let raw = raw.trim();
    if raw.starts_with("mongodb://") || raw.starts_with("mongodb+srv://") {
        let database = es_core::mongo::database_of(raw)?;
        return Ok(StoreLocation::Mongo {
            url: raw.to_owned(),
            database,
        });
    }
    if raw.contains("://") {
        return Err("expected mongodb://HOST[:PORT]/DATABASE or a SQLite file path".into());
    }
    es_core::sqlite::path_of(raw).map(StoreLocation::Sqlite)
}

impl KeyStoreLocation {
    /// `keys.db` in the folder of the event store's file.
    pub fn beside(store: &StoreLocation) -> Self {
        match store {
            StoreLocation::Sqlite(events) => {
                KeyStoreLocation::Sqlite(events.with_file_name("keys.db"))
            }
            StoreLocation::Mongo { .. } => KeyStoreLocation::BesideMongo,
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
        assert_eq!(
            config.auth,
            identity::AuthSettings::development(std::path::Path::new("data")),
            "the development issuer of the store's folder"
        );
    }

    #[test]
    fn a_malformed_variable_is_named_in_the_error() {
        let error = config(&[("PITLANE_COMMAND_ADDR", "localhost")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_COMMAND_ADDR");
        let error = config(&[("PITLANE_SNAPSHOT_EVERY", "often")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_SNAPSHOT_EVERY");
        let error = config(&[("PITLANE_COMMAND_MAX_RETRIES", "1000")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_COMMAND_MAX_RETRIES");
        let error = config(&[("PITLANE_EVENT_STORE", "postgres://db")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_EVENT_STORE");
        let error = config(&[("EVENT_STORE_URL", "mongodb://db/a.b")]).unwrap_err();
        assert_eq!(error.variable, "EVENT_STORE_URL");
        let error = config(&[("KAFKA_BROKERS", "kafka")]).unwrap_err();
        assert_eq!(error.variable, "KAFKA_BROKERS");
        let error =
            config(&[("KAFKA_BROKERS", "k:9092"), ("KAFKA_TOPIC_PARTITIONS", "0")]).unwrap_err();
        assert_eq!(error.variable, "KAFKA_TOPIC_PARTITIONS");
        let error = config(&[("PITLANE_KEY_STORE", "sqlite:")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_KEY_STORE");
        let error = config(&[("AUTH_ISSUER", "https://id.example")]).unwrap_err();
        assert_eq!(error.variable, "AUTH_JWKS_URL");
        let error = config(&[("PITLANE_TLS_KEY", "key.pem")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_TLS_CERT");
    }

    #[test]
    fn the_log_heads_live_in_the_data_directory_unless_named_and_a_bad_interval_is_named() {
        let beside = config(&[("PITLANE_EVENT_STORE", "/srv/pitlane/events.db")]).unwrap();
        assert_eq!(beside.heads.key, PathBuf::from("/srv/pitlane/heads.key"));
        assert_eq!(
            beside.heads.witness,
            PathBuf::from("/srv/pitlane/heads.jsonl")
        );
        assert_eq!(
            beside.heads.trusted,
            PathBuf::from("/srv/pitlane/heads.pub")
        );
        assert_eq!(beside.heads.interval, std::time::Duration::from_secs(1));
        let named = config(&[
            ("PITLANE_HEADS_FILE", "/witness/heads.jsonl"),
            ("PITLANE_HEADS_KEY", "/secrets/heads.key"),
            ("PITLANE_HEADS_INTERVAL_MS", "250"),
        ])
        .unwrap();
        assert_eq!(named.heads.witness, PathBuf::from("/witness/heads.jsonl"));
        assert_eq!(named.heads.key, PathBuf::from("/secrets/heads.key"));
        assert_eq!(named.heads.interval, std::time::Duration::from_millis(250));
        let error = config(&[("PITLANE_HEADS_INTERVAL_MS", "0")]).unwrap_err();
        assert_eq!(error.variable, "PITLANE_HEADS_INTERVAL_MS");
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

    #[test]
    fn a_mongodb_event_store_url_names_its_database_and_keeps_keys_beside_it() {
        let config = config(&[
            (
                "EVENT_STORE_URL",
                "mongodb://u:pw@mongo:27017/fleetops?replicaSet=rs0",
            ),
            ("PITLANE_EVENT_STORE", "ignored.db"),
        ])
        .unwrap();
        assert_eq!(
            config.store,
            StoreLocation::Mongo {
                url: "mongodb://u:pw@mongo:27017/fleetops?replicaSet=rs0".into(),
                database: "fleetops".into()
            }
        );
        assert_eq!(config.key_store, KeyStoreLocation::BesideMongo);
        let unnamed = config_db("mongodb://mongo:27017/?replicaSet=rs0");
        assert_eq!(unnamed, "pitlane");
        assert_eq!(config_db("mongodb://mongo:27017"), "pitlane");
    }

    fn config_db(url: &str) -> String {
        match config(&[("EVENT_STORE_URL", url)]).unwrap().store {
            StoreLocation::Mongo { database, .. } => database,
            other => panic!("not MongoDB: {other:?}"),
        }
    }

    #[test]
    fn kafka_brokers_turn_the_relay_on_with_topic_settings() {
        assert_eq!(config(&[]).unwrap().kafka, None);
        let config = config(&[
            ("KAFKA_BROKERS", " k1:9092, k2:9092 "),
            ("KAFKA_TOPIC_PARTITIONS", "12"),
        ])
        .unwrap();
        assert_eq!(
            config.kafka,
            Some(KafkaSettings {
                brokers: "k1:9092,k2:9092".into(),
                partitions: 12,
                replication: 1,
                topic_prefix: "pitlane".into(),
                properties: Vec::new(),
            })
        );
    }
}
