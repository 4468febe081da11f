//! Building and running the query service: the read-model database (SQLite, or SQL
//! Server from `READ_STORE_URL`), the live projector runtime fed by an event source,
//! and the gRPC API. `App::with_source` takes its listener and source, so tests and the
//! all-in-one launcher run it on port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use contracts::PROJECTIONS_HEALTH;
use contracts::v1::query_server::QueryServer;
use es_core::projection::{EventSource, LogHeaded, RetryPolicy, RuntimeState, StatusBoard, run};
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Server};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::api::service::QueryService;
use crate::config::{Config, KafkaSource, KeyStoreAt, OnDiverged, ReadStoreLocation, SqlServerUrl};
use crate::rebuild::Rebuilds;
use crate::runtime::{GrpcEventSource, ReadModelTarget};
use crate::store::ReadModelStore;
use crate::store::sqlite::ReadModelDb;
use es_core::Vault;
use es_core::kafka::{KafkaConfig, KafkaEventSource, SourceConfig};
use es_core::mongo::MongoKeyStore;
use es_core::vault::{KeyStore, SqliteKeyStore};

/// Every projection of the platform.
pub fn all_projections() -> Vec<Box<dyn crate::projection::Projection>> {
    let mut all = Vec::new();
    all.extend(crate::customers::projections());
    all.extend(crate::fleet::projections());
    all.extend(crate::workshop::projections());
    all.extend(crate::deliveries::projections());
    all.extend(crate::schedules::projections());
    all
}

pub struct App {
    address: SocketAddr,
    listener: TcpListener,
    db: ReadModelStore,
    source: Arc<dyn EventSource>,
    live: Arc<StatusBoard>,
    service: QueryService,
    /// Started on their own when the live projections diverge, if so configured.
    rebuilds: Option<Rebuilds>,
    verifier: Arc<identity::Verifier>,
    tls: Option<tonic::transport::ServerTlsConfig>,
}

/// Opens the configured read models (`READ_STORE_URL`, else the `PITLANE_READ_MODELS`
/// file), binds the address, follows the command service.
pub async fn build(config: Config) -> anyhow::Result<App> {
    let location = ReadStoreLocation::from_env(&config.read_models)?;
    build_on(config, &location).await
}

/// [`build`] with the read models' location given rather than read from the environment.
pub async fn build_on(config: Config, location: &ReadStoreLocation) -> anyhow::Result<App> {
    let db = open_read_models(location).await?;
    let auth = config
        .auth
        .open("query-service")
        .context("cannot open the token issuer's keys")?;
    let mut endpoint = Channel::from_shared(config.command_url.clone())
        .with_context(|| format!("bad command service URL {}", config.command_url))?;
    if let Some(tls) = config.tls.client(&config.command_url)? {
        endpoint = endpoint
            .tls_config(tls)
            .context("invalid TLS configuration for the command service")?;
    }
    let channel = endpoint.connect_lazy();
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    // Rebuilds always replay the store, through the command service's event stream:
    // Kafka's retention need not reach back to the first event.
    let store_stream: Arc<dyn EventSource> =
        Arc::new(GrpcEventSource::new(channel, auth.tokens.clone()));
    let live = match &config.kafka {
        // Events from Kafka, lag against the log's own head (the command service's).
        Some(kafka) => Arc::new(LogHeaded::new(
            kafka_source(kafka).await?,
            store_stream.clone(),
        )),
        None => store_stream.clone(),
    };
    App::with_sources(listener, db, live, store_stream, &config)
}

/// The live projections' feed from Kafka: every event topic, one consumer group for
/// this read-model database, sealed personal data opened with the shared keys.
pub async fn kafka_source(kafka: &KafkaSource) -> anyhow::Result<Arc<dyn EventSource>> {
    let keys = open_keys(&kafka.keys)
        .await
        .context("configuration variable KEY_STORE_URL")?;
    let topics = contracts::topics::all(&kafka.topic_prefix);
    let mut source = SourceConfig::new("read-models", topics);
    source.routes = contracts::topics::routes(&kafka.topic_prefix)
        .into_iter()
        .map(|(aggregate_type, topic)| (aggregate_type.to_owned(), topic))
        .collect();
    source.group_id = kafka.group_id.clone();
    let client = kafka
        .properties
        .iter()
        .fold(KafkaConfig::new(kafka.brokers.clone()), |client, (k, v)| {
            client.with(k, v)
        });
    let source = KafkaEventSource::with_vault(client, source, Arc::new(Vault::reader(keys)))
        .context("cannot create the Kafka consumer of the projections")?;
    tracing::info!(brokers = %kafka.brokers, group = %kafka.group_id, "projections consume Kafka");
    Ok(Arc::new(source))
}

/// The command service's key store, to read. A key file must already exist: opening
/// an empty one would show every person's data as erased.
async fn open_keys(at: &KeyStoreAt) -> anyhow::Result<Arc<dyn KeyStore>> {
    Ok(match at {
        KeyStoreAt::Mongo { url, database } => {
            Arc::new(MongoKeyStore::connect(url, database).await?)
        }
        KeyStoreAt::Sqlite(path) => {
            anyhow::ensure!(
                path.is_file(),
                "no key file at {} (the command service's PITLANE_KEY_STORE)",
                path.display()
            );
            Arc::new(SqliteKeyStore::open(path)?)
        }
    })
}

/// Opens the read models at `location`, creating and migrating their tables as needed.
pub async fn open_read_models(location: &ReadStoreLocation) -> anyhow::Result<ReadModelStore> {
    match location {
        ReadStoreLocation::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                es_core::files::create_private_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let db = ReadModelDb::open(path, all_projections())
                .with_context(|| format!("cannot open the read models {}", path.display()))?;
            Ok(db.into())
        }
        ReadStoreLocation::SqlServer(url) => open_sql_server(url).await,
    }
}

#[cfg(feature = "mssql")]
async fn open_sql_server(url: &SqlServerUrl) -> anyhow::Result<ReadModelStore> {
    let db = crate::store::mssql::ReadModelDb::open(url, all_projections())
        .await
        .with_context(|| format!("cannot open the read models on SQL Server {url}"))?;
    tracing::info!(%url, "read models on SQL Server");
    Ok(db.into())
}

#[cfg(not(feature = "mssql"))]
async fn open_sql_server(url: &SqlServerUrl) -> anyhow::Result<ReadModelStore> {
    anyhow::bail!(
        "configuration variable {}: names SQL Server ({url}), but this build of the query \
         service has no SQL Server support (cargo feature `query/mssql`)",
        crate::config::READ_STORE_URL
    )
}

impl App {
    /// The service on a bound listener, fed by `source` (live and for rebuilds).
    pub fn with_source(
        listener: TcpListener,
        db: impl Into<ReadModelStore>,
        source: Arc<dyn EventSource>,
        config: &Config,
    ) -> anyhow::Result<App> {
        Self::with_sources(listener, db, source.clone(), source, config)
    }

    /// The service with a live feed (Kafka, or the event stream) and another for
    /// rebuilds (the store's `$all`, from its first event).
    pub fn with_sources(
        listener: TcpListener,
        db: impl Into<ReadModelStore>,
        source: Arc<dyn EventSource>,
        rebuild_source: Arc<dyn EventSource>,
        config: &Config,
    ) -> anyhow::Result<App> {
        let db = db.into();
        let live = Arc::new(StatusBoard::new("read-models"));
        // What is parked survives a restart: the status and its gauges start from it.
        let positions = db
            .positions()
            .context("cannot read the read models' checkpoints")?;
        crate::api::export_parked(&positions);
        live.parked_now(positions.iter().map(|(_, _, _, dead)| dead).sum());
        let rebuilds = Rebuilds::new(
            db.clone(),
            rebuild_source.clone(),
            RetryPolicy::default(),
            live.clone(),
        );
        let on_diverged = (config.on_diverged == OnDiverged::Rebuild).then(|| rebuilds.clone());
        let service = QueryService::new(
            db.clone(),
            live.clone(),
            rebuild_source.clone(),
            rebuilds,
            config.consistency_timeout,
        )
        .with_dead_letter_channel(source.clone());
        let address = listener
            .local_addr()
            .context("the listener has no address")?;
        let auth = config
            .auth
            .open("query-service")
            .context("cannot open the token issuer's keys")?;
        Ok(App {
            address,
            listener,
            db,
            source,
            live,
            service,
            rebuilds: on_diverged,
            verifier: auth.verifier,
            tls: config.tls.server(address)?,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    pub fn status(&self) -> Arc<StatusBoard> {
        self.live.clone()
    }

    pub fn db(&self) -> ReadModelStore {
        self.db.clone()
    }

    /// Projects and serves until `shutdown` resolves.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let projecting = {
            let mut stopped = stopped.clone();
            tokio::spawn(run(
                self.source,
                ReadModelTarget::live(self.db),
                self.live.clone(),
                RetryPolicy::default(),
                async move {
                    let _ = stopped.wait_for(|s| *s).await;
                },
            ))
        };
        if let Some(rebuilds) = self.rebuilds {
            tokio::spawn(rebuild_when_diverged(
                self.live.clone(),
                rebuilds,
                stopped.clone(),
            ));
        }
        let (health_reporter, health) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<QueryServer<QueryService>>()
            .await;
        health_reporter
            .set_service_status(PROJECTIONS_HEALTH, ServingStatus::NotServing)
            .await;
        let reporting = tokio::spawn(report_projection_health(
            self.live.clone(),
            health_reporter,
            stopped.clone(),
        ));
        let (reflection, reflection_v1alpha) = contracts::reflection::services(
            &contracts::reflection::QUERY_PORT,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
        )
        .context("cannot build gRPC reflection")?;
        let incoming = TcpListenerStream::new(self.listener).map(|accepted| {
            accepted.and_then(|stream| {
                stream.set_nodelay(true)?;
                Ok(stream)
            })
        });
        tracing::info!(address = %self.address, "query service listening");
        let mut server = Server::builder();
        if let Some(tls) = self.tls {
            server = server
                .tls_config(tls)
                .context("invalid TLS configuration")?;
        }
        let served = server
            .layer(identity::ObserveLayer)
            .layer(identity::AuthLayer::new(
                self.verifier,
                crate::access::policy,
            ))
            .add_service(health)
            .add_service(reflection)
            .add_service(reflection_v1alpha)
            .add_service(QueryServer::new(self.service))
            .serve_with_incoming_shutdown(incoming, async move {
                shutdown.await;
                stop.send_replace(true);
            })
            .await;
        let _ = projecting.await;
        let _ = reporting.await;
        served.context("the query service stopped with an error")
    }
}

/// `PITLANE_ON_DIVERGED=rebuild`: when the live projections stop on a log that is not
/// the history they hold, rebuilds every read model from the log (replacing them once
/// it reaches the log's head), once per divergence.
async fn rebuild_when_diverged(
    board: Arc<StatusBoard>,
    rebuilds: Rebuilds,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut started = false;
    loop {
        let diverged = board.snapshot().state == RuntimeState::Diverged;
        if diverged && !started && rebuilds.progress().is_empty() {
            match rebuilds.start(Vec::new()).await {
                Ok(names) => {
                    tracing::warn!(read_models = ?names, "the read models diverged from the log: rebuilding them (PITLANE_ON_DIVERGED=rebuild)");
                    started = true;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot start the rebuild of diverged read models; trying again")
                }
            }
        }
        // Once the live projections agree with the log again, a later divergence
        // starts another rebuild.
        started &= diverged;
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// Keeps the live projections' gRPC health in step with their runtime's state.
async fn report_projection_health(
    board: Arc<StatusBoard>,
    health: HealthReporter,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut reported = None;
    loop {
        let serving = match board.snapshot().state {
            RuntimeState::Running => ServingStatus::Serving,
            RuntimeState::Starting
            | RuntimeState::Retrying
            | RuntimeState::Diverged
            | RuntimeState::Stopped => ServingStatus::NotServing,
        };
        if reported != Some(serving) {
            health.set_service_status(PROJECTIONS_HEALTH, serving).await;
            reported = Some(serving);
        }
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_models_are_the_ones_contracts_names() {
        let mut names: Vec<&str> = all_projections().iter().map(|p| p.name()).collect();
        let mut declared = contracts::READ_MODELS.to_vec();
        names.sort_unstable();
        declared.sort_unstable();
        assert_eq!(names, declared);
    }

    #[tokio::test]
    async fn kafka_fed_projections_read_the_command_services_key_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys.db");
        let candidate = es_core::vault::DataKey::generate().expect("a key");
        let written = SqliteKeyStore::open(&path)
            .expect("the command service's key file")
            .get_or_create("customer-1", candidate)
            .await
            .expect("stored");
        let keys = open_keys(&KeyStoreAt::Sqlite(path)).await.expect("opened");
        let read = keys.get("customer-1").await.expect("read").expect("a key");
        assert_eq!(read.as_bytes(), written.as_bytes());
    }

    #[tokio::test]
    async fn a_missing_key_file_stops_start_up_naming_key_store_url() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys.db");
        let kafka = KafkaSource {
            brokers: "127.0.0.1:9".into(),
            group_id: "g".into(),
            keys: KeyStoreAt::Sqlite(path.clone()),
            topic_prefix: "pitlane".into(),
            properties: Vec::new(),
        };
        let error = format!("{:#}", kafka_source(&kafka).await.err().expect("refused"));
        assert!(error.contains("KEY_STORE_URL"), "{error}");
        assert!(error.contains("no key file"), "{error}");
        assert!(!path.exists(), "no empty key file was created");
    }

    #[tokio::test]
    async fn a_sqlite_location_opens_in_a_folder_created_for_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested/read-models.db");
        let db = open_read_models(&ReadStoreLocation::Sqlite(path.clone()))
            .await
            .expect("opened");
        assert_eq!(db.backend(), "sqlite");
        assert!(path.exists());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_parked_before_a_restart_are_counted_in_the_status_from_the_start() {
        use crate::testing::EventFactory;
        use crate::testing::tallies::{ADDED, AGGREGATE_TYPE, Tallies};

        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rm.db");
        let mut events = EventFactory::new();
        let malformed = |events: &mut EventFactory, id: &str| {
            let payload = serde_json::json!({ "amount": "lots" });
            events.event(AGGREGATE_TYPE, id, ADDED, payload)
        };
        let batch = [malformed(&mut events, "t1"), malformed(&mut events, "t2")];
        let db = ReadModelDb::open(&path, vec![Box::new(Tallies::default())]).expect("db");
        let report = db
            .apply(&crate::store::Members::Active, &batch)
            .expect("applied");
        assert_eq!(report.parked, 2);
        drop(db);

        let db = ReadModelDb::open(&path, vec![Box::new(Tallies::default())]).expect("reopened");
        let mut config = Config::from_lookup(|_| None).expect("defaults");
        config.auth = identity::AuthSettings::development(dir.path());
        let dead = Channel::from_static("http://127.0.0.1:9").connect_lazy();
        let tokens = identity::TokenSource::fixed("no-token");
        let app = App::with_source(
            TcpListener::bind("127.0.0.1:0").await.expect("bind"),
            db,
            Arc::new(GrpcEventSource::new(dead, tokens)),
            &config,
        )
        .expect("app");
        assert_eq!(app.status().snapshot().dead_letters, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn projections_whose_source_is_unreachable_report_not_serving_while_reads_answer() {
        use tonic_health::pb::HealthCheckRequest;
        use tonic_health::pb::health_check_response::ServingStatus as Reported;
        use tonic_health::pb::health_client::HealthClient;

        let dir = tempfile::tempdir().expect("temp dir");
        let db = ReadModelDb::open(dir.path().join("rm.db"), all_projections()).expect("db");
        // Port 9 (discard) on loopback: nothing listens.
        let dead = Channel::from_static("http://127.0.0.1:9").connect_lazy();
        let mut config = Config::from_lookup(|_| None).expect("defaults");
        config.auth = identity::AuthSettings::development(dir.path());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let tokens = identity::TokenSource::fixed("no-token");
        let app = App::with_source(
            listener,
            db,
            Arc::new(GrpcEventSource::new(dead, tokens)),
            &config,
        )
        .expect("app");
        let address = app.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{address}"))
            .unwrap()
            .connect()
            .await
            .expect("connect");
        tokio::time::sleep(Duration::from_millis(800)).await;
        let mut health = HealthClient::new(channel);
        let check = |service: &str| HealthCheckRequest {
            service: service.into(),
        };
        let projections = health.check(check(PROJECTIONS_HEALTH)).await.unwrap();
        assert_eq!(projections.get_ref().status(), Reported::NotServing);
        let service = health.check(check("")).await.unwrap();
        assert_eq!(service.get_ref().status(), Reported::Serving);
        let _ = stop.send(());
        running.await.unwrap().unwrap();
    }

    #[cfg(not(feature = "mssql"))]
    #[tokio::test]
    async fn sql_server_without_the_mssql_feature_is_an_error_naming_read_store_url() {
        let url = SqlServerUrl::parse("mssql://sa:hunter2@db/x").expect("url");
        let error = open_read_models(&ReadStoreLocation::SqlServer(url))
            .await
            .err()
            .expect("refused");
        let message = error.to_string();
        assert!(message.contains("READ_STORE_URL"), "{message}");
        assert!(message.contains("query/mssql"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}
