//! `spawn_app()`: a fresh command service and event store for every test.

use std::sync::Arc;

use command::config::{Config, KeyStoreLocation, StoreLocation};
use command::startup::App;
use contracts::errors::ErrorDetail;
use contracts::v1::customer_commands_client::CustomerCommandsClient;
use contracts::v1::delivery_commands_client::DeliveryCommandsClient;
use contracts::v1::event_stream_client::EventStreamClient;
use contracts::v1::fleet_commands_client::FleetCommandsClient;
use contracts::v1::workshop_commands_client::WorkshopCommandsClient;
use contracts::v1::{
    ErasePersonalDataRequest, EventEnvelope as WireEnvelope, MaintenanceService,
    PlanMaintenanceJobRequest, RegisterCustomerRequest, RegisterVehicleRequest, SubscribeRequest,
    UpdateCustomerContactRequest, VehicleUsage,
};
use es_core::{EventEnvelope, EventStore, SqliteEventStore, Vault};
use futures::StreamExt;
use identity::{Role, TokenRequest};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::Streaming;
use tonic::transport::Channel;

/// A channel whose calls carry a token.
pub use identity::grpc::AuthedChannel;

pub struct TestApp {
    /// Calls as `alice`, who holds every role (each call acts under the role its
    /// method admits first).
    pub channel: AuthedChannel,
    /// No credentials.
    pub raw: Channel,
    /// The service's issuer, to mint other tokens.
    pub auth: identity::Auth,
    pub store: Arc<dyn EventStore>,
    /// The vault of personal data, keys in `keys.db` beside the store.
    pub vault: Arc<Vault>,
    _shutdown: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

/// A service in `dir`: SQLite store and keys there, trusting the development issuer
/// of `dir`, on port 0 of loopback, plaintext.
pub fn config_in(dir: &std::path::Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        store: StoreLocation::Sqlite(dir.join("events.db")),
        key_store: KeyStoreLocation::Sqlite(dir.join("keys.db")),
        snapshot_every: 10,
        max_retries: 3,
        aggregate_cache: 10_000,
        kafka: None,
        auth: identity::AuthSettings::development(dir),
        tls: identity::tls::TlsSettings::default(),
        heads: es_core::heads::HeadsSettings::in_dir(dir),
    }
}

/// A service as `config` says, on a SQLite store `events.db` in `dir`, not yet running;
/// and its store.
pub async fn app_in(dir: &std::path::Path, config: &Config) -> (App, Arc<dyn EventStore>) {
    let path = dir.join("events.db");
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(&path).expect("store"));
    let listener = TcpListener::bind(config.listen).await.expect("bind");
    let app = App::with_store(listener, store.clone(), config)
        .await
        .expect("build");
    (app, store)
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_in(dir.path());
    let auth = config.auth.open("test").expect("issuer");
    let (app, store) = app_in(dir.path(), &config).await;
    let vault = app.vault();
    let (raw, shutdown) = serve(app).await;
    TestApp {
        channel: as_subject(&raw, &auth, "alice", &Role::ALL),
        raw,
        auth,
        store,
        vault,
        _shutdown: shutdown,
        _dir: dir,
    }
}

/// Runs `app` until the returned sender is dropped; a channel to it.
pub async fn serve(app: App) -> (Channel, oneshot::Sender<()>) {
    let address = app.local_addr();
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .expect("connect");
    (channel, shutdown)
}

/// `channel` calling as `subject` with `roles`, by a token of `auth`'s issuer.
pub fn as_subject(
    channel: &Channel,
    auth: &identity::Auth,
    subject: &str,
    roles: &[Role],
) -> AuthedChannel {
    let issuer = auth.development.as_ref().expect("a development issuer");
    let mut request = TokenRequest::new(subject, Role::Admin);
    request.roles = roles.to_vec();
    identity::grpc::authed(channel.clone(), &issuer.mint(&request)).expect("a header value")
}

impl TestApp {
    /// A channel calling as `subject` with `roles` (and, for drivers, `driver_id`).
    pub fn as_user(&self, subject: &str, roles: &[Role], driver_id: Option<&str>) -> AuthedChannel {
        let issuer = self
            .auth
            .development
            .as_ref()
            .expect("a development issuer");
        let mut request = TokenRequest::new(subject, Role::Admin);
        request.roles = roles.to_vec();
        request.driver_id = driver_id.map(str::to_owned);
        identity::grpc::authed(self.raw.clone(), &issuer.mint(&request)).expect("a header value")
    }

    pub fn customers(&self) -> CustomerCommandsClient<AuthedChannel> {
        CustomerCommandsClient::new(self.channel.clone())
    }

    pub fn fleet(&self) -> FleetCommandsClient<AuthedChannel> {
        FleetCommandsClient::new(self.channel.clone())
    }

    pub fn workshop(&self) -> WorkshopCommandsClient<AuthedChannel> {
        WorkshopCommandsClient::new(self.channel.clone())
    }

    pub fn deliveries(&self) -> DeliveryCommandsClient<AuthedChannel> {
        DeliveryCommandsClient::new(self.channel.clone())
    }

    pub fn events(&self) -> EventStreamClient<AuthedChannel> {
        EventStreamClient::new(self.channel.clone())
    }

    pub async fn all_events(&self) -> Vec<EventEnvelope> {
        self.store.read_all(0, 10_000).await.expect("read_all")
    }

    /// Registers a new customer (as [`customer`] describes it); its id.
    pub async fn registered_customer(&self) -> String {
        let id = new_id();
        self.customers()
            .register_customer(customer(&id))
            .await
            .expect("registered");
        id
    }

    /// The event stream after `after_position`, of `aggregate_types` (all when empty).
    pub async fn subscribe(
        &self,
        after_position: u64,
        aggregate_types: &[&str],
    ) -> Result<Streaming<WireEnvelope>, tonic::Status> {
        let request = SubscribeRequest {
            after_position,
            aggregate_types: aggregate_types.iter().map(|t| t.to_string()).collect(),
        };
        Ok(self.events().subscribe(request).await?.into_inner())
    }
}

/// The next event of a subscription, which must come within 10 s.
pub async fn next_event(stream: &mut Streaming<WireEnvelope>) -> WireEnvelope {
    tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
        .await
        .expect("events keep coming")
        .expect("stream open")
        .expect("no error")
}

pub fn detail(status: &tonic::Status) -> ErrorDetail {
    ErrorDetail::of(status).expect("every error carries an ErrorDetail")
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn customer(id: &str) -> RegisterCustomerRequest {
    RegisterCustomerRequest {
        customer_id: id.into(),
        name: "Ada Lovelace".into(),
        address: "1 Analytical Street".into(),
        postal_code: "1000 AA".into(),
        city: "London".into(),
        telephone: "+44 20 7946 0000".into(),
        email: "ada@example.com".into(),
        idempotency_key: None,
    }
}

/// The contact of [`customer`] `id`, renamed to Ada King.
pub fn contact_update(id: &str) -> UpdateCustomerContactRequest {
    let registered = customer(id);
    UpdateCustomerContactRequest {
        customer_id: registered.customer_id,
        name: "Ada King".into(),
        address: registered.address,
        postal_code: registered.postal_code,
        city: registered.city,
        telephone: registered.telephone,
        email: registered.email,
        idempotency_key: None,
    }
}

pub fn erase(customer_id: &str) -> ErasePersonalDataRequest {
    ErasePersonalDataRequest {
        customer_id: customer_id.into(),
        idempotency_key: None,
    }
}

/// A new tire rotation on 2026-12-01 for `vehicle` in the slot `start`–`end`.
pub fn maintenance_job(vehicle: &str, start: &str, end: &str) -> PlanMaintenanceJobRequest {
    PlanMaintenanceJobRequest {
        planning_date: "2026-12-01".into(),
        job_id: new_id(),
        slot: Some(slot(start, end)),
        vehicle_license_number: vehicle.into(),
        customer_id: new_id(),
        service: MaintenanceService::TireRotation as i32,
        description: "rotate all four".into(),
        technician: None,
        idempotency_key: None,
    }
}

/// A request with the metadata a BFF would send (the token travels on the channel).
pub fn with_metadata<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let metadata = request.metadata_mut();
    metadata.insert("x-correlation-id", "corr-42".parse().unwrap());
    metadata.insert(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            .parse()
            .unwrap(),
    );
    request
}

pub fn timestamp(rfc3339: &str) -> prost_types::Timestamp {
    let at = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("test time");
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    }
}

pub fn slot(start: &str, end: &str) -> contracts::v1::Timeslot {
    contracts::v1::Timeslot {
        start: Some(timestamp(start)),
        end: Some(timestamp(end)),
    }
}

/// A Tesla with `license`, registered for `usage` (a customer's car names its `owner`).
pub fn vehicle(license: &str, usage: VehicleUsage, owner: Option<&str>) -> RegisterVehicleRequest {
    RegisterVehicleRequest {
        license_number: license.into(),
        brand: "Tesla".into(),
        model: "Model 3".into(),
        owner_customer_id: owner.map(str::to_owned),
        usage: usage as i32,
        idempotency_key: None,
    }
}
