//! Rate limit (default 100 requests per 10 s) with `governor`'s GCRA: a client may
//! burst its whole allowance, then gets one more request every `period / requests`.
//! Over the limit: 429 problem with `Retry-After`.
//!
//! Who "a client" is: the token's subject when the request's token was verified
//! (`auth::authenticate` runs first), so colleagues behind one NAT do not share an
//! allowance; otherwise its address ([`crate::client_ip`]: the TCP peer, or what a
//! trusted proxy forwarded), so a flood without valid tokens is limited per address.
//! Probes and documentation (`/health/*`, `/metrics`, `/docs`, `/api/openapi.json`)
//! are never limited: an orchestrator must not see a busy BFF as a dead one. Of the
//! web app's routes, only `POST /app/dev-login` is limited (it mints tokens; see
//! [`crate::web::routes`]).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::Authentication;
use crate::client_ip::client_ip;
use crate::config::RateLimit;
use crate::problem::{ApiError, ProblemKind};

/// Whose allowance a request draws on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Client {
    Subject(String),
    Address(IpAddr),
}

#[derive(Clone)]
pub struct Limiter {
    limiter: Arc<DefaultKeyedRateLimiter<Client>>,
    trusted_proxies: Arc<[IpAddr]>,
}

/// Paths never limited.
fn exempt(path: &str) -> bool {
    path.starts_with("/health/")
        || path == "/metrics"
        || path == "/docs"
        || path.starts_with("/docs/")
        || path == "/api/openapi.json"
}

impl Limiter {
    pub fn new(limit: RateLimit, trusted_proxies: &[IpAddr]) -> Self {
        let burst = NonZeroU32::new(limit.requests).unwrap_or(NonZeroU32::MIN);
        let period = limit.per / burst.get();
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst);
        let limiter = Arc::new(RateLimiter::keyed(quota));
        // Forget idle clients now and then, so the table does not grow forever.
        let weak = Arc::downgrade(&limiter);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(limit.per.max(std::time::Duration::from_secs(1)));
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(limiter) => limiter.retain_recent(),
                    None => break,
                }
            }
        });
        Limiter {
            limiter,
            trusted_proxies: trusted_proxies.into(),
        }
    }

    /// `Err(seconds to wait)` when `client` is over its allowance.
    pub fn check(&self, client: &Client) -> Result<(), u64> {
        self.limiter.check_key(client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Whose allowance `request` draws on.
    pub fn client_of(&self, request: &Request) -> Client {
        if let Some(Authentication(Ok(identity))) = request.extensions().get::<Authentication>() {
            return Client::Subject(identity.subject.clone());
        }
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        Client::Address(client_ip(peer, request.headers(), &self.trusted_proxies))
    }
}

pub async fn middleware(State(limiter): State<Limiter>, request: Request, next: Next) -> Response {
    if exempt(request.uri().path()) {
        return next.run(request).await;
    }
    let client = limiter.client_of(&request);
    match limiter.check(&client) {
        Ok(()) => next.run(request).await,
        Err(seconds) => {
            metrics::counter!(es_core::telemetry::names::RATE_LIMITED).increment(1);
            let who = match client {
                Client::Subject(_) => "this subject",
                Client::Address(_) => "this address",
            };
            ApiError::new(
                ProblemKind::RateLimited,
                format!("too many requests from {who}; slow down"),
            )
            .with_retry_after(seconds.max(1))
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests;
