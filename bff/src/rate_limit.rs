//! Rate limit per client IP (default 100 requests per 10 s) with `governor`'s GCRA:
//! a client may burst its whole allowance, then gets one more request every
//! `period / requests`. Over the limit: 429 problem with `Retry-After`.
//!
//! The key is the TCP peer address. Behind a proxy every client shares the proxy's
//! address; put the limit in the proxy then, or switch it off here.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimit;
use crate::problem::{ApiError, ProblemKind};

#[derive(Clone)]
pub struct Limiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Limiter {
    pub fn new(limit: RateLimit) -> Self {
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
        Limiter { limiter }
    }

    /// `Err(seconds to wait)` when `client` is over its allowance.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

pub async fn middleware(State(limiter): State<Limiter>, request: Request, next: Next) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    match limiter.check(client) {
        Ok(()) => next.run(request).await,
        Err(seconds) => ApiError::new(
            ProblemKind::RateLimited,
            "too many requests from this address; slow down",
        )
        .with_retry_after(seconds.max(1))
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_client_over_its_allowance_is_told_how_long_to_wait_and_others_are_not() {
        let limiter = Limiter::new(RateLimit {
            requests: 3,
            per: Duration::from_secs(30),
        });
        let alice = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let bob = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        for _ in 0..3 {
            assert_eq!(limiter.check(alice), Ok(()));
        }
        let wait = limiter.check(alice).unwrap_err();
        assert!(
            (1..=10).contains(&wait),
            "waits one period of 10 s, got {wait}"
        );
        assert_eq!(limiter.check(bob), Ok(()));
    }
}
