//! The gRPC upstreams (command and query services) and the one path every call takes
//! to them: circuit breaker → per-attempt timeout → retries with exponential backoff
//! and jitter for idempotent calls that met `UNAVAILABLE` or `DEADLINE_EXCEEDED`.

use es_core::telemetry::names;
use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use contracts::v1::audit_client::AuditClient;
use contracts::v1::customer_commands_client::CustomerCommandsClient;
use contracts::v1::delivery_commands_client::DeliveryCommandsClient;
use contracts::v1::event_stream_client::EventStreamClient;
use contracts::v1::fleet_commands_client::FleetCommandsClient;
use contracts::v1::query_client::QueryClient;
use contracts::v1::workshop_commands_client::WorkshopCommandsClient;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use crate::breaker::{Breaker, CIRCUIT_OPEN};
use crate::config::UpstreamPolicy;
use crate::problem::{ApiError, ProblemKind};

/// One upstream service: its channel, breaker and policy.
pub struct Upstream {
    pub name: &'static str,
    pub channel: Channel,
    breaker: Breaker,
    policy: UpstreamPolicy,
}

/// Whether a failed call may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reads, and commands carrying an idempotency key.
    Idempotent,
    Never,
}

impl Upstream {
    /// Connects lazily: the BFF starts (and reports not-ready) while an upstream is down.
    pub fn connect(
        name: &'static str,
        url: &str,
        policy: &UpstreamPolicy,
        tls: &identity::tls::TlsSettings,
    ) -> anyhow::Result<Self> {
        let mut endpoint = Endpoint::from_shared(url.to_owned())?;
        if let Some(tls) = tls.client(url)? {
            endpoint = endpoint.tls_config(tls)?;
        }
        let channel = endpoint
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5))
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_while_idle(true)
            .connect_lazy();
        Ok(Upstream {
            name,
            channel,
            breaker: Breaker::new(name, policy),
            policy: policy.clone(),
        })
    }

    /// Sends one call built by `attempt` (once per try) under the upstream's policy.
    pub async fn call<T, F, Fut>(&self, retry: Retry, attempt: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>> + Send + 'static,
    {
        let timeout = self.policy.timeout;
        let once = || {
            let call = attempt();
            self.breaker.call(async move {
                match tokio::time::timeout(timeout, call).await {
                    Ok(result) => result.map(tonic::Response::into_inner),
                    Err(_) => Err(Status::deadline_exceeded(
                        "the upstream did not answer in time",
                    )),
                }
            })
        };
        let result = match retry {
            Retry::Never => once().await,
            Retry::Idempotent => {
                let backoff = ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(50))
                    .with_max_delay(Duration::from_secs(2))
                    .with_jitter()
                    .with_max_times(self.policy.retries);
                once.retry(backoff)
                    .when(is_transient)
                    .notify(|_, _| {
                        metrics::counter!(names::UPSTREAM_RETRIES, "upstream" => self.name)
                            .increment(1);
                    })
                    .await
            }
        };
        result.map_err(|status| self.problem(status))
    }

    fn problem(&self, status: Status) -> ApiError {
        if status.code() == Code::Unavailable && status.message() == CIRCUIT_OPEN {
            return ApiError::new(
                ProblemKind::UpstreamUnavailable,
                format!("the {} service is failing; calls are paused", self.name),
            )
            .with_reason("circuit_open")
            .with_retry_after(self.policy.open_for.as_secs().max(1));
        }
        ApiError::from(status)
    }

    pub fn circuit_open(&self) -> bool {
        self.breaker.is_open()
    }
}

fn is_transient(status: &Status) -> bool {
    matches!(status.code(), Code::Unavailable | Code::DeadlineExceeded)
        && status.message() != CIRCUIT_OPEN
        // A consistency timeout already waited its bound; the client decides to retry.
        && !is_consistency_timeout(status)
}

fn is_consistency_timeout(status: &Status) -> bool {
    contracts::errors::ErrorDetail::of(status)
        .is_some_and(|detail| detail.reason == "consistency_timeout")
}

/// Both upstreams and a client of every gRPC service on them.
pub struct Upstreams {
    pub command: Upstream,
    pub query: Upstream,
    pub customers: CustomerCommandsClient<Channel>,
    pub fleet: FleetCommandsClient<Channel>,
    pub workshop: WorkshopCommandsClient<Channel>,
    pub deliveries: DeliveryCommandsClient<Channel>,
    /// The command service's read-only audit RPCs (the log itself, not a read model).
    pub audit: AuditClient<Channel>,
    /// The log's head and the disk its store takes (operators' status).
    pub log: EventStreamClient<Channel>,
    pub reads: QueryClient<Channel>,
}

impl Upstreams {
    pub fn connect(
        command_url: &str,
        query_url: &str,
        policy: &UpstreamPolicy,
        tls: &identity::tls::TlsSettings,
    ) -> anyhow::Result<Self> {
        let command = Upstream::connect("command", command_url, policy, tls)?;
        let query = Upstream::connect("query", query_url, policy, tls)?;
        Ok(Upstreams {
            customers: CustomerCommandsClient::new(command.channel.clone()),
            fleet: FleetCommandsClient::new(command.channel.clone()),
            workshop: WorkshopCommandsClient::new(command.channel.clone()),
            deliveries: DeliveryCommandsClient::new(command.channel.clone()),
            audit: AuditClient::new(command.channel.clone()),
            log: EventStreamClient::new(command.channel.clone()),
            reads: QueryClient::new(query.channel.clone()),
            command,
            query,
        })
    }
}
