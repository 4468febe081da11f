//! `spawn_platform()`: a fresh command service and query service for every test.

use std::sync::Arc;
use std::time::Duration;

use contracts::errors::ErrorDetail;
use contracts::v1::customer_commands_client::CustomerCommandsClient;
use contracts::v1::delivery_commands_client::DeliveryCommandsClient;
use contracts::v1::fleet_commands_client::FleetCommandsClient;
use contracts::v1::query_client::QueryClient;
use contracts::v1::workshop_commands_client::WorkshopCommandsClient;
use contracts::v1::{
    CommandReply, ConsistencyToken, ProjectionStatusRequest, ProjectorStatus,
    RebuildReadModelsRequest,
};
use es_core::projection::StatusBoard;
use es_core::{EventStore, SqliteEventStore};
use identity::grpc::AuthedChannel;
use query::runtime::GrpcEventSource;
use query::store::sqlite::ReadModelDb;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::Channel;

pub struct Platform {
    /// Both services, called as `alice`, who holds every role: each call acts under
    /// the first role its method admits.
    pub commands: AuthedChannel,
    pub queries: AuthedChannel,
    /// The services' issuer, to mint other tokens.
    pub auth: identity::Auth,
    /// The query service without credentials.
    pub raw_queries: Channel,
    pub store: Arc<dyn EventStore>,
    pub read_models: Arc<StatusBoard>,
    _stop: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

pub async fn spawn_platform() -> Platform {
    spawn_platform_with_timeout(Duration::from_secs(5)).await
}

pub async fn spawn_platform_with_timeout(consistency_timeout: Duration) -> Platform {
    let dir = tempfile::tempdir().expect("temp dir");
    let (stop, stopped) = watch::channel(false);
    let until_stopped = |mut stopped: watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|s| *s).await;
    };

    let events = dir.path().join("events.db");
    let command_config = command::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        store: command::config::StoreLocation::Sqlite(events.clone()),
        key_store: command::config::KeyStoreLocation::Sqlite(dir.path().join("keys.db")),
        snapshot_every: 10,
        max_retries: 3,
        aggregate_cache: 1_000,
        kafka: None,
        auth: identity::AuthSettings::development(dir.path()),
        tls: identity::tls::TlsSettings::default(),
        heads: es_core::heads::HeadsSettings::in_dir(dir.path()),
    };
    let auth = command_config.auth.open("test").expect("issuer");
    let alice = {
        let mut request = identity::TokenRequest::new("alice", identity::Role::Admin);
        request.roles = identity::Role::ALL.to_vec();
        auth.mint_with(&request).expect("a token")
    };
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(&events).expect("store"));
    let command_app = command::startup::App::with_store(
        TcpListener::bind(command_config.listen).await.unwrap(),
        store.clone(),
        &command_config,
    )
    .await
    .expect("command service");
    let command_url = format!("http://{}", command_app.local_addr());
    tokio::spawn(command_app.run_until_stopped(until_stopped(stopped.clone())));
    let stream = Channel::from_shared(command_url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let commands = identity::grpc::authed(stream.clone(), &alice).unwrap();

    let query_config = query::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        read_models: dir.path().join("read-models.db"),
        command_url,
        consistency_timeout,
        kafka: None,
        auth: command_config.auth.clone(),
        tls: identity::tls::TlsSettings::default(),
        on_diverged: query::config::OnDiverged::Wait,
    };
    let db = ReadModelDb::open(&query_config.read_models, query::startup::all_projections())
        .expect("read models");
    let query_app = query::startup::App::with_source(
        TcpListener::bind(query_config.listen).await.unwrap(),
        db,
        Arc::new(GrpcEventSource::new(
            stream,
            query_config.auth.open("query-service").unwrap().tokens,
        )),
        &query_config,
    )
    .expect("query service");
    let query_url = format!("http://{}", query_app.local_addr());
    let read_models = query_app.status();
    tokio::spawn(query_app.run_until_stopped(until_stopped(stopped)));
    let queries = Channel::from_shared(query_url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let raw_queries = queries.clone();
    let queries = identity::grpc::authed(queries, &alice).unwrap();
    Platform {
        commands,
        queries,
        auth,
        raw_queries,
        store,
        read_models,
        _stop: stop,
        _dir: dir,
    }
}

impl Platform {
    pub fn customers(&self) -> CustomerCommandsClient<AuthedChannel> {
        CustomerCommandsClient::new(self.commands.clone())
    }

    pub fn fleet(&self) -> FleetCommandsClient<AuthedChannel> {
        FleetCommandsClient::new(self.commands.clone())
    }

    pub fn workshop(&self) -> WorkshopCommandsClient<AuthedChannel> {
        WorkshopCommandsClient::new(self.commands.clone())
    }

    pub fn deliveries(&self) -> DeliveryCommandsClient<AuthedChannel> {
        DeliveryCommandsClient::new(self.commands.clone())
    }

    pub fn query(&self) -> QueryClient<AuthedChannel> {
        QueryClient::new(self.queries.clone())
    }

    /// The query service, called as `subject` holding `role` (and, for a driver, the
    /// driver id it acts for).
    pub fn query_as(
        &self,
        subject: &str,
        role: identity::Role,
        driver_id: Option<&str>,
    ) -> QueryClient<AuthedChannel> {
        let mut request = identity::TokenRequest::new(subject, role);
        request.driver_id = driver_id.map(str::to_owned);
        let token = self.auth.mint_with(&request).expect("a token");
        QueryClient::new(identity::grpc::authed(self.raw_queries.clone(), &token).unwrap())
    }

    /// A file of this platform's data folder (`events.db`, `keys.db`, `read-models.db`).
    pub fn file(&self, name: &str) -> std::path::PathBuf {
        self._dir.path().join(name)
    }

    /// Every read model's status, as the query service reports it.
    pub async fn projectors(&self) -> Vec<ProjectorStatus> {
        self.query()
            .projection_status(ProjectionStatusRequest::default())
            .await
            .expect("projection status")
            .into_inner()
            .projectors
    }

    /// Rebuilds `projection` and waits until its rebuilt generation 2 is active,
    /// checking on the way that nothing is parked as a dead letter.
    pub async fn rebuild(&self, projection: &str) {
        let started = self
            .query()
            .rebuild_read_models(RebuildReadModelsRequest {
                projections: vec![projection.to_owned()],
            })
            .await
            .expect("rebuild")
            .into_inner()
            .started;
        assert_eq!(started, vec![projection.to_owned()]);
        for _ in 0..200 {
            let projectors = self.projectors().await;
            let status = projectors
                .iter()
                .find(|p| p.name == projection)
                .unwrap_or_else(|| panic!("no {projection} projector"));
            assert_eq!(status.dead_letter_count, 0, "{status:?}");
            if !status.rebuilding && status.generation == 2 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the rebuilt {projection} read model did not become active");
    }

    /// Waits until the read models have applied everything stored so far.
    pub async fn settle(&self) {
        let head = *self.store.head().borrow();
        assert!(
            self.read_models
                .wait_for(head, Duration::from_secs(10))
                .await,
            "read models caught up"
        );
    }
}

pub fn token(reply: tonic::Response<CommandReply>) -> ConsistencyToken {
    reply
        .into_inner()
        .token
        .expect("every reply carries a token")
}

pub fn detail(status: &tonic::Status) -> ErrorDetail {
    ErrorDetail::of(status).expect("every error carries an ErrorDetail")
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn timestamp(rfc3339: &str) -> prost_types::Timestamp {
    let seconds = chrono_seconds(rfc3339);
    prost_types::Timestamp { seconds, nanos: 0 }
}

fn chrono_seconds(rfc3339: &str) -> i64 {
    es_core::time::parse(rfc3339)
        .expect("test time")
        .timestamp()
}
