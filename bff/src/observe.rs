//! What the BFF tells operators about each request — an access log line, a line for
//! each refusal ([`crate::auth::denial`]) and the HTTP metrics — and `/metrics`, the
//! Prometheus exposition of every service this process runs (under `pitlane up`, the
//! whole platform).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use es_core::telemetry::names;

use crate::auth::denial::Denial;
use crate::problem::{ApiError, ProblemKind};

/// Where Prometheus scrapes the BFF.
pub const METRICS: &str = "/metrics";
/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

/// Counts and times the request under its route template (never its ids, so the label
/// set stays small), logs a refusal, and logs one access line, inside the request's
/// span (its correlation id; the subject once a token is verified).
pub async fn middleware(request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let active = Active::start(&method, &route);
    let response = next.run(request).await;
    drop(active);
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    let labels = [
        ("method", method.clone()),
        ("route", route.clone()),
        ("status", status.to_string()),
    ];
    metrics::counter!(names::HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(names::HTTP_DURATION, &labels).record(seconds);
    if let Some(denial) = response.extensions().get::<Denial>() {
        crate::auth::denial::log(&method, &route, denial);
    }
    tracing::info!(
        target: "pitlane::access",
        method,
        route,
        status,
        duration_ms = seconds * 1_000.0,
        "answered"
    );
    response
}

/// The in-flight gauge of one request, decremented however the request ends (a panic
/// the panic guard turns into a 500 included).
struct Active(metrics::Gauge);

impl Active {
    fn start(method: &str, route: &str) -> Self {
        let gauge = metrics::gauge!(
            names::HTTP_ACTIVE,
            "method" => method.to_owned(),
            "route" => route.to_owned()
        );
        gauge.increment(1.0);
        Active(gauge)
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// Metrics of every service this process runs, in Prometheus' text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    security(("bearer" = ["auditor", "operator"])),
    responses((status = 200, description = "The Prometheus text exposition (version 0.0.4)",
        content_type = "text/plain", body = String)))]
pub async fn metrics() -> Response {
    // Installed at start-up ([`crate::startup`]); this returns that recorder.
    match es_core::telemetry::install_metrics(None) {
        Ok(handle) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            handle.render(),
        )
            .into_response(),
        Err(reason) => ApiError::new(ProblemKind::UpstreamUnavailable, reason).into_response(),
    }
}
