//! A booking stalled past its lock's lease (issue 13 §1): two BFFs share Redis; the
//! first one's command to the command service stalls (as a process paused with SIGSTOP
//! would) while it holds the driver's lock; the lease runs out, the second BFF books the
//! same driver on an overlapping delivery; then the stalled command arrives. The Redis
//! lock can no longer tell them apart — the command side must: exactly one booking.
//! Likewise when Redis loses every lock in the middle of a booking storm.

use std::net::SocketAddr;
use std::time::Duration;

use es_core::testing::servers::server_url;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::{Rest, active_route, driver_and_van, spawn_platform};

/// A TCP proxy to `target` that holds every byte its clients send while paused.
struct StallingProxy {
    addr: SocketAddr,
    paused: watch::Sender<bool>,
}

async fn stalling_proxy(target: SocketAddr) -> StallingProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (paused, gate) = watch::channel(false);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let mut gate = gate.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(target).await else {
                    return;
                };
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                let upstream = async move {
                    let mut buffer = vec![0u8; 16 * 1024];
                    loop {
                        let n = match from_client.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        // Held, never dropped, while the proxy is paused.
                        if gate.wait_for(|paused| !paused).await.is_err() {
                            break;
                        }
                        if to_server.write_all(&buffer[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = to_server.shutdown().await;
                };
                let downstream = async move {
                    let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                };
                tokio::join!(upstream, downstream);
            });
        }
    });
    StallingProxy { addr, paused }
}

/// A driver (with van `plate`) and `count` deliveries on one route of `day`, all
/// unassigned, with the read models caught up: the other BFFs never saw these writes'
/// tokens. Returns the driver's id and the deliveries'.
async fn deliveries_wanting_one_driver(
    app: &crate::helpers::TestPlatform,
    plate: &str,
    day: &str,
    count: usize,
) -> (String, Vec<String>) {
    let (driver, _) = driver_and_van(app, plate).await;
    let route = active_route(app, day, 8).await;
    let mut deliveries = Vec::new();
    for _ in 0..count {
        let created = app
            .post("/api/v1/deliveries", json!({"route_id": route}))
            .await
            .expect(201);
        deliveries.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let head = *app.platform.store.head().borrow();
    assert!(
        app.platform
            .read_models
            .wait_for(head, Duration::from_secs(10))
            .await
    );
    (driver, deliveries)
}

/// Another BFF instance of the platform: its locks in `redis`, leases of `lock_ttl`,
/// commands sent to `command`.
async fn another_bff(
    app: &crate::helpers::TestPlatform,
    command: SocketAddr,
    redis: &str,
    lock_ttl: Duration,
) -> Rest {
    let mut config = bff::Config::local(
        format!("http://{command}"),
        format!("http://{}", app.platform.query_addr),
    );
    config.rate_limit = None;
    config.auth = identity::AuthSettings::development(&app.data_dir());
    config.redis_url = Some(bff::config::RedisUrl::parse(redis).expect("REDIS_URL parses"));
    config.lock_ttl = lock_ttl;
    let bff = bff::build(config).await.expect("the BFF starts");
    let addr = bff.local_addr();
    tokio::spawn(bff.run_until_stopped(std::future::pending()));
    Rest {
        base: format!("http://{addr}"),
        ..app.rest.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_booking_stalled_past_its_lock_lease_is_refused_when_a_rival_booked_the_slot_meanwhile() {
    let Some(redis) = server_url("REDIS_URL") else {
        return;
    };
    let app = spawn_platform().await;
    let (driver, deliveries) =
        deliveries_wanting_one_driver(&app, "STL-1-A", "2026-12-04", 2).await;

    let proxy = stalling_proxy(app.platform.command_addr).await;
    let lease = Duration::from_millis(300);
    let stalled_bff = another_bff(&app, proxy.addr, &redis, lease).await;
    let rival_bff = another_bff(&app, app.platform.command_addr, &redis, lease).await;

    proxy.paused.send_replace(true);
    let stalled = {
        let path = format!("/api/v1/deliveries/{}/driver", deliveries[0]);
        let body = json!({"driver_id": driver});
        tokio::spawn(async move { stalled_bff.put(&path, body).await })
    };
    // The stalled BFF checked the schedule (free), sent its command and waits; its
    // lease runs out meanwhile.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rival = rival_bff
        .put(
            &format!("/api/v1/deliveries/{}/driver", deliveries[1]),
            json!({"driver_id": driver}),
        )
        .await
        .expect(200);

    proxy.paused.send_replace(false);
    let stalled = stalled.await.unwrap();
    assert_eq!(stalled.status, 409, "{:#}", stalled.body);
    assert_eq!(
        stalled.body["reason"], "schedule_conflict",
        "{:#}",
        stalled.body
    );
    assert_eq!(stalled.body["conflicting_id"], deliveries[1]);

    let log = app.platform.store.read_all(0, 10_000).await.unwrap();
    let bookings = log
        .iter()
        .filter(|e| e.event_type == "delivery.driver_assigned.v1")
        .filter(|e| e.payload["driver_id"] == driver.as_str())
        .count();
    assert_eq!(bookings, 1, "the log holds one booking of the driver");
    let schedule = rival_bff
        .get_after(
            &format!("/api/v1/schedules/drivers/{driver}"),
            &rival.token(),
        )
        .await
        .expect(200);
    assert_eq!(schedule.body["slots"].as_array().unwrap().len(), 1);
}

/// The Redis server of `url` (`redis://host:port`), and database `db` of it: this
/// test empties its own database only, not the other tests' locks.
fn redis_db(url: &str, db: u8) -> (String, String) {
    let server = url
        .trim_start_matches("redis://")
        .split(['/', '?'])
        .next()
        .unwrap()
        .to_owned();
    (server.clone(), format!("redis://{server}/{db}"))
}

/// Empties database `db` of the Redis at `server`, as a restart without persistence
/// does: every lock and token in it is gone.
async fn flush_redis(server: &str, db: u8) {
    let address = server.rsplit('@').next().unwrap();
    let mut redis = TcpStream::connect(address).await.unwrap();
    let select = format!(
        "*2\r\n$6\r\nSELECT\r\n${}\r\n{db}\r\n",
        db.to_string().len()
    );
    redis.write_all(select.as_bytes()).await.unwrap();
    redis.write_all(b"*1\r\n$7\r\nFLUSHDB\r\n").await.unwrap();
    let mut replies = [0u8; 10];
    redis.read_exact(&mut replies).await.unwrap();
    assert_eq!(&replies, b"+OK\r\n+OK\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_booking_storm_over_two_bffs_with_redis_emptied_midway_books_the_driver_once() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    const DB: u8 = 7;
    let (server, redis) = redis_db(&url, DB);
    let app = spawn_platform().await;
    let (driver, deliveries) =
        deliveries_wanting_one_driver(&app, "STM-2-B", "2026-12-05", 40).await;
    let lease = Duration::from_secs(10);
    let bffs = [
        another_bff(&app, app.platform.command_addr, &redis, lease).await,
        another_bff(&app, app.platform.command_addr, &redis, lease).await,
    ];

    let storm = deliveries.iter().enumerate().map(|(n, id)| {
        let bff = bffs[n % 2].clone();
        let path = format!("/api/v1/deliveries/{id}/driver");
        let body = json!({"driver_id": driver});
        tokio::spawn(async move { bff.put(&path, body).await })
    });
    let storm: Vec<_> = storm.collect();
    // Redis loses everything again and again while the storm lasts.
    let (calm, mut calmed) = tokio::sync::oneshot::channel::<()>();
    let flushing = tokio::spawn(async move {
        loop {
            flush_redis(&server, DB).await;
            tokio::select! {
                _ = &mut calmed => return,
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        }
    });
    let answers = futures::future::join_all(storm).await;
    let _ = calm.send(());
    flushing.await.unwrap();

    let statuses: Vec<u16> = answers
        .iter()
        .map(|a| a.as_ref().unwrap().status.as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "exactly one booking wins: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "the others are conflicts: {statuses:?}"
    );
    let bookings = app
        .platform
        .store
        .read_all(0, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event_type == "delivery.driver_assigned.v1")
        .count();
    assert_eq!(bookings, 1, "the log holds one booking of the driver");
}
