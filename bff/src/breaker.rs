//! A circuit breaker per upstream, from `tower-resilience-circuitbreaker`: it opens
//! when at least half the calls of the last 30 s failed (once 10 were made), rejects
//! calls for 15 s, then lets a probe through (half-open).
//!
//! The crate's breaker is a tower `Service`; gRPC calls of many types go through one
//! breaker, so the service here runs an already-built call (a boxed future) and hands
//! its output back type-erased. Only outages count as failures — a NOT_FOUND is the
//! upstream working correctly.

use std::any::Any;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tonic::{Code, Status};
use tower::Service;
use tower::util::ServiceFn;
use tower_resilience_circuitbreaker::{
    CircuitBreaker, CircuitBreakerLayer, CircuitState, SlidingWindowType, circuit_breaker_builder,
};

use crate::config::UpstreamPolicy;

type Output = Box<dyn Any + Send>;
type Call = BoxFuture<'static, Result<Output, Status>>;
type Run = fn(Call) -> Call;
type Inner = CircuitBreaker<ServiceFn<Run>, Call, Output, Status>;

/// ErrorDetail-free marker for calls the open circuit refused.
pub const CIRCUIT_OPEN: &str = "circuit open";

#[derive(Clone)]
pub struct Breaker {
    // `Service::call` needs `&mut`; it only clones handles and boxes a future, so a
    // std mutex held for that instant (never across an await) serialises nothing real.
    inner: Arc<Mutex<Inner>>,
}

fn run(call: Call) -> Call {
    call
}

/// Codes that mean the upstream is down or failing, not that the request was refused.
pub fn is_outage(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable | Code::DeadlineExceeded | Code::Internal | Code::Unknown
    )
}

impl Breaker {
    pub fn new(name: &str, policy: &UpstreamPolicy) -> Self {
        let layer: CircuitBreakerLayer<Output, Status> = circuit_breaker_builder()
            .name(name.to_owned())
            .failure_rate_threshold(policy.failure_rate)
            .sliding_window_type(SlidingWindowType::TimeBased)
            .sliding_window_duration(policy.window)
            .minimum_number_of_calls(policy.minimum_calls)
            .wait_duration_in_open(policy.open_for)
            .permitted_calls_in_half_open(1)
            .failure_classifier(|result: &Result<Output, Status>| {
                matches!(result, Err(status) if is_outage(status.code()))
            })
            .build();
        Breaker {
            inner: Arc::new(Mutex::new(layer.layer(tower::service_fn(run as Run)))),
        }
    }

    /// Runs `call` through the breaker; an open circuit answers `UNAVAILABLE`
    /// ([`CIRCUIT_OPEN`]) without calling.
    pub async fn call<T, F>(&self, call: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, Status>> + Send + 'static,
    {
        let erased: Call = Box::pin(async move { call.await.map(|t| Box::new(t) as Output) });
        let future = {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            inner.call(erased)
        };
        match future.await {
            Ok(output) => output
                .downcast::<T>()
                .map(|t| *t)
                .map_err(|_| Status::internal("circuit breaker returned another type")),
            Err(error) if error.is_circuit_open() => Err(Status::unavailable(CIRCUIT_OPEN)),
            Err(error) => Err(error
                .into_inner()
                .unwrap_or_else(|| Status::unavailable("upstream call failed"))),
        }
    }

    pub fn is_open(&self) -> bool {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.state_sync() == CircuitState::Open
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn policy() -> UpstreamPolicy {
        UpstreamPolicy {
            minimum_calls: 4,
            open_for: Duration::from_millis(200),
            ..UpstreamPolicy::default()
        }
    }

    #[tokio::test]
    async fn the_circuit_opens_at_half_failures_and_then_refuses_without_calling() {
        let breaker = Breaker::new("test", &policy());
        for _ in 0..2 {
            breaker.call(async { Ok::<_, Status>(1) }).await.unwrap();
            let _ = breaker
                .call(async { Err::<u8, _>(Status::unavailable("down")) })
                .await;
        }
        assert!(breaker.is_open());
        let called = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = called.clone();
        let refused = breaker
            .call(async move {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok::<_, Status>(2)
            })
            .await
            .unwrap_err();
        assert_eq!(refused.message(), CIRCUIT_OPEN);
        assert!(!called.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[tokio::test]
    async fn refusals_by_a_working_upstream_do_not_open_the_circuit() {
        let breaker = Breaker::new("test", &policy());
        for _ in 0..10 {
            let _ = breaker
                .call(async { Err::<u8, _>(Status::not_found("no")) })
                .await;
        }
        assert!(!breaker.is_open());
    }

    #[tokio::test]
    async fn after_the_open_period_a_successful_probe_closes_the_circuit() {
        let breaker = Breaker::new("test", &policy());
        for _ in 0..4 {
            let _ = breaker
                .call(async { Err::<u8, _>(Status::unavailable("down")) })
                .await;
        }
        assert!(breaker.is_open());
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(breaker.call(async { Ok::<_, Status>(7) }).await.unwrap(), 7);
        assert!(!breaker.is_open());
    }
}
