//! Building and running the BFF: `build(config)` binds (port 0 in tests) and connects
//! lazily to the upstreams; `run_until_stopped(shutdown)` serves until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use es_core::lock::{InProcessLocks, LockManager};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::router::router;
use crate::scheduling::Scheduler;
use crate::scheduling::tokens::{InProcessTokens, TokenRegistry};
use crate::state::AppState;
use crate::upstream::Upstreams;

pub struct App {
    listener: TcpListener,
    state: AppState,
}

/// The BFF on the embedded default: in-process locks and token registry.
pub async fn build(config: Config) -> anyhow::Result<App> {
    App::with_backends(
        config,
        Arc::new(InProcessLocks::new()),
        Arc::new(InProcessTokens::default()),
    )
    .await
}

impl App {
    /// The BFF with the given lock manager and token registry (several BFF instances
    /// must share both to exclude each other's bookings).
    pub async fn with_backends(
        config: Config,
        locks: Arc<dyn LockManager>,
        tokens: Arc<dyn TokenRegistry>,
    ) -> anyhow::Result<App> {
        let listener = TcpListener::bind(config.listen).await?;
        let upstreams =
            Upstreams::connect(&config.command_url, &config.query_url, &config.upstream)?;
        let scheduler = Scheduler::new(locks, tokens, config.lock_ttl, config.lock_wait);
        let state = AppState::new(upstreams, scheduler, config);
        Ok(App { listener, state })
    }

    /// The shared state, for router tests that call the router without a socket.
    pub fn into_state(self) -> AppState {
        self.state
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}
