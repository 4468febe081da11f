//! What every handler shares: the upstream clients, the scheduling guard, the token
//! verifier and config.

use std::sync::Arc;

use identity::Verifier;

use crate::config::Config;
use crate::scheduling::Scheduler;
use crate::upstream::Upstreams;
use crate::web::WebLogin;

/// Cloned into every request by axum, so it is one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub upstreams: Upstreams,
    pub scheduler: Scheduler,
    pub config: Config,
    /// Verifies the bearer token of every `/api/v1` request.
    pub verifier: Arc<Verifier>,
    /// The Redis behind the locks and tokens, when `REDIS_URL` is set (for readiness).
    pub redis: Option<deadpool_redis::Pool>,
    /// How the web app logs in (ADR 022).
    pub web: WebLogin,
    /// The last readiness answer, shared by the probes of the next second.
    pub readiness: crate::health::Readiness,
}

impl AppState {
    pub fn new(
        upstreams: Upstreams,
        scheduler: Scheduler,
        config: Config,
        verifier: Arc<Verifier>,
        redis: Option<deadpool_redis::Pool>,
        web: WebLogin,
    ) -> Self {
        AppState(Arc::new(Shared {
            upstreams,
            scheduler,
            config,
            verifier,
            redis,
            web,
            readiness: Default::default(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
