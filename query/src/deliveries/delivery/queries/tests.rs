use contracts::v1::CheckpointStatus;

use super::*;
use crate::deliveries::test_events::{
    DELIVERY, DRIVER, Events, INCIDENT, OTHER_DELIVERY, OTHER_ROUTE, ROUTE, apply_all, at, db,
};
use crate::testing::TestDb;

const UNKNOWN: &str = "018f0000-0000-7000-8000-0000000000ff";
const LATE: &str = "018f0000-0000-7000-8000-0000000000d3";
const EARLY: &str = "018f0000-0000-7000-8000-0000000000d4";
const OTHER_DRIVER: &str = "018f0000-0000-7000-8000-0000000000a2";

fn get(db: &TestDb, delivery_id: &str, now: DateTime<Utc>) -> Result<v1::Delivery, QueryError> {
    let request = v1::GetDeliveryRequest {
        delivery_id: delivery_id.into(),
        ..Default::default()
    };
    db.read(move |reader| get_delivery(reader, &request, now))
}

fn timeline(db: &TestDb, delivery_id: &str) -> Result<v1::DeliveryTimeline, QueryError> {
    let request = v1::GetDeliveryTimelineRequest {
        delivery_id: delivery_id.into(),
        ..Default::default()
    };
    db.read(move |reader| get_delivery_timeline(reader, &request))
}

/// On ROUTE: DELIVERY (08:00, in transit, DRIVER "Jo Driver", AB-123-C, past
/// Market, one incident) and OTHER_DELIVERY (08:00, picked up, nobody assigned).
/// On OTHER_ROUTE: LATE (12:00, delivered with proof, DRIVER, XY-9-Z) and EARLY
/// (06:00, failed, OTHER_DRIVER, AB-123-C).
fn four_deliveries() -> (TestDb, Events) {
    let (db, mut events) = (db(), Events::default());
    let mut history = vec![events.driver_registered(DRIVER, "Jo Driver")];
    history.extend(events.in_transit(DELIVERY, ROUTE));
    history.extend([
        events.checkpoint_reached(DELIVERY, 1, "Market", at(9, 5)),
        events.incident_reported(DELIVERY, "delay"),
        events.delivery_created(OTHER_DELIVERY, ROUTE),
        events.delivery_created_in_slot(LATE, OTHER_ROUTE, at(12, 0), at(14, 0)),
        events.driver_assigned(LATE, DRIVER),
        events.vehicle_assigned(LATE, "XY-9-Z"),
        events.status_changed(LATE, "picked_up", "in_transit", None),
        events.status_changed(LATE, "in_transit", "out_for_delivery", None),
        events.proof_captured(LATE),
        events.status_changed(LATE, "out_for_delivery", "delivered", None),
        events.delivery_created_in_slot(EARLY, OTHER_ROUTE, at(6, 0), at(7, 0)),
        events.driver_assigned(EARLY, OTHER_DRIVER),
        events.vehicle_assigned(EARLY, "AB-123-C"),
        events.status_changed(EARLY, "picked_up", "in_transit", None),
        events.status_changed(EARLY, "in_transit", "failed", Some("Road closed")),
    ]);
    apply_all(&db, &history);
    (db, events)
}

fn list(
    db: &TestDb,
    request: v1::ListDeliveriesRequest,
) -> Result<v1::ListDeliveriesReply, QueryError> {
    db.read(move |reader| list_deliveries(reader, &request, at(11, 0)))
}

fn ids(reply: &v1::ListDeliveriesReply) -> Vec<&str> {
    reply
        .deliveries
        .iter()
        .map(|d| d.delivery_id.as_str())
        .collect()
}

fn total(reply: &v1::ListDeliveriesReply) -> u64 {
    reply.page.as_ref().map_or(0, |page| page.total)
}

#[test]
fn deliveries_are_listed_by_slot_start_then_id_in_either_direction_with_a_total() {
    let (db, _) = four_deliveries();
    let all = list(&db, v1::ListDeliveriesRequest::default()).unwrap();
    assert_eq!(ids(&all), [EARLY, DELIVERY, OTHER_DELIVERY, LATE]);
    assert_eq!(total(&all), 4);
    let descending = v1::ListDeliveriesRequest {
        direction: v1::SortDirection::Descending.into(),
        ..Default::default()
    };
    let descending = list(&db, descending).unwrap();
    assert_eq!(ids(&descending), [LATE, OTHER_DELIVERY, DELIVERY, EARLY]);
}

#[test]
fn deliveries_of_a_route_are_listed_in_slot_order_with_a_total() {
    let (db, _) = four_deliveries();
    let of_route = |route_id: &str| v1::ListDeliveriesRequest {
        route_id: route_id.into(),
        ..Default::default()
    };
    let route = list(&db, of_route(ROUTE)).unwrap();
    assert_eq!(ids(&route), [DELIVERY, OTHER_DELIVERY]);
    assert_eq!(total(&route), 2);
    let other = list(&db, of_route(&OTHER_ROUTE.to_uppercase())).unwrap();
    assert_eq!(ids(&other), [EARLY, LATE]);
    assert_eq!(total(&other), 2);
}

#[test]
fn a_driver_filter_keeps_only_the_deliveries_currently_assigned_to_that_driver() {
    let (db, mut events) = four_deliveries();
    let of_driver = || v1::ListDeliveriesRequest {
        driver_id: DRIVER.into(),
        ..Default::default()
    };
    assert_eq!(ids(&list(&db, of_driver()).unwrap()), [DELIVERY, LATE]);

    apply_all(&db, &[events.driver_assigned(DELIVERY, OTHER_DRIVER)]);
    let reply = list(&db, of_driver()).unwrap();
    assert_eq!(ids(&reply), [LATE]);
    assert_eq!(total(&reply), 1);
}

#[test]
fn a_vehicle_filter_matches_the_license_number_in_any_case() {
    let (db, _) = four_deliveries();
    let request = v1::ListDeliveriesRequest {
        vehicle_license_number: " ab-123-c ".into(),
        ..Default::default()
    };
    let reply = list(&db, request).unwrap();
    assert_eq!(ids(&reply), [EARLY, DELIVERY]);
    assert_eq!(total(&reply), 2);
}

#[test]
fn a_status_filter_keeps_only_deliveries_in_that_status() {
    let (db, _) = four_deliveries();
    let in_status = |status: v1::DeliveryStatus| v1::ListDeliveriesRequest {
        status: status.into(),
        ..Default::default()
    };
    for (status, expected) in [
        (v1::DeliveryStatus::PickedUp, vec![OTHER_DELIVERY]),
        (v1::DeliveryStatus::InTransit, vec![DELIVERY]),
        (v1::DeliveryStatus::OutForDelivery, vec![]),
        (v1::DeliveryStatus::Delivered, vec![LATE]),
        (v1::DeliveryStatus::Failed, vec![EARLY]),
    ] {
        let reply = list(&db, in_status(status)).unwrap();
        assert_eq!(ids(&reply), expected, "{status:?}");
        assert_eq!(total(&reply), expected.len() as u64, "{status:?}");
    }
}

#[test]
fn filters_combine_so_a_delivery_must_match_them_all() {
    let (db, _) = four_deliveries();
    let request = v1::ListDeliveriesRequest {
        route_id: OTHER_ROUTE.into(),
        driver_id: DRIVER.into(),
        ..Default::default()
    };
    assert_eq!(ids(&list(&db, request).unwrap()), [LATE]);
    let none = v1::ListDeliveriesRequest {
        route_id: ROUTE.into(),
        vehicle_license_number: "XY-9-Z".into(),
        ..Default::default()
    };
    let reply = list(&db, none).unwrap();
    assert!(reply.deliveries.is_empty());
    assert_eq!(reply.page.unwrap(), v1::PageInfo::default());
}

#[test]
fn each_listed_delivery_is_the_whole_delivery_get_delivery_answers() {
    let (db, _) = four_deliveries();
    let reply = list(&db, v1::ListDeliveriesRequest::default()).unwrap();
    for listed in &reply.deliveries {
        assert_eq!(
            listed,
            &get(&db, &listed.delivery_id, at(11, 0)).unwrap(),
            "{}",
            listed.delivery_id
        );
    }
    let [early, delivery, other, late] = &reply.deliveries[..] else {
        panic!("four deliveries");
    };
    assert_eq!(early.failure_reason, "Road closed");
    assert_eq!(
        (early.driver_id.as_deref(), early.driver_name.as_str()),
        (Some(OTHER_DRIVER), "")
    );
    assert_eq!(delivery.driver_name, "Jo Driver");
    assert_eq!(delivery.incidents.len(), 1);
    assert_eq!(
        delivery
            .checkpoints
            .iter()
            .map(|c| c.status())
            .collect::<Vec<_>>(),
        [CheckpointStatus::Reached, CheckpointStatus::Delayed]
    );
    assert_eq!(
        (
            other.driver_id.as_deref(),
            other.vehicle_license_number.as_deref()
        ),
        (None, None)
    );
    assert!(other.incidents.is_empty());
    assert_eq!(
        late.proof.as_ref().map(|p| p.receiver_name.as_str()),
        Some("Ada Receiver")
    );
    assert_eq!(
        late.slot.as_ref().and_then(|s| s.start),
        Some(to_timestamp(at(12, 0)))
    );
}

#[test]
fn deliveries_are_paged_with_a_token_for_the_next_page() {
    let (db, _) = four_deliveries();
    let page = |token: &str| v1::ListDeliveriesRequest {
        page: Some(v1::PageRequest {
            page_size: 3,
            page_token: token.into(),
        }),
        ..Default::default()
    };
    let first = list(&db, page("")).unwrap();
    assert_eq!(ids(&first), [EARLY, DELIVERY, OTHER_DELIVERY]);
    let info = first.page.clone().unwrap();
    assert_eq!((info.total, info.next_page_token.as_str()), (4, "3"));
    let second = list(&db, page(&info.next_page_token)).unwrap();
    assert_eq!(ids(&second), [LATE]);
    assert_eq!(second.page.unwrap().next_page_token, "");
}

#[test]
fn bad_list_fields_are_invalid_naming_the_field() {
    let (db, _) = four_deliveries();
    let paged = |page_size: u32, page_token: &str| v1::ListDeliveriesRequest {
        page: Some(v1::PageRequest {
            page_size,
            page_token: page_token.into(),
        }),
        ..Default::default()
    };
    let cases = [
        (paged(501, ""), "page.page_size"),
        (paged(10, "next"), "page.page_token"),
        (
            v1::ListDeliveriesRequest {
                route_id: "route-1".into(),
                ..Default::default()
            },
            "route_id",
        ),
        (
            v1::ListDeliveriesRequest {
                driver_id: "jo".into(),
                ..Default::default()
            },
            "driver_id",
        ),
        (
            v1::ListDeliveriesRequest {
                vehicle_license_number: "AB123C".into(),
                ..Default::default()
            },
            "vehicle_license_number",
        ),
        (
            v1::ListDeliveriesRequest {
                status: 42,
                ..Default::default()
            },
            "status",
        ),
        (
            v1::ListDeliveriesRequest {
                direction: 9,
                ..Default::default()
            },
            "direction",
        ),
    ];
    for (request, expected) in cases {
        assert!(
            matches!(list(&db, request), Err(QueryError::Invalid { ref field, .. }) if field == expected),
            "{expected}"
        );
    }
}

#[test]
fn a_delivery_has_its_slot_driver_vehicle_checkpoints_incidents_and_proof() {
    let (db, mut events) = (db(), Events::default());
    let mut history = vec![events.driver_registered(DRIVER, "Jo Driver")];
    history.extend(events.in_transit(DELIVERY, ROUTE));
    history.extend([
        events.checkpoint_reached(DELIVERY, 1, "Market", at(9, 5)),
        events.incident_reported(DELIVERY, "delay"),
        events.incident_resolved(DELIVERY),
        events.checkpoint_reached(DELIVERY, 2, "Station", at(10, 10)),
        events.status_changed(DELIVERY, "in_transit", "out_for_delivery", None),
        events.proof_captured(DELIVERY),
        events.status_changed(DELIVERY, "out_for_delivery", "delivered", None),
    ]);
    apply_all(&db, &history);

    let delivery = get(&db, DELIVERY, at(11, 0)).unwrap();
    assert_eq!(delivery.delivery_id, DELIVERY);
    assert_eq!(delivery.route_id, ROUTE);
    let slot = delivery.slot.unwrap();
    assert_eq!(
        (slot.start, slot.end),
        (Some(to_timestamp(at(8, 0))), Some(to_timestamp(at(10, 0))))
    );
    assert_eq!(delivery.status(), v1::DeliveryStatus::Delivered);
    assert_eq!(delivery.driver_id.as_deref(), Some(DRIVER));
    assert_eq!(delivery.driver_name, "Jo Driver");
    assert_eq!(delivery.vehicle_license_number.as_deref(), Some("AB-123-C"));
    assert_eq!(delivery.failure_reason, "");
    assert_eq!(delivery.version, 11);

    let checkpoints: Vec<(u32, &str, CheckpointStatus)> = delivery
        .checkpoints
        .iter()
        .map(|c| (c.sequence, c.location.as_str(), c.status()))
        .collect();
    assert_eq!(
        checkpoints,
        [
            (1, "Market", CheckpointStatus::Reached),
            (2, "Station", CheckpointStatus::Reached)
        ]
    );
    assert_eq!(
        delivery.checkpoints[1].reached_at,
        Some(to_timestamp(at(10, 10)))
    );
    assert_eq!(
        delivery.checkpoints[1].expected_at,
        Some(to_timestamp(at(10, 0)))
    );

    assert_eq!(
        delivery.incidents,
        [v1::Incident {
            incident_id: INCIDENT.into(),
            incident_type: "delay".into(),
            description: "Flat tyre on the ring road".into(),
            reported_at: Some(to_timestamp(at(9, 15))),
            resolved: true,
            resolution: "Tyre replaced".into(),
            resolved_at: Some(to_timestamp(at(9, 40))),
        }]
    );
    assert_eq!(
        delivery.proof,
        Some(v1::ProofOfDelivery {
            receiver_name: "Ada Receiver".into(),
            signature_reference: "sig/123".into(),
            captured_at: Some(to_timestamp(at(10, 5))),
        })
    );
}

#[test]
fn a_new_delivery_has_no_driver_vehicle_proof_or_incident_and_late_checkpoints_are_delayed() {
    let (db, mut events) = (db(), Events::default());
    apply_all(&db, &[events.delivery_created(DELIVERY, ROUTE)]);
    let delivery = get(&db, DELIVERY, at(9, 30)).unwrap();
    assert_eq!(delivery.status(), v1::DeliveryStatus::PickedUp);
    assert_eq!(
        (delivery.driver_id, delivery.driver_name.as_str()),
        (None, "")
    );
    assert_eq!(delivery.vehicle_license_number, None);
    assert_eq!(delivery.proof, None);
    assert!(delivery.incidents.is_empty());
    let statuses: Vec<CheckpointStatus> = delivery.checkpoints.iter().map(|c| c.status()).collect();
    assert_eq!(
        statuses,
        [CheckpointStatus::Delayed, CheckpointStatus::Pending]
    );
}

#[test]
fn a_driver_the_fleet_read_model_does_not_know_has_an_empty_name() {
    let (db, mut events) = (db(), Events::default());
    apply_all(&db, &events.in_transit(DELIVERY, ROUTE));
    let delivery = get(&db, DELIVERY, at(9, 0)).unwrap();
    assert_eq!(delivery.driver_id.as_deref(), Some(DRIVER));
    assert_eq!(delivery.driver_name, "");
}

#[test]
fn a_failed_delivery_carries_its_failure_reason() {
    let (db, mut events) = (db(), Events::default());
    let mut history = events.in_transit(DELIVERY, ROUTE);
    history.push(events.status_changed(DELIVERY, "in_transit", "failed", Some("Road closed")));
    apply_all(&db, &history);
    let delivery = get(&db, DELIVERY, at(9, 0)).unwrap();
    assert_eq!(delivery.status(), v1::DeliveryStatus::Failed);
    assert_eq!(delivery.failure_reason, "Road closed");
}

#[test]
fn an_unknown_delivery_is_not_found_and_a_malformed_id_is_invalid() {
    let (db, mut events) = (db(), Events::default());
    apply_all(&db, &[events.delivery_created(DELIVERY, ROUTE)]);
    assert!(matches!(
        get(&db, UNKNOWN, at(9, 0)),
        Err(QueryError::NotFound(_))
    ));
    assert!(matches!(
        timeline(&db, UNKNOWN),
        Err(QueryError::NotFound(_))
    ));
    for result in [
        get(&db, "d-1", at(9, 0)).map(|_| ()),
        timeline(&db, "").map(|_| ()),
    ] {
        assert!(matches!(result, Err(QueryError::Invalid { field, .. }) if field == "delivery_id"));
    }
}

#[test]
fn the_timeline_lists_every_event_oldest_first() {
    let (db, mut events) = (db(), Events::default());
    let mut history = events.in_transit(DELIVERY, ROUTE);
    history.push(events.checkpoint_reached(DELIVERY, 1, "Market", at(9, 5)));
    apply_all(&db, &history);
    let timeline = timeline(&db, DELIVERY).unwrap();
    assert_eq!(timeline.delivery_id, DELIVERY);
    let entries: Vec<(u64, &str, v1::DeliveryStatus)> = timeline
        .entries
        .iter()
        .map(|e| (e.version, e.event_type.as_str(), e.status()))
        .collect();
    assert_eq!(
        entries,
        [
            (1, "delivery.created.v1", v1::DeliveryStatus::PickedUp),
            (
                2,
                "delivery.driver_assigned.v1",
                v1::DeliveryStatus::PickedUp
            ),
            (
                3,
                "delivery.vehicle_assigned.v1",
                v1::DeliveryStatus::PickedUp
            ),
            (
                4,
                "delivery.status_changed.v1",
                v1::DeliveryStatus::InTransit
            ),
            (
                5,
                "delivery.checkpoint_reached.v1",
                v1::DeliveryStatus::InTransit
            ),
        ]
    );
    let last = &timeline.entries[4];
    assert_eq!(last.summary, "reached checkpoint 1 (Market)");
    assert_eq!(last.occurred_at, Some(to_timestamp(history[4].occurred_at)));
    assert_eq!(last.actor_subject, history[4].actor.subject);
}
