//! The booking storm: 200 concurrent requests that all want the same driver in
//! overlapping slots. Exactly one wins; the other 199 get 409; the read model shows
//! one booking.

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{active_route, driver_and_van, spawn_platform};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_bookings_of_one_driver_yield_exactly_one_booking() {
    let app = spawn_platform().await;
    let (driver, _) = driver_and_van(&app, "STM-1-A").await;
    let route = active_route(&app, "2026-12-03", 8).await;
    let mut deliveries = Vec::new();
    for _ in 0..200 {
        let created = app
            .post("/api/v1/deliveries", json!({"route_id": route}))
            .await
            .expect(201);
        deliveries.push(created.body["id"].as_str().unwrap().to_owned());
    }

    let paths: Vec<String> = deliveries
        .iter()
        .map(|id| format!("/api/v1/deliveries/{id}/driver"))
        .collect();
    let answers = join_all(
        paths
            .iter()
            .map(|path| app.put(path, json!({"driver_id": driver}))),
    )
    .await;

    let won: Vec<_> = answers.iter().filter(|a| a.status == 200).collect();
    let conflicts = answers.iter().filter(|a| a.status == 409).count();
    let others: Vec<_> = answers
        .iter()
        .filter(|a| a.status != 200 && a.status != 409)
        .map(|a| (a.status, a.body.clone()))
        .collect();
    assert!(others.is_empty(), "only 200 or 409: {others:?}");
    assert_eq!(won.len(), 1, "exactly one booking wins");
    assert_eq!(conflicts, 199);

    let schedule = app
        .get_after(
            &format!("/api/v1/schedules/drivers/{driver}"),
            &won[0].token(),
        )
        .await
        .expect(200);
    assert_eq!(
        schedule.body["slots"].as_array().unwrap().len(),
        1,
        "{:#}",
        schedule.body
    );
    let assigned = app
        .get_after(
            &format!("/api/v1/deliveries?driver_id={driver}"),
            &won[0].token(),
        )
        .await
        .expect(200);
    assert_eq!(assigned.body["page"]["total"], 1);
}
