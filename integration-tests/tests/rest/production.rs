//! The production shape on real servers (issue 6): REST → command service on MongoDB →
//! relay → Kafka → query service (SQLite read models) → REST, with scheduling locks in
//! Redis shared by two BFF instances. Needs `MONGO_URL`, `KAFKA_BROKERS` and
//! `REDIS_URL` (`scripts/test-infra.sh`); skipped with a printed reason without them,
//! failing under `CI=true`. Each test takes its own database, topics and consumer group.

use std::sync::Arc;
use std::time::Duration;

use command::config::{Config as CommandConfig, KafkaSettings, KeyStoreLocation, StoreLocation};
use es_core::kafka::RelayCheckpoint;
use es_core::mongo::MongoRelayCheckpoint;
use es_core::projection::{EventSource, LogHeaded};
use es_core::testing::servers::server_url;
use es_core::{EventStore, MongoEventStore};
use futures::future::join_all;
use identity::Role;
use query::config::{Config as QueryConfig, KafkaSource, KeyStoreAt, ReadStoreLocation};
use query::projection::Projection;
use query::runtime::GrpcEventSource;
use query::store::sqlite::ReadModelDb;
use serde_json::json;
use tokio::sync::watch;
use tonic::transport::Channel;

use crate::helpers::{Rest, active_route, customer_with_car, driver_and_van};

/// Short group timeouts, or each consumer group join takes ~20 s (tests only).
fn test_properties() -> Vec<(String, String)> {
    [
        ("session.timeout.ms", "2000"),
        ("heartbeat.interval.ms", "200"),
        ("topic.metadata.refresh.interval.ms", "1000"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec()
}

struct Servers {
    mongo: String,
    kafka: String,
    redis: String,
}

fn servers() -> Option<Servers> {
    Some(Servers {
        mongo: server_url("MONGO_URL")?,
        kafka: server_url("KAFKA_BROKERS")?,
        redis: server_url("REDIS_URL")?,
    })
}

/// The three services on real servers, two BFFs in front; stopped on drop. Each BFF is
/// called as the people who work on it, each with a token of one role (as Keycloak
/// gives them): a route that wrongly needed two roles would refuse them.
struct Production {
    /// Both BFFs, called by a planner (`kate`): customers, their cars, the workshop.
    planners: [Rest; 2],
    /// Both BFFs, called by a dispatcher (`dan`): drivers, fleet vans, routes, deliveries.
    dispatchers: [Rest; 2],
    /// The first BFF, called by an operator (`ops-olivia`).
    ops: Rest,
    /// The read models' database file.
    read_model_file: std::path::PathBuf,
    /// A second connection to the event store, as an operator or a relay process has.
    store: Arc<MongoEventStore>,
    kafka: KafkaSettings,
    read_models: Arc<es_core::projection::StatusBoard>,
    stop: watch::Sender<bool>,
    /// How many tokens the issuer's token endpoint granted (the query service's own).
    grants: Arc<std::sync::atomic::AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl Drop for Production {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// Starts the platform; the relay runs inside the command service unless
/// `relay_in_service` is false (then the test runs it, see [`Production::relay`]).
/// `extra` is a test double projected beside the platform's read models.
async fn start(
    servers: &Servers,
    relay_in_service: bool,
    extra: Option<fn() -> Box<dyn Projection>>,
) -> Production {
    let unique = uuid::Uuid::now_v7().simple().to_string();
    let database = format!("pitlane_e2e_{unique}");
    let kafka = KafkaSettings {
        brokers: servers.kafka.clone(),
        partitions: 3,
        replication: 1,
        topic_prefix: format!("e2e-{unique}"),
        properties: test_properties(),
    };
    let (stop, stopped) = watch::channel(false);
    let until_stopped = |mut stopped: watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    // Identity as in production, shaped as Keycloak issues it: an OIDC issuer whose
    // JWKS every service fetches over HTTP (RS256 keys), roles in `realm_access.roles`,
    // and the query service's own token from the client-credentials grant.
    let issuer = identity::testing::TestIssuer::start().await;
    let mut oidc =
        identity::AuthConfig::new(identity::testing::ISSUER, identity::testing::AUDIENCE);
    oidc.roles_claim = "realm_access.roles".into();
    let auth = identity::AuthSettings {
        issuer: identity::config::IssuerSettings::Oidc(
            oidc,
            identity::keys::JwksSource::Url(issuer.jwks_url.clone()),
        ),
        service: identity::config::ServiceCredentials::ClientCredentials(
            identity::ClientCredentials {
                token_url: issuer.token_url.clone(),
                client_id: identity::testing::CLIENT_ID.into(),
                client_secret: identity::testing::CLIENT_SECRET.into(),
            },
        ),
    };
    let keycloak = |subject: &str, roles: &[&str]| {
        let claims = identity::testing::keycloak_claims(subject, roles);
        issuer.key(jsonwebtoken::Algorithm::RS256).sign(&claims)
    };
    let planner = keycloak("kate", &["planner"]);
    let dispatcher = keycloak("dan", &["dispatcher"]);
    let operator = keycloak("ops-olivia", &["operator"]);

    let dir = tempfile::tempdir().expect("temp dir");
    let command_config = CommandConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        store: StoreLocation::Mongo {
            url: servers.mongo.clone(),
            database: database.clone(),
        },
        key_store: KeyStoreLocation::BesideMongo,
        snapshot_every: 100,
        max_retries: 3,
        aggregate_cache: 1_000,
        kafka: relay_in_service.then(|| kafka.clone()),
        auth: auth.clone(),
        tls: identity::tls::TlsSettings::default(),
        heads: es_core::heads::HeadsSettings::in_dir(dir.path()),
    };
    let command_app = command::startup::build(command_config)
        .await
        .expect("the command service starts on MongoDB");
    let command_url = format!("http://{}", command_app.local_addr());
    tokio::spawn(command_app.run_until_stopped(until_stopped(stopped.clone())));

    let query_config = QueryConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        read_models: dir.path().join("read-models.db"),
        command_url: command_url.clone(),
        consistency_timeout: Duration::from_secs(20),
        kafka: Some(KafkaSource {
            brokers: servers.kafka.clone(),
            group_id: format!("e2e-{unique}"),
            keys: KeyStoreAt::Mongo {
                url: servers.mongo.clone(),
                database: database.clone(),
            },
            topic_prefix: kafka.topic_prefix.clone(),
            properties: test_properties(),
        }),
        auth: auth.clone(),
        tls: identity::tls::TlsSettings::default(),
        on_diverged: query::config::OnDiverged::Wait,
    };
    let query_app = match extra {
        None => {
            let location = ReadStoreLocation::Sqlite(query_config.read_models.clone());
            query::startup::build_on(query_config, &location)
                .await
                .expect("the query service starts on Kafka")
        }
        // What `build_on` does, with the test double among the read models.
        Some(extra) => {
            let mut projections = query::startup::all_projections();
            projections.push(extra());
            let db = ReadModelDb::open(&query_config.read_models, projections).expect("opened");
            let tokens = query_config.auth.open("query-service").unwrap().tokens;
            let channel = Channel::from_shared(command_url.clone())
                .unwrap()
                .connect_lazy();
            let log: Arc<dyn EventSource> = Arc::new(GrpcEventSource::new(channel, tokens));
            let kafka = query_config.kafka.as_ref().expect("Kafka");
            let events = query::startup::kafka_source(kafka).await.expect("a source");
            let live: Arc<dyn EventSource> = Arc::new(LogHeaded::new(events, log.clone()));
            let listener = tokio::net::TcpListener::bind(query_config.listen)
                .await
                .unwrap();
            query::startup::App::with_sources(listener, db, live, log, &query_config)
                .expect("the query service starts on Kafka")
        }
    };
    let query_url = format!("http://{}", query_app.local_addr());
    let read_models = query_app.status();
    tokio::spawn(query_app.run_until_stopped(until_stopped(stopped.clone())));

    let mut bffs = Vec::new();
    for _ in 0..2 {
        let mut config = bff::Config::local(command_url.clone(), query_url.clone());
        config.rate_limit = None;
        config.redis_url = Some(bff::config::RedisUrl::parse(&servers.redis).expect("REDIS_URL"));
        config.auth = auth.clone();
        let app = bff::build(config).await.expect("a BFF starts on Redis");
        bffs.push(Rest::new(format!("http://{}", app.local_addr())));
        tokio::spawn(app.run_until_stopped(until_stopped(stopped.clone())));
    }
    let store = MongoEventStore::connect_within(&servers.mongo, &database, Duration::from_secs(20))
        .await
        .expect("a second connection to the store");
    let [one, two]: [Rest; 2] = bffs.try_into().unwrap_or_else(|_| unreachable!("two BFFs"));
    Production {
        planners: [one.with_token(&planner), two.with_token(&planner)],
        dispatchers: [one.with_token(&dispatcher), two.with_token(&dispatcher)],
        ops: one.with_token(&operator),
        read_model_file: dir.path().join("read-models.db"),
        store: Arc::new(store),
        kafka,
        read_models,
        stop,
        grants: issuer.grants.clone(),
        _dir: dir,
    }
}

impl Production {
    /// A relay of its own (as a separate process would run it), until `kill` is sent.
    fn relay(&self) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
        let checkpoint: Arc<dyn RelayCheckpoint> =
            Arc::new(MongoRelayCheckpoint::beside(&self.store));
        let relay =
            command::startup::relay(self.store.clone(), checkpoint, &self.kafka).expect("a relay");
        let (kill, killed) = watch::channel(false);
        let task = tokio::spawn(relay.run(async move {
            let mut killed = killed;
            let _ = killed.wait_for(|k| *k).await;
        }));
        (kill, task)
    }

    /// Waits until the read models have applied everything in the store; the number
    /// of events in it.
    async fn wait_until_projected(&self) -> usize {
        // Read, not `head()`: this connection learns the head by polling.
        let events = self.store.read_all(0, 10_000).await.expect("read $all");
        let head = events.last().map_or(0, |e| e.position);
        assert!(
            self.read_models
                .wait_for(head, Duration::from_secs(60))
                .await,
            "the read models reach position {head} through Kafka: {:?}",
            self.read_models.snapshot()
        );
        events.len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_through_one_bff_is_read_through_the_other_via_mongodb_kafka_and_the_projections() {
    let Some(servers) = servers() else { return };
    let platform = start(&servers, true, None).await;
    // The planner writes through one BFF and reads through the other.
    let [one, two] = &platform.planners;

    let (customer, license) = customer_with_car(one, "EE-101-A").await;
    let renamed = one
        .put(
            &format!("/api/v1/customers/{customer}/contact"),
            json!({"name": "Augusta Ada King", "telephone": "+44 20 7946 0001",
                   "email": "ada@example.com"}),
        )
        .await
        .expect(200);

    // The other BFF waits for that write's token: the query side got it from Kafka.
    let read = two
        .get_after(&format!("/api/v1/customers/{customer}"), &renamed.token())
        .await
        .expect(200);
    assert_eq!(
        read.body["name"], "Augusta Ada King",
        "personal data, sealed in Kafka, opened with the keys in MongoDB: {:#}",
        read.body
    );
    let vehicle = two
        .get(&format!("/api/v1/vehicles/{license}"))
        .await
        .expect(200);
    assert_eq!(vehicle.body["owner_customer_id"], customer.as_str());

    let events = platform.store.read_all(0, 100).await.unwrap();
    assert_eq!(
        events.len(),
        3,
        "register, vehicle, contact change in MongoDB"
    );
    let raw = serde_json::to_string(&events[0].payload).unwrap();
    assert!(
        !raw.contains("Ada Lovelace"),
        "the log holds personal data sealed: {raw}"
    );
    // The query service asks the command service as itself, with the token the
    // client-credentials grant gave it (as Keycloak gives pitlane-query its own).
    let granted = || platform.grants.load(std::sync::atomic::Ordering::SeqCst);
    for _ in 0..50 {
        if granted() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(granted() > 0, "the query service signed in with its client");

    let ready = one.get("/health/ready").await.expect(200);
    let status_of = |name: &str| {
        ready.body["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .map(|d| d["status"].clone())
    };
    assert_eq!(status_of("redis"), Some(json!("up")), "{:#}", ready.body);
    assert_eq!(
        status_of("kafka_relay"),
        Some(json!("up")),
        "{:#}",
        ready.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_booking_storm_across_two_bffs_sharing_redis_books_the_driver_exactly_once() {
    let Some(servers) = servers() else { return };
    let platform = start(&servers, true, None).await;
    // The dispatcher's work, through both BFFs.
    let [one, two] = &platform.dispatchers;
    let (driver, _) = driver_and_van(one, "VAN-901-E").await;
    let route = active_route(two, "2026-12-04", 8).await;
    let mut deliveries = Vec::new();
    for _ in 0..40 {
        let created = one
            .post("/api/v1/deliveries", json!({"route_id": route}))
            .await
            .expect(201);
        deliveries.push(created.body["id"].as_str().unwrap().to_owned());
    }

    // Every delivery wants the same driver on the same route, half through each BFF.
    let answers = join_all(deliveries.iter().enumerate().map(|(i, id)| {
        let bff = &platform.dispatchers[i % 2];
        let path = format!("/api/v1/deliveries/{id}/driver");
        let driver = driver.clone();
        async move { bff.put(&path, json!({"driver_id": driver})).await }
    }))
    .await;

    let won: Vec<_> = answers.iter().filter(|a| a.status == 200).collect();
    let others: Vec<_> = answers
        .iter()
        .filter(|a| a.status != 200 && a.status != 409)
        .map(|a| (a.status, a.body.clone()))
        .collect();
    assert!(others.is_empty(), "only 200 or 409: {others:?}");
    assert_eq!(won.len(), 1, "exactly one booking wins across both BFFs");
    let schedule = two
        .get_after(
            &format!("/api/v1/schedules/drivers/{driver}"),
            &won[0].token(),
        )
        .await
        .expect(200);
    assert_eq!(
        schedule.body["slots"].as_array().unwrap().len(),
        1,
        "{:#}",
        schedule.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_relay_mid_load_and_restarting_it_loses_no_event() {
    let Some(servers) = servers() else { return };
    let platform = start(&servers, false, None).await;
    let (kill, relay) = platform.relay();

    // The planner registers customers through both BFFs.
    let register = |i: usize| {
        let bff = &platform.planners[i % 2];
        async move {
            bff.post(
                "/api/v1/customers",
                json!({"name": format!("Customer {i:03}"), "telephone": "+44 20 7946 0000",
                       "email": format!("c{i}@example.com")}),
            )
            .await
            .expect(201)
        }
    };
    // Load while the relay publishes; kill it (abruptly: the task is aborted, not
    // asked to stop) somewhere in the middle; go on writing while it is dead.
    let first = join_all((0..30).map(register)).await;
    relay.abort();
    let _ = relay.await;
    drop(kill);
    let second = join_all((30..60).map(register)).await;
    assert_eq!(first.len() + second.len(), 60);

    let (_kill, _relay) = platform.relay();
    let events = platform.wait_until_projected().await;
    assert_eq!(events, 60, "every registration is one event in MongoDB");
    let listed = platform.planners[1]
        .get_after("/api/v1/customers?page_size=100", &second[29].token())
        .await
        .expect(200);
    assert_eq!(
        listed.body["page"]["total"], 60,
        "every customer reached the read models through Kafka"
    );
}

/// How many more customer events [`CustomerEvents`] fails on: only the dead-letter
/// test below sets it.
static CUSTOMER_FAILURES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

static CUSTOMER_EVENTS: query::store::Table = query::store::Table {
    name: "customer_events",
    columns: &[
        query::store::Column::text("stream_id"),
        query::store::Column::int("applied"),
    ],
    key: &["stream_id"],
    indexes: &[],
};

/// A test double: counts each customer stream's events, failing (as a broken
/// projection would) while [`CUSTOMER_FAILURES`] is above zero.
struct CustomerEvents;

impl Projection for CustomerEvents {
    fn name(&self) -> &'static str {
        "customer_events"
    }

    fn tables(&self) -> &'static [&'static query::store::Table] {
        static TABLES: [&query::store::Table; 1] = [&CUSTOMER_EVENTS];
        &TABLES
    }

    fn apply(
        &self,
        event: &es_core::EventEnvelope,
        tx: &mut dyn query::store::Tx,
    ) -> Result<query::projection::Outcome, query::projection::ProjectionError> {
        use std::sync::atomic::Ordering;

        use query::store::{DbError, Value};
        if event.aggregate_type != "customer" {
            return Ok(query::projection::Outcome::Ignored);
        }
        if CUSTOMER_FAILURES.load(Ordering::SeqCst) > 0 {
            CUSTOMER_FAILURES.fetch_sub(1, Ordering::SeqCst);
            return Err(DbError::Database("the projection's bug".into()).into());
        }
        let key = [("stream_id", Value::from(&event.stream_id))];
        let applied = match tx.get(&CUSTOMER_EVENTS, &key)? {
            Some(row) => row.int("applied")?,
            None => 0,
        };
        tx.upsert(
            &CUSTOMER_EVENTS,
            &[
                ("stream_id", Value::from(&event.stream_id)),
                ("applied", Value::from(applied + 1)),
            ],
        )?;
        Ok(query::projection::Outcome::Applied)
    }
}

fn customer_events() -> Box<dyn Projection> {
    Box::new(CustomerEvents)
}

/// Every record on the `.dlq` topic of the customers' events: headers and value.
fn records(
    brokers: &str,
    prefix: &str,
) -> Vec<(std::collections::HashMap<String, String>, String)> {
    let kafka = es_core::kafka::KafkaConfig::new(brokers);
    let topics = [contracts::topics::topic(prefix, "customers")];
    es_core::kafka::read_dead_letters(&kafka, &topics)
        .expect("the dead-letter topic reads")
        .into_iter()
        .map(|record| {
            let headers = record
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
                .collect();
            let value = String::from_utf8_lossy(record.value.as_deref().unwrap_or_default());
            (headers, value.into_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_parked_event_is_on_the_dlq_topic_and_its_redrive_applies_it_once_and_is_recorded_there()
{
    let Some(servers) = servers() else { return };
    CUSTOMER_FAILURES.store(1_000, std::sync::atomic::Ordering::SeqCst);
    let platform = start(&servers, true, Some(customer_events)).await;
    // The planner's customers; the operator's dead letters.
    let [one, _] = &platform.planners;

    // The test double fails on the registration past its retries: parked, and its
    // Kafka record copied to the `.dlq` topic; the platform's read models go on.
    let registered = one
        .post(
            "/api/v1/customers",
            json!({ "name": "Grace Hopper", "address": "1 Navy Way", "postal_code": "20001",
                    "city": "Washington", "telephone": "+1 202 555 0100",
                    "email": "grace@example.com" }),
        )
        .await
        .expect(201);
    let customer = registered.body["id"].as_str().unwrap().to_owned();
    platform.wait_until_projected().await;
    one.get(&format!("/api/v1/customers/{customer}"))
        .await
        .expect(200);
    let listed = platform
        .ops
        .get("/api/v1/ops/dead-letters?read_model=customer_events")
        .await
        .expect(200);
    let parked = listed.body["dead_letters"].as_array().unwrap().clone();
    assert_eq!(parked.len(), 1, "{:#}", listed.body);
    let position = parked[0]["position"].as_u64().unwrap();
    let event_id = parked[0]["event_id"].as_str().unwrap().to_owned();
    let prefix = &platform.kafka.topic_prefix;
    let dead = records(&servers.kafka, prefix);
    assert_eq!(
        dead.len(),
        1,
        "the dead letter is on the customers' .dlq topic"
    );
    assert_eq!(dead[0].0["event-id"], event_id);
    assert_eq!(
        dead[0].0["error"],
        "read-model database: the projection's bug"
    );

    // Fixed: the redrive applies it once, and says so on the `.dlq` topic.
    CUSTOMER_FAILURES.store(0, std::sync::atomic::Ordering::SeqCst);
    let redriven = platform
        .ops
        .post(
            "/api/v1/ops/dead-letters/customer_events/redrive",
            json!(null),
        )
        .await;
    let redriven = redriven.expect(200);
    assert_eq!(redriven.body["redriven"][0]["position"], position);
    let on_topic = records(&servers.kafka, prefix);
    assert_eq!(on_topic.len(), 2, "the settlement follows the dead letter");
    let (headers, value) = &on_topic[1];
    assert_eq!(headers["settled"], "redriven");
    assert_eq!(headers["settled-by"], "ops-olivia");
    assert_eq!(headers["event-id"], event_id);
    let value: serde_json::Value = serde_json::from_str(value).unwrap();
    assert_eq!(value["position"], position);

    // The next event of the stream applies live, after it: each exactly once.
    let renamed = one
        .put(
            &format!("/api/v1/customers/{customer}/contact"),
            json!({ "name": "Rear Admiral Grace Hopper", "telephone": "+1 202 555 0100",
                    "email": "grace@example.com" }),
        )
        .await
        .expect(200);
    assert!(!renamed.token().is_empty());
    platform.wait_until_projected().await;
    let db = rusqlite::Connection::open(&platform.read_model_file).unwrap();
    let applied: i64 = db
        .query_row(
            "SELECT applied FROM customer_events__g1 WHERE stream_id = ?1",
            [format!("customer-{customer}")],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(applied, 2);
}

/// Two platforms on one Redis (or a Redis older than its event store): the tokens one
/// BFF remembered name positions of another log. Such a token must never refuse a
/// client's request: in CI the vehicle of the README walk was refused, 422 naming
/// `X-Consistency-Token`, a header it never sent, because the auditors' example running
/// beside it had written the same customer further along its own log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_another_platform_left_in_the_shared_redis_never_refuses_a_request() {
    let Some(redis) = server_url("REDIS_URL") else {
        return;
    };
    let on_redis = |config: &mut bff::Config| {
        config.redis_url = Some(bff::config::RedisUrl::parse(&redis).expect("REDIS_URL"));
    };
    let first = crate::helpers::spawn_platform_with(on_redis).await;
    let second = crate::helpers::spawn_platform_with(on_redis).await;
    // A planner on each platform; an operator reads the second one's metrics.
    let as_one = |platform: &crate::helpers::TestPlatform, subject: &str, role: Role| {
        let token = crate::helpers::token_for(&platform.platform, subject, &[role]);
        platform.rest.with_token(token)
    };
    let first_planner = as_one(&first, "kate", Role::Planner);
    let second_planner = as_one(&second, "kate", Role::Planner);
    let second_operator = as_one(&second, "ops-olivia", Role::Operator);
    let customer = uuid::Uuid::now_v7().to_string();
    let ada = json!({"customer_id": customer, "name": "Ada Lovelace",
        "address": "12 St James's Square", "postal_code": "SW1Y 4JH", "city": "London",
        "telephone": "+44 20 7946 0000", "email": "ada@example.com"});
    let grace = json!({"name": "Grace Hopper", "address": "1 Navy Way",
        "postal_code": "20001", "city": "Arlington", "telephone": "+1 202 555 0100",
        "email": "grace@example.com"});

    // The first platform writes Ada at position 3 of its log; the second at position 1.
    for body in [&grace, &grace, &ada] {
        first_planner
            .post("/api/v1/customers", body.clone())
            .await
            .expect(201);
    }
    let written = second_planner
        .post("/api/v1/customers", ada)
        .await
        .expect(201);
    assert!(written.token().ends_with(":1:1"), "{}", written.token());

    // Registering her car waits for the last write to Ada that Redis remembers.
    second_planner
        .post(
            "/api/v1/vehicles",
            json!({"license_number": "RD-100-A", "brand": "Tesla",
                   "model": "Model 3", "owner_customer_id": customer, "usage": "customer"}),
        )
        .await
        .expect(201);
    // … and the fault is reported to the operators.
    let foreign = || async {
        let scrape = crate::observability::scrape(&second_operator).await?;
        Some(crate::observability::value(
            &scrape,
            "pitlane_bff_foreign_tokens_total",
            &[],
        ))
    };
    let counted = foreign().await;
    assert!(counted.is_none_or(|n| n >= 1.0), "{counted:?}");

    // A token the client sent itself beyond the head is still the client's 422, and no
    // fault of the registry.
    let refused = second_planner
        .send(
            reqwest::Method::PUT,
            "/api/v1/vehicles/RD-100-A",
            Some(json!({"brand": "Tesla", "model": "Model Y", "owner_customer_id": customer})),
            &[("x-consistency-token", &format!("customer-{customer}:9:999"))],
        )
        .await
        .expect(422);
    assert_eq!(
        refused.body["field"], "X-Consistency-Token",
        "{:#}",
        refused.body
    );
    assert_eq!(foreign().await, counted);
}
