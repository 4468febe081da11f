use contracts::v1::{DeliveryStatus as Proto, PageRequest};

use super::*;
use crate::api::QueryError;
use crate::deliveries::test_events::{
    DELIVERY, DRIVER, Events, OTHER_DELIVERY, ROUTE, apply_all, at, db,
};
use crate::testing::TestDb;

const PARKED: &str = "018f0000-0000-7000-8000-0000000000d3";
const DONE: &str = "018f0000-0000-7000-8000-0000000000d4";

/// DELIVERY in transit past Market, OTHER_DELIVERY out for delivery, PARKED picked
/// up and DONE delivered; the driver is registered as "Jo Driver".
fn fleet_on_the_road() -> TestDb {
    let (db, mut events) = (db(), Events::default());
    let mut history = vec![events.driver_registered(DRIVER, "Jo Driver")];
    history.extend(events.in_transit(DELIVERY, ROUTE));
    history.push(events.checkpoint_reached(DELIVERY, 1, "Market", at(9, 5)));
    history.extend(events.in_transit(OTHER_DELIVERY, ROUTE));
    history.extend([
        events.checkpoint_reached(OTHER_DELIVERY, 1, "Market", at(9, 0)),
        events.checkpoint_reached(OTHER_DELIVERY, 2, "Station", at(9, 50)),
        events.status_changed(OTHER_DELIVERY, "in_transit", "out_for_delivery", None),
        events.delivery_created(PARKED, ROUTE),
    ]);
    history.extend(events.in_transit(DONE, ROUTE));
    history.extend([
        events.checkpoint_reached(DONE, 1, "Market", at(9, 0)),
        events.checkpoint_reached(DONE, 2, "Station", at(9, 50)),
        events.status_changed(DONE, "in_transit", "out_for_delivery", None),
        events.proof_captured(DONE),
        events.status_changed(DONE, "out_for_delivery", "delivered", None),
    ]);
    apply_all(&db, &history);
    db
}

fn track(
    db: &TestDb,
    request: v1::ListLiveTrackingRequest,
) -> Result<v1::ListLiveTrackingReply, QueryError> {
    db.read(move |reader| list_live_tracking(reader, &request))
}

fn ids(reply: &v1::ListLiveTrackingReply) -> Vec<&str> {
    reply
        .deliveries
        .iter()
        .map(|d| d.delivery_id.as_str())
        .collect()
}

#[test]
fn a_drivers_tracking_holds_its_deliveries_only_with_their_own_total() {
    const OTHER_DRIVER: &str = "018f0000-0000-7000-8000-0000000000a2";
    let (db, mut events) = (db(), Events::default());
    let mut history = events.in_transit(DELIVERY, ROUTE);
    history.extend([
        events.delivery_created(OTHER_DELIVERY, ROUTE),
        events.driver_assigned(OTHER_DELIVERY, OTHER_DRIVER),
        events.vehicle_assigned(OTHER_DELIVERY, "CD-456-E"),
        events.status_changed(OTHER_DELIVERY, "picked_up", "in_transit", None),
    ]);
    apply_all(&db, &history);
    let of = |driver: &str| v1::ListLiveTrackingRequest {
        driver_id: driver.into(),
        page: Some(PageRequest {
            page_size: 1,
            ..PageRequest::default()
        }),
        ..v1::ListLiveTrackingRequest::default()
    };
    let other = track(&db, of(OTHER_DRIVER)).unwrap();
    assert_eq!(ids(&other), [OTHER_DELIVERY]);
    assert_eq!(other.page.unwrap().total, 1);
    let nobody = track(&db, of("018f0000-0000-7000-8000-0000000000ff")).unwrap();
    assert_eq!((ids(&nobody).len(), nobody.page.unwrap().total), (0, 0));
}

#[test]
fn only_deliveries_in_transit_or_out_for_delivery_are_tracked() {
    let db = fleet_on_the_road();
    let reply = track(&db, v1::ListLiveTrackingRequest::default()).unwrap();
    assert_eq!(ids(&reply), [DELIVERY, OTHER_DELIVERY]);
    assert_eq!(reply.page.unwrap().total, 2);
    assert_eq!(
        reply.deliveries[0],
        v1::LiveTracking {
            delivery_id: DELIVERY.into(),
            route_id: ROUTE.into(),
            status: Proto::InTransit.into(),
            last_location: "Market".into(),
            last_checkpoint_sequence: 1,
            last_seen_at: Some(to_timestamp(at(9, 5))),
            driver_id: DRIVER.into(),
            driver_name: "Jo Driver".into(),
            vehicle_license_number: "AB-123-C".into(),
        }
    );
    assert_eq!(reply.deliveries[1].status(), Proto::OutForDelivery);
    assert_eq!(reply.deliveries[1].last_location, "Station");
}

#[test]
fn a_delivery_that_reached_no_checkpoint_yet_has_an_empty_last_location() {
    let (db, mut events) = (db(), Events::default());
    apply_all(&db, &events.in_transit(DELIVERY, ROUTE));
    let reply = track(&db, v1::ListLiveTrackingRequest::default()).unwrap();
    let tracking = &reply.deliveries[0];
    assert_eq!(
        (
            tracking.last_location.as_str(),
            tracking.last_checkpoint_sequence
        ),
        ("", 0)
    );
    assert_eq!(tracking.last_seen_at, None);
    // No `drivers` row for DRIVER: the name is empty, the id is still there.
    assert_eq!(
        (tracking.driver_id.as_str(), tracking.driver_name.as_str()),
        (DRIVER, "")
    );
}

#[test]
fn the_status_narrows_to_one_moving_status() {
    let db = fleet_on_the_road();
    let out = v1::ListLiveTrackingRequest {
        status: Proto::OutForDelivery.into(),
        ..Default::default()
    };
    let reply = track(&db, out).unwrap();
    assert_eq!(ids(&reply), [OTHER_DELIVERY]);
    assert_eq!(reply.page.unwrap().total, 1);
}

#[test]
fn a_status_that_is_not_moving_or_not_a_status_is_invalid() {
    let db = fleet_on_the_road();
    for status in [Proto::Delivered as i32, Proto::PickedUp as i32, 42] {
        let request = v1::ListLiveTrackingRequest {
            status,
            ..Default::default()
        };
        assert!(matches!(
            track(&db, request),
            Err(QueryError::Invalid { field, .. }) if field == "status"
        ));
    }
}

#[test]
fn tracked_deliveries_are_paged_with_the_total() {
    let db = fleet_on_the_road();
    let page = |token: &str| v1::ListLiveTrackingRequest {
        page: Some(PageRequest {
            page_size: 1,
            page_token: token.into(),
        }),
        ..Default::default()
    };
    let first = track(&db, page("")).unwrap();
    assert_eq!(ids(&first), [DELIVERY]);
    let info = first.page.clone().unwrap();
    assert_eq!((info.total, info.next_page_token.as_str()), (2, "1"));
    let second = track(&db, page(&info.next_page_token)).unwrap();
    assert_eq!(ids(&second), [OTHER_DELIVERY]);
    assert_eq!(second.page.unwrap().next_page_token, "");
}
