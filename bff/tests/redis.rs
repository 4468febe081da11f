//! The BFF on Redis (`REDIS_URL`, from `scripts/test-infra.sh`): the shared token
//! registry, and two BFF instances built from the same `REDIS_URL` excluding each
//! other's bookings. Without `REDIS_URL` the server tests skip with a reason (and fail
//! under CI=true); the outage tests need no server.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bff::config::{Config, RedisUrl};
use bff::problem::ProblemKind;
use bff::scheduling::Resource;
use bff::scheduling::redis_tokens::RedisTokens;
use bff::scheduling::tokens::TokenRegistry;
use contracts::v1::ConsistencyToken;
use es_core::lock::redis::{DEFAULT_OPERATION_TIMEOUT, connect_pool};
use es_core::testing::servers::server_url;
use tower::ServiceExt;

fn token(position: u64) -> ConsistencyToken {
    ConsistencyToken {
        stream_id: format!("delivery-{position}"),
        version: 1,
        position,
    }
}

/// A registry with its own connection pool, as a separate BFF instance has.
fn registry(url: &str, prefix: &str) -> RedisTokens {
    match connect_pool(url, DEFAULT_OPERATION_TIMEOUT) {
        Ok(pool) => RedisTokens::new(pool).with_key_prefix(prefix),
        Err(error) => panic!("REDIS_URL `{url}`: {error}"),
    }
}

fn unique(name: &str) -> String {
    format!("pitlane-test:{}:{name}", uuid::Uuid::new_v4())
}

fn keys(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

#[tokio::test]
async fn a_token_recorded_by_one_instance_is_what_another_instance_sharing_redis_waits_for() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let prefix = unique("tokens:");
    let (a, b) = (registry(&url, &prefix), registry(&url, &prefix));
    a.record(&keys(&["driver:1", "van:1"]), &token(7)).await;
    assert_eq!(
        b.last(&keys(&["van:1", "driver:1"])).await,
        vec![token(7), token(7)]
    );
}

#[tokio::test]
async fn an_older_token_never_replaces_a_newer_one_comparing_positions_as_numbers() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let prefix = unique("tokens:");
    let (a, b) = (registry(&url, &prefix), registry(&url, &prefix));
    let key = keys(&["driver:1"]);

    a.record(&key, &token(10)).await;
    b.record(&key, &token(9)).await; // "9" > "10" as text, not as a number
    assert_eq!(a.last(&key).await, vec![token(10)]);

    // Beyond 2^53 a Lua number (a double) can no longer tell these apart.
    let big = 1_u64 << 53;
    a.record(&key, &token(big)).await;
    b.record(&key, &token(big + 1)).await;
    assert_eq!(
        b.last(&key).await,
        vec![token(big + 1)],
        "one more is newer"
    );
    a.record(&key, &token(big)).await;
    assert_eq!(b.last(&key).await, vec![token(big + 1)]);
    b.record(&key, &token(u64::MAX)).await;
    assert_eq!(a.last(&key).await, vec![token(u64::MAX)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_records_from_two_instances_keep_the_highest_position() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let prefix = unique("tokens:");
    let instances = [
        Arc::new(registry(&url, &prefix)),
        Arc::new(registry(&url, &prefix)),
    ];
    // Positions 1..=200 in a scrambled order (37 is coprime with 200).
    let records = (0..200_u64).map(|i| {
        let registry = instances[(i % 2) as usize].clone();
        let position = (i * 37) % 200 + 1;
        tokio::spawn(async move { registry.record(&keys(&["van:9"]), &token(position)).await })
    });
    for record in futures::future::join_all(records).await {
        record.unwrap();
    }
    assert_eq!(instances[0].last(&keys(&["van:9"])).await, vec![token(200)]);
}

#[tokio::test]
async fn unknown_keys_are_skipped() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let registry = registry(&url, &unique("tokens:"));
    registry.record(&keys(&["driver:2"]), &token(3)).await;
    assert_eq!(
        registry
            .last(&keys(&["driver:1", "driver:2", "van:1"]))
            .await,
        vec![token(3)]
    );
    assert_eq!(registry.last(&[]).await, Vec::<ConsistencyToken>::new());
}

#[tokio::test]
async fn a_token_is_forgotten_once_its_ttl_passes() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let registry = registry(&url, &unique("tokens:")).with_ttl(Duration::from_millis(200));
    let key = keys(&["technician:1"]);
    registry.record(&key, &token(4)).await;
    assert_eq!(registry.last(&key).await, vec![token(4)]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(registry.last(&key).await.is_empty());
}

/// A loopback port on which nothing listens (bound, then closed).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn an_unreachable_redis_reads_as_no_tokens_instead_of_failing_the_request() {
    let registry = registry(&format!("redis://127.0.0.1:{}", closed_port()), "t:");
    registry.record(&keys(&["driver:1"]), &token(1)).await;
    assert!(registry.last(&keys(&["driver:1"])).await.is_empty());
}

/// A BFF whose upstreams are down (these tests never reach them), its development
/// issuer's key in a directory of its own (read once, when the BFF is built).
async fn local_bff(adjust: impl FnOnce(&mut Config)) -> bff::App {
    let mut config = Config::local("http://127.0.0.1:9".into(), "http://127.0.0.1:9".into());
    let keys = tempfile::tempdir().unwrap();
    config.auth = identity::AuthSettings::development(keys.path());
    adjust(&mut config);
    bff::build(config).await.unwrap()
}

/// A BFF on `redis_url`.
async fn bff_on(redis_url: &str) -> bff::App {
    local_bff(|config| {
        config.redis_url = Some(RedisUrl::parse(redis_url).unwrap());
        config.lock_wait = Duration::from_millis(100);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bffs_on_the_same_redis_exclude_each_other_s_bookings_and_share_tokens() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let (one, two) = (
        bff_on(&url).await.into_state(),
        bff_on(&url).await.into_state(),
    );
    let driver = [Resource::driver(uuid::Uuid::new_v4().to_string())];
    let (entered, inside) = tokio::sync::oneshot::channel();
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let holder = {
        let one = one.clone();
        let driver = driver.clone();
        tokio::spawn(async move {
            one.scheduler
                .guard(&driver, &[], |_| async move {
                    let _ = entered.send(());
                    let _ = released.await;
                    Ok(((), Some(token(42))))
                })
                .await
        })
    };
    inside.await.unwrap();
    let busy = two
        .scheduler
        .guard(&driver, &[], |_| async { Ok(((), None)) })
        .await
        .unwrap_err();
    assert_eq!(busy.kind, ProblemKind::ResourceBusy);

    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    let waited_for = two
        .scheduler
        .guard(&driver, &[], |wait_for| async move { Ok((wait_for, None)) })
        .await
        .unwrap();
    assert_eq!(
        waited_for,
        vec![token(42)],
        "instance two saw instance one's booking"
    );
}

async fn readiness(app: bff::App) -> serde_json::Value {
    let request = Request::get("/health/ready").body(Body::empty()).unwrap();
    let response = bff::router::router(app.into_state())
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "the upstreams are down"
    );
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

fn redis_status(health: &serde_json::Value) -> Option<&str> {
    health["dependencies"]
        .as_array()?
        .iter()
        .find(|dependency| dependency["name"] == "redis")?
        .get("status")?
        .as_str()
}

#[tokio::test]
async fn readiness_reports_redis_up_when_it_answers() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let health = readiness(bff_on(&url).await).await;
    assert_eq!(redis_status(&health), Some("up"), "{health}");
}

#[tokio::test]
async fn readiness_reports_redis_down_and_start_up_still_succeeds_when_it_is_unreachable() {
    let health = readiness(bff_on(&format!("redis://127.0.0.1:{}", closed_port())).await).await;
    assert_eq!(redis_status(&health), Some("down"), "{health}");
}

#[tokio::test]
async fn without_redis_url_readiness_names_no_redis() {
    let health = readiness(local_bff(|_| {}).await).await;
    assert_eq!(redis_status(&health), None, "{health}");
}
