//! The query service's configuration, from environment variables (12-factor):
//! [`VARIABLES`], and the identity and TLS ones ([`help`] lists them all).
//! `READ_STORE_URL` (SQLite file or SQL Server) is read by [`ReadStoreLocation`].

mod read_store;

pub use read_store::{READ_STORE_URL, ReadStoreLocation, SqlServerUrl};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use es_core::env::{Env, Variable};

pub use es_core::env::ConfigError;

pub const QUERY_ADDR: Variable = Variable::new(
    "PITLANE_QUERY_ADDR",
    "127.0.0.1:50052",
    "the gRPC listen address",
);
pub const READ_MODELS: Variable = Variable::new(
    "PITLANE_READ_MODELS",
    "data/read-models.db",
    "the read models' SQLite file, when READ_STORE_URL is unset",
);
pub const COMMAND_URL: Variable = Variable::new(
    "PITLANE_COMMAND_URL",
    "http://127.0.0.1:50051",
    "the command service, whose event stream feeds the projections (and every rebuild)",
);
pub const CONSISTENCY_TIMEOUT_MS: Variable = Variable::new(
    "PITLANE_CONSISTENCY_TIMEOUT_MS",
    "5000",
    "how long a query waits for its consistency tokens (1 to 60000)",
);
pub const DATA: Variable = Variable::new(
    "PITLANE_DATA",
    "",
    "the data directory: the development issuer's key [default: the read models' folder]",
);
pub const ON_DIVERGED: Variable = Variable::new(
    "PITLANE_ON_DIVERGED",
    "wait",
    "when the log is not the history the read models hold: `wait` for an operator, or `rebuild` from the log",
);
pub const KAFKA_BROKERS: Variable = Variable::new(
    "KAFKA_BROKERS",
    "",
    "host:port[,host:port…]: the live projections consume Kafka instead of the event stream",
);
pub const KEY_STORE_URL: Variable = Variable::new(
    "KEY_STORE_URL",
    "",
    "with KAFKA_BROKERS: the command service's key store, to open sealed personal data (mongodb://HOST/DATABASE, or its keys.db)",
);
pub const CONSUMER_GROUP: Variable = Variable::new(
    "PITLANE_CONSUMER_GROUP",
    "pitlane.projector.read-models",
    "the Kafka consumer group: one per read-model database",
);
pub const KAFKA_TOPIC_PREFIX: Variable = Variable::new(
    "KAFKA_TOPIC_PREFIX",
    contracts::topics::DEFAULT_PREFIX,
    "the relay's topics are <prefix>.<context>.events",
);

/// The query service's own variables.
pub const VARIABLES: &[Variable] = &[
    QUERY_ADDR,
    read_store::VARIABLE,
    READ_MODELS,
    COMMAND_URL,
    CONSISTENCY_TIMEOUT_MS,
    DATA,
    ON_DIVERGED,
    KAFKA_BROKERS,
    KEY_STORE_URL,
    CONSUMER_GROUP,
    KAFKA_TOPIC_PREFIX,
];

/// `pitlane query --help`'s list of variables.
pub fn help() -> String {
    es_core::env::help(&[
        ("Query service", VARIABLES),
        ("Identity", identity::config::VARIABLES),
        ("TLS", identity::tls::VARIABLES),
        ("Logs and metrics", es_core::telemetry::VARIABLES),
    ])
}

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
        Env::new(&lookup).read(&ON_DIVERGED, OnDiverged::parse)
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

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(&lookup);
        let listen = env.socket_address(&QUERY_ADDR)?;
        let read_models = PathBuf::from(env.value_or_default(&READ_MODELS));
        let command_url = env.http_url(&COMMAND_URL)?;
        let consistency_timeout = env.millis(&CONSISTENCY_TIMEOUT_MS, 1..=60_000)?;
        let kafka = match env.value(&KAFKA_BROKERS) {
            None => None,
            Some(_) => Some(kafka_source(env)?),
        };
        let data_dir = match env.value(&DATA) {
            Some(dir) => PathBuf::from(dir),
            None => read_models
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".")),
        };
        let auth = identity::AuthSettings::from_lookup(&lookup, &data_dir)?;
        let tls = identity::tls::TlsSettings::from_lookup(&lookup)?;
        let on_diverged = env.read(&ON_DIVERGED, OnDiverged::parse)?;
        Ok(Config {
            listen,
            read_models,
            command_url,
            consistency_timeout,
            kafka,
            auth,
            tls,
            on_diverged,
        })
    }
}

fn kafka_source(env: Env) -> Result<KafkaSource, ConfigError> {
    let keys = env
        .read_optional(&KEY_STORE_URL, KeyStoreAt::parse)?
        .ok_or_else(|| {
            ConfigError::new(
                KEY_STORE_URL.name,
                "is required with KAFKA_BROKERS: Kafka carries personal data sealed, and the \
                 projections open it with the command service's keys \
                 (mongodb://HOST/DATABASE, or the path of its keys.db)",
            )
        })?;
    Ok(KafkaSource {
        brokers: env.read(&KAFKA_BROKERS, es_core::kafka::parse_brokers)?,
        group_id: env.value_or_default(&CONSUMER_GROUP),
        keys,
        topic_prefix: env.read(&KAFKA_TOPIC_PREFIX, contracts::topics::parse_prefix)?,
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
