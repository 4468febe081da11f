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
    for (variable, value) in [
        ("PITLANE_COMMAND_ADDR", "localhost"),
        ("PITLANE_SNAPSHOT_EVERY", "often"),
        ("PITLANE_COMMAND_MAX_RETRIES", "1000"),
        ("PITLANE_EVENT_STORE", "postgres://db"),
        ("EVENT_STORE_URL", "mongodb://db/a.b"),
        ("KAFKA_BROKERS", "kafka"),
        ("PITLANE_KEY_STORE", "sqlite:"),
    ] {
        let error = config(&[(variable, value)]).unwrap_err();
        assert_eq!(error.variable, variable, "{value:?}");
    }
    // A variable that goes with another: the one at fault is named.
    let error =
        config(&[("KAFKA_BROKERS", "k:9092"), ("KAFKA_TOPIC_PARTITIONS", "0")]).unwrap_err();
    assert_eq!(error.variable, "KAFKA_TOPIC_PARTITIONS");
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
