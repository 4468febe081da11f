//! `ListDeliveries` over gRPC: a route's, a driver's and a vehicle's deliveries, read
//! right after the commands that made them through their consistency tokens.

use contracts::v1::*;
use tonic::Code;

use crate::helpers::{Platform, detail, new_id, spawn_platform, timestamp, token};

/// An active route starting at `start` (RFC 3339) with one checkpoint at `end`: its
/// deliveries get the slot `[start, end)`.
pub(crate) async fn active_route(platform: &Platform, start: &str, end: &str) -> String {
    let route_id = new_id();
    let mut deliveries = platform.deliveries();
    deliveries
        .create_route(CreateRouteRequest {
            route_id: route_id.clone(),
            origin: "Depot".into(),
            destination: "Centre".into(),
            scheduled_start: Some(timestamp(start)),
            idempotency_key: None,
        })
        .await
        .unwrap();
    deliveries
        .add_checkpoint(AddCheckpointRequest {
            route_id: route_id.clone(),
            sequence: 1,
            location: "Harbour".into(),
            expected_at: Some(timestamp(end)),
            idempotency_key: None,
        })
        .await
        .unwrap();
    deliveries
        .activate_route(ActivateRouteRequest {
            route_id: route_id.clone(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    route_id
}

/// A new delivery of `route_id`, and the token of its creation.
pub(crate) async fn delivery(platform: &Platform, route_id: &str) -> (String, ConsistencyToken) {
    let delivery_id = new_id();
    let created = platform
        .deliveries()
        .create_delivery(CreateDeliveryRequest {
            delivery_id: delivery_id.clone(),
            route_id: route_id.into(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    (delivery_id, token(created))
}

pub(crate) async fn assign_driver(
    platform: &Platform,
    delivery_id: &str,
    driver_id: &str,
) -> ConsistencyToken {
    token(
        platform
            .deliveries()
            .assign_driver(AssignDriverRequest {
                delivery_id: delivery_id.into(),
                driver_id: driver_id.into(),
                idempotency_key: None,
            })
            .await
            .unwrap(),
    )
}

pub(crate) async fn register_driver(platform: &Platform, name: &str) -> String {
    let driver_id = new_id();
    platform
        .fleet()
        .register_driver(RegisterDriverRequest {
            driver_id: driver_id.clone(),
            name: name.into(),
            driving_licence_number: format!("DL-{name}"),
            idempotency_key: None,
        })
        .await
        .unwrap();
    driver_id
}

async fn list(
    platform: &Platform,
    request: ListDeliveriesRequest,
) -> Result<ListDeliveriesReply, tonic::Status> {
    platform
        .query()
        .list_deliveries(request)
        .await
        .map(tonic::Response::into_inner)
}

fn ids(reply: &ListDeliveriesReply) -> Vec<&str> {
    reply
        .deliveries
        .iter()
        .map(|d| d.delivery_id.as_str())
        .collect()
}

fn total(reply: &ListDeliveriesReply) -> u64 {
    reply.page.as_ref().map_or(0, |page| page.total)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_of_a_route_are_listed_in_slot_order_with_a_total() {
    let platform = spawn_platform().await;
    let afternoon = active_route(&platform, "2026-12-02T13:00:00Z", "2026-12-02T15:00:00Z").await;
    let morning = active_route(&platform, "2026-12-02T08:00:00Z", "2026-12-02T10:00:00Z").await;
    let (late, _) = delivery(&platform, &afternoon).await;
    let (one, _) = delivery(&platform, &morning).await;
    let (two, last) = delivery(&platform, &morning).await;
    // Same slot: the delivery id breaks the tie.
    let (first, second) = if one < two { (one, two) } else { (two, one) };

    let of_morning = list(
        &platform,
        ListDeliveriesRequest {
            wait_for: vec![last.clone()],
            route_id: morning.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(&of_morning), [first.as_str(), second.as_str()]);
    assert_eq!(total(&of_morning), 2);
    let listed = &of_morning.deliveries[0];
    assert_eq!(listed.route_id, morning);
    assert_eq!(listed.status(), DeliveryStatus::PickedUp);
    assert_eq!(
        listed.slot.as_ref().and_then(|slot| slot.start),
        Some(timestamp("2026-12-02T08:00:00Z"))
    );
    let locations: Vec<&str> = listed
        .checkpoints
        .iter()
        .map(|c| c.location.as_str())
        .collect();
    assert_eq!(locations, ["Harbour"]);

    let everything = list(
        &platform,
        ListDeliveriesRequest {
            wait_for: vec![last],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        ids(&everything),
        [first.as_str(), second.as_str(), late.as_str()]
    );
    assert_eq!(total(&everything), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drivers_deliveries_are_listed_in_slot_order_with_the_drivers_name() {
    let platform = spawn_platform().await;
    let lewis = register_driver(&platform, "Lewis").await;
    let max = register_driver(&platform, "Max").await;
    let afternoon = active_route(&platform, "2026-12-02T13:00:00Z", "2026-12-02T15:00:00Z").await;
    let morning = active_route(&platform, "2026-12-02T08:00:00Z", "2026-12-02T10:00:00Z").await;
    // Created afternoon first: the list follows the slots, not the creation order.
    let (late, _) = delivery(&platform, &afternoon).await;
    let (early, _) = delivery(&platform, &morning).await;
    let (other, _) = delivery(&platform, &morning).await;
    assign_driver(&platform, &late, &lewis).await;
    assign_driver(&platform, &other, &max).await;
    let assigned = assign_driver(&platform, &early, &lewis).await;

    let of_lewis = list(
        &platform,
        ListDeliveriesRequest {
            wait_for: vec![assigned],
            driver_id: lewis.to_uppercase(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(&of_lewis), [early.as_str(), late.as_str()]);
    assert_eq!(total(&of_lewis), 2);
    for listed in &of_lewis.deliveries {
        assert_eq!(listed.driver_id.as_deref(), Some(lewis.as_str()));
        assert_eq!(listed.driver_name, "Lewis");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vehicle_filter_keeps_the_deliveries_of_that_van_in_any_case() {
    let platform = spawn_platform().await;
    let route = active_route(&platform, "2026-12-02T08:00:00Z", "2026-12-02T10:00:00Z").await;
    let (vanned, _) = delivery(&platform, &route).await;
    delivery(&platform, &route).await;
    let assigned = token(
        platform
            .deliveries()
            .assign_vehicle(AssignVehicleRequest {
                delivery_id: vanned.clone(),
                vehicle_license_number: "VN-1-X".into(),
                idempotency_key: None,
            })
            .await
            .unwrap(),
    );
    let of_van = list(
        &platform,
        ListDeliveriesRequest {
            wait_for: vec![assigned],
            vehicle_license_number: "vn-1-x".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(&of_van), [vanned.as_str()]);
    assert_eq!(total(&of_van), 1);
    assert_eq!(
        of_van.deliveries[0].vehicle_license_number.as_deref(),
        Some("VN-1-X")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_filter_keeps_only_deliveries_in_that_status() {
    let platform = spawn_platform().await;
    let driver = register_driver(&platform, "Lewis").await;
    let route = active_route(&platform, "2026-12-02T08:00:00Z", "2026-12-02T10:00:00Z").await;
    let (moving, _) = delivery(&platform, &route).await;
    let (waiting, _) = delivery(&platform, &route).await;
    let mut deliveries = platform.deliveries();
    assign_driver(&platform, &moving, &driver).await;
    deliveries
        .assign_vehicle(AssignVehicleRequest {
            delivery_id: moving.clone(),
            vehicle_license_number: "VN-1-X".into(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    let started = token(
        deliveries
            .start_transit(StartTransitRequest {
                delivery_id: moving.clone(),
                idempotency_key: None,
            })
            .await
            .unwrap(),
    );

    for (status, expected) in [
        (DeliveryStatus::InTransit, moving.as_str()),
        (DeliveryStatus::PickedUp, waiting.as_str()),
    ] {
        let reply = list(
            &platform,
            ListDeliveriesRequest {
                wait_for: vec![started.clone()],
                status: status.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(ids(&reply), [expected], "{status:?}");
        assert_eq!(total(&reply), 1, "{status:?}");
        assert_eq!(reply.deliveries[0].status(), status);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_status_filter_is_invalid_argument_naming_status() {
    let platform = spawn_platform().await;
    let status = list(
        &platform,
        ListDeliveriesRequest {
            status: 42,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(detail(&status).field, "status");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_id_plate_or_page_is_invalid_argument_naming_its_field() {
    let platform = spawn_platform().await;
    let cases = [
        (
            ListDeliveriesRequest {
                route_id: "route-1".into(),
                ..Default::default()
            },
            "route_id",
        ),
        (
            ListDeliveriesRequest {
                driver_id: "lewis".into(),
                ..Default::default()
            },
            "driver_id",
        ),
        (
            ListDeliveriesRequest {
                vehicle_license_number: "VN1X".into(),
                ..Default::default()
            },
            "vehicle_license_number",
        ),
        (
            ListDeliveriesRequest {
                page: Some(PageRequest {
                    page_size: 10,
                    page_token: "next".into(),
                }),
                ..Default::default()
            },
            "page.page_token",
        ),
    ];
    for (request, field) in cases {
        let status = list(&platform, request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        assert_eq!(detail(&status).field, field);
    }
}
