use contracts::v1::{CheckpointStatus, PageRequest, RouteSortField, SortDirection};

use super::*;
use crate::api::to_timestamp;
use crate::deliveries::test_events::{
    DELIVERY, Events, OTHER_DELIVERY, OTHER_ROUTE, ROUTE, apply_all, at, db,
};
use crate::testing::TestDb;

const THIRD_ROUTE: &str = "018f0000-0000-7000-8000-000000000003";

/// Three routes: ROUTE (Depot, 08:00, active), OTHER_ROUTE (Airport, 12:00,
/// planning), THIRD_ROUTE (Canal, 06:00, planning).
fn three_routes() -> TestDb {
    let (db, mut events) = (db(), Events::default());
    let mut history = events.active_route(ROUTE);
    history.push(events.route_created(OTHER_ROUTE, "Airport", at(12, 0)));
    history.push(events.route_created(THIRD_ROUTE, "Canal", at(6, 0)));
    apply_all(&db, &history);
    db
}

fn list(db: &TestDb, request: v1::ListRoutesRequest) -> Result<v1::ListRoutesReply, QueryError> {
    db.read(move |reader| list_routes(reader, &request, at(7, 0)))
}

fn ids(reply: &v1::ListRoutesReply) -> Vec<&str> {
    reply.routes.iter().map(|r| r.route_id.as_str()).collect()
}

fn get(db: &TestDb, route_id: &str, now: DateTime<Utc>) -> Result<v1::Route, QueryError> {
    let request = v1::GetRouteRequest {
        route_id: route_id.into(),
        ..Default::default()
    };
    db.read(move |reader| get_route(reader, &request, now))
}

fn statuses(route: &v1::Route) -> Vec<CheckpointStatus> {
    route.checkpoints.iter().map(|c| c.status()).collect()
}

#[test]
fn routes_are_listed_by_scheduled_start_with_their_checkpoints_and_the_total() {
    let db = three_routes();
    let reply = list(&db, v1::ListRoutesRequest::default()).unwrap();
    assert_eq!(ids(&reply), [THIRD_ROUTE, ROUTE, OTHER_ROUTE]);
    assert_eq!(reply.page.as_ref().unwrap().total, 3);
    let route = &reply.routes[1];
    assert_eq!(route.origin, "Depot");
    assert_eq!(route.destination, "Harbour");
    assert_eq!(route.status(), v1::RouteStatus::Active);
    assert_eq!(route.scheduled_start, Some(to_timestamp(at(8, 0))));
    assert_eq!(route.scheduled_end, Some(to_timestamp(at(10, 0))));
    assert_eq!(route.version, 4);
    let locations: Vec<&str> = route
        .checkpoints
        .iter()
        .map(|c| c.location.as_str())
        .collect();
    assert_eq!(locations, ["Market", "Station"]);
    assert_eq!(reply.routes[0].scheduled_end, None);
    assert!(reply.routes[0].checkpoints.is_empty());
}

#[test]
fn routes_are_filtered_by_status() {
    let db = three_routes();
    let request = v1::ListRoutesRequest {
        status: v1::RouteStatus::Planning.into(),
        ..Default::default()
    };
    let reply = list(&db, request).unwrap();
    assert_eq!(ids(&reply), [THIRD_ROUTE, OTHER_ROUTE]);
    assert_eq!(reply.page.unwrap().total, 2);
}

#[test]
fn routes_are_kept_when_their_scheduled_start_is_in_the_half_open_range() {
    let db = three_routes();
    let request = v1::ListRoutesRequest {
        scheduled_from: Some(to_timestamp(at(8, 0))),
        scheduled_to: Some(to_timestamp(at(12, 0))),
        ..Default::default()
    };
    assert_eq!(ids(&list(&db, request).unwrap()), [ROUTE]);
    let from_only = v1::ListRoutesRequest {
        scheduled_from: Some(to_timestamp(at(7, 0))),
        ..Default::default()
    };
    assert_eq!(ids(&list(&db, from_only).unwrap()), [ROUTE, OTHER_ROUTE]);
    let to_only = v1::ListRoutesRequest {
        scheduled_to: Some(to_timestamp(at(8, 0))),
        ..Default::default()
    };
    assert_eq!(ids(&list(&db, to_only).unwrap()), [THIRD_ROUTE]);
}

#[test]
fn routes_sort_by_origin_or_destination_in_either_direction() {
    let db = three_routes();
    let by_origin = |direction: SortDirection| v1::ListRoutesRequest {
        sort_by: RouteSortField::Origin.into(),
        direction: direction.into(),
        ..Default::default()
    };
    let ascending = list(&db, by_origin(SortDirection::Ascending)).unwrap();
    assert_eq!(ids(&ascending), [OTHER_ROUTE, THIRD_ROUTE, ROUTE]);
    let descending = list(&db, by_origin(SortDirection::Descending)).unwrap();
    assert_eq!(ids(&descending), [ROUTE, THIRD_ROUTE, OTHER_ROUTE]);
    // Every destination is the same: the scheduled start breaks the tie.
    let by_destination = v1::ListRoutesRequest {
        sort_by: RouteSortField::Destination.into(),
        ..Default::default()
    };
    assert_eq!(
        ids(&list(&db, by_destination).unwrap()),
        [THIRD_ROUTE, ROUTE, OTHER_ROUTE]
    );
}

#[test]
fn routes_are_paged_with_a_token_for_the_next_page() {
    let db = three_routes();
    let page = |token: &str| v1::ListRoutesRequest {
        page: Some(PageRequest {
            page_size: 2,
            page_token: token.into(),
        }),
        ..Default::default()
    };
    let first = list(&db, page("")).unwrap();
    assert_eq!(ids(&first), [THIRD_ROUTE, ROUTE]);
    let info = first.page.clone().unwrap();
    assert_eq!((info.total, info.next_page_token.as_str()), (3, "2"));
    let second = list(&db, page(&info.next_page_token)).unwrap();
    assert_eq!(ids(&second), [OTHER_ROUTE]);
    assert_eq!(second.page.unwrap().next_page_token, "");
}

#[test]
fn a_checkpoint_is_pending_then_delayed_until_a_delivery_of_the_route_reaches_it() {
    let (db, mut events) = (db(), Events::default());
    let mut history = events.active_route(ROUTE);
    history.extend(events.in_transit(DELIVERY, ROUTE));
    apply_all(&db, &history);
    let pending = get(&db, ROUTE, at(8, 30)).unwrap();
    assert_eq!(
        statuses(&pending),
        [CheckpointStatus::Pending, CheckpointStatus::Pending]
    );
    let late = get(&db, ROUTE, at(9, 30)).unwrap();
    assert_eq!(
        statuses(&late),
        [CheckpointStatus::Delayed, CheckpointStatus::Pending]
    );

    apply_all(
        &db,
        &[events.checkpoint_reached(DELIVERY, 1, "Market", at(9, 40))],
    );
    let reached = get(&db, ROUTE, at(10, 30)).unwrap();
    assert_eq!(
        statuses(&reached),
        [CheckpointStatus::Reached, CheckpointStatus::Delayed]
    );
    assert_eq!(
        reached.checkpoints[0].reached_at,
        Some(to_timestamp(at(9, 40)))
    );
    assert_eq!(reached.checkpoints[1].reached_at, None);
}

#[test]
fn a_route_checkpoint_counts_the_earliest_reach_of_any_current_run() {
    let (db, mut events) = (db(), Events::default());
    let mut history = events.active_route(ROUTE);
    history.extend(events.in_transit(DELIVERY, ROUTE));
    history.extend(events.in_transit(OTHER_DELIVERY, ROUTE));
    history.extend([
        events.checkpoint_reached(OTHER_DELIVERY, 1, "Market", at(9, 20)),
        events.checkpoint_reached(DELIVERY, 1, "Market", at(8, 50)),
        events.checkpoint_reached(DELIVERY, 2, "Station", at(9, 50)),
    ]);
    apply_all(&db, &history);
    let route = get(&db, ROUTE, at(11, 0)).unwrap();
    assert_eq!(
        statuses(&route),
        [CheckpointStatus::Reached, CheckpointStatus::Reached]
    );
    assert_eq!(
        route.checkpoints[0].reached_at,
        Some(to_timestamp(at(8, 50)))
    );

    // DELIVERY fails and is retried: its run is forgotten, OTHER_DELIVERY's stays.
    apply_all(
        &db,
        &[
            events.status_changed(DELIVERY, "in_transit", "failed", Some("Breakdown")),
            events.status_changed(DELIVERY, "failed", "picked_up", None),
        ],
    );
    let route = get(&db, ROUTE, at(11, 0)).unwrap();
    assert_eq!(
        statuses(&route),
        [CheckpointStatus::Reached, CheckpointStatus::Delayed]
    );
    assert_eq!(
        route.checkpoints[0].reached_at,
        Some(to_timestamp(at(9, 20)))
    );
}

#[test]
fn an_unknown_route_is_not_found_and_a_malformed_id_is_invalid() {
    let db = three_routes();
    assert!(matches!(
        get(&db, "018f0000-0000-7000-8000-0000000000ff", at(7, 0)),
        Err(QueryError::NotFound(_))
    ));
    assert!(matches!(
        get(&db, "route-1", at(7, 0)),
        Err(QueryError::Invalid { field, .. }) if field == "route_id"
    ));
    let upper = get(&db, &ROUTE.to_uppercase(), at(7, 0)).unwrap();
    assert_eq!(upper.route_id, ROUTE);
}

#[test]
fn bad_list_fields_are_invalid_naming_the_field() {
    let db = three_routes();
    let cases = [
        (
            v1::ListRoutesRequest {
                status: 9,
                ..Default::default()
            },
            "status",
        ),
        (
            v1::ListRoutesRequest {
                sort_by: 9,
                ..Default::default()
            },
            "sort_by",
        ),
        (
            v1::ListRoutesRequest {
                direction: 9,
                ..Default::default()
            },
            "direction",
        ),
        (
            v1::ListRoutesRequest {
                scheduled_from: Some(to_timestamp(at(9, 0))),
                scheduled_to: Some(to_timestamp(at(9, 0))),
                ..Default::default()
            },
            "scheduled_to",
        ),
        (
            v1::ListRoutesRequest {
                scheduled_from: Some(prost_types::Timestamp {
                    seconds: 0,
                    nanos: -1,
                }),
                ..Default::default()
            },
            "scheduled_from",
        ),
        (
            v1::ListRoutesRequest {
                page: Some(PageRequest {
                    page_size: 10,
                    page_token: "next".into(),
                }),
                ..Default::default()
            },
            "page.page_token",
        ),
    ];
    for (request, expected) in cases {
        assert!(
            matches!(list(&db, request), Err(QueryError::Invalid { ref field, .. }) if field == expected),
            "{expected}"
        );
    }
}
