//! The command service's configuration, from environment variables (12-factor):
//! [`VARIABLES`], and the identity and TLS ones ([`help`] lists them all).

use std::net::SocketAddr;
use std::path::PathBuf;

use es_core::env::{Env, Variable};

pub use es_core::env::ConfigError;

pub const COMMAND_ADDR: Variable = Variable::new(
    "PITLANE_COMMAND_ADDR",
    "127.0.0.1:50051",
    "the gRPC listen address",
);
pub const EVENT_STORE_URL: Variable = Variable::new(
    "EVENT_STORE_URL",
    "",
    "the event store: mongodb://HOST[:PORT]/DATABASE (a replica set), or a SQLite file (a path or sqlite:PATH) [default: PITLANE_EVENT_STORE]",
);
pub const EVENT_STORE: Variable = Variable::new(
    "PITLANE_EVENT_STORE",
    "data/events.db",
    "the older name of EVENT_STORE_URL, read when that is unset",
);
pub const KEY_STORE: Variable = Variable::new(
    "PITLANE_KEY_STORE",
    "",
    "the personal-data keys' SQLite file (a path or sqlite:PATH) [default: keys.db beside the event store's file; beside MongoDB, its data_keys collection]",
);
pub const DATA: Variable = Variable::new(
    "PITLANE_DATA",
    "",
    "the data directory: the development issuer's key, the log heads [default: the SQLite store's folder, else data]",
);
pub const SNAPSHOT_EVERY: Variable = Variable::new(
    "PITLANE_SNAPSHOT_EVERY",
    "100",
    "snapshot every N events of a stream (0: never)",
);
pub const MAX_RETRIES: Variable = Variable::new(
    "PITLANE_COMMAND_MAX_RETRIES",
    "3",
    "concurrency conflicts retried per command (0 to 100)",
);
pub const AGGREGATE_CACHE: Variable = Variable::new(
    "PITLANE_AGGREGATE_CACHE",
    "10000",
    "aggregates of each type kept in memory (0: none)",
);
pub const KAFKA_BROKERS: Variable = Variable::new(
    "KAFKA_BROKERS",
    "",
    "host:port[,host:port…]: the relay publishes the log to Kafka when set",
);
pub const KAFKA_TOPIC_PARTITIONS: Variable = Variable::new(
    "KAFKA_TOPIC_PARTITIONS",
    "6",
    "partitions of each topic created at start (1 to 1000)",
);
pub const KAFKA_REPLICATION_FACTOR: Variable = Variable::new(
    "KAFKA_REPLICATION_FACTOR",
    "1",
    "replicas of each topic created at start (1 to 1000)",
);
pub const KAFKA_TOPIC_PREFIX: Variable = Variable::new(
    "KAFKA_TOPIC_PREFIX",
    contracts::topics::DEFAULT_PREFIX,
    "topics are <prefix>.<context>.events",
);
pub const HEADS_KEY: Variable = Variable::new(
    "PITLANE_HEADS_KEY",
    "",
    "the key signing the log heads [default: <data>/heads.key]",
);
pub const HEADS_FILE: Variable = Variable::new(
    "PITLANE_HEADS_FILE",
    "",
    "the witness file of signed heads [default: <data>/heads.jsonl]",
);
pub const HEADS_TRUSTED: Variable = Variable::new(
    "PITLANE_HEADS_TRUSTED",
    "",
    "the public keys trusted for heads [default: <data>/heads.pub]",
);
pub const HEADS_INTERVAL_MS: Variable = Variable::new(
    "PITLANE_HEADS_INTERVAL_MS",
    "1000",
    "a signed head every N ms while the log grows (10 to 3600000)",
);

/// The command service's own variables.
pub const VARIABLES: &[Variable] = &[
    COMMAND_ADDR,
    EVENT_STORE_URL,
    EVENT_STORE,
    KEY_STORE,
    DATA,
    SNAPSHOT_EVERY,
    MAX_RETRIES,
    AGGREGATE_CACHE,
    KAFKA_BROKERS,
    KAFKA_TOPIC_PARTITIONS,
    KAFKA_REPLICATION_FACTOR,
    KAFKA_TOPIC_PREFIX,
    HEADS_KEY,
    HEADS_FILE,
    HEADS_TRUSTED,
    HEADS_INTERVAL_MS,
];

/// `pitlane command --help`'s list of variables.
pub fn help() -> String {
    es_core::env::help(&[
        ("Command service", VARIABLES),
        ("Identity", identity::config::VARIABLES),
        ("TLS", identity::tls::VARIABLES),
        ("Logs and metrics", es_core::telemetry::VARIABLES),
    ])
}

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

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need no process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(&lookup);
        let listen = env.socket_address(&COMMAND_ADDR)?;
        let store = match env.value(&EVENT_STORE_URL) {
            Some(_) => env.read(&EVENT_STORE_URL, parse_store)?,
            None => env.read(&EVENT_STORE, parse_store)?,
        };
        let key_store = env
            .read_optional(&KEY_STORE, es_core::sqlite::path_of)?
            .map(KeyStoreLocation::Sqlite)
            .unwrap_or_else(|| KeyStoreLocation::beside(&store));
        let snapshot_every = env.number(&SNAPSHOT_EVERY, 0..=u64::MAX)?;
        let max_retries = env.number(&MAX_RETRIES, 0..=100)? as u32;
        let aggregate_cache = env.number(&AGGREGATE_CACHE, 0..=usize::MAX as u64)? as usize;
        let kafka = match env.value(&KAFKA_BROKERS) {
            None => None,
            Some(_) => Some(KafkaSettings {
                brokers: env.read(&KAFKA_BROKERS, es_core::kafka::parse_brokers)?,
                partitions: env.number(&KAFKA_TOPIC_PARTITIONS, 1..=1_000)? as i32,
                replication: env.number(&KAFKA_REPLICATION_FACTOR, 1..=1_000)? as i32,
                topic_prefix: env.read(&KAFKA_TOPIC_PREFIX, contracts::topics::parse_prefix)?,
                properties: Vec::new(),
            }),
        };
        let data_dir = match (env.value(&DATA), &store) {
            (Some(dir), _) => PathBuf::from(dir),
            (None, StoreLocation::Sqlite(events)) => events
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".")),
            (None, StoreLocation::Mongo { .. }) => PathBuf::from("data"),
        };
        let auth = identity::AuthSettings::from_lookup(&lookup, &data_dir)?;
        let tls = identity::tls::TlsSettings::from_lookup(&lookup)?;
        let mut heads = es_core::heads::HeadsSettings::in_dir(&data_dir);
        for (variable, path) in [
            (HEADS_KEY, &mut heads.key),
            (HEADS_FILE, &mut heads.witness),
            (HEADS_TRUSTED, &mut heads.trusted),
        ] {
            if let Some(value) = env.value(&variable) {
                *path = PathBuf::from(value);
            }
        }
        heads.interval = env.millis(&HEADS_INTERVAL_MS, 10..=3_600_000)?;
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
mod tests;
