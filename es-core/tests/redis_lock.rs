//! The Redis `LockManager` on a real Redis (`REDIS_URL`, from `scripts/test-infra.sh`):
//! the shared `LockManager` contract suite, then what only a networked backend has —
//! TTLs kept by the server, clients on separate connections racing, an unreachable
//! server. Without `REDIS_URL` the server tests skip with a reason (fail under CI=true).
//!
//! Every test uses its own key prefix, so tests running in parallel on one server, or
//! runs leaving keys behind, never see each other's locks.

#![cfg(feature = "redis")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_redis::Pool;
use deadpool_redis::redis;
use es_core::lock::redis::{DEFAULT_OPERATION_TIMEOUT, connect_pool};
use es_core::lock::{LockError, LockManager, RedisLocks, acquire};
use es_core::testing::lock_contract::LocksUnderTest;
use es_core::testing::servers::server_url;

const TTL: Duration = Duration::from_secs(10);

fn unique_prefix() -> String {
    format!("pitlane-test:{}:", uuid::Uuid::new_v4())
}

fn pool(url: &str) -> Pool {
    match connect_pool(url, DEFAULT_OPERATION_TIMEOUT) {
        Ok(pool) => pool,
        Err(error) => panic!("REDIS_URL `{url}`: {error}"),
    }
}

/// A client with its own connection pool, as a second BFF instance would have.
fn client(url: &str, prefix: &str) -> RedisLocks {
    RedisLocks::new(pool(url)).with_key_prefix(prefix)
}

async fn fresh() -> Option<LocksUnderTest> {
    let url = server_url("REDIS_URL")?;
    Some(LocksUnderTest {
        locks: Arc::new(client(&url, &unique_prefix())),
        guard: Box::new(()),
    })
}

es_core::lock_manager_contract_tests!(fresh);

/// The raw value and remaining TTL (ms) of a lease key, read past the lock manager.
async fn lease_key_state(url: &str, key: &str) -> (Option<String>, i64) {
    let mut connection = match pool(url).get().await {
        Ok(connection) => connection,
        Err(error) => panic!("connecting to Redis: {error}"),
    };
    let value: Option<String> = redis::cmd("GET")
        .arg(key)
        .query_async(&mut connection)
        .await
        .unwrap();
    let pttl: i64 = redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut connection)
        .await
        .unwrap();
    (value, pttl)
}

#[tokio::test]
async fn a_lease_expires_after_its_ttl_and_the_next_holder_gets_a_higher_fencing_number() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let prefix = unique_prefix();
    let (first, second) = (client(&url, &prefix), client(&url, &prefix));
    let ttl = Duration::from_millis(200);

    let old = first.try_acquire("tech:1", ttl).await.unwrap().unwrap();
    let (_, pttl) = lease_key_state(&url, &format!("{prefix}{{tech:1}}")).await;
    assert!(
        (1..=200).contains(&pttl),
        "Redis keeps the TTL, got {pttl} ms"
    );
    assert_eq!(second.try_acquire("tech:1", TTL).await.unwrap(), None);

    tokio::time::sleep(Duration::from_millis(350)).await;
    let new = second
        .try_acquire("tech:1", TTL)
        .await
        .unwrap()
        .expect("an expired lease is free for another client");
    assert!(
        new.fencing > old.fencing,
        "{} after {}",
        new.fencing,
        old.fencing
    );
    assert!(
        !first.release(&old).await.unwrap(),
        "the old holder lost it"
    );
    assert_eq!(first.try_acquire("tech:1", TTL).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_concurrent_attempts_from_two_clients_exactly_one_gets_the_lease_and_no_fencing_number_is_burnt()
 {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let prefix = unique_prefix();
    let clients = [
        Arc::new(client(&url, &prefix)),
        Arc::new(client(&url, &prefix)),
    ];
    let attempts = (0..100).map(|i| {
        let locks = clients[i % 2].clone();
        tokio::spawn(async move { locks.try_acquire("van:race", TTL).await })
    });
    let mut winners = Vec::new();
    for attempt in futures::future::join_all(attempts).await {
        if let Some(lease) = attempt.unwrap().unwrap() {
            winners.push(lease);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one lease: {winners:?}");
    assert_eq!(
        winners[0].fencing, 1,
        "the first acquisition of the resource"
    );

    assert!(clients[1].release(&winners[0]).await.unwrap());
    let next = clients[0]
        .try_acquire("van:race", TTL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.fencing, 2, "99 failed attempts took no fencing number");
}

#[tokio::test]
async fn a_release_by_a_non_holder_is_false_and_leaves_the_lock_held() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let prefix = unique_prefix();
    let (holder, other) = (client(&url, &prefix), client(&url, &prefix));
    let lease = holder.try_acquire("driver:4", TTL).await.unwrap().unwrap();

    let mut forged = lease.clone();
    forged.token = uuid::Uuid::new_v4().to_string();
    assert!(!other.release(&forged).await.unwrap());

    let (value, _) = lease_key_state(&url, &format!("{prefix}{{driver:4}}")).await;
    assert_eq!(
        value.as_deref(),
        Some(lease.token.as_str()),
        "still the holder's"
    );
    assert_eq!(other.try_acquire("driver:4", TTL).await.unwrap(), None);
    assert!(holder.release(&lease).await.unwrap());
}

#[tokio::test]
async fn managers_with_different_key_prefixes_never_share_a_lock() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let (a, b) = (
        client(&url, &unique_prefix()),
        client(&url, &unique_prefix()),
    );
    assert!(a.try_acquire("van:1", TTL).await.unwrap().is_some());
    assert!(b.try_acquire("van:1", TTL).await.unwrap().is_some());
}

/// A loopback port on which nothing listens (bound, then closed).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn an_unreachable_redis_is_unavailable_and_acquiring_fails_closed_without_retrying() {
    let locks = RedisLocks::new(pool(&format!("redis://127.0.0.1:{}", closed_port())));

    let attempt = locks.try_acquire("van:1", TTL).await;
    assert!(
        matches!(attempt, Err(LockError::Unavailable(_))),
        "{attempt:?}"
    );

    let started = Instant::now();
    let waited = acquire(&locks, "van:1", TTL, Duration::from_secs(5)).await;
    assert!(
        matches!(waited, Err(LockError::Unavailable(_))),
        "{waited:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "an outage is not retried as if the lock were busy"
    );

    let lease = es_core::lock::Lease {
        resource: "van:1".into(),
        token: "t".into(),
        fencing: 1,
        ttl: TTL,
    };
    let released = locks.release(&lease).await;
    assert!(
        matches!(released, Err(LockError::Unavailable(_))),
        "{released:?}"
    );
}

#[tokio::test]
async fn a_redis_that_stops_answering_is_unavailable_within_the_operation_timeout() {
    // Accepts connections and never replies, like a hung server.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let timeout = Duration::from_millis(300);
    let pool = match connect_pool(&format!("redis://127.0.0.1:{port}"), timeout) {
        Ok(pool) => pool,
        Err(error) => panic!("{error}"),
    };
    let locks = RedisLocks::new(pool).with_operation_timeout(timeout);

    let started = Instant::now();
    let attempt = locks.try_acquire("van:1", TTL).await;
    assert!(
        matches!(attempt, Err(LockError::Unavailable(_))),
        "{attempt:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2), "bounded wait");
    silent.abort();
}
