//! A circuit breaker per upstream: it opens when at least half the calls of the last
//! 30 s failed (once 10 were made), refuses calls for 15 s, then lets one probe
//! through (half-open): a success closes it, a failure opens it again.
//!
//! Why not a crate: `tower-resilience-circuitbreaker` has exactly these semantics, but
//! its time-based window keeps every call of the window and scans them all on every
//! call; at 5,000 calls/s that was 4 % of the platform's CPU in `bench rest`, growing
//! with the rate. Here the window is 30 one-second buckets: O(1) per call, fixed memory.
//! Only outages count as failures — a NOT_FOUND is the upstream working correctly.

use es_core::telemetry::names;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tonic::{Code, Status};

use crate::config::UpstreamPolicy;

/// The message of the `UNAVAILABLE` an open circuit answers without calling.
pub const CIRCUIT_OPEN: &str = "circuit open";

const BUCKETS: usize = 30;

/// Codes that mean the upstream is down or failing, not that the request was refused.
pub fn is_outage(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable | Code::DeadlineExceeded | Code::Internal | Code::Unknown
    )
}

/// The values of the breaker's gauge.
const CLOSED: f64 = 0.0;
const HALF_OPEN: f64 = 1.0;
const OPEN: f64 = 2.0;

pub struct Breaker {
    policy: Policy,
    started: Instant,
    state: Mutex<State>,
    /// Its circuit's state, as `/metrics` shows it: 0 closed, 1 half-open, 2 open.
    gauge: metrics::Gauge,
}

#[derive(Debug, Clone, Copy)]
struct Policy {
    failure_rate: f64,
    minimum_calls: u64,
    bucket: Duration,
    open_for: Duration,
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    /// Which bucket-length tick since `started` this bucket counts.
    tick: u64,
    calls: u64,
    failures: u64,
}

#[derive(Debug)]
enum Circuit {
    Closed,
    Open {
        until: Instant,
    },
    /// One probe is in flight; everyone else is refused until it answers.
    HalfOpen,
}

#[derive(Debug)]
struct State {
    circuit: Circuit,
    buckets: [Bucket; BUCKETS],
}

/// What a caller may do now.
enum Permit {
    Call,
    Probe,
    Refused,
}

impl Breaker {
    /// The breaker of the upstream `name` (the label of its gauge).
    pub fn new(name: &'static str, policy: &UpstreamPolicy) -> Self {
        let gauge = metrics::gauge!(names::BREAKER_STATE, "upstream" => name);
        gauge.set(CLOSED);
        Breaker {
            gauge,
            policy: Policy {
                failure_rate: policy.failure_rate,
                minimum_calls: policy.minimum_calls as u64,
                bucket: (policy.window / BUCKETS as u32).max(Duration::from_millis(1)),
                open_for: policy.open_for,
            },
            started: Instant::now(),
            state: Mutex::new(State {
                circuit: Circuit::Closed,
                buckets: [Bucket::default(); BUCKETS],
            }),
        }
    }

    /// Runs `call` unless the circuit is open, and records how it went.
    pub async fn call<T>(
        &self,
        call: impl Future<Output = Result<T, Status>>,
    ) -> Result<T, Status> {
        let probe = match self.permit() {
            Permit::Refused => return Err(Status::unavailable(CIRCUIT_OPEN)),
            Permit::Probe => true,
            Permit::Call => false,
        };
        let result = call.await;
        let failed = matches!(&result, Err(status) if is_outage(status.code()));
        self.record(failed, probe);
        result
    }

    pub fn is_open(&self) -> bool {
        matches!(self.lock().circuit, Circuit::Open { until } if Instant::now() < until)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Never held across an await; a panic while held cannot leave it inconsistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn permit(&self) -> Permit {
        let mut state = self.lock();
        match state.circuit {
            Circuit::Closed => Permit::Call,
            Circuit::HalfOpen => Permit::Refused,
            Circuit::Open { until } if Instant::now() < until => Permit::Refused,
            Circuit::Open { .. } => {
                state.circuit = Circuit::HalfOpen;
                self.gauge.set(HALF_OPEN);
                Permit::Probe
            }
        }
    }

    fn record(&self, failed: bool, probe: bool) {
        let tick = (self.started.elapsed().as_nanos() / self.policy.bucket.as_nanos()) as u64;
        let mut state = self.lock();
        if probe {
            state.circuit = if failed {
                self.open(&mut state)
            } else {
                state.buckets = [Bucket::default(); BUCKETS];
                self.gauge.set(CLOSED);
                Circuit::Closed
            };
            return;
        }
        let bucket = &mut state.buckets[(tick % BUCKETS as u64) as usize];
        if bucket.tick != tick {
            *bucket = Bucket {
                tick,
                calls: 0,
                failures: 0,
            };
        }
        bucket.calls += 1;
        bucket.failures += u64::from(failed);
        if !failed || !matches!(state.circuit, Circuit::Closed) {
            return;
        }
        let (calls, failures) = state
            .buckets
            .iter()
            .filter(|b| b.tick + BUCKETS as u64 > tick)
            .fold((0, 0), |(c, f), b| (c + b.calls, f + b.failures));
        if calls >= self.policy.minimum_calls
            && failures as f64 >= self.policy.failure_rate * calls as f64
        {
            state.circuit = self.open(&mut state);
        }
    }

    fn open(&self, state: &mut State) -> Circuit {
        state.buckets = [Bucket::default(); BUCKETS];
        tracing::warn!(open_for = ?self.policy.open_for, "upstream failing: circuit opened");
        self.gauge.set(OPEN);
        Circuit::Open {
            until: Instant::now() + self.policy.open_for,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    fn breaker(minimum_calls: usize) -> Breaker {
        Breaker::new(
            "test",
            &UpstreamPolicy {
                minimum_calls,
                open_for: Duration::from_millis(200),
                ..UpstreamPolicy::default()
            },
        )
    }

    async fn fail(breaker: &Breaker) {
        let _ = breaker
            .call(async { Err::<u8, _>(Status::unavailable("down")) })
            .await;
    }

    #[tokio::test]
    async fn the_circuit_opens_at_half_failures_and_then_refuses_without_calling() {
        let breaker = breaker(4);
        for _ in 0..2 {
            breaker.call(async { Ok::<_, Status>(1) }).await.unwrap();
            fail(&breaker).await;
        }
        assert!(breaker.is_open());
        let called = AtomicBool::new(false);
        let refused = breaker
            .call(async {
                called.store(true, Ordering::SeqCst);
                Ok::<_, Status>(2)
            })
            .await
            .unwrap_err();
        assert_eq!(refused.message(), CIRCUIT_OPEN);
        assert!(!called.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn fewer_calls_than_the_minimum_never_open_the_circuit() {
        let breaker = breaker(10);
        for _ in 0..9 {
            fail(&breaker).await;
        }
        assert!(!breaker.is_open());
        fail(&breaker).await;
        assert!(breaker.is_open());
    }

    #[tokio::test]
    async fn refusals_by_a_working_upstream_do_not_open_the_circuit() {
        let breaker = breaker(4);
        for _ in 0..10 {
            let _ = breaker
                .call(async { Err::<u8, _>(Status::not_found("no")) })
                .await;
        }
        assert!(!breaker.is_open());
    }

    #[tokio::test]
    async fn after_the_open_period_one_probe_goes_through_and_its_success_closes_the_circuit() {
        let breaker = breaker(4);
        for _ in 0..4 {
            fail(&breaker).await;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let probe = breaker.call(async {
            let _ = released.await;
            Ok::<_, Status>(7)
        });
        let second = async {
            // While the probe is in flight, others are refused.
            let refused = breaker
                .call(async { Ok::<_, Status>(8) })
                .await
                .unwrap_err();
            assert_eq!(refused.message(), CIRCUIT_OPEN);
            let _ = release.send(());
        };
        let (probed, ()) = tokio::join!(probe, second);
        assert_eq!(probed.unwrap(), 7);
        assert!(!breaker.is_open());
        assert_eq!(breaker.call(async { Ok::<_, Status>(9) }).await.unwrap(), 9);
    }

    #[tokio::test]
    async fn a_failed_probe_opens_the_circuit_again() {
        let breaker = breaker(4);
        for _ in 0..4 {
            fail(&breaker).await;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        fail(&breaker).await;
        assert!(breaker.is_open());
    }
}
