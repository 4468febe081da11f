//! Router tests without sockets: the whole router, called with `tower::ServiceExt`,
//! its upstreams pointing at a closed port (so a request that reaches gRPC gets the
//! outage answer, 503, and a request refused at the edge never gets that far), its
//! tokens verified against a test issuer ([`identity::testing::TestIssuer`]) whose
//! JWKS is served over HTTP. [`call`] sends an admin's token, so tests of other rules
//! need not think about roles; [`call_as`] sends another token, or none.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use identity::Verifier;
use identity::testing::{TestIssuer, claims};
use tower::ServiceExt;

use crate::config::{Config, UpstreamPolicy};
use crate::router::router;
use crate::startup::App;

/// Upstreams nobody listens on: every gRPC call fails fast with UNAVAILABLE.
pub const DEAD_UPSTREAM: &str = "http://127.0.0.1:9";

/// The driver id of [`driver_token`].
pub const DRIVER_ID: &str = "0190a4a0-0000-7000-8000-0000000000d1";

/// One issuer for the whole test binary. Its JWKS server runs on a runtime of its own
/// thread, because each test's runtime ends with the test.
pub fn issuer() -> &'static TestIssuer {
    static ISSUER: OnceLock<TestIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| {
        let (started, issuer) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the test issuer");
            runtime.block_on(async move {
                let _ = started.send(TestIssuer::start().await);
                std::future::pending::<()>().await
            });
        });
        issuer.recv().expect("the test issuer starts")
    })
}

/// A valid token holding `roles`, for the subject `<roles>-user`.
pub fn token(roles: &[&str]) -> String {
    issuer().token(&format!("{}-user", roles.join("-")), roles)
}

/// A valid driver token naming [`DRIVER_ID`].
pub fn driver_token() -> String {
    let mut claims = claims("driver-user", &["driver"]);
    claims["driver_id"] = DRIVER_ID.into();
    issuer().keys[0].sign(&claims)
}

fn admin_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| token(&["admin"]))
}

pub async fn test_router() -> Router {
    test_router_with(|_| {}).await
}

/// [`test_router`] with its configuration adjusted (e.g. a rate limit).
pub async fn test_router_with(adjust: impl FnOnce(&mut Config)) -> Router {
    let verifier = Arc::new(issuer().verifier(Duration::from_secs(300)));
    test_router_verified_by(verifier, adjust).await
}

/// [`test_router_with`] verifying tokens with `verifier`.
pub async fn test_router_verified_by(
    verifier: Arc<Verifier>,
    adjust: impl FnOnce(&mut Config),
) -> Router {
    let mut config = Config::local(DEAD_UPSTREAM.into(), DEAD_UPSTREAM.into());
    config.rate_limit = None;
    config.upstream = UpstreamPolicy {
        timeout: Duration::from_secs(2),
        retries: 0,
        ..UpstreamPolicy::default()
    };
    adjust(&mut config);
    let app = App::with_backends(
        config,
        verifier,
        Arc::new(es_core::lock::InProcessLocks::new()),
        Arc::new(crate::scheduling::tokens::InProcessTokens::default()),
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

/// Whose token a request carries.
#[derive(Debug, Clone, Copy)]
pub enum As<'a> {
    Admin,
    Bearer(&'a str),
    Anonymous,
}

/// Sends one request as an admin; `body` is sent as JSON when given.
pub async fn call(router: &Router, method: Method, uri: &str, body: Option<&str>) -> TestResponse {
    call_with(router, method, uri, body, &[]).await
}

/// [`call`] with more headers, e.g. `Idempotency-Key`.
pub async fn call_with(
    router: &Router,
    method: Method,
    uri: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> TestResponse {
    call_as(router, As::Admin, method, uri, body, headers).await
}

/// [`call_with`] with another token, or none.
pub async fn call_as(
    router: &Router,
    who: As<'_>,
    method: Method,
    uri: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    match who {
        As::Admin => request = request.header("authorization", format!("Bearer {}", admin_token())),
        As::Bearer(token) => request = request.header("authorization", format!("Bearer {token}")),
        As::Anonymous => {}
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Body::from(body.unwrap_or("").to_owned()))
        .expect("a valid request");
    send(router, request).await
}

/// Sends a request built by the test (e.g. with `ConnectInfo`).
pub async fn send(router: &Router, request: Request<Body>) -> TestResponse {
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
