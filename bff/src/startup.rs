//! Building and running the BFF: `build(config)` binds (port 0 in tests), opens the
//! token issuer's keys and connects lazily to the upstreams and to Redis;
//! `run_until_stopped(shutdown)` serves until told to stop.
//!
//! Lazily on purpose: a Redis or an upstream that is down at start does not stop the
//! BFF; `/health/ready` reports it down, and bookings fail closed until it is back.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use es_core::lock::redis::{DEFAULT_OPERATION_TIMEOUT, connect_pool};
use es_core::lock::{InProcessLocks, LockManager, RedisLocks};
use identity::{DevIssuer, Verifier};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::router::router;
use crate::scheduling::Scheduler;
use crate::scheduling::redis_tokens::RedisTokens;
use crate::scheduling::tokens::{InProcessTokens, TokenRegistry};
use crate::state::AppState;
use crate::upstream::Upstreams;
use crate::web::WebLogin;

/// Where scheduling locks and consistency tokens live; `redis`: the pool behind both,
/// if any, for `/health/ready`.
struct Backends {
    locks: Arc<dyn LockManager>,
    tokens: Arc<dyn TokenRegistry>,
    redis: Option<deadpool_redis::Pool>,
}

pub struct App {
    listener: TcpListener,
    state: AppState,
}

/// The BFF on the backends its configuration names: tokens verified against the
/// configured issuer (`AUTH_*`, or the development issuer of the data directory);
/// locks and tokens in Redis when `REDIS_URL` is set (shared by every instance), in
/// this process otherwise.
pub async fn build(config: Config) -> anyhow::Result<App> {
    let auth = config
        .auth
        .open("bff")
        .context("cannot open the token issuer's keys (AUTH_*, PITLANE_ISSUER_KEY)")?;
    let Some(url) = &config.redis_url else {
        let backends = Backends {
            locks: Arc::new(InProcessLocks::new()),
            tokens: Arc::new(InProcessTokens::default()),
            redis: None,
        };
        return App::assemble(config, auth.verifier, auth.development, backends).await;
    };
    let pool = connect_pool(url.as_str(), DEFAULT_OPERATION_TIMEOUT)
        .context("configuration variable REDIS_URL")?;
    let locks = Arc::new(RedisLocks::new(pool.clone()));
    let tokens = Arc::new(RedisTokens::new(pool.clone()));
    let backends = Backends {
        locks,
        tokens,
        redis: Some(pool),
    };
    App::assemble(config, auth.verifier, auth.development, backends).await
}

impl App {
    /// The BFF with the given token verifier (tests: a test issuer's), lock manager and
    /// token registry (several BFF instances must share both to exclude each other's
    /// bookings). `config.auth` is not opened.
    pub async fn with_backends(
        config: Config,
        verifier: Arc<Verifier>,
        locks: Arc<dyn LockManager>,
        tokens: Arc<dyn TokenRegistry>,
    ) -> anyhow::Result<App> {
        let backends = Backends {
            locks,
            tokens,
            redis: None,
        };
        App::assemble(config, verifier, None, backends).await
    }

    /// `development`: the development issuer, when it is the BFF's, for the web app's
    /// development login.
    async fn assemble(
        config: Config,
        verifier: Arc<Verifier>,
        development: Option<Arc<DevIssuer>>,
        Backends {
            locks,
            tokens,
            redis,
        }: Backends,
    ) -> anyhow::Result<App> {
        // `/metrics` renders this process's recorder (the launcher may have installed it).
        es_core::telemetry::install_metrics(None).map_err(anyhow::Error::msg)?;
        let listener = TcpListener::bind(config.listen).await?;
        let upstreams = Upstreams::connect(
            &config.command_url,
            &config.query_url,
            &config.upstream,
            &config.tls,
        )?;
        let scheduler = Scheduler::new(locks, tokens, config.lock_ttl, config.lock_wait);
        let web = WebLogin::new(&config, development)
            .map_err(|e| anyhow::anyhow!("cannot read or create the login secret: {e}"))?;
        let state = AppState::new(upstreams, scheduler, config, verifier, redis, web);
        Ok(App { listener, state })
    }

    /// The shared state, for router tests that call the router without a socket.
    pub fn into_state(self) -> AppState {
        self.state
    }

    /// The web app's address, with the development login's secret when it has one.
    pub fn app_url(&self) -> String {
        self.state.web.app_url(self.local_addr())
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
