//! The write side is the final arbiter of bookings (ADR 016): whatever reaches the
//! command service — past a BFF whose lock lease ran out, or straight over gRPC — a
//! driver or a vehicle is never booked on two overlapping slots.

use contracts::v1::{AssignDriverRequest, AssignVehicleRequest, CancelMaintenanceJobRequest};
use tonic::{Code, Status};

use crate::deliveries::{delivery_on, route};
use crate::helpers::{TestApp, detail, maintenance_job, new_id, slot, spawn_app};

fn assign_driver(delivery_id: &str, driver_id: &str) -> AssignDriverRequest {
    AssignDriverRequest {
        delivery_id: delivery_id.into(),
        driver_id: driver_id.into(),
        idempotency_key: None,
    }
}

fn assign_vehicle(delivery_id: &str, plate: &str) -> AssignVehicleRequest {
    AssignVehicleRequest {
        delivery_id: delivery_id.into(),
        vehicle_license_number: plate.into(),
        idempotency_key: None,
    }
}

/// Assigns `driver` to `delivery`: books the driver for the delivery's slot.
async fn book_driver(app: &TestApp, delivery: &str, driver: &str) -> Result<(), Status> {
    let request = assign_driver(delivery, driver);
    app.deliveries().assign_driver(request).await.map(drop)
}

/// Assigns the vehicle `plate` to `delivery`: books it for the delivery's slot.
async fn book_vehicle(app: &TestApp, delivery: &str, plate: &str) -> Result<(), Status> {
    let request = assign_vehicle(delivery, plate);
    app.deliveries().assign_vehicle(request).await.map(drop)
}

#[tokio::test]
async fn a_driver_booked_on_a_delivery_is_refused_for_an_overlapping_one_naming_the_holder() {
    let app = spawn_app().await;
    let route_id = route(&app, true).await;
    let (first, second) = (
        delivery_on(&app, &route_id).await,
        delivery_on(&app, &route_id).await,
    );
    let driver = new_id();
    book_driver(&app, &first, &driver)
        .await
        .expect("the driver is free");
    let before = app.all_events().await.len();
    let status = book_driver(&app, &second, &driver)
        .await
        .expect_err("the driver is taken");
    assert_eq!(status.code(), Code::FailedPrecondition);
    let detail = detail(&status);
    assert_eq!(detail.reason, "schedule_conflict");
    assert_eq!(detail.conflicting_id, first);
    assert_eq!(
        detail.conflicting_slot,
        Some(slot("2026-12-01T08:00:00Z", "2026-12-01T10:00:00Z"))
    );
    assert!(status.message().contains(&driver), "{}", status.message());
    assert_eq!(
        app.all_events().await.len(),
        before,
        "a refused booking appends nothing, neither to the delivery nor to a schedule"
    );
}

#[tokio::test]
async fn of_bookings_racing_for_one_driver_exactly_one_is_accepted() {
    let app = spawn_app().await;
    let route_id = route(&app, true).await;
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(delivery_on(&app, &route_id).await);
    }
    let driver = new_id();
    let racers = ids.iter().map(|id| {
        let mut client = app.deliveries();
        let request = assign_driver(id, &driver);
        tokio::spawn(async move { client.assign_driver(request).await })
    });
    let results = futures::future::join_all(racers).await;
    let accepted = results
        .iter()
        .filter(|r| r.as_ref().expect("task").is_ok())
        .count();
    assert_eq!(accepted, 1, "{results:?}");
    for result in results {
        if let Err(status) = result.unwrap() {
            let reason = detail(&status).reason;
            assert!(
                reason == "schedule_conflict" || reason == "concurrency_conflict",
                "a loser is refused as a conflict: {status:?}"
            );
        }
    }
    let assigned = app
        .all_events()
        .await
        .into_iter()
        .filter(|e| e.event_type == "delivery.driver_assigned.v1")
        .count();
    assert_eq!(assigned, 1, "the log holds one booking of the driver");
}

#[tokio::test]
async fn reassigning_a_delivery_frees_the_driver_it_replaces() {
    let app = spawn_app().await;
    let route_id = route(&app, true).await;
    let (first, second) = (
        delivery_on(&app, &route_id).await,
        delivery_on(&app, &route_id).await,
    );
    let (driver, other) = (new_id(), new_id());
    book_driver(&app, &first, &driver).await.expect("booked");
    book_driver(&app, &first, &other).await.expect("reassigned");
    book_driver(&app, &second, &driver)
        .await
        .expect("the first driver is free again");
}

#[tokio::test]
async fn a_vehicle_in_a_planned_job_cannot_go_on_an_overlapping_delivery_until_the_job_is_cancelled()
 {
    let app = spawn_app().await;
    let route_id = route(&app, true).await;
    let delivery = delivery_on(&app, &route_id).await;
    // The route of `deliveries::route` runs 08:00–10:00 on 2026-12-01.
    let planned = maintenance_job("VN-12-X", "2026-12-01T09:00:00Z", "2026-12-01T11:00:00Z");
    let job_id = planned.job_id.clone();
    app.workshop()
        .plan_maintenance_job(planned)
        .await
        .expect("planned");
    let status = book_vehicle(&app, &delivery, "vn-12-x")
        .await
        .expect_err("the van is in the workshop");
    assert_eq!(detail(&status).reason, "schedule_conflict");
    assert_eq!(detail(&status).conflicting_id, job_id);
    app.workshop()
        .cancel_maintenance_job(CancelMaintenanceJobRequest {
            planning_date: "2026-12-01".into(),
            job_id: job_id.clone(),
            reason: "parts missing".into(),
            idempotency_key: None,
        })
        .await
        .expect("cancelled");
    book_vehicle(&app, &delivery, "VN-12-X")
        .await
        .expect("a cancelled job no longer holds the van");
}

#[tokio::test]
async fn a_job_cannot_take_a_vehicle_booked_on_an_overlapping_delivery() {
    let app = spawn_app().await;
    let route_id = route(&app, true).await;
    let delivery = delivery_on(&app, &route_id).await;
    book_vehicle(&app, &delivery, "VN-12-X")
        .await
        .expect("booked");
    let status = app
        .workshop()
        .plan_maintenance_job(maintenance_job(
            "VN-12-X",
            "2026-12-01T07:00:00Z",
            "2026-12-01T08:30:00Z",
        ))
        .await
        .expect_err("the van is out on a delivery");
    assert_eq!(detail(&status).reason, "schedule_conflict");
    assert_eq!(detail(&status).conflicting_id, delivery);
    app.workshop()
        .plan_maintenance_job(maintenance_job(
            "VN-12-X",
            "2026-12-01T10:00:00Z",
            "2026-12-01T12:00:00Z",
        ))
        .await
        .expect("after the route's slot the van is free");
}

#[tokio::test]
async fn auditors_replay_a_drivers_schedule_to_any_version() {
    use contracts::v1::audit_client::AuditClient;
    use contracts::v1::{StateAsOfRequest, state_as_of_request::AsOf};

    let app = spawn_app().await;
    let route_id = route(&app, true).await;
    let delivery = delivery_on(&app, &route_id).await;
    let (driver, other) = (new_id(), new_id());
    book_driver(&app, &delivery, &driver).await.expect("booked");
    book_driver(&app, &delivery, &other)
        .await
        .expect("reassigned");
    let state = |version| {
        let mut audit = AuditClient::new(app.channel.clone());
        let stream_id = format!("resource_schedule-driver:{driver}");
        async move {
            audit
                .state_as_of(StateAsOfRequest {
                    stream_id,
                    as_of: Some(AsOf::Version(version)),
                })
                .await
        }
    };
    let booked = state(1).await.expect("a schedule stream").into_inner();
    assert_eq!(booked.current_version, 2, "reserved, then released");
    let held: serde_json::Value = serde_json::from_str(&booked.state_json).unwrap();
    assert_eq!(held["bookings"][0]["holder"]["id"], delivery.as_str());
    let freed = state(2).await.unwrap().into_inner();
    let freed: serde_json::Value = serde_json::from_str(&freed.state_json).unwrap();
    assert_eq!(freed["bookings"], serde_json::json!([]));
}
