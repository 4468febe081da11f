//! Building and running the command service: `build(config)` opens the store and binds
//! the listener; `App::run_until_stopped(shutdown)` serves until `shutdown` resolves.
//! Tests and the all-in-one launcher use `App::with_store` on port 0.
//!
//! Beside the event store, the service opens the key store of personal data
//! (`config.key_store`, ADR 010): its vault seals on append, opens for every event
//! stream subscriber, and erases keys on `ErasePersonalData`.
//!
//! With `KAFKA_BROKERS` set it also runs the relay (ADR 012), which tails the store and
//! publishes every event to Kafka; its checkpoint lives beside the store (`relay.db`
//! beside a SQLite file, `relay_checkpoints` in MongoDB). The gRPC health service
//! reports it as `pitlane.Relay`: serving while it publishes or waits, not serving
//! while Kafka (or the store) fails and it retries.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use contracts::v1::audit_server::AuditServer;
use contracts::v1::customer_commands_server::CustomerCommandsServer;
use contracts::v1::delivery_commands_server::DeliveryCommandsServer;
use contracts::v1::event_stream_server::EventStreamServer;
use contracts::v1::fleet_commands_server::FleetCommandsServer;
use contracts::v1::workshop_commands_server::WorkshopCommandsServer;
use es_core::heads::{HeadSigner, HeadWitness};

use crate::append_health::AppendHealth;
use es_core::kafka::{
    HeadsTopic, KafkaConfig, Relay, RelayCheckpoint, RelayConfig, RelayState, RelayStatusBoard,
    SqliteRelayCheckpoint, TopicMap, TopicSettings,
};
use es_core::mongo::{MongoKeyStore, MongoRelayCheckpoint};
use es_core::vault::DEFAULT_KEY_CACHE;
use es_core::{EventStore, MongoEventStore, SnapshotPolicy, SqliteEventStore, Vault};
use identity::AuthLayer;
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::server::NamedService;
use tonic::transport::Server;
use tonic::transport::server::Router;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower::layer::util::Stack;

use crate::audit::AuditService;
use crate::bus::CommandBus;
use crate::config::{Config, KafkaSettings, KeyStoreLocation, StoreLocation};
use crate::event_stream::EventStreamService;
use crate::{customers, deliveries, fleet, workshop};

/// The tonic router behind the authentication layer.
type AuthedRouter =
    Router<Stack<AuthLayer, Stack<identity::ObserveLayer, tower::layer::util::Identity>>>;

pub struct App {
    address: SocketAddr,
    listener: TcpListener,
    router: AuthedRouter,
    store: Arc<dyn EventStore>,
    vault: Arc<Vault>,
    health: HealthReporter,
    relay: Option<Relay>,
    /// Signs the log's head as it grows (issue 13; `es_core::heads`).
    heads: HeadSigner,
    /// Whether the store takes appends, reported under `EVENT_STORE_HEALTH`.
    append_health: Arc<AppendHealth>,
    /// Told `true` when the service stops: ends server streams (subscriptions) and the
    /// relay.
    stop: tokio::sync::watch::Sender<bool>,
}

pub use contracts::{EVENT_STORE_HEALTH, RELAY_HEALTH};

/// Creates the folder a store file goes in, if it has one and it is missing.
fn create_parent_dir(path: &std::path::Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        es_core::files::create_private_dir_all(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}

/// Opens the configured key store (creating its folder if needed).
pub fn open_vault(location: &KeyStoreLocation) -> anyhow::Result<Arc<Vault>> {
    match location {
        KeyStoreLocation::Sqlite(path) => {
            create_parent_dir(path)?;
            let vault = Vault::open_sqlite(path)
                .with_context(|| format!("cannot open the key store {}", path.display()))?;
            Ok(Arc::new(vault))
        }
        KeyStoreLocation::InMemory => Ok(Arc::new(Vault::in_memory())),
        KeyStoreLocation::BesideMongo => {
            anyhow::bail!("the key store beside MongoDB opens with the MongoDB event store")
        }
    }
}

/// The event store, its key store and the relay's checkpoint, as configured.
struct Opened {
    store: Arc<dyn EventStore>,
    vault: Arc<Vault>,
    checkpoint: Arc<dyn RelayCheckpoint>,
}

async fn open_stores(config: &Config) -> anyhow::Result<Opened> {
    match &config.store {
        StoreLocation::Sqlite(path) => {
            create_parent_dir(path)?;
            let store = SqliteEventStore::open(path)
                .with_context(|| format!("cannot open the event store {}", path.display()))?;
            let relay_file = path.with_file_name("relay.db");
            let checkpoint = SqliteRelayCheckpoint::open(&relay_file).with_context(|| {
                format!("cannot open the relay checkpoint {}", relay_file.display())
            })?;
            Ok(Opened {
                store: Arc::new(store),
                vault: open_vault(&config.key_store)?,
                checkpoint: Arc::new(checkpoint),
            })
        }
        StoreLocation::Mongo { url, database } => {
            // Retries an unreachable server with backoff, then fails naming the URL
            // (password masked): the orchestrator restarts the service, visibly.
            let store = MongoEventStore::connect(url, database).await?;
            let vault = match &config.key_store {
                KeyStoreLocation::BesideMongo => Arc::new(Vault::new(
                    Arc::new(MongoKeyStore::beside(&store)),
                    DEFAULT_KEY_CACHE,
                )),
                other => open_vault(other)?,
            };
            let checkpoint = MongoRelayCheckpoint::beside(&store);
            tracing::info!(%database, "events in MongoDB");
            Ok(Opened {
                store: Arc::new(store),
                vault,
                checkpoint: Arc::new(checkpoint),
            })
        }
    }
}

/// The relay for `settings`: every aggregate type routed to its context's topic
/// (`contracts::topics`); an unknown type stops it rather than being skipped.
pub fn relay(
    store: Arc<dyn EventStore>,
    checkpoint: Arc<dyn RelayCheckpoint>,
    settings: &KafkaSettings,
) -> anyhow::Result<Relay> {
    let topics = contracts::topics::routes(&settings.topic_prefix)
        .into_iter()
        .fold(TopicMap::new(), |map, (aggregate_type, topic)| {
            map.route(aggregate_type, topic)
        });
    let mut config = RelayConfig::new("command-service", topics);
    config.topic_settings = TopicSettings {
        partitions: settings.partitions,
        replication: settings.replication,
    };
    Relay::new(store, checkpoint, kafka_config(settings), config)
        .context("cannot create the Kafka producer of the relay")
}

fn kafka_config(settings: &KafkaSettings) -> KafkaConfig {
    settings.properties.iter().fold(
        KafkaConfig::new(settings.brokers.clone()),
        |kafka, (k, v)| kafka.with(k, v),
    )
}

/// The log's signed heads witnessed on `<prefix>.audit.heads` too (ADR 017).
fn heads_topic(settings: &KafkaSettings) -> anyhow::Result<HeadsTopic> {
    let topic = es_core::kafka::heads_topic(&settings.topic_prefix);
    HeadsTopic::new(kafka_config(settings), topic, settings.replication)
        .context("cannot create the Kafka producer of the log heads")
}

/// Opens the configured stores, binds the configured address, and prepares the relay
/// when Kafka is configured.
pub async fn build(config: Config) -> anyhow::Result<App> {
    let opened = open_stores(&config).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let kafka = match &config.kafka {
        Some(settings) => Some((
            relay(opened.store.clone(), opened.checkpoint, settings)?,
            heads_topic(settings)?,
        )),
        None => None,
    };
    let app = App::with_store_and_vault(listener, opened.store, opened.vault, &config).await?;
    Ok(match kafka {
        Some((relay, heads)) => app
            .with_relay(relay)
            .await
            .witnessing_heads(Arc::new(heads)),
        None => app,
    })
}

impl App {
    /// The service on an already-bound listener and an already-open store; the key
    /// store is opened from `config.key_store`.
    pub async fn with_store(
        listener: TcpListener,
        store: Arc<dyn EventStore>,
        config: &Config,
    ) -> anyhow::Result<App> {
        let vault = open_vault(&config.key_store)?;
        Self::with_store_and_vault(listener, store, vault, config).await
    }

    /// The service on an already-bound listener, an open store and its vault.
    pub async fn with_store_and_vault(
        listener: TcpListener,
        store: Arc<dyn EventStore>,
        vault: Arc<Vault>,
        config: &Config,
    ) -> anyhow::Result<App> {
        let bus = CommandBus::new(
            store.clone(),
            SnapshotPolicy::every(config.snapshot_every),
            config.max_retries,
            config.aggregate_cache,
        )
        .with_vault(vault.clone());
        let (health_reporter, health) = tonic_health::server::health_reporter();
        for service in [
            CustomerCommandsServer::<customers::Service>::NAME,
            FleetCommandsServer::<fleet::Service>::NAME,
            WorkshopCommandsServer::<workshop::Service>::NAME,
            DeliveryCommandsServer::<deliveries::Service>::NAME,
            EventStreamServer::<EventStreamService>::NAME,
            AuditServer::<AuditService>::NAME,
            EVENT_STORE_HEALTH,
        ] {
            health_reporter
                .set_service_status(service, ServingStatus::Serving)
                .await;
        }
        let append_health = bus.append_health();
        let auth = config
            .auth
            .open("command-service")
            .context("cannot open the token issuer's keys")?;
        let mut server = Server::builder();
        let address = listener
            .local_addr()
            .context("the listener has no address")?;
        if let Some(tls) = config.tls.server(address)? {
            server = server
                .tls_config(tls)
                .context("invalid TLS configuration")?;
        }
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let (reflection, reflection_v1alpha) = contracts::reflection::services(
            &contracts::reflection::COMMAND_PORT,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
        )
        .context("cannot build gRPC reflection")?;
        let router = server
            .layer(identity::ObserveLayer)
            .layer(AuthLayer::new(auth.verifier.clone(), crate::access::policy))
            .add_service(health)
            .add_service(reflection)
            .add_service(reflection_v1alpha)
            .add_service(CustomerCommandsServer::new(customers::Service::new(
                bus.clone(),
            )))
            .add_service(FleetCommandsServer::new(fleet::Service::new(bus.clone())))
            .add_service(WorkshopCommandsServer::new(workshop::Service::new(
                bus.clone(),
            )))
            .add_service(DeliveryCommandsServer::new(deliveries::Service::new(bus)))
            .add_service(EventStreamServer::new(
                EventStreamService::new(store.clone(), Some(vault.clone())).until(stopping.clone()),
            ))
            .add_service(AuditServer::new(
                AuditService::new(store.clone(), vault.clone())
                    .with_heads(config.heads.clone())
                    .until(stopping),
            ));
        let heads = HeadSigner::open(store.clone(), config.heads.clone()).with_context(|| {
            format!(
                "cannot open the log heads' signing key {}",
                config.heads.key.display()
            )
        })?;
        Ok(App {
            address,
            listener,
            router,
            store,
            vault,
            health: health_reporter,
            relay: None,
            heads,
            append_health,
            stop,
        })
    }

    /// Runs `relay` beside the service (started by [`App::run_until_stopped`]).
    pub async fn with_relay(mut self, relay: Relay) -> Self {
        self.health
            .set_service_status(RELAY_HEALTH, ServingStatus::NotServing)
            .await;
        self.relay = Some(relay);
        self
    }

    /// Also witnesses the log's signed heads with `witness` (besides the file).
    pub fn witnessing_heads(mut self, witness: Arc<dyn HeadWitness>) -> Self {
        self.heads = self.heads.also_to(witness);
        self
    }

    /// The relay's status board, when it runs.
    pub fn relay_status(&self) -> Option<Arc<RelayStatusBoard>> {
        self.relay.as_ref().map(Relay::status)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn store(&self) -> Arc<dyn EventStore> {
        self.store.clone()
    }

    /// The vault of personal data (its keys outside the event store).
    pub fn vault(&self) -> Arc<Vault> {
        self.vault.clone()
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        tracing::info!(address = %self.local_addr(), "command service listening");
        let stop = self.stop;
        let stopped = stop.subscribe();
        let signing = {
            let mut stopped = stopped.clone();
            tokio::spawn(self.heads.run(async move {
                let _ = stopped.wait_for(|s| *s).await;
            }))
        };
        tokio::spawn(report_store_health(
            self.append_health,
            self.health.clone(),
            stopped.clone(),
        ));
        let relaying = self.relay.map(|relay| {
            let status = relay.status();
            tokio::spawn(report_relay_health(status, self.health, stopped.clone()));
            let mut stopped = stopped;
            tokio::spawn(relay.run(async move {
                let _ = stopped.wait_for(|s| *s).await;
            }))
        });
        // Small request/response frames: never wait for Nagle's algorithm.
        let incoming = TcpListenerStream::new(self.listener).map(|accepted| {
            accepted.and_then(|stream| {
                stream.set_nodelay(true)?;
                Ok(stream)
            })
        });
        let served = self
            .router
            .serve_with_incoming_shutdown(incoming, async move {
                shutdown.await;
                stop.send_replace(true);
            })
            .await;
        if let Some(relaying) = relaying {
            let _ = relaying.await;
        }
        // The last head covers every write the service acknowledged.
        let _ = signing.await;
        served.context("the command service stopped with an error")
    }
}

/// Keeps the event store's gRPC health status in step with its latest appends, once a
/// second, and says so in the log when it changes.
async fn report_store_health(
    appends: Arc<AppendHealth>,
    health: HealthReporter,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut reported = ServingStatus::Serving;
    loop {
        let failing = appends.failing();
        let serving = match &failing {
            None => ServingStatus::Serving,
            Some(_) => ServingStatus::NotServing,
        };
        if serving != reported {
            match &failing {
                Some(reason) => {
                    tracing::error!(%reason, "the event store does not take appends; not ready")
                }
                None => tracing::info!("the event store takes appends again; ready"),
            }
            health.set_service_status(EVENT_STORE_HEALTH, serving).await;
            reported = serving;
        }
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}

/// Keeps the relay's gRPC health status in step with its state, once a second.
async fn report_relay_health(
    status: Arc<RelayStatusBoard>,
    health: HealthReporter,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut reported = None;
    loop {
        let serving = match status.snapshot().state {
            RelayState::Running => ServingStatus::Serving,
            RelayState::Starting | RelayState::Retrying | RelayState::Stopped => {
                ServingStatus::NotServing
            }
        };
        if reported != Some(serving) {
            health.set_service_status(RELAY_HEALTH, serving).await;
            reported = Some(serving);
        }
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}
