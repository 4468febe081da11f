//! The delivery flow through REST: fleet, a route with checkpoints, activation, a
//! delivery booked with driver and van, transit, checkpoints, out for delivery, proof,
//! incidents, failure and retry — and the scheduling conflicts on the way.

use serde_json::json;

use crate::helpers::{active_route, customer_with_car, driver_and_van, spawn_platform};

const DAY: &str = "2026-12-01";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_runs_from_pickup_to_proof_of_delivery_with_an_incident_on_the_way() {
    let app = spawn_platform().await;
    let (driver, van) = driver_and_van(&app, "VAN-1-A").await;
    let route = active_route(&app, DAY, 8).await;

    let created = app
        .post(
            "/api/v1/deliveries",
            json!({"route_id": route, "driver_id": driver, "vehicle_license_number": van}),
        )
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/deliveries/{id}").as_str())
    );
    let picked_up = app
        .get_after(&format!("/api/v1/deliveries/{id}"), &created.token())
        .await
        .expect(200);
    assert_eq!(picked_up.body["status"], "picked_up");
    assert_eq!(picked_up.body["driver_id"], driver.as_str());
    assert_eq!(picked_up.body["vehicle_license_number"], van.as_str());
    assert_eq!(
        picked_up.header("etag"),
        Some("\"3\""),
        "created, driver, van"
    );

    let path = |action: &str| format!("/api/v1/deliveries/{id}/{action}");
    app.post(&path("start-transit"), json!({}))
        .await
        .expect(200);
    app.post(
        &path("checkpoints/1/reach"),
        json!({"location": "Market Square"}),
    )
    .await
    .expect(200);
    let incident = app
        .post(
            &path("incidents"),
            json!({"incident_type": "delay", "description": "traffic jam on the bridge"}),
        )
        .await
        .expect(201);
    let incident_id = incident.body["id"].as_str().unwrap().to_owned();
    app.post(
        &path(&format!("incidents/{incident_id}/resolve")),
        json!({"resolution": "took the tunnel"}),
    )
    .await
    .expect(200);
    app.post(&path("checkpoints/2/reach"), json!({"location": "Harbour"}))
        .await
        .expect(200);
    let out = app
        .post(&path("out-for-delivery"), json!({}))
        .await
        .expect(200);

    let tracking = app
        .get_after(
            &format!("/api/v1/views/deliveries/{id}/tracking"),
            &out.token(),
        )
        .await
        .expect(200);
    assert_eq!(tracking.body["status"], "out_for_delivery");
    assert_eq!(tracking.body["last_location"], "Harbour");
    assert_eq!(tracking.body["driver"]["name"], "Grace Hopper");
    assert_eq!(tracking.body["vehicle"]["brand"], "Mercedes");
    assert_eq!(tracking.body["partial"], false);
    let live = app
        .get_after("/api/v1/live-tracking", &out.token())
        .await
        .expect(200);
    assert_eq!(live.body["deliveries"][0]["delivery_id"], id.as_str());

    let delivered = app
        .post(
            &path("proof-of-delivery"),
            json!({"receiver_name": "Ada", "signature_reference": "sig-001"}),
        )
        .await
        .expect(200);
    let summary = app
        .get_after(
            &format!("/api/v1/views/deliveries/{id}/summary"),
            &delivered.token(),
        )
        .await
        .expect(200);
    assert_eq!(summary.body["delivery"]["status"], "delivered");
    assert_eq!(summary.body["delivery"]["proof"]["receiver_name"], "Ada");
    assert_eq!(summary.body["delivery"]["incidents"][0]["resolved"], true);
    assert_eq!(summary.body["driver"]["name"], "Grace Hopper");
    let timeline = summary.body["timeline"].as_array().unwrap();
    assert_eq!(
        timeline.len() as u64,
        summary.body["delivery"]["version"].as_u64().unwrap()
    );
    assert_eq!(summary.body["partial"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_on_an_overlapping_delivery_is_refused_with_409_naming_it_and_nothing_is_created()
{
    let app = spawn_platform().await;
    let (driver, _) = driver_and_van(&app, "VAN-2-A").await;
    let first_route = active_route(&app, DAY, 8).await; // 08:00–10:00
    let overlapping = active_route(&app, DAY, 9).await; // 09:00–11:00
    let touching = active_route(&app, DAY, 10).await; // 10:00–12:00

    let first = app
        .post(
            "/api/v1/deliveries",
            json!({"route_id": first_route, "driver_id": driver}),
        )
        .await
        .expect(201);
    let first_id = first.body["id"].as_str().unwrap();

    let refused = app
        .post(
            "/api/v1/deliveries",
            json!({"route_id": overlapping, "driver_id": driver}),
        )
        .await
        .expect(409);
    assert_eq!(refused.problem_type(), "/problems/schedule-conflict");
    assert_eq!(refused.body["conflicting_id"], first_id);
    assert_eq!(
        refused.body["conflicting_slot"]["start"],
        "2026-12-01T08:00:00Z"
    );
    let none = app
        .get_after(
            &format!("/api/v1/deliveries?route_id={overlapping}"),
            &first.token(),
        )
        .await
        .expect(200);
    assert_eq!(
        none.body["page"]["total"], 0,
        "a refused booking creates nothing"
    );

    app.post(
        "/api/v1/deliveries",
        json!({"route_id": touching, "driver_id": driver}),
    )
    .await
    .expect(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_can_be_retried_and_keeps_its_driver_booked_meanwhile() {
    let app = spawn_platform().await;
    let (driver, van) = driver_and_van(&app, "VAN-3-A").await;
    let route = active_route(&app, DAY, 8).await;
    let other_route = active_route(&app, DAY, 9).await;
    let created = app
        .post(
            "/api/v1/deliveries",
            json!({"route_id": route, "driver_id": driver, "vehicle_license_number": van}),
        )
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/deliveries/{id}/start-transit"), json!({}))
        .await
        .expect(200);
    app.post(
        &format!("/api/v1/deliveries/{id}/fail"),
        json!({"reason": "nobody home"}),
    )
    .await
    .expect(200);

    let other = app
        .post("/api/v1/deliveries", json!({"route_id": other_route}))
        .await
        .expect(201);
    let other_id = other.body["id"].as_str().unwrap();
    let refused = app
        .put(
            &format!("/api/v1/deliveries/{other_id}/driver"),
            json!({"driver_id": driver}),
        )
        .await
        .expect(409);
    assert_eq!(
        refused.body["conflicting_id"],
        id.as_str(),
        "a failed delivery may be retried"
    );

    let retried = app
        .post(&format!("/api/v1/deliveries/{id}/retry"), json!({}))
        .await
        .expect(200);
    let delivery = app
        .get_after(&format!("/api/v1/deliveries/{id}"), &retried.token())
        .await
        .expect(200);
    assert_eq!(delivery.body["status"], "picked_up");
    assert_eq!(delivery.body["failure_reason"], "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_driver_or_an_out_of_service_van_cannot_be_assigned() {
    let app = spawn_platform().await;
    let (driver, van) = driver_and_van(&app, "VAN-4-A").await;
    let route = active_route(&app, DAY, 8).await;
    app.post(&format!("/api/v1/drivers/{driver}/suspend"), json!({}))
        .await
        .expect(200);
    app.put(
        &format!("/api/v1/vehicles/{van}/status"),
        json!({"status": "out_of_service"}),
    )
    .await
    .expect(200);
    let delivery = app
        .post("/api/v1/deliveries", json!({"route_id": route}))
        .await
        .expect(201);
    let id = delivery.body["id"].as_str().unwrap();

    let suspended = app
        .put(
            &format!("/api/v1/deliveries/{id}/driver"),
            json!({"driver_id": driver}),
        )
        .await
        .expect(409);
    assert_eq!(suspended.body["reason"], "driver_suspended");
    let out_of_service = app
        .put(
            &format!("/api/v1/deliveries/{id}/vehicle"),
            json!({"vehicle_license_number": van}),
        )
        .await
        .expect(409);
    assert_eq!(out_of_service.body["reason"], "vehicle_out_of_service");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_van_planned_in_the_workshop_cannot_go_on_an_overlapping_delivery() {
    let app = spawn_platform().await;
    let (_, van) = driver_and_van(&app, "VAN-5-A").await;
    let (customer, _) = customer_with_car(&app, "CAR-5-A").await;
    let job = app
        .post(
            &format!("/api/v1/workshop/plannings/{DAY}/jobs"),
            json!({"slot": {"start": format!("{DAY}T09:00:00Z"), "end": format!("{DAY}T10:00:00Z")},
                   "vehicle_license_number": van, "customer_id": customer,
                   "service": "tire_rotation", "description": "winter tyres"}),
        )
        .await
        .expect(201);
    let route = active_route(&app, DAY, 8).await; // 08:00–10:00 overlaps the job
    let refused = app
        .post(
            "/api/v1/deliveries",
            json!({"route_id": route, "vehicle_license_number": van}),
        )
        .await
        .expect(409);
    assert_eq!(refused.body["conflicting_id"], job.body["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_route_view_shows_the_route_with_its_deliveries() {
    let app = spawn_platform().await;
    let route = active_route(&app, DAY, 8).await;
    let mut last = String::new();
    for _ in 0..3 {
        last = app
            .post("/api/v1/deliveries", json!({"route_id": route}))
            .await
            .expect(201)
            .token();
    }
    let view = app
        .get_after(&format!("/api/v1/views/routes/{route}"), &last)
        .await
        .expect(200);
    assert_eq!(view.body["route"]["status"], "active");
    assert_eq!(
        view.body["route"]["checkpoints"].as_array().unwrap().len(),
        2
    );
    assert_eq!(view.body["deliveries"].as_array().unwrap().len(), 3);
    assert_eq!(view.body["partial"], false);
}
