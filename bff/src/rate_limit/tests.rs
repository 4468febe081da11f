//! The limiter alone, then through the router: keyed by subject or address, a
//! forwarded address believed only from a trusted proxy, probes never limited.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use super::*;
use crate::testing::{TestResponse, issuer, send, test_router_with};

#[tokio::test]
async fn a_client_over_its_allowance_is_told_how_long_to_wait_and_others_are_not() {
    let limiter = Limiter::new(
        RateLimit {
            requests: 3,
            per: Duration::from_secs(30),
        },
        &[],
    );
    let alice = Client::Address(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    let bob = Client::Subject("bob".into());
    for _ in 0..3 {
        assert_eq!(limiter.check(&alice), Ok(()));
    }
    let wait = limiter.check(&alice).unwrap_err();
    assert!(
        (1..=10).contains(&wait),
        "waits one period of 10 s, got {wait}"
    );
    assert_eq!(limiter.check(&bob), Ok(()));
}

const PROXY: &str = "10.0.0.2";

/// A router allowing two requests a minute per client, behind the proxy [`PROXY`].
async fn strict_router() -> Router {
    test_router_with(|config| {
        config.rate_limit = Some(RateLimit {
            requests: 2,
            per: Duration::from_secs(60),
        });
        config.trusted_proxies = vec![PROXY.parse().unwrap()];
    })
    .await
}

/// `GET /api/v1/customers` from `peer`, with a token and `X-Forwarded-For` if given.
async fn from(
    router: &Router,
    peer: &str,
    token: Option<&str>,
    forwarded: Option<&str>,
) -> TestResponse {
    let mut request = Request::get("/api/v1/customers");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(forwarded) = forwarded {
        request = request.header("x-forwarded-for", forwarded);
    }
    let mut request = request.body(Body::empty()).unwrap();
    let peer = SocketAddr::new(peer.parse().unwrap(), 40_000);
    request.extensions_mut().insert(ConnectInfo(peer));
    send(router, request).await
}

#[tokio::test]
async fn an_authenticated_caller_draws_on_its_subject_s_allowance_not_its_address_s() {
    let router = strict_router().await;
    let alice = issuer().token("alice", &["admin"]);
    let bob = issuer().token("bob", &["admin"]);
    for _ in 0..2 {
        let admitted = from(&router, "203.0.113.7", Some(&alice), None).await;
        assert_eq!(
            admitted.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "reaches the dead upstream"
        );
    }
    let limited = from(&router, "203.0.113.7", Some(&alice), None).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key("retry-after"));
    // Bob shares Alice's address (one office, one NAT), not her allowance.
    let colleague = from(&router, "203.0.113.7", Some(&bob), None).await;
    assert_eq!(colleague.status, StatusCode::SERVICE_UNAVAILABLE);
    // Alice from another address is still Alice.
    let moved = from(&router, "198.51.100.1", Some(&alice), None).await;
    assert_eq!(moved.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn requests_without_a_valid_token_draw_on_their_address_s_allowance() {
    let router = strict_router().await;
    for _ in 0..2 {
        let refused = from(&router, "203.0.113.7", Some("forged"), None).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }
    let flood = from(&router, "203.0.113.7", None, None).await;
    assert_eq!(flood.status, StatusCode::TOO_MANY_REQUESTS);
    let elsewhere = from(&router, "198.51.100.1", None, None).await;
    assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_forwarded_address_is_believed_only_from_a_trusted_proxy() {
    let router = strict_router().await;
    // Through the proxy: each forwarded client has its own allowance.
    for _ in 0..2 {
        let first = from(&router, PROXY, None, Some("198.51.100.1")).await;
        assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    }
    let first_again = from(&router, PROXY, None, Some("198.51.100.1")).await;
    assert_eq!(first_again.status, StatusCode::TOO_MANY_REQUESTS);
    let second = from(&router, PROXY, None, Some("198.51.100.2")).await;
    assert_eq!(second.status, StatusCode::UNAUTHORIZED);
    // From anyone else the header is ignored: a new address each time changes nothing.
    for forwarded in ["192.0.2.1", "192.0.2.2"] {
        let response = from(&router, "203.0.113.9", None, Some(forwarded)).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    }
    let spoofed = from(&router, "203.0.113.9", None, Some("192.0.2.3")).await;
    assert_eq!(spoofed.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn probes_metrics_and_documentation_are_never_limited() {
    let router = test_router_with(|config| {
        config.rate_limit = Some(RateLimit {
            requests: 1,
            per: Duration::from_secs(60),
        });
    })
    .await;
    // Prometheus scrapes with a token; an orchestrator probes without one.
    let scraper = issuer().token("prometheus", &["operator"]);
    for (uri, status) in [
        ("/health/live", StatusCode::OK),
        ("/health/ready", StatusCode::SERVICE_UNAVAILABLE),
        ("/metrics", StatusCode::OK),
    ] {
        let probes = (0..100).map(|_| {
            let request = Request::get(uri)
                .header("authorization", format!("Bearer {scraper}"))
                .body(Body::empty())
                .unwrap();
            router.clone().oneshot(request)
        });
        for response in futures::future::join_all(probes).await {
            assert_eq!(response.unwrap().status(), status, "{uri}");
        }
    }
    for uri in ["/api/openapi.json", "/api/openapi.json", "/docs/", "/docs/"] {
        let request = Request::get(uri).body(Body::empty()).unwrap();
        let status = router.clone().oneshot(request).await.unwrap().status();
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "{uri}");
    }
}

#[tokio::test]
async fn the_development_login_draws_on_its_address_s_allowance() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::config::Config::local(
        crate::testing::DEAD_UPSTREAM.into(),
        crate::testing::DEAD_UPSTREAM.into(),
    );
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.auth = identity::AuthSettings::development(dir.path());
    std::fs::write(dir.path().join("login.secret"), "s").unwrap();
    config.rate_limit = Some(RateLimit {
        requests: 2,
        per: Duration::from_secs(60),
    });
    let state = crate::startup::build(config).await.unwrap().into_state();
    let router = crate::router::router(state);
    // As the app's own page sends it, from `peer`.
    let login = |peer: &str| {
        let mut request = Request::post("/app/dev-login")
            .header("host", "127.0.0.1:8080")
            .header("origin", "http://127.0.0.1:8080")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"role":"admin","secret":"s"}"#))
            .unwrap();
        let peer = SocketAddr::new(peer.parse().unwrap(), 40_000);
        request.extensions_mut().insert(ConnectInfo(peer));
        send(&router, request)
    };
    for _ in 0..2 {
        assert_eq!(login("127.0.0.1").await.status, StatusCode::OK);
    }
    let limited = login("127.0.0.1").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key("retry-after"));
    assert_eq!(login("::1").await.status, StatusCode::OK, "another address");
}
