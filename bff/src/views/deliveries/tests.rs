use axum::http::{Method, StatusCode};
use prost_types::Timestamp;

use super::*;
use crate::problem::ProblemKind;
use crate::testing::{call, test_router};

fn at(hour: i64) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: 1_777_881_600 + hour * 3600,
        nanos: 0,
    })
}

fn outage() -> ApiError {
    ApiError::new(ProblemKind::UpstreamUnavailable, "down")
}

fn checkpoint(sequence: u32, reached: bool) -> pb::Checkpoint {
    pb::Checkpoint {
        sequence,
        location: format!("stop {sequence}"),
        expected_at: at(i64::from(sequence)),
        status: if reached {
            pb::CheckpointStatus::Reached
        } else {
            pb::CheckpointStatus::Pending
        } as i32,
        reached_at: if reached {
            at(i64::from(sequence))
        } else {
            None
        },
    }
}

fn delivery() -> pb::Delivery {
    pb::Delivery {
        delivery_id: "d-1".into(),
        route_id: "r-1".into(),
        slot: Some(pb::Timeslot {
            start: at(0),
            end: at(4),
        }),
        status: pb::DeliveryStatus::InTransit as i32,
        driver_id: Some("drv-1".into()),
        driver_name: "Ada".into(),
        vehicle_license_number: Some("AB-123-C".into()),
        checkpoints: vec![
            checkpoint(1, true),
            checkpoint(2, true),
            checkpoint(3, false),
        ],
        version: 5,
        ..Default::default()
    }
}

fn driver() -> pb::Driver {
    pb::Driver {
        driver_id: "drv-1".into(),
        name: "Ada".into(),
        ..Default::default()
    }
}

fn van(plate: &str) -> pb::Vehicle {
    pb::Vehicle {
        license_number: plate.into(),
        brand: "Volta".into(),
        model: "Cargo".into(),
        ..Default::default()
    }
}

fn row(delivery_id: &str, plate: &str) -> pb::LiveTracking {
    pb::LiveTracking {
        delivery_id: delivery_id.into(),
        status: pb::DeliveryStatus::InTransit as i32,
        driver_id: "drv-1".into(),
        driver_name: "Ada".into(),
        vehicle_license_number: plate.into(),
        ..Default::default()
    }
}

#[test]
fn a_failing_van_read_degrades_the_board_naming_the_van_while_other_rows_keep_theirs() {
    let reply = pb::ListLiveTrackingReply {
        deliveries: vec![row("d-1", "AB-123-C"), row("d-2", "XY-9-Z")],
        page: None,
    };
    let vehicles = BTreeMap::from([
        ("AB-123-C".to_owned(), Ok(van("AB-123-C"))),
        ("XY-9-Z".to_owned(), Err(outage())),
    ]);
    let board = board(reply, vehicles).unwrap();
    assert!(board.partial);
    assert_eq!(board.missing, vec!["vehicle:XY-9-Z"]);
    assert_eq!(board.deliveries[0].vehicle.as_ref().unwrap().brand, "Volta");
    assert_eq!(board.deliveries[1].vehicle, None);
    assert_eq!(board.deliveries[1].driver.name, "Ada");
}

#[test]
fn a_board_whose_vans_were_all_read_is_complete() {
    let reply = pb::ListLiveTrackingReply {
        deliveries: vec![row("d-1", "AB-123-C"), row("d-2", "AB-123-C")],
        page: None,
    };
    let vehicles = BTreeMap::from([("AB-123-C".to_owned(), Ok(van("AB-123-C")))]);
    let board = board(reply, vehicles).unwrap();
    assert!(!board.partial);
    assert!(board.missing.is_empty());
    assert!(board.deliveries.iter().all(|d| d.vehicle.is_some()));
}

#[test]
fn the_tracked_position_is_the_last_reached_checkpoint() {
    let view = tracking(delivery(), Some(Ok(driver())), Some(Ok(van("AB-123-C")))).unwrap();
    assert_eq!(view.last_location, "stop 2");
    assert!(view.last_seen_at.is_some());
    assert!(!view.partial);
    assert_eq!(view.driver.unwrap().name, "Ada");
}

#[test]
fn a_failing_driver_read_leaves_the_tracking_partial_naming_driver() {
    let view = tracking(delivery(), Some(Err(outage())), Some(Ok(van("AB-123-C")))).unwrap();
    assert!(view.partial);
    assert_eq!(view.missing, vec!["driver"]);
    assert_eq!(view.driver, None);
    assert!(view.vehicle.is_some());
}

#[test]
fn an_unassigned_driver_or_van_is_absent_but_not_missing() {
    let unassigned = pb::Delivery {
        driver_id: None,
        vehicle_license_number: None,
        checkpoints: vec![checkpoint(1, false)],
        ..delivery()
    };
    let view = tracking(unassigned, None, None).unwrap();
    assert!(!view.partial);
    assert_eq!((view.driver, view.vehicle), (None, None));
    assert_eq!(view.last_location, "");
    assert_eq!(view.last_seen_at, None);
}

#[test]
fn a_failing_timeline_leaves_the_summary_with_an_empty_timeline_named_missing() {
    let view = summary(
        delivery(),
        Err(outage()),
        Some(Ok(driver())),
        Some(Err(outage())),
    )
    .unwrap();
    assert!(view.partial);
    assert_eq!(view.missing, vec!["timeline", "vehicle"]);
    assert!(view.timeline.is_empty());
    assert_eq!(view.delivery.version, 5);
}

#[test]
fn a_summary_carries_the_timeline_oldest_first() {
    let entry = |version| pb::TimelineEntry {
        version,
        event_type: "delivery.status_changed.v1".into(),
        occurred_at: at(version as i64),
        status: pb::DeliveryStatus::InTransit as i32,
        ..Default::default()
    };
    let timeline = pb::DeliveryTimeline {
        delivery_id: "d-1".into(),
        entries: vec![entry(1), entry(2)],
    };
    let view = summary(delivery(), Ok(timeline), None, None).unwrap();
    assert!(!view.partial);
    let versions: Vec<u64> = view.timeline.iter().map(|e| e.version).collect();
    assert_eq!(versions, vec![1, 2]);
}

fn route() -> pb::Route {
    pb::Route {
        route_id: "r-1".into(),
        scheduled_start: at(0),
        scheduled_end: at(4),
        status: pb::RouteStatus::Active as i32,
        checkpoints: vec![checkpoint(1, false)],
        version: 3,
        ..Default::default()
    }
}

#[test]
fn a_failing_delivery_list_leaves_the_route_view_partial_naming_deliveries() {
    let view = overview(route(), Err(outage())).unwrap();
    assert!(view.partial);
    assert_eq!(view.missing, vec!["deliveries"]);
    assert!(view.deliveries.is_empty());
    assert_eq!(view.route.version, 3);
}

#[test]
fn a_route_with_more_deliveries_than_one_page_is_marked_truncated() {
    let reply = pb::ListDeliveriesReply {
        deliveries: vec![delivery()],
        page: Some(pb::PageInfo {
            next_page_token: "next".into(),
            total: 501,
        }),
    };
    let view = overview(route(), Ok(reply)).unwrap();
    assert!(view.partial);
    assert_eq!(view.missing, vec!["deliveries:truncated"]);
    assert_eq!(view.deliveries.len(), 1);
}

#[tokio::test]
async fn a_malformed_delivery_id_in_a_view_path_is_a_400_naming_delivery_id() {
    let router = test_router().await;
    for view in ["tracking", "summary"] {
        let uri = format!("/api/v1/views/deliveries/d-1/{view}");
        let response = call(&router, Method::GET, &uri, None).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{view}");
        assert_eq!(response.field(), Some("delivery_id"), "{view}");
    }
}

#[tokio::test]
async fn an_unknown_status_on_the_live_tracking_board_is_a_400_naming_status() {
    let router = test_router().await;
    let uri = "/api/v1/views/live-tracking?status=picked_up";
    let response = call(&router, Method::GET, uri, None).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.field(), Some("status"));
}

#[tokio::test]
async fn a_route_view_whose_route_cannot_be_read_fails_with_the_routes_problem() {
    let router = test_router().await;
    let uri = "/api/v1/views/routes/0190a4a0-0000-7000-8000-000000000001";
    let response = call(&router, Method::GET, uri, None).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers.contains_key("retry-after"));
}
