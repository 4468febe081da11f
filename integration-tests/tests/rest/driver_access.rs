//! The driver rule over REST (DESIGN §9), end to end: a driver's token reads and moves
//! the deliveries assigned to its driver, and gets 403 on another driver's, whether it
//! reads one by id, asks for a view of it or sends it a command, which appends nothing.

use identity::{Role, TokenRequest};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Rest, TestPlatform, active_route, spawn_platform};

const DAY: &str = "2026-12-01";

/// A driver and a van registered by a dispatcher, and a delivery on a route of its own
/// booked with both; returns the driver's id, the delivery's id and the consistency
/// token of the booking.
async fn booked_driver(app: &Rest, name: &str, licence: &str, van: &str) -> [String; 3] {
    let driver = app
        .post(
            "/api/v1/drivers",
            json!({"name": name, "driving_licence_number": licence}),
        )
        .await
        .expect(201);
    let driver = driver.body["id"].as_str().unwrap().to_owned();
    app.post(
        "/api/v1/vehicles",
        json!({"license_number": van, "brand": "Mercedes", "model": "eSprinter", "usage": "fleet"}),
    )
    .await
    .expect(201);
    let route = active_route(app, DAY, 8).await;
    let booked = app
        .post(
            "/api/v1/deliveries",
            json!({"route_id": route, "driver_id": driver, "vehicle_license_number": van}),
        )
        .await
        .expect(201);
    let delivery = booked.body["id"].as_str().unwrap().to_owned();
    [driver, delivery, booked.token()]
}

/// The platform's BFF, called with a token acting for the driver `driver_id`.
fn as_driver(app: &TestPlatform, subject: &str, driver_id: &str) -> Rest {
    let request = TokenRequest::new(subject, Role::Driver).driver(driver_id);
    let token = app.platform.token(&request).expect("the platform mints");
    app.with_token(token)
}

async fn log_length(app: &TestPlatform) -> usize {
    app.platform.store.read_all(0, 10_000).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_acts_on_its_own_delivery_and_gets_403_on_another_driver_s_for_reads_views_and_commands()
 {
    let app = spawn_platform().await;
    let [ada, own, own_booked] =
        booked_driver(&app, "Ada Lovelace", "LOVEL712345AL9", "VAN-7-A").await;
    let [bob, other, other_booked] =
        booked_driver(&app, "Bob Babbage", "BABBA712345CB9", "VAN-7-B").await;
    let as_ada = as_driver(&app, "ada", &ada);

    let delivery = |id: &str| format!("/api/v1/deliveries/{id}");
    let summary = |id: &str| format!("/api/v1/views/deliveries/{id}/summary");
    let start_transit = |id: &str| format!("/api/v1/deliveries/{id}/start-transit");

    // Ada's own delivery: read, viewed, moved.
    let read = as_ada
        .get_after(&delivery(&own), &own_booked)
        .await
        .expect(200);
    assert_eq!(read.body["driver_id"], ada.as_str());
    as_ada
        .get_after(&summary(&own), &own_booked)
        .await
        .expect(200);
    as_ada
        .send(
            Method::POST,
            &start_transit(&own),
            Some(json!({})),
            &[("x-consistency-token", &own_booked)],
        )
        .await
        .expect(200);

    // Bob's: refused for a read, a view and a command, before anything is written.
    let version = app
        .get_after(&delivery(&other), &other_booked)
        .await
        .expect(200)
        .header("etag")
        .expect("an ETag")
        .to_owned();
    let appended = log_length(&app).await;
    let refusals = [
        as_ada.get_after(&delivery(&other), &other_booked).await,
        as_ada.get_after(&summary(&other), &other_booked).await,
        as_ada
            .send(
                Method::POST,
                &start_transit(&other),
                Some(json!({})),
                &[("x-consistency-token", &other_booked)],
            )
            .await,
    ];
    for refused in refusals {
        let refused = refused.expect(403);
        assert_eq!(refused.problem_type(), "/problems/forbidden");
        assert_eq!(refused.body["reason"], "not_assigned_driver");
    }
    assert_eq!(
        log_length(&app).await,
        appended,
        "a refused command appends nothing"
    );

    // Bob finds his delivery at the version Ada last saw: nothing of hers is in it.
    as_driver(&app, "bob", &bob)
        .send(
            Method::POST,
            &start_transit(&other),
            Some(json!({})),
            &[
                ("x-consistency-token", &other_booked),
                ("if-match", &version),
            ],
        )
        .await
        .expect(200);
}
