//! Building and running the command service: `build(config)` opens the store and binds
//! the listener; `App::run_until_stopped(shutdown)` serves until `shutdown` resolves.
//! Tests and the all-in-one launcher use `App::with_store` on port 0.
//!
//! Beside the event store, the service opens the key store of personal data
//! (`config.key_store`, ADR 010): its vault seals on append, opens for every event
//! stream subscriber, and erases keys on `ErasePersonalData`.

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
use es_core::{EventStore, SnapshotPolicy, SqliteEventStore, Vault};
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;
use tonic::transport::server::Router;

use crate::audit::AuditService;
use crate::bus::CommandBus;
use crate::config::{Config, KeyStoreLocation, StoreLocation};
use crate::event_stream::EventStreamService;
use crate::{customers, deliveries, fleet, workshop};

pub struct App {
    address: SocketAddr,
    listener: TcpListener,
    router: Router,
    store: Arc<dyn EventStore>,
    vault: Arc<Vault>,
}

/// Opens the configured key store (creating its folder if needed).
pub fn open_vault(location: &KeyStoreLocation) -> anyhow::Result<Arc<Vault>> {
    match location {
        KeyStoreLocation::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let vault = Vault::open_sqlite(path)
                .with_context(|| format!("cannot open the key store {}", path.display()))?;
            Ok(Arc::new(vault))
        }
        KeyStoreLocation::InMemory => Ok(Arc::new(Vault::in_memory())),
    }
}

/// Opens the configured store and binds the configured address.
pub async fn build(config: Config) -> anyhow::Result<App> {
    let store: Arc<dyn EventStore> = match &config.store {
        StoreLocation::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            Arc::new(
                SqliteEventStore::open(path)
                    .with_context(|| format!("cannot open the event store {}", path.display()))?,
            )
        }
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    App::with_store(listener, store, &config).await
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
        let bus = CommandBus::new(
            store.clone(),
            SnapshotPolicy::every(config.snapshot_every),
            config.max_retries,
            config.aggregate_cache,
        )
        .with_vault(vault.clone());
        let (health_reporter, health) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<CustomerCommandsServer<customers::Service>>()
            .await;
        health_reporter
            .set_serving::<FleetCommandsServer<fleet::Service>>()
            .await;
        health_reporter
            .set_serving::<WorkshopCommandsServer<workshop::Service>>()
            .await;
        health_reporter
            .set_serving::<DeliveryCommandsServer<deliveries::Service>>()
            .await;
        health_reporter
            .set_serving::<EventStreamServer<EventStreamService>>()
            .await;
        health_reporter
            .set_serving::<AuditServer<AuditService>>()
            .await;
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(contracts::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .context("cannot build gRPC reflection")?;
        let router = Server::builder()
            .add_service(health)
            .add_service(reflection)
            .add_service(CustomerCommandsServer::new(customers::Service::new(
                bus.clone(),
            )))
            .add_service(FleetCommandsServer::new(fleet::Service::new(bus.clone())))
            .add_service(WorkshopCommandsServer::new(workshop::Service::new(
                bus.clone(),
            )))
            .add_service(DeliveryCommandsServer::new(deliveries::Service::new(bus)))
            .add_service(EventStreamServer::new(EventStreamService::new(
                store.clone(),
                Some(vault.clone()),
            )))
            .add_service(AuditServer::new(AuditService::new(
                store.clone(),
                vault.clone(),
            )));
        Ok(App {
            address: listener
                .local_addr()
                .context("the listener has no address")?,
            listener,
            router,
            store,
            vault,
        })
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
        // Small request/response frames: never wait for Nagle's algorithm.
        let incoming = TcpListenerStream::new(self.listener).map(|accepted| {
            accepted.and_then(|stream| {
                stream.set_nodelay(true)?;
                Ok(stream)
            })
        });
        self.router
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await
            .context("the command service stopped with an error")
    }
}
