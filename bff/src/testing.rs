//! Router tests without sockets: the whole router, called with `tower::ServiceExt`,
//! its upstreams pointing at a closed port (so a request that reaches gRPC gets the
//! outage answer, 503, and a request refused at the edge never gets that far).

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use tower::ServiceExt;

use crate::config::{Config, UpstreamPolicy};
use crate::router::router;
use crate::startup::App;

/// Upstreams nobody listens on: every gRPC call fails fast with UNAVAILABLE.
pub const DEAD_UPSTREAM: &str = "http://127.0.0.1:9";

pub async fn test_router() -> Router {
    let mut config = Config::local(DEAD_UPSTREAM.into(), DEAD_UPSTREAM.into());
    config.rate_limit = None;
    config.upstream = UpstreamPolicy {
        timeout: Duration::from_secs(2),
        retries: 0,
        ..UpstreamPolicy::default()
    };
    let app = App::with_backends(
        config,
        std::sync::Arc::new(es_core::lock::InProcessLocks::new()),
        std::sync::Arc::new(crate::scheduling::tokens::InProcessTokens::default()),
    )
    .await
    .expect("the BFF builds");
    router(app.into_state())
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

impl TestResponse {
    /// The `field` of a problem+json answer.
    pub fn field(&self) -> Option<&str> {
        self.body.get("field").and_then(|f| f.as_str())
    }

    pub fn problem_type(&self) -> Option<&str> {
        self.body.get("type").and_then(|f| f.as_str())
    }
}

/// Sends one request; `body` is sent as JSON when given.
pub async fn call(router: &Router, method: Method, uri: &str, body: Option<&str>) -> TestResponse {
    call_with(router, method, uri, body, &[]).await
}

/// [`call`] with headers, e.g. the `X-Actor-Role` the authenticating proxy sets.
pub async fn call_with(
    router: &Router,
    method: Method,
    uri: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Body::from(body.unwrap_or("").to_owned()))
        .expect("a valid request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .expect("a body");
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    TestResponse {
        status,
        headers,
        body,
    }
}
