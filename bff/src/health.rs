//! `/health/live` (the process answers) and `/health/ready` (both gRPC upstreams
//! answer their health service, and Redis answers `PING` when the locks live there):
//! what an orchestrator probes. Ready also lists the command service's Kafka relay
//! when it runs one (`kafka_relay`) and the query service's live projections
//! (`projections`). Neither makes the BFF unready — commands still append, reads still
//! answer, and both catch up when their source returns — but operators see them.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use utoipa::ToSchema;

use crate::state::AppState;
use crate::upstream::Upstream;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// `up` or `down`.
    pub status: &'static str,
    /// Each dependency's state (`up`, `down`, `circuit_open`); empty for liveness.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dependency {
    pub name: &'static str,
    pub status: &'static str,
}

/// The process is running.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "The BFF process answers", body = Health)))]
pub async fn live() -> Json<Health> {
    Json(Health {
        status: "up",
        dependencies: Vec::new(),
    })
}

/// Ready when the command and query services both answer, the command service's
/// event store takes appends, and Redis answers too when `REDIS_URL` is set (without it
/// no booking can take its locks).
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "Every dependency answers", body = Health),
        (status = 503, description = "A dependency is down", body = Health)))]
pub async fn ready(State(state): State<AppState>) -> Response {
    // Probes are never rate-limited and each asks six upstream health checks: the
    // probes of one second share one answer, and concurrent ones wait for it.
    let mut last = state.readiness.lock().await;
    let (up, body) = match last.as_ref() {
        Some((at, up, body)) if at.elapsed() < READINESS_REUSED_FOR => (*up, body.clone()),
        _ => {
            let (up, body) = check(&state).await;
            *last = Some((Instant::now(), up, body.clone()));
            (up, body)
        }
    };
    drop(last);
    let status = if up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// How long one readiness answer serves later probes.
const READINESS_REUSED_FOR: Duration = Duration::from_secs(1);

/// The last readiness answer: when, whether up, and what it said.
pub type Readiness = tokio::sync::Mutex<Option<(Instant, bool, Health)>>;

/// Asks every dependency: whether the BFF is ready, and each one's state.
async fn check(state: &AppState) -> (bool, Health) {
    let (command, query, redis, event_store, relay, projections) = tokio::join!(
        probe(&state.upstreams.command),
        probe(&state.upstreams.query),
        probe_redis(state.redis.as_ref()),
        probe_named(&state.upstreams.command, contracts::EVENT_STORE_HEALTH),
        probe_named(&state.upstreams.command, contracts::RELAY_HEALTH),
        probe_named(&state.upstreams.query, contracts::PROJECTIONS_HEALTH)
    );
    let mut dependencies = vec![
        Dependency {
            name: "command",
            status: command,
        },
        Dependency {
            name: "query",
            status: query,
        },
    ];
    if let Some(redis) = redis {
        dependencies.push(Dependency {
            name: "redis",
            status: redis,
        });
    }
    // A store that does not take appends makes every command fail: not ready.
    if let Some(event_store) = event_store {
        dependencies.push(Dependency {
            name: "event_store",
            status: event_store,
        });
    }
    let up = dependencies.iter().all(|d| d.status == "up");
    if let Some(relay) = relay {
        dependencies.push(Dependency {
            name: "kafka_relay",
            status: relay,
        });
    }
    if let Some(projections) = projections {
        dependencies.push(Dependency {
            name: "projections",
            status: projections,
        });
    }
    let body = Health {
        status: if up { "up" } else { "down" },
        dependencies,
    };
    (up, body)
}

/// `None` when the BFF does not use Redis.
async fn probe_redis(pool: Option<&deadpool_redis::Pool>) -> Option<&'static str> {
    let pool = pool?;
    let ping = async {
        let mut connection = pool.get().await.ok()?;
        deadpool_redis::redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .ok()
    };
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Some(pong)) if pong == "PONG" => Some("up"),
        _ => Some("down"),
    }
}

/// A named part of an upstream (the command service's relay, the query service's
/// projections): `None` when it has none (or cannot be asked).
async fn probe_named(upstream: &Upstream, service: &str) -> Option<&'static str> {
    let mut client = HealthClient::new(upstream.channel.clone());
    let check = client.check(HealthCheckRequest {
        service: service.into(),
    });
    match tokio::time::timeout(Duration::from_secs(2), check).await {
        Ok(Ok(reply)) if reply.get_ref().status() == ServingStatus::Serving => Some("up"),
        Ok(Ok(_)) => Some("down"),
        _ => None,
    }
}

async fn probe(upstream: &Upstream) -> &'static str {
    if upstream.circuit_open() {
        return "circuit_open";
    }
    let mut client = HealthClient::new(upstream.channel.clone());
    let check = client.check(HealthCheckRequest {
        service: String::new(),
    });
    match tokio::time::timeout(Duration::from_secs(2), check).await {
        Ok(Ok(reply)) if reply.get_ref().status() == ServingStatus::Serving => "up",
        _ => "down",
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use tokio::sync::oneshot;

    use crate::testing::{As, call_as, test_router_with};

    /// A gRPC health service on a free port, answering until `stop` is sent.
    async fn upstream() -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (_, health) = tonic_health::server::health_reporter();
        let (stop, stopped) = oneshot::channel::<()>();
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        let served = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(health)
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        (url, stop, served)
    }

    #[tokio::test]
    async fn the_probes_of_one_second_share_one_readiness_answer() {
        let (url, stop, served) = upstream().await;
        let router = test_router_with(|config| {
            config.command_url = url.clone();
            config.query_url = url.clone();
        })
        .await;
        let ready = || {
            call_as(
                &router,
                As::Anonymous,
                Method::GET,
                "/health/ready",
                None,
                &[],
            )
        };
        assert_eq!(ready().await.status, StatusCode::OK);

        stop.send(()).unwrap();
        served.await.unwrap();
        assert_eq!(
            ready().await.status,
            StatusCode::OK,
            "the answer of this second, not six more upstream calls"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        assert_eq!(ready().await.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
