//! Building and running the query service: the read-model database, the live projector
//! runtime fed by an event source, and the gRPC API. `App::with_source` takes its
//! listener and source, so tests and the all-in-one launcher run it on port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use contracts::v1::query_server::QueryServer;
use es_core::projection::{EventSource, RetryPolicy, StatusBoard, run};
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Server};

use crate::api::service::QueryService;
use crate::config::Config;
use crate::rebuild::Rebuilds;
use crate::runtime::{GrpcEventSource, ReadModelTarget};
use crate::store::sqlite::ReadModelDb;

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
    db: ReadModelDb,
    source: Arc<dyn EventSource>,
    live: Arc<StatusBoard>,
    service: QueryService,
}

/// Opens the configured read models, binds the address, follows the command service.
pub async fn build(config: Config) -> anyhow::Result<App> {
    if let Some(dir) = config
        .read_models
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let db = ReadModelDb::open(&config.read_models, all_projections()).with_context(|| {
        format!(
            "cannot open the read models {}",
            config.read_models.display()
        )
    })?;
    let channel = Channel::from_shared(config.command_url.clone())
        .with_context(|| format!("bad command service URL {}", config.command_url))?
        .connect_lazy();
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    App::with_source(
        listener,
        db,
        Arc::new(GrpcEventSource::new(channel)),
        &config,
    )
}

impl App {
    pub fn with_source(
        listener: TcpListener,
        db: ReadModelDb,
        source: Arc<dyn EventSource>,
        config: &Config,
    ) -> anyhow::Result<App> {
        let live = Arc::new(StatusBoard::new("read-models"));
        let rebuilds = Rebuilds::new(db.clone(), source.clone(), RetryPolicy::default());
        let service = QueryService::new(
            db.clone(),
            live.clone(),
            rebuilds,
            config.consistency_timeout,
        );
        Ok(App {
            address: listener
                .local_addr()
                .context("the listener has no address")?,
            listener,
            db,
            source,
            live,
            service,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    pub fn status(&self) -> Arc<StatusBoard> {
        self.live.clone()
    }

    pub fn db(&self) -> ReadModelDb {
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
                self.live,
                RetryPolicy::default(),
                async move {
                    let _ = stopped.wait_for(|s| *s).await;
                },
            ))
        };
        let (health_reporter, health) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<QueryServer<QueryService>>()
            .await;
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(contracts::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .context("cannot build gRPC reflection")?;
        let incoming = TcpListenerStream::new(self.listener).map(|accepted| {
            accepted.and_then(|stream| {
                stream.set_nodelay(true)?;
                Ok(stream)
            })
        });
        tracing::info!(address = %self.address, "query service listening");
        let served = Server::builder()
            .add_service(health)
            .add_service(reflection)
            .add_service(QueryServer::new(self.service))
            .serve_with_incoming_shutdown(incoming, async move {
                shutdown.await;
                stop.send_replace(true);
            })
            .await;
        let _ = projecting.await;
        served.context("the query service stopped with an error")
    }
}
